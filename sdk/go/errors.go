package microcore

import (
	"errors"
	"fmt"
	"maps"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Error is the one MicroCore error, the Go face of microcore.v1.Error. Tool calls
// return it, and a handler returns it to answer with a specific code. Plugins
// branch on Code (see CodeOf), never on Message.
type Error struct {
	// Code is one of the Code* constants, or a newer code the kernel sent.
	Code string
	// Message says what is wrong, where, and what to do.
	Message string
	// Details holds structured facts: the plugin, the tool, the value seen.
	Details map[string]string
	// Fix says what to do about it, when the plugin knows better than the
	// code's catalogue entry (docs/errors.md); empty: the catalogue's. The
	// kernel shows a client "<Code>: <Message>. <Fix>", as for any hosting.
	Fix string

	// cause is the library error this one was translated from, kept for Unwrap;
	// it never crosses the wire.
	cause error
}

// Errorf is the factory for every error the SDK raises, and the way a handler
// answers with a specific code: Errorf(CodeNotFound, "no user %d", id).
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// WithFix sets the hint a client and the log show after the message, in place
// of the code's catalogue entry: Errorf(CodeInvalidArgument, "limit is %d", n).WithFix("Ask for 1 to 50.").
func (e *Error) WithFix(fix string) *Error {
	e.Fix = fix
	return e
}

// Unwrap returns the gRPC or Go error this one was translated from, if any.
func (e *Error) Unwrap() error { return e.cause }

// GRPCStatus lets grpc-go send an *Error as the protocol's status: the gRPC code the
// kernel assigns (docs/errors.md), with the microcore.v1.Error packed in the details.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(grpcCode(e.Code), e.Message)
	withDetails, err := st.WithDetails(e.wire())
	if err != nil {
		// Packing a generated message cannot fail; keep the code if it ever does.
		return st
	}
	return withDetails
}

// CodeOf returns the MicroCore code of err (searching its wrap chain), or "" when
// err is nil or not a MicroCore error.
func CodeOf(err error) string {
	var mc *Error
	if errors.As(err, &mc) {
		return mc.Code
	}
	return ""
}

func (e *Error) withDetails(d map[string]string) *Error {
	if len(d) == 0 {
		return e
	}
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	maps.Copy(e.Details, d)
	return e
}

func (e *Error) wire() *microcorev1.Error {
	return &microcorev1.Error{Code: e.Code, Message: e.Message, Details: e.Details, Fix: e.Fix}
}

func fromWire(w *microcorev1.Error) *Error {
	return &Error{Code: w.GetCode(), Message: w.GetMessage(), Details: w.GetDetails(), Fix: w.GetFix()}
}

// toWire turns what a handler returned into the InvokeResponse error: a MicroCore
// error travels unchanged (so a kernel error a handler passes on keeps its code),
// anything else gets the fallback code, its text, and the given details.
func toWire(err error, fallbackCode string, details map[string]string) *microcorev1.Error {
	var mc *Error
	if errors.As(err, &mc) {
		return mc.wire()
	}
	return (&Error{Code: fallbackCode, Message: err.Error()}).withDetails(details).wire()
}

// fromGRPC translates a failed tool call into *Error where it enters the SDK. The
// kernel packs a microcore.v1.Error in the status details; a status without one
// (the kernel is unreachable, the deadline passed) becomes MC_ERR_INTERNAL.
func fromGRPC(method string, err error) error {
	if err == nil {
		return nil
	}
	var mc *Error
	if errors.As(err, &mc) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		e := Errorf(CodeInternal, "%s failed: %v", method, err)
		e.cause = err
		return e
	}
	for _, d := range st.Details() {
		if w, isMC := d.(*microcorev1.Error); isMC {
			e := fromWire(w)
			e.cause = err
			return e
		}
	}
	// grpc-go refused to send or receive past MICROCORE_MESSAGE_LIMIT: the same
	// code the kernel gives when it is the one that refuses.
	if st.Code() == codes.ResourceExhausted {
		e := Errorf(CodeMessageTooLarge, "%s: %s (the kernel's MC_MESSAGE_LIMIT_BYTES bounds every message)", method, st.Message())
		e.cause = err
		return e.withDetails(map[string]string{"method": method})
	}
	e := Errorf(CodeInternal, "%s failed with gRPC status %s: %s", method, st.Code(), st.Message())
	e.cause = err
	return e.withDetails(map[string]string{"method": method, "grpcCode": st.Code().String()})
}

// grpcCodes is the kernel's mapping (kernel/errors.ts), as docs/errors.md lists
// it; codes not listed are Unknown. errors_test.go keeps the two equal.
var grpcCodes = map[string]codes.Code{
	"MC_ERR_BUS_NO_SUBSCRIBER":       codes.Unavailable,
	"MC_ERR_BUS_PUBLISH":             codes.InvalidArgument,
	"MC_ERR_BUS_SCHEMA":              codes.InvalidArgument,
	"MC_ERR_CAP_DENIED":              codes.PermissionDenied,
	"MC_ERR_CONFIG_MISSING":          codes.NotFound,
	"MC_ERR_DB_BUSY":                 codes.Unavailable,
	"MC_ERR_GATEWAY_BAD_MESSAGE":     codes.InvalidArgument,
	"MC_ERR_GATEWAY_UNAUTHENTICATED": codes.Unauthenticated,
	"MC_ERR_GATEWAY_UNKNOWN_METHOD":  codes.Unimplemented,
	"MC_ERR_HANDLER_UNKNOWN":         codes.NotFound,
	"MC_ERR_HTTP_MALFORMED":          codes.InvalidArgument,
	"MC_ERR_HTTP_NOT_FOUND":          codes.NotFound,
	"MC_ERR_HTTP_ROUTE":              codes.InvalidArgument,
	"MC_ERR_HTTP_STREAM_CLOSED":      codes.NotFound,
	"MC_ERR_HTTP_TOO_LARGE":          codes.InvalidArgument,
	"MC_ERR_HTTP_UNAUTHORIZED":       codes.Unauthenticated,
	"MC_ERR_MESSAGE_TOO_LARGE":       codes.ResourceExhausted,
	"MC_ERR_HTTP_UNSUPPORTED_MEDIA":  codes.InvalidArgument,
	"MC_ERR_HTTP_VALIDATION":         codes.InvalidArgument,
	"MC_ERR_INVALID_ARGUMENT":        codes.InvalidArgument,
	"MC_ERR_NOT_FOUND":               codes.NotFound,
	"MC_ERR_SIDECAR_DOWN":            codes.Unavailable,
	"MC_ERR_TOOL_UNAVAILABLE":        codes.Unavailable,
	"MC_ERR_VALUE_UNSUPPORTED":       codes.InvalidArgument,
}

func grpcCode(code string) codes.Code {
	if c, ok := grpcCodes[code]; ok {
		return c
	}
	return codes.Unknown
}
