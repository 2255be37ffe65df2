package main

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"
	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// call decodes raw as tool.method's request and makes the call through the
// SDK's public wrappers, the way a plugin author would. Methods that take a
// handler get the probe's fixed ones: an endpoint echoes body, auth and params;
// a subscription stores the payload in state under seen.<topic> and answers
// it; a stream sends one event on connect; a validator accepts the x-user header.
func (p *probe) call(ctx context.Context, tool, method string, raw []byte) (proto.Message, error) {
	k := p.k
	switch tool + "." + method {
	case "db.Query":
		r := &microcorev1.QueryRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.Db.Query(ctx, r.Sql, anys(r.Params)...)
	case "db.QueryOne":
		r := &microcorev1.QueryOneRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.Db.QueryOne(ctx, r.Sql, anys(r.Params)...)
	case "db.Execute":
		r := &microcorev1.ExecuteRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.Db.Execute(ctx, r.Sql, anys(r.Params)...)
	case "db.Transaction":
		r := &microcorev1.TransactionRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		stmts := make([]microcore.Statement, len(r.Statements))
		for i, s := range r.Statements {
			stmts[i] = microcore.Statement{SQL: s.Sql, Params: anys(s.Params)}
		}
		return k.Db.Transaction(ctx, stmts...)
	case "db.DescribeSchema":
		return k.Db.DescribeSchema(ctx)
	case "bus.Publish":
		r := &microcorev1.PublishRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		id, err := k.Bus.Publish(ctx, r.Topic, orNil(r.Payload), r.Key)
		if err != nil {
			return nil, err
		}
		return &microcorev1.PublishResponse{Id: id}, nil
	case "bus.Request":
		r := &microcorev1.BusRequestRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		v, err := k.Bus.Request(ctx, r.Topic, orNil(r.Payload), time.Duration(r.TimeoutMs)*time.Millisecond)
		if err != nil {
			return nil, err
		}
		return &microcorev1.BusRequestResponse{Payload: v}, nil
	case "bus.Subscribe":
		r := &microcorev1.SubscribeRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		id, err := k.Bus.Subscribe(ctx, microcore.Subscription{Topic: r.Topic, Group: r.Group, Broadcast: r.Broadcast, MaxRetries: r.MaxRetries}, func(ctx context.Context, e *microcorev1.Envelope) (any, error) {
			// Kept where a case can read it back: a wasm module cannot answer its own Bus.Request.
			if err := k.State.Set(ctx, "seen."+e.GetTopic(), orNil(e.GetPayload()), 0); err != nil {
				return nil, err
			}
			return e.GetPayload(), nil
		})
		if err != nil {
			return nil, err
		}
		return &microcorev1.SubscribeResponse{SubscriptionId: id}, nil
	case "bus.Unsubscribe":
		r := &microcorev1.UnsubscribeRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.UnsubscribeResponse{}, k.Bus.Unsubscribe(ctx, r.SubscriptionId)
	case "bus.DeclareTopic":
		r := &microcorev1.DeclareTopicRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.DeclareTopicResponse{}, k.Bus.DeclareTopic(ctx, r.Topic, r.PayloadSchemaJson, r.ReplySchemaJson, r.Summary)
	case "system.Status":
		// Not in the probe's needs: the case is the kernel's refusal.
		return microcorev1.NewSystemClient(k.Conn()).Status(ctx, &microcorev1.StatusRequest{})
	case "config.Get":
		r := &microcorev1.ConfigGetRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		if r.DefaultValue != nil {
			return k.Config.GetOr(ctx, r.Key, r.GetDefaultValue())
		}
		return k.Config.Get(ctx, r.Key)
	case "config.Require":
		r := &microcorev1.ConfigRequireRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.Config.Require(ctx, r.Keys...)
	case "logger.Log":
		r := &microcorev1.LogRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		fields := make(map[string]any, len(r.Fields))
		for key, v := range r.Fields {
			fields[key] = v
		}
		return &microcorev1.LogResponse{}, k.Logger.Log(ctx, r.Level, r.Message, fields)
	case "state.Get":
		r := &microcorev1.StateGetRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.State.Get(ctx, r.Key)
	case "state.Set":
		r := &microcorev1.StateSetRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.StateSetResponse{}, k.State.Set(ctx, r.Key, orNil(r.Value), time.Duration(r.TtlMs)*time.Millisecond)
	case "state.Delete":
		r := &microcorev1.StateDeleteRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return k.State.Delete(ctx, r.Key)
	case "http.AddEndpoint":
		r := &microcorev1.AddEndpointRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		e := microcore.Endpoint{Method: r.Method, Path: r.Path, BodySchemaJSON: r.BodySchemaJson, ResponseSchemaJSON: r.ResponseSchemaJson, SuccessStatus: r.SuccessStatus, Summary: r.Summary, Tags: r.Tags, Auth: r.Auth, TimeoutMs: r.TimeoutMs, ParamsSchemaJSON: r.ParamsSchemaJson, QuerySchemaJSON: r.QuerySchemaJson}
		return &microcorev1.AddEndpointResponse{}, k.Http.AddEndpoint(ctx, e, func(ctx context.Context, req *microcorev1.HttpRequest) (*microcorev1.HttpResponse, error) {
			// x-slow: wait on a reply the recorder gives after 300 ms, past a short endpoint timeout.
			if req.GetHeaders()["x-slow"] != "" {
				if _, err := k.Bus.Request(ctx, "conf.slow", nil, 2*time.Second); err != nil {
					return nil, err
				}
			}
			return microcore.Respond(0, map[string]any{"body": req.GetBody(), "auth": req.GetAuth(), "params": req.GetParams()})
		})
	case "http.AddStream":
		r := &microcorev1.AddStreamRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.AddStreamResponse{}, k.Http.AddStream(ctx, r.Path, func(ctx context.Context, req *microcorev1.HttpRequest) error {
			return k.Http.SendEvent(ctx, req.StreamId, "hello", map[string]any{"big": int64(9007199254740993), "text": "é🚀"}, "1")
		})
	case "http.SendEvent":
		r := &microcorev1.SendEventRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.SendEventResponse{}, k.Http.SendEvent(ctx, r.StreamId, r.Event, orNil(r.Data), r.Id)
	case "http.AddAuthValidator":
		r := &microcorev1.AddAuthValidatorRequest{}
		if err := proto.Unmarshal(raw, r); err != nil {
			return nil, err
		}
		return &microcorev1.AddAuthValidatorResponse{}, k.Http.AddAuthValidator(ctx, r.Name, func(_ context.Context, req *microcorev1.HttpRequest) (any, error) {
			user := req.GetHeaders()["x-user"]
			if user == "" {
				return nil, nil
			}
			return map[string]any{"user": user}, nil
		})
	}
	if m, ok := catalogMethods[tool+"."+method]; ok {
		return m(p, ctx, raw)
	}
	return nil, microcore.Errorf(microcore.CodeInvalidArgument, "conformance probe (%s): no such tool method %s.%s", p.hosting, tool, method)
}

// catalogMethods holds the methods of tools added with `microcore add`: each
// tool's file here (scheduler.go, …) fills it in its init, so adding a tool
// edits no line of this one.
var catalogMethods = map[string]func(p *probe, ctx context.Context, raw []byte) (proto.Message, error){}

// anys hands Values to the SDK as they are (V keeps a *Value unchanged).
func anys(vs []*microcorev1.Value) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// orNil turns an absent Value into an untyped nil (null), never a nil *Value in an interface.
func orNil(v *microcorev1.Value) any {
	if v == nil {
		return nil
	}
	return v
}
