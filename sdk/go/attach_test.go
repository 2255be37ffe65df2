//go:build !wasip1

package microcore

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// attached starts runAttached on a free loopback port with its key pair in
// tlsDir, pinned to the kernel certificate in kernelCertPEM; it returns the
// address and the sidecar's certificate (DER) once the certificate file exists.
func attached(t *testing.T, fk *fakeKernel, tlsDir, kernelCertPEM string) (string, []byte) {
	t.Helper()
	certFile := filepath.Join(t.TempDir(), "kernel.crt")
	if err := os.WriteFile(certFile, []byte(kernelCertPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env, err := readAttachEnv(mapEnv(map[string]string{
		envListen: addr, envKernelAddr: fk.addr, envKernelCertFile: certFile, envTLSDir: tlsDir,
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runAttached(ctx, env, testPlugin{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runAttached: %v", err)
		}
	})
	end := time.Now().Add(5 * time.Second)
	for {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the attached sidecar did not listen on %s within 5s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	own, _, err := lastingCert(tlsDir, "")
	if err != nil {
		t.Fatal(err)
	}
	return addr, own.Certificate[0]
}

func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestAttachedServesOnTCPWithALastingCertificate(t *testing.T) {
	fk := startFakeKernel(t)
	tlsDir := filepath.Join(t.TempDir(), "tls")
	addr, der := attached(t, fk, tlsDir, fk.certPEM)
	plugin, err := dialPluginAt(t, "dns:"+addr, fk.cert, der)
	if err != nil {
		t.Fatal(err)
	}
	exercisePlugin(t, plugin, fk, certKey(der))

	info, err := os.Stat(filepath.Join(tlsDir, ownKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the key file should be mode 600: %v, %v", info, err)
	}
	// A second run (another process, later) shows the same certificate: the kernel's pin still holds.
	_, again := attached(t, fk, tlsDir, fk.certPEM)
	if certKey(again) != certKey(der) {
		t.Fatal("a second run made a new certificate instead of loading the first")
	}
}

func TestAttachedRefusesAnotherKernel(t *testing.T) {
	fk := startFakeKernel(t)
	other := startFakeKernel(t)
	addr, der := attached(t, fk, filepath.Join(t.TempDir(), "tls"), other.certPEM)
	if _, err := dialPluginAt(t, "dns:"+addr, fk.cert, der); err == nil {
		t.Fatal("a sidecar given another kernel's certificate answered this kernel")
	}
}

func TestAttachedRefusesAKeyOthersCanRead(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := lastingCert(dir, "x"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, ownKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := lastingCert(dir, "x")
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeSidecarHandshake || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("want %s naming chmod 600, got %v", CodeSidecarHandshake, err)
	}
}

func TestAttachedNeedsTheKernelCertificate(t *testing.T) {
	_, err := readAttachEnv(mapEnv(map[string]string{envListen: "127.0.0.1:7001"}))
	if err == nil || !strings.Contains(err.Error(), envKernelCertFile) || !strings.Contains(err.Error(), "microcore sidecar cert") {
		t.Fatalf("want an error naming %s and `microcore sidecar cert`, got %v", envKernelCertFile, err)
	}
	_, err = readAttachEnv(mapEnv(map[string]string{envListen: "127.0.0.1:7001", envKernelCertFile: "/nonexistent/kernel.crt"}))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/kernel.crt") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}
