//! The handlers this module registered, by the id the kernel passes back in
//! InvokeRequest.handler_id. Ids are "h1", "h2", ... in registration order.
//! A wasm instance is single-threaded, so the registry is thread-local.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::error::{handler_unknown, wrong_input};
use crate::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, InvokeResponse};
use crate::pb::{Envelope, HttpRequest, HttpResponse};
use crate::{Error, Value};

pub(crate) type HttpHandler = Rc<dyn Fn(HttpRequest) -> Result<HttpResponse, Error>>;
pub(crate) type EventHandler = Rc<dyn Fn(Envelope) -> Result<Value, Error>>;

/// What a registered id runs: an endpoint (InvokeRequest.http) or a
/// subscription (InvokeRequest.event).
#[derive(Clone)]
pub(crate) enum Handler {
    Http(HttpHandler),
    Event(EventHandler),
}

#[derive(Default)]
struct Registry {
    last: u64,
    handlers: BTreeMap<String, Handler>,
    /// The kernel's subscription ids, to the handler ids they invoke.
    subscriptions: HashMap<String, String>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Registers a handler and returns its new id.
pub(crate) fn add(handler: Handler) -> String {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.last += 1;
        let id = format!("h{}", r.last);
        r.handlers.insert(id.clone(), handler);
        id
    })
}

/// Forgets a handler whose registration the kernel refused.
pub(crate) fn remove(id: &str) {
    REGISTRY.with(|r| r.borrow_mut().handlers.remove(id));
}

/// Remembers which handler a subscription invokes.
pub(crate) fn add_subscription(subscription_id: &str, handler_id: &str) {
    REGISTRY.with(|r| r.borrow_mut().subscriptions.insert(subscription_id.into(), handler_id.into()));
}

/// Forgets a removed subscription and its handler.
pub(crate) fn remove_subscription(subscription_id: &str) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(id) = r.subscriptions.remove(subscription_id) {
            r.handlers.remove(&id);
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn clear() {
    REGISTRY.with(|r| *r.borrow_mut() = Registry::default());
}

/// Runs the handler an InvokeRequest names. A handler's Err becomes
/// InvokeResponse.error unchanged.
pub(crate) fn dispatch(request: InvokeRequest) -> InvokeResponse {
    let id = request.handler_id;
    // Clone the handler out so a handler may itself call the registry.
    let handler = REGISTRY.with(|r| r.borrow().handlers.get(&id).cloned());
    let outcome = match (handler, request.input) {
        (None, _) => {
            let known: Vec<String> = REGISTRY.with(|r| r.borrow().handlers.keys().cloned().collect());
            Err(handler_unknown(&id, &known))
        }
        (Some(Handler::Http(run)), Some(Input::Http(http))) => run(http).map(Output::Http),
        (Some(Handler::Http(_)), Some(Input::Event(_))) => Err(wrong_input(&id, "an HTTP request", "an event")),
        (Some(Handler::Http(_)), None) => Err(wrong_input(&id, "an HTTP request", "no input")),
        (Some(Handler::Event(run)), Some(Input::Event(event))) => run(event).map(Output::Value),
        (Some(Handler::Event(_)), Some(Input::Http(_))) => Err(wrong_input(&id, "an event", "an HTTP request")),
        (Some(Handler::Event(_)), None) => Err(wrong_input(&id, "an event", "no input")),
    };
    InvokeResponse { output: Some(outcome.unwrap_or_else(|e| Output::Error(e.into()))) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{codes, Value};

    fn http_request(id: &str) -> InvokeRequest {
        InvokeRequest { handler_id: id.into(), input: Some(Input::Http(HttpRequest::default())) }
    }

    fn answer(text: &'static str) -> Handler {
        Handler::Http(Rc::new(move |_| Ok(crate::http::response(text))))
    }

    #[test]
    fn dispatches_by_id() {
        clear();
        assert_eq!(add(answer("first")), "h1");
        assert_eq!(add(answer("second")), "h2");
        let Some(Output::Http(res)) = dispatch(http_request("h2")).output else { panic!("no http output") };
        assert_eq!(res.body, Some(Value::from("second")));
    }

    #[test]
    fn unknown_id_is_handler_unknown() {
        clear();
        add(answer("first"));
        let Some(Output::Error(e)) = dispatch(http_request("h9")).output else { panic!("no error") };
        assert_eq!(e.code, codes::HANDLER_UNKNOWN);
        assert!(e.message.contains("'h9'") && e.message.contains("h1"), "{}", e.message);
        assert_eq!(e.details.get("handler_id").map(String::as_str), Some("h9"));
    }

    #[test]
    fn handler_error_passes_unchanged() {
        clear();
        let failure = Error::new(codes::NOT_FOUND, "no such user").with_detail("id", "7");
        let expected = crate::pb::Error::from(failure.clone());
        let id = add(Handler::Http(Rc::new(move |_| Err(failure.clone()))));
        let Some(Output::Error(e)) = dispatch(http_request(&id)).output else { panic!("no error") };
        assert_eq!(e, expected);
    }

    #[test]
    fn removed_handler_is_unknown() {
        clear();
        let id = add(answer("x"));
        remove(&id);
        let Some(Output::Error(e)) = dispatch(http_request(&id)).output else { panic!("no error") };
        assert_eq!(e.code, codes::HANDLER_UNKNOWN);
    }
}
