//! The sidecar transport against a fake kernel in the same process: real
//! gRPC over Unix sockets with the pinned mutual TLS on both ends, the
//! handshake line, health, OnBoot/Invoke into the SDK's handlers, their tool
//! calls back out (traceparent, kernel errors, the message limit), the call
//! stream on Plugin.Connect (version 3) and on the frames socket (version 4),
//! refused intruders and a clean stop. subprocess-level tests: test/parity.test.ts
//! (test/fixtures/parity/sidecars/parity-rustsc) and test/sidecar-credentials.test.ts.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use prost::Message;
use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio_rustls::TlsConnector;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::transport::{Channel, Server};
use tonic::{Code, Status};

use super::handshake::SidecarEnv;
use super::kernel_client::{lazy_tls, RawCodec};
use super::tls::{client_config, server_config, server_name, OwnCert};
use crate::pb::{
    connect_request::Body as FrameBody, connect_response::Body as CallBody, ConnectRequest, ConnectResponse,
};
use crate::pb::{invoke_request::Input, invoke_response::Output, AddEndpointRequest, AddEndpointResponse};
use crate::pb::{
    HttpRequest, InvokeRequest, InvokeResponse, OnBootRequest, OnBootResponse, QueryOneResponse, RpcStatus,
};
use crate::pb::{StreamCancel, ToolCall, ToolResult};
use crate::{codes, db, http as mc_http, state, Error, Value, ValueMap};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The calls the fake kernel received: path, traceparent, request bytes.
type Calls = Arc<Mutex<Vec<(String, Option<String>, Vec<u8>)>>>;

/// What the fake kernel answers: the method path, the traceparent sent, the request bytes.
type Answer = Arc<dyn Fn(&str, Option<String>, Vec<u8>) -> Result<Vec<u8>, Status> + Send + Sync>;

trait ToolName: Send + Sync + 'static {
    const NAME: &'static str;
}
macro_rules! tool_name {
    ($t:ident, $name:literal) => {
        struct $t;
        impl ToolName for $t {
            const NAME: &'static str = $name;
        }
    };
}
tool_name!(HttpTool, "microcore.v1.Http");
tool_name!(DbTool, "microcore.v1.Db");
tool_name!(StateTool, "microcore.v1.State");

/// One tool service of the fake kernel, answering every method as raw bytes.
struct FakeTool<T>(Answer, PhantomData<T>);

impl<T> Clone for FakeTool<T> {
    fn clone(&self) -> Self {
        FakeTool(self.0.clone(), PhantomData)
    }
}

impl<T: ToolName> NamedService for FakeTool<T> {
    const NAME: &'static str = T::NAME;
}

impl<T: ToolName> tower::Service<http::Request<Body>> for FakeTool<T> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let unary = RawUnary(self.0.clone(), req.uri().path().to_string());
        Box::pin(async move { Ok(tonic::server::Grpc::new(RawCodec).unary(unary, req).await) })
    }
}

struct RawUnary(Answer, String);

impl tonic::server::UnaryService<Vec<u8>> for RawUnary {
    type Response = Vec<u8>;
    type Future = std::future::Ready<Result<tonic::Response<Vec<u8>>, Status>>;
    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        let tp = request.metadata().get("traceparent").and_then(|v| v.to_str().ok()).map(str::to_string);
        std::future::ready((self.0)(&self.1, tp, request.into_inner()).map(tonic::Response::new))
    }
}

fn kernel_error(code: Code, error: Error) -> Status {
    let wire = crate::pb::Error::from(error);
    let any =
        prost_types::Any { type_url: "type.googleapis.com/microcore.v1.Error".into(), value: wire.encode_to_vec() };
    let rpc = RpcStatus { code: code as i32, message: wire.message.clone(), details: vec![any] };
    Status::with_details(code, wire.message, rpc.encode_to_vec().into())
}

