// Package microcore is the Go SDK for MicroCore sidecars: a thin skin over the
// microcore.v1 contract (proto/microcore/v1) that does the handshake of
// docs/protocol.md, serves the kernel's Plugin calls, and gives a plugin typed
// tool clients.
//
// A sidecar's main is one call:
//
//	func main() { microcore.Serve(hello{}) }
//
//	type hello struct{}
//
//	func (hello) OnBoot(ctx context.Context, k *microcore.Kernel) error {
//		return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: "/hello/go"},
//			func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
//				return microcore.Respond(0, map[string]any{"hello": "go"})
//			})
//	}
//
// The public surface: Serve, Plugin, Kernel (Db, Http, Logger, State, Config,
// Bus), Statement, Endpoint, HttpHandler, Respond, Subscription, EventHandler, V,
// FromValue, Row, Error, Errorf, CodeOf and the Code* constants. Everything else
// is internal.
package microcore
