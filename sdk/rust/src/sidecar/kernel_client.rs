//! Tool calls to the kernel: one gRPC unary call per ToolCall, to
//! `/microcore.v1.<Service>/<Method>`, over the kernel's Unix socket (TCP for
//! an attached sidecar) with mutual TLS. The request and response travel as the bytes the SDK already
//! encoded (call.rs), so no client stubs are generated and every tool method,
//! present or future, goes the same way.

use std::future::Future;
use std::sync::Arc;

use bytes::{Buf, BufMut};
use hyper_util::rt::TokioIo;
use prost::Message;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};
use tokio::runtime::Handle;
use tokio_rustls::TlsConnector;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::pb::{tool_result::Outcome, RpcStatus, ToolCall, ToolResult};
use crate::sidecar::handshake::SidecarEnv;
use crate::sidecar::tls::{client_config, server_name, OwnCert};
use crate::{codes, Error};

/// The metadata key carrying the W3C trace context both ways.
pub(crate) const TRACEPARENT: &str = "traceparent";

#[derive(Clone)]
pub(crate) struct KernelClient {
    grpc: tonic::client::Grpc<Channel>,
    runtime: Handle,
    limit: usize,
}

/// A channel that dials with `dial` at its first call, then runs TLS pinned by
/// `connector`. The URI is only a placeholder: `dial` says where.
pub(crate) fn lazy_tls<S, F, D>(connector: TlsConnector, dial: F) -> Channel
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    D: Future<Output = std::io::Result<S>> + Send + 'static,
    F: Fn() -> D + Clone + Send + 'static,
{
    Endpoint::from_static("http://kernel").connect_with_connector_lazy(tower::service_fn(move |_| {
        let (connector, dial) = (connector.clone(), dial.clone());
        async move {
            let stream = dial().await?;
            let tls = connector.connect(server_name(), stream).await?;
            Ok::<_, std::io::Error>(TokioIo::new(tls))
        }
    }))
}

impl KernelClient {
    /// Connects lazily: the first tool call (in OnBoot) dials the kernel.
    pub(crate) fn new(env: &SidecarEnv, own: &OwnCert, runtime: Handle) -> Result<KernelClient, Error> {
        let connector = TlsConnector::from(Arc::new(client_config(own, &env.kernel_cert)?));
        let channel = match env.kernel_tcp.clone() {
            Some(address) => lazy_tls(connector, move || TcpStream::connect(address.clone())),
            None => {
                let socket = env.kernel_socket.clone();
                lazy_tls(connector, move || UnixStream::connect(socket.clone()))
            }
        };
        let grpc = tonic::client::Grpc::new(channel)
            .max_decoding_message_size(env.message_limit)
            .max_encoding_message_size(env.message_limit);
        Ok(KernelClient { grpc, runtime, limit: env.message_limit })
    }

    /// Makes one tool call and waits for it. Runs on a blocking-pool thread
    /// (never inside the runtime's async context, where block_on panics).
    pub(crate) fn call(&self, call: ToolCall, traceparent: Option<&str>) -> ToolResult {
        let outcome = match self.runtime.block_on(self.unary(&call, traceparent)) {
            Ok(bytes) => Outcome::Response(bytes),
            Err(e) => Outcome::Error(e.into()),
        };
        ToolResult { outcome: Some(outcome) }
    }

    async fn unary(&self, call: &ToolCall, traceparent: Option<&str>) -> Result<Vec<u8>, Error> {
        let method = format!("{}.{}", call.tool, call.method);
        let path = format!("/microcore.v1.{}/{}", service_name(&call.tool), call.method);
        let path = path.parse().map_err(|_| {
            Error::new(codes::GATEWAY_UNKNOWN_METHOD, format!("{method} is not a tool method name"))
                .with_detail("method", method.clone())
        })?;
        // Refused here, before any byte goes out: tonic's own refusal surfaces as
        // a broken request body, not as a status naming the limit.
        if call.request.len() > self.limit {
            return Err(Error::new(
                codes::MESSAGE_TOO_LARGE,
                format!(
                    "{method}: the request is {} bytes, past the kernel's MC_MESSAGE_LIMIT_BYTES ({} bytes)",
                    call.request.len(),
                    self.limit
                ),
            )
            .with_detail("method", method));
        }
        let mut request = tonic::Request::new(call.request.clone());
        if let Some(value) = traceparent.and_then(|tp| MetadataValue::try_from(tp).ok()) {
            request.metadata_mut().insert(TRACEPARENT, value);
        }
        let mut grpc = self.grpc.clone();
        grpc.ready().await.map_err(|e| {
            Error::new(codes::TOOL_UNAVAILABLE, format!("{method}: cannot reach the kernel's tool server: {e}"))
                .with_detail("method", method.clone())
        })?;
        match grpc.unary(request, path, RawCodec).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(from_status(&method, &status)),
        }
    }
}

/// The proto service of a tool: "db" → "Db".
fn service_name(tool: &str) -> String {
    let mut chars = tool.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// The kernel's error from a status's details (an RpcStatus holding a
/// microcore.v1.Error), as sdk/go's fromGRPC; a transport's own refusal of a
/// message past the limit is MC_ERR_MESSAGE_TOO_LARGE, as the kernel names it.
pub(crate) fn from_status(method: &str, status: &Status) -> Error {
    if let Ok(rpc) = RpcStatus::decode(status.details()) {
        let wire = rpc.details.iter().find(|any| any.type_url.ends_with("microcore.v1.Error"));
        if let Some(error) = wire.and_then(|any| crate::pb::Error::decode(any.value.as_slice()).ok()) {
            return error.into();
        }
    }
    let too_large = status.code() == Code::ResourceExhausted
        || (status.code() == Code::OutOfRange && status.message().contains("too large"));
    if too_large {
        return Error::new(
            codes::MESSAGE_TOO_LARGE,
            format!("{method}: {} (the kernel's MC_MESSAGE_LIMIT_BYTES bounds every message)", status.message()),
        )
        .with_detail("method", method);
    }
    Error::new(codes::INTERNAL, format!("{method} failed with gRPC status {:?}: {}", status.code(), status.message()))
        .with_detail("method", method)
        .with_detail("grpcCode", format!("{:?}", status.code()))
}

/// Passes encoded messages through unchanged.
#[derive(Clone, Copy, Default)]
pub(crate) struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut bytes = vec![0; src.remaining()];
        src.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_follow_the_proto() {
        assert_eq!(service_name("db"), "Db");
        assert_eq!(service_name("logger"), "Logger");
    }

    #[test]
    fn a_status_carries_the_kernels_error_or_is_coded() {
        let wire = crate::pb::Error {
            code: codes::CAP_DENIED.into(),
            message: "no".into(),
            details: Default::default(),
            fix: String::new(),
        };
        let any =
            prost_types::Any { type_url: "type.googleapis.com/microcore.v1.Error".into(), value: wire.encode_to_vec() };
        let rpc = RpcStatus { code: 7, message: "no".into(), details: vec![any] };
        let status = Status::with_details(Code::PermissionDenied, "no", rpc.encode_to_vec().into());
        assert_eq!(from_status("db.Query", &status), Error::from(wire));
        let big = from_status("db.Query", &Status::resource_exhausted("message too large"));
        assert_eq!(big.code, codes::MESSAGE_TOO_LARGE);
        assert_eq!(from_status("db.Query", &Status::unavailable("gone")).code, codes::INTERNAL);
    }
}
