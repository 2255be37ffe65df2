//! The call stream of protocol versions 3 and 4 (docs/protocol.md, "The call
//! stream"), as sdk/go/stream.go: the kernel opens one call stream and sends
//! every invoke on it; the tool calls a handler makes while serving one go
//! back on the same stream, tagged by call id. Two unary gRPC calls per
//! request cost more than the request itself (bench/README.md). Payloads over
//! FRAME_PAYLOAD go in pieces. What carries the frames is not this file's
//! business: Plugin.Connect (version 3, plugin_server.rs) or the frames socket
//! (version 4, frames.rs) feeds `Inbound` and drains `Frames`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use prost::Message;
use tokio::sync::mpsc::UnboundedSender;

use crate::pb::{connect_request, connect_response, tool_result::Outcome, ConnectRequest, ConnectResponse};
use crate::pb::{ToolCall, ToolResult};
use crate::sidecar::plugin_server::PluginService;
use crate::{codes, Error};

/// The most payload bytes one frame carries.
pub(crate) const FRAME_PAYLOAD: usize = 64 * 1024;

/// The sidecar's frames on their way out; the carrier drains the receiver.
pub(crate) type Frames = UnboundedSender<ConnectResponse>;

/// What the invokes of one stream share: the way out, the tool calls waiting
/// for their results, and the invokes the kernel cancelled.
#[derive(Clone)]
pub(crate) struct CallStream {
    out: Frames,
    pending: Arc<Mutex<HashMap<u64, mpsc::Sender<Vec<u8>>>>>,
    cancelled: Arc<Mutex<HashSet<u64>>>,
    next_id: Arc<AtomicU64>,
    limit: usize,
}

impl CallStream {
    pub(crate) fn new(out: Frames, limit: usize) -> CallStream {
        CallStream {
            out,
            pending: Default::default(),
            cancelled: Default::default(),
            next_id: Default::default(),
            limit,
        }
    }

    /// A tool call from a blocking-pool thread serving an invoke: waits for the
    /// result until the invoke's deadline at most.
    pub(crate) fn call(&self, call: ToolCall, traceparent: &str, deadline: Option<Instant>) -> ToolResult {
        let outcome = match self.round_trip(&call, traceparent, deadline) {
            Ok(result) => return result,
            Err(e) => Outcome::Error(e.into()),
        };
        ToolResult { outcome: Some(outcome) }
    }

    fn round_trip(&self, call: &ToolCall, traceparent: &str, deadline: Option<Instant>) -> Result<ToolResult, Error> {
        let method = format!("{}.{}", call.tool, call.method);
        let bytes = call.encode_to_vec();
        if bytes.len() > self.limit {
            return Err(Error::new(
                codes::MESSAGE_TOO_LARGE,
                format!(
                    "{method}: the tool call is {} bytes, over the kernel's MC_MESSAGE_LIMIT_BYTES ({})",
                    bytes.len(),
                    self.limit
                ),
            ));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
        self.send(id, &bytes, true, traceparent)?;
        let got = match deadline {
            Some(d) => rx
                .recv_timeout(d.saturating_duration_since(Instant::now()))
                .map_err(|_| "the invoke it serves reached its deadline"),
            None => rx.recv().map_err(|_| "the kernel closed the call stream"),
        };
        let bytes = got.map_err(|why| {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            Error::new(codes::SIDECAR_DOWN, format!("{method}: no result: {why}")).with_detail("method", method.clone())
        })?;
        ToolResult::decode(bytes.as_slice()).map_err(|e| {
            Error::new(
                codes::GATEWAY_BAD_MESSAGE,
                format!("the kernel answered {method} with bytes that are not a ToolResult: {e}"),
            )
        })
    }

    /// A tool result (joined) from the kernel: wakes the call waiting for it.
    pub(crate) fn deliver(&self, id: u64, result: Vec<u8>) {
        if let Some(tx) = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) {
            let _ = tx.send(result);
        }
    }

    pub(crate) fn cancel(&self, id: u64) {
        self.cancelled.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
    }

    /// Whether the kernel cancelled invoke `id` (forgetting it).
    pub(crate) fn take_cancelled(&self, id: u64) -> bool {
        self.cancelled.lock().unwrap_or_else(|p| p.into_inner()).remove(&id)
    }

    /// The stream ended: tool calls still waiting get a closed channel.
    pub(crate) fn close(&self) {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Sends an invoke's answer, or a tool call, in pieces of FRAME_PAYLOAD.
    pub(crate) fn send(&self, id: u64, payload: &[u8], tool_call: bool, traceparent: &str) -> Result<(), Error> {
        let mut at = 0;
        loop {
            let end = (at + FRAME_PAYLOAD).min(payload.len());
            let piece = payload[at..end].to_vec();
            let body = if tool_call {
                connect_response::Body::ToolCall(piece)
            } else {
                connect_response::Body::InvokeResponse(piece)
            };
            let traceparent = if at == 0 { traceparent.to_string() } else { String::new() };
            let frame = ConnectResponse { id, body: Some(body), more: end < payload.len(), traceparent };
            self.out
                .send(frame)
                .map_err(|_| Error::new(codes::SIDECAR_DOWN, "the kernel closed the call stream; nothing was sent"))?;
            at = end;
            if at >= payload.len() {
                return Ok(());
            }
        }
    }
}

/// The kernel's frames as they arrive, one at a time: pieces are joined, a
/// whole invoke starts on its own task, a whole tool result wakes its call,
/// a cancel marks its invoke. Dropping it ends the stream: tool calls still
/// waiting stop waiting.
pub(crate) struct Inbound {
    service: PluginService,
    calls: CallStream,
    invokes: HashMap<u64, (Vec<u8>, u32, String)>,
    results: HashMap<u64, Vec<u8>>,
}

impl Inbound {
    pub(crate) fn new(service: PluginService, out: Frames) -> Inbound {
        let calls = CallStream::new(out, service.message_limit);
        Inbound { service, calls, invokes: HashMap::new(), results: HashMap::new() }
    }

    pub(crate) fn frame(&mut self, frame: ConnectRequest) {
        match frame.body {
            Some(connect_request::Body::Invoke(piece)) => {
                let entry =
                    self.invokes.entry(frame.id).or_insert_with(|| (Vec::new(), frame.timeout_ms, frame.traceparent));
                entry.0.extend_from_slice(&piece);
                if frame.more {
                    return;
                }
                let (payload, timeout_ms, tp) = self.invokes.remove(&frame.id).unwrap_or_default();
                let (service, calls) = (self.service.clone(), self.calls.clone());
                tokio::spawn(async move { service.stream_invoke(calls, frame.id, payload, timeout_ms, tp).await });
            }
            Some(connect_request::Body::ToolResult(piece)) => {
                let buf = self.results.entry(frame.id).or_default();
                buf.extend_from_slice(&piece);
                if !frame.more {
                    self.calls.deliver(frame.id, self.results.remove(&frame.id).unwrap_or_default());
                }
            }
            Some(connect_request::Body::Cancel(_)) => self.calls.cancel(frame.id),
            None => {}
        }
    }
}

impl Drop for Inbound {
    fn drop(&mut self) {
        self.calls.close();
    }
}
