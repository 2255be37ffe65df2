//go:build !wasip1

package microcore

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"microcore.dev/sdk/go/gen/microcorev1"
)

func TestServeInProcess(t *testing.T) {
	fk := startFakeKernel(t)
	dir := shortDir(t)
	env := sidecarEnv{KernelAddress: fk.addr, KernelCert: fk.cert.Leaf, Identity: "sidecar/sdk-test", SocketDir: dir, Version: protocolStream}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, env, testPlugin{}, w) }()

	socket := filepath.Join(dir, "sdk-test.sock")
	cert := readHandshake(t, stdout, socket)
	exercisePlugin(t, dialPlugin(t, fk, socket, cert), fk, certKey(cert))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10s of its context ending")
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("the socket should be gone after stopping: %v", err)
	}
}

func TestOnBootFailureIsAnswered(t *testing.T) {
	fk := startFakeKernel(t)
	dir := shortDir(t)
	env := sidecarEnv{KernelAddress: fk.addr, KernelCert: fk.cert.Leaf, Identity: "sidecar/boot-fail", SocketDir: dir, Version: protocolStream}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	go run(ctx, env, testPlugin{}, w) //nolint:errcheck // stopped by cancel
	socket := filepath.Join(dir, "boot-fail.sock")
	plugin := dialPlugin(t, fk, socket, readHandshake(t, stdout, socket))
	resp, err := plugin.OnBoot(context.Background(), &microcorev1.OnBootRequest{Config: map[string]string{"fail": "yes"}})
	if err != nil || resp.GetError().GetCode() != CodeConfigMissing {
		t.Fatalf("OnBoot should answer the plugin's *Error unchanged: %v, %v", resp, err)
	}
}
