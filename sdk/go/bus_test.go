//go:build !wasip1

package microcore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// busKernel is a Kernel on the fake kernel, with the Plugin server that would
// serve its handlers, for calling Bus without the handshake around it.
func busKernel(t *testing.T) (*Kernel, *pluginServer, *fakeKernel) {
	t.Helper()
	fk := startFakeKernel(t)
	own := mustCert(t, "sidecar/bus-test")
	busClients.Store(fk, own.Certificate[0])
	conn, err := grpc.NewClient(fk.addr, grpc.WithTransportCredentials(credentials.NewTLS(clientTLS(own, fk.cert.Leaf))),
		grpc.WithUnaryInterceptor(kernelCall))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	handlers := newHandlerTable()
	k := newKernel(conn, "sidecar/bus-test", handlers)
	return k, &pluginServer{plugin: testPlugin{}, kernel: k, handlers: handlers}, fk
}

// busClients holds the certificate each busKernel's client shows its fake kernel.
var busClients sync.Map

func busClientCert(fk *fakeKernel) []byte {
	der, _ := busClients.Load(fk)
	return der.([]byte)
}

func TestBusPublish(t *testing.T) {
	k, _, fk := busKernel(t)
	ctx := context.WithValue(context.Background(), traceparentKey{}, tpInvoke)
	id, err := k.Bus.Publish(ctx, "t.created", map[string]any{"n": int64(9007199254740993)}, "k1")
	if err != nil || id != "ev-t.created" {
		t.Fatalf("Publish: %q, %v", id, err)
	}
	c := fk.find("Bus.Publish")[0]
	req := c.req.(*microcorev1.PublishRequest)
	if req.GetKey() != "k1" || Row(req.GetPayload().GetMapValue())["n"] != int64(9007199254740993) ||
		c.caller != certKey(busClientCert(fk)) || c.traceparent != tpInvoke {
		t.Fatalf("Publish sent %v from %q with traceparent %q", req, c.caller, c.traceparent)
	}
	if _, err := k.Bus.Publish(ctx, "t.refused", nil, ""); CodeOf(err) != CodeBusPublish {
		t.Fatalf("a refused publish should return the kernel's error, got %v", err)
	}
	if _, err := k.Bus.Publish(ctx, "t.x", make(chan int), ""); CodeOf(err) != CodeValueUnsupported ||
		!strings.Contains(err.Error(), "payload has Go type chan int") {
		t.Fatalf("an unsupported payload should fail before the call, got %v", err)
	}
	if n := len(fk.find("Bus.Publish")); n != 2 {
		t.Fatalf("want 2 Publish calls to reach the kernel, got %d", n)
	}
}

func TestBusRequest(t *testing.T) {
	k, _, fk := busKernel(t)
	ctx := context.Background()
	payload := map[string]any{"blob": []byte{0x00, 0xff}, "absent": nil}
	reply, err := k.Bus.Request(ctx, "t.echo", payload, 2*time.Second)
	want, _ := V(payload)
	if err != nil || !proto.Equal(reply, want) {
		t.Fatalf("Request: %v, %v", reply, err)
	}
	for _, tc := range []struct {
		timeout time.Duration
		ms      int64
	}{{0, 0}, {2 * time.Second, 2000}, {500 * time.Microsecond, 1}} {
		if _, err := k.Bus.Request(ctx, "t.echo", nil, tc.timeout); err != nil {
			t.Fatal(err)
		}
		calls := fk.find("Bus.Request")
		if got := calls[len(calls)-1].req.(*microcorev1.BusRequestRequest).GetTimeoutMs(); got != tc.ms {
			t.Errorf("timeout %v: sent timeout_ms %d, want %d", tc.timeout, got, tc.ms)
		}
	}
	if reply, err := k.Bus.Request(ctx, "t.silent", nil, 0); err != nil || reply.GetKind() == nil {
		t.Fatalf("an answer without a payload should read as an explicit null, got %v, %v", reply, err)
	}
	_, err = k.Bus.Request(ctx, "t.nobody", nil, 0)
	if CodeOf(err) != CodeBusNoSubscriber || !strings.Contains(err.Error(), "no plugin subscribes to t.nobody") {
		t.Fatalf("want the kernel's %s, got %v", CodeBusNoSubscriber, err)
	}
}

