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
	env := sidecarEnv{KernelAddress: fk.addr, Token: "tok-in", Identity: "sidecar/sdk-test", SocketDir: dir, Version: "1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, env, testPlugin{}, w) }()

	socket := filepath.Join(dir, "sdk-test.sock")
	if line := readLine(t, stdout); line != "1|1|unix|"+socket+"|grpc" {
		t.Fatalf("handshake line %q", line)
	}
	exercisePlugin(t, dialPlugin(t, socket), fk, "tok-in")

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
	env := sidecarEnv{KernelAddress: fk.addr, Token: "t", Identity: "sidecar/boot-fail", SocketDir: dir, Version: "1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	go run(ctx, env, testPlugin{}, w) //nolint:errcheck // stopped by cancel
	readLine(t, stdout)

	plugin := dialPlugin(t, filepath.Join(dir, "boot-fail.sock"))
	resp, err := plugin.OnBoot(context.Background(), &microcorev1.OnBootRequest{Config: map[string]string{"fail": "yes"}})
	if err != nil || resp.GetError().GetCode() != CodeConfigMissing {
		t.Fatalf("OnBoot should answer the plugin's *Error unchanged: %v, %v", resp, err)
	}
}
