package main

// Unit tests of the handlers against a fake db tool: what each handler sends
// and how it reads the answers (a redelivery's MC_ERR_DB_UNIQUE, a rejection,
// bad payloads). The SQL itself runs against the real kernel and SQLite in
// test/orders-flow.test.ts and test/inventory-sidecar.test.ts.

import (
	"context"
	"strings"
	"testing"

	microcore "microcore.dev/sdk/go"
	"microcore.dev/sdk/go/gen/microcorev1"
)

type fakeDb struct {
	txs     [][]microcore.Statement
	queries []string
	// txAnswer answers each Transaction; nil: one empty result per statement.
	txAnswer func(stmts []microcore.Statement) (*microcorev1.TransactionResponse, error)
	// row answers QueryOne; nil: not found.
	row map[string]any
}

func (f *fakeDb) QueryOne(_ context.Context, sql string, _ ...any) (*microcorev1.QueryOneResponse, error) {
	f.queries = append(f.queries, sql)
	if f.row == nil {
		return &microcorev1.QueryOneResponse{}, nil
	}
	return &microcorev1.QueryOneResponse{Found: true, Row: valueMap(f.row)}, nil
}

func (f *fakeDb) Transaction(_ context.Context, stmts ...microcore.Statement) (*microcorev1.TransactionResponse, error) {
	f.txs = append(f.txs, stmts)
	if f.txAnswer != nil {
		return f.txAnswer(stmts)
	}
	out := &microcorev1.TransactionResponse{}
	for range stmts {
		out.Results = append(out.Results, &microcorev1.StatementResult{})
	}
	return out, nil
}

type published struct {
	topic, key string
	payload    any
}

type fakeBus struct{ events []published }

func (b *fakeBus) Publish(_ context.Context, topic string, payload any, key string) (string, error) {
	b.events = append(b.events, published{topic, key, payload})
	return "id", nil
}

type fakeLog struct{ lines []string }

func (l *fakeLog) Warn(_ context.Context, msg string, _ map[string]any) error {
	l.lines = append(l.lines, msg)
	return nil
}

func valueMap(m map[string]any) *microcorev1.ValueMap {
	v, err := microcore.V(m)
	if err != nil {
		panic(err)
	}
	return v.GetMapValue()
}

func envelope(id, topic string, payload any) *microcorev1.Envelope {
	v, err := microcore.V(payload)
	if err != nil {
		panic(err)
	}
	return &microcorev1.Envelope{Id: id, Topic: topic, Source: "orders/create-order", Payload: v}
}

func newInventory() (*inventory, *fakeDb, *fakeBus) {
	db, bus := &fakeDb{}, &fakeBus{}
	return &inventory{identity: "sidecar/inventory", db: db, bus: bus, log: &fakeLog{}}, db, bus
}

// answerStatus answers a reserve transaction whose outcome SELECT read status.
func answerStatus(status string) func([]microcore.Statement) (*microcorev1.TransactionResponse, error) {
	return func(stmts []microcore.Statement) (*microcorev1.TransactionResponse, error) {
		out := &microcorev1.TransactionResponse{}
		for range stmts {
			out.Results = append(out.Results, &microcorev1.StatementResult{})
		}
		out.Results[len(stmts)-1].Rows = []*microcorev1.ValueMap{valueMap(map[string]any{"status": status})}
		return out, nil
	}
}

var created = map[string]any{"orderId": int64(7), "sku": "widget", "quantity": int64(3), "email": "a@b.c"}

func TestReserveRecordsTheEventInTheSameTransactionAsTheStockChange(t *testing.T) {
	inv, db, bus := newInventory()
	db.txAnswer = answerStatus("reserved")
	if _, err := inv.reserve(context.Background(), envelope("ev-1", "order.created", created)); err != nil {
		t.Fatal(err)
	}
	if len(db.txs) != 1 || len(db.txs[0]) != 4 {
		t.Fatalf("want one transaction of 4 statements, got %v", db.txs)
	}
	tx := db.txs[0]
	if tx[0].SQL != recordEvent || tx[0].Params[0] != "ev-1" || tx[0].Params[1] != "order.created" {
		t.Errorf("first statement must record the event id: %+v", tx[0])
	}
	if tx[1].SQL != reserveSQL || tx[2].SQL != takeSQL || tx[3].SQL != outcomeSQL {
		t.Errorf("statements out of order: %v", tx)
	}
	// Each statement's params match its placeholders.
	for i, s := range tx {
		if n := strings.Count(s.SQL, "?"); n != len(s.Params) {
			t.Errorf("statement %d has %d placeholders and %d params", i, n, len(s.Params))
		}
	}
	if len(bus.events) != 0 {
		t.Errorf("a reserved order announces nothing, got %v", bus.events)
	}
}

func TestReserveAnnouncesARejection(t *testing.T) {
	inv, db, bus := newInventory()
	db.txAnswer = answerStatus("rejected")
	if _, err := inv.reserve(context.Background(), envelope("ev-1", "order.created", created)); err != nil {
		t.Fatal(err)
	}
	if len(bus.events) != 1 || bus.events[0].topic != "order.rejected" || bus.events[0].key != "widget" {
		t.Fatalf("want one order.rejected keyed by sku, got %+v", bus.events)
	}
	p := bus.events[0].payload.(map[string]any)
	if p["orderId"] != int64(7) || p["quantity"] != int64(3) || p["reason"] != "insufficient stock" {
		t.Errorf("payload: %v", p)
	}
}

