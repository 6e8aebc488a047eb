//! Security tests: mutual TLS lets in Terraform's client certificate and
//! nothing else, the socket is shut to other users, credentials never reach a
//! log, a diagnostic or `Debug` output (checked under real Terraform with
//! `TF_LOG=trace`), and no request, however malformed, takes the provider down.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::support;
use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::plugin_client::{
    client_tls, connect, open, provider_schema, ClientIdentity, PluginAddr, ProviderProcess,
};
use crate::support::terraform::{text, Terraform, Workspace};
use crate::support::values::{
    connector_config, connector_type, dynamic, json, loose_object, object, provider_config,
    provider_type, raw, read_connector, read_request,
};
use crate::support::{on_path, under_ci};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tfcf::cloudflare::client::ApiClient;
use tfcf::cloudflare::config;
use tfcf::cloudflare::credentials::Credentials;
use tfcf::cloudflare::env::Env;
use tfcf::cloudflare::secret::Secret;
use tfcf::cloudflare::CloudflareProvider;
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::wire::{DynamicInput, ProviderService};
use tfcf::plugin::{Refinements, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tonic::transport::Channel;

const DATA_SOURCE: &str = "cloudflare_sso_connector";

/// A token the fake API accepts in the secrets tests: distinctive, so any
/// trace of it in a log is unmistakable.
const ACCEPTED_SECRET: &str = "cfut_SECRETSHOULDNOTLEAK_v4l1d7Qm2xZ9pLk3Rt8WnB";
/// A token the fake API answers with 401.
const REJECTED_SECRET: &str = "cfut_SECRETSHOULDNOTLEAK_r3j3ctHy6Jd1Vb5Nc0Gs4E";

// ---------------------------------------------------------------------------
// Mutual TLS

/// What became of a client's attempt to call GetProviderSchema.
#[derive(Debug)]
enum Outcome {
    Accepted,
    Refused(String),
}

/// Connects with `tls` (plaintext h2c when `None`) and calls GetProviderSchema.
/// Hanging instead of answering or refusing fails the test.
async fn attempt(addr: &PluginAddr, tls: Option<Arc<rustls::ClientConfig>>) -> Outcome {
    let addr = addr.clone();
    let call = async move {
        let channel = match connect(addr, tls).await {
            Ok(channel) => channel,
            Err(e) => return Outcome::Refused(format!("connect: {e}")),
        };
        match ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
        {
            Ok(_) => Outcome::Accepted,
            Err(status) => Outcome::Refused(format!("rpc: {status}")),
        }
    };
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("the provider must accept or refuse a client within 30 s, not hang")
}

fn assert_refused(outcome: Outcome, who: &str) {
    match outcome {
        Outcome::Refused(how) => eprintln!("{who}: refused ({how})"),
        Outcome::Accepted => panic!("{who} was let in"),
    }
}

/// Presents a fixed certificate and key whatever the server asks, without
/// rustls checking that they belong together: how a client that copied
/// Terraform's certificate, but not its private key, would try to get in.
#[derive(Debug)]
struct FixedClientCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for FixedClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A TLS client presenting `cert_der` but signing with `key_der`.
fn mismatched_client_tls(
    cert_der: &[u8],
    key_der: &[u8],
    server_cert: &[u8],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            key_der.to_vec(),
        )))
        .expect("load key");
    let certified =
        rustls::sign::CertifiedKey::new(vec![CertificateDer::from(cert_der.to_vec())], key);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(server_cert.to_vec()))
        .expect("trust server cert");
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(FixedClientCert(Arc::new(certified))));
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_test_client_certificate_is_terraforms_kind() {
    // What go-plugin generates: ECDSA P-521 signed with SHA-512, CA:TRUE, SAN DNS:localhost.
    let identity = ClientIdentity::generate();
    let der = &identity.der;
    let p521 = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    let ecdsa_sha512 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    let basic_constraints = [0x06, 0x03, 0x55, 0x1d, 0x13];
    let ca_true = [0x30, 0x03, 0x01, 0x01, 0xff];
    let san_localhost = b"\x82\x09localhost";
    assert!(contains(der, &p521), "not a P-521 key");
    assert!(
        contains(der, &ecdsa_sha512),
        "not signed with ecdsa-with-SHA512"
    );
    assert!(
        contains(der, &basic_constraints) && contains(der, &ca_true),
        "not CA:TRUE"
    );
    assert!(contains(der, san_localhost), "no SAN DNS:localhost");
}

