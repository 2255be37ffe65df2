//! The handlers this module registered, by the id the kernel passes back in
//! InvokeRequest.handler_id. Ids are "h1", "h2", ... in registration order.
//!
//! Each thread sees one registry: its own by default (a wasm instance is one
//! thread; host tests get one each), or the one a sidecar shares with the
//! blocking-pool thread running its call (`with_registry`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use crate::error::{handler_unknown, wrong_input};
use crate::pb::{invoke_request::Input, invoke_response::Output, InvokeRequest, InvokeResponse};
use crate::pb::{Envelope, HttpRequest, HttpResponse};
use crate::{Error, Value};

/// How handlers are held: `Rc` in wasm (one thread, no bounds on handlers),
/// `Arc` natively, where the sidecar runs handlers on several threads.
#[cfg(target_arch = "wasm32")]
pub(crate) type Shared<T> = std::rc::Rc<T>;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type Shared<T> = std::sync::Arc<T>;

#[cfg(target_arch = "wasm32")]
pub(crate) type HttpHandler = Shared<dyn Fn(HttpRequest) -> Result<HttpResponse, Error>>;
#[cfg(target_arch = "wasm32")]
pub(crate) type EventHandler = Shared<dyn Fn(Envelope) -> Result<Value, Error>>;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type HttpHandler = Shared<dyn Fn(HttpRequest) -> Result<HttpResponse, Error> + Send + Sync>;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type EventHandler = Shared<dyn Fn(Envelope) -> Result<Value, Error> + Send + Sync>;

/// The bound on handlers: `Send + Sync` natively, because a sidecar runs each
/// call on tokio's blocking pool, several at once; nothing in wasm. A plain `fn`
/// or a closure over `Send + Sync` data meets it on both targets, so one source
/// builds both ways.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync> MaybeSend for T {}
/// The bound on handlers: `Send + Sync` natively, nothing in wasm.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T> MaybeSend for T {}

/// What a registered id runs: an endpoint (InvokeRequest.http) or a
/// subscription (InvokeRequest.event).
#[derive(Clone)]
pub(crate) enum Handler {
    Http(HttpHandler),
    Event(EventHandler),
}

#[derive(Default)]
pub(crate) struct Registry {
    last: u64,
    handlers: BTreeMap<String, Handler>,
    /// The kernel's subscription ids, to the handler ids they invoke.
    subscriptions: HashMap<String, String>,
}

pub(crate) type SharedRegistry = Shared<Mutex<Registry>>;

thread_local! {
    static REGISTRY: RefCell<SharedRegistry> = RefCell::new(SharedRegistry::default());
}

/// Runs `f` on this thread's registry. The lock is never held while a handler
/// runs (dispatch clones the handler out), so handlers may register more.
fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let shared = REGISTRY.with(|r| r.borrow().clone());
    let mut registry = shared.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut registry)
}

/// Runs `f` with `registry` as this thread's, then puts the previous one back
/// (also when `f` panics).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn with_registry<R>(registry: &SharedRegistry, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<SharedRegistry>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                REGISTRY.with(|r| *r.borrow_mut() = previous);
            }
        }
    }
    let _restore = Restore(Some(REGISTRY.with(|r| r.replace(registry.clone()))));
    f()
}

/// Registers a handler and returns its new id.
pub(crate) fn add(handler: Handler) -> String {
    with(|r| {
        r.last += 1;
        let id = format!("h{}", r.last);
        r.handlers.insert(id.clone(), handler);
        id
    })
}

/// Forgets a handler whose registration the kernel refused.
pub(crate) fn remove(id: &str) {
    with(|r| r.handlers.remove(id));
}

/// Remembers which handler a subscription invokes.
pub(crate) fn add_subscription(subscription_id: &str, handler_id: &str) {
    with(|r| r.subscriptions.insert(subscription_id.into(), handler_id.into()));
}

/// Forgets a removed subscription and its handler.
pub(crate) fn remove_subscription(subscription_id: &str) {
    with(|r| {
        if let Some(id) = r.subscriptions.remove(subscription_id) {
            r.handlers.remove(&id);
        }
    });
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn clear() {
    with(|r| *r = Registry::default());
}

/// Runs the handler an InvokeRequest names. A handler's Err becomes
/// InvokeResponse.error unchanged.
pub(crate) fn dispatch(request: InvokeRequest) -> InvokeResponse {
    let id = request.handler_id;
    // Clone the handler out so a handler may itself call the registry.
    let handler = with(|r| r.handlers.get(&id).cloned());
    let outcome = match (handler, request.input) {
        (None, _) => {
            let known: Vec<String> = with(|r| r.handlers.keys().cloned().collect());
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
        Handler::Http(Shared::new(move |_| Ok(crate::http::response(text))))
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
        let id = add(Handler::Http(Shared::new(move |_| Err(failure.clone()))));
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
