package microcore

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// toolConn is the wasm transport's grpc.ClientConnInterface: the generated tool
// clients (microcorev1.DbClient, ...) call Invoke with their full method name,
// and toolConn carries the call as a ToolCall through the host function mc_call
// (docs/protocol.md, "The host function"). The typed skins in db.go, http.go,
// ... therefore work unchanged over either transport.
//
// send is the transport proper: serialized ToolCall in, serialized ToolResult
// out. In a wasm module it is mcCall (extism_wasip1.go); host tests pass a fake
// kernel, so they exercise the real encoding.
type toolConn struct {
	send func(toolCall []byte) ([]byte, error)
}

var _ grpc.ClientConnInterface = (*toolConn)(nil)

// Invoke sends one tool call. The caller's identity and the trace travel in the
// Extism call the kernel is making, so neither ctx nor opts add anything here.
func (c *toolConn) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	tool, name, ok := splitMethod(method)
	if !ok {
		return Errorf(CodeGatewayUnknownMethod,
			"%q is not a microcore.v1 tool method (want /microcore.v1.<Service>/<Method>)", method)
	}
	at := map[string]string{"tool": tool, "method": name}
	req, okReq := args.(proto.Message)
	resp, okResp := reply.(proto.Message)
	if !okReq || !okResp {
		return Errorf(CodeInternal, "%s.%s: request and reply must be protobuf messages, got %T and %T",
			tool, name, args, reply).withDetails(at)
	}
	body, err := proto.Marshal(req)
	if err != nil {
		return Errorf(CodeInvalidArgument, "%s.%s: the request cannot be encoded: %v", tool, name, err).withDetails(at)
	}
	call, err := proto.Marshal(&microcorev1.ToolCall{Tool: tool, Method: name, Request: body})
	if err != nil {
		return Errorf(CodeInternal, "%s.%s: the ToolCall cannot be encoded: %v", tool, name, err).withDetails(at)
	}
	out, err := c.send(call)
	if err != nil {
		return err
	}
	return decodeToolResult(tool, name, out, resp)
}

// NewStream exists for the interface only: every method of the contract is unary.
func (c *toolConn) NewStream(_ context.Context, desc *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, Errorf(CodeGatewayUnknownMethod,
		"%s (stream %s) is a streaming call; the wasm transport carries unary tool calls only", method, desc.StreamName)
}

// decodeToolResult fills resp from a ToolResult's response, or returns its
// error unchanged as *Error, so a kernel error reaches the plugin with its code.
func decodeToolResult(tool, method string, out []byte, resp proto.Message) error {
	at := map[string]string{"tool": tool, "method": method}
	var result microcorev1.ToolResult
	if err := proto.Unmarshal(out, &result); err != nil {
		return Errorf(CodeGatewayBadMessage, "the kernel answered %s.%s with bytes that are not a ToolResult: %v",
			tool, method, err).withDetails(at)
	}
	switch o := result.GetOutcome().(type) {
	case *microcorev1.ToolResult_Response:
		if err := proto.Unmarshal(o.Response, resp); err != nil {
			return Errorf(CodeGatewayBadMessage, "the kernel answered %s.%s with bytes that are not a %s: %v",
				tool, method, resp.ProtoReflect().Descriptor().FullName(), err).withDetails(at)
		}
		return nil
	case *microcorev1.ToolResult_Error:
		return fromWire(o.Error)
	default:
		return Errorf(CodeGatewayBadMessage, "the kernel answered %s.%s with a ToolResult holding neither a response "+
			"nor an error. The host function mc_call must set one of them.", tool, method).withDetails(at)
	}
}

// splitMethod turns a generated client's full method name into the ToolCall's
// names: "/microcore.v1.Db/QueryOne" -> "db", "QueryOne". The tool name is the
// service's name in lower case, as the kernel's contract table has it.
func splitMethod(full string) (tool, method string, ok bool) {
	rest, found := strings.CutPrefix(full, "/microcore.v1.")
	if !found {
		return "", "", false
	}
	service, method, found := strings.Cut(rest, "/")
	if !found || service == "" || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return strings.ToLower(service), method, true
}
