// Command bench-item is the bench endpoint in Go (bench/hostings.ts). One source,
// two hostings: a sidecar (built natively) and a wasm module (built for wasip1,
// scripts/build-go-wasm.sh); microcore.Serve picks the transport by build
// target, and the manifest's config "hosting" names the path segment.
// GET /bench/<hosting>/item/:id reads one row with Db.QueryOne and answers it;
// ?calls=K makes the same query K times, so the bench can price one tool call.
// Its twins are ../ts/bench-item.ts and ../rust.
package main

import (
	"context"
	"strconv"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

const (
	query    = "SELECT id, name, price FROM bench_items WHERE id = ?"
	maxCalls = 100
)

type benchItem struct {
	k       *microcore.Kernel
	hosting string
}

func main() {
	microcore.Serve(&benchItem{})
}

func (b *benchItem) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	b.k = k
	b.hosting = k.ManifestConfig["hosting"]
	if b.hosting == "" {
		b.hosting = "go"
	}
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "GET", Path: "/bench/" + b.hosting + "/item/:id", Summary: "One bench item (?calls=K: read it K times)"}, b.item)
}

func (b *benchItem) item(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	calls := 1
	if c, ok := req.GetQuery()["calls"]; ok {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > maxCalls {
			return nil, microcore.Errorf(microcore.CodeInvalidArgument, "GET /bench/%s/item/:id: calls must be a whole number from 1 to %d (received %q)", b.hosting, maxCalls, c)
		}
		calls = n
	}
	id := req.GetParams()["id"]
	var one *microcorev1.QueryOneResponse
	for i := 0; i < calls; i++ {
		var err error
		if one, err = b.k.Db.QueryOne(ctx, query, id); err != nil {
			return nil, err
		}
	}
	if !one.GetFound() {
		return nil, microcore.Errorf(microcore.CodeNotFound, "no bench item with id %s", id)
	}
	return microcore.Respond(0, one.GetRow())
}
