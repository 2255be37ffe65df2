//go:build !wasip1

package microcore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// The wasm transport on the host: the bodies of the Extism exports (exports.go)
// and the ToolCall encoding (toolconn.go) are target-independent, so they run
// here against a fake of the kernel's wasm host. Only the copying in and out of
// Extism memory (extism_wasip1.go) needs a real module; test/parity.test.ts runs
// one (test/fixtures/parity/wasm-plugins/parity-gowasm).

// wasmKernel plays kernel/wasm-host.ts for a wasmServer: it calls the exports
// with message bytes and answers mc_call by dispatching each ToolCall to the
// fake kernel's services. Like the real host, it stamps every tool call with
// the module's identity (here a token) and the trace of the export call in
// progress: the guest sends neither.
type wasmKernel struct {
	*fakeKernel
	server   *wasmServer
	token    string
	services map[string]fakeService // by tool name
	trace    string                 // the traceparent of the export call in progress
	calls    []*microcorev1.ToolCall
}

var _ microcorev1.PluginClient = (*wasmKernel)(nil)

func newWasmKernel(p Plugin, token string) *wasmKernel {
	rec := &recorder{}
	k := &wasmKernel{fakeKernel: &fakeKernel{recorder: rec}, token: token, services: map[string]fakeService{}}
	for _, s := range fakeServices(rec) {
		k.services[strings.ToLower(strings.TrimPrefix(s.desc.ServiceName, "microcore.v1."))] = s
	}
	k.server = newWasmServer(p, k.mcCall)
	return k
}

// mcCall is the host function: ToolCall bytes in, ToolResult bytes out.
func (k *wasmKernel) mcCall(in []byte) ([]byte, error) {
	var call microcorev1.ToolCall
	if err := proto.Unmarshal(in, &call); err != nil {
		return nil, err
	}
	k.calls = append(k.calls, &call)
	result := &microcorev1.ToolResult{}
	resp, err := k.dispatch(&call)
	if err != nil {
		result.Outcome = &microcorev1.ToolResult_Error{Error: kernelError(err)}
	} else {
		b, err := proto.Marshal(resp)
		if err != nil {
			return nil, err
		}
		result.Outcome = &microcorev1.ToolResult_Response{Response: b}
	}
	return proto.Marshal(result)
}

func (k *wasmKernel) dispatch(call *microcorev1.ToolCall) (proto.Message, error) {
	s, ok := k.services[call.GetTool()]
	if !ok {
		return nil, Errorf(CodeToolUnavailable, "no tool %q", call.GetTool())
	}
	i := slices.IndexFunc(s.desc.Methods, func(m grpc.MethodDesc) bool { return m.MethodName == call.GetMethod() })
	if i < 0 {
		return nil, Errorf(CodeGatewayUnknownMethod, "no method %s.%s", call.GetTool(), call.GetMethod())
	}
	md := metadata.Pairs(mdTestCaller, k.token)
	if k.trace != "" {
		md.Append(mdTraceparent, k.trace)
	}
	ctx := metadata.NewIncomingContext(context.Background(), md)
	decode := func(req any) error { return proto.Unmarshal(call.GetRequest(), req.(proto.Message)) }
	resp, err := s.desc.Methods[i].Handler(s.impl, ctx, decode, nil)
	if err != nil {
		return nil, err
	}
	return resp.(proto.Message), nil
}

// kernelError is the microcore.v1.Error a fake service's status carries.
func kernelError(err error) *microcorev1.Error {
	var mc *Error
	if errors.As(err, &mc) {
		return mc.wire()
	}
	for _, d := range status.Convert(err).Details() {
		if w, ok := d.(*microcorev1.Error); ok {
			return w
		}
	}
	return &microcorev1.Error{Code: CodeInternal, Message: err.Error()}
}

// export calls one export body with req's bytes and decodes its output into
// resp, with ctx's traceparent as the host context.
func (k *wasmKernel) export(ctx context.Context, body func([]byte) []byte, req, resp proto.Message) error {
	k.trace = ""
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(mdTraceparent)) > 0 {
		k.trace = md.Get(mdTraceparent)[0]
	}
	defer func() { k.trace = "" }()
	in, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	return proto.Unmarshal(body(in), resp)
}

