//! The Plugin service the kernel calls (OnBoot, Invoke, OnShutdown). Each call
//! runs the plugin's synchronous code on tokio's blocking pool, with this
//! sidecar's registry and a kernel that sends tool calls over gRPC (carrying
//! the call's traceparent) set for that thread. From protocol version 3 on,
//! invokes and their tool calls come on one call stream (stream.rs): here on
//! Plugin.Connect (version 3), or on the frames socket (version 4, frames.rs).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use crate::pb::plugin_server::Plugin;
use crate::pb::{invoke_response::Output, InvokeRequest, InvokeResponse};
use crate::pb::{
    ConnectRequest, ConnectResponse, OnBootRequest, OnBootResponse, OnShutdownRequest, OnShutdownResponse,
};
use crate::registry::{self, SharedRegistry};
use crate::sidecar::kernel_client::{KernelClient, TRACEPARENT};
use crate::sidecar::log::log_stderr;
use crate::sidecar::stream::{CallStream, Inbound};
use crate::{codes, transport, Error};

pub(crate) type OnBoot = Arc<dyn Fn(OnBootRequest) -> Result<(), Error> + Send + Sync>;
pub(crate) type OnShutdown = Arc<dyn Fn() -> Result<(), Error> + Send + Sync>;
/// Where a call's tool calls go: a unary gRPC call, or the call stream.
type ToolCalls = Arc<dyn Fn(crate::pb::ToolCall) -> crate::pb::ToolResult + Send + Sync>;

#[derive(Clone)]
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
        let kernel = self.kernel.clone();
        self.run_with(Arc::new(move |call| kernel.call(call, traceparent.as_deref())), code, what, f).await
    }

    async fn run_with<R: Send + 'static>(
        &self,
        tools: ToolCalls,
        code: &'static str,
        what: &'static str,
        f: impl FnOnce() -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let (registry, identity) = (self.registry.clone(), self.identity.clone());
        let joined = tokio::task::spawn_blocking(move || {
            let tool_calls = Rc::new(move |call| tools(call));
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

impl PluginService {
    /// One invoke from the call stream, answered on it. A Rust handler cannot
    /// be interrupted: past its deadline, or once the kernel cancelled it, its
    /// tool calls stop waiting and its answer is not sent (the kernel has
    /// answered its caller already), as sdk/go does.
    pub(crate) async fn stream_invoke(
        &self,
        calls: CallStream,
        id: u64,
        payload: Vec<u8>,
        timeout_ms: u32,
        tp: String,
    ) {
        let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms.into()));
        let answer = match InvokeRequest::decode(payload.as_slice()) {
            Err(e) => failed(Error::new(
                codes::GATEWAY_BAD_MESSAGE,
                format!("{}: the kernel sent an invoke that is not an InvokeRequest: {e}", self.identity),
            )),
            Ok(req) => {
                let tools = calls.clone();
                let tool_calls: ToolCalls = Arc::new(move |call| tools.call(call, &tp, deadline));
                let result =
                    self.run_with(tool_calls, codes::HANDLER_FAILED, "a handler", move || Ok(registry::dispatch(req)));
                result.await.unwrap_or_else(failed)
            }
        };
        if calls.take_cancelled(id) || deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let mut bytes = answer.encode_to_vec();
        if bytes.len() > self.message_limit {
            let e = Error::new(
                codes::MESSAGE_TOO_LARGE,
                format!(
                    "{}: the InvokeResponse is {} bytes, past MICROCORE_MESSAGE_LIMIT ({} bytes)",
                    self.identity,
                    bytes.len(),
                    self.message_limit
                ),
            );
            bytes = failed(e).encode_to_vec();
        }
        let _ = calls.send(id, &bytes, false, "");
    }
}

fn failed(e: Error) -> InvokeResponse {
    InvokeResponse { output: Some(Output::Error(e.into())) }
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

    async fn connect(
        &self,
        request: Request<tonic::Streaming<ConnectRequest>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (mut inbound, mut incoming) = (Inbound::new(self.clone(), tx), request.into_inner());
        tokio::spawn(async move {
            while let Ok(Some(frame)) = incoming.message().await {
                inbound.frame(frame);
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::UnboundedReceiverStream::new(rx).map(Ok))))
    }
}