#[tokio::test]
async fn terraforms_certificate_is_accepted_with_tls13_and_alpn_h2() {
    let provider = ProviderProcess::launch(&[]);
    let identity = provider.identity.as_ref().expect("identity");
    let server_cert = provider.handshake.server_cert.clone().expect("server cert");
    let stream = UnixStream::connect(&provider.handshake.socket)
        .await
        .expect("connect");
    let name = ServerName::try_from("localhost").expect("server name");
    let tls = tokio_rustls::TlsConnector::from(client_tls(Some(identity), &server_cert))
        .connect(name, stream)
        .await
        .expect("TLS handshake (server certificate valid for localhost)");
    let (_, session) = tls.get_ref();
    assert_eq!(
        session.alpn_protocol(),
        Some(&b"h2"[..]),
        "ALPN h2 must be selected"
    );
    assert_eq!(
        session.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let peer = session.peer_certificates().expect("server certificate");
    assert_eq!(peer.len(), 1);
    assert_eq!(
        peer[0].as_ref(),
        server_cert.as_slice(),
        "the certificate announced in the handshake line"
    );
    drop(tls);
    match attempt(
        &provider.handshake.addr,
        Some(client_tls(Some(identity), &server_cert)),
    )
    .await
    {
        Outcome::Accepted => {}
        Outcome::Refused(how) => panic!("Terraform's certificate was refused: {how}"),
    }
}

#[tokio::test]
async fn every_other_client_is_refused_and_the_provider_keeps_serving() {
    refuses_every_other_client(&[]).await;
}

#[tokio::test]
async fn over_tcp_every_other_client_is_refused_too() {
    refuses_every_other_client(&[("PLUGIN_TRANSPORT", "tcp")]).await;
}

/// Launches the provider with `env` (which picks the transport), tries every
/// kind of client that must be refused, then Terraform's, and checks the
/// provider's log gives each refusal's reason.
async fn refuses_every_other_client(env: &[(&str, &str)]) {
    let mut env = env.to_vec();
    env.push(("TF_LOG", "warn"));
    let mut provider = ProviderProcess::launch(&env);
    let socket = provider.handshake.addr.clone();
    let identity = provider.identity.as_ref().expect("identity");
    let server_cert = provider.handshake.server_cert.clone().expect("server cert");

    // A connection that never says anything must not hold up anyone else.
    let mut idle = open(&socket).await.expect("idle connection");

    assert_refused(
        attempt(&socket, Some(client_tls(None, &server_cert))).await,
        "a TLS client without a certificate",
    );
    let stranger = ClientIdentity::generate();
    assert_refused(
        attempt(&socket, Some(client_tls(Some(&stranger), &server_cert))).await,
        "a TLS client with another self-signed P-521 CA certificate",
    );
    assert_refused(
        attempt(
            &socket,
            Some(mismatched_client_tls(
                &identity.der,
                &stranger.key,
                &server_cert,
            )),
        )
        .await,
        "a TLS client presenting Terraform's certificate without its private key",
    );
    assert_refused(attempt(&socket, None).await, "a plaintext h2c client");

    // Raw bytes that are not TLS: the connection is closed, not kept open.
    let mut raw = open(&socket).await.expect("raw connection");
    raw.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(15), raw.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "a non-TLS connection must be closed promptly"
    );
    assert!(
        !String::from_utf8_lossy(&sink).contains("HTTP/"),
        "nothing but a TLS alert may come back"
    );

    match attempt(&socket, Some(client_tls(Some(identity), &server_cert))).await {
        Outcome::Accepted => {}
        Outcome::Refused(how) => panic!("the real client was refused afterwards: {how}"),
    }
    // The idle connection is still just idle; closing it is harmless.
    idle.shutdown().await.ok();

    // The refusals were the server's doing: it logged each failed TLS handshake.
    Command::new("kill")
        .args(["-TERM", &provider.pid().to_string()])
        .status()
        .expect("kill -TERM");
    provider.wait();
    let log = provider.stderr();
    let refusals: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("refused a connection"))
        .collect();
    for line in &refusals {
        eprintln!("provider: {line}");
    }
    // rustls's reasons: no certificate; a certificate other than the pinned one;
    // the pinned certificate with a signature its key did not make; not TLS at all.
    for reason in [
        "peer sent no certificates",
        "invalid peer certificate: ApplicationVerificationFailure",
        "invalid peer certificate: BadSignature",
        "InvalidContentType",
    ] {
        assert!(
            refusals.iter().any(|line| line.contains(reason)),
            "no refusal logged with {reason:?}:\n{log}"
        );
    }
}

/// The `Umask:` of this process, from /proc (Linux).
fn process_umask() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Umask:"))?;
    u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
}

/// A command that runs `program args…` as the user `nobody` (uid 65534),
/// when a tool for it exists (switching users also needs root).
fn as_nobody(program: &str, args: &[&str]) -> Option<Command> {
    if let Some(setpriv) = on_path("setpriv") {
        let mut command = Command::new(setpriv);
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(program)
            .args(args);
        return Some(command);
    }
    if let Some(runuser) = on_path("runuser") {
        let mut command = Command::new(runuser);
        command.args(["-u", "nobody", "--"]).arg(program).args(args);
        return Some(command);
    }
    None
}

/// Python that connects to the Unix socket given as its argument and prints `connected`.
const CONNECT_PY: &str =
    "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\nprint('connected')";