func (k *wasmKernel) OnBoot(ctx context.Context, req *microcorev1.OnBootRequest, _ ...grpc.CallOption) (*microcorev1.OnBootResponse, error) {
	resp := &microcorev1.OnBootResponse{}
	return resp, k.export(ctx, k.server.boot, req, resp)
}

func (k *wasmKernel) Invoke(ctx context.Context, req *microcorev1.InvokeRequest, _ ...grpc.CallOption) (*microcorev1.InvokeResponse, error) {
	resp := &microcorev1.InvokeResponse{}
	return resp, k.export(ctx, k.server.invoke, req, resp)
}

func (k *wasmKernel) OnShutdown(ctx context.Context, req *microcorev1.OnShutdownRequest, _ ...grpc.CallOption) (*microcorev1.OnShutdownResponse, error) {
	resp := &microcorev1.OnShutdownResponse{}
	return resp, k.export(ctx, k.server.shutdown, req, resp)
}

// Connect is protocol version 3's call stream, a sidecar-only transport: wasm
// exports have no counterpart.
func (k *wasmKernel) Connect(context.Context, ...grpc.CallOption) (grpc.BidiStreamingClient[microcorev1.ConnectRequest, microcorev1.ConnectResponse], error) {
	return nil, Errorf(CodeGatewayUnknownMethod, "a wasm module has no call stream")
}

// The same plugin, the same checks as the sidecar tests: one handler API over
// either transport.
func TestWasmTransportServesTheSamePlugin(t *testing.T) {
	k := newWasmKernel(testPlugin{}, "wasm/sdk-test")
	exercisePlugin(t, k, k.fakeKernel, "wasm/sdk-test")
	if got := k.server.srv.kernel.Identity; got != "sidecar/sdk-test" {
		t.Fatalf("the identity should come from OnBootRequest, got %q", got)
	}
}

