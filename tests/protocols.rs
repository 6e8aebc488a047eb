//! What both plugin protocols answer alike, checked once and run under each:
//! every RPC of managed resources, ephemeral resources, actions, lists and
//! functions answers with a diagnostic naming it (this provider serves data
//! sources only), never a gRPC error, and an unknown data source type is
//! named with the ones that exist.

use crate::support::protocols::on_both_protocols;
use tokio_stream::StreamExt;

/// The summary of the first diagnostic, or "" when there is none.
macro_rules! first_summary {
    ($diagnostics:expr) => {
        $diagnostics.first().map_or("", |d| d.summary.as_str())
    };
}

/// Calls an RPC with a default request and asserts that it answers with a
/// diagnostic naming `rpc`.
macro_rules! assert_unsupported {
    ($client:ident . $method:ident ( $request:expr ), $rpc:literal) => {
        let response = $client
            .$method($request)
            .await
            .unwrap_or_else(|status| panic!("{} failed over gRPC: {status}", $rpc))
            .into_inner();
        assert!(
            first_summary!(response.diagnostics).contains($rpc),
            "{}: {:?}",
            $rpc,
            response.diagnostics
        );
    };
}

on_both_protocols! {
    /// Resource, ephemeral resource and action RPCs, functions, lists and
    /// unknown data source types.
    async fn every_unsupported_rpc_answers_with_a_diagnostic_naming_it(client) {
        assert_unsupported!(client.read_resource(pb::read_resource::Request::default()), "ReadResource");
        assert_unsupported!(client.plan_resource_change(pb::plan_resource_change::Request::default()), "PlanResourceChange");
        assert_unsupported!(client.open_ephemeral_resource(pb::open_ephemeral_resource::Request::default()), "OpenEphemeralResource");
        assert_unsupported!(client.plan_action(pb::plan_action::Request::default()), "PlanAction");

        let functions = client
            .get_functions(pb::get_functions::Request {})
            .await
            .expect("GetFunctions")
            .into_inner();
        assert!(functions.functions.is_empty() && functions.diagnostics.is_empty());
        let called = client
            .call_function(pb::call_function::Request {
                name: "nope".to_string(),
                arguments: Vec::new(),
            })
            .await
            .expect("CallFunction")
            .into_inner();
        assert!(called.error.expect("function error").text.contains("nope"));

        let mut events = client
            .list_resource(pb::list_resource::Request::default())
            .await
            .expect("ListResource")
            .into_inner();
        let event = events.next().await.expect("one event").expect("event");
        assert!(first_summary!(event.diagnostic).contains("ListResource"));
        assert!(events.next().await.is_none(), "exactly one event");

        let mut events = client
            .invoke_action(pb::invoke_action::Request::default())
            .await
            .expect("InvokeAction")
            .into_inner();
        match events.next().await.expect("one event").expect("event").r#type {
            Some(pb::invoke_action::event::Type::Completed(done)) => {
                assert!(first_summary!(done.diagnostics).contains("InvokeAction"))
            }
            other => panic!("expected a completed event, got {other:?}"),
        }

        let unknown = client
            .read_data_source(pb::read_data_source::Request {
                type_name: "cloudflare_nothing".to_string(),
                ..Default::default()
            })
            .await
            .expect("ReadDataSource answers")
            .into_inner();
        assert!(unknown.diagnostics[0].detail.contains("cloudflare_sso_connector"));
    }
}