#[tokio::test]
async fn the_socket_and_its_directory_are_shut_to_other_users() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    let provider = ProviderProcess::launch(&[]);
    let socket = provider.handshake.socket.clone();
    let dir = socket.parent().expect("socket directory").to_path_buf();

    let probe = tempfile::NamedTempFile::new().expect("temp file");
    let me = std::fs::metadata(probe.path()).expect("stat").uid();
    let dir_meta = std::fs::metadata(&dir).expect("stat socket directory");
    assert!(dir_meta.is_dir());
    assert_eq!(
        dir_meta.uid(),
        me,
        "the socket directory belongs to the user"
    );
    assert_eq!(
        dir_meta.permissions().mode() & 0o777,
        0o700,
        "the socket directory must be 0700"
    );
    let socket_meta = std::fs::symlink_metadata(&socket).expect("stat socket");
    assert!(socket_meta.file_type().is_socket());
    assert_eq!(socket_meta.uid(), me, "the socket belongs to the user");
    let umask = process_umask().unwrap_or(0o022);
    let mode = socket_meta.permissions().mode() & 0o777;
    assert_eq!(
        mode & 0o022 & umask,
        0,
        "the socket (mode {mode:o}) must not be writable by others beyond what the umask {umask:o} allows"
    );

    // An actual attempt as another user: listing the directory and connecting must fail.
    // A Python that every user may run (a per-user shim, such as pyenv's, would not do).
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let command = as_nobody("/bin/true", &[]);
    let root = me == 0;
    let (Some(python), true, Some(_)) = (python, root, command) else {
        assert!(
            !under_ci(),
            "CI=true: the attempt as user nobody needs root, setpriv or runuser, and python3"
        );
        eprintln!("note: skipping the attempt as user nobody (needs root, setpriv or runuser, and python3)");
        return;
    };
    let python = python.display().to_string();

    // Control: nobody can reach a socket that is open to everyone, so a refusal below
    // is the socket directory's doing, not the tool's.
    let open_dir = tempfile::tempdir_in("/tmp").expect("temp dir");
    std::fs::set_permissions(open_dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod open dir");
    let open_socket = open_dir.path().join("open.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&open_socket).expect("bind open socket");
    std::fs::set_permissions(&open_socket, std::fs::Permissions::from_mode(0o777))
        .expect("chmod open socket");
    let control = as_nobody(
        &python,
        &["-c", CONNECT_PY, &open_socket.display().to_string()],
    )
    .expect("command")
    .output()
    .expect("run control as nobody");
    assert!(
        control.status.success() && String::from_utf8_lossy(&control.stdout).contains("connected"),
        "control: nobody could not reach a world-open socket: {}",
        String::from_utf8_lossy(&control.stderr)
    );

    let connect = as_nobody(&python, &["-c", CONNECT_PY, &socket.display().to_string()])
        .expect("command")
        .output()
        .expect("run as nobody");
    let stderr = String::from_utf8_lossy(&connect.stderr);
    assert!(
        !connect.status.success(),
        "user nobody connected to the provider's socket"
    );
    assert!(
        stderr.contains("Permission denied"),
        "connecting as nobody must fail for lack of permission: {stderr}"
    );
    let list = as_nobody("/bin/ls", &[&dir.display().to_string()])
        .expect("command")
        .output()
        .expect("ls as nobody");
    assert!(
        !list.status.success(),
        "user nobody listed the socket directory"
    );
    // The provider is untouched by all this.
    let mut client = ProviderClient::new(provider.channel().await);
    provider_schema(&mut client, "after the refused clients").await;
}

// ---------------------------------------------------------------------------
// Secrets

/// Every stretch of 12 characters of `secret`: text that must appear nowhere,
/// so neither the whole credential nor a long prefix or fragment leaks.
fn fragments(secret: &str) -> Vec<&str> {
    (0..=secret.len().saturating_sub(12))
        .map(|i| &secret[i..i + 12])
        .collect()
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in [ACCEPTED_SECRET, REJECTED_SECRET] {
        for fragment in fragments(secret) {
            if let Some(at) = text.find(fragment) {
                let start = text[..at]
                    .char_indices()
                    .rev()
                    .nth(80)
                    .map_or(0, |(i, _)| i);
                let end = (at + 120).min(text.len());
                let context = String::from_utf8_lossy(&text.as_bytes()[start..end]).into_owned();
                panic!("{what}: credential fragment {fragment:?} found: …{context}…");
            }
        }
    }
}

#[test]
fn the_leak_check_catches_the_whole_secret_a_prefix_and_a_fragment() {
    let caught =
        |text: String| std::panic::catch_unwind(|| assert_no_secret(&text, "probe")).is_err();
    assert!(caught(format!("token={ACCEPTED_SECRET}")));
    assert!(caught(format!("token={}…", &REJECTED_SECRET[..12])));
    assert!(caught(format!("x{}x", &ACCEPTED_SECRET[20..32])));
    assert!(!caught(
        "token=REDACTED cfut_ nothing SECRET to see".to_string()
    ));
}

struct TestEnv(BTreeMap<&'static str, String>);

impl Env for TestEnv {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

fn env(pairs: &[(&'static str, &str)]) -> TestEnv {
    TestEnv(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

fn provider_value(pairs: &[(&str, Value)]) -> Value {
    object(&provider_type(), pairs)
}

#[test]
fn debug_output_of_credentials_settings_and_client_never_shows_the_secret() {
    let secret = Secret::new(ACCEPTED_SECRET);
    assert_no_secret(
        &format!("{secret:?} {secret} {:?}", Some(&secret)),
        "Secret",
    );

    let cases = [
        (
            "api_token in configuration",
            provider_value(&[("api_token", Value::from(ACCEPTED_SECRET))]),
            env(&[]),
        ),
        (
            "CLOUDFLARE_API_TOKEN",
            provider_value(&[]),
            env(&[("CLOUDFLARE_API_TOKEN", ACCEPTED_SECRET)]),
        ),
        (
            "api_key and email",
            provider_value(&[
                ("api_key", Value::from(ACCEPTED_SECRET)),
                ("email", Value::from("user@example.com")),
            ]),
            env(&[]),
        ),
        (
            "CLOUDFLARE_API_USER_SERVICE_KEY",
            provider_value(&[]),
            env(&[("CLOUDFLARE_API_USER_SERVICE_KEY", ACCEPTED_SECRET)]),
        ),
    ];
    for (label, config, env) in cases {
        let settings = config::resolve(&config, &env, "0.0.0", "1.15.5")
            .unwrap_or_else(|d| panic!("{label}: resolve failed: {d:?}"));
        assert!(
            !matches!(settings.credentials, Credentials::Missing),
            "{label}: the credential was not picked up"
        );
        assert_no_secret(&format!("{settings:?}"), label);
        assert_no_secret(&format!("{settings:#?}"), label);
        assert_no_secret(&format!("{:?}", settings.credentials), label);
        let client = ApiClient::new(settings).unwrap_or_else(|d| panic!("{label}: {d:?}"));
        assert_no_secret(&format!("{client:?}"), label);
    }

    // Diagnostics about credentials describe them without quoting them.
    let conflicting = provider_value(&[
        ("api_token", Value::from(ACCEPTED_SECRET)),
        ("api_key", Value::from(REJECTED_SECRET)),
    ]);
    let diags = config::resolve(&conflicting, &env(&[]), "0.0.0", "1.15.5")
        .expect_err("two credentials conflict");
    assert_no_secret(&format!("{diags:?}"), "conflict diagnostics");
    let both_in_env = env(&[
        ("CLOUDFLARE_API_TOKEN", ACCEPTED_SECRET),
        ("CLOUDFLARE_API_KEY", REJECTED_SECRET),
    ]);
    let diags = config::resolve(&provider_value(&[]), &both_in_env, "0.0.0", "1.15.5")
        .expect_err("two credentials conflict");
    assert_no_secret(&format!("{diags:?}"), "environment conflict diagnostics");

    // Validation of a malformed credential (a pasted newline) through the service.
    let service =
        ProviderService::new(CloudflareProvider).expect("the provider's type names are valid");
    let ty = provider_type();
    for bad in [
        format!("{ACCEPTED_SECRET}\n"),
        format!(" {ACCEPTED_SECRET}"),
        format!("{ACCEPTED_SECRET} {REJECTED_SECRET}"),
    ] {
        let value = object(&ty, &[("api_token", Value::from(bad.as_str()))]);
        let config = dynamic(&value, &ty);
        let diags = service.validate_provider_config(DynamicInput {
            msgpack: &config.msgpack,
            json: &[],
        });
        assert!(
            !diags.is_empty(),
            "a credential with whitespace is reported"
        );
        assert_no_secret(&format!("{diags:?}"), "credential validation diagnostics");
    }
}

const SECRETS_TF: &str = r#"
terraform {
  required_providers {
    cloudflare = {
      source = "cloudflare/cloudflare"
    }
  }
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = null
}

provider "cloudflare" {
  api_token = var.api_token
}

data "cloudflare_sso_connector" "this" {
  account_id       = "ACCOUNT"
  sso_connector_id = "CONNECTOR"
}

output "email_domain" {
  value = data.cloudflare_sso_connector.this.email_domain
}
"#;

#[test]
fn terraform_trace_logs_never_contain_the_token() {
    let main_tf = SECRETS_TF
        .replace("ACCOUNT", ACCOUNT)
        .replace("CONNECTOR", CONNECTOR);
    for tf in Terraform::all() {
        let api = FakeApi::start_with(&["--token", ACCEPTED_SECRET]);
        for (token, accepted) in [(ACCEPTED_SECRET, true), (REJECTED_SECRET, false)] {
            for through in ["CLOUDFLARE_API_TOKEN", "TF_VAR_api_token"] {
                let label = format!(
                    "{} with {} token in {through}",
                    tf.label,
                    if accepted {
                        "a valid"
                    } else {
                        "a rejected (401)"
                    }
                );
                let mut ws = Workspace::new(&main_tf);
                let log_path = ws.path("terraform-trace.log");
                ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
                ws.set_env(through, token);
                ws.set_env("TF_LOG", "trace");
                ws.set_env("TF_LOG_PATH", &log_path.display().to_string());
                let plan = ws.run(&tf, &["plan", "-input=false", "-no-color"]);
                let (out, err) = text(&plan);
                let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH file");
                eprintln!("{label}: {} log lines checked", log.lines().count());
                if accepted {
                    assert!(plan.status.success(), "{label}: plan failed\n{out}\n{err}");
                    assert!(out.contains("example.com"), "{label}: {out}");
                } else {
                    assert!(!plan.status.success(), "{label}: plan should fail\n{out}");
                    assert!(
                        err.contains("Cloudflare denied access"),
                        "{label}: the read should fail as unauthorised: {err}"
                    );
                }
                // The log really holds the provider's trace output and its API call.
                assert!(
                    log.contains("provider.terraform-provider-cloudflare"),
                    "{label}: no provider lines in the trace log"
                );
                assert!(
                    log.contains("sso_connectors"),
                    "{label}: the API call is not in the trace log"
                );
                assert_no_secret(&log, &format!("{label}: TF_LOG_PATH log"));
                assert_no_secret(&out, &format!("{label}: stdout"));
                assert_no_secret(&err, &format!("{label}: stderr"));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// No crash on any input

/// Deterministic pseudo-random bytes.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Hostile data source configurations, each with a label.
fn hostile_configs() -> Vec<(String, Option<pb::DynamicValue>)> {
    let ty = connector_type();
    let valid = connector_config(Value::from(ACCOUNT), Value::from(CONNECTOR)).msgpack;
    let ten_mb = "a".repeat(10 << 20);
    let mut cases: Vec<(String, Option<pb::DynamicValue>)> = vec![
        ("missing DynamicValue".into(), None),
        (
            "empty DynamicValue".into(),
            Some(pb::DynamicValue::default()),
        ),
        ("msgpack null".into(), raw(vec![0xc0])),
        ("msgpack unknown".into(), raw(vec![0xd4, 0x00, 0x00])),
        ("the never-used marker 0xc1".into(), raw(vec![0xc1])),
        (
            "truncated msgpack".into(),
            raw(valid[..valid.len() / 2].to_vec()),
        ),
        (
            "trailing bytes".into(),
            raw([valid.as_slice(), &[0xc0]].concat()),
        ),
        (
            "a number where a string is expected".into(),
            raw(loose_object(&[
                ("account_id", Value::from(5)),
                ("sso_connector_id", Value::from(CONNECTOR)),
            ])),
        ),
        (
            "a list where a string is expected".into(),
            raw(loose_object(&[
                ("account_id", Value::List(vec![Value::from("x")])),
                ("sso_connector_id", Value::from(true)),
            ])),
        ),
        (
            "an attribute the schema lacks".into(),
            raw(loose_object(&[("nope", Value::from("x"))])),
        ),
        (
            "a string where the verification object is expected".into(),
            raw(loose_object(&[
                ("account_id", Value::from(ACCOUNT)),
                ("sso_connector_id", Value::from(CONNECTOR)),
                ("verification", Value::from("verified")),
            ])),
        ),
        (
            "unknown ids in a read".into(),
            Some(dynamic(
                &object(
                    &ty,
                    &[
                        ("account_id", Value::unknown()),
                        (
                            "sso_connector_id",
                            Value::Unknown(Refinements {
                                not_null: Some(true),
                                ..Refinements::default()
                            }),
                        ),
                    ],
                ),
                &ty,
            )),
        ),
        (
            "a 10 MB account_id".into(),
            Some(connector_config(
                Value::from(ten_mb.as_str()),
                Value::from(CONNECTOR),
            )),
        ),
        (
            "a value over the size limit (65 MiB)".into(),
            Some(connector_config(
                Value::from("b".repeat(65 << 20)),
                Value::from(CONNECTOR),
            )),
        ),
        (
            "arrays nested 100,000 deep".into(),
            raw([vec![0x91; 100_000], vec![0xc0]].concat()),
        ),
        (
            "the verification object nested 50,000 deep".into(),
            // {"verification": {"v": {"v": … nil}}}: deeper than any encoder writes.
            raw([
                &[0x81, 0xac][..],
                b"verification",
                &[0x81, 0xa1, b'v'].repeat(50_000),
                &[0xc0],
            ]
            .concat()),
        ),
        (
            "a declared 4-billion-element array".into(),
            raw(vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]),
        ),
        ("JSON that does not parse".into(), json("{\"account_id\": ")),
        ("JSON of the wrong shape".into(), json("[1, 2, 3]")),
        (
            "JSON with an object where a string is expected".into(),
            json(r#"{"account_id": {"a": 1}, "sso_connector_id": "x"}"#),
        ),
        (
            "JSON numbers and bools for ids".into(),
            json(r#"{"account_id": 5, "sso_connector_id": true}"#),
        ),
        (
            "JSON with an unknown attribute".into(),
            json(r#"{"nope": 1}"#),
        ),
        (
            "JSON nested 1,000,000 deep".into(),
            json("[".repeat(1_000_000)),
        ),
        (
            "JSON with a 10 MB id".into(),
            json(format!(
                r#"{{"account_id": "{ten_mb}", "sso_connector_id": "{CONNECTOR}"}}"#
            )),
        ),
        (
            "JSON that is not UTF-8".into(),
            json(b"{\"account_id\": \"\xff\xfe\"}".to_vec()),
        ),
    ];
    for seed in 1..=24u64 {
        let len = usize::try_from(seed * 7 % 97).unwrap_or(1) + 1;
        cases.push((format!("random bytes #{seed}"), raw(noise(seed, len))));
    }
    cases
}

fn assert_error_diagnostics(label: &str, diagnostics: &[pb::Diagnostic]) {
    assert!(
        diagnostics
            .iter()
            .any(|d| d.severity == pb::diagnostic::Severity::Error as i32),
        "{label}: expected an error diagnostic, got {diagnostics:?}"
    );
    for diag in diagnostics {
        assert!(
            !diag.summary.contains("Provider bug"),
            "{label}: a handler panicked: {}: {}",
            diag.summary,
            diag.detail
        );
        assert!(
            diag.summary.len() + diag.detail.len() < 4096,
            "{label}: a diagnostic echoes the input ({} bytes)",
            diag.summary.len() + diag.detail.len()
        );
    }
}

async fn read(
    client: &mut ProviderClient<Channel>,
    type_name: &str,
    config: Option<pb::DynamicValue>,
) -> pb::read_data_source::Response {
    client
        .read_data_source(pb::read_data_source::Request {
            type_name: type_name.to_string(),
            config,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| {
            panic!("ReadDataSource must answer with diagnostics, got {status}")
        })
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_diagnostics_and_the_provider_keeps_serving() {
    let api = FakeApi::start();
    let mut provider = ProviderProcess::launch(&[("TF_LOG", "error")]);
    let channel = provider.channel().await;
    let mut client = ProviderClient::new(channel)
        .max_decoding_message_size(256 << 20)
        .max_encoding_message_size(256 << 20);

    // Hostile provider configurations: validation and configuration both answer with errors.
    let provider_ty = provider_type();
    let provider_cases: Vec<(&str, Option<pb::DynamicValue>)> = vec![
        ("missing", None),
        ("garbage", raw(vec![0x93, 0xff, 0x00])),
        (
            "a number as api_token",
            raw(loose_object(&[("api_token", Value::from(42))])),
        ),
        (
            "a 10 MB base_url",
            Some(dynamic(
                &object(
                    &provider_ty,
                    &[
                        ("api_token", Value::from(TOKEN)),
                        ("base_url", Value::from("h".repeat(10 << 20))),
                    ],
                ),
                &provider_ty,
            )),
        ),
        ("JSON of the wrong shape", json("[true]")),
    ];
    for (label, config) in provider_cases {
        let validated = client
            .validate_provider_config(pb::validate_provider_config::Request {
                config: config.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("{label}: ValidateProviderConfig status {s}"))
            .into_inner();
        let configured = client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.15.5".to_string(),
                config,
                client_capabilities: None,
            })
            .await
            .unwrap_or_else(|s| panic!("{label}: ConfigureProvider status {s}"))
            .into_inner();
        // A missing configuration is a null one: well-defined, with any
        // credential problem reported when a read needs the credential.
        if label != "missing" {
            assert_error_diagnostics(label, &validated.diagnostics);
            assert_error_diagnostics(label, &configured.diagnostics);
        }
    }

    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".to_string(),
            config: Some(provider_config(&[
                ("api_token", Value::from(TOKEN)),
                ("base_url", Value::from(api.url.as_str())),
            ])),
            client_capabilities: None,
        })
        .await
        .expect("ConfigureProvider")
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );

    for (label, config) in hostile_configs() {
        let validated = client
            .validate_data_resource_config(pb::validate_data_resource_config::Request {
                type_name: DATA_SOURCE.to_string(),
                config: config.clone(),
            })
            .await
            .unwrap_or_else(|s| panic!("{label}: ValidateDataResourceConfig status {s}"))
            .into_inner();
        let response = read(&mut client, DATA_SOURCE, config).await;
        assert!(response.state.is_none(), "{label}: no state on failure");
        assert_error_diagnostics(&label, &response.diagnostics);
        // Validation treats null and unknown as "not known yet"; everything else is an error.
        if !matches!(
            label.as_str(),
            "missing DynamicValue"
                | "empty DynamicValue"
                | "msgpack null"
                | "msgpack unknown"
                | "unknown ids in a read"
        ) {
            assert_error_diagnostics(&label, &validated.diagnostics);
        }
    }

    // Unknown data source type names.
    let valid_config = read_request(ACCOUNT, CONNECTOR).config;
    for name in [
        "cloudflare_nope",
        "",
        "cloudflare_sso_connector\0",
        &"x".repeat(200),
    ] {
        let label = format!("type name {:?}", name.chars().take(30).collect::<String>());
        let response = read(&mut client, name, valid_config.clone()).await;
        assert_error_diagnostics(&label, &response.diagnostics);
        let validated = client
            .validate_data_resource_config(pb::validate_data_resource_config::Request {
                type_name: name.to_string(),
                config: valid_config.clone(),
            })
            .await
            .expect("ValidateDataResourceConfig answers")
            .into_inner();
        assert_error_diagnostics(&label, &validated.diagnostics);
    }

    // Still serving: the schema, and a real read with the right state.
    let schema = provider_schema(&mut client, "after the hostile requests").await;
    assert!(schema.diagnostics.is_empty());
    assert!(schema.data_source_schemas.contains_key(DATA_SOURCE));
    let good = client
        .read_data_source(read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource")
        .into_inner();
    let state = read_connector(good, "a read after the hostile requests");
    assert_eq!(state.attribute("id"), Some(&Value::from(CONNECTOR)));
    assert!(provider.try_wait().is_none(), "the provider exited");

    // No handler panicked along the way: a recovered panic is logged at error level.
    let pid = provider.pid().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    let status = provider.wait();
    let stderr = provider.stderr();
    assert!(
        !stderr.contains("panic"),
        "the provider logged a panic:\n{}",
        stderr.chars().take(4000).collect::<String>()
    );
    assert!(
        status.success() || status.code().is_none(),
        "exit: {status:?}"
    );
}

// ---------------------------------------------------------------------------
// Hostile arguments and launch environments

/// `bytes` as an OS string, however invalid as UTF-8.
fn os(bytes: &[u8]) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes.to_vec())
}

/// The provider's environment as Terraform gives it (no TLS unless added),
/// with `extra` on top.
fn launch_env(extra: &[(&str, std::ffi::OsString)]) -> Command {
    let mut command = Command::new(support::terraform::provider_binary());
    command
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", support::plugin_client::COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(std::process::Stdio::null());
    for (key, value) in extra {
        command.env(key, value);
    }
    command
}

#[test]
fn a_non_utf8_argument_is_a_usage_error_never_a_panic() {
    for args in [
        vec![os(b"\xff")],
        vec![os(b"--debug"), os(b"--address"), os(b"example.com/a/\xfe")],
        vec![os(b"--vers\xc3\x28ion")],
    ] {
        let output = Command::new(support::terraform::provider_binary())
            .args(&args)
            .output()
            .expect("run the provider");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is not valid UTF-8 text"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_gen-docs"))
        .arg(os(b"--ch\xffeck"))
        .output()
        .expect("run gen-docs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not valid UTF-8 text"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_plugin_variable_that_is_not_utf8_stops_the_launch_naming_it() {
    let identity = ClientIdentity::generate();
    let mut bad_cert = identity.pem.clone().into_bytes();
    bad_cert.extend_from_slice(b"\xff");
    let cases: Vec<(&str, Vec<(&str, std::ffi::OsString)>)> = vec![
        (
            "PLUGIN_CLIENT_CERT",
            vec![("PLUGIN_CLIENT_CERT", os(&bad_cert))],
        ),
        (
            "PLUGIN_PROTOCOL_VERSIONS",
            vec![("PLUGIN_PROTOCOL_VERSIONS", os(b"5,\xff6"))],
        ),
        (
            "PLUGIN_TRANSPORT",
            vec![("PLUGIN_TRANSPORT", os(b"tcp\xff"))],
        ),
        (
            "PLUGIN_MIN_PORT",
            vec![
                ("PLUGIN_TRANSPORT", os(b"tcp")),
                ("PLUGIN_MIN_PORT", os(b"1\xff")),
            ],
        ),
        (
            "PLUGIN_MAX_PORT",
            vec![
                ("PLUGIN_TRANSPORT", os(b"tcp")),
                ("PLUGIN_MAX_PORT", os(b"\xff")),
            ],
        ),
        ("TF_LOG", vec![("TF_LOG", os(b"trace\xff"))]),
        (
            "TF_LOG_PROVIDER",
            vec![("TF_LOG_PROVIDER", os(b"\xffdebug"))],
        ),
        (
            "TF_LOG_PROVIDER_CLOUDFLARE",
            vec![("TF_LOG_PROVIDER_CLOUDFLARE", os(b"\xc3"))],
        ),
        (
            "TF_PLUGIN_MAGIC_COOKIE",
            vec![("TF_PLUGIN_MAGIC_COOKIE", os(b"\xff"))],
        ),
    ];
    let blank = vec![("PLUGIN_CLIENT_CERT", os(b" \n"))];
    let output = launch_env(&blank).output().expect("launch the provider");
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a blank certificate: {stderr}"
    );
    assert!(
        stderr.contains("PLUGIN_CLIENT_CERT holds no certificate"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("|grpc|"),
        "never served in plaintext: {stdout}"
    );
    for (name, env) in cases {
        let output = launch_env(&env).output().expect("launch the provider");
        let (stdout, stderr) = text(&output);
        eprintln!(
            "{name}: exit {:?}, stderr: {}",
            output.status.code(),
            stderr.trim()
        );
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        let wanted = format!("the environment variable {name} is set, but");
        assert!(stderr.contains(&wanted), "{name}: {stderr}");
        assert!(stderr.contains("not valid UTF-8"), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("unset {name}")),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{name}: stdout carries the handshake or nothing: {stdout:?}"
        );
    }
}

#[test]
fn socket_directory_errors_name_the_path_and_the_variable() {
    let missing = tempfile::tempdir().expect("temp dir").path().join("gone");
    for (name, env) in [
        ("TMPDIR", vec![("TMPDIR", missing.clone().into_os_string())]),
        (
            "PLUGIN_UNIX_SOCKET_DIR",
            vec![
                ("TMPDIR", std::env::temp_dir().into_os_string()),
                ("PLUGIN_UNIX_SOCKET_DIR", missing.clone().into_os_string()),
            ],
        ),
    ] {
        let output = launch_env(&env).output().expect("launch the provider");
        let (_, stderr) = text(&output);
        eprintln!("{name}: {}", stderr.trim());
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("in {} (from {name})", missing.display())),
            "{stderr}"
        );
        assert!(stderr.contains(&format!("set {name} to")), "{stderr}");
    }
}

#[tokio::test]
async fn a_socket_directory_that_is_not_utf8_is_served_with_tls() {
    use std::io::BufRead;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let parent = tempfile::tempdir().expect("temp dir");
    let mut dir = parent.path().as_os_str().as_bytes().to_vec();
    dir.extend_from_slice(b"/caf\xe9");
    let dir = PathBuf::from(std::ffi::OsString::from_vec(dir));
    std::fs::create_dir(&dir).expect("a directory whose name is not UTF-8");
    let identity = ClientIdentity::generate();
    let mut child = launch_env(&[
        ("TMPDIR", dir.clone().into_os_string()),
        ("PLUGIN_CLIENT_CERT", identity.pem.clone().into()),
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("launch the provider");
    let mut line = Vec::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_until(b'\n', &mut line)
        .expect("handshake");
    let fields: Vec<&[u8]> = line.trim_ascii_end().split(|b| *b == b'|').collect();
    assert_eq!(fields.len(), 6, "{:?}", String::from_utf8_lossy(&line));
    let socket = PathBuf::from(std::ffi::OsString::from_vec(fields[3].to_vec()));
    assert!(socket.starts_with(&dir), "{}", socket.display());
    use base64::Engine;
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("server certificate");
    let channel = connect(
        PluginAddr::Unix(socket.clone()),
        Some(client_tls(Some(&identity), &server_cert)),
    )
    .await
    .expect("connect over the non-UTF-8 path");
    let schema = ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    assert!(schema.data_source_schemas.contains_key(DATA_SOURCE));
    // SAFETY: kill(2) on the child we spawned.
    unsafe {
        libc::kill(i32::try_from(child.id()).expect("pid"), libc::SIGTERM);
    }
    assert!(child.wait().expect("wait").success());
    assert!(!socket.exists(), "the socket is removed on exit");
}

#[test]
fn through_terraform_an_unreadable_variable_stops_the_provider_and_reaches_terraforms_log() {
    use std::os::unix::ffi::OsStrExt;
    for tf in Terraform::all() {
        let ws = Workspace::new(&support::terraform::one_connector_config(""));
        let output = ws
            .command(&tf, &["validate", "-no-color"])
            .env("TF_LOG", "debug")
            .env(
                "TF_LOG_PROVIDER_CLOUDFLARE",
                std::ffi::OsStr::from_bytes(b"debug\xff"),
            )
            .output()
            .expect("run terraform");
        let (stdout, stderr) = text(&output);
        let shown = support::terraform::one_line(&format!("{stdout}{stderr}"));
        assert!(!output.status.success(), "{}: {shown}", tf.label);
        let said = "the environment variable TF_LOG_PROVIDER_CLOUDFLARE is set, but its value (6 bytes) is not valid UTF-8 text";
        assert!(shown.contains(said), "{}: {shown}", tf.label);
        eprintln!(
            "{}: {}",
            tf.label,
            &shown[shown.find(said).unwrap_or(0)..]
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
}

/// A `success: false` answer whose errors carry `messages`.
fn error_envelope(messages: &[String]) -> String {
    let errors: Vec<serde_json::Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| serde_json::json!({"code": 1000 + i, "message": m}))
        .collect();
    serde_json::json!({"success": false, "errors": errors, "messages": [], "result": null})
        .to_string()
}

/// Through real Terraform: server text with ANSI escapes and a bidi override,
/// a 2 MB message and 500 errors each fail the plan with short output and no
/// raw control character, whichever layer cleaned it (the plugin layer's
/// wire guard is the last one).
#[test]
fn through_terraform_server_text_reaches_the_user_escaped_and_bounded() {
    let fake_success =
        "\u{1b}[2J\u{1b}[H\u{1b}[32mApply complete! Resources: 0 added.\u{1b}[0m\u{202e}";
    let cases = [
        ("ANSI escapes", vec![fake_success.to_string()]),
        ("a 2 MB message", vec!["x".repeat(2_000_000)]),
        (
            "500 errors",
            (0..500).map(|i| format!("error number {i}")).collect(),
        ),
    ];
    for tf in Terraform::all() {
        for (what, messages) in &cases {
            let label = format!("{}, {what}", tf.label);
            let api = FakeApi::start();
            let rule = serde_json::json!([{"status": 400, "json": serde_json::from_str::<serde_json::Value>(&error_envelope(messages)).expect("JSON")}]);
            api.add_faults(&rule.to_string());
            let mut ws = Workspace::new(&support::terraform::one_connector_config(""));
            ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
            ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
            let output = ws.run(&tf, &["plan", "-input=false", "-no-color"]);
            assert!(!output.status.success(), "{label}");
            let shown = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
            assert!(
                !shown.contains(&0x1b),
                "{label}: a raw ESC reached the terminal: {}",
                String::from_utf8_lossy(&shown)
            );
            assert!(
                !String::from_utf8_lossy(&shown).contains('\u{202e}'),
                "{label}: a bidi override reached the terminal"
            );
            assert!(
                shown.len() < 200_000,
                "{label}: {} bytes of output",
                shown.len()
            );
            eprintln!(
                "{label}: plan failed with {} bytes of output, no control characters",
                shown.len()
            );
        }
    }
}
