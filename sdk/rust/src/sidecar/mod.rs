//! The sidecar transport (docs/protocol.md, "Sidecars"), as sdk/go/serve.go:
//! the handshake, a Plugin server and a gRPC health service on a Unix socket
//! with mutual TLS (and, in protocol version 4, the frames socket beside it),
//! tool calls back to the kernel, and an exit on SIGTERM, SIGINT or the
//! kernel's death; or, started by hand, the same served on an address a
//! kernel attaches to (attach.rs). Built only off wasm32.

mod attach;
mod frames;
mod handshake;
mod incoming;
mod kernel_client;
mod lifetime;
mod log;
mod plugin_server;
mod stream;
pub(crate) mod tls;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Server;

use crate::pb::plugin_server::PluginServer;
use crate::pb::OnBootRequest;
use crate::{codes, Error};
use handshake::SidecarEnv;
use kernel_client::KernelClient;
use plugin_server::{OnBoot, OnShutdown, PluginService};

/// The gRPC health service name the kernel checks after the handshake.
const HEALTH_SERVICE: &str = "plugin";
/// How long in-flight calls may finish after a stop; the kernel's SIGKILL
/// follows its own stop timeout anyway.
const GRACE_PERIOD: Duration = Duration::from_secs(5);

/// Runs the plugin as a sidecar and exits the process: what `plugin!` expands
/// to natively, as `serve()`. Run by hand with MICROCORE_LISTEN set, it serves
/// a kernel that attaches to it by address instead (attach.rs); run by hand
/// without, it prints one sentence saying so and exits 1.
pub fn serve<B, S>(on_boot: B, on_shutdown: Option<S>) -> !
where
    B: Fn(OnBootRequest) -> Result<(), Error> + Send + Sync + 'static,
    S: Fn() -> Result<(), Error> + Send + Sync + 'static,
{
    let getenv = |name: &str| std::env::var(name).ok();
    let started = getenv(handshake::ENV_COOKIE).as_deref() == Some(handshake::COOKIE_VALUE);
    let attached = !started && getenv(handshake::ENV_LISTEN).is_some_and(|l| !l.is_empty());
    if !started && !attached {
        let program = std::env::args().next().unwrap_or_else(|| "this program".into());
        eprintln!("{}", handshake::not_started_by_kernel(&program));
        std::process::exit(1);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| {
        exit_with(Error::new(codes::SIDECAR_HANDSHAKE, format!("cannot start the tokio runtime: {e}")))
    });
    let (on_boot, on_shutdown) = (Arc::new(on_boot) as OnBoot, on_shutdown.map(|f| Arc::new(f) as OnShutdown));
    let result = if attached {
        let env = attach::read_env(getenv).unwrap_or_else(|e| exit_with(e));
        runtime.block_on(attach::run(env, on_boot, on_shutdown, lifetime::signalled()))
    } else {
        let env = handshake::read_env(getenv).unwrap_or_else(|e| exit_with(e));
        runtime.block_on(run(env, on_boot, on_shutdown, std::io::stdout(), lifetime::stopped()))
    };
    // Blocking-pool threads still in a handler must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => exit_with(e),
    }
}

fn exit_with(e: Error) -> ! {
    eprintln!("{e}");
    std::process::exit(1)
}

