//! The Plugin server's connections: each accepted connection (a Unix socket's,
//! or TCP's for an attached sidecar) goes through the TLS handshake (tls.rs:
//! only the kernel's certificate passes) before tonic sees it. A refused peer
//! is logged and dropped; it never reaches a handler.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use crate::sidecar::log::log_stderr;

/// One connection that passed the TLS handshake.
pub(crate) struct TlsIo<S>(TlsStream<S>);

/// A listener whose connections can carry TLS.
pub(crate) trait Listener: Send + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn next_conn(&self) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

impl Listener for UnixListener {
    type Io = UnixStream;
    fn next_conn(&self) -> impl Future<Output = io::Result<UnixStream>> + Send {
        async move { self.accept().await.map(|(stream, _)| stream) }
    }
}

impl Listener for TcpListener {
    type Io = TcpStream;
    fn next_conn(&self) -> impl Future<Output = io::Result<TcpStream>> + Send {
        async move { self.accept().await.map(|(stream, _)| stream) }
    }
}

/// Accepts connections on `listener` and yields those whose TLS handshake
/// succeeded; handshakes run concurrently, so a slow peer holds up no other.
pub(crate) fn tls<L: Listener>(listener: L, config: ServerConfig) -> ReceiverStream<io::Result<TlsIo<L::Io>>> {
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = match listener.next_conn().await {
                Ok(stream) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: tell tonic, then stop.
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls) => drop(tx.send(Ok(TlsIo(tls))).await),
                    Err(e) => log_stderr(
                        "warn",
                        "refused a connection to the Plugin server: its TLS handshake failed (only the kernel's certificate is accepted)",
                        &[("cause", &e.to_string())],
                    ),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connected for TlsIo<S> {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}
