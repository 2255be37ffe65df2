//! Protocol version 4 (docs/protocol.md, "Frames on the socket"), as
//! sdk/go/frames.go: the call stream's frames straight on a TLS connection of
//! their own, each a 4-byte big-endian length and a serialized ConnectRequest
//! (from the kernel) or ConnectResponse (to it). Version 3 carried the same
//! frames as gRPC messages on Plugin.Connect, and the HTTP/2 and gRPC layers
//! around each message (tonic's codec and body, hyper's connection task, a
//! hand-off between tasks per message) cost more than the frames themselves
//! (bench/README.md, "Where the time goes: sidecars"). Here one task reads and
//! one writes; stream.rs does the rest, as for version 3. The TLS is the
//! Plugin server's (tls.rs): only the kernel's certificate is accepted.

use std::io;
use std::sync::Arc;

use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::task::JoinSet;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::pb::{ConnectRequest, ConnectResponse};
use crate::sidecar::log::log_stderr;
use crate::sidecar::plugin_server::PluginService;
use crate::sidecar::stream::{Inbound, FRAME_PAYLOAD};

/// The length prefix.
const HEADER: usize = 4;
/// The most one frame may hold: a piece of FRAME_PAYLOAD bytes and its fields.
/// A longer prefix is not this protocol, and ends the connection rather than
/// being buffered.
pub(crate) const MAX_FRAME: usize = FRAME_PAYLOAD + 1024;
/// A write gathers the frames queued by then, up to about this many bytes
/// (rustls cuts them into records of 16 KiB anyway).
const WRITE_BATCH: usize = 256 * 1024;

/// Accepts the kernel's connections on `listener` and serves one call stream
/// on each, until the listener fails (returned) or this future is dropped,
/// which drops every connection with it.
pub(crate) async fn serve(listener: UnixListener, config: ServerConfig, service: PluginService) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let mut conns = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => accepted?.0,
            // Reap finished connections so the set does not grow for ever.
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let (acceptor, service) = (acceptor.clone(), service.clone());
        conns.spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => serve_conn(tls, service).await,
                Err(e) => log_stderr(
                    "warn",
                    "refused a connection to the frames socket: its TLS handshake failed (only the kernel's certificate is accepted)",
                    &[("cause", &e.to_string())],
                ),
            }
        });
    }
}

/// One call stream: a writer task drains the frames handlers send, while this
/// task reads the kernel's. The stream ends when the kernel's side ends (or
/// breaks the protocol); the connection is closed with it.
async fn serve_conn<S: AsyncRead + AsyncWrite + Send + 'static>(conn: S, service: PluginService) {
    let (read, write) = tokio::io::split(conn);
    let (tx, rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_frames(write, rx));
    let inbound = Inbound::new(service, tx);
    if let Err(e) = read_frames(read, inbound).await {
        if e.kind() != io::ErrorKind::UnexpectedEof {
            log_stderr("warn", "the frames socket's call stream ended", &[("cause", &e.to_string())]);
        }
    }
    writer.abort();
}

async fn read_frames(read: impl AsyncRead + Unpin, mut inbound: Inbound) -> io::Result<()> {
    let mut read = BufReader::with_capacity(HEADER + MAX_FRAME, read);
    let mut body = Vec::with_capacity(MAX_FRAME);
    loop {
        let size = read.read_u32().await? as usize;
        if size > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a frame of {size} bytes, over the {MAX_FRAME} a frame may hold: the peer does not speak protocol version 4"),
            ));
        }
        body.resize(size, 0);
        read.read_exact(&mut body).await?;
        // decode copies the bytes fields, so the buffer is free for the next frame.
        let frame = ConnectRequest::decode(body.as_slice()).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("a frame that is not a ConnectRequest: {e}"))
        })?;
        inbound.frame(frame);
    }
}

/// Writes each frame as its length and bytes; the frames queued by the time a
/// write starts go in that one write (and one TLS record while they fit), so
/// a burst of answers costs the kernel one wake-up, not one each.
async fn write_frames(mut write: impl AsyncWrite + Unpin, mut out: UnboundedReceiver<ConnectResponse>) {
    let mut buf = Vec::with_capacity(HEADER + MAX_FRAME);
    while let Some(first) = out.recv().await {
        buf.clear();
        let mut next = Some(first);
        while let Some(frame) = next.take() {
            let at = buf.len();
            buf.extend_from_slice(&[0; HEADER]);
            // Encoding into a Vec cannot fail: it grows as needed.
            let _ = frame.encode(&mut buf);
            let size = (buf.len() - at - HEADER) as u32;
            buf[at..at + HEADER].copy_from_slice(&size.to_be_bytes());
            if buf.len() < WRITE_BATCH {
                next = out.try_recv().ok();
            }
        }
        if write.write_all(&buf).await.is_err() || write.flush().await.is_err() {
            // The connection is gone; the reader sees it too and ends the stream.
            return;
        }
    }
}
