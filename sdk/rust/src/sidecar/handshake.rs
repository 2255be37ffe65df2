//! The environment the kernel sets when it starts a sidecar and the line the
//! sidecar answers with (docs/protocol.md, "Start and handshake"), as
//! sdk/go/handshake.go reads and prints them.

use std::path::{Path, PathBuf};

use base64::Engine;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::{codes, Error};

pub(crate) const ENV_COOKIE: &str = "MICROCORE_PLUGIN_COOKIE";
const ENV_VERSIONS: &str = "MICROCORE_PROTOCOL_VERSIONS";
pub(crate) const ENV_KERNEL_ADDR: &str = "MICROCORE_KERNEL_ADDRESS";
const ENV_KERNEL_CERT: &str = "MICROCORE_KERNEL_CERT";
pub(crate) const ENV_IDENTITY: &str = "MICROCORE_IDENTITY";
/// Set by whoever starts an attached sidecar instead (attach.rs): where it listens.
pub(crate) const ENV_LISTEN: &str = "MICROCORE_LISTEN";
const ENV_SOCKET_DIR: &str = "MICROCORE_SOCKET_DIR";
/// The most bytes one message may hold, both ways (the kernel's MC_MESSAGE_LIMIT_BYTES).
const ENV_MESSAGE_LIMIT: &str = "MICROCORE_MESSAGE_LIMIT";
const DEFAULT_MESSAGE_LIMIT: usize = 8 << 20;
pub(crate) const COOKIE_VALUE: &str = "microcore-sidecar-v1";
const CORE_PROTOCOL: u32 = 1;
/// Version 2 is mutual TLS (tls.rs), every call a unary gRPC call; version 3
/// adds the call stream on Plugin.Connect (stream.rs); version 4 carries the
/// same frames on a socket of their own (frames.rs), preferred. Version 1 (a
/// bearer token) is retired.
pub(crate) const PROTOCOL_FRAMES: &str = "4";
pub(crate) const PROTOCOL_STREAM: &str = "3";
const PROTOCOL_UNARY: &str = "2";
/// sun_path holds 108 bytes on Linux and 104 on macOS, NUL included.
const MAX_SOCKET_PATH: usize = 106;

/// What `serve` reads from the environment; tests build it directly.
#[derive(Debug, Clone)]
pub(crate) struct SidecarEnv {
    /// The kernel's tool server socket (the path of `unix://<path>`).
    pub kernel_socket: PathBuf,
    /// An attached sidecar's: the kernel's tool server on TCP, host:port (then kernel_socket is unused).
    pub kernel_tcp: Option<String>,
    /// The only certificate accepted from the kernel, DER.
    pub kernel_cert: CertificateDer<'static>,
    pub identity: String,
    pub socket_dir: PathBuf,
    pub version: String,
    pub message_limit: usize,
}

fn handshake(message: String) -> Error {
    Error::new(codes::SIDECAR_HANDSHAKE, message)
}

/// The one sentence a sidecar run by hand prints.
pub(crate) fn not_started_by_kernel(program: &str) -> String {
    let name = Path::new(program).file_name().map_or(program.into(), |n| n.to_string_lossy().into_owned());
    format!(
        "{name} is a MicroCore sidecar that the kernel starts, not a program to run by hand ({ENV_COOKIE} is missing): \
         run `microcore start` in the project, which starts every sidecar listed in sidecars/<name>/sidecar.json \
         (or set {ENV_LISTEN} to serve a kernel that attaches to it by address: docs/protocol.md, \"Attached sidecars\")."
    )
}

/// Checks the handshake variables (the cookie aside) and picks the version.
pub(crate) fn read_env(getenv: impl Fn(&str) -> Option<String>) -> Result<SidecarEnv, Error> {
    let version = pick_version(&getenv(ENV_VERSIONS).unwrap_or_default())?;
    let get = |name: &str| match getenv(name) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(handshake(format!(
            "{name} is not set, though {ENV_COOKIE} is: the kernel sets both when it starts a sidecar; \
             start the sidecar with `microcore start`, or set every variable docs/protocol.md lists"
        ))),
    };
    let address = get(ENV_KERNEL_ADDR)?;
    let kernel_socket = address.strip_prefix("unix://").filter(|p| p.starts_with('/')).ok_or_else(|| {
        handshake(format!(
            "{ENV_KERNEL_ADDR} {address:?} is not a gRPC target this SDK dials (want unix:///abs/path/kernel.sock)"
        ))
    })?;
    let kernel_cert = parse_kernel_cert(&get(ENV_KERNEL_CERT)?)?;
    let identity = get(ENV_IDENTITY)?;
    let socket_dir = get(ENV_SOCKET_DIR)?;
    let message_limit = message_limit(&getenv)?;
    Ok(SidecarEnv {
        kernel_socket: kernel_socket.into(),
        kernel_tcp: None,
        kernel_cert,
        identity,
        socket_dir: socket_dir.into(),
        version,
        message_limit,
    })
}

