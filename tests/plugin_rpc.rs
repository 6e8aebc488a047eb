//! Integration tests: the provider binary launched exactly as Terraform does,
//! driven over gRPC with mutual TLS.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::plugin_client::{
    client_tls, configure, connect, provider_schema, ClientIdentity, ProviderProcess,
};
use crate::support::values::{
    connector_config, provider_config, raw, read_connector, read_request,
};
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::Value;

const DATA_SOURCE: &str = "cloudflare_sso_connector";

fn path_names(diag: &pb::Diagnostic) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    diag.attribute
        .as_ref()
        .map(|p| {
            p.steps
                .iter()
                .filter_map(|s| match &s.selector {
                    Some(Selector::AttributeName(n)) => Some(n.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn configured_client(
    provider: &ProviderProcess,
    api: &FakeApi,
    token: &str,
) -> ProviderClient<tonic::transport::Channel> {
    let mut client = ProviderClient::new(provider.channel().await);
    configure(&mut client, &api.url, token, &[]).await;
    client
}

#[test]
fn refuses_to_run_without_the_magic_cookie() {
    let output = std::process::Command::new(support::terraform::provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run provider");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing may reach stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
    assert!(stderr.contains("Terraform"), "{stderr}");
}

#[test]
fn prints_version_and_help() {
    let output = std::process::Command::new(support::terraform::provider_binary())
        .arg("--version")
        .output()
        .expect("run provider");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!(
            "terraform-provider-cloudflare {}",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn handshake_announces_protocol_6_over_a_private_unix_socket_with_tls() {
    use std::os::unix::fs::PermissionsExt;
    let provider = ProviderProcess::launch(&[]);
    let handshake = &provider.handshake;
    assert_eq!(handshake.protocol, 6);
    assert!(
        handshake.server_cert.is_some(),
        "TLS certificate expected: {}",
        handshake.line
    );
    let dir = handshake.socket.parent().expect("socket dir");
    let mode = std::fs::metadata(dir)
        .expect("socket dir")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "socket directory must be private, mode {mode:o}"
    );
}

#[tokio::test]
async fn honours_plugin_unix_socket_dir() {
    let base = tempfile::tempdir().expect("tempdir");
    let provider =
        ProviderProcess::launch(&[("PLUGIN_UNIX_SOCKET_DIR", &base.path().display().to_string())]);
    assert!(
        provider.handshake.socket.starts_with(base.path()),
        "{:?}",
        provider.handshake.socket
    );
}

#[tokio::test]
async fn serves_plaintext_without_a_client_certificate() {
    let provider = ProviderProcess::launch_with(false, "6", &[]);
    assert!(
        provider.handshake.line.ends_with("|grpc|"),
        "{}",
        provider.handshake.line
    );
    let mut client = ProviderClient::new(provider.channel().await);
    let schema = provider_schema(&mut client, "over plaintext").await;
    assert!(schema.provider.is_some());
}

#[tokio::test]
async fn refuses_clients_without_the_pinned_certificate() {
    let provider = ProviderProcess::launch(&[]);
    let server_cert = provider.handshake.server_cert.clone().expect("server cert");
    let no_cert = connect(
        provider.handshake.socket.clone(),
        Some(client_tls(None, &server_cert)),
    )
    .await;
    let refused = match no_cert {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");
    let stranger = ClientIdentity::generate();
    let other = connect(
        provider.handshake.socket.clone(),
        Some(client_tls(Some(&stranger), &server_cert)),
    )
    .await;
    let refused = match other {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a client with another certificate must be refused");
}

#[tokio::test]
async fn schema_matches_the_official_provider_and_allows_skipping_get_provider_schema() {
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let schema = provider_schema(&mut client, "first").await;
    assert!(schema.diagnostics.is_empty());
    assert!(schema
        .server_capabilities
        .as_ref()
        .is_some_and(|c| c.get_provider_schema_optional));
    let block = schema
        .provider
        .and_then(|s| s.block)
        .expect("provider block");
    let attrs: BTreeMap<_, _> = block
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    for name in ["api_token", "api_key", "api_user_service_key"] {
        assert!(attrs[name].sensitive && attrs[name].optional, "{name}");
    }
    for name in ["email", "base_url", "user_agent_operator_suffix"] {
        assert!(!attrs[name].sensitive && attrs[name].optional, "{name}");
    }
    for name in [
        "max_retries",
        "request_timeout",
        "rate_limit",
        "read_timeout",
    ] {
        assert!(!attrs[name].sensitive && attrs[name].optional, "{name}");
        assert_eq!(attrs[name].r#type, b"\"number\"", "{name}");
    }
    assert_eq!(attrs.len(), 10);
    let ds = schema
        .data_source_schemas
        .get(DATA_SOURCE)
        .and_then(|s| s.block.clone())
        .expect("data source");
    let attrs: BTreeMap<_, _> = ds.attributes.iter().map(|a| (a.name.as_str(), a)).collect();
    // Optional (and computed: the state holds the id read), as in the
    // official provider, where it is optional.
    assert!(attrs["account_id"].optional && attrs["account_id"].computed);
    assert!(attrs["sso_connector_id"].required);
    for name in ["id", "created_on", "email_domain", "updated_on"] {
        assert!(attrs[name].computed && !attrs[name].optional, "{name}");
        assert_eq!(attrs[name].r#type, b"\"string\"", "{name}");
    }
    for name in ["enabled", "use_fedramp_language"] {
        assert_eq!(attrs[name].r#type, b"\"bool\"", "{name}");
    }
    let verification = attrs["verification"]
        .nested_type
        .as_ref()
        .expect("nested verification");
    assert_eq!(
        verification.nesting,
        pb::schema::object::NestingMode::Single as i32
    );
    let nested: Vec<_> = verification
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.computed))
        .collect();
    assert_eq!(nested, [("code", true), ("status", true)]);
    assert!(verification.attributes[1].description.contains("verified"));
    assert!(attrs.values().all(|a| !a.description.is_empty()));

    let identity = client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    assert!(identity.identity_schemas.is_empty() && identity.diagnostics.is_empty());
}

#[tokio::test]
async fn validation_rejects_wrong_length_ids_with_the_attribute_path_and_accepts_unknowns() {
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let response = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: DATA_SOURCE.to_string(),
            config: Some(connector_config(
                Value::from(ACCOUNT),
                Value::from("too-short"),
            )),
        })
        .await
        .expect("validate")
        .into_inner();
    assert_eq!(response.diagnostics.len(), 1, "{:?}", response.diagnostics);
    let diag = &response.diagnostics[0];
    assert_eq!(diag.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(path_names(diag), ["sso_connector_id"]);
    assert!(diag.detail.contains("32"), "{}", diag.detail);

    let response = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: DATA_SOURCE.to_string(),
            config: Some(connector_config(Value::unknown(), Value::unknown())),
        })
        .await
        .expect("validate")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "unknowns must pass: {:?}",
        response.diagnostics
    );
}

#[tokio::test]
async fn provider_config_validation_reports_conflicts_and_bad_urls() {
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let response = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(provider_config(&[
                ("api_token", Value::from(TOKEN)),
                ("api_user_service_key", Value::from("v1.0-abc")),
                ("base_url", Value::from("not a url")),
            ])),
        })
        .await
        .expect("validate")
        .into_inner();
    let paths: Vec<Vec<String>> = response.diagnostics.iter().map(path_names).collect();
    assert!(
        paths.contains(&vec!["base_url".to_string()]),
        "{:?}",
        response.diagnostics
    );
    assert!(
        paths.contains(&vec!["api_user_service_key".to_string()]),
        "{:?}",
        response.diagnostics
    );
    for diag in &response.diagnostics {
        assert!(
            !diag.detail.contains(TOKEN) && !diag.detail.contains("v1.0-abc"),
            "secret leaked: {}",
            diag.detail
        );
    }
}

#[tokio::test]
async fn reads_a_connector_from_the_api() {
    let api = FakeApi::start();
    let provider = ProviderProcess::launch(&[]);
    let mut client = configured_client(&provider, &api, TOKEN).await;
    let response = client
        .read_data_source(read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource")
        .into_inner();
    let state = read_connector(response, "the seeded connector");
    assert_eq!(state.attribute("id"), Some(&Value::from(CONNECTOR)));
    assert_eq!(state.attribute("account_id"), Some(&Value::from(ACCOUNT)));
    assert_eq!(
        state.attribute("email_domain"),
        Some(&Value::from("example.com"))
    );
    assert_eq!(state.attribute("enabled"), Some(&Value::Bool(true)));
    assert_eq!(
        state.attribute("created_on"),
        Some(&Value::from("2025-01-01T12:21:02Z"))
    );
    assert_eq!(
        state.attribute("updated_on"),
        Some(&Value::from("2025-03-04T05:06:07.1234Z"))
    );
    let verification = state.attribute("verification").expect("verification");
    assert_eq!(
        verification.attribute("status"),
        Some(&Value::from("verified"))
    );

    let requests = api.requests();
    let request = &requests["requests"][0];
    assert_eq!(
        request["path"],
        format!("/client/v4/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}")
    );
    assert_eq!(request["token"], TOKEN);
    let user_agent = request["user_agent"].as_str().unwrap_or_default();
    assert_eq!(
        user_agent,
        format!(
            "terraform-provider-cloudflare/{} terraform/1.11.4",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn api_failures_become_diagnostics() {
    let api = FakeApi::start();
    let provider = ProviderProcess::launch(&[]);
    let mut client = configured_client(&provider, &api, TOKEN).await;
    let read = |client: &mut ProviderClient<tonic::transport::Channel>, connector: &str| {
        let request = read_request(ACCOUNT, connector);
        let mut client = client.clone();
        async move {
            client
                .read_data_source(request)
                .await
                .expect("ReadDataSource")
                .into_inner()
        }
    };
    let missing = read(&mut client, "00000000000000000000000000000000").await;
    assert!(missing.state.is_none());
    assert!(
        missing.diagnostics[0].summary.contains("not found"),
        "{:?}",
        missing.diagnostics
    );
    assert!(missing.diagnostics[0].detail.contains(ACCOUNT));

    api.add_faults(r#"[{"times":1,"status":200,"json":{"success":false,"errors":[{"code":1234,"message":"nope"}],"result":null}}]"#);
    let failed = read(&mut client, CONNECTOR).await;
    assert!(
        failed.diagnostics[0].detail.contains("[1234] nope"),
        "{:?}",
        failed.diagnostics
    );

    // A one-off 502 page is retried (and the good answer kept for later reads).
    api.add_faults(r#"[{"times":1,"kind":"html"}]"#);
    let html = read(&mut client, CONNECTOR).await;
    assert!(
        html.diagnostics.is_empty() && html.state.is_some(),
        "{:?}",
        html.diagnostics
    );

    api.add_faults(r#"[{"times":1,"status":200,"body":"{\"success\":true,\"result\":{\"enabled\":\"yes\"}}"}]"#);
    let wrong = read(&mut client, "9a8b7c6d5e4f30211203f4e5d6c7b8a9").await;
    assert!(
        wrong.diagnostics[0].summary.contains("Unexpected response"),
        "{:?}",
        wrong.diagnostics
    );

    // A body cut mid-way is retried too.
    api.add_faults(r#"[{"times":1,"kind":"truncate"}]"#);
    let truncated = read(&mut client, "023e105f4ecef8ad9ca31a8372d0c353").await;
    assert!(
        truncated.diagnostics.is_empty() && truncated.state.is_some(),
        "{:?}",
        truncated.diagnostics
    );
}

#[tokio::test]
async fn bad_credentials_get_a_diagnostic_naming_the_permission() {
    let api = FakeApi::start();
    let provider = ProviderProcess::launch(&[]);
    let mut client =
        configured_client(&provider, &api, "wrong-token-value-0123456789abcdefghijkl").await;
    let response = client
        .read_data_source(read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource")
        .into_inner();
    let diag = &response.diagnostics[0];
    assert!(
        diag.detail.contains("SSO Connector Read"),
        "{}",
        diag.detail
    );
    assert!(
        !diag.detail.contains("wrong-token-value"),
        "token leaked: {}",
        diag.detail
    );
}

#[tokio::test]
async fn missing_credentials_are_reported_at_read_time_naming_attribute_and_variable() {
    let api = FakeApi::start();
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".to_string(),
            config: Some(provider_config(&[(
                "base_url",
                Value::from(api.url.as_str()),
            )])),
            client_capabilities: None,
        })
        .await
        .expect("configure");
    let response = client
        .read_data_source(read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource")
        .into_inner();
    let detail = &response.diagnostics[0].detail;
    assert!(
        detail.contains("api_token") && detail.contains("CLOUDFLARE_API_TOKEN"),
        "{detail}"
    );
    assert_eq!(api.request_count(), 0);
}

#[tokio::test]
async fn reads_fail_cleanly_before_configure_and_with_garbage_values() {
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let unconfigured = client
        .read_data_source(read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("answers")
        .into_inner();
    assert!(unconfigured.diagnostics[0]
        .summary
        .contains("not configured"));
    let garbage = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: DATA_SOURCE.to_string(),
            config: raw(vec![0x93, 0xff, 0x00]),
        })
        .await
        .expect("answers")
        .into_inner();
    assert_eq!(
        garbage.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );
}

#[tokio::test]
async fn health_reports_plugin_serving() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let provider = ProviderProcess::launch(&[]);
    let mut health = HealthClient::new(provider.channel().await);
    let status = health
        .check(HealthCheckRequest {
            service: "plugin".to_string(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn shutdown_stops_the_process_and_removes_the_socket() {
    use tfcf::plugin::wire::plugin::grpc_controller_client::GrpcControllerClient;
    let mut provider = ProviderProcess::launch(&[]);
    let socket = provider.handshake.socket.clone();
    let mut controller = GrpcControllerClient::new(provider.channel().await);
    controller
        .shutdown(tfcf::plugin::wire::plugin::Empty {})
        .await
        .expect("Shutdown");
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.try_wait().is_none() {
        assert!(
            Instant::now() < deadline,
            "provider did not exit after Shutdown"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(provider.wait().success());
    assert!(!socket.exists(), "socket must be removed");
    assert!(
        !socket.parent().expect("dir").exists(),
        "socket directory must be removed"
    );
}

#[tokio::test]
async fn ignores_sigint_and_keeps_serving() {
    let provider = ProviderProcess::launch(&[]);
    let pid = provider_pid(&provider);
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut client = ProviderClient::new(provider.channel().await);
    provider_schema(&mut client, "after SIGINT").await;
}

fn provider_pid(provider: &ProviderProcess) -> u32 {
    provider.pid()
}
