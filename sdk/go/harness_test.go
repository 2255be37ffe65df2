package microcore

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

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

func dialPlugin(t *testing.T, socket string) microcorev1.PluginClient {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: healthService})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health of %q: %v, %v", healthService, h, err)
	}
	return microcorev1.NewPluginClient(conn)
}

func withTrace(tp string) context.Context {
	ctx := context.Background()
	if tp != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, mdTraceparent, tp)
	}
	return ctx
}

// exerciseSidecar drives a served testPlugin the way the kernel does and checks
// what reached the fake kernel. Shared by the in-process and subprocess tests.
func exerciseSidecar(t *testing.T, socket string, fk *fakeKernel, token string) {
	t.Helper()
	plugin := dialPlugin(t, socket)
	boot, err := plugin.OnBoot(withTrace(tpBoot), &microcorev1.OnBootRequest{Identity: "sidecar/sdk-test"})
	if err != nil || boot.GetError() != nil {
		t.Fatalf("OnBoot: %v, %v", boot.GetError(), err)
	}

	ids := map[string]string{}
	for _, c := range append(fk.find("Http.AddEndpoint"), fk.find("Logger.Log")...) {
		if c.token != token || c.traceparent != tpBoot {
			t.Fatalf("%s during OnBoot carried token %q traceparent %q", c.method, c.token, c.traceparent)
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
	if last := queries[len(queries)-1]; last.token != token || last.traceparent != tpInvoke {
		t.Fatalf("Db.Query during Invoke carried token %q traceparent %q", last.token, last.traceparent)
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
}