/// MICROCORE_MESSAGE_LIMIT; absent, the default.
pub(crate) fn message_limit(getenv: &impl Fn(&str) -> Option<String>) -> Result<usize, Error> {
    match getenv(ENV_MESSAGE_LIMIT).filter(|raw| !raw.is_empty()) {
        None => Ok(DEFAULT_MESSAGE_LIMIT),
        Some(raw) => raw.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            handshake(format!(
                "{ENV_MESSAGE_LIMIT} is {raw:?}, not a number of bytes; the kernel sets it from MC_MESSAGE_LIMIT_BYTES \
                 (an attached sidecar: set it to the same)"
            ))
        }),
    }
}

fn pick_version(offered: &str) -> Result<String, Error> {
    if offered.trim().is_empty() {
        return Err(handshake(format!(
            "{ENV_VERSIONS} is not set, so no protocol version can be agreed: this SDK speaks version \
             {PROTOCOL_FRAMES}, {PROTOCOL_STREAM} or {PROTOCOL_UNARY}; start the sidecar with `microcore start`"
        )));
    }
    for version in [PROTOCOL_FRAMES, PROTOCOL_STREAM, PROTOCOL_UNARY] {
        if offered.split(',').any(|v| v.trim() == version) {
            return Ok(version.into());
        }
    }
    Err(handshake(format!(
        "the kernel speaks protocol versions {offered:?} ({ENV_VERSIONS}) and this SDK speaks only \
         {PROTOCOL_FRAMES}, {PROTOCOL_STREAM} and {PROTOCOL_UNARY}: upgrade sdk/rust or the kernel so they share a version"
    )))
}

/// MICROCORE_KERNEL_CERT: exactly one PEM certificate.
pub(crate) fn parse_kernel_cert(text: &str) -> Result<CertificateDer<'static>, Error> {
    let mut certs = CertificateDer::pem_slice_iter(text.as_bytes());
    let first = match certs.next() {
        Some(Ok(cert)) => cert,
        _ => {
            return Err(handshake(format!(
                "{ENV_KERNEL_CERT} does not hold a PEM certificate (want -----BEGIN CERTIFICATE-----): \
                 the kernel sets it; start the sidecar with `microcore start`"
            )))
        }
    };
    if certs.next().is_some() {
        return Err(handshake(format!(
            "{ENV_KERNEL_CERT} holds more than one PEM certificate; the kernel sets exactly one"
        )));
    }
    Ok(first)
}

/// Names the socket after the identity (sidecar/parity-rustsc →
/// parity-rustsc.sock); a path too long for sun_path falls back to a hash of
/// the identity, as sdk/go's socketPath does (FNV-1a, 32 bits). The frames
/// socket beside it (frames_path) must fit too, so the check counts its
/// longer suffix.
pub(crate) fn socket_path(dir: &Path, identity: &str) -> Result<PathBuf, Error> {
    let abs = std::path::absolute(dir).map_err(|e| {
        handshake(format!("{ENV_SOCKET_DIR} {:?} cannot be made absolute: {e}", dir.display().to_string()))
    })?;
    let name = identity.rsplit('/').next().unwrap_or_default();
    let mut path = abs.join(format!("{name}.sock"));
    if name.is_empty() || name.contains('\\') || frames_path(&path).as_os_str().len() > MAX_SOCKET_PATH {
        path = abs.join(fallback_socket_name(identity));
    }
    if frames_path(&path).as_os_str().len() > MAX_SOCKET_PATH {
        return Err(handshake(format!(
            "{ENV_SOCKET_DIR} {:?} is too long for a Unix socket path ({} bytes, at most {MAX_SOCKET_PATH}): \
             use a shorter directory",
            abs.display().to_string(),
            frames_path(&path).as_os_str().len()
        )));
    }
    Ok(path)
}

fn fallback_socket_name(identity: &str) -> String {
    let hash = identity.bytes().fold(0x811c9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x01000193));
    format!("s-{hash:08x}.sock")
}

/// The frames socket of protocol version 4, beside the gRPC one (as sdk/go's
/// framesPath): parity-rustsc.sock → parity-rustsc.frames.
pub(crate) fn frames_path(socket: &Path) -> PathBuf {
    socket.with_extension("frames")
}

