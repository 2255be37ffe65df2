package microcore

import (
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func fullEnv() map[string]string {
	return map[string]string{
		envVersions: "1", envKernelAddr: "unix:///tmp/k/kernel.sock", envToken: "t",
		envIdentity: "sidecar/parity-go", envSocketDir: "/tmp/mc-x",
	}
}

func TestReadEnv(t *testing.T) {
	e, err := readEnv(envOf(fullEnv()))
	if err != nil || e.Version != "1" || e.Token != "t" || e.Identity != "sidecar/parity-go" {
		t.Fatalf("got %+v, %v", e, err)
	}
	for _, missing := range []string{envToken, envKernelAddr, envIdentity, envSocketDir} {
		m := fullEnv()
		delete(m, missing)
		_, err := readEnv(envOf(m))
		if CodeOf(err) != CodeSidecarHandshake || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v", missing, err)
		}
	}
}

func TestPickVersion(t *testing.T) {
	if v, err := pickVersion(" 2, 1 "); v != "1" || err != nil {
		t.Fatalf("got %q, %v", v, err)
	}
	for _, offered := range []string{"", "2,3"} {
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
	if got := handshakeLine("1", "/tmp/mc-x/parity-go.sock"); got != "1|1|unix|/tmp/mc-x/parity-go.sock|grpc\n" {
		t.Fatalf("got %q", got)
	}
}
