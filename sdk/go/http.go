package microcore

import (
	"context"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// HttpHandler answers one HTTP request. Return a *Error (yours, or one a tool call
// returned) to answer with its code; any other error answers MC_ERR_HANDLER_FAILED.
type HttpHandler func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error)

// Endpoint describes one endpoint for Http.AddEndpoint; see AddEndpointRequest
// in proto/microcore/v1/http.proto for each field.
type Endpoint struct {
	Method             string
	Path               string
	BodySchemaJSON     string
	ResponseSchemaJSON string
	SuccessStatus      int32
	Summary            string
	Tags               []string
	// Auth names the auth validator (Http.AddAuthValidator) to run first; empty: none.
	Auth string
	// TimeoutMs is the request's deadline (504 MC_ERR_HTTP_TIMEOUT past it); 0: HTTP_HANDLER_TIMEOUT_MS.
	TimeoutMs int64
	// ParamsSchemaJSON and QuerySchemaJSON are JSON Schemas (object schemas, one
	// property a parameter) of the path parameters and the query string. Values
	// are judged as their type reads them ("7" is an integer); a request failing
	// them is answered 422 naming the parameter before the handler runs, and the
	// handler gets the text sent, a `default` filling one left out.
	ParamsSchemaJSON string
	QuerySchemaJSON  string
}

// Http is the http tool.
type Http struct {
	c        microcorev1.HttpClient
	handlers *handlerTable
}

// AddEndpoint adds an endpoint whose requests run handler. Call it in OnBoot.
func (h *Http) AddEndpoint(ctx context.Context, e Endpoint, handler HttpHandler) error {
	label := e.Method + " " + e.Path
	if handler == nil {
		return Errorf(CodeInvalidArgument, "Http.AddEndpoint %s: the handler is nil; pass the function that answers it", label)
	}
	id := h.handlers.add(label, httpInvoker(label, handler))
	_, err := h.c.AddEndpoint(ctx, &microcorev1.AddEndpointRequest{
		Method:             e.Method,
		Path:               e.Path,
		HandlerId:          id,
		BodySchemaJson:     e.BodySchemaJSON,
		ResponseSchemaJson: e.ResponseSchemaJSON,
		SuccessStatus:      e.SuccessStatus,
		Summary:            e.Summary,
		Tags:               e.Tags,
		Auth:               e.Auth,
		TimeoutMs:          e.TimeoutMs,
		ParamsSchemaJson:   e.ParamsSchemaJSON,
		QuerySchemaJson:    e.QuerySchemaJSON,
	})
	if err != nil {
		h.handlers.remove(id)
		return err
	}
	return nil
}

// Respond builds an HttpResponse with body converted as V does; status 0 means
// the endpoint's success status.
func Respond(status int32, body any) (*microcorev1.HttpResponse, error) {
	v, err := toValue(body, "body")
	if err != nil {
		return nil, err
	}
	return &microcorev1.HttpResponse{Status: status, Body: v}, nil
}

func httpInvoker(label string, handler HttpHandler) invokeFunc {
	return func(ctx context.Context, req *microcorev1.InvokeRequest) (*microcorev1.InvokeResponse, error) {
		in := req.GetHttp()
		if in == nil {
			return nil, Errorf(CodeGatewayBadMessage,
				"handler %s serves the endpoint %s but Invoke carried no http input", req.GetHandlerId(), label)
		}
		out, err := handler(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &microcorev1.HttpResponse{}
		}
		return &microcorev1.InvokeResponse{Output: &microcorev1.InvokeResponse_Http{Http: out}}, nil
	}
}
