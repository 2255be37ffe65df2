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
	return nil
}
