package microcore_test

import (
	"context"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type rates struct{}

// The plugin's manifest needs "fetch" and allows the host:
// "tools": {"fetch": {"allow": ["api.example.org"]}}.
func (rates) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: "/rates"},
		func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			res, err := k.Fetch().Get(ctx, "https://api.example.org/rates")
			if err != nil {
				return nil, err // MC_ERR_CAP_DENIED, MC_ERR_HTTP_TIMEOUT ... reach the client as the kernel's error
			}
			return microcore.Respond(res.Status, string(res.Body))
		})
}

// A sidecar serving the plugin above (compiled, not run: Serve needs the kernel).
func ExampleFetch_Get() {
	microcore.Serve(rates{})
}

// Request sends any method, headers and body, with a deadline and a size limit of its own.
func ExampleFetch_Request() {
	order := func(ctx context.Context, k *microcore.Kernel) (*microcorev1.FetchRequestResponse, error) {
		return k.Fetch().Request(ctx, &microcorev1.FetchRequestRequest{
			Method:           "POST",
			Url:              "https://api.example.org/orders",
			Headers:          map[string]string{"content-type": "application/json"},
			Body:             []byte(`{"sku":"A-1"}`),
			TimeoutMs:        2000,
			MaxResponseBytes: 1 << 20,
		})
	}
	_ = order
}
