//go:build !wasip1

package microcore

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

const (
	tpBoot   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tpInvoke = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
)

// readLine reads the handshake line, failing the test if none comes.
func readLine(t *testing.T, r io.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		return strings.TrimSuffix(line, "\n")
	case <-time.After(10 * time.Second):
		t.Fatal("no handshake line within 10s")
		return ""
	}
}

// readHandshake reads the handshake line, checks it names socket, and returns
// the sidecar's certificate (DER) from its last field.
func readHandshake(t *testing.T, r io.Reader, socket string) []byte {
	t.Helper()
	return readHandshakeOf(t, r, socket, protocolStream)
}

// readHandshakeOf reads a handshake line of version; version 4's must end
// with the frames socket beside socket.
func readHandshakeOf(t *testing.T, r io.Reader, socket, version string) []byte {
	t.Helper()
	line := readLine(t, r)
	prefix := "1|" + version + "|unix|" + socket + "|grpc|"
	b64, ok := strings.CutPrefix(line, prefix)
	if version == protocolFrames && ok {
		b64, ok = strings.CutSuffix(b64, "|"+framesPath(socket))
	}
	if !ok {
		t.Fatalf("handshake line %q, want %q + base64 certificate", line, prefix)
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("handshake certificate %q: %v", b64, err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatalf("handshake certificate: %v", err)
	}
	return der
}

// dialPlugin dials the sidecar as the fake kernel: showing its certificate and
// accepting only the sidecar's (sidecarDER, from the handshake line).
func dialPlugin(t *testing.T, fk *fakeKernel, socket string, sidecarDER []byte) microcorev1.PluginClient {
	t.Helper()
	plugin, err := dialPluginAt(t, "unix://"+socket, fk.cert, sidecarDER)
	if err != nil {
		t.Fatal(err)
	}
	return plugin
}

// dialPluginAt dials target as the kernel holding own would, pinned to
// sidecarDER, and checks its health; the error is the health check's.
func dialPluginAt(t *testing.T, target string, own tls.Certificate, sidecarDER []byte) (microcorev1.PluginClient, error) {
	t.Helper()
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(credentials.NewTLS(pinnedTo(t, own, sidecarDER))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: healthService})
	if err == nil && h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("health of %q: %v", healthService, h.GetStatus())
	}
	return microcorev1.NewPluginClient(conn), err
}

// pinnedTo is a client TLS config that shows own and accepts only peerDER.
func pinnedTo(t *testing.T, own tls.Certificate, peerDER []byte) *tls.Config {
	t.Helper()
	peer, err := x509.ParseCertificate(peerDER)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(peer)
	return &tls.Config{Certificates: []tls.Certificate{own}, RootCAs: pool, ServerName: peerName}
}

func withTrace(tp string) context.Context {
	ctx := context.Background()
	if tp != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, mdTraceparent, tp)
	}
	return ctx
}

// exercisePlugin drives a served testPlugin the way the kernel does and checks
// what reached the fake kernel. Shared by the in-process and subprocess sidecar
// tests (plugin dialed over gRPC) and the wasm transport test (plugin called
// through the Extism exports' bodies, wasm_test.go).
func exercisePlugin(t *testing.T, plugin microcorev1.PluginClient, fk *fakeKernel, caller string) {
	t.Helper()
	boot, err := plugin.OnBoot(withTrace(tpBoot), &microcorev1.OnBootRequest{Identity: "sidecar/sdk-test"})
	if err != nil || boot.GetError() != nil {
		t.Fatalf("OnBoot: %v, %v", boot.GetError(), err)
	}

	ids := map[string]string{}
	for _, c := range append(fk.find("Http.AddEndpoint"), fk.find("Logger.Log")...) {
		if c.caller != caller || c.traceparent != tpBoot {
			t.Fatalf("%s during OnBoot came from %q with traceparent %q", c.method, c.caller, c.traceparent)
		}
		if req, ok := c.req.(*microcorev1.AddEndpointRequest); ok {
			ids[req.GetPath()] = req.GetHandlerId()
		}
	}
	if len(ids) != 5 || !strings.HasPrefix(ids["/t/echo"], "h") {
		t.Fatalf("want 5 endpoints with ids h1..h5, got %v", ids)
	}

	invoke := func(id, tp string) *microcorev1.InvokeResponse {
		t.Helper()
		resp, err := plugin.Invoke(withTrace(tp), &microcorev1.InvokeRequest{HandlerId: id,
			Input: &microcorev1.InvokeRequest_Http{Http: &microcorev1.HttpRequest{Method: "GET"}}})
		if err != nil {
			t.Fatalf("Invoke %s: %v", id, err)
		}
		return resp
	}

	body := Row(invoke(ids["/t/echo"], tpInvoke).GetHttp().GetBody().GetMapValue())
	if body["p0"] != int64(9007199254740993) || string(body["p1"].([]byte)) != "\x00\xff" {
		t.Fatalf("echo body: %#v", body)
	}
	queries := fk.find("Db.Query")
	if last := queries[len(queries)-1]; last.caller != caller || last.traceparent != tpInvoke {
		t.Fatalf("Db.Query during Invoke came from %q with traceparent %q", last.caller, last.traceparent)
	}
	invoke(ids["/t/echo"], "")
	queries = fk.find("Db.Query")
	if last := queries[len(queries)-1]; last.traceparent != "" {
		t.Fatalf("no traceparent came in, yet %q went out", last.traceparent)
	}

	wantError := func(id, code, text string) {
		t.Helper()
		e := invoke(id, tpInvoke).GetError()
		if e.GetCode() != code || !strings.Contains(e.GetMessage(), text) {
			t.Fatalf("Invoke %s: want %s containing %q, got %v", id, code, text, e)
		}
	}
	wantError(ids["/t/denied"], CodeCapDenied, "its needs do not list 'state'")
	wantError(ids["/t/bad-sql"], CodeDbQuery, `near "SELEC"`)
	wantError(ids["/t/plain"], CodeHandlerFailed, "boom")
	wantError(ids["/t/panic"], CodeHandlerFailed, "kaboom")
	wantError("h999", CodeHandlerUnknown, "h999")

	exerciseEvents(t, plugin, fk, caller, ids)
}

