//! Protocol 5 (tfplugin5): its own RPCs over gRPC, launched as Terraform
//! launches a protocol-5-only plugin (what it shares with protocol 6 is in
//! tests/protocols.rs), and the protocol-6 end-to-end run repeated under real
//! Terraform with the provider forced onto protocol 5.

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::plugin_client::ProviderProcess;
use crate::support::provider_log;
use crate::support::terraform::{Terraform, Workspace};
use crate::support::values;
use serde_json::json;
use tfcf::plugin::wire::msgpack;
use tfcf::plugin::wire::tfplugin5 as pb;
use tfcf::plugin::wire::tfplugin5::provider_client::ProviderClient;
use tfcf::plugin::wire::tfplugin5::provisioner_client::ProvisionerClient;
use tfcf::plugin::Value;
use tonic::transport::Channel;

const BASIC: &str = include_str!("../examples/basic/main.tf");
const DATA_SOURCE: &str = "cloudflare_sso_connector";

fn v5(value: tfcf::plugin::wire::tfplugin6::DynamicValue) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value.msgpack,
        json: value.json,
    }
}

fn summary_of(diagnostics: &[pb::Diagnostic]) -> &str {
    diagnostics.first().map_or("", |d| d.summary.as_str())
}

#[test]
fn negotiates_protocol_5_only_when_6_is_not_offered() {
    assert_eq!(
        ProviderProcess::launch_with(true, "5", &[])
            .handshake
            .protocol,
        5
    );
    assert_eq!(
        ProviderProcess::launch_with(true, "6,5", &[])
            .handshake
            .protocol,
        6
    );
    assert_eq!(
        ProviderProcess::launch_with(true, "5,6", &[])
            .handshake
            .protocol,
        6
    );
}

