//! Logs Terraform understands: hclog-shaped JSON lines on stderr, per-RPC
//! fields, API calls, the level taken from Terraform's variables, and never a
//! credential — checked on the raw stderr and inside real Terraform's log.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::plugin_client::{configure, ProviderProcess};
use crate::support::provider_log;
use crate::support::terraform::{text, Terraform, Workspace};
use crate::support::values;
use tfcf::plugin::wire::plugin::grpc_controller_client::GrpcControllerClient;
use tfcf::plugin::wire::plugin::Empty;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;

const BASIC: &str = include_str!("../examples/basic/main.tf");
const MODULE: &str = "provider.terraform-provider-cloudflare";

/// Drives one configure + read over gRPC, shuts the provider down and returns its stderr.
async fn stderr_of_a_read(env: &[(&str, &str)]) -> String {
    let api = FakeApi::start();
    let mut provider = ProviderProcess::launch(env);
    let channel = provider.channel().await;
    let mut client = ProviderClient::new(channel.clone());
    configure(&mut client, &api.url, TOKEN, &[]).await;
    let read = client
        .read_data_source(values::read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource")
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    let missing = client
        .read_data_source(values::read_request(
            ACCOUNT,
            "0123456789abcdef0123456789abcdef",
        ))
        .await
        .expect("ReadDataSource")
        .into_inner();
    assert!(!missing.diagnostics.is_empty());
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.try_wait().is_none() {
        assert!(Instant::now() < deadline, "provider did not exit");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    provider.stderr()
}

fn is_hclog_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 27
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && bytes[26] == b'Z'
        && text[20..26].bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn stderr_is_one_hclog_json_object_per_line_with_per_rpc_fields() {
    let stderr = stderr_of_a_read(&[("TF_LOG_PROVIDER", "trace")]).await;
    assert!(!stderr.contains(TOKEN), "the token leaked into the log");
    let mut rpcs = Vec::new();
    let mut request_ids = BTreeSet::new();
    let mut api_calls = 0;
    for line in stderr.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let level = entry["@level"].as_str().expect("@level is a string");
        assert!(
            ["trace", "debug", "info", "warn", "error"].contains(&level),
            "{line}"
        );
        assert!(entry["@message"].is_string(), "{line}");
        assert_eq!(entry["@module"], MODULE, "{line}");
        let timestamp = entry["@timestamp"].as_str().expect("@timestamp");
        assert!(is_hclog_timestamp(timestamp), "{timestamp}");
        match entry["@message"].as_str() {
            Some("Received request") => {
                assert_eq!(level, "trace");
                assert_eq!(entry["tf_proto_version"], "6.10", "{line}");
                rpcs.push(entry["tf_rpc"].as_str().expect("tf_rpc").to_string());
                let id = entry["tf_req_id"].as_str().expect("tf_req_id").to_string();
                assert!(request_ids.insert(id), "request ids must be unique: {line}");
                if entry["tf_rpc"] == "ReadDataSource" {
                    assert_eq!(entry["tf_data_source_type"], "cloudflare_sso_connector");
                }
            }
            Some("Served request") => {
                assert!(entry["tf_req_duration_ms"].is_u64(), "{line}");
                assert!(entry["tf_req_id"].is_string(), "{line}");
            }
            Some("Cloudflare API call") => {
                api_calls += 1;
                assert_eq!(level, "debug");
                assert_eq!(entry["method"], "GET");
                assert!(entry["status"].is_u64() && entry["duration_ms"].is_u64());
                assert_eq!(
                    entry["tf_rpc"], "ReadDataSource",
                    "API calls carry the RPC's fields"
                );
            }
            Some("Response contains error diagnostics") => {
                assert_eq!(level, "warn");
                assert_eq!(entry["diagnostic_error_count"], 1, "{line}");
                assert_eq!(entry["tf_rpc"], "ReadDataSource");
            }
            _ => {}
        }
    }
    assert_eq!(
        rpcs,
        ["ConfigureProvider", "ReadDataSource", "ReadDataSource"],
        "{stderr}"
    );
    assert_eq!(api_calls, 2, "{stderr}");
    assert!(
        stderr.contains("\"Response contains error diagnostics\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn nothing_is_logged_without_a_log_level_and_debug_hides_trace() {
    let silent = stderr_of_a_read(&[]).await;
    assert!(silent.is_empty(), "{silent}");
    let debug =
        stderr_of_a_read(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER_CLOUDFLARE", "debug")]).await;
    assert!(debug.contains("Cloudflare API call"), "{debug}");
    assert!(!debug.contains("\"@level\":\"trace\""), "{debug}");
}

#[test]
fn terraform_trace_log_holds_the_providers_structured_lines_and_never_the_token() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = Workspace::new(BASIC);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        let log_path = ws.path("terraform.log");
        ws.set_env("TF_LOG_PROVIDER", "trace");
        ws.set_env("TF_LOG_PATH", &log_path.display().to_string());
        let account = format!("account_id={ACCOUNT}");
        let connector = format!("sso_connector_id={CONNECTOR}");
        let vars = ["-var", account.as_str(), "-var", connector.as_str()];
        let plan = ws.run(
            &tf,
            &[&["plan", "-input=false", "-no-color"][..], &vars].concat(),
        );
        let (out, err) = text(&plan);
        assert!(
            plan.status.success(),
            "{}: plan failed\n{out}\n{err}",
            tf.label
        );
        assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
        let apply = ws.run(
            &tf,
            &[
                &["apply", "-input=false", "-no-color", "-auto-approve"][..],
                &vars,
            ]
            .concat(),
        );
        let (out, err) = text(&apply);
        assert!(
            apply.status.success(),
            "{}: apply failed\n{out}\n{err}",
            tf.label
        );

        let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH file");
        assert!(
            !log.contains(TOKEN),
            "{}: the token leaked into the log",
            tf.label
        );
        let lines = provider_log::provider_lines(&log);
        assert!(!lines.is_empty(), "{}: no provider lines\n{log}", tf.label);
        let received: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains(": Received request:"))
            .collect();
        assert!(!received.is_empty(), "{}: {log}", tf.label);
        let mut ids = BTreeSet::new();
        for line in &received {
            assert!(line.contains("[TRACE]"), "{line}");
            assert!(line.contains(&format!("@module={MODULE}")), "{line}");
            assert!(provider_log::field(line, "tf_rpc").is_some(), "{line}");
            assert_eq!(provider_log::field(line, "tf_proto_version"), Some("6.10"));
            let id = provider_log::field(line, "tf_req_id").expect("tf_req_id");
            assert!(ids.insert(id.to_string()), "duplicate tf_req_id: {line}");
        }
        let read = received
            .iter()
            .find(|l| provider_log::field(l, "tf_rpc") == Some("ReadDataSource"))
            .expect("a ReadDataSource request");
        assert_eq!(
            provider_log::field(read, "tf_data_source_type"),
            Some("cloudflare_sso_connector")
        );
        assert!(lines.iter().any(|l| l.contains(": Served request:")
            && provider_log::field(l, "tf_req_duration_ms").is_some()));
        assert!(lines
            .iter()
            .any(|l| l.contains("[DEBUG]") && l.contains(": Cloudflare API call:")));
        eprintln!(
            "{} over protocol 6, plan then apply:\n{}",
            tf.label,
            provider_log::describe(&provider_log::rpcs_per_process(&log))
        );
    }
}
