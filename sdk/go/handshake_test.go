package microcore

import (
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// kernelPEM is a certificate as the kernel passes it: one PEM block.
var kernelPEM = func() string {
	c, err := newCert("k")
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}))
}()

func fullEnv() map[string]string {
	return map[string]string{
		envVersions: protocolStream, envKernelAddr: "unix:///tmp/k/kernel.sock", envKernelCert: kernelPEM,
		envIdentity: "sidecar/parity-go", envSocketDir: "/tmp/mc-x",
	}
}

func TestReadEnv(t *testing.T) {
	e, err := readEnv(envOf(fullEnv()))
	if err != nil || e.Version != protocolStream || e.KernelCert == nil || e.KernelCert.Subject.CommonName != "k" ||
		e.Identity != "sidecar/parity-go" {
		t.Fatalf("got %+v, %v", e, err)
	}
	for _, missing := range []string{envKernelCert, envKernelAddr, envIdentity, envSocketDir} {
		m := fullEnv()
		delete(m, missing)
		_, err := readEnv(envOf(m))
		if CodeOf(err) != CodeSidecarHandshake || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v", missing, err)
		}
	}
}

func TestReadEnvRefusesABadKernelCert(t *testing.T) {
	for _, bad := range []string{"not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", kernelPEM + kernelPEM} {
		m := fullEnv()
		m[envKernelCert] = bad
		_, err := readEnv(envOf(m))
		if CodeOf(err) != CodeSidecarHandshake || !strings.Contains(err.Error(), envKernelCert) {
			t.Errorf("%s = %q: %v", envKernelCert, bad, err)
		}
	}
}

func TestPickVersion(t *testing.T) {
	// The newest shared version wins: 4 (frames on their own socket) over 3
	// (the call stream on Plugin.Connect) over 2 (unary calls only).
	for offered, want := range map[string]string{"2,3,4": "4", "4,5": "4", " 2, 3 ": "3", "3": "3", "2": "2", "1,2": "2"} {
		if v, err := pickVersion(offered); v != want || err != nil {
			t.Fatalf("offered %q: got %q, %v; want %q", offered, v, err, want)
		}
	}
	// Version 1 (the bearer token) is retired.
	for _, offered := range []string{"", "1", "5,6"} {
		_, err := pickVersion(offered)
		if CodeOf(err) != CodeSidecarHandshake || !strings.Contains(err.Error(), envVersions) {
			t.Errorf("offered %q: %v", offered, err)
		}
	}
}

func TestSocketPath(t *testing.T) {
	p, err := socketPath("/tmp/mc-x", "sidecar/parity-go")
	if err != nil || p != "/tmp/mc-x/parity-go.sock" {
		t.Fatalf("got %q, %v", p, err)
	}
	deep := "/tmp/" + strings.Repeat("d", 80)
	a, errA := socketPath(deep, "sidecar/"+strings.Repeat("a", 20))
	b, errB := socketPath(deep, "sidecar/"+strings.Repeat("b", 20))
	if errA != nil || errB != nil || len(a) > maxSocketPath || a == b || filepath.Dir(a) != deep {
		t.Fatalf("a long name should fall back to a short one per identity: %q %q, %v %v", a, b, errA, errB)
	}
	_, err = socketPath("/tmp/"+strings.Repeat("d", 110), "sidecar/x")
	if CodeOf(err) != CodeSidecarHandshake {
		t.Fatalf("a too-deep directory must fail: %v", err)
	}
	if !filepath.IsAbs(mustSocketPath(t, "rel", "sidecar/x")) {
		t.Fatal("the path the kernel dials must be absolute: the sidecar runs in its own folder")
	}
}

func mustSocketPath(t *testing.T, dir, id string) string {
	t.Helper()
	p, err := socketPath(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHandshakeLine(t *testing.T) {
	if got := handshakeLine("2", "/tmp/mc-x/parity-go.sock", []byte{0x30, 0x82, 0xff}, ""); got != "1|2|unix|/tmp/mc-x/parity-go.sock|grpc|MIL/\n" {
		t.Fatalf("got %q", got)
	}
}

func TestHandshakeLineOfVersion4NamesTheFramesSocket(t *testing.T) {
	got := handshakeLine("4", "/tmp/mc-x/parity-go.sock", []byte{0x30, 0x82, 0xff}, framesPath("/tmp/mc-x/parity-go.sock"))
	if got != "1|4|unix|/tmp/mc-x/parity-go.sock|grpc|MIL/|/tmp/mc-x/parity-go.frames\n" {
		t.Fatalf("got %q", got)
	}
}
