package main

import (
	"fmt"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// fields reads an event's payload as an object; anything else is the
// publisher's mistake, answered MC_ERR_INVALID_ARGUMENT naming the topic.
func fields(event *microcorev1.Envelope) (map[string]any, error) {
	m, ok := microcore.FromValue(event.GetPayload()).(map[string]any)
	if !ok {
		return nil, microcore.Errorf(microcore.CodeInvalidArgument,
			"%s from %s: the payload must be an object, got %T", event.GetTopic(), event.GetSource(), microcore.FromValue(event.GetPayload()))
	}
	return m, nil
}

// text reads a non-empty string field.
func text(event *microcorev1.Envelope, m map[string]any, name string) (string, error) {
	s, ok := m[name].(string)
	if !ok || s == "" {
		return "", invalid(event, name, "a non-empty string", m[name])
	}
	return s, nil
}

// positive reads a whole number field greater than 0.
func positive(event *microcorev1.Envelope, m map[string]any, name string) (int64, error) {
	n, ok := m[name].(int64)
	if !ok || n <= 0 {
		return 0, invalid(event, name, "a whole number greater than 0", m[name])
	}
	return n, nil
}

func invalid(event *microcorev1.Envelope, name, want string, got any) error {
	e := microcore.Errorf(microcore.CodeInvalidArgument,
		"%s from %s: %q must be %s, got %s", event.GetTopic(), event.GetSource(), name, want, describe(got))
	e.Details = map[string]string{"topic": event.GetTopic(), "field": name}
	return e
}

func describe(v any) string {
	if v == nil {
		return "nothing"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// order is what order.created and order.cancelled carry that the inventory uses.
type order struct {
	id       int64
	sku      string
	quantity int64
}

func readOrder(event *microcorev1.Envelope) (order, error) {
	m, err := fields(event)
	if err != nil {
		return order{}, err
	}
	var o order
	if o.id, err = positive(event, m, "orderId"); err != nil {
		return order{}, err
	}
	if o.sku, err = text(event, m, "sku"); err != nil {
		return order{}, err
	}
	if o.quantity, err = positive(event, m, "quantity"); err != nil {
		return order{}, err
	}
	return o, nil
}
