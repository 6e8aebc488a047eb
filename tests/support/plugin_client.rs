//! Launches the provider exactly as Terraform does (magic cookie, protocol
//! versions, a P-521 CA:TRUE client certificate) and connects to it over the
//! announced Unix socket or loopback TCP port with mutual TLS and ALPN h2.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint};

use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::Value;

use super::terraform::provider_binary;
use super::values::provider_config;

/// The magic cookie Terraform sets.
pub(crate) const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A client certificate like Terraform's: ECDSA P-521, CA:TRUE, SAN localhost.
pub(crate) struct ClientIdentity {
    /// PEM text, as passed in PLUGIN_CLIENT_CERT.
    pub pem: String,
    /// DER of the certificate.
    pub der: Vec<u8>,
    /// PKCS#8 DER of its key.
    pub key: Vec<u8>,
}

impl ClientIdentity {
    /// Generates a fresh identity.
    pub(crate) fn generate() -> Self {
        let (pem, der, key) = tfcf::plugin::wire::terraform_like_client_certificate()
            .expect("a Terraform-like client certificate");
        Self { pem, der, key }
    }
}

/// Where a provider listens, as its handshake line or reattach value says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PluginAddr {
    /// A Unix socket's path.
    Unix(PathBuf),
    /// A TCP `host:port`.
    Tcp(String),
}

impl From<PathBuf> for PluginAddr {
    fn from(socket: PathBuf) -> Self {
        PluginAddr::Unix(socket)
    }
}

impl PluginAddr {
    /// The address from a go-plugin network name (`unix` or `tcp`) and address.
    pub(crate) fn parse(network: &str, address: &str) -> Self {
        match network {
            "unix" => PluginAddr::Unix(PathBuf::from(address)),
            "tcp" => PluginAddr::Tcp(address.to_string()),
            other => panic!("unknown network {other:?} for {address:?}"),
        }
    }
}

/// The parsed handshake line.
#[derive(Debug, Clone)]
pub(crate) struct Handshake {
    /// The whole line, without the newline.
    pub line: String,
    /// The negotiated protocol version.
    pub protocol: u32,
    /// Where the provider listens.
    pub addr: PluginAddr,
    /// The socket path (the address as a path, meaningful for `unix`).
    pub socket: PathBuf,
    /// The server certificate, when TLS is on.
    pub server_cert: Option<Vec<u8>>,
}

/// A provider process launched like Terraform does; killed on drop.
pub(crate) struct ProviderProcess {
    child: Child,
    /// What it announced.
    pub handshake: Handshake,
    /// The client identity it trusts.
    pub identity: Option<ClientIdentity>,
}

impl ProviderProcess {
    /// Launches with mTLS and `PLUGIN_PROTOCOL_VERSIONS=5,6`, plus extra environment.
    pub(crate) fn launch(env: &[(&str, &str)]) -> Self {
        Self::launch_with(true, "5,6", env)
    }

    /// Launches with or without TLS, offering `versions`.
    pub(crate) fn launch_with(tls: bool, versions: &str, env: &[(&str, &str)]) -> Self {
        let identity = tls.then(ClientIdentity::generate);
        let mut command = Command::new(provider_binary());
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", versions)
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(identity) = &identity {
            command.env("PLUGIN_CLIENT_CERT", &identity.pem);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("launch provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read handshake");
        let handshake = parse_handshake(line.trim_end_matches('\n'));
        Self {
            child,
            handshake,
            identity,
        }
    }

    /// Connects a gRPC channel the way Terraform does.
    pub(crate) async fn channel(&self) -> Channel {
        let tls = match (&self.identity, &self.handshake.server_cert) {
            (Some(identity), Some(server_cert)) => Some(client_tls(Some(identity), server_cert)),
            _ => None,
        };
        connect(self.handshake.addr.clone(), tls)
            .await
            .expect("connect to provider")
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit; returns whether it exited successfully.
    pub(crate) fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for provider")
    }

    /// Checks whether the process has exited, without waiting.
    pub(crate) fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("poll provider")
    }

