package microcore

import (
	"context"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// StreamHandler runs when a client connects to a stream endpoint; req.StreamId
// names the connection for SendEvent. The stream stays open after it returns.
type StreamHandler func(ctx context.Context, req *microcorev1.HttpRequest) error

// AuthValidator checks a request for an endpoint that names it. What it returns
// becomes the request's Auth; nil or an error refuses the request.
type AuthValidator func(ctx context.Context, req *microcorev1.HttpRequest) (any, error)

// AddStream adds a server-sent events endpoint (GET path). Call it in OnBoot.
func (h *Http) AddStream(ctx context.Context, path string, handler StreamHandler) error {
	if handler == nil {
		return Errorf(CodeInvalidArgument, "Http.AddStream %s: the handler is nil; pass the function that serves it", path)
	}
	label := "stream " + path
	id := h.handlers.add(label, httpInvoker(label, func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
		return nil, handler(ctx, req)
	}))
	if _, err := h.c.AddStream(ctx, &microcorev1.AddStreamRequest{Path: path, HandlerId: id}); err != nil {
		h.handlers.remove(id)
		return err
	}
	return nil
}

// SendEvent sends one event down an open stream; it fails with
// CodeHttpStreamClosed once the client has gone. event and id may be empty.
func (h *Http) SendEvent(ctx context.Context, streamID, event string, data any, id string) error {
	v, err := toValue(data, "data")
	if err != nil {
		return err
	}
	_, err = h.c.SendEvent(ctx, &microcorev1.SendEventRequest{StreamId: streamID, Event: event, Data: v, Id: id})
	return err
}

// AddAuthValidator adds a validator that endpoints name in Endpoint.Auth.
func (h *Http) AddAuthValidator(ctx context.Context, name string, validator AuthValidator) error {
	if validator == nil {
		return Errorf(CodeInvalidArgument, "Http.AddAuthValidator %s: the validator is nil; pass the function that checks requests", name)
	}
	label := "auth validator " + name
	id := h.handlers.add(label, httpInvoker(label, func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
		claims, err := validator(ctx, req)
		if err != nil {
			return nil, err
		}
		return Respond(0, claims)
	}))
	if _, err := h.c.AddAuthValidator(ctx, &microcorev1.AddAuthValidatorRequest{Name: name, HandlerId: id}); err != nil {
		h.handlers.remove(id)
		return err
	}
	return nil
}