func TestBusSubscribeAndUnsubscribe(t *testing.T) {
	k, srv, fk := busKernel(t)
	ctx := context.Background()
	handler := func(context.Context, *microcorev1.Envelope) (any, error) { return "ok", nil }
	event := func(id string) *microcorev1.InvokeResponse {
		resp, err := srv.Invoke(ctx, &microcorev1.InvokeRequest{HandlerId: id,
			Input: &microcorev1.InvokeRequest_Event{Event: &microcorev1.Envelope{Topic: "t.a"}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	if _, err := k.Bus.Subscribe(ctx, Subscription{Topic: "t.a"}, nil); CodeOf(err) != CodeInvalidArgument {
		t.Fatalf("a nil handler should be refused before the call, got %v", err)
	}
	if _, err := k.Bus.Subscribe(ctx, Subscription{Topic: "t.refused"}, handler); CodeOf(err) != CodeBusPublish {
		t.Fatalf("a refused subscription should return the kernel's error, got %v", err)
	}
	if e := event("h1").GetError(); e.GetCode() != CodeHandlerUnknown {
		t.Fatalf("a refused subscription must leave no handler behind, got %v", e)
	}

	sub, err := k.Bus.Subscribe(ctx, Subscription{Topic: "t.a"}, handler)
	if err != nil || sub != "sub-h2" {
		t.Fatalf("Subscribe: %q, %v", sub, err)
	}
	if v := event("h2").GetValue(); v.GetStringValue() != "ok" {
		t.Fatalf("event: %v", v)
	}
	if err := k.Bus.Unsubscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if got := fk.find("Bus.Unsubscribe")[0].req.(*microcorev1.UnsubscribeRequest).GetSubscriptionId(); got != sub {
		t.Fatalf("Unsubscribe sent %q", got)
	}
	if e := event("h2").GetError(); e.GetCode() != CodeHandlerUnknown {
		t.Fatalf("after Unsubscribe the handler should be gone, got %v", e)
	}
}

func TestEventHandlerErrors(t *testing.T) {
	k, srv, _ := busKernel(t)
	ctx := context.Background()
	handlers := []EventHandler{
		func(context.Context, *microcorev1.Envelope) (any, error) {
			return nil, Errorf(CodeConflict, "taken").withDetails(map[string]string{"id": "7"})
		},
		func(context.Context, *microcorev1.Envelope) (any, error) { return make(chan int), nil },
		func(context.Context, *microcorev1.Envelope) (any, error) { panic("kaboom") },
	}
	var ids []string
	for _, h := range handlers {
		sub, err := k.Bus.Subscribe(ctx, Subscription{Topic: "t.e"}, h)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.TrimPrefix(sub, "sub-"))
	}
	errorOf := func(id string) *microcorev1.Error {
		resp, err := srv.Invoke(ctx, &microcorev1.InvokeRequest{HandlerId: id,
			Input: &microcorev1.InvokeRequest_Event{Event: &microcorev1.Envelope{}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetError()
	}
	if e := errorOf(ids[0]); !proto.Equal(e, &microcorev1.Error{Code: CodeConflict, Message: "taken",
		Details: map[string]string{"id": "7"}}) {
		t.Fatalf("a handler's *Error must pass unchanged, got %v", e)
	}
	if e := errorOf(ids[1]); e.GetCode() != CodeValueUnsupported || !strings.Contains(e.GetMessage(), "chan int") {
		t.Fatalf("an unsendable return value: %v", e)
	}
	if e := errorOf(ids[2]); e.GetCode() != CodeHandlerFailed || !strings.Contains(e.GetMessage(), "kaboom") ||
		e.GetDetails()["where"] != "subscription t.e" {
		t.Fatalf("a panicking handler: %v", e)
	}
}