    /// Everything the process wrote to stderr (after it exited).
    pub(crate) fn stderr(&mut self) -> String {
        use std::io::Read;
        let mut text = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for ProviderProcess {
    /// Stops the provider with SIGTERM so it removes its socket directory,
    /// falling back to SIGKILL if it does not exit promptly.
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a pid we spawned and still own has no memory effects.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses and checks the handshake line's shape.
pub(crate) fn parse_handshake(line: &str) -> Handshake {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "handshake must have 6 fields: {line:?}");
    assert_eq!(fields[0], "1", "core version: {line:?}");
    assert!(
        fields[2] == "unix" || fields[2] == "tcp",
        "network: {line:?}"
    );
    if fields[2] == "tcp" {
        let addr: std::net::SocketAddr = fields[3].parse().expect("tcp address is host:port");
        assert!(
            addr.ip().is_loopback(),
            "tcp address must be loopback: {line:?}"
        );
    }
    assert_eq!(fields[4], "grpc", "protocol: {line:?}");
    let server_cert = (!fields[5].is_empty()).then(|| {
        assert!(
            !fields[5].contains('='),
            "certificate must be unpadded base64"
        );
        STANDARD_NO_PAD
            .decode(fields[5])
            .expect("certificate is unpadded standard base64")
    });
    Handshake {
        line: line.to_string(),
        protocol: fields[1].parse().expect("protocol version"),
        addr: PluginAddr::parse(fields[2], fields[3]),
        socket: PathBuf::from(fields[3]),
        server_cert,
    }
}

/// A TLS client configuration trusting only `server_cert`, optionally presenting `identity`.
pub(crate) fn client_tls(
    identity: Option<&ClientIdentity>,
    server_cert: &[u8],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .expect("trust server cert");
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let mut config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(identity.der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key.clone())),
            )
            .expect("client cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// Opens a byte stream to `addr`.
pub(crate) async fn open(addr: &PluginAddr) -> std::io::Result<Box<dyn IoStream>> {
    Ok(match addr {
        PluginAddr::Unix(socket) => Box::new(UnixStream::connect(socket).await?),
        PluginAddr::Tcp(address) => Box::new(TcpStream::connect(address).await?),
    })
}

/// Connects to a Unix socket (given as a path) or a TCP address, with TLS
/// when a configuration is given.
pub(crate) async fn connect(
    addr: impl Into<PluginAddr>,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    let addr = addr.into();
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let addr = addr.clone();
            let tls = tls.clone();
            async move {
                let stream = open(&addr).await?;
                match tls {
                    None => Ok::<_, std::io::Error>(TokioIo::new(stream)),
                    Some(config) => {
                        let name = ServerName::try_from("localhost").expect("server name");
                        let tls = TlsConnector::from(config).connect(name, stream).await?;
                        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
                        if alpn.as_deref() != Some(b"h2") {
                            return Err(std::io::Error::other(format!(
                                "server did not select ALPN h2: {alpn:?}"
                            )));
                        }
                        Ok(TokioIo::new(Box::new(tls) as Box<dyn IoStream>))
                    }
                }
            }
        }))
        .await
}

/// A byte stream usable by the gRPC client.
pub(crate) trait IoStream:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin
{
}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> IoStream for T {}

/// GetProviderSchema, which must answer over gRPC; `when` says at what point
/// in the test, should it not.
pub(crate) async fn provider_schema(
    client: &mut ProviderClient<Channel>,
    when: &str,
) -> pb::get_provider_schema::Response {
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap_or_else(|status| panic!("GetProviderSchema {when}: {status}"))
        .into_inner()
}

/// The Terraform version the helpers below report in ConfigureProvider.
pub(crate) const TERRAFORM_VERSION: &str = "1.11.4";

/// Sends ConfigureProvider with `token`, `api_url` as `base_url` and any
/// `extra` settings, and checks that the provider accepted them.
pub(crate) async fn configure(
    client: &mut ProviderClient<Channel>,
    api_url: &str,
    token: &str,
    extra: &[(&str, Value)],
) {
    let mut settings = vec![
        ("api_token", Value::from(token)),
        ("base_url", Value::from(api_url)),
    ];
    settings.extend(extra.iter().cloned());
    let response = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: TERRAFORM_VERSION.to_string(),
            config: Some(provider_config(&settings)),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
}
