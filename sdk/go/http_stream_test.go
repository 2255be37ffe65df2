//go:build !wasip1

package microcore

import (
	"context"
	"testing"

	"microcore.dev/sdk/go/gen/microcorev1"
)

func TestHttpStreamSendsEventsOnItsStream(t *testing.T) {
	k, ps, fk := busKernel(t)
	ctx := context.Background()
	err := k.Http.AddStream(ctx, "/ticks", func(ctx context.Context, req *microcorev1.HttpRequest) error {
		return k.Http.SendEvent(ctx, req.GetStreamId(), "tick", int64(7), "1")
	})
	if err != nil {
		t.Fatal(err)
	}
	added := fk.find("Http.AddStream")[0].req.(*microcorev1.AddStreamRequest)
	if added.GetPath() != "/ticks" || added.GetHandlerId() == "" {
		t.Fatalf("AddStream sent %v", added)
	}
	in := &microcorev1.InvokeRequest{HandlerId: added.GetHandlerId(), Input: &microcorev1.InvokeRequest_Http{Http: &microcorev1.HttpRequest{StreamId: "s-1"}}}
	out, err := ps.Invoke(ctx, in)
	if err != nil || out.GetError() != nil {
		t.Fatalf("Invoke: %v %v", out, err)
	}
	sent := fk.find("Http.SendEvent")[0].req.(*microcorev1.SendEventRequest)
	if sent.GetStreamId() != "s-1" || sent.GetEvent() != "tick" || sent.GetId() != "1" || sent.GetData().GetIntValue() != 7 {
		t.Fatalf("SendEvent sent %v", sent)
	}
}

func TestHttpAuthValidatorAnswersItsClaims(t *testing.T) {
	k, ps, fk := busKernel(t)
	ctx := context.Background()
	err := k.Http.AddAuthValidator(ctx, "bearer", func(ctx context.Context, req *microcorev1.HttpRequest) (any, error) {
		return map[string]any{"sub": "ada"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	added := fk.find("Http.AddAuthValidator")[0].req.(*microcorev1.AddAuthValidatorRequest)
	if added.GetName() != "bearer" {
		t.Fatalf("AddAuthValidator sent %v", added)
	}
	in := &microcorev1.InvokeRequest{HandlerId: added.GetHandlerId(), Input: &microcorev1.InvokeRequest_Http{Http: &microcorev1.HttpRequest{}}}
	out, err := ps.Invoke(ctx, in)
	if err != nil || Row(out.GetHttp().GetBody().GetMapValue())["sub"] != "ada" {
		t.Fatalf("Invoke: %v %v", out, err)
	}
	if err := k.Http.AddAuthValidator(ctx, "x", nil); CodeOf(err) != CodeInvalidArgument {
		t.Fatalf("a nil validator should be refused, got %v", err)
	}
}
