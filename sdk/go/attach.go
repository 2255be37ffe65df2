//go:build !wasip1

package microcore

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// An attached sidecar (docs/protocol.md, "Attached sidecars"): started by a
// person, a container or a debugger, it listens on MICROCORE_LISTEN and waits
// for a kernel whose manifest names that address. No pipe joins the two, so
// each end's certificate reaches the other as a file the operator hands over:
// the kernel's (`microcore sidecar cert`) by path in MICROCORE_KERNEL_CERT_FILE,
// and this sidecar's, made on its first run into MICROCORE_TLS_DIR, named by
// the manifest's `cert`. Nothing in the environment is a secret: the private
// key stays in a file only its owner can read.
const (
	envKernelCertFile = "MICROCORE_KERNEL_CERT_FILE"
	envTLSDir         = "MICROCORE_TLS_DIR"
	// The kernel's MC_TOOL_ADDRESS default: the two meet without either being set.
	defaultKernelTCP = "127.0.0.1:7400"
	defaultTLSDir    = "microcore-tls"
	ownKeyFile       = "sidecar.key"
	ownCertFile      = "sidecar.crt"
)

// attachEnv is what an attached sidecar reads from its environment.
type attachEnv struct {
	sidecarEnv
	// Listen is host:port, or an absolute Unix socket path.
	Listen string
	TLSDir string
}

func serveAttached(p Plugin) error {
	env, err := readAttachEnv(os.Getenv)
	if err != nil {
		return err
	}
	// Not the kernel's child: it runs until it is stopped, whatever its parent does.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return runAttached(ctx, env, p)
}

func readAttachEnv(getenv func(string) string) (attachEnv, error) {
	e := attachEnv{Listen: getenv(envListen), TLSDir: getenv(envTLSDir)}
	if e.TLSDir == "" {
		e.TLSDir = defaultTLSDir
	}
	e.KernelAddress = getenv(envKernelAddr)
	if e.KernelAddress == "" {
		e.KernelAddress = defaultKernelTCP
	}
	// Protocol version 3: the call stream rides the one gRPC connection. Version
	// 4's frames socket is named in a handshake line, which no one reads here.
	e.Version = protocolStream
	e.Identity = getenv(envIdentity)
	if e.Identity == "" {
		e.Identity = "microcore-sidecar" // until OnBoot names it
	}
	certFile := getenv(envKernelCertFile)
	if certFile == "" {
		return attachEnv{}, Errorf(CodeSidecarHandshake,
			"%s is set but %s is not: an attached sidecar accepts only the kernel whose certificate it was given; "+
				"run `microcore sidecar cert` in the project and set %s to the file it names", envListen, envKernelCertFile, envKernelCertFile)
	}
	text, err := os.ReadFile(certFile)
	if err == nil {
		e.KernelCert, err = parseKernelCert(string(text))
	}
	if err != nil {
		return attachEnv{}, Errorf(CodeSidecarHandshake,
			"%s is %s, which does not hold the kernel's certificate (%v); `microcore sidecar cert` in the project names the file", envKernelCertFile, certFile, err)
	}
	e.MessageLimit, err = messageLimit(getenv)
	return e, err
}

// runAttached is serveAttached without the process around it, for tests.
func runAttached(ctx context.Context, env attachEnv, p Plugin) error {
	own, certPath, err := lastingCert(env.TLSDir, env.Identity)
	if err != nil {
		return err
	}
	network := "tcp"
	if strings.HasPrefix(env.Listen, "/") {
		network = "unix"
	}
	lis, err := net.Listen(network, env.Listen)
	if err != nil {
		return Errorf(CodeSidecarHandshake, "cannot listen on %s (%s): %v; pick a free address", env.Listen, envListen, err)
	}
	return serve(ctx, env.sidecarEnv, p, own, lis, func(*pluginServer, chan<- error) (func(), error) {
		// What the operator needs for the manifest: the address and the certificate to pin.
		sum := sha256.Sum256(own.Certificate[0])
		logStderr("info", "serving for a kernel that attaches by address", map[string]any{
			"listen": lis.Addr().String(), "cert": certPath, "sha256": hex.EncodeToString(sum[:]), "kernel": env.KernelAddress,
		})
		return func() {}, nil
	})
}

// lastingCert loads this sidecar's key pair from dir, or makes it there on the
// first run (the key 0600): a kernel pins the certificate in its manifest, so
// it must outlive the process. A key others can read is refused, as ssh does.
func lastingCert(dir, commonName string) (tls.Certificate, string, error) {
	keyPath, certPath := filepath.Join(dir, ownKeyFile), filepath.Join(dir, ownCertFile)
	info, err := os.Stat(keyPath)
	if err == nil {
		if info.Mode().Perm()&0o077 != 0 {
			return tls.Certificate{}, "", Errorf(CodeSidecarHandshake,
				"%s, this sidecar's private key, can be read by other users (mode %o): chmod 600 it, or remove %s and %s to make a new pair "+
					"(and give the kernel the new certificate)", keyPath, info.Mode().Perm(), keyPath, certPath)
		}
		pair, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return tls.Certificate{}, "", Errorf(CodeSidecarHandshake, "cannot load this sidecar's key pair from %s (%s): %v; "+
				"remove %s and %s to make a new pair", dir, envTLSDir, err, keyPath, certPath)
		}
		return pair, certPath, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return tls.Certificate{}, "", Errorf(CodeSidecarHandshake, "cannot read %s: %v", keyPath, err)
	}
	own, err := newCert(commonName)
	if err == nil {
		err = writePair(dir, keyPath, certPath, own)
	}
	if err != nil {
		return tls.Certificate{}, "", Errorf(CodeSidecarHandshake, "cannot make this sidecar's key pair in %s (%s): %v; check that it is writable", dir, envTLSDir, err)
	}
	return own, certPath, nil
}

func writePair(dir, keyPath, certPath string, own tls.Certificate) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(own.PrivateKey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// O_EXCL: two first runs at once must not write each other's halves.
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: own.Certificate[0]}), 0o644)
}
