package microcore

import (
	"context"
	"fmt"
	"runtime/debug"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// pluginServer serves microcore.v1.Plugin: the kernel's calls into the plugin.
// The sidecar transport registers it as a gRPC service; the wasm transport calls
// its methods from the Extism exports (exports.go).
type pluginServer struct {
	microcorev1.UnimplementedPluginServer
	plugin   Plugin
	kernel   *Kernel
	handlers *handlerTable
	// limit bounds each message on the call stream (stream.go), as grpc-go's
	// options bound the unary calls'; 0 means defaultMessageLimit.
	limit int
}

func (s *pluginServer) OnBoot(ctx context.Context, req *microcorev1.OnBootRequest) (*microcorev1.OnBootResponse, error) {
	if req.GetIdentity() != "" {
		s.kernel.Identity = req.GetIdentity()
	}
	if req.GetConfig() != nil {
		s.kernel.ManifestConfig = req.GetConfig()
	}
	err := s.guard(CodePluginBoot, "OnBoot", func() error { return s.plugin.OnBoot(ctx, s.kernel) })
	if err != nil {
		return &microcorev1.OnBootResponse{Error: toWire(err, CodePluginBoot, s.details("OnBoot", ""))}, nil
	}
	return &microcorev1.OnBootResponse{}, nil
}

func (s *pluginServer) Invoke(ctx context.Context, req *microcorev1.InvokeRequest) (*microcorev1.InvokeResponse, error) {
	id := req.GetHandlerId()
	h, ok := s.handlers.get(id)
	if !ok {
		e := Errorf(CodeHandlerUnknown, "%s has no handler %q: ids come from the AddEndpoint and Subscribe calls "+
			"this process made, so this process did not boot, another one did, or the subscription was removed; "+
			"restart the plugin", s.kernel.Identity, id)
		return failed(e.withDetails(s.details("", id)).wire()), nil
	}
	var resp *microcorev1.InvokeResponse
	err := s.guard(CodeHandlerFailed, h.label, func() error {
		var err error
		resp, err = h.invoke(ctx, req)
		return err
	})
	if err != nil {
		return failed(toWire(err, CodeHandlerFailed, s.details(h.label, id))), nil
	}
	return resp, nil
}

func (s *pluginServer) OnShutdown(ctx context.Context, _ *microcorev1.OnShutdownRequest) (*microcorev1.OnShutdownResponse, error) {
	sh, ok := s.plugin.(shutdowner)
	if !ok {
		return &microcorev1.OnShutdownResponse{}, nil
	}
	if err := s.guard(CodeHandlerFailed, "OnShutdown", func() error { return sh.OnShutdown(ctx) }); err != nil {
		// OnShutdownResponse has no error field, so the error goes back as a gRPC
		// status; *Error carries itself there through GRPCStatus.
		return nil, fromWire(toWire(err, CodeHandlerFailed, s.details("OnShutdown", "")))
	}
	return &microcorev1.OnShutdownResponse{}, nil
}

// guard runs plugin code and turns a panic into an error, because neither
// grpc-go nor a wasm export recovers panics: one bad handler would otherwise
// take the sidecar down, or trap the wasm module.
func (s *pluginServer) guard(code, what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			logSDK("error", fmt.Sprintf("%s: %s panicked: %v", s.kernel.Identity, what, r),
				map[string]any{"stack": string(debug.Stack())})
			err = Errorf(code, "%s: %s panicked: %v", s.kernel.Identity, what, r).withDetails(s.details(what, ""))
		}
	}()
	return f()
}

// details use the kernel's keys (plugin, handler), so a failure reads the same
// whichever side reported it.
func (s *pluginServer) details(what, handlerID string) map[string]string {
	d := map[string]string{"plugin": s.kernel.Identity}
	if what != "" {
		d["where"] = what
	}
	if handlerID != "" {
		d["handler"] = handlerID
	}
	return d
}

func failed(e *microcorev1.Error) *microcorev1.InvokeResponse {
	return &microcorev1.InvokeResponse{Output: &microcorev1.InvokeResponse_Error{Error: e}}
}