/// The one line the kernel reads on stdout; its sixth field is the sidecar's
/// certificate, standard padded base64 of the DER bytes. Version 4 adds a
/// seventh: the frames socket.
pub(crate) fn handshake_line(version: &str, socket: &Path, cert_der: &[u8], frames: Option<&Path>) -> String {
    let cert = base64::engine::general_purpose::STANDARD.encode(cert_der);
    let frames = frames.map_or(String::new(), |f| format!("|{}", f.display()));
    format!("{CORE_PROTOCOL}|{version}|unix|{}|grpc|{cert}{frames}\n", socket.display())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn pem() -> &'static str {
        let der = crate::sidecar::tls::OwnCert::new("kernel").unwrap().cert;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n").leak()
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    fn full() -> Vec<(&'static str, &'static str)> {
        vec![
            (ENV_VERSIONS, "2"),
            (ENV_KERNEL_ADDR, "unix:///tmp/k.sock"),
            (ENV_KERNEL_CERT, pem()),
            (ENV_IDENTITY, "sidecar/x"),
            (ENV_SOCKET_DIR, "/tmp"),
        ]
    }

    #[test]
    fn reads_the_kernels_environment() {
        let e = read_env(env(&full())).unwrap();
        assert_eq!(e.kernel_socket, PathBuf::from("/tmp/k.sock"));
        assert_eq!((e.version.as_str(), e.message_limit), ("2", DEFAULT_MESSAGE_LIMIT));
        // The newest version both speak: frames on their own socket when the
        // kernel offers them, else the call stream on Plugin.Connect, else unary.
        for (offered, want) in [("2,3,4", "4"), ("4, 3", "4"), ("2,3", "3"), ("3", "3"), ("1, 2", "2"), ("2,5", "2")] {
            assert_eq!(pick_version(offered).unwrap(), want, "offered {offered}");
        }
    }

    #[test]
    fn missing_or_bad_variables_are_handshake_errors() {
        for (name, value, says) in [
            (ENV_VERSIONS, "1", "speaks only 4, 3 and 2"),
            (ENV_KERNEL_ADDR, "tcp://x", "unix:///abs"),
            (ENV_KERNEL_CERT, "nope", "PEM certificate"),
            (ENV_IDENTITY, "", "MICROCORE_IDENTITY is not set"),
            (ENV_MESSAGE_LIMIT, "-3", "not a number of bytes"),
        ] {
            let mut vars = full();
            vars.retain(|(k, _)| *k != name);
            vars.push((name, value));
            let err = read_env(env(&vars)).unwrap_err();
            assert_eq!(err.code, codes::SIDECAR_HANDSHAKE);
            assert!(err.message.contains(says), "{name}: {}", err.message);
        }
    }

    #[test]
    fn socket_is_named_after_the_identity_or_hashed() {
        assert_eq!(socket_path(Path::new("/tmp"), "sidecar/parity").unwrap(), PathBuf::from("/tmp/parity.sock"));
        let deep = PathBuf::from(format!("/{}", "d".repeat(80)));
        let hashed = socket_path(&deep, "sidecar/a-rather-long-identity-name").unwrap();
        assert!(hashed.file_name().unwrap().to_string_lossy().starts_with("s-"), "{}", hashed.display());
        // The same hash as sdk/go's fallbackSocketName (FNV-1a 32).
        assert_eq!(fallback_socket_name("a"), "s-e40c292c.sock");
        // The frames socket's longer name must fit too: a directory leaving room
        // for "a-rather-long-name.sock" but not ".frames" takes the hash.
        let tight = PathBuf::from(format!("/{}", "d".repeat(MAX_SOCKET_PATH - "//a-rather-long-name.sock".len())));
        let named = socket_path(&tight, "sidecar/a-rather-long-name").unwrap();
        assert!(named.file_name().unwrap().to_string_lossy().starts_with("s-"), "{}", named.display());
        assert!(frames_path(&named).as_os_str().len() <= MAX_SOCKET_PATH);
        assert_eq!(frames_path(Path::new("/tmp/parity.sock")), PathBuf::from("/tmp/parity.frames"));
    }

    #[test]
    fn the_line_carries_the_certificate() {
        assert_eq!(handshake_line("2", Path::new("/s/x.sock"), &[1, 2, 3], None), "1|2|unix|/s/x.sock|grpc|AQID\n");
        // Version 4's line names the frames socket in a seventh field.
        assert_eq!(
            handshake_line("4", Path::new("/s/x.sock"), &[1, 2, 3], Some(Path::new("/s/x.frames"))),
            "1|4|unix|/s/x.sock|grpc|AQID|/s/x.frames\n"
        );
        assert!(not_started_by_kernel("/bin/x").starts_with("x is a MicroCore sidecar"));
    }
}
