//! The sidecar's credentials (docs/protocol.md, "Credentials"), as sdk/go/tls.go:
//! a key pair made at start that lives in this process's memory alone, a
//! self-signed certificate for it (printed in the handshake line), and TLS
//! configs that accept only the kernel's certificate from MICROCORE_KERNEL_CERT,
//! byte for byte. Names are not checked: on a Unix socket the pinned
//! certificate is the identity.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

use crate::{codes, Error};

/// The name both certificates carry; nobody checks it.
pub(crate) const PEER_NAME: &str = "localhost";

/// Our certificate and its key.
pub(crate) struct OwnCert {
    pub cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl OwnCert {
    /// A P-256 key and a self-signed certificate naming `identity`, shaped like
    /// sdk/go's (a CA flag, so OpenSSL on the kernel's side accepts it as its
    /// own trust anchor; server and client use). rcgen's default validity
    /// (1975 to 4096) outlives the process: the key dies with it.
    pub(crate) fn new(identity: &str) -> Result<OwnCert, Error> {
        let failed = |e: rcgen::Error| {
            Error::new(codes::SIDECAR_HANDSHAKE, format!("cannot make the sidecar's key pair and certificate: {e}"))
        };
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::new(vec![PEER_NAME.to_string()]).map_err(failed)?;
        params.distinguished_name.push(DnType::CommonName, identity);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.self_signed(&key).map_err(failed)?;
        Ok(OwnCert { cert: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) })
    }

    /// A pair read back from files (attach.rs).
    pub(crate) fn from_parts(cert: CertificateDer<'static>, key: PrivatePkcs8KeyDer<'static>) -> OwnCert {
        OwnCert { cert, key }
    }

    /// The key's PKCS#8 DER, to be written to a file only its owner reads (attach.rs).
    pub(crate) fn key_der(&self) -> &[u8] {
        self.key.secret_pkcs8_der()
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(codes::SIDECAR_HANDSHAKE, format!("cannot set up the sidecar's {what} TLS: {e}"))
}

/// The Plugin server's: answers only a client showing the kernel's certificate.
pub(crate) fn server_config(own: &OwnCert, kernel: &CertificateDer<'static>) -> Result<ServerConfig, Error> {
    let verifier = Arc::new(Pinned::new(kernel.clone()));
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("server", e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![own.cert.clone()], own.key())
        .map_err(|e| tls_error("server", e))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// The tool client's: shows our certificate (the kernel knows us by it) and
/// talks only to a server showing the kernel's.
pub(crate) fn client_config(own: &OwnCert, kernel: &CertificateDer<'static>) -> Result<ClientConfig, Error> {
    let verifier = Arc::new(Pinned::new(kernel.clone()));
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("client", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![own.cert.clone()], own.key())
        .map_err(|e| tls_error("client", e))?;
    // grpc-js's TLS server speaks HTTP/2 only to a client that asks for it.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

pub(crate) fn server_name() -> ServerName<'static> {
    ServerName::try_from(PEER_NAME).expect("localhost is a valid server name")
}

/// Accepts exactly one end-entity certificate, and checks that the peer holds
/// its key (the handshake signature).
#[derive(Debug)]
struct Pinned {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn new(cert: CertificateDer<'static>) -> Self {
        Pinned { cert, provider: provider() }
    }

    fn check(&self, presented: &CertificateDer<'_>) -> Result<(), tokio_rustls::rustls::Error> {
        if presented.as_ref() == self.cert.as_ref() {
            Ok(())
        } else {
            Err(tokio_rustls::rustls::Error::General("the peer's certificate is not the pinned one".into()))
        }
    }

    fn tls12(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        verify_tls12_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }

    fn tls13(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        verify_tls13_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

type SigResult = Result<HandshakeSignatureValid, tokio_rustls::rustls::Error>;

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
        self.check(end_entity).map(|()| ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        self.tls12(m, c, d)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        self.tls13(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, tokio_rustls::rustls::Error> {
        self.check(end_entity).map(|()| ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        self.tls12(m, c, d)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> SigResult {
        self.tls13(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}
