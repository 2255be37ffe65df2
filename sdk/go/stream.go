//go:build !wasip1

package microcore

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// The call stream of protocol version 3 (docs/protocol.md, "The call stream"):
// the kernel opens Plugin.Connect once and sends every invoke on it; the tool
// calls a handler makes while serving one go back on the same stream. Two
// unary gRPC calls per request cost more than the request itself (bench/README.md,
// "Where the time goes: sidecars"); frames on an open stream do not. Who is
// calling needs no per-call proof: the stream runs on the kernel's TLS
// connection, whose certificate this sidecar pinned.

// framePayload is the most payload bytes one frame carries; longer payloads go
// in pieces, so frames of other calls can pass between them.
const framePayload = 64 << 10

// connectStream carries the frames: Plugin.Connect (version 3) or the frames
// socket (version 4, frames.go). Its context ends with it.
type connectStream interface {
	Recv() (*microcorev1.ConnectRequest, error)
	Send(*microcorev1.ConnectResponse) error
	Context() context.Context
}

// callStream is one open call stream: Recv runs in serve's goroutine only,
// Send is serialized by sendMu (grpc-go allows one sender at a time).
type callStream struct {
	srv    *pluginServer
	st     connectStream
	limit  int
	sendMu sync.Mutex
	nextID atomic.Uint64

	mu      sync.Mutex
	cancels map[uint64]context.CancelFunc
	pending map[uint64]chan []byte
	closed  bool
}

type callStreamKey struct{}

// Connect serves the kernel's call stream until the kernel closes it.
func (s *pluginServer) Connect(st grpc.BidiStreamingServer[microcorev1.ConnectRequest, microcorev1.ConnectResponse]) error {
	return s.serveCalls(st)
}