/// Writes into a shared buffer, so the test can read the handshake line.
#[derive(Clone, Default)]
struct Stdout(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn handshake_line(stdout: &Stdout) -> String {
    for _ in 0..200 {
        let text = String::from_utf8(stdout.0.lock().unwrap().clone()).unwrap();
        if text.ends_with('\n') {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no handshake line within 2 s");
}

/// A channel to `socket` presenting `own` and accepting only `peer`.
fn dial(socket: PathBuf, own: &OwnCert, peer: &CertificateDer<'static>) -> Channel {
    let connector = TlsConnector::from(Arc::new(client_config(own, peer).unwrap()));
    lazy_tls(connector, move || UnixStream::connect(socket.clone()))
}

async fn unary<Req: Message, Resp: Message + Default>(
    channel: &Channel,
    path: &'static str,
    req: &Req,
    tp: Option<&str>,
) -> Result<Resp, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = tonic::Request::new(req.encode_to_vec());
    if let Some(tp) = tp {
        request.metadata_mut().insert("traceparent", tp.parse().unwrap());
    }
    let bytes = grpc.unary(request, http::uri::PathAndQuery::from_static(path), RawCodec).await?.into_inner();
    Ok(Resp::decode(bytes.as_slice()).unwrap())
}

fn on_boot(_: OnBootRequest) -> Result<(), Error> {
    mc_http::add_endpoint(mc_http::Endpoint::new("GET", "/row"), |_| {
        let one = db::query_one("SELECT 1 AS n", [])?;
        Ok(mc_http::response(one.row.unwrap_or_default()))
    })?;
    mc_http::add_endpoint(mc_http::Endpoint::new("GET", "/denied"), |_| {
        state::get("k").map(|_| mc_http::response("no"))
    })?;
    mc_http::add_endpoint(mc_http::Endpoint::new("GET", "/panic"), |_| panic!("on purpose"))?;
    mc_http::add_endpoint(mc_http::Endpoint::new("GET", "/big"), |_| Ok(mc_http::response(vec![0u8; 80 << 10])))
}

fn invoke_http(id: &str) -> InvokeRequest {
    InvokeRequest { handler_id: id.into(), input: Some(Input::Http(HttpRequest::default())) }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mc-rs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_kernel_over_pinned_mutual_tls() {
    let dir = temp_dir("serve");
    let kernel_socket = dir.join("kernel.sock");
    let kernel = OwnCert::new("kernel").unwrap();
    let env = SidecarEnv {
        kernel_socket: kernel_socket.clone(),
        kernel_tcp: None,
        kernel_cert: kernel.cert.clone(),
        identity: "sidecar/rs-test".into(),
        socket_dir: dir.clone(),
        version: "2".into(),
        message_limit: 64 << 10,
    };
    let stdout = Stdout::default();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sidecar = tokio::spawn(super::run(env, Arc::new(on_boot), None, stdout.clone(), async {
        let _ = stop_rx.await;
    }));

    // The handshake line: core version, protocol 2, the socket, our certificate.
    let line = handshake_line(&stdout).await;
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(&fields[..3], ["1", "2", "unix"], "{line}");
    assert_eq!((Path::new(fields[3]), fields[4]), (dir.join("rs-test.sock").as_path(), "grpc"));
    let sidecar_cert = CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(fields[5]).unwrap());

    // The fake kernel: its tool server accepts only the sidecar's certificate.
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let answer: Answer = Arc::new(move |path: &str, tp: Option<String>, bytes: Vec<u8>| {
        seen.lock().unwrap().push((path.to_string(), tp, bytes));
        match path {
            "/microcore.v1.Http/AddEndpoint" => Ok(AddEndpointResponse {}.encode_to_vec()),
            "/microcore.v1.Db/QueryOne" => {
                let row: ValueMap = [("n", 9_007_199_254_740_993i64)].into_iter().collect();
                Ok(QueryOneResponse { found: true, row: Some(row) }.encode_to_vec())
            }
            _ => Err(kernel_error(
                Code::PermissionDenied,
                Error::new(codes::CAP_DENIED, "sidecar/rs-test called state.Get but did not declare 'state'"),
            )),
        }
    });
    let listener = tokio::net::UnixListener::bind(&kernel_socket).unwrap();
    let incoming = super::incoming::tls(listener, server_config(&kernel, &sidecar_cert).unwrap());
    let tool_server = tokio::spawn(
        Server::builder()
            .add_service(FakeTool::<HttpTool>(answer.clone(), PhantomData))
            .add_service(FakeTool::<DbTool>(answer.clone(), PhantomData))
            .add_service(FakeTool::<StateTool>(answer, PhantomData))
            .serve_with_incoming(incoming),
    );

    let plugin = dial(PathBuf::from(fields[3]), &kernel, &sidecar_cert);
    // Health: the kernel checks service "plugin" after the handshake.
    let health: tonic_health::pb::HealthCheckResponse = unary(
        &plugin,
        "/grpc.health.v1.Health/Check",
        &tonic_health::pb::HealthCheckRequest { service: "plugin".into() },
        None,
    )
    .await
    .unwrap();
    assert_eq!(health.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    // OnBoot runs on_boot, whose AddEndpoint calls reach the kernel.
    let booted: OnBootResponse =
        unary(&plugin, "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None).await.unwrap();
    assert_eq!(booted.error, None);
    let added: Vec<AddEndpointRequest> =
        calls.lock().unwrap().iter().map(|(_, _, b)| AddEndpointRequest::decode(b.as_slice()).unwrap()).collect();
    assert_eq!(
        added.iter().map(|a| (a.path.as_str(), a.handler_id.as_str())).collect::<Vec<_>>(),
        [("/row", "h1"), ("/denied", "h2"), ("/panic", "h3"), ("/big", "h4")]
    );

    // Invoke: the handler's tool call carries the traceparent, and the exact int64 comes back.
    let out: InvokeResponse =
        unary(&plugin, "/microcore.v1.Plugin/Invoke", &invoke_http("h1"), Some(TRACEPARENT)).await.unwrap();
    let Some(Output::Http(res)) = out.output else { panic!("no http output: {out:?}") };
    let n = res.body.as_ref().and_then(Value::as_map).and_then(|m| m.get("n")).and_then(Value::as_i64);
    assert_eq!(n, Some(9_007_199_254_740_993));
    let last = calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!((last.0.as_str(), last.1.as_deref()), ("/microcore.v1.Db/QueryOne", Some(TRACEPARENT)));

    // The kernel's error reaches the handler, and the kernel, unchanged.
    let out: InvokeResponse = unary(&plugin, "/microcore.v1.Plugin/Invoke", &invoke_http("h2"), None).await.unwrap();
    let Some(Output::Error(e)) = out.output else { panic!("no error: {out:?}") };
    assert_eq!(e.code, codes::CAP_DENIED);
    assert!(e.message.contains("did not declare 'state'"), "{}", e.message);

    // A panicking handler is a coded failure, and the sidecar keeps serving.
    let out: InvokeResponse = unary(&plugin, "/microcore.v1.Plugin/Invoke", &invoke_http("h3"), None).await.unwrap();
    let Some(Output::Error(e)) = out.output else { panic!("no error: {out:?}") };
    assert_eq!(e.code, codes::HANDLER_FAILED);
    assert!(e.message.contains("panicked: on purpose"), "{}", e.message);
    let out: InvokeResponse = unary(&plugin, "/microcore.v1.Plugin/Invoke", &invoke_http("h9"), None).await.unwrap();
    assert!(matches!(out.output, Some(Output::Error(e)) if e.code == codes::HANDLER_UNKNOWN));

    // A message past MICROCORE_MESSAGE_LIMIT is refused by the sidecar's server.
    let mut big = invoke_http("h1");
    if let Some(Input::Http(req)) = big.input.as_mut() {
        req.url = "x".repeat(80 << 10);
    }
    let refused = unary::<_, InvokeResponse>(&plugin, "/microcore.v1.Plugin/Invoke", &big, None).await.unwrap_err();
    assert!(matches!(refused.code(), Code::ResourceExhausted | Code::OutOfRange), "{refused:?}");

    // An answer past the limit is refused as grpc-go refuses it (RESOURCE_EXHAUSTED,
    // which the kernel reads as MC_ERR_MESSAGE_TOO_LARGE), not tonic's OUT_OF_RANGE.
    let out: Result<InvokeResponse, Status> =
        unary(&plugin, "/microcore.v1.Plugin/Invoke", &invoke_http("h4"), None).await;
    let refused = out.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("past MICROCORE_MESSAGE_LIMIT"), "{}", refused.message());

    // Anyone else, even with a certificate of its own, is refused at TLS.
    let intruder = OwnCert::new("intruder").unwrap();
    let stranger = dial(PathBuf::from(fields[3]), &intruder, &sidecar_cert);
    let denied =
        unary::<_, OnBootResponse>(&stranger, "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None).await;
    assert!(denied.is_err(), "an intruder's OnBoot was served");

    // A stop drains, ends run() and removes the socket.
    stop_tx.send(()).unwrap();
    sidecar.await.unwrap().unwrap();
    assert!(!Path::new(fields[3]).exists(), "the socket was left behind");
    tool_server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_answer_past_the_limit_is_message_too_large() {
    let dir = temp_dir("limit");
    let kernel_socket = dir.join("kernel.sock");
    let kernel = OwnCert::new("kernel").unwrap();
    let env = SidecarEnv {
        kernel_socket: kernel_socket.clone(),
        kernel_tcp: None,
        kernel_cert: kernel.cert.clone(),
        identity: "sidecar/rs-limit".into(),
        socket_dir: dir.clone(),
        version: "2".into(),
        message_limit: 16 << 10,
    };
    let stdout = Stdout::default();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let boot = |_: OnBootRequest| -> Result<(), Error> {
        let err = db::query_one("SELECT big", []).unwrap_err();
        Err(err)
    };
    let sidecar = tokio::spawn(super::run(env, Arc::new(boot), None, stdout.clone(), async {
        let _ = stop_rx.await;
    }));
    let line = handshake_line(&stdout).await;
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let sidecar_cert = CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(fields[5]).unwrap());
    let answer: Answer = Arc::new(|_: &str, _, _| {
        let row: ValueMap = [("blob", Value::from(vec![0u8; 32 << 10]))].into_iter().collect();
        Ok(QueryOneResponse { found: true, row: Some(row) }.encode_to_vec())
    });
    let listener = tokio::net::UnixListener::bind(&kernel_socket).unwrap();
    let incoming = super::incoming::tls(listener, server_config(&kernel, &sidecar_cert).unwrap());
    let tool_server = tokio::spawn(
        Server::builder().add_service(FakeTool::<DbTool>(answer, PhantomData)).serve_with_incoming(incoming),
    );

    let plugin = dial(PathBuf::from(fields[3]), &kernel, &sidecar_cert);
    let booted: OnBootResponse =
        unary(&plugin, "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None).await.unwrap();
    let e = booted.error.expect("on_boot passes the tool's error on");
    assert_eq!(e.code, codes::MESSAGE_TOO_LARGE, "{}", e.message);
    assert!(e.message.contains("db.QueryOne"), "{}", e.message);

    stop_tx.send(()).unwrap();
    sidecar.await.unwrap().unwrap();
    tool_server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The kernel's end of a call stream: Plugin.Connect (version 3), or a
/// connection to the frames socket (version 4) written from docs/protocol.md
/// ("Frames on the socket") rather than from frames.rs.
enum KernelEnd {
    Connect(tokio::sync::mpsc::UnboundedSender<ConnectRequest>, tonic::Streaming<ConnectResponse>),
    Frames(tokio_rustls::client::TlsStream<UnixStream>),
}

impl KernelEnd {
    async fn open(version: &str, sidecar: &StreamSidecar) -> KernelEnd {
        if version == "4" {
            let socket = PathBuf::from(&sidecar.fields[6]);
            return KernelEnd::Frames(dial_frames(&socket, &sidecar.kernel, &sidecar.cert).await.unwrap());
        }
        let (to_sidecar, outbound) = tokio::sync::mpsc::unbounded_channel::<ConnectRequest>();
        let mut grpc = tonic::client::Grpc::new(sidecar.plugin.clone());
        grpc.ready().await.unwrap();
        let codec = tonic_prost::ProstCodec::<ConnectRequest, ConnectResponse>::default();
        let path = http::uri::PathAndQuery::from_static("/microcore.v1.Plugin/Connect");
        let request = tonic::Request::new(tokio_stream::wrappers::UnboundedReceiverStream::new(outbound));
        KernelEnd::Connect(to_sidecar, grpc.streaming(request, path, codec).await.unwrap().into_inner())
    }

    async fn send(&mut self, frame: ConnectRequest) {
        match self {
            KernelEnd::Connect(tx, _) => tx.send(frame).unwrap(),
            KernelEnd::Frames(conn) => write_frame(conn, &frame.encode_to_vec()).await.unwrap(),
        }
    }

    async fn recv(&mut self) -> ConnectResponse {
        let next = async {
            match self {
                KernelEnd::Connect(_, frames) => frames.message().await.unwrap().unwrap(),
                KernelEnd::Frames(conn) => read_frame(conn).await.unwrap().expect("the frames socket closed"),
            }
        };
        tokio::time::timeout(Duration::from_secs(10), next).await.expect("no frame within 10 s")
    }
}

/// A TLS connection to a frames socket, presenting `own` and accepting only `peer`.
async fn dial_frames(
    socket: &Path,
    own: &OwnCert,
    peer: &CertificateDer<'static>,
) -> std::io::Result<tokio_rustls::client::TlsStream<UnixStream>> {
    let connector = TlsConnector::from(Arc::new(client_config(own, peer).unwrap()));
    connector.connect(server_name(), UnixStream::connect(socket).await?).await
}

/// One frame: a 4-byte big-endian length, then the bytes.
async fn write_frame(conn: &mut (impl AsyncWrite + Unpin), body: &[u8]) -> std::io::Result<()> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    conn.write_all(&out).await?;
    conn.flush().await
}

/// The next frame, or None once the sidecar closed the connection.
async fn read_frame(conn: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Option<ConnectResponse>> {
    let mut head = [0u8; 4];
    match conn.read_exact(&mut head).await {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    };
    let mut body = vec![0u8; u32::from_be_bytes(head) as usize];
    conn.read_exact(&mut body).await?;
    Ok(Some(ConnectResponse::decode(body.as_slice()).unwrap()))
}

/// A sidecar speaking `version`, booted by a fake kernel whose tool server
/// answers its unary AddEndpoint calls.
struct StreamSidecar {
    dir: PathBuf,
    fields: Vec<String>,
    kernel: OwnCert,
    cert: CertificateDer<'static>,
    plugin: Channel,
    stop: tokio::sync::oneshot::Sender<()>,
    sidecar: tokio::task::JoinHandle<Result<(), Error>>,
    tool_server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

async fn start_stream_sidecar(name: &str, version: &str) -> StreamSidecar {
    let dir = temp_dir(name);
    let kernel_socket = dir.join("kernel.sock");
    let kernel = OwnCert::new("kernel").unwrap();
    let env = SidecarEnv {
        kernel_socket: kernel_socket.clone(),
        kernel_tcp: None,
        kernel_cert: kernel.cert.clone(),
        identity: format!("sidecar/{name}"),
        socket_dir: dir.clone(),
        version: version.into(),
        message_limit: 1 << 20,
    };
    let stdout = Stdout::default();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sidecar = tokio::spawn(super::run(env, Arc::new(on_boot), None, stdout.clone(), async {
        let _ = stop_rx.await;
    }));
    let line = handshake_line(&stdout).await;
    let fields: Vec<String> = line.trim_end().split('|').map(str::to_string).collect();
    let cert = CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(&fields[5]).unwrap());
    // OnBoot's AddEndpoint calls stay unary: the fake kernel's tool server answers them.
    let answer: Answer = Arc::new(|_: &str, _: Option<String>, _: Vec<u8>| Ok(AddEndpointResponse {}.encode_to_vec()));
    let listener = tokio::net::UnixListener::bind(&kernel_socket).unwrap();
    let incoming = super::incoming::tls(listener, server_config(&kernel, &cert).unwrap());
    let tool_server = tokio::spawn(
        Server::builder().add_service(FakeTool::<HttpTool>(answer, PhantomData)).serve_with_incoming(incoming),
    );
    let plugin = dial(PathBuf::from(&fields[3]), &kernel, &cert);
    let booted: OnBootResponse =
        unary(&plugin, "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None).await.unwrap();
    assert_eq!(booted.error, None);
    StreamSidecar { dir, fields, kernel, cert, plugin, stop, sidecar, tool_server }
}

impl StreamSidecar {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.sidecar).await;
        self.tool_server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn invoke_frame(id: u64, handler: &str, tp: &str) -> ConnectRequest {
    ConnectRequest {
        id,
        body: Some(FrameBody::Invoke(invoke_http(handler).encode_to_vec())),
        more: false,
        timeout_ms: 5_000,
        traceparent: tp.into(),
    }
}

fn query_result_frame(id: u64) -> ConnectRequest {
    let row: ValueMap = [("n", 7i64)].into_iter().collect();
    let response = QueryOneResponse { found: true, row: Some(row) }.encode_to_vec();
    let outcome = crate::pb::tool_result::Outcome::Response(response);
    ConnectRequest {
        id,
        body: Some(FrameBody::ToolResult(ToolResult { outcome: Some(outcome) }.encode_to_vec())),
        ..Default::default()
    }
}

/// The call stream, driven as the kernel drives it (issue 9), over the carrier
/// of `version`: a handler's tool call comes back with the invoke's
/// traceparent; an invoke sent in pieces is joined, a small call sent between
/// its pieces is answered first, and an answer past one frame comes in pieces;
/// a cancelled invoke sends no answer.
async fn serves_the_call_stream(version: &str) {
    let sidecar = start_stream_sidecar(&format!("rs-stream-{version}"), version).await;
    let fields = &sidecar.fields;
    assert_eq!(&fields[..3], ["1", version, "unix"], "{fields:?}");
    if version == "4" {
        // The seventh field names the frames socket, beside the gRPC one.
        let frames = sidecar.dir.join(format!("rs-stream-{version}.frames"));
        assert_eq!((fields.len(), Path::new(&fields[6])), (7, frames.as_path()), "{fields:?}");
    } else {
        assert_eq!(fields.len(), 6, "{fields:?}");
    }
    let mut kernel = KernelEnd::open(version, &sidecar).await;

    // /row (h1): its db.QueryOne comes on the stream with the traceparent, then the answer.
    kernel.send(invoke_frame(1, "h1", TRACEPARENT)).await;
    let call = kernel.recv().await;
    let Some(CallBody::ToolCall(bytes)) = call.body else { panic!("want a tool call, got {call:?}") };
    let tool_call = ToolCall::decode(bytes.as_slice()).unwrap();
    assert_eq!(
        (tool_call.tool.as_str(), tool_call.method.as_str(), call.traceparent.as_str()),
        ("db", "QueryOne", TRACEPARENT)
    );
    kernel.send(query_result_frame(call.id)).await;
    let answer = kernel.recv().await;
    let Some(CallBody::InvokeResponse(bytes)) = answer.body else { panic!("{answer:?}") };
    assert_eq!(answer.id, 1);
    assert!(matches!(InvokeResponse::decode(bytes.as_slice()).unwrap().output, Some(Output::Http(_))));

    // /big (h4), its request 80 KiB in two pieces with invoke 5 (/panic) between
    // them: 5 is answered first, then h4's 80 KiB answer in pieces.
    let mut big = invoke_http("h4");
    if let Some(Input::Http(req)) = big.input.as_mut() {
        req.url = "x".repeat(80 << 10);
    }
    let bytes = big.encode_to_vec();
    let (first, rest) = bytes.split_at(40 << 10);
    let piece = |piece: &[u8], more| ConnectRequest {
        id: 2,
        body: Some(FrameBody::Invoke(piece.to_vec())),
        more,
        timeout_ms: if more { 5_000 } else { 0 },
        traceparent: String::new(),
    };
    kernel.send(piece(first, true)).await;
    kernel.send(invoke_frame(5, "h3", "")).await;
    let between = kernel.recv().await;
    assert_eq!(between.id, 5, "the small call waited for the large one: {between:?}");
    kernel.send(piece(rest, false)).await;
    let (mut joined, mut pieces) = (Vec::new(), 0);
    loop {
        let f = kernel.recv().await;
        let Some(CallBody::InvokeResponse(bytes)) = f.body else { panic!("{f:?}") };
        assert_eq!(f.id, 2);
        joined.extend_from_slice(&bytes);
        pieces += 1;
        if !f.more {
            break;
        }
    }
    assert!(pieces >= 2, "an 80 KiB answer in {pieces} frame(s)");
    let Some(Output::Http(big)) = InvokeResponse::decode(joined.as_slice()).unwrap().output else {
        panic!("no http output")
    };
    assert!(big.body.is_some());

    // A cancelled invoke answers nothing: the next frame is the later call's.
    kernel.send(invoke_frame(3, "h1", "")).await;
    let call = kernel.recv().await;
    kernel.send(ConnectRequest { id: 3, body: Some(FrameBody::Cancel(StreamCancel {})), ..Default::default() }).await;
    kernel.send(query_result_frame(call.id)).await;
    kernel.send(invoke_frame(4, "h3", "")).await;
    let next = kernel.recv().await;
    assert_eq!(next.id, 4, "the cancelled invoke 3 answered: {next:?}");

    drop(kernel);
    sidecar.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_call_stream_on_plugin_connect() {
    serves_the_call_stream("3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_call_stream_on_the_frames_socket() {
    serves_the_call_stream("4").await;
}

/// Whether a connection ends without a frame: closed, or refused at TLS.
async fn ends_unserved(conn: &mut (impl AsyncRead + Unpin)) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(10), read_frame(conn)).await {
        Err(_) => Err("neither answered nor closed within 10 s".into()),
        Ok(Ok(Some(frame))) => Err(format!("it was served: {frame:?}")),
        Ok(Ok(None) | Err(_)) => Ok(()),
    }
}

/// The frames socket serves only the kernel (its certificate): a client with a
/// certificate of its own, or none (plain bytes), gets no frame back; a
/// length prefix over a frame's bound ends the kernel's own connection; and a
/// new kernel connection is served after all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frames_socket_refuses_all_but_the_kernel() {
    let sidecar = start_stream_sidecar("rs-frames-refuse", "4").await;
    let socket = PathBuf::from(&sidecar.fields[6]);
    let invoke = invoke_frame(1, "h3", "").encode_to_vec();

    let intruder = OwnCert::new("intruder").unwrap();
    // With TLS 1.3 the client's side of the handshake may finish before the
    // sidecar checks its certificate: then the refusal comes on the first read.
    if let Ok(mut conn) = dial_frames(&socket, &intruder, &sidecar.cert).await {
        let _ = write_frame(&mut conn, &invoke).await;
        ends_unserved(&mut conn).await.expect("a client with another certificate");
    }

    let mut plain = UnixStream::connect(&socket).await.unwrap();
    let _ = write_frame(&mut plain, &invoke).await;
    ends_unserved(&mut plain).await.expect("a client without TLS");

    let mut kernel = dial_frames(&socket, &sidecar.kernel, &sidecar.cert).await.unwrap();
    let too_long = (super::frames::MAX_FRAME as u32 + 1).to_be_bytes();
    kernel.write_all(&too_long).await.unwrap();
    kernel.write_all(&vec![0u8; 4096]).await.unwrap();
    kernel.flush().await.unwrap();
    ends_unserved(&mut kernel).await.expect("a frame longer than 64 KiB + 1 KiB");

    let mut kernel = KernelEnd::Frames(dial_frames(&socket, &sidecar.kernel, &sidecar.cert).await.unwrap());
    kernel.send(invoke_frame(1, "h3", "")).await;
    let answer = kernel.recv().await;
    let Some(CallBody::InvokeResponse(bytes)) = answer.body else { panic!("{answer:?}") };
    let Some(Output::Error(e)) = InvokeResponse::decode(bytes.as_slice()).unwrap().output else { panic!("no error") };
    assert_eq!(e.code, codes::HANDLER_FAILED);

    drop(kernel);
    sidecar.stop().await;
}

/// An attached sidecar (attach.rs): started by hand on a TCP port with the
/// kernel's certificate by path, its key pair made in MICROCORE_TLS_DIR on the
/// first run and loaded on the next; the kernel dials it over TCP, and its
/// OnBoot tool calls reach the kernel's TCP tool server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attached_serves_on_tcp_with_a_lasting_certificate() {
    let dir = temp_dir("attach");
    let tls_dir = dir.join("tls");
    let _ = std::fs::remove_dir_all(&tls_dir);
    let kernel = OwnCert::new("kernel").unwrap();
    let kernel_file = dir.join("kernel.crt");
    std::fs::write(&kernel_file, super::attach::pem("CERTIFICATE", kernel.cert.as_ref())).unwrap();
    let tools = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        free.local_addr().unwrap().to_string()
    };
    let vars = [
        ("MICROCORE_LISTEN", listen.clone()),
        ("MICROCORE_KERNEL_ADDRESS", tools.local_addr().unwrap().to_string()),
        ("MICROCORE_KERNEL_CERT_FILE", kernel_file.display().to_string()),
        ("MICROCORE_TLS_DIR", tls_dir.display().to_string()),
    ];
    let env = super::attach::read_env(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    assert_eq!(env.sidecar.version, "3");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sidecar = tokio::spawn(super::attach::run(env, Arc::new(on_boot), None, async {
        let _ = stop_rx.await;
    }));
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&listen).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let key_mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(tls_dir.join("sidecar.key")).unwrap().permissions());
    assert_eq!(key_mode & 0o777, 0o600);
    // The next run loads the same pair: the kernel's pin still holds.
    let (own, _) = super::attach::lasting_cert(&tls_dir, "again").unwrap();

    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let answer: Answer = Arc::new(move |path: &str, tp: Option<String>, bytes: Vec<u8>| {
        seen.lock().unwrap().push((path.to_string(), tp, bytes));
        Ok(AddEndpointResponse {}.encode_to_vec())
    });
    let incoming = super::incoming::tls(tools, server_config(&kernel, &own.cert).unwrap());
    let tool_server = tokio::spawn(
        Server::builder().add_service(FakeTool::<HttpTool>(answer, PhantomData)).serve_with_incoming(incoming),
    );
    let dial_as = |who: &OwnCert| {
        let (connector, at) = (TlsConnector::from(Arc::new(client_config(who, &own.cert).unwrap())), listen.clone());
        lazy_tls(connector, move || tokio::net::TcpStream::connect(at.clone()))
    };
    let booted: OnBootResponse =
        unary(&dial_as(&kernel), "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None).await.unwrap();
    assert_eq!(booted.error, None);
    assert_eq!(calls.lock().unwrap().len(), 4, "on_boot's four AddEndpoint calls reach the kernel over TCP");

    // A kernel holding another certificate is refused: nothing is served to it.
    let stranger = OwnCert::new("stranger").unwrap();
    let refused =
        unary::<_, OnBootResponse>(&dial_as(&stranger), "/microcore.v1.Plugin/OnBoot", &OnBootRequest::default(), None)
            .await;
    assert!(refused.is_err(), "a kernel with another certificate was served: {refused:?}");
    assert_eq!(calls.lock().unwrap().len(), 4);

    stop_tx.send(()).unwrap();
    sidecar.await.unwrap().unwrap();
    tool_server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
