//go:build !wasip1

package microcore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// serveInProcess runs testPlugin against fk with kernelCert as the kernel's
// certificate, and returns its socket and certificate once it has printed its
// handshake line.
func serveInProcess(t *testing.T, fk *fakeKernel, kernelCert *x509.Certificate) (string, []byte) {
	t.Helper()
	dir := shortDir(t)
	env := sidecarEnv{KernelAddress: fk.addr, KernelCert: kernelCert, Identity: "sidecar/tls-test", SocketDir: dir, Version: protocolStream}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stdout, w := io.Pipe()
	go run(ctx, env, testPlugin{}, w) //nolint:errcheck // stopped by cancel
	socket := filepath.Join(dir, "tls-test.sock")
	return socket, readHandshake(t, stdout, socket)
}

func healthOver(t *testing.T, socket string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: healthService})
	return err
}

// The plugin socket answers the kernel alone: not a plaintext client, not a TLS
// client without a certificate, not one with a certificate of its own.
func TestPluginServerAnswersOnlyTheKernel(t *testing.T) {
	fk := startFakeKernel(t)
	socket, sidecarDER := serveInProcess(t, fk, fk.cert.Leaf)
	if err := healthOver(t, socket, credentials.NewTLS(pinnedTo(t, fk.cert, sidecarDER))); err != nil {
		t.Fatalf("the kernel's own certificate should be answered: %v", err)
	}
	noCert := pinnedTo(t, fk.cert, sidecarDER)
	noCert.Certificates = nil
	for name, creds := range map[string]credentials.TransportCredentials{
		"plaintext":                insecure.NewCredentials(),
		"tls without certificate":  credentials.NewTLS(noCert),
		"tls with another's cert":  credentials.NewTLS(pinnedTo(t, mustCert(t, "microcore-kernel"), sidecarDER)),
		"tls, any server accepted": credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{mustCert(t, "x")}}),
	} {
		if err := healthOver(t, socket, creds); err == nil {
			t.Errorf("%s: the plugin server answered", name)
		}
	}
}

// A sidecar makes no tool call to a server showing a certificate other than
// MICROCORE_KERNEL_CERT, so a process posing as the kernel's tool server (here
// the fake kernel, with a certificate of its own) learns nothing from it.
func TestSidecarCallsOnlyThePinnedKernel(t *testing.T) {
	impostor := startFakeKernel(t)
	kernel := mustCert(t, "microcore-kernel")
	socket, sidecarDER := serveInProcess(t, impostor, kernel.Leaf)
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(credentials.NewTLS(pinnedTo(t, kernel, sidecarDER))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	boot, err := microcorev1.NewPluginClient(conn).OnBoot(ctx, &microcorev1.OnBootRequest{Identity: "sidecar/tls-test"})
	if err != nil || boot.GetError() == nil {
		t.Fatalf("OnBoot's tool calls to a kernel with another certificate must fail: %v, %v", boot, err)
	}
	if got := len(impostor.find("Http.AddEndpoint")) + len(impostor.find("Logger.Log")); got != 0 {
		t.Fatalf("the server with the wrong certificate received %d calls", got)
	}
}
