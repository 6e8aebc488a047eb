//! The API client under faults, rate limits and load: the provider launched as
//! Terraform launches it (and, for several cases, real Terraform) against the
//! fake API with fault rules. Every case ends in success or one clear
//! diagnostic, in bounded time; identical reads cost one request; lists
//! follow pages.

use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::machine;
use crate::support::plugin_client::{configure, ProviderProcess};
use crate::support::terraform::{
    one_connector_config, text, Terraform, Workspace, REQUIRED_PROVIDERS,
};
use crate::support::values::{dynamic, object, read_request, state};
use tfcf::cloudflare::sso_connectors::SsoConnectors;
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::Schema;
use tfcf::plugin::TfObject;
use tfcf::plugin::Type;
use tfcf::plugin::Value;

type Client = ProviderClient<tonic::transport::Channel>;

/// An account holding only generated connectors (`fe` + 30 hex digits).
const LIST_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

fn generated(index: usize) -> String {
    format!("fe{index:030x}")
}

/// Launches the provider and configures it against `api` with `settings`
/// (small retries and timeouts so faults resolve quickly).
async fn configured(
    api: &FakeApi,
    token: &str,
    settings: &[(&str, Value)],
) -> (ProviderProcess, Client) {
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    configure(&mut client, &api.url, token, settings).await;
    (provider, client)
}

fn fast(max_retries: i64, request_timeout: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("max_retries", Value::from(max_retries)),
        ("request_timeout", Value::from(request_timeout)),
        ("rate_limit", Value::from(0_i64)),
    ]
}

/// Reads the seeded connector; returns the diagnostics and how long it took.
async fn read(client: &mut Client, connector: &str) -> (Vec<pb::Diagnostic>, Duration) {
    let started = Instant::now();
    let response = client
        .read_data_source(read_request(ACCOUNT, connector))
        .await
        .expect("ReadDataSource")
        .into_inner();
    (response.diagnostics, started.elapsed())
}

/// Asserts exactly one error diagnostic and returns "summary: detail".
fn one_error(diagnostics: &[pb::Diagnostic]) -> String {
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diag = &diagnostics[0];
    assert_eq!(diag.severity, pb::diagnostic::Severity::Error as i32);
    format!("{}: {}", diag.summary, diag.detail)
}

fn list_type() -> Type {
    Schema::new("", SsoConnectors::attributes()).value_type()
}

