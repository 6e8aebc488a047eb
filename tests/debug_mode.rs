//! Debug mode: `terraform-provider-cloudflare --debug` runs without
//! Terraform, prints the TF_REATTACH_PROVIDERS value, serves plaintext until
//! Ctrl-C or SIGTERM, and real Terraform attaches to it, under the default
//! address or the one given with `--address`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, TOKEN};
use crate::support::mirror::{OFFICIAL_ADDRESS, RECOMMENDED_ADDRESS};
use crate::support::plugin_client::{connect, provider_schema};
use crate::support::terraform::{one_line, provider_binary, text, Terraform, Workspace};
use tfcf::plugin::wire::plugin::grpc_controller_client::GrpcControllerClient;
use tfcf::plugin::wire::plugin::Empty;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;

const BASIC: &str = include_str!("../examples/basic/main.tf");

/// A provider started with `--debug`; killed on drop.
struct DebugProvider {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// Everything printed before and including the assignment line.
    banner: String,
    /// The TF_REATTACH_PROVIDERS value.
    reattach: String,
    socket: PathBuf,
}

impl DebugProvider {
    fn start(env: &[(&str, &str)], stderr: Stdio) -> Self {
        Self::start_as(OFFICIAL_ADDRESS, &["--debug"], env, stderr)
    }

    /// Starts the provider with `args`; its reattach entry must be keyed by `address`.
    fn start_as(address: &str, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut command = Command::new(provider_binary());
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start --debug");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut banner = String::new();
        let reattach = loop {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).expect("read banner");
            assert!(
                read > 0,
                "stdout closed before the reattach line: {banner:?}"
            );
            banner.push_str(&line);
            if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS=") {
                break value.trim_matches('\'').to_string();
            }
        };
        let parsed: serde_json::Value =
            serde_json::from_str(&reattach).expect("TF_REATTACH_PROVIDERS is JSON");
        let entries = parsed
            .as_object()
            .expect("TF_REATTACH_PROVIDERS is an object");
        assert_eq!(
            entries.keys().collect::<Vec<_>>(),
            [address],
            "one entry, keyed by the address"
        );
        let socket = PathBuf::from(
            parsed[address]["Addr"]["String"]
                .as_str()
                .expect("socket path"),
        );
        Self {
            child,
            stdout,
            banner,
            reattach,
            socket,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll") {
                return status;
            }
            assert!(Instant::now() < deadline, "did not exit within {within:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prints_the_reattach_value_without_terraform_or_magic_cookie() {
    let provider = DebugProvider::start(&[], Stdio::null());
    assert!(
        provider.banner.starts_with(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n"
        ),
        "{}",
        provider.banner
    );
    let parsed: serde_json::Value = serde_json::from_str(&provider.reattach).expect("JSON");
    let entry = &parsed[OFFICIAL_ADDRESS];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], provider.child.id());
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Addr"]["Network"], "unix");
    assert!(provider.socket.exists(), "{:?}", provider.socket);
}

#[test]
fn help_explains_debug_mode() {
    let output = Command::new(provider_binary())
        .arg("--help")
        .output()
        .expect("--help");
    assert!(output.status.success());
    let (out, err) = text(&output);
    assert!(out.contains("--debug"), "{out}");
    assert!(out.contains("TF_REATTACH_PROVIDERS"), "{out}");
    assert!(out.contains("Ctrl-C"), "{out}");
    assert!(out.contains("--address HOST/NAMESPACE/TYPE"), "{out}");
    assert!(out.contains(RECOMMENDED_ADDRESS), "{out}");
    assert!(err.is_empty(), "{err}");
}

#[tokio::test]
async fn shutdown_is_ignored_and_sigterm_stops_it_removing_the_socket() {
    let mut provider = DebugProvider::start(&[], Stdio::null());
    let channel = connect(provider.socket.clone(), None)
        .await
        .expect("plaintext connection");
    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let schema = provider_schema(&mut ProviderClient::new(channel), "after Shutdown").await;
    assert!(schema.provider.is_some());

    provider.signal("TERM");
    assert!(provider.wait_for_exit(Duration::from_secs(5)).success());
    assert!(!provider.socket.exists());
    assert!(!provider.socket.parent().expect("dir").exists());
}

