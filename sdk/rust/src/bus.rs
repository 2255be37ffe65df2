//! The bus tool: events to and from other plugins. Subscription handlers run in
//! this module; a handler's `Ok` value answers a Bus.Request.

use crate::call::call;
use crate::pb::{
    BusRequestRequest, BusRequestResponse, DeclareTopicRequest, DeclareTopicResponse, PublishRequest, PublishResponse,
};
use crate::pb::{SubscribeRequest, SubscribeResponse, UnsubscribeRequest, UnsubscribeResponse};
use crate::registry::{self, Handler, Shared};
use crate::MaybeSend;
use crate::{Error, Value};

pub use crate::pb::Envelope;

const TOOL: &str = "bus";

/// A subscription to add: SubscribeRequest without the handler id, which the SDK
/// assigns. `Subscription::new("order.created").group("billing").max_retries(5)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// Dot-separated: order.created.
    pub topic: String,
    /// Subscriptions sharing a group share the events; empty: one group per plugin.
    pub group: String,
    /// Every subscription gets every event, ignoring group.
    pub broadcast: bool,
    /// Deliveries retried after the first failure; 0 means 3.
    pub max_retries: i32,
}

impl Subscription {
    pub fn new(topic: impl Into<String>) -> Self {
        Subscription { topic: topic.into(), ..Subscription::default() }
    }

    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    pub fn broadcast(mut self) -> Self {
        self.broadcast = true;
        self
    }

    pub fn max_retries(mut self, retries: i32) -> Self {
        self.max_retries = retries;
        self
    }
}

/// Bus.Publish: one event; returns its envelope id once the bus has accepted
/// it. An empty `key` orders nothing.
pub fn publish(topic: &str, payload: Value, key: &str) -> Result<String, Error> {
    let request = PublishRequest { topic: topic.into(), payload: Some(payload), key: key.into() };
    call::<_, PublishResponse>(TOOL, "Publish", &request).map(|published| published.id)
}

/// Bus.Request: an event one subscriber answers; returns the answer exactly as
/// its handler returned it. `timeout_ms` 0 means the kernel's default (5000);
/// past the timeout the error is MC_ERR_BUS_TIMEOUT.
pub fn request(topic: &str, payload: Value, timeout_ms: i64) -> Result<Value, Error> {
    let request = BusRequestRequest { topic: topic.into(), payload: Some(payload), timeout_ms };
    call::<_, BusRequestResponse>(TOOL, "Request", &request).map(|answer| answer.payload.unwrap_or_else(Value::null))
}

/// Bus.Subscribe: runs `handler` for each event of the subscription's topic and
/// returns the subscription id, for [`unsubscribe`]. Call it in on_boot. The
/// handler's Err answers the delivery (and a Bus.Request) unchanged. The kernel
/// hands one subscription its events one at a time, in publish order (bus.proto).
pub fn subscribe(
    subscription: Subscription,
    handler: impl Fn(Envelope) -> Result<Value, Error> + MaybeSend + 'static,
) -> Result<String, Error> {
    let id = registry::add(Handler::Event(Shared::new(handler)));
    let request = SubscribeRequest {
        topic: subscription.topic,
        handler_id: id.clone(),
        group: subscription.group,
        broadcast: subscription.broadcast,
        max_retries: subscription.max_retries,
    };
    match call::<_, SubscribeResponse>(TOOL, "Subscribe", &request) {
        Ok(added) => {
            registry::add_subscription(&added.subscription_id, &id);
            Ok(added.subscription_id)
        }
        Err(e) => {
            registry::remove(&id);
            Err(e)
        }
    }
}

/// Bus.Unsubscribe: removes the subscription and its handler; an event for it
/// that arrives afterwards is answered MC_ERR_HANDLER_UNKNOWN.
pub fn unsubscribe(subscription_id: &str) -> Result<(), Error> {
    let request = UnsubscribeRequest { subscription_id: subscription_id.into() };
    call::<_, UnsubscribeResponse>(TOOL, "Unsubscribe", &request)?;
    registry::remove_subscription(subscription_id);
    Ok(())
}