#[tokio::test]
async fn schema_sends_verification_as_an_object_typed_attribute() {
    let provider = ProviderProcess::launch_with(true, "5", &[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let schema = client
        .get_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetSchema")
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    assert!(schema.provider.and_then(|p| p.block).is_some());
    assert!(schema.provider_meta.and_then(|p| p.block).is_some());
    let caps = schema.server_capabilities.expect("capabilities");
    assert!(caps.get_provider_schema_optional);
    let block = schema.data_source_schemas[DATA_SOURCE]
        .block
        .clone()
        .expect("block");
    let verification = block
        .attributes
        .iter()
        .find(|a| a.name == "verification")
        .expect("verification attribute");
    let ty: serde_json::Value =
        serde_json::from_slice(&verification.r#type).expect("cty type JSON");
    assert_eq!(
        ty,
        json!(["object", {"code": "string", "status": "string"}])
    );
    assert!(verification.computed && !verification.optional && !verification.required);
    for attribute in &block.attributes {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&attribute.r#type).is_ok(),
            "{} has no valid type",
            attribute.name
        );
    }
}

async fn configured(provider: &ProviderProcess, api: &FakeApi) -> ProviderClient<Channel> {
    let mut client = ProviderClient::new(provider.channel().await);
    let config = v5(values::provider_config(&[
        ("api_token", Value::from(TOKEN)),
        ("base_url", Value::from(api.url.as_str())),
    ]));
    let prepared = client
        .prepare_provider_config(pb::prepare_provider_config::Request {
            config: Some(config.clone()),
        })
        .await
        .expect("PrepareProviderConfig")
        .into_inner();
    assert!(
        prepared.diagnostics.is_empty(),
        "{:?}",
        prepared.diagnostics
    );
    assert_eq!(prepared.prepared_config, Some(config.clone()));
    let configured = client
        .configure(pb::configure::Request {
            terraform_version: "0.12.31".to_string(),
            config: Some(config),
            client_capabilities: None,
        })
        .await
        .expect("Configure")
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );
    client
}

#[tokio::test]
async fn validates_and_reads_a_connector() {
    let api = FakeApi::start();
    let provider = ProviderProcess::launch_with(true, "5", &[]);
    let mut client = configured(&provider, &api).await;

    let invalid = client
        .validate_data_source_config(pb::validate_data_source_config::Request {
            type_name: DATA_SOURCE.to_string(),
            config: Some(v5(values::connector_config(
                Value::from(ACCOUNT),
                Value::from("short"),
            ))),
        })
        .await
        .expect("ValidateDataSourceConfig")
        .into_inner();
    assert_eq!(invalid.diagnostics.len(), 1, "{:?}", invalid.diagnostics);
    assert!(invalid.diagnostics[0].attribute.is_some());

    let request = values::read_request(ACCOUNT, CONNECTOR);
    let read = client
        .read_data_source(pb::read_data_source::Request {
            type_name: request.type_name,
            config: request.config.map(v5),
            ..Default::default()
        })
        .await
        .expect("ReadDataSource")
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    let state = msgpack::decode(
        &read.state.expect("state").msgpack,
        &values::connector_type(),
    )
    .expect("state decodes against the schema type");
    let verification = state.attribute("verification").expect("verification");
    assert_eq!(
        verification.attribute("status"),
        Some(&Value::from("verified"))
    );
}

#[tokio::test]
async fn protocol_5_only_rpcs_answer_and_stop_keeps_serving() {
    use tokio_stream::StreamExt;
    let provider = ProviderProcess::launch_with(true, "5", &[]);
    let channel = provider.channel().await;
    let mut client = ProviderClient::new(channel.clone());

    let response = client
        .validate_resource_type_config(pb::validate_resource_type_config::Request::default())
        .await
        .expect("answers")
        .into_inner();
    assert!(summary_of(&response.diagnostics).contains("ValidateResourceTypeConfig"));

    let mut provisioner = ProvisionerClient::new(channel);
    let schema = provisioner
        .get_schema(pb::get_provisioner_schema::Request {})
        .await
        .expect("Provisioner.GetSchema")
        .into_inner();
    assert!(schema.provisioner.and_then(|s| s.block).is_some());
    assert!(summary_of(&schema.diagnostics).contains("Provisioner.GetSchema"));
    let mut outputs = provisioner
        .provision_resource(pb::provision_resource::Request::default())
        .await
        .expect("ProvisionResource")
        .into_inner();
    let output = outputs.next().await.expect("one event").expect("event");
    assert!(summary_of(&output.diagnostics).contains("ProvisionResource"));
    let stopped = provisioner
        .stop(pb::stop::Request {})
        .await
        .expect("Provisioner.Stop")
        .into_inner();
    assert!(stopped.error.is_empty());

    let stopped = client
        .stop(pb::stop::Request {})
        .await
        .expect("Stop")
        .into_inner();
    assert!(stopped.error.is_empty());
    let schema = client
        .get_schema(pb::get_provider_schema::Request {})
        .await
        .expect("still serving after Stop");
    assert!(schema.into_inner().provider.is_some());
}

#[test]
fn plan_apply_and_output_under_terraform_over_protocol_5() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = Workspace::new(BASIC);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.force_protocol_versions("5");
        let log = ws.path("provider.log");
        ws.set_env("TF_LOG_PROVIDER", "trace");
        ws.set_env("TF_LOG_PATH", &log.display().to_string());
        let account = format!("account_id={ACCOUNT}");
        let connector = format!("sso_connector_id={CONNECTOR}");
        let vars = ["-var", account.as_str(), "-var", connector.as_str()];

        let outputs = ws.plan_apply_output(&tf, &vars, "data.cloudflare_sso_connector.this");
        let expected = json!({
            "account_id": ACCOUNT,
            "sso_connector_id": CONNECTOR,
            "id": CONNECTOR,
            "email_domain": "example.com",
            "enabled": true,
            "use_fedramp_language": false,
            "created_on": "2025-01-01T12:21:02Z",
            "updated_on": "2025-03-04T05:06:07.1234Z",
            "verification": {
                "code": format!("cloudflare_dashboard_sso={CONNECTOR}"),
                "status": "verified",
            },
        });
        assert_eq!(outputs["connector"]["value"], expected, "{}", tf.label);
        assert!(outputs["connector"]["value"]["verification"].is_object());
        assert_eq!(outputs["verified"]["value"], true, "{}", tf.label);
        assert_eq!(outputs["email_domain"]["value"], "example.com");
        assert!(api.request_count() >= 1);

        let log = std::fs::read_to_string(&log).expect("provider log");
        let processes = provider_log::rpcs_per_process(&log);
        assert!(
            !processes.is_empty(),
            "{}: no provider process in the log",
            tf.label
        );
        assert!(
            processes.iter().all(|p| p.protocol == "5"),
            "{}: every process must serve protocol 5: {processes:?}",
            tf.label
        );
        assert!(log.contains("tf_proto_version=5.10") && !log.contains("tf_proto_version=6.10"));
        eprintln!(
            "{} over protocol 5, plan then apply:\n{}",
            tf.label,
            provider_log::describe(&processes)
        );
    }
}
