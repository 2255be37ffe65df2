//go:build !wasip1

package microcore

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Serve runs p as a sidecar (built for wasip1, as a wasm module instead:
// serve_wasip1.go): it does the handshake of docs/protocol.md, serves
// the kernel's calls until SIGTERM, SIGINT or the kernel's exit, and then exits
// the process. It never returns. Run by hand with MICROCORE_LISTEN set, it
// serves a kernel that attaches to it by address instead (attach.go); run by
// hand without, it prints one sentence saying so and exits 1.
func Serve(p Plugin) {
	var err error
	switch {
	case os.Getenv(envCookie) == cookieValue:
		err = serveStarted(p)
	case os.Getenv(envListen) != "":
		err = serveAttached(p)
	default:
		fmt.Fprintln(os.Stderr, notStartedByKernel(os.Args[0]))
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serveStarted(p Plugin) error {
	env, err := readEnv(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := lifetimeContext()
	defer stop()
	return run(ctx, env, p, os.Stdout)
}

// run is Serve without the process around it: tests call it with an explicit
// environment and stdout. It returns nil once ctx ends and calls have drained.
func run(ctx context.Context, env sidecarEnv, p Plugin, stdout io.Writer) error {
	own, err := newCert(env.Identity)
	if err != nil {
		return Errorf(CodeSidecarHandshake, "cannot make the sidecar's key pair and certificate: %v", err)
	}
	path, err := socketPath(env.SocketDir, env.Identity)
	if err != nil {
		return err
	}
	// A socket left by an earlier run of this sidecar would make Listen fail.
	_ = os.Remove(path)
	lis, err := net.Listen("unix", path)
	if err != nil {
		return Errorf(CodeSidecarHandshake, "cannot listen on %s: %v; check that %s is writable", path, err, envSocketDir)
	}
	return serve(ctx, env, p, own, lis, func(ps *pluginServer, served chan<- error) (func(), error) {
		frames := ""
		cleanup := func() {}
		if env.Version == protocolFrames {
			frames = framesPath(path)
			_ = os.Remove(frames)
			flis, err := net.Listen("unix", frames)
			if err != nil {
				return nil, Errorf(CodeSidecarHandshake, "cannot listen on %s: %v; check that %s is writable", frames, err, envSocketDir)
			}
			cleanup = func() { flis.Close() }
			go func() { served <- serveFrames(flis, serverTLS(own, env.KernelCert), ps) }()
		}
		// The listeners exist before the line is printed, so the kernel can dial
		// as soon as it reads it.
		if _, err := io.WriteString(stdout, handshakeLine(env.Version, path, own.Certificate[0], frames)); err != nil {
			cleanup()
			return nil, Errorf(CodeSidecarHandshake, "cannot print the handshake line on stdout: %v", err)
		}
		return cleanup, nil
	})
}

// serve serves p on lis (mutual TLS: own, and the kernel's certificate alone)
// with a tool connection to the kernel, until ctx ends. announce runs once the
// Plugin server is serving: it tells the kernel where (the handshake line) or
// the operator (an attached sidecar's log line), and may serve more on served.
func serve(ctx context.Context, env sidecarEnv, p Plugin, own tls.Certificate, lis net.Listener,
	announce func(ps *pluginServer, served chan<- error) (func(), error)) error {
	if env.MessageLimit == 0 {
		env.MessageLimit = defaultMessageLimit
	}
	conn, err := grpc.NewClient(env.KernelAddress,
		grpc.WithTransportCredentials(credentials.NewTLS(clientTLS(own, env.KernelCert))),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(env.MessageLimit), grpc.MaxCallSendMsgSize(env.MessageLimit)),
		grpc.WithUnaryInterceptor(kernelCall))
	if err != nil {
		lis.Close()
		return Errorf(CodeSidecarHandshake, "%s %q is not a gRPC target (want unix:///abs/path/kernel.sock, or host:port for an attached sidecar): %v",
			envKernelAddr, env.KernelAddress, err)
	}
	defer conn.Close()

	handlers := newHandlerTable()
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS(own, env.KernelCert))),
		grpc.MaxRecvMsgSize(env.MessageLimit), grpc.MaxSendMsgSize(env.MessageLimit),
		grpc.UnaryInterceptor(keepTraceparent))
	ps := &pluginServer{
		plugin: p, kernel: newKernel(kernelConn{unary: conn}, env.Identity, handlers), handlers: handlers,
		limit: env.MessageLimit,
	}
	microcorev1.RegisterPluginServer(srv, ps)
	hs := health.NewServer()
	hs.SetServingStatus(healthService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)

	served := make(chan error, 2)
	go func() { served <- srv.Serve(lis) }()
	cleanup, err := announce(ps, served)
	if err != nil {
		srv.Stop()
		return err
	}
	defer cleanup()

	select {
	case <-ctx.Done():
		hs.Shutdown()
		stopGracefully(srv, gracePeriod)
		<-served
		return nil
	case err := <-served:
		if err == nil {
			err = fmt.Errorf("it closed")
		}
		return Errorf(CodeInternal, "the Plugin server on %s stopped: %v", lis.Addr(), err)
	}
}