/// Bus.DeclareTopic: declares a topic this plugin owns, with the JSON Schemas
/// (as JSON text, empty for any) of its payload and, for a topic answered through
/// [`request`], its reply. Every hosting's publish, request and reply on it is then
/// checked against them (MC_ERR_BUS_SCHEMA names the field); an object schema
/// without `additionalProperties` refuses fields it does not name.
pub fn declare_topic(
    topic: &str,
    payload_schema_json: &str,
    reply_schema_json: &str,
    summary: &str,
) -> Result<(), Error> {
    let request = DeclareTopicRequest {
        topic: topic.into(),
        payload_schema_json: payload_schema_json.into(),
        reply_schema_json: reply_schema_json.into(),
        summary: summary.into(),
    };
    call::<_, DeclareTopicResponse>(TOOL, "DeclareTopic", &request).map(drop)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use prost::Message;

    use super::*;
    use crate::pb::{invoke_request::Input, invoke_response::Output, HttpRequest, InvokeRequest, ToolCall};
    use crate::testing::{fail, invoke, reset, respond, set_kernel};
    use crate::{codes, http, ValueMap};

    /// The parity payload: an int64 past 2^53, a blob, null and text past the BMP.
    fn payload() -> Value {
        ValueMap::from_iter([
            ("big", Value::from(9_007_199_254_740_993i64)),
            ("blob", vec![0x00u8, 0xff, 0x10, 0x80].into()),
            ("absent", Value::null()),
            ("text", "héllo wörld ✓ 日本語 🚀".into()),
        ])
        .into()
    }

    fn event(id: &str, payload: Value) -> InvokeRequest {
        let envelope = Envelope { id: "ev-1".into(), topic: "t".into(), payload: Some(payload), ..Envelope::default() };
        InvokeRequest { handler_id: id.into(), input: Some(Input::Event(envelope)) }
    }

    /// A fake kernel that accepts every bus call, echoes requests and records
    /// every call it answers.
    fn bus_kernel() -> Rc<RefCell<Vec<ToolCall>>> {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let seen = calls.clone();
        set_kernel(move |call| {
            seen.borrow_mut().push(call.clone());
            match call.method.as_str() {
                "Publish" => respond(&PublishResponse { id: "ev-9".into() }),
                "Request" => {
                    let asked = BusRequestRequest::decode(call.request.as_slice()).unwrap();
                    respond(&BusRequestResponse { payload: asked.payload })
                }
                "Subscribe" => {
                    let sub = SubscribeRequest::decode(call.request.as_slice()).unwrap();
                    respond(&SubscribeResponse { subscription_id: format!("sub-{}", sub.handler_id) })
                }
                "Unsubscribe" => respond(&UnsubscribeResponse {}),
                _ => fail(Error::new(codes::CAP_DENIED, format!("{}.{} denied", call.tool, call.method))),
            }
        });
        calls
    }

    #[test]
    fn subscribe_then_invoke_answers_the_value_exactly() {
        reset();
        let calls = bus_kernel();
        let subscription = Subscription::new("t.echo").group("g").broadcast().max_retries(2);
        assert_eq!(subscribe(subscription, |event| Ok(event.payload.unwrap_or_default())), Ok("sub-h1".into()));
        let sent = SubscribeRequest::decode(calls.borrow()[0].request.as_slice()).unwrap();
        let expected = SubscribeRequest {
            topic: "t.echo".into(),
            handler_id: "h1".into(),
            group: "g".into(),
            broadcast: true,
            max_retries: 2,
        };
        assert_eq!((calls.borrow()[0].tool.as_str(), calls.borrow()[0].method.as_str()), ("bus", "Subscribe"));
        assert_eq!(sent, expected);

        assert_eq!(invoke(event("h1", payload())).output, Some(Output::Value(payload())));
    }

    #[test]
    fn handler_error_passes_unchanged() {
        reset();
        bus_kernel();
        let failure = Error::new(codes::CONFLICT, "taken").with_detail("id", "7");
        let returned = failure.clone();
        subscribe(Subscription::new("t.fail"), move |_| Err(returned.clone())).unwrap();
        assert_eq!(invoke(event("h1", Value::null())).output, Some(Output::Error(failure.into())));
    }

    #[test]
    fn endpoints_and_subscriptions_share_ids_but_not_inputs() {
        reset();
        bus_kernel();
        subscribe(Subscription::new("t.a"), |_| Ok(Value::null())).unwrap();
        set_kernel(|_| respond(&crate::pb::AddEndpointResponse {}));
        http::add_endpoint(http::Endpoint::new("GET", "/x"), |_| Ok(http::response("x"))).unwrap();

        let Some(Output::Error(e)) = invoke(event("h2", Value::null())).output else { panic!("no error") };
        assert_eq!(e.code, codes::GATEWAY_BAD_MESSAGE);
        assert!(e.message.contains("takes an HTTP request but the InvokeRequest carried an event"), "{}", e.message);
        let http_request = InvokeRequest { handler_id: "h1".into(), input: Some(Input::Http(HttpRequest::default())) };
        let Some(Output::Error(e)) = invoke(http_request).output else { panic!("no error") };
        assert!(e.message.contains("takes an event but the InvokeRequest carried an HTTP request"), "{}", e.message);
        let no_input = InvokeRequest { handler_id: "h1".into(), input: None };
        let Some(Output::Error(e)) = invoke(no_input).output else { panic!("no error") };
        assert_eq!(e.code, codes::GATEWAY_BAD_MESSAGE);
    }

    #[test]
    fn publish_and_request_send_the_contract() {
        reset();
        let calls = bus_kernel();
        assert_eq!(publish("t.created", payload(), "k1"), Ok("ev-9".into()));
        let published = PublishRequest::decode(calls.borrow()[0].request.as_slice()).unwrap();
        assert_eq!(published, PublishRequest { topic: "t.created".into(), payload: Some(payload()), key: "k1".into() });

        assert_eq!(request("t.echo", payload(), 2000), Ok(payload()));
        let asked = BusRequestRequest::decode(calls.borrow()[1].request.as_slice()).unwrap();
        assert_eq!((asked.topic.as_str(), asked.timeout_ms), ("t.echo", 2000));

        set_kernel(|_| respond(&BusRequestResponse { payload: None }));
        assert_eq!(request("t.silent", Value::null(), 0), Ok(Value::null()));
    }

    #[test]
    fn kernel_errors_reach_the_caller_unchanged() {
        reset();
        let timeout = Error::new(codes::BUS_TIMEOUT, "no answer on t.slow within 10 ms").with_detail("topic", "t.slow");
        let sent = timeout.clone();
        set_kernel(move |_| fail(sent.clone()));
        assert_eq!(request("t.slow", Value::null(), 10), Err(timeout.clone()));
        assert_eq!(publish("t.slow", Value::null(), ""), Err(timeout.clone()));
        assert_eq!(unsubscribe("sub-h1"), Err(timeout));
    }

    #[test]
    fn refused_or_removed_subscription_leaves_no_handler() {
        reset();
        set_kernel(|_| fail(Error::new(codes::BUS_PUBLISH, "bad topic")));
        let err = subscribe(Subscription::new("t..x"), |_| Ok(Value::null())).unwrap_err();
        assert_eq!(err.code, codes::BUS_PUBLISH);
        let Some(Output::Error(e)) = invoke(event("h1", Value::null())).output else { panic!("no error") };
        assert_eq!(e.code, codes::HANDLER_UNKNOWN);

        let calls = bus_kernel();
        let id = subscribe(Subscription::new("t.a"), |_| Ok(Value::null())).unwrap();
        assert_eq!(invoke(event("h2", Value::null())).output, Some(Output::Value(Value::null())));
        unsubscribe(&id).unwrap();
        let removed = UnsubscribeRequest::decode(calls.borrow()[1].request.as_slice()).unwrap();
        assert_eq!(removed.subscription_id, "sub-h2");
        let Some(Output::Error(e)) = invoke(event("h2", Value::null())).output else { panic!("no error") };
        assert_eq!(e.code, codes::HANDLER_UNKNOWN);
    }
}
