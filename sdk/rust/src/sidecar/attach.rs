//! An attached sidecar (docs/protocol.md, "Attached sidecars"), as
//! sdk/go/attach.go: started by a person, a container or a debugger, it listens
//! on MICROCORE_LISTEN and waits for a kernel whose manifest names that
//! address. No pipe joins the two, so each end's certificate reaches the other
//! as a file the operator hands over: the kernel's (`microcore sidecar cert`)
//! by path in MICROCORE_KERNEL_CERT_FILE, and this sidecar's, made on its first
//! run into MICROCORE_TLS_DIR, named by the manifest's `cert`. Nothing in the
//! environment is a secret: the private key stays in a file only its owner
//! can read. Protocol version 3: version 4's frames socket is named in a
//! handshake line, which no one reads here.

use std::fs::{DirBuilder, OpenOptions};
use std::future::Future;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use super::handshake::{self, SidecarEnv, ENV_IDENTITY, ENV_KERNEL_ADDR, ENV_LISTEN, PROTOCOL_STREAM};
use super::log::log_stderr;
use super::plugin_server::{OnBoot, OnShutdown};
use super::tls::{self, OwnCert};
use super::{incoming, plugin_service, serve_plugin};
use crate::{codes, Error};

const ENV_KERNEL_CERT_FILE: &str = "MICROCORE_KERNEL_CERT_FILE";
const ENV_TLS_DIR: &str = "MICROCORE_TLS_DIR";
/// The kernel's MC_TOOL_ADDRESS default: the two meet without either being set.
const DEFAULT_KERNEL_TCP: &str = "127.0.0.1:7400";
const DEFAULT_TLS_DIR: &str = "microcore-tls";
const KEY_FILE: &str = "sidecar.key";
const CERT_FILE: &str = "sidecar.crt";

/// What an attached sidecar reads from its environment.
pub(crate) struct AttachEnv {
    pub sidecar: SidecarEnv,
    /// host:port, or an absolute Unix socket path.
    pub listen: String,
    pub tls_dir: PathBuf,
}

fn handshake_error(message: String) -> Error {
    Error::new(codes::SIDECAR_HANDSHAKE, message)
}

pub(crate) fn read_env(getenv: impl Fn(&str) -> Option<String>) -> Result<AttachEnv, Error> {
    let get = |name: &str| getenv(name).filter(|v| !v.is_empty());
    let cert_file = get(ENV_KERNEL_CERT_FILE).ok_or_else(|| {
        handshake_error(format!(
            "{ENV_LISTEN} is set but {ENV_KERNEL_CERT_FILE} is not: an attached sidecar accepts only the kernel whose \
             certificate it was given; run `microcore sidecar cert` in the project and set {ENV_KERNEL_CERT_FILE} to the file it names"
        ))
    })?;
    let kernel_cert = std::fs::read_to_string(&cert_file)
        .map_err(|e| e.to_string())
        .and_then(|text| handshake::parse_kernel_cert(&text).map_err(|e| e.message))
        .map_err(|why| {
            handshake_error(format!(
                "{ENV_KERNEL_CERT_FILE} is {cert_file}, which does not hold the kernel's certificate ({why}); \
                 `microcore sidecar cert` in the project names the file"
            ))
        })?;
    let kernel = get(ENV_KERNEL_ADDR).unwrap_or_else(|| DEFAULT_KERNEL_TCP.into());
    let (kernel_socket, kernel_tcp) = match kernel.strip_prefix("unix://") {
        Some(path) => (PathBuf::from(path), None),
        None => (PathBuf::new(), Some(kernel)),
    };
    let sidecar = SidecarEnv {
        kernel_socket,
        kernel_tcp,
        kernel_cert,
        // Until OnBoot names it.
        identity: get(ENV_IDENTITY).unwrap_or_else(|| "microcore-sidecar".into()),
        socket_dir: PathBuf::new(),
        version: PROTOCOL_STREAM.into(),
        message_limit: handshake::message_limit(&getenv)?,
    };
    let tls_dir = get(ENV_TLS_DIR).unwrap_or_else(|| DEFAULT_TLS_DIR.into()).into();
    Ok(AttachEnv { sidecar, listen: get(ENV_LISTEN).unwrap_or_default(), tls_dir })
}

