package microcore

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The environment the kernel sets when it starts a sidecar (docs/protocol.md,
// "Start and handshake").
const (
	envCookie     = "MICROCORE_PLUGIN_COOKIE"
	envVersions   = "MICROCORE_PROTOCOL_VERSIONS"
	envKernelAddr = "MICROCORE_KERNEL_ADDRESS"
	envKernelCert = "MICROCORE_KERNEL_CERT"
	envIdentity   = "MICROCORE_IDENTITY"
	envSocketDir  = "MICROCORE_SOCKET_DIR"
	// Set by whoever starts an attached sidecar instead (attach.go): where it listens.
	envListen = "MICROCORE_LISTEN"
	// The most bytes one message between kernel and sidecar may hold, both ways
	// (the kernel's MC_MESSAGE_LIMIT_BYTES); absent: defaultMessageLimit.
	envMessageLimit     = "MICROCORE_MESSAGE_LIMIT"
	defaultMessageLimit = 8 << 20
	cookieValue         = "microcore-sidecar-v1"
	coreProtocol        = 1
	// Version 1 carried a bearer token in the environment, which any process of
	// the same user could read; version 2 is mutual TLS (tls.go), every call a
	// unary gRPC call; version 3 adds the call stream on Plugin.Connect
	// (stream.go); version 4 carries the same frames on a socket of their own
	// (frames.go), preferred.
	protocolFrames = "4"
	protocolStream = "3"
	protocolUnary  = "2"
	healthService  = "plugin"
	// sun_path holds 108 bytes on Linux and 104 on macOS, NUL included; the
	// protocol promises the kernel paths under 107 bytes.
	maxSocketPath = 106
)

// sidecarEnv is what Serve reads from the environment; tests build it directly.
type sidecarEnv struct {
	KernelAddress string
	// KernelCert is the only certificate the sidecar accepts from the kernel.
	KernelCert *x509.Certificate
	Identity   string
	SocketDir  string
	Version    string
	// MessageLimit bounds every message sent or received, as the kernel does.
	MessageLimit int
}

// notStartedByKernel is the one sentence a sidecar run by hand prints.
func notStartedByKernel(program string) string {
	name := filepath.Base(program)
	return fmt.Sprintf("%s is a MicroCore sidecar that the kernel starts, not a program to run by hand (%s is missing): "+
		"run `microcore start` in the project, which starts every sidecar listed in sidecars/<name>/sidecar.json "+
		"(or set %s to serve a kernel that attaches to it by address: docs/protocol.md, \"Attached sidecars\").",
		name, envCookie, envListen)
}

// readEnv checks the handshake variables (the cookie aside) and picks the version.
func readEnv(getenv func(string) string) (sidecarEnv, error) {
	version, err := pickVersion(getenv(envVersions))
	if err != nil {
		return sidecarEnv{}, err
	}
	e := sidecarEnv{
		KernelAddress: getenv(envKernelAddr),
		Identity:      getenv(envIdentity),
		SocketDir:     getenv(envSocketDir),
		Version:       version,
	}
	for _, v := range []struct{ name, value string }{
		{envKernelAddr, e.KernelAddress}, {envKernelCert, getenv(envKernelCert)}, {envIdentity, e.Identity}, {envSocketDir, e.SocketDir},
	} {
		if v.value == "" {
			return sidecarEnv{}, Errorf(CodeSidecarHandshake,
				"%s is not set, though %s is: the kernel sets both when it starts a sidecar; "+
					"start the sidecar with `microcore start`, or set every variable docs/protocol.md lists", v.name, envCookie)
		}
	}
	cert, err := parseKernelCert(getenv(envKernelCert))
	if err != nil {
		return sidecarEnv{}, err
	}
	e.KernelCert = cert
	e.MessageLimit, err = messageLimit(getenv)
	return e, err
}

// messageLimit reads MICROCORE_MESSAGE_LIMIT; absent, defaultMessageLimit.
func messageLimit(getenv func(string) string) (int, error) {
	raw := getenv(envMessageLimit)
	if raw == "" {
		return defaultMessageLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		return 0, Errorf(CodeSidecarHandshake, "%s is %q, not a number of bytes; the kernel sets it from MC_MESSAGE_LIMIT_BYTES (an attached sidecar: set it to the same)", envMessageLimit, raw)
	}
	return n, nil
}

func pickVersion(offered string) (string, error) {
	if strings.TrimSpace(offered) == "" {
		return "", Errorf(CodeSidecarHandshake,
			"%s is not set, so no protocol version can be agreed: this SDK speaks version %s; "+
				"start the sidecar with `microcore start`", envVersions, protocolFrames+", "+protocolStream+" or "+protocolUnary)
	}
	versions := strings.Split(offered, ",")
	for i := range versions {
		versions[i] = strings.TrimSpace(versions[i])
	}
	for _, v := range []string{protocolFrames, protocolStream, protocolUnary} {
		if slices.Contains(versions, v) {
			return v, nil
		}
	}
	return "", Errorf(CodeSidecarHandshake,
		"the kernel speaks protocol versions %q (%s) and this SDK speaks %s, %s and %s: "+
			"upgrade microcore.dev/sdk/go or the kernel so they share a version", offered, envVersions, protocolFrames, protocolStream, protocolUnary)
}

// socketPath names the socket after the identity (sidecar/parity-go →
// parity-go.sock) so a listing of the directory says whose it is. The kernel
// gives every sidecar the same directory, so the fallback for a deep directory
// is still per identity: a hash, s-1a2b3c4d.sock. The frames socket beside it
// (framesPath) must fit too, so the check counts its longer suffix.
func socketPath(dir, identity string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", Errorf(CodeSidecarHandshake, "%s %q cannot be made absolute: %v", envSocketDir, dir, err)
	}
	name := identity[strings.LastIndex(identity, "/")+1:]
	path := filepath.Join(abs, name+".sock")
	if name == "" || strings.ContainsAny(name, `\`) || len(framesPath(path)) > maxSocketPath {
		path = filepath.Join(abs, fallbackSocketName(identity))
	}
	if len(framesPath(path)) > maxSocketPath {
		return "", Errorf(CodeSidecarHandshake,
			"%s %q is too long for a Unix socket path (%d bytes, at most %d): use a shorter directory",
			envSocketDir, abs, len(framesPath(path)), maxSocketPath)
	}
	return path, nil
}

// framesPath is the frames socket of protocol version 4, beside the gRPC one:
// parity-go.sock → parity-go.frames.
func framesPath(socket string) string {
	return strings.TrimSuffix(socket, ".sock") + ".frames"
}

// handshakeLine is the one line the kernel reads on stdout; its last field is
// the sidecar's certificate, base64 (standard, padded) DER, as go-plugin's.
// Version 4 adds a seventh field: the frames socket (frames.go).
func handshakeLine(version, path string, certDER []byte, framesPath string) string {
	line := fmt.Sprintf("%d|%s|unix|%s|grpc|%s", coreProtocol, version, path, base64.StdEncoding.EncodeToString(certDER))
	if framesPath != "" {
		line += "|" + framesPath
	}
	return line + "\n"
}

func fallbackSocketName(identity string) string {
	h := fnv.New32a()
	h.Write([]byte(identity))
	return fmt.Sprintf("s-%08x.sock", h.Sum32())
}

// parseKernelCert reads MICROCORE_KERNEL_CERT: one PEM certificate.
func parseKernelCert(text string) (*x509.Certificate, error) {
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, Errorf(CodeSidecarHandshake, "%s does not hold a PEM certificate (want -----BEGIN CERTIFICATE-----): "+
			"the kernel sets it; start the sidecar with `microcore start`", envKernelCert)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, Errorf(CodeSidecarHandshake, "%s holds more than one PEM block; the kernel sets exactly one certificate", envKernelCert)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, Errorf(CodeSidecarHandshake, "%s is not an X.509 certificate: %v", envKernelCert, err)
	}
	return cert, nil
}