#[test]
fn terraform_attaches_through_tf_reattach_providers_and_ctrl_c_stops_it() {
    let api = FakeApi::start();
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("provider.log");
    let log = File::create(&log_path).expect("log file");
    let mut provider = DebugProvider::start(
        &[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_BASE_URL", &api.url),
            ("TF_LOG_PROVIDER", "debug"),
        ],
        Stdio::from(log),
    );
    let terraforms = Terraform::all();
    for tf in &terraforms {
        let mut ws = Workspace::new(BASIC);
        // Nothing to launch: the plan can only work through the running process.
        std::fs::remove_file(ws.plugins_dir().join("terraform-provider-cloudflare"))
            .expect("remove the provider from dev_overrides");
        ws.set_env("TF_REATTACH_PROVIDERS", &provider.reattach);
        let out = ws.run_ok_for_connector(tf, &["plan", "-input=false", "-no-color"]);
        assert!(
            out.contains("data.cloudflare_sso_connector.this: Read"),
            "{}: {out}",
            tf.label
        );
        assert!(
            provider.child.try_wait().expect("poll").is_none(),
            "{}: the debug provider must outlive the Terraform run",
            tf.label
        );
    }
    let served = api.request_count();
    assert_eq!(served, terraforms.len() as u64, "one API read per plan");

    provider.signal("INT");
    assert!(provider.wait_for_exit(Duration::from_secs(5)).success());
    assert!(!provider.socket.exists(), "socket must be removed");
    let mut rest = String::new();
    provider
        .stdout
        .read_to_string(&mut rest)
        .expect("rest of stdout");
    assert!(
        rest.trim().is_empty(),
        "only the banner goes to stdout: {rest:?}"
    );

    let log = std::fs::read_to_string(&log_path).expect("provider log");
    assert!(!log.contains(TOKEN), "the token leaked into the log");
    assert!(log.contains("\"debug_mode\":true"), "{log}");
    assert!(log.contains("\"Cloudflare API call\""), "{log}");
}

/// A configuration that names the provider only by `RECOMMENDED_ADDRESS`.
fn beside_configuration() -> String {
    let config = BASIC.replace(
        "cloudflare = {\n      source = \"cloudflare/cloudflare\"\n    }",
        &format!("cfsso = {{\n      source = \"{RECOMMENDED_ADDRESS}\"\n    }}"),
    );
    let config = config
        .replace("provider \"cloudflare\" {}", "provider \"cfsso\" {}")
        .replace(
            "data \"cloudflare_sso_connector\" \"this\" {\n",
            "data \"cloudflare_sso_connector\" \"this\" {\n  provider = cfsso\n",
        );
    assert!(
        !config.contains("cloudflare/cloudflare") && config.contains("provider = cfsso"),
        "examples/basic/main.tf changed shape:\n{config}"
    );
    config
}

#[test]
fn with_another_address_terraform_attaches_by_that_address() {
    let api = FakeApi::start();
    let mut provider = DebugProvider::start_as(
        RECOMMENDED_ADDRESS,
        &["--debug", "--address", RECOMMENDED_ADDRESS],
        &[
            ("CLOUDFLARE_API_TOKEN", TOKEN),
            ("CLOUDFLARE_BASE_URL", &api.url),
        ],
        Stdio::null(),
    );
    let terraforms = Terraform::all();
    for tf in &terraforms {
        let mut ws = Workspace::new(&beside_configuration());
        // Neither installed nor overridden: only the reattached process can serve it.
        std::fs::remove_file(ws.plugins_dir().join("terraform-provider-cloudflare"))
            .expect("remove the provider from dev_overrides");
        ws.set_env("TF_REATTACH_PROVIDERS", &provider.reattach);
        let out = ws.run_ok_for_connector(tf, &["plan", "-input=false", "-no-color"]);
        assert!(
            out.contains("data.cloudflare_sso_connector.this: Read complete"),
            "{}: {out}",
            tf.label
        );
    }
    assert_eq!(api.request_count(), terraforms.len() as u64);

    // Under the default address the same configuration finds no provider.
    let default = DebugProvider::start(&[], Stdio::null());
    if let Some(tf) = terraforms.first() {
        let mut ws = Workspace::new(&beside_configuration());
        ws.set_env("TF_REATTACH_PROVIDERS", &default.reattach);
        let plan = ws.run_for_connector(tf, &["plan", "-input=false", "-no-color"]);
        let (out, err) = text(&plan);
        assert!(!plan.status.success(), "{}: {out}", tf.label);
        assert!(
            one_line(&err).contains(&format!(
                "provider {RECOMMENDED_ADDRESS}: required by this configuration but no version is selected"
            )),
            "{}: {err}",
            tf.label
        );
    }

    provider.signal("TERM");
    assert!(provider.wait_for_exit(Duration::from_secs(5)).success());
}

#[test]
fn a_bad_address_is_a_usage_error() {
    for (args, needle) in [
        (
            vec!["--debug", "--address", "cfsso/cloudflare"],
            "has 2 part(s)",
        ),
        (
            vec![
                "--debug",
                "--address",
                "Terraform.internal/cfsso/cloudflare",
            ],
            "upper-case",
        ),
        (vec!["--debug", "--address"], "--address needs a value"),
        (
            vec!["--address", RECOMMENDED_ADDRESS],
            "--address goes with --debug",
        ),
        (
            vec!["--debug", "--verbose"],
            "unknown argument \"--verbose\"",
        ),
    ] {
        let output = Command::new(provider_binary())
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run the provider");
        let (out, err) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
    }
}