func TestARedeliveredOrderCreatedChangesNothing(t *testing.T) {
	inv, db, bus := newInventory()
	db.txAnswer = func([]microcore.Statement) (*microcorev1.TransactionResponse, error) {
		return nil, microcore.Errorf(microcore.CodeDbUnique, "UNIQUE constraint failed: inventory_events.event_id")
	}
	db.row = map[string]any{"status": "reserved"}
	if _, err := inv.reserve(context.Background(), envelope("ev-1", "order.created", created)); err != nil {
		t.Fatalf("a redelivery must succeed, got %v", err)
	}
	if len(db.queries) != 1 || db.queries[0] != outcomeSQL || len(bus.events) != 0 {
		t.Errorf("want the first outcome read and nothing announced: %v %v", db.queries, bus.events)
	}
	// A redelivered rejection is announced again (domains/orders applies it once).
	db.row = map[string]any{"status": "rejected"}
	if _, err := inv.reserve(context.Background(), envelope("ev-1", "order.created", created)); err != nil {
		t.Fatal(err)
	}
	if len(bus.events) != 1 || bus.events[0].topic != "order.rejected" {
		t.Errorf("want order.rejected again, got %v", bus.events)
	}
}

func TestOtherDbErrorsArePassedOnForTheBusToRetry(t *testing.T) {
	inv, db, _ := newInventory()
	db.txAnswer = func([]microcore.Statement) (*microcorev1.TransactionResponse, error) {
		return nil, microcore.Errorf(microcore.CodeDbBusy, "database is locked")
	}
	_, err := inv.reserve(context.Background(), envelope("ev-1", "order.created", created))
	if microcore.CodeOf(err) != microcore.CodeDbBusy {
		t.Errorf("want MC_ERR_DB_BUSY, got %v", err)
	}
	_, err = inv.release(context.Background(), envelope("ev-2", "order.cancelled", created))
	if microcore.CodeOf(err) != microcore.CodeDbBusy {
		t.Errorf("want MC_ERR_DB_BUSY, got %v", err)
	}
}

func TestReleaseIsOneTransactionAndARedeliveryIsDone(t *testing.T) {
	inv, db, _ := newInventory()
	cancelled := map[string]any{"orderId": int64(7), "sku": "widget", "quantity": int64(3)}
	if _, err := inv.release(context.Background(), envelope("ev-2", "order.cancelled", cancelled)); err != nil {
		t.Fatal(err)
	}
	if len(db.txs) != 1 || len(db.txs[0]) != 3 || db.txs[0][0].SQL != recordEvent || db.txs[0][1].SQL != giveBackSQL || db.txs[0][2].SQL != releaseSQL {
		t.Fatalf("want record, give back, release in one transaction: %v", db.txs)
	}
	for i, s := range db.txs[0] {
		if n := strings.Count(s.SQL, "?"); n != len(s.Params) {
			t.Errorf("statement %d has %d placeholders and %d params", i, n, len(s.Params))
		}
	}
	db.txAnswer = func([]microcore.Statement) (*microcorev1.TransactionResponse, error) {
		return nil, microcore.Errorf(microcore.CodeDbUnique, "UNIQUE constraint failed: inventory_events.event_id")
	}
	if _, err := inv.release(context.Background(), envelope("ev-2", "order.cancelled", cancelled)); err != nil {
		t.Errorf("a redelivered cancel must succeed, got %v", err)
	}
}

func TestBadPayloadsAreRefusedNamingTheField(t *testing.T) {
	inv, db, _ := newInventory()
	cases := []struct {
		payload any
		field   string
	}{
		{map[string]any{"sku": "widget", "quantity": int64(1)}, `"orderId"`},
		{map[string]any{"orderId": int64(1), "sku": "", "quantity": int64(1)}, `"sku"`},
		{map[string]any{"orderId": int64(1), "sku": "widget", "quantity": int64(0)}, `"quantity"`},
		{map[string]any{"orderId": int64(1), "sku": "widget", "quantity": 1.5}, `"quantity"`},
		{"not an object", "must be an object"},
	}
	for _, c := range cases {
		_, err := inv.reserve(context.Background(), envelope("ev", "order.created", c.payload))
		if microcore.CodeOf(err) != microcore.CodeInvalidArgument || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%v: want MC_ERR_INVALID_ARGUMENT naming %s, got %v", c.payload, c.field, err)
		}
	}
	if len(db.txs) != 0 {
		t.Errorf("a bad payload must not reach the db: %v", db.txs)
	}
}

func TestCheckAnswersAvailabilityOrNotFound(t *testing.T) {
	inv, db, _ := newInventory()
	_, err := inv.check(context.Background(), envelope("r", "inventory.check", map[string]any{"sku": "nope", "quantity": int64(1)}))
	if microcore.CodeOf(err) != microcore.CodeNotFound {
		t.Errorf("unknown sku: want MC_ERR_NOT_FOUND, got %v", err)
	}
	db.row = map[string]any{"stock": int64(5)}
	for q, want := range map[int64]bool{5: true, 6: false} {
		got, err := inv.check(context.Background(), envelope("r", "inventory.check", map[string]any{"sku": "gadget", "quantity": q}))
		if err != nil {
			t.Fatal(err)
		}
		if m := got.(map[string]any); m["available"] != want || m["stock"] != int64(5) {
			t.Errorf("quantity %d: got %v", q, m)
		}
	}
}
