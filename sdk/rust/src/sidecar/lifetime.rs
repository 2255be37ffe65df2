//! When a sidecar stops: SIGTERM, SIGINT, or the death of the kernel that
//! started it. A dead parent cannot be waited on portably, so the parent pid is
//! polled: once the kernel is gone the sidecar is reparented and it changes.

use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use crate::sidecar::log::log_stderr;

const PARENT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Resolves at the first of: SIGTERM, SIGINT, the parent's exit. The parent is
/// read now, at the call, not when the future is first polled: that is after the
/// handshake line, and a kernel that dies in between would leave the sidecar
/// comparing against its new parent forever (seen in CI under load).
pub(crate) fn stopped() -> impl std::future::Future<Output = ()> {
    let parent = std::os::unix::process::parent_id();
    until_stopped(Some(parent))
}

/// Resolves at SIGTERM or SIGINT: an attached sidecar (attach.rs) is nobody's
/// child to watch, and runs whatever its parent does.
pub(crate) fn signalled() -> impl std::future::Future<Output = ()> {
    until_stopped(None)
}

async fn until_stopped(parent: Option<u32>) {
    // Without signal handlers the default action (exit) still stops the
    // sidecar, only less gracefully; so a failure to install one is not fatal.
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    let term = async {
        match term.as_mut() {
            Some(s) => drop(s.recv().await),
            None => std::future::pending().await,
        }
    };
    let int = async {
        match int.as_mut() {
            Some(s) => drop(s.recv().await),
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = term => {}
        () = int => {}
        parent = parent_exited(parent, PARENT_POLL_INTERVAL) => {
            log_stderr("warn", "the kernel that started this sidecar exited; stopping", &[("parentPid", &parent.to_string())]);
        }
    }
}

/// Resolves to the parent's pid once it is no longer the parent; never without one.
async fn parent_exited(parent: Option<u32>, every: Duration) -> u32 {
    let Some(parent) = parent else { return std::future::pending().await };
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent {
            return parent;
        }
    }
}
