//go:build !wasip1

package microcore

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// mdTestCaller names the caller of a call that came without TLS: the wasm
// test's fake host stamps it, as the real host knows the module it is calling.
const mdTestCaller = "x-test-caller"

// certKey names a caller by its certificate, as the kernel does: hex SHA-256 of the DER.
func certKey(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// call is one tool call the fake kernel received, with who made it (the
// caller's certKey, or mdTestCaller) and the metadata that matters.
type call struct {
	method      string
	caller      string
	traceparent string
	req         proto.Message
}

type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) record(ctx context.Context, method string, req proto.Message) {
	md, _ := metadata.FromIncomingContext(ctx)
	first := func(k string) string {
		if v := md.Get(k); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	caller := first(mdTestCaller)
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			caller = certKey(info.State.PeerCertificates[0].Raw)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{method, caller, first(mdTraceparent), req})
}

func (r *recorder) find(method string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// fakeKernel serves the tool services on a Unix socket over TLS, the way the
// kernel does: with its own certificate (passed to sidecars as PEM), asking
// every caller for one and recording whose it was.
type fakeKernel struct {
	addr    string
	cert    tls.Certificate
	certPEM string
	*recorder
}

// shortDir is a temporary directory whose socket paths stay under the limit
// (t.TempDir can be too deep for sun_path).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func startFakeKernel(t *testing.T) *fakeKernel {
	t.Helper()
	path := filepath.Join(shortDir(t), "kernel.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	cert := mustCert(t, "microcore-kernel")
	rec := &recorder{}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert})))
	for _, s := range fakeServices(rec) {
		srv.RegisterService(s.desc, s.impl)
	}
	go srv.Serve(lis) //nolint:errcheck // ends with Stop below
	t.Cleanup(srv.Stop)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
	return &fakeKernel{addr: "unix://" + path, cert: cert, certPEM: certPEM, recorder: rec}
}