func TestWasmToolCallEncoding(t *testing.T) {
	k := newWasmKernel(testPlugin{}, "tok")
	if resp, err := k.OnBoot(context.Background(), &microcorev1.OnBootRequest{Identity: "wasm/x"}); err != nil || resp.GetError() != nil {
		t.Fatalf("OnBoot: %v, %v", resp, err)
	}
	var names []string
	for _, c := range k.calls {
		if name := c.GetTool() + "." + c.GetMethod(); !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if want := []string{"bus.Subscribe", "http.AddEndpoint", "logger.Log"}; !slices.Equal(names, want) {
		t.Fatalf("ToolCall names: want %v (tool as the contract names it, method as the service does), got %v", want, names)
	}

	// The request bytes are the method's request message, values exact.
	k.calls = nil
	_, err := k.server.srv.kernel.Db.Query(context.Background(), "SELECT ?, ?", int64(9007199254740993), []byte{0x00, 0xff})
	if err != nil || len(k.calls) != 1 {
		t.Fatalf("Db.Query: %v, %d calls", err, len(k.calls))
	}
	var req microcorev1.QueryRequest
	if err := proto.Unmarshal(k.calls[0].GetRequest(), &req); err != nil {
		t.Fatal(err)
	}
	if req.GetSql() != "SELECT ?, ?" || req.GetParams()[0].GetIntValue() != 9007199254740993 ||
		string(req.GetParams()[1].GetBytesValue()) != "\x00\xff" {
		t.Fatalf("QueryRequest: %v", &req)
	}
}

func TestSplitMethod(t *testing.T) {
	for full, want := range map[string][2]string{
		"/microcore.v1.Db/QueryOne":       {"db", "QueryOne"},
		"/microcore.v1.Http/AddEndpoint":  {"http", "AddEndpoint"},
		"/microcore.v1.Config/Require":    {"config", "Require"},
		"/other.v1.Db/Query":              {},
		"/microcore.v1.Db":                {},
		"microcore.v1.Db/Query":           {},
		"/microcore.v1./Query":            {},
		"/microcore.v1.Db/":               {},
		"/microcore.v1.Db/Query/Extra":    {},
		"/microcore.v1.Db/Query?x=1&y=/z": {},
	} {
		tool, method, ok := splitMethod(full)
		if ok != (want[0] != "") || tool != want[0] || method != want[1] {
			t.Errorf("splitMethod(%q) = %q, %q, %v; want %q, %q", full, tool, method, ok, want[0], want[1])
		}
	}
	// Every method of every generated client maps onto a contract tool name.
	contract := []string{"bus", "config", "db", "http", "logger", "state", "system"}
	for _, d := range []grpc.ServiceDesc{microcorev1.Bus_ServiceDesc, microcorev1.Config_ServiceDesc,
		microcorev1.Db_ServiceDesc, microcorev1.Http_ServiceDesc, microcorev1.Logger_ServiceDesc,
		microcorev1.State_ServiceDesc, microcorev1.System_ServiceDesc} {
		for _, m := range d.Methods {
			tool, method, ok := splitMethod("/" + d.ServiceName + "/" + m.MethodName)
			if !ok || !slices.Contains(contract, tool) || method != m.MethodName {
				t.Errorf("%s/%s splits into %q, %q, %v", d.ServiceName, m.MethodName, tool, method, ok)
			}
		}
	}
}

func TestDecodeToolResult(t *testing.T) {
	enc := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kernelErr := &microcorev1.Error{Code: CodeCapDenied, Message: "no", Details: map[string]string{"tool": "state"}}
	for name, c := range map[string]struct {
		out  []byte
		code string
		text string
	}{
		"error unchanged":   {enc(&microcorev1.ToolResult{Outcome: &microcorev1.ToolResult_Error{Error: kernelErr}}), CodeCapDenied, "no"},
		"not a ToolResult":  {[]byte{0xff, 0xff, 0xff}, CodeGatewayBadMessage, "not a ToolResult"},
		"neither":           {nil, CodeGatewayBadMessage, "neither a response nor an error"},
		"not the response":  {enc(&microcorev1.ToolResult{Outcome: &microcorev1.ToolResult_Response{Response: []byte{0xff}}}), CodeGatewayBadMessage, "not a microcore.v1.QueryResponse"},
		"response decoded":  {enc(&microcorev1.ToolResult{Outcome: &microcorev1.ToolResult_Response{Response: enc(&microcorev1.QueryResponse{Columns: []string{"n"}})}}), "", ""},
		"empty response ok": {enc(&microcorev1.ToolResult{Outcome: &microcorev1.ToolResult_Response{}}), "", ""},
	} {
		var resp microcorev1.QueryResponse
		err := decodeToolResult("db", "Query", c.out, &resp)
		if CodeOf(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.text)) {
			t.Errorf("%s: want %q containing %q, got %v", name, c.code, c.text, err)
			continue
		}
		var mc *Error
		switch {
		case name == "error unchanged":
			if errors.As(err, &mc); !proto.Equal(mc.wire(), kernelErr) {
				t.Errorf("the kernel's error should arrive unchanged, got %v", mc)
			}
		case c.code == CodeGatewayBadMessage:
			if errors.As(err, &mc); mc.Details["tool"] != "db" || mc.Details["method"] != "Query" {
				t.Errorf("%s: details should name the call, got %v", name, mc.Details)
			}
		case name == "response decoded" && !slices.Equal(resp.GetColumns(), []string{"n"}):
			t.Errorf("response: %v", &resp)
		}
	}
}

