package microcore_test

import (
	"context"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type hello struct{}

func (hello) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: "/hello/go", Summary: "Says hello."},
		func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			return microcore.Respond(0, map[string]any{"hello": "go"})
		})
}

// A sidecar's whole main. Having no Output comment, it is compiled but not run
// (Serve needs the kernel), which keeps the package documentation's example honest.
func ExampleServe() {
	microcore.Serve(hello{})
}
