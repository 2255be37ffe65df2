package microcore

import (
	"context"
	"sync"
	"time"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// EventHandler handles one event of a subscription. Its return value, converted
// as V does, answers a Bus.Request (an event from Publish ignores it). Return a
// *Error (yours, or one a tool call returned) to answer with its code; any other
// error answers MC_ERR_HANDLER_FAILED.
type EventHandler func(ctx context.Context, event *microcorev1.Envelope) (any, error)

// Subscription describes one subscription for Bus.Subscribe; see
// SubscribeRequest in proto/microcore/v1/bus.proto for each field.
type Subscription struct {
	Topic      string
	Group      string
	Broadcast  bool
	MaxRetries int32
}

// Bus is the bus tool: events to and from other plugins.
type Bus struct {
	c        microcorev1.BusClient
	handlers *handlerTable

	mu sync.Mutex
	// subs maps the kernel's subscription ids to this process's handler ids, so
	// Unsubscribe can drop the handler too.
	subs map[string]string
}

// Publish publishes one event (payload converted as V does) and returns the id
// of its envelope once the bus has accepted it. An empty key orders nothing.
func (b *Bus) Publish(ctx context.Context, topic string, payload any, key string) (string, error) {
	v, err := toValue(payload, "payload")
	if err != nil {
		return "", err
	}
	resp, err := b.c.Publish(ctx, &microcorev1.PublishRequest{Topic: topic, Payload: v, Key: key})
	if err != nil {
		return "", err
	}
	return resp.GetId(), nil
}

// Request publishes an event that one subscriber answers and returns its answer
// exactly as the handler returned it. A timeout of 0 means the kernel's default
// (5 s); past the timeout the error is MC_ERR_BUS_TIMEOUT.
func (b *Bus) Request(ctx context.Context, topic string, payload any, timeout time.Duration) (*microcorev1.Value, error) {
	v, err := toValue(payload, "payload")
	if err != nil {
		return nil, err
	}
	ms := timeout.Milliseconds()
	if timeout > 0 && ms == 0 {
		// The wire counts whole milliseconds and 0 means "the default"; a
		// sub-millisecond timeout must not turn into that.
		ms = 1
	}
	resp, err := b.c.Request(ctx, &microcorev1.BusRequestRequest{Topic: topic, Payload: v, TimeoutMs: ms})
	if err != nil {
		return nil, err
	}
	if resp.GetPayload() == nil {
		return nullValue(), nil
	}
	return resp.GetPayload(), nil
}

// Subscribe runs handler for each event of s.Topic and returns the subscription
// id for Unsubscribe. Call it in OnBoot. The kernel hands one subscription its
// events one at a time, in publish order (bus.proto), in a sidecar as in wasm.
func (b *Bus) Subscribe(ctx context.Context, s Subscription, handler EventHandler) (string, error) {
	label := "subscription " + s.Topic
	if handler == nil {
		return "", Errorf(CodeInvalidArgument, "Bus.Subscribe %s: the handler is nil; pass the function that handles its events", s.Topic)
	}
	id := b.handlers.add(label, eventInvoker(label, handler))
	resp, err := b.c.Subscribe(ctx, &microcorev1.SubscribeRequest{
		Topic:      s.Topic,
		HandlerId:  id,
		Group:      s.Group,
		Broadcast:  s.Broadcast,
		MaxRetries: s.MaxRetries,
	})
	if err != nil {
		b.handlers.remove(id)
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[string]string{}
	}
	b.subs[resp.GetSubscriptionId()] = id
	return resp.GetSubscriptionId(), nil
}

// Unsubscribe removes a subscription and its handler. A handler already running
// finishes; an event for it that arrives afterwards is answered
// MC_ERR_HANDLER_UNKNOWN.
// DeclareTopic declares a topic this plugin owns, with the JSON Schemas (as
// JSON text, empty for any) of its payload and, for a topic answered through
// Request, its reply. Every hosting's publish, request and reply on it is then
// checked against them (MC_ERR_BUS_SCHEMA names the field); an object schema
// without additionalProperties refuses fields it does not name.
func (b *Bus) DeclareTopic(ctx context.Context, topic, payloadSchemaJSON, replySchemaJSON, summary string) error {
	_, err := b.c.DeclareTopic(ctx, &microcorev1.DeclareTopicRequest{Topic: topic, PayloadSchemaJson: payloadSchemaJSON, ReplySchemaJson: replySchemaJSON, Summary: summary})
	return err
}

func (b *Bus) Unsubscribe(ctx context.Context, subscriptionID string) error {
	if _, err := b.c.Unsubscribe(ctx, &microcorev1.UnsubscribeRequest{SubscriptionId: subscriptionID}); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.subs[subscriptionID]; ok {
		b.handlers.remove(id)
		delete(b.subs, subscriptionID)
	}
	return nil
}

func eventInvoker(label string, handler EventHandler) invokeFunc {
	return func(ctx context.Context, req *microcorev1.InvokeRequest) (*microcorev1.InvokeResponse, error) {
		in := req.GetEvent()
		if in == nil {
			return nil, Errorf(CodeGatewayBadMessage,
				"handler %s serves the %s but Invoke carried no event input", req.GetHandlerId(), label)
		}
		out, err := handler(ctx, in)
		if err != nil {
			return nil, err
		}
		v, err := toValue(out, "return value")
		if err != nil {
			return nil, err
		}
		return &microcorev1.InvokeResponse{Output: &microcorev1.InvokeResponse_Value{Value: v}}, nil
	}
}