func TestWasmTransportFailures(t *testing.T) {
	// A transport failure reaches the caller as it is.
	down := Errorf(CodeInternal, "Extism could not allocate")
	conn := &toolConn{send: func([]byte) ([]byte, error) { return nil, down }}
	if _, err := microcorev1.NewDbClient(conn).Query(context.Background(), &microcorev1.QueryRequest{}); err != down {
		t.Fatalf("want the transport's error, got %v", err)
	}
	// A request protobuf refuses (a string that is not UTF-8) never reaches the host.
	sent := false
	conn = &toolConn{send: func([]byte) ([]byte, error) { sent = true; return nil, nil }}
	_, err := microcorev1.NewDbClient(conn).Query(context.Background(), &microcorev1.QueryRequest{Sql: "\xff"})
	if CodeOf(err) != CodeInvalidArgument || sent {
		t.Fatalf("an unencodable request: %v (sent %v)", err, sent)
	}
	if _, err := conn.NewStream(context.Background(), &grpc.StreamDesc{StreamName: "S"}, "/microcore.v1.Db/S"); CodeOf(err) != CodeGatewayUnknownMethod {
		t.Fatalf("NewStream: %v", err)
	}
	if err := conn.Invoke(context.Background(), "/grpc.health.v1.Health/Check", &microcorev1.QueryRequest{}, &microcorev1.QueryResponse{}); CodeOf(err) != CodeGatewayUnknownMethod {
		t.Fatalf("a method outside the contract: %v", err)
	}
}

func TestWasmExportsAnswerBadInput(t *testing.T) {
	k := newWasmKernel(testPlugin{}, "tok")
	var boot microcorev1.OnBootResponse
	if err := proto.Unmarshal(k.server.boot([]byte{0xff, 0xff}), &boot); err != nil || boot.GetError().GetCode() != CodeGatewayBadMessage {
		t.Fatalf("undecodable OnBootRequest: %v, %v", &boot, err)
	}
	var inv microcorev1.InvokeResponse
	if err := proto.Unmarshal(k.server.invoke([]byte{0xff, 0xff}), &inv); err != nil || inv.GetError().GetCode() != CodeGatewayBadMessage {
		t.Fatalf("undecodable InvokeRequest: %v, %v", &inv, err)
	}
	if len(k.server.boot(nil)) != 0 {
		t.Fatal("a successful boot should encode to no bytes (no output)")
	}

	// An instance Extism rebuilt has no handlers until mc_on_boot runs again.
	req, _ := proto.Marshal(&microcorev1.InvokeRequest{HandlerId: "h3"})
	if err := proto.Unmarshal(notBooted(req), &inv); err != nil || inv.GetError().GetCode() != CodeHandlerUnknown ||
		!strings.Contains(inv.GetError().GetMessage(), `"h3"`) {
		t.Fatalf("mc_invoke before mc_on_boot: %v, %v", &inv, err)
	}

	// A failed boot is answered in the response, code unchanged.
	resp, err := k.OnBoot(context.Background(), &microcorev1.OnBootRequest{Config: map[string]string{"fail": "yes"}})
	if err != nil || resp.GetError().GetCode() != CodeConfigMissing {
		t.Fatalf("OnBoot should answer the plugin's *Error unchanged: %v, %v", resp, err)
	}
}

type failingShutdown struct{ testPlugin }

func (failingShutdown) OnShutdown(context.Context) error {
	return Errorf(CodeInternal, "cannot flush")
}

func TestWasmShutdownFailureIsLogged(t *testing.T) {
	k := newWasmKernel(failingShutdown{}, "tok")
	if _, err := k.OnBoot(context.Background(), &microcorev1.OnBootRequest{Identity: "wasm/x"}); err != nil {
		t.Fatal(err)
	}
	before := len(k.find("Logger.Log"))
	if _, err := k.OnShutdown(context.Background(), &microcorev1.OnShutdownRequest{}); err != nil {
		t.Fatalf("OnShutdownResponse has no error field; the export must answer it anyway: %v", err)
	}
	logs := k.find("Logger.Log")
	if len(logs) != before+1 {
		t.Fatalf("want one log line for the failed OnShutdown, got %d", len(logs)-before)
	}
	line := logs[len(logs)-1].req.(*microcorev1.LogRequest)
	fields := Row(&microcorev1.ValueMap{Fields: line.GetFields()})
	if line.GetLevel() != microcorev1.LogLevel_LOG_LEVEL_ERROR || line.GetMessage() != "OnShutdown failed" ||
		fields["code"] != CodeInternal || fields["message"] != "cannot flush" {
		t.Fatalf("the log line: %v", line)
	}
}
