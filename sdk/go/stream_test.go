//go:build !wasip1

package microcore

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// streamPlugin's handlers: /s/wait makes one tool call, then waits for its
// context to end and reports why (whatever the tool call returned); /s/echo answers with the request body.
type streamPlugin struct{ ended chan error }

func (p streamPlugin) OnBoot(ctx context.Context, k *Kernel) error {
	wait := func(ctx context.Context, _ *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
		// The kernel sends the tool's result and then the cancel: when both
		// have arrived, the call may return either, so its error is not the point.
		_, _ = k.Db.Query(ctx, "SELECT 1")
		<-ctx.Done()
		p.ended <- ctx.Err()
		return Respond(200, "late")
	}
	echo := func(_ context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
		return &microcorev1.HttpResponse{Status: 200, Body: req.GetBody()}, nil
	}
	if err := k.Http.AddEndpoint(ctx, Endpoint{Method: "GET", Path: "/s/wait"}, wait); err != nil {
		return err
	}
	return k.Http.AddEndpoint(ctx, Endpoint{Method: "POST", Path: "/s/echo"}, echo)
}

func invokeFrames(t *testing.T, id uint64, handlerID string, body []byte, timeoutMs uint32, tp string) []*microcorev1.ConnectRequest {
	t.Helper()
	payload, err := proto.Marshal(&microcorev1.InvokeRequest{HandlerId: handlerID, Input: &microcorev1.InvokeRequest_Http{Http: &microcorev1.HttpRequest{Body: &microcorev1.Value{Kind: &microcorev1.Value_BytesValue{BytesValue: body}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var frames []*microcorev1.ConnectRequest
	for at := 0; at < len(payload); at += framePayload {
		end := min(at+framePayload, len(payload))
		f := &microcorev1.ConnectRequest{Id: id, Body: &microcorev1.ConnectRequest_Invoke{Invoke: payload[at:end]}, More: end < len(payload)}
		if at == 0 {
			f.TimeoutMs, f.Traceparent = timeoutMs, tp
		}
		frames = append(frames, f)
	}
	return frames
}

// kernelEnd is the kernel's end of a call stream: Plugin.Connect (version 3)
// or a frames socket connection (version 4).
type kernelEnd interface {
	Send(*microcorev1.ConnectRequest) error
	Recv() (*microcorev1.ConnectResponse, error)
}

// framesClient is the kernel's end of a frames socket connection, written
// from the protocol's text (docs/protocol.md) rather than from frames.go.
type framesClient struct{ conn *tls.Conn }

func (c framesClient) Send(f *microcorev1.ConnectRequest) error {
	body, err := proto.Marshal(f)
	if err != nil {
		return err
	}
	_, err = c.conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	return err
}

func (c framesClient) Recv() (*microcorev1.ConnectResponse, error) {
	var head [4]byte
	if _, err := io.ReadFull(c.conn, head[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:]))
	if _, err := io.ReadFull(c.conn, body); err != nil {
		return nil, err
	}
	f := &microcorev1.ConnectResponse{}
	return f, proto.Unmarshal(body, f)
}

// The call stream, driven as the kernel drives it, over both carriers: a
// handler's tool call comes back on the stream with the invoke's traceparent;
// the kernel's cancel frame ends the handler's context; a payload larger than
// one frame goes in pieces both ways, and a small call sent after it is
// answered without waiting for the whole of it.
func TestCallStream(t *testing.T) {
	for _, version := range []string{protocolStream, protocolFrames} {
		t.Run("version "+version, func(t *testing.T) { testCallStream(t, version) })
	}
}

func testCallStream(t *testing.T, version string) {
	fk := startFakeKernel(t)
	dir := shortDir(t)
	env := sidecarEnv{KernelAddress: fk.addr, KernelCert: fk.cert.Leaf, Identity: "sidecar/stream-test", SocketDir: dir, Version: version, MessageLimit: 1 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, w := io.Pipe()
	p := streamPlugin{ended: make(chan error, 1)}
	go run(ctx, env, p, w) //nolint:errcheck // stopped by cancel
	socket := filepath.Join(dir, "stream-test.sock")
	der := readHandshakeOf(t, stdout, socket, version)
	plugin := dialPlugin(t, fk, socket, der)
	if boot, err := plugin.OnBoot(context.Background(), &microcorev1.OnBootRequest{Identity: "sidecar/stream-test"}); err != nil || boot.GetError() != nil {
		t.Fatalf("OnBoot: %v, %v", boot.GetError(), err)
	}
	var st kernelEnd
	if version == protocolFrames {
		conn, err := tls.Dial("unix", framesPath(socket), pinnedTo(t, fk.cert, der))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		st = framesClient{conn}
	} else {
		var err error
		if st, err = plugin.Connect(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() *microcorev1.ConnectResponse {
		t.Helper()
		f, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		return f
	}

	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, f := range invokeFrames(t, 1, "h1", nil, 10_000, tp) {
		if err := st.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	call := recv()
	var tc microcorev1.ToolCall
	if err := proto.Unmarshal(call.GetToolCall(), &tc); err != nil || tc.GetTool() != "db" || tc.GetMethod() != "Query" || call.GetTraceparent() != tp {
		t.Fatalf("want a db.Query tool call carrying the invoke's traceparent, got %v (%v), traceparent %q", &tc, err, call.GetTraceparent())
	}
	result, _ := proto.Marshal(&microcorev1.ToolResult{Outcome: &microcorev1.ToolResult_Response{Response: nil}})
	if err := st.Send(&microcorev1.ConnectRequest{Id: call.GetId(), Body: &microcorev1.ConnectRequest_ToolResult{ToolResult: result}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&microcorev1.ConnectRequest{Id: 1, Body: &microcorev1.ConnectRequest_Cancel{Cancel: &microcorev1.StreamCancel{}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case why := <-p.ended:
		if why != context.Canceled {
			t.Fatalf("the handler's context ended with %v, want context.Canceled (the kernel's cancel frame)", why)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancel frame did not end the handler's context within 5s")
	}
	// A 200 KiB body (4 frames each way), then a small call: the small one's
	// answer must come before the big one's last piece.
	big := bytes.Repeat([]byte{'x'}, 200<<10)
	frames := invokeFrames(t, 2, "h2", big, 10_000, "")
	if len(frames) < 4 {
		t.Fatalf("want the big invoke in several frames, got %d", len(frames))
	}
	for _, f := range frames {
		if err := st.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range invokeFrames(t, 3, "h2", []byte("small"), 10_000, "") {
		if err := st.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	pieces := map[uint64][]byte{}
	// The first frame after the cancel is for a later call: a cancelled
	// invoke sends no answer (the kernel has given its caller the timeout).
	var order []uint64
	for len(order) < 2 {
		f := recv()
		if f.GetId() == 1 {
			t.Fatalf("the cancelled invoke 1 answered: %v", f)
		}
		pieces[f.GetId()] = append(pieces[f.GetId()], f.GetInvokeResponse()...)
		if !f.GetMore() {
			order = append(order, f.GetId())
		}
	}
	for id, want := range map[uint64][]byte{2: big, 3: []byte("small")} {
		var resp microcorev1.InvokeResponse
		if err := proto.Unmarshal(pieces[id], &resp); err != nil || !bytes.Equal(resp.GetHttp().GetBody().GetBytesValue(), want) {
			t.Fatalf("invoke %d: answer of %d bytes (%v), want the %d-byte body back", id, len(resp.GetHttp().GetBody().GetBytesValue()), err, len(want))
		}
	}
	if order[0] != 3 {
		t.Logf("the small call finished after the big one (order %v): allowed, but pieces should interleave", order)
	}
}
