// Package microcore is the Go SDK for MicroCore plugins: a thin skin over the
// microcore.v1 contract (proto/microcore/v1) that serves the kernel's Plugin
// calls and gives a plugin typed tool clients, over either transport of
// docs/protocol.md. The same source builds as both:
//
//   - a sidecar (go build): Serve does the handshake and serves gRPC; started
//     by hand with MICROCORE_LISTEN set, it waits for a kernel that attaches by
//     address instead (attach.go; docs/protocol.md, "Attached sidecars");
//   - a wasm module (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, see
//     scripts/build-go-wasm.sh; plugin.json needs "wasi": true): the SDK
//     exports mc_on_boot / mc_invoke / mc_on_shutdown and sends tool calls
//     through the host function mc_call. A c-shared module never runs main, so
//     the first mc_on_boot runs it to reach Serve, which then returns. Handlers
//     run one at a time; keep them synchronous.
//
// A plugin's main is one call:
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
// Bus), Statement, Endpoint, HttpHandler, StreamHandler, AuthValidator, Respond,
// Subscription, EventHandler, V, FromValue, Row, Error, Errorf, (*Error).WithFix,
// CodeOf, Kernel.Conn and the Code* constants. Everything else is internal.
//
// A handler's error reaches the client as "<code>: <message>. <fix>", the same
// shape a TypeScript mcError or a Rust Error::new gives: the code's catalogue fix
// (docs/errors.md) unless WithFix gave one of the plugin's own.
package microcore