func (s *pluginServer) serveCalls(st connectStream) error {
	cs := &callStream{srv: s, st: st, limit: s.limit, cancels: map[uint64]context.CancelFunc{}, pending: map[uint64]chan []byte{}}
	if cs.limit == 0 {
		cs.limit = defaultMessageLimit
	}
	err := cs.serve()
	cs.close()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

type invokeStart struct {
	buf         []byte
	timeoutMs   uint32
	traceparent string
}

func (cs *callStream) serve() error {
	invokes := map[uint64]*invokeStart{}
	results := map[uint64][]byte{}
	for {
		f, err := cs.st.Recv()
		if err != nil {
			return err
		}
		switch b := f.GetBody().(type) {
		case *microcorev1.ConnectRequest_Invoke:
			in := invokes[f.GetId()]
			if in == nil {
				in = &invokeStart{timeoutMs: f.GetTimeoutMs(), traceparent: f.GetTraceparent()}
				invokes[f.GetId()] = in
			}
			in.buf = append(in.buf, b.Invoke...)
			if f.GetMore() {
				continue
			}
			delete(invokes, f.GetId())
			cs.start(f.GetId(), in)
		case *microcorev1.ConnectRequest_ToolResult:
			buf := append(results[f.GetId()], b.ToolResult...)
			if f.GetMore() {
				results[f.GetId()] = buf
				continue
			}
			delete(results, f.GetId())
			cs.mu.Lock()
			ch := cs.pending[f.GetId()]
			delete(cs.pending, f.GetId())
			cs.mu.Unlock()
			if ch != nil {
				ch <- buf
			}
		case *microcorev1.ConnectRequest_Cancel:
			cs.mu.Lock()
			cancel := cs.cancels[f.GetId()]
			cs.mu.Unlock()
			if cancel != nil {
				cancel()
			}
		}
	}
}

// start runs one invoke in its own goroutine, under the kernel's deadline, with
// its traceparent and this stream in the context for the handler's tool calls.
func (cs *callStream) start(id uint64, in *invokeStart) {
	ctx, cancel := context.WithCancel(cs.st.Context())
	if in.timeoutMs > 0 {
		ctx, cancel = context.WithTimeout(cs.st.Context(), time.Duration(in.timeoutMs)*time.Millisecond)
	}
	if in.traceparent != "" {
		ctx = context.WithValue(ctx, traceparentKey{}, in.traceparent)
	}
	ctx = context.WithValue(ctx, callStreamKey{}, cs)
	cs.mu.Lock()
	cs.cancels[id] = cancel
	cs.mu.Unlock()
	runInvoke(func() {
		defer func() {
			cs.mu.Lock()
			delete(cs.cancels, id)
			cs.mu.Unlock()
			cancel()
		}()
		var resp *microcorev1.InvokeResponse
		var req microcorev1.InvokeRequest
		if err := proto.Unmarshal(in.buf, &req); err != nil {
			resp = failed(Errorf(CodeGatewayBadMessage, "%s: the kernel sent an invoke that is not an InvokeRequest: %v",
				cs.srv.kernel.Identity, err).wire())
		} else {
			resp, _ = cs.srv.Invoke(ctx, &req)
		}
		// Past the deadline or cancelled, the kernel has answered its caller
		// already (its own timer sends the cancel): nothing goes back, as grpc
		// drops a unary answer past its deadline. Were this sent, it could beat
		// the kernel's timer and replace the timeout error with whatever the
		// handler made of its ended context.
		if ctx.Err() != nil {
			return
		}
		out, err := proto.Marshal(resp)
		if err == nil && len(out) > cs.limit {
			err = Errorf(CodeMessageTooLarge, "%s: the InvokeResponse is %d bytes, over the kernel's MC_MESSAGE_LIMIT_BYTES (%d)",
				cs.srv.kernel.Identity, len(out), cs.limit)
		}
		if err != nil {
			out, _ = proto.Marshal(failed(toWire(err, CodeHandlerFailed, cs.srv.details("", req.GetHandlerId()))))
		}
		_ = cs.send(id, out, false, "")
	})
}

// Invokes run on long-lived worker goroutines when one is free: a fresh
// goroutine starts with a 2 KiB stack and grows it, copying, while it decodes
// the request (pprof showed ~11 % of the sidecar's CPU in runtime.newstack);
// a worker keeps its grown stack. Beyond maxIdleWorkers, plain goroutines.
const maxIdleWorkers = 64

var (
	idleWork    = make(chan func())
	workerCount atomic.Int32
)

func runInvoke(f func()) {
	select {
	case idleWork <- f:
	default:
		if workerCount.Add(1) <= maxIdleWorkers {
			go worker(f)
			return
		}
		workerCount.Add(-1)
		go f()
	}
}

func worker(f func()) {
	for {
		f()
		f = <-idleWork
	}
}

// send writes an invoke's answer, or a tool call, in pieces of framePayload,
// taking the send lock per piece.
func (cs *callStream) send(id uint64, payload []byte, toolCall bool, traceparent string) error {
	for at := 0; at == 0 || at < len(payload); at += framePayload {
		end := min(at+framePayload, len(payload))
		f := &microcorev1.ConnectResponse{Id: id, More: end < len(payload)}
		if at == 0 {
			f.Traceparent = traceparent
		}
		if toolCall {
			f.Body = &microcorev1.ConnectResponse_ToolCall{ToolCall: payload[at:end]}
		} else {
			f.Body = &microcorev1.ConnectResponse_InvokeResponse{InvokeResponse: payload[at:end]}
		}
		cs.sendMu.Lock()
		err := cs.st.Send(f)
		cs.sendMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// roundTrip sends a serialized ToolCall and waits for the serialized ToolResult.
func (cs *callStream) roundTrip(ctx context.Context, call []byte) ([]byte, error) {
	if len(call) > cs.limit {
		return nil, Errorf(CodeMessageTooLarge, "the tool call is %d bytes, over the kernel's MC_MESSAGE_LIMIT_BYTES (%d)", len(call), cs.limit)
	}
	id := cs.nextID.Add(1)
	ch := make(chan []byte, 1)
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return nil, Errorf(CodeSidecarDown, "the kernel closed the call stream; the tool call was not sent")
	}
	cs.pending[id] = ch
	cs.mu.Unlock()
	tp, _ := ctx.Value(traceparentKey{}).(string)
	if err := cs.send(id, call, true, tp); err != nil {
		cs.forget(id)
		return nil, Errorf(CodeSidecarDown, "the tool call could not be sent on the call stream: %v", err)
	}
	select {
	case out, ok := <-ch:
		if !ok {
			return nil, Errorf(CodeSidecarDown, "the kernel closed the call stream before answering the tool call")
		}
		return out, nil
	case <-ctx.Done():
		cs.forget(id)
		return nil, Errorf(CodeInternal, "the tool call was abandoned: the invoke it serves ended (%v)", ctx.Err())
	}
}

func (cs *callStream) forget(id uint64) {
	cs.mu.Lock()
	delete(cs.pending, id)
	cs.mu.Unlock()
}

// close fails the tool calls still waiting; the handlers' contexts end with the stream's.
func (cs *callStream) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for id, ch := range cs.pending {
		close(ch)
		delete(cs.pending, id)
	}
}

// kernelConn is what the tool clients call: over the call stream when the
// context is an invoke's that came on one, as a unary gRPC call otherwise
// (OnBoot, OnShutdown, goroutines a handler started with another context).
type kernelConn struct {
	unary grpc.ClientConnInterface
}

func (c kernelConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if cs, ok := ctx.Value(callStreamKey{}).(*callStream); ok {
		conn := toolConn{send: func(call []byte) ([]byte, error) { return cs.roundTrip(ctx, call) }}
		return conn.Invoke(ctx, method, args, reply, opts...)
	}
	return c.unary.Invoke(ctx, method, args, reply, opts...)
}

func (c kernelConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.unary.NewStream(ctx, desc, method, opts...)
}
