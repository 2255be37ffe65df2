// Command conformance-probe runs conformance cases through the Go SDK. The same
// source serves two hostings: a sidecar ("go") and, built for wasip1, a wasm
// module ("gowasm", from its manifest's config). It answers one endpoint,
// POST /conformance/<hosting>/run, taking { tool, method, request } where
// request is the proto request message, binary, base64: each probe decodes it
// with its own generated types, so what is compared is what the SDK sent and
// got, not a JSON codec. methods.go holds the switch over tool methods.
package main

import (
	"context"
	"encoding/base64"
	"errors"

	"google.golang.org/protobuf/proto"
	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type probe struct {
	k       *microcore.Kernel
	hosting string
}

func main() {
	microcore.Serve(&probe{})
}

func (p *probe) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	p.k = k
	p.hosting = k.ManifestConfig["hosting"]
	if p.hosting == "" {
		p.hosting = "go"
	}
	return k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "POST", Path: "/conformance/" + p.hosting + "/run", Summary: "Runs one conformance case through the Go SDK."}, p.run)
}

func (p *probe) run(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	body := microcore.Row(req.GetBody().GetMapValue())
	tool, _ := body["tool"].(string)
	method, _ := body["method"].(string)
	encoded, _ := body["request"].(string)
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, microcore.Errorf(microcore.CodeInvalidArgument, "conformance probe: request is not base64: %v", err)
	}
	resp, err := p.call(ctx, tool, method, raw)
	if err != nil {
		code := microcore.CodeOf(err)
		details := map[string]any{}
		message := err.Error()
		var e *microcore.Error
		if errors.As(err, &e) {
			message = e.Message
			for k, v := range e.Details {
				details[k] = v
			}
		}
		return microcore.Respond(200, map[string]any{"error": map[string]any{"code": code, "message": message, "details": details}})
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		return nil, err
	}
	return microcore.Respond(200, map[string]any{"response": base64.StdEncoding.EncodeToString(out)})
}
