//! The Plugin service the kernel calls (OnBoot, Invoke, OnShutdown). Each call
//! runs the plugin's synchronous code on tokio's blocking pool, with this
//! sidecar's registry and a kernel that sends tool calls over gRPC (carrying
//! the call's traceparent) set for that thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use prost::Message;
use tonic::{Request, Response, Status};

use crate::pb::plugin_server::Plugin;
use crate::pb::{invoke_response::Output, InvokeRequest, InvokeResponse};
use crate::pb::{ConnectRequest, ConnectResponse, OnBootRequest, OnBootResponse, OnShutdownRequest, OnShutdownResponse};
use crate::registry::{self, SharedRegistry};
use crate::sidecar::kernel_client::{KernelClient, TRACEPARENT};
use crate::sidecar::log::log_stderr;
use crate::{codes, transport, Error};

pub(crate) type OnBoot = Arc<dyn Fn(OnBootRequest) -> Result<(), Error> + Send + Sync>;
pub(crate) type OnShutdown = Arc<dyn Fn() -> Result<(), Error> + Send + Sync>;

pub(crate) struct PluginService {
    pub identity: String,
    pub on_boot: OnBoot,
    pub on_shutdown: Option<OnShutdown>,
    pub kernel: KernelClient,
    pub registry: SharedRegistry,
    /// MICROCORE_MESSAGE_LIMIT: checked on our answers (answer_within_limit).
    pub message_limit: usize,
}

impl PluginService {
    /// Runs plugin code on the blocking pool; a panic becomes an error with
    /// `code` (neither tonic nor tokio would report it to the kernel).
    async fn run<R: Send + 'static>(
        &self,
        traceparent: Option<String>,
        code: &'static str,
        what: &'static str,
        f: impl FnOnce() -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let (kernel, registry, identity) = (self.kernel.clone(), self.registry.clone(), self.identity.clone());
        let joined = tokio::task::spawn_blocking(move || {
            let tool_calls = Rc::new(move |call| kernel.call(call, traceparent.as_deref()));
            registry::with_registry(&registry, || {
                transport::with_kernel(tool_calls, || catch_unwind(AssertUnwindSafe(f)))
            })
        })
        .await;
        let panicked = |text: String| {
            let message = format!("{identity}: {what} panicked: {text}");
            log_stderr("error", &message, &[("plugin", &identity)]);
            Err(Error::new(code, message).with_detail("plugin", identity.clone()).with_detail("where", what))
        };
        match joined {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => panicked(panic_text(panic.as_ref())),
            Err(e) => panicked(e.to_string()),
        }
    }
}

impl PluginService {
    /// tonic refuses an answer past its encoding limit with OUT_OF_RANGE, where
    /// grpc-go says RESOURCE_EXHAUSTED, the code the kernel reads as
    /// MC_ERR_MESSAGE_TOO_LARGE; so the size is checked here first, and refused
    /// the way the kernel expects.
    fn answer_within_limit<M: Message>(&self, what: &str, answer: M) -> Result<Response<M>, Status> {
        let size = answer.encoded_len();
        if size > self.message_limit {
            return Err(Status::resource_exhausted(format!(
                "{}: the {what} is {size} bytes, past MICROCORE_MESSAGE_LIMIT ({} bytes)",
                self.identity, self.message_limit
            )));
        }
        Ok(Response::new(answer))
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn traceparent<T>(request: &Request<T>) -> Option<String> {
    request.metadata().get(TRACEPARENT).and_then(|v| v.to_str().ok()).map(str::to_string)
}

#[tonic::async_trait]
impl Plugin for PluginService {
    async fn on_boot(&self, request: Request<OnBootRequest>) -> Result<Response<OnBootResponse>, Status> {
        let (tp, on_boot, req) = (traceparent(&request), self.on_boot.clone(), request.into_inner());
        let result = self.run(tp, codes::PLUGIN_BOOT, "on_boot", move || on_boot(req)).await;
        Ok(Response::new(OnBootResponse { error: result.err().map(Into::into) }))
    }

    async fn invoke(&self, request: Request<InvokeRequest>) -> Result<Response<InvokeResponse>, Status> {
        let (tp, req) = (traceparent(&request), request.into_inner());
        let result = self.run(tp, codes::HANDLER_FAILED, "a handler", move || Ok(registry::dispatch(req))).await;
        let answer = result.unwrap_or_else(|e| InvokeResponse { output: Some(Output::Error(e.into())) });
        self.answer_within_limit("InvokeResponse", answer)
    }

    async fn on_shutdown(&self, request: Request<OnShutdownRequest>) -> Result<Response<OnShutdownResponse>, Status> {
        let Some(on_shutdown) = self.on_shutdown.clone() else { return Ok(Response::new(OnShutdownResponse {})) };
        let tp = traceparent(&request);
        // OnShutdownResponse has no error field: a failure is logged through the
        // logger tool, as the wasm export does.
        let result = self.run(tp.clone(), codes::HANDLER_FAILED, "on_shutdown", move || on_shutdown()).await;
        if let Err(e) = result {
            let (code, message) = (e.code.clone(), e.message.clone());
            let logged = self.run(tp, codes::HANDLER_FAILED, "on_shutdown", move || {
                crate::logger::error("on_shutdown failed", [("code", code.into()), ("message", message.into())])
            });
            if logged.await.is_err() {
                log_stderr("error", &format!("on_shutdown failed: {e}"), &[("plugin", &self.identity)]);
            }
        }
        Ok(Response::new(OnShutdownResponse {}))
    }

    type ConnectStream = tonic::codegen::BoxStream<ConnectResponse>;

    // Protocol version 3's call stream is not spoken here yet: this SDK offers
    // version 2 in its handshake, so the kernel keeps to unary calls and never
    // opens it (docs/protocol.md, "The call stream").
    async fn connect(&self, _: Request<tonic::Streaming<ConnectRequest>>) -> Result<Response<Self::ConnectStream>, Status> {
        Err(Status::unimplemented("this sidecar speaks protocol version 2 (unary calls); Plugin.Connect is version 3"))
    }
}
