// Command inventory is the inventory domain as a Go sidecar, the example to
// start a sidecar from (README, "Orders flow"). It owns the stock table
// (migrations/001_inventory.sql) and:
//
//   - answers the bus request inventory.check {sku, quantity} with
//     {available, stock}; an unknown sku answers MC_ERR_NOT_FOUND;
//   - reserves stock on order.created and releases it on order.cancelled,
//     once per event id and per order, each in one transaction (reserve.go);
//     an order the stock cannot cover is rejected: order.rejected is published
//     and domains/orders marks the order;
//   - serves GET /inventory/:sku and PUT /inventory/:sku (stock.go).
package main

import (
	"context"
	"time"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

// store is the part of the db tool this sidecar uses; *microcore.Db is one,
// and the unit tests pass a fake.
type store interface {
	QueryOne(ctx context.Context, sql string, params ...any) (*microcorev1.QueryOneResponse, error)
	Transaction(ctx context.Context, stmts ...microcore.Statement) (*microcorev1.TransactionResponse, error)
}

// publisher is the part of the bus tool this sidecar uses to announce.
type publisher interface {
	Publish(ctx context.Context, topic string, payload any, key string) (string, error)
}

// logger is the part of the logger tool this sidecar uses.
type logger interface {
	Warn(ctx context.Context, msg string, fields map[string]any) error
}

type inventory struct {
	identity string
	db       store
	bus      publisher
	log      logger
}

func main() {
	microcore.Serve(&inventory{})
}

func (inv *inventory) OnBoot(ctx context.Context, k *microcore.Kernel) error {
	inv.identity, inv.db, inv.bus, inv.log = k.Identity, k.Db, k.Bus, k.Logger
	subscriptions := []struct {
		topic   string
		handler microcore.EventHandler
	}{
		{"inventory.check", inv.check},
		{"order.created", inv.reserve},
		{"order.cancelled", inv.release},
	}
	// The topics this service owns: every hosting's request, reply and publish
	// on them is checked against these by the kernel.
	topics := []struct{ topic, payload, reply, summary string }{
		{"inventory.check", checkSchema, checkReplySchema, "Is there stock for {sku, quantity}? Answers {available, stock}."},
		{"order.rejected", rejectedSchema, "", "An order the stock could not cover (keyed by sku); domains/orders marks it rejected."},
	}
	for _, t := range topics {
		if err := k.Bus.DeclareTopic(ctx, t.topic, t.payload, t.reply, t.summary); err != nil {
			return err
		}
	}
	for _, s := range subscriptions {
		// A failed reservation (db busy, sidecar restarting) is retried by the bus
		// (3 times, doubling delays), then dead-lettered to _dlq.<topic>; the
		// event-id record makes a retry of work that did commit change nothing.
		if _, err := k.Bus.Subscribe(ctx, microcore.Subscription{Topic: s.topic}, s.handler); err != nil {
			return err
		}
	}
	endpoints := []struct {
		endpoint microcore.Endpoint
		handler  microcore.HttpHandler
	}{
		{microcore.Endpoint{Method: "GET", Path: "/inventory/:sku", Summary: "Stock of one product, and how much open orders hold", Tags: []string{"inventory"}}, inv.get},
		{microcore.Endpoint{Method: "PUT", Path: "/inventory/:sku", Summary: "Set a product's stock (creates the product)", Tags: []string{"inventory"}, BodySchemaJSON: putSchema}, inv.put},
	}
	for _, e := range endpoints {
		if err := k.Http.AddEndpoint(ctx, e.endpoint, e.handler); err != nil {
			return err
		}
	}
	return nil
}

// warn logs through the logger tool; a failed log line is not worth failing
// the event it describes (which would retry work already committed).
func (inv *inventory) warn(ctx context.Context, msg string, fields map[string]any) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = inv.log.Warn(ctx, msg, fields)
}
