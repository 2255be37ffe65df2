package main

import (
	"context"

	"google.golang.org/protobuf/proto"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// The fetch tool's cases: a request without headers or body goes through Get,
// any other through Request, as a plugin author would write them.
func init() {
	catalogMethods["fetch.Request"] = func(p *probe, ctx context.Context, raw []byte) (proto.Message, error) {
		r := &microcorev1.FetchRequestRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		plain := (r.Method == "" || r.Method == "GET") && len(r.Headers) == 0 && len(r.Body) == 0 && r.TimeoutMs == 0 && r.MaxResponseBytes == 0 && !r.ManualRedirects
		if plain {
			return p.k.Fetch().Get(ctx, r.Url)
		}
		return p.k.Fetch().Request(ctx, r)
	}
}
