package microcore

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// kernelStatus builds the error the kernel sends: a gRPC status whose details hold
// one packed microcore.v1.Error. Built by hand, not with Error.GRPCStatus, so the
// test checks the SDK against the protocol rather than against itself.
func kernelStatus(c codes.Code, mc *microcorev1.Error) error {
	st, err := status.New(c, mc.GetMessage()).WithDetails(mc)
	if err != nil {
		panic(err) // packing a generated message cannot fail
	}
	return st.Err()
}

func TestFromGRPCKeepsTheKernelsError(t *testing.T) {
	sent := &microcorev1.Error{Code: CodeCapDenied, Message: "sidecar/x needs state",
		Details: map[string]string{"tool": "state"}}
	err := fromGRPC("/microcore.v1.State/Get", kernelStatus(codes.PermissionDenied, sent))
	var mc *Error
	if !errors.As(err, &mc) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if mc.Code != CodeCapDenied || mc.Message != sent.Message || mc.Details["tool"] != "state" {
		t.Fatalf("translated wrongly: %#v", mc)
	}
	if status.Code(errors.Unwrap(err)) != codes.PermissionDenied {
		t.Fatal("the gRPC error should stay reachable as the cause")
	}
}

func TestFromGRPCWithoutDetailsIsInternal(t *testing.T) {
	err := fromGRPC("/microcore.v1.Db/Query", status.Error(codes.Unavailable, "connection refused"))
	if CodeOf(err) != CodeInternal || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
	if fromGRPC("m", nil) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestToWire(t *testing.T) {
	kernelErr := &Error{Code: CodeDbQuery, Message: "near SELEC", Details: map[string]string{"sql": "SELEC 1"}}
	w := toWire(fmt.Errorf("wrapped: %w", kernelErr), CodeHandlerFailed, map[string]string{"plugin": "x"})
	if w.Code != CodeDbQuery || w.Message != "near SELEC" || w.Details["sql"] != "SELEC 1" || w.Details["plugin"] != "" {
		t.Fatalf("a MicroCore error must travel unchanged: %v", w)
	}
	w = toWire(errors.New("boom"), CodeHandlerFailed, map[string]string{"plugin": "x"})
	if w.Code != CodeHandlerFailed || w.Message != "boom" || w.Details["plugin"] != "x" {
		t.Fatalf("a plain error becomes HANDLER_FAILED with its text: %v", w)
	}
}

func TestGRPCStatusFollowsTheProtocolTable(t *testing.T) {
	want := map[string]codes.Code{
		CodeCapDenied: codes.PermissionDenied, CodeGatewayUnauthenticated: codes.Unauthenticated,
		CodeInvalidArgument: codes.InvalidArgument, CodeGatewayBadMessage: codes.InvalidArgument,
		CodeNotFound: codes.NotFound, CodeGatewayUnknownMethod: codes.Unimplemented, CodeDbQuery: codes.Unknown,
	}
	for code, grpcCode := range want {
		st := Errorf(code, "m").GRPCStatus()
		if st.Code() != grpcCode {
			t.Errorf("%s: gRPC %s, want %s", code, st.Code(), grpcCode)
		}
		back := fromGRPC("m", st.Err())
		if CodeOf(back) != code {
			t.Errorf("%s did not survive the status round trip: %v", code, back)
		}
	}
}

// The Code* constants are exactly the ErrorCode enum, so a code added to the
// proto cannot be forgotten here.
func TestCodesMatchTheProtoEnum(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			v, _ := strconv.Unquote(vs.Values[0].(*ast.BasicLit).Value)
			got[vs.Names[0].Name] = v
		}
	}
	want := map[string]string{}
	for n, name := range microcorev1.ErrorCode_name {
		if n == 0 {
			continue
		}
		suffix := strings.TrimPrefix(name, "ERROR_CODE_")
		goName := "Code"
		for _, w := range strings.Split(suffix, "_") {
			goName += w[:1] + strings.ToLower(w[1:])
		}
		want[goName] = "MC_ERR_" + suffix
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("codes.go: want %s = %q, got %q", k, v, got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("codes.go: %s is not in the ErrorCode enum", k)
		}
	}
}

// TestGRPCCodesMatchTheKernel reads the generated docs/errors.md (the kernel's
// registry) and checks every code maps to the same gRPC status here.
func TestGRPCCodesMatchTheKernel(t *testing.T) {
	doc, err := os.ReadFile("../../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]codes.Code{"UNKNOWN": codes.Unknown, "INVALID_ARGUMENT": codes.InvalidArgument, "NOT_FOUND": codes.NotFound,
		"PERMISSION_DENIED": codes.PermissionDenied, "RESOURCE_EXHAUSTED": codes.ResourceExhausted, "UNIMPLEMENTED": codes.Unimplemented, "UNAVAILABLE": codes.Unavailable, "UNAUTHENTICATED": codes.Unauthenticated}
	rows := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `MC_ERR_") {
			continue
		}
		cells := strings.Split(line, "|")
		code, grpcName := strings.Trim(strings.TrimSpace(cells[1]), "`"), strings.TrimSpace(cells[3])
		want, ok := names[grpcName]
		if !ok {
			t.Fatalf("docs/errors.md names gRPC status %q for %s, which this test does not know", grpcName, code)
		}
		if got := grpcCode(code); got != want {
			t.Errorf("%s: the SDK answers gRPC %s, the kernel %s", code, got, want)
		}
		rows++
	}
	if rows < 30 {
		t.Fatalf("read only %d codes from docs/errors.md", rows)
	}
}

func TestWithFixCrossesTheWire(t *testing.T) {
	e := Errorf(CodeInvalidArgument, "limit is %d", 0).WithFix("Ask for 1 to 50.")
	w := toWire(e, CodeHandlerFailed, nil)
	if w.GetFix() != "Ask for 1 to 50." || w.GetMessage() != "limit is 0" {
		t.Fatalf("wire: %+v", w)
	}
	if back := fromWire(w); back.Fix != e.Fix {
		t.Fatalf("fromWire lost the fix: %+v", back)
	}
}