func mustCert(t *testing.T, name string) tls.Certificate {
	t.Helper()
	c, err := newCert(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeService is one tool service of the fake kernel with its gRPC description.
type fakeService struct {
	desc *grpc.ServiceDesc
	impl any
}

// fakeServices are the fake kernel's tool services, all recording into rec; the
// gRPC server and the wasm test's mc_call (wasm_test.go) serve the same ones.
func fakeServices(rec *recorder) []fakeService {
	return []fakeService{
		{&microcorev1.Db_ServiceDesc, &fakeDb{recorder: rec}},
		{&microcorev1.Http_ServiceDesc, &fakeHttp{recorder: rec}},
		{&microcorev1.Logger_ServiceDesc, &fakeLogger{recorder: rec}},
		{&microcorev1.State_ServiceDesc, &fakeState{recorder: rec}},
		{&microcorev1.Bus_ServiceDesc, &fakeBus{recorder: rec}},
	}
}

type fakeDb struct {
	microcorev1.UnimplementedDbServer
	*recorder
}

// Query answers one row echoing the parameters as p0, p1, ...; "SELEC" fails the
// way SQLite would.
func (f *fakeDb) Query(ctx context.Context, req *microcorev1.QueryRequest) (*microcorev1.QueryResponse, error) {
	f.record(ctx, "Db.Query", req)
	if strings.HasPrefix(req.GetSql(), "SELEC ") {
		return nil, kernelStatus(codes.Unknown, &microcorev1.Error{Code: CodeDbQuery,
			Message: `near "SELEC": syntax error`, Details: map[string]string{"sql": req.GetSql()}})
	}
	row := &microcorev1.ValueMap{Fields: map[string]*microcorev1.Value{}}
	resp := &microcorev1.QueryResponse{Rows: []*microcorev1.ValueMap{row}}
	for i, p := range req.GetParams() {
		name := "p" + string(rune('0'+i))
		resp.Columns = append(resp.Columns, name)
		row.Fields[name] = p
	}
	return resp, nil
}

type fakeHttp struct {
	microcorev1.UnimplementedHttpServer
	*recorder
}

func (f *fakeHttp) AddEndpoint(ctx context.Context, req *microcorev1.AddEndpointRequest) (*microcorev1.AddEndpointResponse, error) {
	f.record(ctx, "Http.AddEndpoint", req)
	return &microcorev1.AddEndpointResponse{}, nil
}

func (f *fakeHttp) AddStream(ctx context.Context, req *microcorev1.AddStreamRequest) (*microcorev1.AddStreamResponse, error) {
	f.record(ctx, "Http.AddStream", req)
	return &microcorev1.AddStreamResponse{}, nil
}

func (f *fakeHttp) SendEvent(ctx context.Context, req *microcorev1.SendEventRequest) (*microcorev1.SendEventResponse, error) {
	f.record(ctx, "Http.SendEvent", req)
	return &microcorev1.SendEventResponse{}, nil
}

func (f *fakeHttp) AddAuthValidator(ctx context.Context, req *microcorev1.AddAuthValidatorRequest) (*microcorev1.AddAuthValidatorResponse, error) {
	f.record(ctx, "Http.AddAuthValidator", req)
	return &microcorev1.AddAuthValidatorResponse{}, nil
}

type fakeLogger struct {
	microcorev1.UnimplementedLoggerServer
	*recorder
}

func (f *fakeLogger) Log(ctx context.Context, req *microcorev1.LogRequest) (*microcorev1.LogResponse, error) {
	f.record(ctx, "Logger.Log", req)
	return &microcorev1.LogResponse{}, nil
}

// fakeState denies every call, as the kernel does for a plugin without "state"
// in its needs.
type fakeState struct {
	microcorev1.UnimplementedStateServer
	*recorder
}

func (f *fakeState) Get(ctx context.Context, req *microcorev1.StateGetRequest) (*microcorev1.StateGetResponse, error) {
	f.record(ctx, "State.Get", req)
	return nil, kernelStatus(codes.PermissionDenied, &microcorev1.Error{Code: CodeCapDenied,
		Message: "sidecar/sdk-test called state.Get but its needs do not list 'state'",
		Details: map[string]string{"tool": "state", "method": "Get"}})
}

// fakeBus delivers nothing: Publish accepts, Request echoes the payload back as
// the answer, Subscribe answers "sub-" + the handler id. Topics starting with
// "t.nobody" and "t.refused" fail the way the bus tool does; "t.silent" answers
// a response without a payload.
type fakeBus struct {
	microcorev1.UnimplementedBusServer
	*recorder
}

func (f *fakeBus) Publish(ctx context.Context, req *microcorev1.PublishRequest) (*microcorev1.PublishResponse, error) {
	f.record(ctx, "Bus.Publish", req)
	if strings.HasPrefix(req.GetTopic(), "t.refused") {
		return nil, kernelStatus(codes.Unknown, &microcorev1.Error{Code: CodeBusPublish,
			Message: "topic refused", Details: map[string]string{"topic": req.GetTopic()}})
	}
	return &microcorev1.PublishResponse{Id: "ev-" + req.GetTopic()}, nil
}

func (f *fakeBus) Request(ctx context.Context, req *microcorev1.BusRequestRequest) (*microcorev1.BusRequestResponse, error) {
	f.record(ctx, "Bus.Request", req)
	switch {
	case strings.HasPrefix(req.GetTopic(), "t.nobody"):
		return nil, kernelStatus(codes.Unknown, &microcorev1.Error{Code: CodeBusNoSubscriber,
			Message: "no plugin subscribes to " + req.GetTopic(), Details: map[string]string{"topic": req.GetTopic()}})
	case req.GetTopic() == "t.silent":
		return &microcorev1.BusRequestResponse{}, nil
	}
	return &microcorev1.BusRequestResponse{Payload: req.GetPayload()}, nil
}

func (f *fakeBus) Subscribe(ctx context.Context, req *microcorev1.SubscribeRequest) (*microcorev1.SubscribeResponse, error) {
	f.record(ctx, "Bus.Subscribe", req)
	if strings.HasPrefix(req.GetTopic(), "t.refused") {
		return nil, kernelStatus(codes.Unknown, &microcorev1.Error{Code: CodeBusPublish, Message: "topic refused"})
	}
	return &microcorev1.SubscribeResponse{SubscriptionId: "sub-" + req.GetHandlerId()}, nil
}

func (f *fakeBus) Unsubscribe(ctx context.Context, req *microcorev1.UnsubscribeRequest) (*microcorev1.UnsubscribeResponse, error) {
	f.record(ctx, "Bus.Unsubscribe", req)
	return &microcorev1.UnsubscribeResponse{}, nil
}
