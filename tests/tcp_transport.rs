//! The TCP transport (Windows' only one) exercised natively: `PLUGIN_TRANSPORT=tcp`
//! makes the provider listen on a loopback port as go-plugin does on Windows.
//! Real Terraform dials it with AutoMTLS through plan, apply and output;
//! debug mode serves it for Terraform to attach; bad settings fail clearly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, CONNECTOR, TOKEN};
use crate::support::plugin_client::{ProviderProcess, COOKIE};
use crate::support::terraform::{connector_vars, provider_binary, text, Terraform, Workspace};

const BASIC: &str = include_str!("../examples/basic/main.tf");
const ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";

#[test]
fn terraform_plans_applies_and_outputs_over_tcp_with_automtls() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = Workspace::new(BASIC);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("PLUGIN_TRANSPORT", "tcp");
        ws.log_debug_to_file();
        let v = connector_vars(CONNECTOR);
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        let json = ws.plan_apply_output(&tf, &v, "data.cloudflare_sso_connector.this");
        assert_eq!(json["connector"]["value"]["id"], CONNECTOR, "{}", tf.label);
        assert_eq!(json["email_domain"]["value"], "example.com", "{}", tf.label);
        assert_eq!(json["verified"]["value"], true, "{}", tf.label);

        // Every provider process Terraform started listened on a loopback
        // port with mTLS, so that is what Terraform dialled.
        ws.assert_served_over("tcp", &tf.label);
    }
}

#[test]
fn the_handshake_names_a_loopback_port_in_the_given_range() {
    let provider = ProviderProcess::launch(&[
        ("PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", "20000"),
        ("PLUGIN_MAX_PORT", "20999"),
    ]);
    let fields: Vec<&str> = provider.handshake.line.split('|').collect();
    assert_eq!(fields[2], "tcp", "{}", provider.handshake.line);
    let addr: std::net::SocketAddr = fields[3].parse().expect("host:port");
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert!((20000..=20999).contains(&addr.port()), "{addr}");
    assert!(
        provider.handshake.server_cert.is_some(),
        "AutoMTLS over TCP"
    );
}

/// Launches the provider as Terraform would with `env`, expecting it to fail
/// before the handshake; returns its stderr.
fn failed_launch(env: &[(&str, &str)]) -> String {
    let mut command = Command::new(provider_binary());
    command
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("launch provider");
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{env:?}: {err}");
    // Nothing on stdout: no handshake, and stdout carries nothing else.
    assert!(
        out.is_empty(),
        "{env:?}: no handshake may be printed: {out}"
    );
    err
}

#[test]
fn bad_transport_and_port_settings_stop_the_launch_with_a_clear_error() {
    let err = failed_launch(&[("PLUGIN_TRANSPORT", "udp")]);
    assert!(
        err.contains("PLUGIN_TRANSPORT must be unix or tcp, not \"udp\""),
        "{err}"
    );

    let err = failed_launch(&[("PLUGIN_TRANSPORT", "tcp"), ("PLUGIN_MIN_PORT", "ten")]);
    assert!(
        err.contains("PLUGIN_MIN_PORT must be a TCP port number from 0 to 65535, not \"ten\""),
        "{err}"
    );

    let err = failed_launch(&[("PLUGIN_TRANSPORT", "tcp"), ("PLUGIN_MAX_PORT", "99999")]);
    assert!(err.contains("PLUGIN_MAX_PORT must be"), "{err}");

    let err = failed_launch(&[
        ("PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", "25000"),
        ("PLUGIN_MAX_PORT", "10000"),
    ]);
    assert!(
        err.contains("PLUGIN_MIN_PORT (25000) is above PLUGIN_MAX_PORT (10000)"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("address").port().to_string();
    let err = failed_launch(&[
        ("PLUGIN_TRANSPORT", "tcp"),
        ("PLUGIN_MIN_PORT", &port),
        ("PLUGIN_MAX_PORT", &port),
    ]);
    assert!(
        err.contains(&format!(
            "could not listen on any TCP port of 127.0.0.1 from {port} to {port}"
        )),
        "{err}"
    );
}

#[test]
fn debug_mode_serves_tcp_for_terraform_to_attach_until_ctrl_c() {
    let api = FakeApi::start();
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PLUGIN_TRANSPORT", "tcp")
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .env("CLOUDFLARE_BASE_URL", &api.url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start --debug");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let reattach = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("read banner") > 0,
            "no banner"
        );
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS=") {
            break value.trim_matches('\'').to_string();
        }
    };
    let parsed: serde_json::Value = serde_json::from_str(&reattach).expect("JSON");
    assert_eq!(parsed[ADDRESS]["Addr"]["Network"], "tcp", "{reattach}");
    let addr = parsed[ADDRESS]["Addr"]["String"].as_str().expect("address");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    let terraforms = Terraform::all();
    for tf in &terraforms {
        let mut ws = Workspace::new(BASIC);
        std::fs::remove_file(ws.plugins_dir().join("terraform-provider-cloudflare"))
            .expect("remove the provider from dev_overrides");
        ws.set_env("TF_REATTACH_PROVIDERS", &reattach);
        let mut args = vec!["plan", "-input=false", "-no-color"];
        let v = connector_vars(CONNECTOR);
        args.extend(v.iter().map(String::as_str));
        let plan = ws.run(tf, &args);
        let (out, err) = text(&plan);
        assert!(
            plan.status.success(),
            "{}: plan failed\n{out}\n{err}",
            tf.label
        );
        assert!(
            out.contains("data.cloudflare_sso_connector.this: Read"),
            "{}: {out}",
            tf.label
        );
    }
    assert_eq!(api.request_count(), terraforms.len() as u64);

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exited = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        assert!(Instant::now() < deadline, "Ctrl-C did not stop debug mode");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exited.success());
}
