//go:build !wasip1

package microcore

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Metadata keys of docs/protocol.md, "Calls from the sidecar to the kernel".
const mdTraceparent = "traceparent"

type traceparentKey struct{}

// keepTraceparent is the Plugin server's interceptor: it moves the traceparent
// the kernel sent on OnBoot or Invoke into the context, where the handler's tool
// calls find it. Incoming metadata is not forwarded by grpc-go, and forwarding
// all of it would leak the kernel's headers back to the kernel.
func keepTraceparent(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if tp := md.Get(mdTraceparent); len(tp) > 0 && tp[0] != "" {
			ctx = context.WithValue(ctx, traceparentKey{}, tp[0])
		}
	}
	return next(ctx, req)
}

// kernelCall is the tool clients' interceptor: every call carries the
// traceparent being served, and every failure comes back as *Error. Doing both
// here covers the typed skins and the generated clients alike. Who is calling
// the kernel knows from the TLS client certificate (tls.go), not from metadata.
func kernelCall(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if tp, ok := ctx.Value(traceparentKey{}).(string); ok {
		ctx = metadata.AppendToOutgoingContext(ctx, mdTraceparent, tp)
	}
	return fromGRPC(method, invoke(ctx, method, req, reply, cc, opts...))
}