/// `serve` without the process around it: tests call it with an explicit
/// environment, stdout and stop signal. Returns once `stop` resolves and calls
/// have drained (or the grace period ended).
pub(crate) async fn run(
    env: SidecarEnv,
    on_boot: OnBoot,
    on_shutdown: Option<OnShutdown>,
    mut stdout: impl Write,
    stop: impl Future<Output = ()>,
) -> Result<(), Error> {
    let own = tls::OwnCert::new(&env.identity)?;
    let path = handshake::socket_path(&env.socket_dir, &env.identity)?;
    // A socket left by an earlier run of this sidecar would make bind fail.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).map_err(|e| {
        Error::new(
            codes::SIDECAR_HANDSHAKE,
            format!("cannot listen on {}: {e}; check that MICROCORE_SOCKET_DIR is writable", path.display()),
        )
    })?;
    let server_tls = tls::server_config(&own, &env.kernel_cert)?;
    let plugin = plugin_service(&env, &own, on_boot, on_shutdown)?;
    let frames_path = (env.version == handshake::PROTOCOL_FRAMES).then(|| handshake::frames_path(&path));
    let frames = match &frames_path {
        None => None,
        Some(frames_path) => {
            let _ = std::fs::remove_file(frames_path);
            let listener = tokio::net::UnixListener::bind(frames_path).map_err(|e| {
                Error::new(
                    codes::SIDECAR_HANDSHAKE,
                    format!(
                        "cannot listen on {}: {e}; check that MICROCORE_SOCKET_DIR is writable",
                        frames_path.display()
                    ),
                )
            })?;
            Some(tokio::spawn(frames::serve(listener, server_tls.clone(), plugin.clone())))
        }
    };
    // Dropping the handle would not stop the task: abort it on every way out.
    let _frames_guard = frames.as_ref().map(|task| AbortOnDrop(task.abort_handle()));
    let frames_ended = async {
        let why = match frames {
            Some(task) => {
                task.await.map_or_else(|e| e.to_string(), |r| r.map_or_else(|e| e.to_string(), |()| "it ended".into()))
            }
            None => std::future::pending().await,
        };
        let at = frames_path.as_deref().unwrap_or(&path).display();
        Error::new(codes::INTERNAL, format!("the frames socket {at} stopped: {why}"))
    };
    // The listeners exist before the line is printed, so the kernel can dial
    // as soon as it reads it.
    let line = handshake::handshake_line(&env.version, &path, own.cert.as_ref(), frames_path.as_deref());
    let announce = || {
        stdout.write_all(line.as_bytes()).and_then(|()| stdout.flush()).map_err(|e| {
            Error::new(codes::SIDECAR_HANDSHAKE, format!("cannot print the handshake line on stdout: {e}"))
        })
    };
    let at = path.display().to_string();
    let served = serve_plugin(incoming::tls(listener, server_tls), plugin, &at, frames_ended, announce, stop).await;
    let _ = std::fs::remove_file(&path);
    if let Some(frames_path) = &frames_path {
        let _ = std::fs::remove_file(frames_path);
    }
    served
}

fn plugin_service(
    env: &SidecarEnv,
    own: &tls::OwnCert,
    on_boot: OnBoot,
    on_shutdown: Option<OnShutdown>,
) -> Result<PluginService, Error> {
    Ok(PluginService {
        identity: env.identity.clone(),
        on_boot,
        on_shutdown,
        kernel: KernelClient::new(env, own, tokio::runtime::Handle::current())?,
        registry: Default::default(),
        message_limit: env.message_limit,
    })
}

/// Serves health and the Plugin service on `incoming` (`at` names it) until
/// `stop`, then lets calls in flight finish for the grace period. `announce`
/// runs once the server is set up: the handshake line, or an attached
/// sidecar's log line. `other_ended` is another task whose end is a failure
/// (version 4's frames socket).
async fn serve_plugin<I, IO, IE>(
    incoming: I,
    plugin: PluginService,
    at: &str,
    other_ended: impl Future<Output = Error>,
    announce: impl FnOnce() -> Result<(), Error>,
    stop: impl Future<Output = ()>,
) -> Result<(), Error>
where
    I: tokio_stream::Stream<Item = Result<IO, IE>>,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + tonic::transport::server::Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status(HEALTH_SERVICE, tonic_health::ServingStatus::Serving).await;
    let limit = plugin.message_limit;
    let plugin = PluginServer::new(plugin).max_decoding_message_size(limit).max_encoding_message_size(limit);
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = Server::builder().add_service(health_service).add_service(plugin).serve_with_incoming_shutdown(
        incoming,
        async {
            let _ = stopping_rx.await;
        },
    );
    announce()?;
    tokio::pin!(server);
    tokio::select! {
        served = &mut server => {
            let why = served.map_or_else(|e| e.to_string(), |()| "it ended".into());
            return Err(Error::new(codes::INTERNAL, format!("the Plugin server on {at} stopped: {why}")));
        }
        e = other_ended => return Err(e),
        () = stop => {}
    }
    health.set_service_status(HEALTH_SERVICE, tonic_health::ServingStatus::NotServing).await;
    let _ = stopping_tx.send(());
    // In-flight calls may finish, but not for longer than the grace period.
    // Frames connections keep serving meanwhile, and end (with the task) after.
    let _ = tokio::time::timeout(GRACE_PERIOD, server).await;
    Ok(())
}

/// Aborts a task when dropped: the frames socket's accept loop, with the
/// connections it serves, ends with `run`.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
