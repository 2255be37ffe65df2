// Command conformance-probe runs conformance cases through the Go SDK. The same
// source serves two hostings: a sidecar ("go") and, built for wasip1, a wasm
// module ("gowasm", from its manifest's config). It answers one endpoint,
// POST /conformance/<hosting>/run, taking { tool, method, request } where
// request is the proto request message, binary, base64: each probe decodes it
// with its own generated types, so what is compared is what the SDK sent and
// got, not a JSON codec. methods.go holds the switch over tool methods.
//
// Calls that only work in OnBoot (Http.AddEndpoint and its kin: routes are
// fixed once the server listens) come as config CONF_BOOT_<hosting>, one
// "tool method base64" a line; the probe makes them in OnBoot and
// answers their outcomes to { tool: "_boot", method: "<index>" }.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type probe struct {
	k       *microcore.Kernel
	hosting string
	boot    []map[string]any
}

type call struct {
	Tool, Method, Request string
	// PadSQL spaces are appended to a db.Execute request's sql: a request past
	// the message limit could not itself cross into the probe.
	PadSQL int
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
	if err := k.Http.AddEndpoint(ctx, microcore.Endpoint{Method: "POST", Path: "/conformance/" + p.hosting + "/run", Summary: "Runs one conformance case through the Go SDK."}, p.run); err != nil {
		return err
	}
	cfg, err := k.Config.Get(ctx, "CONF_BOOT_"+p.hosting)
	if err != nil || !cfg.Found {
		return err
	}
	for _, line := range strings.Split(cfg.Value, "\n") {
		parts := strings.Split(line, " ")
		if len(parts) != 3 {
			continue
		}
		p.boot = append(p.boot, p.outcome(ctx, call{Tool: parts[0], Method: parts[1], Request: parts[2]}))
	}
	return nil
}

func (p *probe) run(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
	body := microcore.Row(req.GetBody().GetMapValue())
	c := call{}
	c.Tool, _ = body["tool"].(string)
	c.Method, _ = body["method"].(string)
	c.Request, _ = body["request"].(string)
	if pad, ok := body["padSql"].(int64); ok {
		c.PadSQL = int(pad)
	}
	if c.Tool == "_boot" {
		i, err := strconv.Atoi(c.Method)
		if err != nil || i < 0 || i >= len(p.boot) {
			return nil, microcore.Errorf(microcore.CodeInvalidArgument, "conformance probe (%s): no boot call %q (made %d)", p.hosting, c.Method, len(p.boot))
		}
		return microcore.Respond(200, p.boot[i])
	}
	return microcore.Respond(200, p.outcome(ctx, c))
}

// outcome makes one call and answers { response } or { error }, as every probe does.
func (p *probe) outcome(ctx context.Context, c call) map[string]any {
	raw, err := base64.StdEncoding.DecodeString(c.Request)
	if err == nil && c.PadSQL > 0 {
		raw, err = padSQL(raw, c.PadSQL)
	}
	var resp proto.Message
	if err == nil {
		resp, err = p.call(ctx, c.Tool, c.Method, raw)
	}
	if err == nil {
		var out []byte
		if out, err = proto.Marshal(resp); err == nil {
			return map[string]any{"response": base64.StdEncoding.EncodeToString(out)}
		}
	}
	details := map[string]any{}
	message := err.Error()
	var e *microcore.Error
	if errors.As(err, &e) {
		message = e.Message
		for k, v := range e.Details {
			details[k] = v
		}
	}
	return map[string]any{"error": map[string]any{"code": microcore.CodeOf(err), "message": message, "details": details}}
}

func padSQL(raw []byte, n int) ([]byte, error) {
	r := &microcorev1.ExecuteRequest{}
	if err := proto.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	r.Sql += strings.Repeat(" ", n)
	return proto.Marshal(r)
}
