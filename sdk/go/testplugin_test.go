package microcore

import (
	"context"
	"errors"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// testPlugin is the sidecar the harness runs, in process and as a subprocess.
type testPlugin struct{}

func (testPlugin) OnBoot(ctx context.Context, k *Kernel) error {
	if k.ManifestConfig["fail"] == "yes" {
		return Errorf(CodeConfigMissing, "test boot failure")
	}
	if err := k.Logger.Info(ctx, "booting", map[string]any{"identity": k.Identity}); err != nil {
		return err
	}
	endpoints := map[string]HttpHandler{
		"/t/echo": func(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			resp, err := k.Db.Query(ctx, "SELECT ?, ?", int64(9007199254740993), []byte{0x00, 0xff})
			if err != nil {
				return nil, err
			}
			return Respond(0, resp.GetRows()[0])
		},
		"/t/denied": func(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			_, err := k.State.Get(ctx, "anything")
			return nil, err
		},
		"/t/bad-sql": func(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			_, err := k.Db.Query(ctx, "SELEC 1")
			return nil, err
		},
		"/t/plain": func(context.Context, *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			return nil, errors.New("boom")
		},
		"/t/panic": func(context.Context, *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			panic("kaboom")
		},
	}
	for path, h := range endpoints {
		if err := k.Http.AddEndpoint(ctx, Endpoint{Method: "GET", Path: path}, h); err != nil {
			return err
		}
	}
	return subscribeTestHandlers(ctx, k)
}

// testEvents are the test plugin's subscriptions by topic, with the options the
// harness expects the kernel to receive.
var testEvents = map[string]Subscription{
	"t.echo":    {Topic: "t.echo", Group: "g", MaxRetries: 2},
	"t.values":  {Topic: "t.values", Broadcast: true},
	"t.bad-sql": {Topic: "t.bad-sql"},
	"t.nil":     {Topic: "t.nil"},
}

func subscribeTestHandlers(ctx context.Context, k *Kernel) error {
	handlers := map[string]EventHandler{
		// Returns the payload exactly as it came, after a tool call that shows
		// which traceparent the handler's calls carry.
		"t.echo": func(ctx context.Context, ev *microcorev1.Envelope) (any, error) {
			if _, err := k.Db.Query(ctx, "SELECT ?", ev.GetPayload()); err != nil {
				return nil, err
			}
			return ev.GetPayload(), nil
		},
		// Returns Go values, converted as V does.
		"t.values": func(_ context.Context, ev *microcorev1.Envelope) (any, error) {
			return map[string]any{"big": int64(9007199254740993), "blob": []byte{0x00, 0xff, 0x10, 0x80},
				"absent": nil, "source": ev.GetSource()}, nil
		},
		"t.bad-sql": func(ctx context.Context, _ *microcorev1.Envelope) (any, error) {
			_, err := k.Db.Query(ctx, "SELEC 1")
			return nil, err
		},
		"t.nil": func(context.Context, *microcorev1.Envelope) (any, error) { return nil, nil },
	}
	for topic, h := range handlers {
		if _, err := k.Bus.Subscribe(ctx, testEvents[topic], h); err != nil {
			return err
		}
	}
	return nil
}