/// `serve`'s attached mode without the process around it, for tests.
pub(crate) async fn run(
    env: AttachEnv,
    on_boot: OnBoot,
    on_shutdown: Option<OnShutdown>,
    stop: impl Future<Output = ()>,
) -> Result<(), Error> {
    let (own, cert_path) = lasting_cert(&env.tls_dir, &env.sidecar.identity)?;
    let server_tls = tls::server_config(&own, &env.sidecar.kernel_cert)?;
    let plugin = plugin_service(&env.sidecar, &own, on_boot, on_shutdown)?;
    let refused = |e: std::io::Error| {
        handshake_error(format!("cannot listen on {} ({ENV_LISTEN}): {e}; pick a free address", env.listen))
    };
    let kernel = env.sidecar.kernel_tcp.clone().unwrap_or_else(|| env.sidecar.kernel_socket.display().to_string());
    // What the operator needs for the manifest: the address and the certificate to pin.
    let announce = |at: &str| {
        let (at, cert, kernel) = (at.to_string(), cert_path.display().to_string(), kernel.clone());
        move || {
            log_stderr(
                "info",
                "serving for a kernel that attaches by address",
                &[("listen", &at), ("cert", &cert), ("kernel", &kernel)],
            );
            Ok(())
        }
    };
    let never = std::future::pending::<Error>();
    if env.listen.starts_with('/') {
        let _ = std::fs::remove_file(&env.listen);
        let listener = tokio::net::UnixListener::bind(&env.listen).map_err(refused)?;
        let at = env.listen.clone();
        serve_plugin(incoming::tls(listener, server_tls), plugin, &at, never, announce(&at), stop).await
    } else {
        let listener = tokio::net::TcpListener::bind(&env.listen).await.map_err(refused)?;
        let at = listener.local_addr().map_or_else(|_| env.listen.clone(), |a| a.to_string());
        serve_plugin(incoming::tls(listener, server_tls), plugin, &at, never, announce(&at), stop).await
    }
}

/// This sidecar's key pair from `dir`, or made there on the first run (the key
/// 0600): a kernel pins the certificate in its manifest, so it must outlive the
/// process. A key others can read is refused, as ssh does.
pub(crate) fn lasting_cert(dir: &Path, identity: &str) -> Result<(OwnCert, PathBuf), Error> {
    let (key_path, cert_path) = (dir.join(KEY_FILE), dir.join(CERT_FILE));
    let remake = format!("remove {} and {} to make a new pair", key_path.display(), cert_path.display());
    match std::fs::metadata(&key_path) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(handshake_error(format!(
                    "{}, this sidecar's private key, can be read by other users (mode {mode:o}): chmod 600 it, or {remake} \
                     (and give the kernel the new certificate)",
                    key_path.display()
                )));
            }
            let unreadable = |e: rustls_pki_types::pem::Error| {
                handshake_error(format!(
                    "cannot load this sidecar's key pair from {} ({ENV_TLS_DIR}): {e}; {remake}",
                    dir.display()
                ))
            };
            let key = PrivatePkcs8KeyDer::from_pem_file(&key_path).map_err(unreadable)?;
            let cert = CertificateDer::from_pem_file(&cert_path).map_err(unreadable)?;
            Ok((OwnCert::from_parts(cert, key), cert_path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let own = OwnCert::new(identity)?;
            write_pair(dir, &key_path, &cert_path, &own).map_err(|e| {
                handshake_error(format!(
                    "cannot make this sidecar's key pair in {} ({ENV_TLS_DIR}): {e}; check that it is writable",
                    dir.display()
                ))
            })?;
            Ok((own, cert_path))
        }
        Err(e) => Err(handshake_error(format!("cannot read {}: {e}", key_path.display()))),
    }
}

fn write_pair(dir: &Path, key_path: &Path, cert_path: &Path, own: &OwnCert) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    // create_new: two first runs at once must not write each other's halves.
    let mut key = OpenOptions::new().write(true).create_new(true).mode(0o600).open(key_path)?;
    key.write_all(pem("PRIVATE KEY", own.key_der()).as_bytes())?;
    std::fs::write(cert_path, pem("CERTIFICATE", own.cert.as_ref()))
}

pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out + &format!("-----END {label}-----\n")
}
