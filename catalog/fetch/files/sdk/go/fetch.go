package microcore

import (
	"context"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Fetch is the fetch tool: outbound HTTP to the hosts the plugin's manifest
// allows ("tools": {"fetch": {"allow": ["api.example.org"]}} in sidecar.json or
// plugin.json; docs/tools/fetch.md). A host not allowed, or a non-public
// address not named in the list, fails with CodeCapDenied; an HTTP error status
// (404, 500) is a response, not an error.
type Fetch struct{ c microcorev1.FetchClient }

// Fetch returns the fetch tool. The plugin must need "fetch" in its manifest.
func (k *Kernel) Fetch() *Fetch { return &Fetch{c: microcorev1.NewFetchClient(k.conn)} }

// Get sends a GET to url and returns the final response (redirects followed,
// each checked against the allow list): status, headers, body, the URL that
// answered and how many redirects it took.
func (f *Fetch) Get(ctx context.Context, url string) (*microcorev1.FetchRequestResponse, error) {
	return f.c.Request(ctx, &microcorev1.FetchRequestRequest{Method: "GET", Url: url})
}

// Request sends the request as given (Fetch.Request): method, URL, headers,
// body, and optionally TimeoutMs, MaxResponseBytes (0 takes the kernel's
// FETCH_TIMEOUT_MS and FETCH_MAX_BYTES, which also cap them) and ManualRedirects.
func (f *Fetch) Request(ctx context.Context, req *microcorev1.FetchRequestRequest) (*microcorev1.FetchRequestResponse, error) {
	return f.c.Request(ctx, req)
}