// exerciseEvents checks the test plugin's subscriptions: what Subscribe sent,
// and what an event Invoke answers. endpoints are the AddEndpoint ids by path.
func exerciseEvents(t *testing.T, plugin microcorev1.PluginClient, fk *fakeKernel, caller string, endpoints map[string]string) {
	t.Helper()
	topics := map[string]string{}
	for _, c := range fk.find("Bus.Subscribe") {
		req := c.req.(*microcorev1.SubscribeRequest)
		want := testEvents[req.GetTopic()]
		if c.caller != caller || c.traceparent != tpBoot {
			t.Fatalf("Bus.Subscribe during OnBoot came from %q with traceparent %q", c.caller, c.traceparent)
		}
		if req.GetGroup() != want.Group || req.GetBroadcast() != want.Broadcast || req.GetMaxRetries() != want.MaxRetries {
			t.Fatalf("Bus.Subscribe %s: want %+v, got %v", req.GetTopic(), want, req)
		}
		topics[req.GetTopic()] = req.GetHandlerId()
	}
	// Endpoints and subscriptions share one id sequence: h1..h9, each once.
	seen := map[string]bool{}
	for _, id := range endpoints {
		seen[id] = true
	}
	for _, id := range topics {
		seen[id] = true
	}
	for i := 1; i <= len(endpoints)+len(testEvents); i++ {
		if !seen["h"+strconv.Itoa(i)] {
			t.Fatalf("want handler ids h1..h%d once each, got endpoints %v and subscriptions %v",
				len(endpoints)+len(testEvents), endpoints, topics)
		}
	}

	invoke := func(id, tp string, payload *microcorev1.Value) *microcorev1.InvokeResponse {
		t.Helper()
		resp, err := plugin.Invoke(withTrace(tp), &microcorev1.InvokeRequest{HandlerId: id,
			Input: &microcorev1.InvokeRequest_Event{Event: &microcorev1.Envelope{
				Id: "ev-1", Topic: "t", Payload: payload, Source: "sidecar/other", Attempt: 1}}})
		if err != nil {
			t.Fatalf("Invoke %s: %v", id, err)
		}
		return resp
	}

	sent, err := V(map[string]any{"big": int64(9007199254740993), "blob": []byte{0x00, 0xff, 0x10, 0x80},
		"absent": nil, "text": "héllo wörld ✓ 日本語 🚀", "list": []any{int64(-1), 1.5, true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := invoke(topics["t.echo"], tpInvoke, sent); !proto.Equal(got.GetValue(), sent) {
		t.Fatalf("t.echo should answer its payload exactly:\nsent %v\ngot  %v", sent, got)
	}
	queries := fk.find("Db.Query")
	if last := queries[len(queries)-1]; last.caller != caller || last.traceparent != tpInvoke {
		t.Fatalf("Db.Query in an event handler came from %q with traceparent %q", last.caller, last.traceparent)
	}

	values := Row(invoke(topics["t.values"], "", nil).GetValue().GetMapValue())
	if values["big"] != int64(9007199254740993) || string(values["blob"].([]byte)) != "\x00\xff\x10\x80" ||
		values["source"] != "sidecar/other" {
		t.Fatalf("t.values: %#v", values)
	}
	if absent, ok := values["absent"]; !ok || absent != nil {
		t.Fatalf("t.values: absent should be present and null: %#v", values)
	}
	if v := invoke(topics["t.nil"], "", nil).GetValue(); v.GetNullValue() != microcorev1.NullValue_NULL_VALUE_UNSPECIFIED ||
		v.GetKind() == nil {
		t.Fatalf("t.nil should answer an explicit null value, got %v", v)
	}

	e := invoke(topics["t.bad-sql"], tpInvoke, nil).GetError()
	if e.GetCode() != CodeDbQuery || e.GetMessage() != `near "SELEC": syntax error` || e.GetDetails()["sql"] != "SELEC 1" ||
		len(e.GetDetails()) != 1 {
		t.Fatalf("t.bad-sql should answer the db error unchanged, got %v", e)
	}

	// An event to an endpoint's id, or an HTTP request to a subscription's id, is
	// answered with an error, never a panic.
	e = invoke(endpoints["/t/echo"], "", sent).GetError()
	if e.GetCode() != CodeGatewayBadMessage || !strings.Contains(e.GetMessage(), "no http input") {
		t.Fatalf("event to an endpoint: %v", e)
	}
	resp, err := plugin.Invoke(context.Background(), &microcorev1.InvokeRequest{HandlerId: topics["t.echo"],
		Input: &microcorev1.InvokeRequest_Http{Http: &microcorev1.HttpRequest{Method: "GET"}}})
	if err != nil || resp.GetError().GetCode() != CodeGatewayBadMessage ||
		!strings.Contains(resp.GetError().GetMessage(), "subscription t.echo but Invoke carried no event input") {
		t.Fatalf("HTTP request to a subscription: %v, %v", resp, err)
	}
}
