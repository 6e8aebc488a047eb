//! A TLS front for the fake API on 127.0.0.1, with certificates made for the
//! test: a private certificate authority, and leaf certificates for the right
//! or a wrong name, current or expired. It counts TLS connections, so a test
//! can tell whether the provider retried.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority of the test's own, which no machine trusts unless told to.
pub(crate) struct TestCa {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

/// A leaf certificate and its key.
pub(crate) struct Leaf {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// Its private key.
    pub key: PrivateKeyDer<'static>,
}

impl TestCa {
    /// A new CA.
    pub(crate) fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test Corporate Inspection CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("CA key");
        Self {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    /// The CA certificate as PEM, what SSL_CERT_FILE holds.
    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names` (host names or IP addresses), expired when `expired`.
    pub(crate) fn leaf(&self, names: &[&str], expired: bool) -> Leaf {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("leaf params");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("leaf"),
        );
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A self-signed leaf for `names`, signed by no CA at all.
pub(crate) fn self_signed(names: &[&str]) -> Leaf {
    let key = rcgen::KeyPair::generate().expect("key");
    let cert =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params")
            .self_signed(&key)
            .expect("self-signed certificate");
    Leaf {
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// What a TLS server on 127.0.0.1 starts from: a one-thread runtime of its
/// own, a listener on a free port, and an acceptor presenting a leaf.
pub(crate) struct TlsListener {
    /// The runtime the server's tasks run on.
    pub(crate) runtime: tokio::runtime::Runtime,
    /// Bound to 127.0.0.1 on `port`.
    pub(crate) listener: TcpListener,
    /// The TLS side of each accepted connection.
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    /// The port.
    pub(crate) port: u16,
}

impl TlsListener {
    /// Binds 127.0.0.1 and prepares to present `leaf`.
    pub(crate) fn bind(leaf: Leaf) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.cert], leaf.key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        Self {
            runtime,
            listener,
            acceptor,
            port,
        }
    }
}

/// A TLS server on 127.0.0.1 presenting `leaf`, relaying each connection's
/// plaintext to `upstream` (`host:port`); stopped on drop.
pub(crate) struct TlsFront {
    /// The port it listens on.
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TlsFront {
    /// Starts the server.
    pub(crate) fn start(leaf: Leaf, upstream: &str) -> Self {
        let tls = TlsListener::bind(leaf);
        let (runtime, listener, acceptor) = (tls.runtime, tls.listener, tls.acceptor);
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let upstream = upstream.to_string();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    if let Ok(mut plain) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        Self {
            port: tls.port,
            accepted,
            runtime: Some(runtime),
        }
    }

    /// TCP connections accepted so far (each a TLS handshake attempt).
    pub(crate) fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
