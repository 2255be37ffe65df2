package microcore

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// wasmServer is the body of the Extism exports mc_on_boot, mc_invoke and
// mc_on_shutdown, on bytes: decode the kernel's message, run the plugin through
// the same pluginServer the sidecar transport serves over gRPC, encode the
// answer. It has no build tag, so host tests run exactly what the exports run;
// serve_wasip1.go only moves the bytes in and out of Extism memory.
//
// Calls arrive one at a time (an Extism instance is not reentrant), and a
// handler's tool calls block until the kernel answers: handlers stay
// synchronous, and goroutines get no parallelism inside the module.
type wasmServer struct {
	srv *pluginServer
}

// newWasmServer serves p, its tool clients sending ToolCalls through send.
func newWasmServer(p Plugin, send func([]byte) ([]byte, error)) *wasmServer {
	handlers := newHandlerTable()
	return &wasmServer{srv: &pluginServer{
		plugin:   p,
		kernel:   newKernel(&toolConn{send: send}, "", handlers),
		handlers: handlers,
	}}
}

// boot is mc_on_boot: OnBootRequest in, OnBootResponse out; a failure goes in
// OnBootResponse.error.
func (w *wasmServer) boot(input []byte) []byte {
	var req microcorev1.OnBootRequest
	if err := proto.Unmarshal(input, &req); err != nil {
		return bootFailed(badInput("OnBootRequest", err))
	}
	// pluginServer.OnBoot answers every failure inside the response.
	resp, _ := w.srv.OnBoot(context.Background(), &req)
	out, err := proto.Marshal(resp)
	if err != nil {
		// The plugin's error text can hold what protobuf refuses (not UTF-8).
		return bootFailed(Errorf(CodePluginBoot, "%s: OnBoot failed, and its error cannot be encoded: %v",
			w.srv.kernel.Identity, err).withDetails(w.srv.details("OnBoot", "")))
	}
	return out
}

// invoke is mc_invoke: InvokeRequest in, InvokeResponse out.
func (w *wasmServer) invoke(input []byte) []byte {
	var req microcorev1.InvokeRequest
	if err := proto.Unmarshal(input, &req); err != nil {
		return encode(failed(badInput("InvokeRequest", err).wire()))
	}
	resp, _ := w.srv.Invoke(context.Background(), &req)
	out, err := proto.Marshal(resp)
	if err != nil {
		// A handler's answer can hold what protobuf refuses (a string that is
		// not UTF-8); the kernel gets the reason, not a trap.
		e := Errorf(CodeHandlerFailed, "%s: the answer of handler %q cannot be encoded: %v",
			w.srv.kernel.Identity, req.GetHandlerId(), err)
		return encode(failed(e.withDetails(w.srv.details("", req.GetHandlerId())).wire()))
	}
	return out
}

// shutdown is mc_on_shutdown. OnShutdownResponse has no error field, so a
// failure goes to the logger tool (and, if that fails too, to the SDK's log).
func (w *wasmServer) shutdown(input []byte) []byte {
	var req microcorev1.OnShutdownRequest
	err := proto.Unmarshal(input, &req)
	if err != nil {
		err = badInput("OnShutdownRequest", err)
	} else {
		_, err = w.srv.OnShutdown(context.Background(), &req)
	}
	if err != nil {
		code, msg := CodeHandlerFailed, err.Error()
		var e *Error
		if errors.As(err, &e) {
			code, msg = e.Code, e.Message
		}
		fields := map[string]any{"code": code, "message": msg}
		if logErr := w.srv.kernel.Logger.Error(context.Background(), "OnShutdown failed", fields); logErr != nil {
			logSDK("error", fmt.Sprintf("%s: OnShutdown failed: %v", w.srv.kernel.Identity, err), nil)
		}
	}
	return encode(&microcorev1.OnShutdownResponse{})
}

// bootFailed is an OnBootResponse carrying err.
func bootFailed(err *Error) []byte {
	return encode(&microcorev1.OnBootResponse{Error: err.wire()})
}

// notBooted answers mc_invoke on an instance that has not run mc_on_boot: after
// a timeout Extism rebuilds the instance, and the handler table is gone with it.
func notBooted(input []byte) []byte {
	var req microcorev1.InvokeRequest
	_ = proto.Unmarshal(input, &req) // only for the handler id in the message
	e := Errorf(CodeHandlerUnknown, "this wasm module has not booted, so it has no handler %q: "+
		"its instance was rebuilt (after a timeout or a trap) without mc_on_boot running again; restart the kernel",
		req.GetHandlerId())
	return encode(failed(e.withDetails(map[string]string{"handler": req.GetHandlerId()}).wire()))
}

func badInput(message string, err error) *Error {
	return Errorf(CodeGatewayBadMessage, "the kernel sent bytes that are not a %s: %v", message, err)
}

// encode marshals a message the SDK built from the kernel's own strings, which
// always encodes. An empty result (a successful OnBootResponse) is no output.
func encode(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("microcore: encoding %T: %v", m, err))
	}
	return b
}