/// Reads `cloudflare_sso_connectors`; returns the connector ids or the diagnostics.
async fn list(
    client: &mut Client,
    account: &str,
    max_items: Option<i64>,
) -> Result<Vec<String>, Vec<pb::Diagnostic>> {
    let ty = list_type();
    let max = max_items.map_or(Value::Null, Value::from);
    let config = object(
        &ty,
        &[("account_id", Value::from(account)), ("max_items", max)],
    );
    let response = client
        .read_data_source(pb::read_data_source::Request {
            type_name: "cloudflare_sso_connectors".to_string(),
            config: Some(dynamic(&config, &ty)),
            ..Default::default()
        })
        .await
        .expect("ReadDataSource")
        .into_inner();
    if !response.diagnostics.is_empty() {
        return Err(response.diagnostics);
    }
    let value = state(response.state, &ty);
    let Some(Value::List(items)) = value.attribute("result") else {
        panic!("result is not a list: {value:?}");
    };
    Ok(items
        .iter()
        .map(|item| {
            item.attribute("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
        .collect())
}

#[tokio::test]
async fn rate_limited_once_then_success_waits_as_retry_after_says() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(3, 5)).await;
    api.add_faults(r#"[{"status":429,"times":1,"headers":{"retry-after":"1"}}]"#);
    let (diags, took) = read(&mut client, CONNECTOR).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(api.request_count(), 2);
    assert!(
        took >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    eprintln!(
        "429 with Retry-After: 1, then success: {} requests in {took:?}",
        api.request_count()
    );
}

#[tokio::test]
async fn unavailable_twice_then_success_backs_off() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(3, 5)).await;
    api.add_faults(r#"[{"status":503,"times":2}]"#);
    let (diags, took) = read(&mut client, CONNECTOR).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(api.request_count(), 3);
    // Backoff: 0.25-0.5 s, then 0.5-1 s.
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    eprintln!("503 twice, then success: 3 requests in {took:?}");
}

#[tokio::test]
async fn server_error_forever_gives_up_in_bounded_time_reporting_attempts() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(3, 5)).await;
    api.add_faults(r#"[{"status":500}]"#);
    let (diags, took) = read(&mut client, CONNECTOR).await;
    let text = one_error(&diags);
    assert!(text.contains("4 attempts over"), "{text}");
    assert!(text.contains("max_retries = 3"), "{text}");
    assert!(text.contains("500 Internal Server Error"), "{text}");
    assert!(text.contains("[10001] Internal server error"), "{text}");
    assert_eq!(api.request_count(), 4);
    // Backoff ceilings 0.5 + 1 + 2 s.
    assert!(took < Duration::from_secs(5), "{took:?}");
    eprintln!("500 forever, max_retries 3: 4 attempts, gave up after {took:?}");
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_abandoned_and_retried() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 1)).await;
    api.add_faults(r#"[{"delay_ms":4000,"times":1}]"#);
    let (diags, took) = read(&mut client, CONNECTOR).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(api.request_count(), 2);
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );

    api.add_faults(r#"[{"delay_ms":4000}]"#);
    let (diags, took) = read(&mut client, "f1740f3ab5b64d3b9ef1d0c9a1b2c3d5").await;
    let text = one_error(&diags);
    assert!(text.contains("timed out"), "{text}");
    assert!(text.contains("3 attempts"), "{text}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    eprintln!("slower than request_timeout 1 s forever, max_retries 2: gave up after {took:?}");
}

#[tokio::test]
async fn connection_resets_and_cut_bodies_are_retried() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 5)).await;
    api.add_faults(r#"[{"kind":"reset","times":1},{"kind":"truncate","times":1}]"#);
    let (diags, _) = read(&mut client, CONNECTOR).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(api.request_count(), 3);

    api.add_faults(r#"[{"kind":"reset"}]"#);
    let (diags, took) = read(&mut client, "f1740f3ab5b64d3b9ef1d0c9a1b2c3d5").await;
    let text = one_error(&diags);
    assert!(text.contains("3 attempts"), "{text}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[tokio::test]
async fn bad_successful_answers_fail_at_once_showing_status_and_body() {
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(3, 5)).await;

    api.add_faults(r#"[{"kind":"truncate_json","times":1}]"#);
    let text = one_error(&read(&mut client, CONNECTOR).await.0);
    assert!(
        text.contains("200 OK") && text.contains("not the expected JSON"),
        "{text}"
    );
    assert!(
        text.contains(r#"{"success":true"#),
        "the start of the body is shown: {text}"
    );

    api.add_faults(r#"[{"status":200,"times":1,"json":{"success":false,"errors":[{"code":1234,"message":"nope"}],"messages":[],"result":null}}]"#);
    let text = one_error(&read(&mut client, CONNECTOR).await.0);
    assert!(
        text.contains("[1234] nope") && text.contains("200 OK"),
        "{text}"
    );

    api.add_faults(
        r#"[{"kind":"oversize","times":1},{"kind":"oversize","chunked":true,"times":1}]"#,
    );
    for _ in 0..2 {
        let text = one_error(&read(&mut client, CONNECTOR).await.0);
        assert!(text.contains("larger than 4 MiB"), "{text}");
    }
    assert_eq!(api.request_count(), 4, "none of these may be retried");
}

#[tokio::test]
async fn an_html_502_page_is_retried_then_shown() {
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(1, 5)).await;
    api.add_faults(r#"[{"kind":"html"}]"#);
    let text = one_error(&read(&mut client, CONNECTOR).await.0);
    assert!(text.contains("502 Bad Gateway"), "{text}");
    assert!(
        text.contains("<html>"),
        "the start of the body is shown: {text}"
    );
    assert!(text.contains("2 attempts"), "{text}");
    assert_eq!(api.request_count(), 2);
}

#[tokio::test]
async fn not_found_and_unauthorized_are_never_retried() {
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(5, 5)).await;
    let (diags, _) = read(&mut client, "0123456789abcdef0123456789abcdef").await;
    let text = one_error(&diags);
    assert!(text.contains("not found"), "{text}");
    assert_eq!(api.request_count(), 1);

    let (_p2, mut denied) =
        configured(&api, "wrong-token-0123456789abcdefghijklmnop", &fast(5, 5)).await;
    let text = one_error(&read(&mut denied, CONNECTOR).await.0);
    assert!(text.contains("401"), "{text}");
    assert!(
        !text.contains("wrong-token"),
        "the token must not leak: {text}"
    );
    assert_eq!(api.request_count(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_read_timeout_ends_the_read_at_once_saying_so() {
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 5)).await;
    api.add_faults(r#"[{"status":429,"times":1,"headers":{"retry-after":"3600"}}]"#);
    let (diags, _) = read(&mut client, CONNECTOR).await;
    let text = one_error(&diags);
    assert!(text.contains("Cloudflare asked to wait 3600 s"), "{text}");
    assert!(text.contains("CLOUDFLARE_READ_TIMEOUT"), "{text}");
    assert_eq!(
        api.request_count(),
        1,
        "no retry: the wait would pass read_timeout"
    );
}

#[tokio::test]
async fn stop_provider_ends_a_read_waiting_to_retry() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let (_p, client) = configured(&api, TOKEN, &fast(5, 5)).await;
    api.add_faults(r#"[{"status":429,"headers":{"retry-after":"30"}}]"#);
    let mut reader = client.clone();
    let waiting = tokio::spawn(async move { read(&mut reader, CONNECTOR).await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while api.request_count() == 0 {
        assert!(Instant::now() < deadline, "no request made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopped = Instant::now();
    client
        .clone()
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider");
    let (diags, _) = waiting.await.expect("read task");
    assert!(
        stopped.elapsed() < Duration::from_secs(1),
        "{:?}",
        stopped.elapsed()
    );
    assert!(one_error(&diags).contains("cancelled"));
    assert_eq!(api.request_count(), 1, "no retry after the stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_of_few_ids_cost_one_request_each_and_failures_are_not_kept() {
    let api = FakeApi::start_with(&["--generate", &format!("{ACCOUNT}:10")]);
    let (_p, client) = configured(&api, TOKEN, &fast(0, 5)).await;
    let mut tasks = Vec::new();
    for n in 0..200 {
        let mut client = client.clone();
        tasks.push(tokio::spawn(async move {
            read(&mut client, &generated(n % 10)).await.0
        }));
    }
    for task in tasks {
        let diags = task.await.expect("task");
        assert!(diags.is_empty(), "{diags:?}");
    }
    assert_eq!(api.request_count(), 10, "200 reads over 10 ids");
    let mut client = client.clone();
    assert!(read(&mut client, &generated(3)).await.0.is_empty());
    assert_eq!(api.request_count(), 10, "later reads reuse the result");

    api.add_faults(r#"[{"status":500,"times":1}]"#);
    assert!(one_error(&read(&mut client, CONNECTOR).await.0).contains("500"));
    assert!(
        read(&mut client, CONNECTOR).await.0.is_empty(),
        "a failure is not kept"
    );
    assert_eq!(api.request_count(), 12);
    eprintln!("200 concurrent reads over 10 ids: 10 requests");
}

#[tokio::test]
async fn the_rate_limit_paces_requests() {
    let api = FakeApi::start_with(&["--generate", &format!("{ACCOUNT}:10")]);
    let (_p, mut client) = configured(&api, TOKEN, &[("rate_limit", Value::from(5_i64))]).await;
    let started = Instant::now();
    for n in 0..10 {
        assert!(read(&mut client, &generated(n)).await.0.is_empty());
    }
    let took = started.elapsed();
    // A burst of 5, then one every 200 ms.
    assert!(took >= Duration::from_millis(900), "{took:?}");
    eprintln!("10 distinct reads at rate_limit 5: {took:?}");
}

#[tokio::test]
async fn the_list_follows_pages_and_stops_at_max_items() {
    let api = FakeApi::start_with(&["--generate", &format!("{LIST_ACCOUNT}:120")]);
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 5)).await;
    let all = list(&mut client, LIST_ACCOUNT, None).await.expect("list");
    let expected: Vec<String> = (0..120).map(generated).collect();
    assert_eq!(all, expected);
    let requests = api.requests();
    let queries: Vec<&str> = requests["requests"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["query"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        queries,
        [
            "page=1&per_page=50",
            "page=2&per_page=50",
            "page=3&per_page=50"
        ]
    );

    let some = list(&mut client, LIST_ACCOUNT, Some(70))
        .await
        .expect("list");
    assert_eq!(some, expected[..70]);
    assert_eq!(api.request_count(), 3, "pages already read are reused");
    let few = list(&mut client, LIST_ACCOUNT, Some(5))
        .await
        .expect("list");
    assert_eq!(few, expected[..5]);
    assert_eq!(api.request_count(), 4);
    assert_eq!(
        list(&mut client, LIST_ACCOUNT, Some(0))
            .await
            .expect("list")
            .len(),
        120
    );
    eprintln!(
        "list of 120 over pages of 50: 3 requests; max_items 70: 0 more; max_items 5: 1 more"
    );
}

#[tokio::test]
async fn the_list_survives_faults_and_servers_that_never_end() {
    let api = FakeApi::start_with(&["--generate", &format!("{LIST_ACCOUNT}:120")]);
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 5)).await;
    api.add_faults(r#"[{"path_contains":"page=2","status":503,"times":1}]"#);
    assert_eq!(
        list(&mut client, LIST_ACCOUNT, None)
            .await
            .expect("list")
            .len(),
        120
    );
    assert_eq!(api.request_count(), 4);

    let endless = format!(
        r#"[{{"path_contains":"{ACCOUNT}/sso_connectors?","json":{{"success":true,"errors":[],"messages":[],"result":[{{"id":"{a}"}},{{"id":"{b}"}}],"result_info":{{"page":1,"per_page":2,"count":2,"total_count":1000000,"total_pages":500000}}}}}}]"#,
        a = generated(1),
        b = generated(2)
    );
    api.add_faults(&endless);
    let warnings = list(&mut client, ACCOUNT, Some(1000)).await.unwrap_err();
    let said: Vec<&str> = warnings.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(
        said,
        [
            "SSO connectors listed more than once",
            "SSO connector list may be incomplete"
        ],
        "a server repeating its first page gets its list read once, with warnings"
    );
    assert!(warnings
        .iter()
        .all(|d| d.severity == pb::diagnostic::Severity::Warning as i32));

    let diags = list(&mut client, "ffffffffffffffffffffffffffffffff", None)
        .await
        .unwrap_err();
    let text = one_error(&diags);
    assert!(
        text.contains("account_id") || text.contains("Account"),
        "{text}"
    );
}

// Real Terraform.

fn workspace(api: &FakeApi, main_tf: &str) -> Workspace {
    let mut ws = Workspace::new(main_tf);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws
}

fn plan(tf: &Terraform, ws: &Workspace) -> (bool, String, String, Duration) {
    let started = Instant::now();
    let output = ws.run(tf, &["plan", "-input=false", "-no-color"]);
    let (out, err) = text(&output);
    (output.status.success(), out, err, started.elapsed())
}

#[test]
fn terraform_plan_rides_out_a_429_and_two_503s() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(
            &api,
            &one_connector_config("  max_retries = 3\n  rate_limit = 0"),
        );
        api.add_faults(
            r#"[{"status":429,"times":1,"headers":{"retry-after":"1"}},{"status":503,"times":2}]"#,
        );
        let (ok, out, err, took) = plan(&tf, &ws);
        assert!(ok, "{}: plan failed\n{out}\n{err}", tf.label);
        assert!(out.contains("example.com"), "{}: {out}", tf.label);
        assert_eq!(api.request_count(), 4, "{}", tf.label);
        eprintln!(
            "{}: plan through 429 (Retry-After 1) + 503 x2: 4 requests, plan took {took:?}",
            tf.label
        );
    }
}

#[test]
fn terraform_plan_reports_each_fault_as_one_clear_error() {
    let cases = [
        (r#"[{"status":500}]"#, "2 attempts"),
        (r#"[{"kind":"reset"}]"#, "2 attempts"),
        (r#"[{"delay_ms":5000}]"#, "timed out"),
        (r#"[{"kind":"truncate_json"}]"#, "not the expected JSON"),
        (
            r#"[{"status":200,"json":{"success":false,"errors":[{"code":1234,"message":"nope"}],"result":null}}]"#,
            "[1234] nope",
        ),
        (r#"[{"kind":"html"}]"#, "502 Bad Gateway"),
        (r#"[{"kind":"oversize"}]"#, "larger than 4 MiB"),
    ];
    for tf in Terraform::all() {
        for (fault, expected) in cases {
            let api = FakeApi::start();
            let ws = workspace(
                &api,
                &one_connector_config("  max_retries = 1\n  request_timeout = 1\n  rate_limit = 0"),
            );
            api.add_faults(fault);
            let (ok, out, err, took) = plan(&tf, &ws);
            assert!(!ok, "{}: {fault}: plan should fail\n{out}", tf.label);
            assert_eq!(
                err.matches("Error: ").count(),
                1,
                "{}: {fault}: one error expected\n{err}",
                tf.label
            );
            assert!(
                err.contains(expected),
                "{}: {fault}: expected {expected:?}\n{err}",
                tf.label
            );
            assert!(
                took < Duration::from_secs(30),
                "{}: {fault}: {took:?}",
                tf.label
            );
            assert!(!err.contains(TOKEN), "{}: token leaked", tf.label);
        }
    }
}

#[test]
fn terraform_plan_over_200_data_sources_and_10_ids_makes_10_requests() {
    let main_tf = format!(
        r#"
provider "cloudflare" {{}}
locals {{
  ids = [for i in range(10) : format("fe%030x", i)]
}}
data "cloudflare_sso_connector" "c" {{
  count            = 200
  account_id       = "{ACCOUNT}"
  sso_connector_id = local.ids[count.index % 10]
}}
output "enabled" {{
  value = length([for c in data.cloudflare_sso_connector.c : c if c.enabled])
}}
"#
    );
    for tf in Terraform::all() {
        let api = FakeApi::start_with(&["--quiet", "--generate", &format!("{ACCOUNT}:10")]);
        let ws = workspace(&api, &format!("{REQUIRED_PROVIDERS}{main_tf}"));
        let (ok, out, err, took) = plan(&tf, &ws);
        assert!(ok, "{}: plan failed\n{out}\n{err}", tf.label);
        assert!(out.contains("enabled = 100"), "{}: {out}", tf.label);
        let requests = api.request_count();
        assert!(
            requests <= 10,
            "{}: {requests} requests for 10 ids",
            tf.label
        );
        eprintln!("{}: 200 data sources over 10 ids (default settings): {requests} GETs, plan took {took:?}", tf.label);
    }
}

#[test]
fn terraform_lists_every_page_and_honours_max_items() {
    let main_tf = format!(
        r#"
provider "cloudflare" {{
  rate_limit = 0
}}
data "cloudflare_sso_connectors" "all" {{
  account_id = "{LIST_ACCOUNT}"
}}
data "cloudflare_sso_connectors" "some" {{
  account_id = "{LIST_ACCOUNT}"
  max_items  = 70
}}
output "all" {{
  value = length(data.cloudflare_sso_connectors.all.result)
}}
output "some" {{
  value = length(data.cloudflare_sso_connectors.some.result)
}}
output "last_id" {{
  value = data.cloudflare_sso_connectors.all.result[119].id
}}
output "first_domain" {{
  value = data.cloudflare_sso_connectors.some.result[0].email_domain
}}
"#
    );
    for tf in Terraform::all() {
        let api = FakeApi::start_with(&["--quiet", "--generate", &format!("{LIST_ACCOUNT}:120")]);
        let ws = workspace(&api, &format!("{REQUIRED_PROVIDERS}{main_tf}"));
        let apply = ws.run(
            &tf,
            &["apply", "-input=false", "-no-color", "-auto-approve"],
        );
        let (out, err) = text(&apply);
        assert!(
            apply.status.success(),
            "{}: apply failed\n{out}\n{err}",
            tf.label
        );
        let output = ws.run(&tf, &["output", "-json"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("output -json");
        assert_eq!(json["all"]["value"], 120, "{}", tf.label);
        assert_eq!(json["some"]["value"], 70, "{}", tf.label);
        assert_eq!(json["last_id"]["value"], generated(119), "{}", tf.label);
        assert_eq!(
            json["first_domain"]["value"], "sso-0.example.com",
            "{}",
            tf.label
        );
        let requests = api.request_count();
        assert!(
            requests <= 3,
            "{}: {requests} requests for 3 pages",
            tf.label
        );
    }
}

#[test]
fn terraform_rejects_invalid_settings_at_plan_time_without_calling_the_api() {
    let main_tf = format!(
        r#"
provider "cloudflare" {{
  max_retries = 50
}}
data "cloudflare_sso_connectors" "all" {{
  account_id = "{ACCOUNT}"
  max_items  = -1
}}
"#
    );
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, &format!("{REQUIRED_PROVIDERS}{main_tf}"));
        let (ok, _, err, _) = plan(&tf, &ws);
        assert!(!ok, "{}", tf.label);
        assert!(err.contains("Invalid max_retries"), "{}: {err}", tf.label);
        assert!(
            err.contains("max_retries must be a whole number from 0 to 20"),
            "{}: {err}",
            tf.label
        );
        assert_eq!(api.request_count(), 0, "{}", tf.label);
        ws.write_main(&format!(
            "{REQUIRED_PROVIDERS}{}",
            main_tf.replace("max_retries = 50", "max_retries = 1")
        ));
        let (ok, _, err, _) = plan(&tf, &ws);
        assert!(!ok, "{}", tf.label);
        assert!(
            err.contains("Invalid max_items") && err.contains("at least 0"),
            "{}: {err}",
            tf.label
        );
        assert_eq!(api.request_count(), 0, "{}", tf.label);
    }
}

#[test]
fn terraform_warns_when_credentials_would_travel_over_plain_http() {
    let main_tf = format!(
        r#"
provider "cloudflare" {{
  base_url = "http://api.invalid/client/v4"
}}
data "cloudflare_sso_connectors" "none" {{
  count      = 0
  account_id = "{ACCOUNT}"
}}
"#
    );
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, &format!("{REQUIRED_PROVIDERS}{main_tf}"));
        let output = ws.run(&tf, &["validate", "-no-color"]);
        let (out, err) = text(&output);
        assert!(output.status.success(), "{}: {out}\n{err}", tf.label);
        let all = format!("{out}{err}");
        assert!(
            all.contains("Warning: Cloudflare credentials would travel unencrypted"),
            "{}: {all}",
            tf.label
        );
        assert!(all.contains("base_url"), "{}: {all}", tf.label);
    }
}

#[tokio::test]
async fn compressed_answers_are_decoded_and_others_described_not_retried() {
    let api = FakeApi::start();
    let (_p, mut client) = configured(&api, TOKEN, &fast(2, 5)).await;
    let (diags, _) = read(&mut client, CONNECTOR).await;
    assert!(diags.is_empty(), "a gzip answer was not decoded: {diags:?}");
    let requests = api.requests();
    let asked = requests["requests"][0]["headers"]["accept-encoding"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(asked.contains("gzip"), "{requests}");

    api.reset_requests();
    api.add_faults(
        r#"[{"status": 200, "times": 1, "body": "this is not gzip at all", "headers": {"Content-Encoding": "gzip"}}]"#,
    );
    let (diags, _) = read(&mut client, "f1740f3ab5b64d3b9ef1d0c9a1b2c3d5").await;
    let text = one_error(&diags);
    assert!(text.starts_with("Unreadable response"), "{text}");
    assert_eq!(api.request_count(), 1, "a corrupt body was retried");

    for status in [200, 400] {
        api.add_faults(&format!(
            r#"[{{"status": {status}, "times": 1, "body": "\u0000\u0013\u0007\u0001\u0002\u0003\u0004\u0005", "headers": {{"Content-Encoding": "br"}}}}]"#
        ));
        let (diags, _) = read(&mut client, "f1740f3ab5b64d3b9ef1d0c9a1b2c3d6").await;
        let text = one_error(&diags);
        assert!(
            text.contains(
                "8 bytes compressed with \"br\", an encoding the provider did not ask for"
            ),
            "{status}: {text}"
        );
        assert!(!text.contains('\u{13}'), "{status}: binary shown: {text:?}");
    }
}
