//go:build unix

package microcore

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sidecarCmd runs this test binary as the sidecar testPlugin, with the given
// MICROCORE_* variables and none inherited from the test's own environment.
func sidecarCmd(vars map[string]string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MICROCORE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envRunAsSidecar+"=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func kernelVars(fk *fakeKernel, dir string) map[string]string {
	return map[string]string{
		envCookie: cookieValue, envVersions: protocolStream, envKernelAddr: fk.addr,
		envKernelCert: fk.certPEM, envIdentity: "sidecar/sdk-test", envSocketDir: dir,
	}
}

func TestRunByHandPrintsOneSentenceAndExits1(t *testing.T) {
	cmd := sidecarCmd(nil, os.Args[0], "-test.run=^$")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit code 1, got %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "is a MicroCore sidecar that the kernel starts") ||
		!strings.Contains(lines[0], "microcore start") || !strings.Contains(lines[0], "sidecar.json") {
		t.Fatalf("want one sentence on stderr, got %q", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Fatalf("stdout should be empty, got %q", stdout.String())
	}
}

func TestMissingVersionsFailsTheHandshake(t *testing.T) {
	vars := kernelVars(startFakeKernel(t), shortDir(t))
	delete(vars, envVersions)
	out, err := sidecarCmd(vars, os.Args[0], "-test.run=^$").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), CodeSidecarHandshake) {
		t.Fatalf("want exit 1 and %s, got %v: %s", CodeSidecarHandshake, err, out)
	}
}

// The real thing: the test binary as a sidecar process, driven like the kernel
// drives it, then stopped with SIGTERM.
func TestSubprocessSidecar(t *testing.T) {
	fk := startFakeKernel(t)
	dir := shortDir(t)
	cmd := sidecarCmd(kernelVars(fk, dir), os.Args[0], "-test.run=^$")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	socket := filepath.Join(dir, "sdk-test.sock")
	cert := readHandshake(t, stdout, socket)
	exercisePlugin(t, dialPlugin(t, fk, socket, cert), fk, certKey(cert))

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM the sidecar should exit 0: %v", err)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Fatalf("the socket should be gone after SIGTERM: %v", err)
	}
}

// The sidecar exits when its parent does. A shell stands in for the kernel: it
// starts the sidecar in the background and exits when the test closes its stdin.
func TestSidecarExitsWithItsParent(t *testing.T) {
	fk := startFakeKernel(t)
	dir := shortDir(t)
	// The background job's stdin is /dev/null, so `read` waits on the test alone.
	cmd := sidecarCmd(kernelVars(fk, dir), "sh", "-c", `"$0" -test.run='^$' & read -r _ || :`, os.Args[0])
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// An os.Pipe, not StdoutPipe: Wait on the shell would close StdoutPipe while
	// the sidecar still holds the write end, and its EOF is how we see it exit.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	readLine(t, r)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shell: %v", err)
	}

	eof := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		eof <- err
	}()
	select {
	case <-eof:
	case <-time.After(5 * time.Second):
		t.Fatal("the sidecar did not exit within 5s of its parent")
	}
	if _, err := os.Stat(filepath.Join(dir, "sdk-test.sock")); !os.IsNotExist(err) {
		t.Fatalf("the socket should be gone after the parent exits: %v", err)
	}
}
