//! order.created {orderId, sku, quantity, email} → the co-purchase counts.
//!
//! One Db.Transaction per event. Its first statement records the envelope id
//! in recommendations_events: a redelivered event (same id) fails there with
//! MC_ERR_DB_UNIQUE, the whole transaction rolls back, and the handler answers
//! success, so the event counted exactly once. Its second takes the customer's
//! row in recommendations_customers, so one customer's orders are counted one
//! after the other even on several kernels: each then sees the purchases the
//! other committed. The counts and the purchase row commit together or not at all.

use microcore::bus::Envelope;
use microcore::db::{self, Statement};
use microcore::{codes, logger, Error, Value};

const RECORD_EVENT: &str = "INSERT INTO recommendations_events (event_id, order_id) VALUES (?, ?)";

/// Holds the customer's row until the transaction ends (PostgreSQL's row lock;
/// SQLite writes one transaction at a time). Param: customer.
const LOCK_CUSTOMER: &str = "INSERT INTO recommendations_customers (customer) VALUES (?)
  ON CONFLICT (customer) DO UPDATE SET customer = excluded.customer";

/// Adds one customer to (sku, every other sku this customer bought), unless the
/// customer had bought sku before (then they were counted then). The WHERE
/// also settles SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity; the
/// update names the table's own `customers` (PostgreSQL finds a bare one
/// ambiguous beside `excluded.customers`).
/// Params: sku, customer, sku, customer, sku.
const COUNT_FORWARD: &str = "INSERT INTO recommendations_pairs (sku, other_sku, customers)
  SELECT ?, p.sku, 1 FROM recommendations_purchases p WHERE p.customer = ? AND p.sku <> ?
    AND NOT EXISTS (SELECT 1 FROM recommendations_purchases WHERE customer = ? AND sku = ?)
  ON CONFLICT (sku, other_sku) DO UPDATE SET customers = recommendations_pairs.customers + 1";

/// The same pairs the other way round: (every other sku, sku). Same params.
const COUNT_BACKWARD: &str = "INSERT INTO recommendations_pairs (sku, other_sku, customers)
  SELECT p.sku, ?, 1 FROM recommendations_purchases p WHERE p.customer = ? AND p.sku <> ?
    AND NOT EXISTS (SELECT 1 FROM recommendations_purchases WHERE customer = ? AND sku = ?)
  ON CONFLICT (sku, other_sku) DO UPDATE SET customers = recommendations_pairs.customers + 1";

/// Last, so the two counts above still see the purchase as new.
const RECORD_PURCHASE: &str =
    "INSERT INTO recommendations_purchases (customer, sku) VALUES (?, ?) ON CONFLICT DO NOTHING";

/// What order.created carries that the counts use.
#[derive(Debug, PartialEq)]
pub struct Order {
    pub id: i64,
    pub sku: String,
    /// The email, trimmed and lower-cased: Ada@Example.org is ada@example.org.
    pub customer: String,
}

/// Handles one order.created.
pub fn on_order_created(event: Envelope) -> Result<Value, Error> {
    let order = read_order(&event)?;
    let (sku, customer) = (Value::from(order.sku.as_str()), Value::from(order.customer.as_str()));
    let pair_params = || [sku.clone(), customer.clone(), sku.clone(), customer.clone(), sku.clone()];
    let counted = db::transaction(vec![
        Statement::new(RECORD_EVENT, [event.id.as_str().into(), order.id.into()]),
        Statement::new(LOCK_CUSTOMER, [customer.clone()]),
        Statement::new(COUNT_FORWARD, pair_params()),
        Statement::new(COUNT_BACKWARD, pair_params()),
        Statement::new(RECORD_PURCHASE, [customer.clone(), sku.clone()]),
    ]);
    match counted {
        Ok(_) => Ok(Value::null()),
        Err(e) if e.code == codes::DB_UNIQUE => {
            // Seen before: its counts stand. A failed log line is not worth a
            // redelivery of work already done.
            let _ = logger::debug("order.created already counted", [("eventId", event.id.as_str().into())]);
            Ok(Value::null())
        }
        Err(e) => Err(e),
    }
}

/// The order in an event's payload; anything else is the publisher's mistake,
/// answered MC_ERR_INVALID_ARGUMENT naming the topic, the source and the field.
pub fn read_order(event: &Envelope) -> Result<Order, Error> {
    let Some(fields) = event.payload.as_ref().and_then(Value::as_map) else {
        return Err(Error::new(
            codes::INVALID_ARGUMENT,
            format!(
                "{} from {}: the payload must be an object with orderId, sku and email, got {}",
                event.topic,
                event.source,
                describe(event.payload.as_ref())
            ),
        )
        .with_detail("topic", event.topic.as_str()));
    };
    let text = |name: &str| match fields.get(name).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(invalid(event, name, "a non-empty string", fields.get(name))),
    };
    let id = match fields.get("orderId").and_then(Value::as_i64) {
        Some(id) if id > 0 => id,
        _ => return Err(invalid(event, "orderId", "a whole number greater than 0", fields.get("orderId"))),
    };
    // The sku as the order holds it; the email as one customer however typed.
    Ok(Order { id, sku: text("sku")?, customer: text("email")?.trim().to_lowercase() })
}

fn invalid(event: &Envelope, field: &str, want: &str, got: Option<&Value>) -> Error {
    Error::new(
        codes::INVALID_ARGUMENT,
        format!("{} from {}: '{field}' must be {want}, got {}", event.topic, event.source, describe(got)),
    )
    .with_detail("topic", event.topic.as_str())
    .with_detail("field", field)
}

/// A value as an error message shows it: 'text', 42, null, nothing.
fn describe(v: Option<&Value>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) if v.is_null() => "null".into(),
        Some(v) => match (v.as_str(), v.as_i64()) {
            (Some(s), _) => format!("'{s}'"),
            (_, Some(i)) => i.to_string(),
            _ => format!("{:?}", v.kind.as_ref().expect("is_null covers an unset kind")),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use microcore::pb::{ToolCall, TransactionRequest, TransactionResponse};
    use microcore::testing::{fail, reset, respond, set_kernel};
    use microcore::ValueMap;
    use prost::Message;

    use super::*;

    fn order(payload: Value) -> Envelope {
        Envelope {
            id: "ev-1".into(),
            topic: "order.created".into(),
            source: "orders/create-order".into(),
            payload: Some(payload),
            ..Envelope::default()
        }
    }

    fn payload(id: i64, sku: &str, email: &str) -> Value {
        ValueMap::from_iter([
            ("orderId", Value::from(id)),
            ("sku", sku.into()),
            ("quantity", 2i64.into()),
            ("email", email.into()),
        ])
        .into()
    }

    /// A fake kernel answering each call with `answer` and recording it.
    fn kernel(answer: impl Fn(&ToolCall) -> microcore::pb::ToolResult + 'static) -> Rc<RefCell<Vec<ToolCall>>> {
        reset();
        let calls = Rc::new(RefCell::new(Vec::new()));
        let seen = calls.clone();
        set_kernel(move |call| {
            seen.borrow_mut().push(call.clone());
            answer(&call)
        });
        calls
    }

    #[test]
    fn one_transaction_records_the_event_then_holds_the_customer_then_counts_then_records_the_purchase() {
        let calls = kernel(|_| respond(&TransactionResponse::default()));
        assert_eq!(on_order_created(order(payload(7, "widget", " Ada@Example.org "))), Ok(Value::null()));
        let calls = calls.borrow();
        assert_eq!(calls.len(), 1, "one tool call: {calls:?}");
        assert_eq!((calls[0].tool.as_str(), calls[0].method.as_str()), ("db", "Transaction"));
        let tx = TransactionRequest::decode(calls[0].request.as_slice()).unwrap();
        let sql: Vec<&str> = tx.statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql, [RECORD_EVENT, LOCK_CUSTOMER, COUNT_FORWARD, COUNT_BACKWARD, RECORD_PURCHASE]);
        assert_eq!(tx.statements[0].params, [Value::from("ev-1"), Value::from(7i64)]);
        let (sku, customer) = (Value::from("widget"), Value::from("ada@example.org"));
        assert_eq!(tx.statements[1].params, [customer.clone()]);
        let pairs = [sku.clone(), customer.clone(), sku.clone(), customer.clone(), sku.clone()];
        assert_eq!(tx.statements[2].params, pairs);
        assert_eq!(tx.statements[3].params, pairs);
        assert_eq!(tx.statements[4].params, [customer, sku]);
    }

    #[test]
    fn a_redelivered_event_is_success_and_writes_nothing_more() {
        let calls = kernel(|call| match call.tool.as_str() {
            "db" => fail(Error::new(codes::DB_UNIQUE, "UNIQUE constraint failed: recommendations_events.event_id")),
            _ => respond(&microcore::pb::LogResponse {}),
        });
        assert_eq!(on_order_created(order(payload(7, "widget", "ada@example.org"))), Ok(Value::null()));
        let methods: Vec<String> = calls.borrow().iter().map(|c| format!("{}.{}", c.tool, c.method)).collect();
        assert_eq!(methods, ["db.Transaction", "logger.Log"]);
    }

    #[test]
    fn another_db_error_fails_the_delivery_so_the_bus_retries() {
        kernel(|_| fail(Error::new(codes::DB_BUSY, "database is locked")));
        let err = on_order_created(order(payload(7, "widget", "ada@example.org"))).unwrap_err();
        assert_eq!(err.code, codes::DB_BUSY);
    }

    #[test]
    fn a_bad_payload_names_the_field_and_calls_nothing() {
        let calls = kernel(|_| respond(&TransactionResponse::default()));
        let cases = [
            (payload(0, "widget", "a@b.c"), "orderId", "got 0"),
            (payload(1, "", "a@b.c"), "sku", "got ''"),
            (ValueMap::from_iter([("orderId", Value::from(1i64)), ("sku", "x".into())]).into(), "email", "got nothing"),
        ];
        for (p, field, got) in cases {
            let err = on_order_created(order(p)).unwrap_err();
            assert_eq!(err.code, codes::INVALID_ARGUMENT);
            assert_eq!(err.details.get("field").map(String::as_str), Some(field));
            assert!(
                err.message.contains("order.created from orders/create-order") && err.message.contains(got),
                "{}",
                err.message
            );
        }
        let err = on_order_created(order(Value::from("widget"))).unwrap_err();
        assert!(err.message.contains("must be an object") && err.message.contains("'widget'"), "{}", err.message);
        assert!(calls.borrow().is_empty());
    }
}
