//! Round three of hardening, through real Terraform (every version found),
//! against the bundled fake API made hostile: credentials echoed back in
//! every encoding, answers too big for memory, waits too long for any
//! deadline, bodies that trickle, secrets in base_url, floods of server
//! text and terminal escapes, lists that lie about themselves, wrong
//! objects and impossible dates; and hostile configurations: tiny rates,
//! unreadable variables, sensitive ids, an unset account_id.

use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::runs::{assert_failed, assert_no_pieces, plan as terraform_plan, run, Run};
use crate::support::terraform::{
    one_line, processes_with_env, Terraform, Workspace, REQUIRED_PROVIDERS,
};

/// The connector's path under the API root.
fn connector_path() -> String {
    format!("/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}")
}

/// A configuration reading the seeded connector with `provider_block` in
/// the provider block and `account_line` (an `account_id = …` line, or
/// nothing) in the data source.
fn connector_config(provider_block: &str, account_line: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}
provider "cloudflare" {{
  {provider_block}
}}

data "cloudflare_sso_connector" "this" {{
  {account_line}
  sso_connector_id = "{CONNECTOR}"
}}

output "email_domain" {{
  value = data.cloudflare_sso_connector.this.email_domain
}}

output "account_id" {{
  value = data.cloudflare_sso_connector.this.account_id
}}
"#
    )
}

/// A workspace reading the seeded connector from `api` with the test token.
fn workspace(api: &FakeApi, provider_block: &str) -> Workspace {
    let mut ws = Workspace::new(&connector_config(
        provider_block,
        &format!("account_id = \"{ACCOUNT}\""),
    ));
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws
}

/// `text` with every character written as a JSON `\u` escape.
fn json_escaped(text: &str) -> String {
    text.chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect()
}

// ---------------------------------------------------------------------------
// 1. Credentials echoed in any encoding

#[test]
fn credentials_echoed_escaped_encoded_or_split_never_reach_the_output() {
    let percent: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
    let html: String = TOKEN.chars().map(|c| format!("&#{};", c as u32)).collect();
    let half = TOKEN.len() / 2;
    let cases = [
        (401, format!("token {} rejected", json_escaped(TOKEN))),
        (
            500,
            format!(
                "token {}{} failed",
                &TOKEN[..half],
                json_escaped(&TOKEN[half..])
            ),
        ),
        (403, format!("GET /x?token={percent}")),
        (200, format!("<b>{html}</b>")),
    ];
    for tf in Terraform::all() {
        for (status, message) in &cases {
            let api = FakeApi::start();
            let body = format!(
                r#"{{"success":false,"errors":[{{"code":10000,"message":"{message}"}},{{"code":10001,"message":"{}"}}],"echo":"{message}"}}"#,
                &TOKEN[half..]
            );
            let rule = serde_json::json!([{"status": status, "body": body, "times": 10}]);
            api.add_faults(&rule.to_string());
            let ws = workspace(&api, "max_retries = 0");
            let label = format!("token echoed in a {status}");
            let plan = terraform_plan(&tf, &ws, &label);
            assert!(!plan.ok, "{label}: should fail\n{}", plan.all());
            assert!(
                plan.err.contains("[REDACTED]"),
                "{label}: nothing redacted\n{}",
                plan.err
            );
            assert_no_pieces(&plan.all(), &[TOKEN], &label);
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Memory bounded per read and per process

/// The highest peak RSS (VmHWM, in KiB) seen of the provider processes
/// carrying `marker` while `work` runs.
fn provider_peak_rss(marker: &str, work: impl FnOnce() -> Run) -> (Run, u64) {
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        let marker = marker.to_string();
        std::thread::spawn(move || {
            let mut peak = 0_u64;
            while !done.load(Ordering::Relaxed) {
                for pid in processes_with_env("HOSTILE_API_MARKER", &marker) {
                    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
                    if !exe
                        .to_string_lossy()
                        .contains("terraform-provider-cloudflare")
                    {
                        continue;
                    }
                    let status =
                        std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                    let hwm = status
                        .lines()
                        .find_map(|line| line.strip_prefix("VmHWM:"))
                        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                        .unwrap_or(0);
                    peak = peak.max(hwm);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            peak
        })
    };
    let run = work();
    done.store(true, Ordering::Relaxed);
    (run, sampler.join().expect("sampler"))
}

/// Prints the provider's peak RSS and asserts it was seen and stayed under 200 MB.
fn assert_bounded_rss(tf: &Terraform, label: &str, peak_kib: u64) {
    eprintln!(
        "{label} ({}): provider peak RSS {} MiB",
        tf.label,
        peak_kib / 1024
    );
    assert!(peak_kib > 0, "{label}: the provider was never seen");
    assert!(
        peak_kib < 200 * 1024,
        "{label}: provider peak RSS {peak_kib} KiB"
    );
}

/// A workspace listing the connectors of the seeded account from `api`,
/// with `output` as its one output block.
fn list_workspace(api: &FakeApi, output: &str) -> Workspace {
    let mut ws = Workspace::new(&format!(
        r#"{REQUIRED_PROVIDERS}
data "cloudflare_sso_connectors" "all" {{
  account_id = "{ACCOUNT}"
}}
{output}
"#
    ));
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws
}

#[test]
fn a_list_of_huge_pages_fails_with_its_size_and_limit_within_bounded_memory() {
    let big = "v".repeat(3 << 19);
    for tf in Terraform::all() {
        let api = FakeApi::start();
        for page in 1..=12 {
            let connector = serde_json::json!({
                "id": format!("{page:032x}"),
                "email_domain": "example.com",
                "verification": {"code": big, "status": "verified"},
            });
            let rule = serde_json::json!([{
                "path_contains": format!("sso_connectors?page={page}&"),
                "json": {
                    "success": true, "errors": [], "messages": [],
                    "result": [connector],
                    "result_info": {"page": page, "per_page": 1, "count": 1, "total_count": 1000, "total_pages": 1000},
                },
            }]);
            api.add_faults(&rule.to_string());
        }
        let mut ws = list_workspace(
            &api,
            r#"output "count" { value = length(data.cloudflare_sso_connectors.all.result) }"#,
        );
        let marker = format!("list-{}", tf.label.replace(' ', "-"));
        ws.set_env("HOSTILE_API_MARKER", &marker);
        let label = "pages of one 1.5 MiB connector each";
        let (plan, peak_kib) = provider_peak_rss(&marker, || terraform_plan(&tf, &ws, label));
        assert_failed(
            &plan,
            label,
            "Cloudflare API answers too large",
            &["more than the 8.0 MiB one read may hold"],
        );
        assert!(!plan.err.contains("message length"), "{}", plan.err);
        assert_bounded_rss(&tf, label, peak_kib);
    }
}

#[test]
fn many_big_connectors_are_read_within_bounded_memory() {
    const COUNT: usize = 40;
    let big = "c".repeat(1 << 20);
    let api = FakeApi::start();
    let ids: Vec<String> = (0..COUNT).map(|n| format!("{:032x}", n + 1)).collect();
    for id in &ids {
        let connector = serde_json::json!({
            "id": id,
            "email_domain": "example.com",
            "enabled": true,
            "created_on": "2025-01-01T12:21:02.0000Z",
            "updated_on": "2025-01-01T12:21:02.0000Z",
            "use_fedramp_language": false,
            "verification": {"code": big, "status": "verified"},
        });
        api.put_connector(ACCOUNT, id, &connector.to_string());
    }
    let main_tf = format!(
        r#"{REQUIRED_PROVIDERS}
variable "ids" {{ type = list(string) }}
data "cloudflare_sso_connector" "each" {{
  count            = length(var.ids)
  account_id       = "{ACCOUNT}"
  sso_connector_id = var.ids[count.index]
}}
output "sizes" {{
  value = [for c in data.cloudflare_sso_connector.each : length(c.verification.code)]
}}
"#
    );
    for tf in Terraform::all() {
        let mut ws = Workspace::new(&main_tf);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        let marker = format!("many-{}", tf.label.replace(' ', "-"));
        ws.set_env("HOSTILE_API_MARKER", &marker);
        let ids_var = format!("ids={}", serde_json::to_string(&ids).expect("ids"));
        let label = "40 connectors of 1 MiB each";
        let (plan, peak_kib) = provider_peak_rss(&marker, || {
            run(
                &tf,
                &ws,
                &["plan", "-input=false", "-no-color", "-var", &ids_var],
                label,
            )
        });
        assert!(plan.ok, "{label}: {}", plan.all());
        assert_bounded_rss(&tf, label, peak_kib);
    }
}

// ---------------------------------------------------------------------------
// 3. Waits bounded by read_timeout

#[test]
fn a_server_asking_for_a_long_wait_ends_the_read_at_once() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        api.add_faults(
            r#"[{"status": 429, "headers": {"Retry-After": "1800", "Ratelimit": "\"default\";r=0;t=100000", "Ratelimit-Policy": "\"default\";q=1200;w=300"}}]"#,
        );
        let ws = workspace(&api, "");
        let label = "429 asking for 1800 s";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API rate limit reached",
            &[
                "Cloudflare asked to wait 1800 s before the next attempt",
                "of read_timeout (360 s) remained, so the read stopped at once",
                "CLOUDFLARE_READ_TIMEOUT",
            ],
        );
        assert_eq!(api.request_count(), 1, "{label}: no retry");
        eprintln!("{label} ({}): failed after {:.1} s", tf.label, plan.seconds);
    }
}

#[test]
fn retries_and_budget_waits_stop_at_read_timeout() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        api.add_faults(r#"[{"status": 503, "headers": {"Retry-After": "2"}}]"#);
        let ws = workspace(&api, "read_timeout = 5");
        let label = "503 with Retry-After 2 and read_timeout 5";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API error",
            &[
                "Cloudflare asked to wait 2.0 s",
                "of read_timeout (5.0 s) remained",
            ],
        );
        assert_eq!(api.request_count(), 3, "{label}: attempts at 0, 2 and 4 s");

        let budget = FakeApi::start();
        budget.add_faults(
            r#"[{"headers": {"Ratelimit": "\"default\";r=0;t=15", "Ratelimit-Policy": "\"default\";q=100;w=15"}}]"#,
        );
        let mut ws = Workspace::new(&format!(
            r#"{REQUIRED_PROVIDERS}
provider "cloudflare" {{
  read_timeout = 3
}}
data "cloudflare_sso_connector" "first" {{
  account_id       = "{ACCOUNT}"
  sso_connector_id = "{CONNECTOR}"
}}
data "cloudflare_sso_connectors" "then" {{
  account_id = "{ACCOUNT}"
  depends_on = [data.cloudflare_sso_connector.first]
}}
"#
        ));
        ws.set_env("CLOUDFLARE_BASE_URL", &budget.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        let label = "a spent budget and read_timeout 3";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API read would wait past read_timeout",
            &[
                "request budget for these credentials is spent until its window resets in",
                "of read_timeout (3.0 s) remained",
            ],
        );
        assert_eq!(
            budget.request_count(),
            1,
            "{label}: the second read never went"
        );
    }
}

// ---------------------------------------------------------------------------
// 4. A body that arrives slowly

#[test]
fn a_slow_body_is_retried_as_a_timeout() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        api.add_faults(r#"[{"kind": "slow_body", "delay_ms": 4000}]"#);
        let ws = workspace(&api, "request_timeout = 1\n  max_retries = 2");
        let label = "a body slower than request_timeout";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API request timed out",
            &["Gave up after 3 attempts"],
        );
        assert!(!plan.err.contains("compress"), "{label}: {}", plan.err);
        assert_eq!(api.request_count(), 3, "{label}");
    }
}

// ---------------------------------------------------------------------------
// 5. Secrets in base_url

const URL_SECRET: &str = "prx9Key0123456789abcdefSECRET";

#[test]
fn a_secret_in_base_url_is_never_shown() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = workspace(&api, "");
        ws.set_env(
            "CLOUDFLARE_BASE_URL",
            &format!("{}?token={URL_SECRET}", api.url),
        );
        let label = "a token in CLOUDFLARE_BASE_URL's query string";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Invalid base_url",
            &[
                "CLOUDFLARE_BASE_URL",
                "must not have a query string or fragment",
            ],
        );
        assert_no_pieces(&plan.all(), &[URL_SECRET], label);

        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = closed.local_addr().expect("address").port();
        drop(closed);
        let mut ws = workspace(&api, "max_retries = 0");
        ws.set_env(
            "CLOUDFLARE_BASE_URL",
            &format!("http://127.0.0.1:{port}/{URL_SECRET}/client/v4"),
        );
        ws.set_env("TF_LOG_PROVIDER", "debug");
        let label = "a key in base_url's path";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Could not connect to the Cloudflare API",
            &[&format!(
                "GET http://127.0.0.1:{port}/…/client/v4/accounts/"
            )],
        );
        assert!(
            plan.err.contains("provider configured"),
            "{label}: no debug log\n{}",
            plan.err
        );
        assert_no_pieces(&plan.all(), &[URL_SECRET], label);
    }
}

// ---------------------------------------------------------------------------
// 6. Server text bounded and cleaned

#[test]
fn floods_of_server_text_and_terminal_escapes_are_bounded_and_cleaned() {
    let huge = "m".repeat(3 << 20);
    let many = vec![r#"{"code":1,"message":"no"}"#; 120_000].join(",");
    let cases = [
        (
            "a 3 MiB message",
            format!(r#"{{"success":false,"errors":[{{"code":1,"message":"{huge}"}}]}}"#),
            "…",
        ),
        (
            "120,000 errors",
            format!(r#"{{"success":false,"errors":[{many}]}}"#),
            "and 119995 more errors",
        ),
        (
            "terminal escapes",
            r#"{"success":false,"errors":[{"code":1,"message":"\u001b[2J\u001b[H\u001b[32mApply complete! Resources: 0 added\u0007\r"}]}"#.to_string(),
            "Apply complete! Resources: 0 added",
        ),
    ];
    for tf in Terraform::all() {
        for (what, body, says) in &cases {
            let api = FakeApi::start();
            let rule = serde_json::json!([{"status": 400, "body": body}]);
            api.add_faults(&rule.to_string());
            let ws = workspace(&api, "");
            let plan = terraform_plan(&tf, &ws, what);
            assert!(!plan.ok, "{what}: should fail");
            assert!(
                one_line(&plan.err).contains(says),
                "{what}: {says:?} missing\n{}",
                &plan.err[..plan.err.len().min(4000)]
            );
            assert!(
                plan.err.len() < 64 << 10,
                "{what}: {} bytes of stderr",
                plan.err.len()
            );
            assert!(
                !plan.err.contains('\u{1b}') && !plan.err.contains('\u{7}'),
                "{what}: control characters reached the terminal"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 7. Lists that end short, repeat pages or hold duplicates

#[test]
fn doubtful_lists_are_warned_about() {
    let connector =
        |id: &str| serde_json::json!({"id": id, "email_domain": "example.com", "enabled": true});
    let page = |page: u64, ids: &[&str], total_pages: u64| {
        serde_json::json!({
            "success": true, "errors": [], "messages": [],
            "result": ids.iter().map(|id| connector(id)).collect::<Vec<_>>(),
            "result_info": {"page": page, "per_page": 2, "count": ids.len(), "total_count": 6, "total_pages": total_pages},
        })
    };
    let a = "a".repeat(32);
    let b = "b".repeat(32);
    let c = "c".repeat(32);
    let cases = [
        (
            "a repeated page",
            vec![
                ("page=1&", page(1, &[&a, &b], 3)),
                ("page=2&", page(2, &[&a, &b], 3)),
            ],
            vec![
                "ended with 2 connectors, but the API counted 6",
                "Page 2 held only connectors of earlier pages",
                "2 connectors more than once",
            ],
        ),
        (
            "total_pages 0 with items",
            vec![
                ("page=1&", page(1, &[&a, &b], 0)),
                ("page=2&", page(2, &[&c], 0)),
            ],
            vec!["ended with 3 connectors, but the API counted 6"],
        ),
    ];
    for tf in Terraform::all() {
        for (what, pages, says) in &cases {
            let api = FakeApi::start();
            for (path, json) in pages {
                let rule = serde_json::json!([{"path_contains": format!("sso_connectors?{path}"), "json": json}]);
                api.add_faults(&rule.to_string());
            }
            let ws = list_workspace(
                &api,
                r#"output "ids" { value = [for c in data.cloudflare_sso_connectors.all.result : c.id] }"#,
            );
            let plan = terraform_plan(&tf, &ws, what);
            assert!(
                plan.ok,
                "{what}: a doubtful list is a warning, not an error\n{}",
                plan.all()
            );
            let all = one_line(&plan.all());
            assert!(
                all.contains("Warning: SSO connector list may be incomplete"),
                "{what}\n{all}"
            );
            for part in says {
                assert!(all.contains(part), "{what}: {part:?} missing\n{all}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 8. Wrong data

#[test]
fn another_connector_or_an_impossible_date_is_an_error_at_the_attribute() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let other = "f".repeat(32);
        let rule = serde_json::json!([{
            "path_contains": connector_path(),
            "json": {"success": true, "errors": [], "result": {"id": other, "email_domain": "evil.example"}},
        }]);
        api.add_faults(&rule.to_string());
        let ws = workspace(&api, "");
        let label = "an answer for another connector";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare answered with another SSO connector",
            &[&format!("returned the connector \"{other}\" instead")],
        );

        for (date, why) in [
            (
                "2025-02-30T00:00:00Z",
                "month 02 of 2025 has 28 days, not 30",
            ),
            ("0000-00-00", "is not an RFC 3339 timestamp"),
        ] {
            let api = FakeApi::start();
            let rule = serde_json::json!([{
                "path_contains": connector_path(),
                "json": {"success": true, "errors": [], "result": {"id": CONNECTOR, "created_on": date}},
            }]);
            api.add_faults(&rule.to_string());
            let ws = workspace(&api, "");
            let label = format!("created_on {date}");
            let plan = terraform_plan(&tf, &ws, &label);
            assert_failed(
                &plan,
                &label,
                "Invalid timestamp from the Cloudflare API",
                &["The API's answer gives created_on as", why],
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 10, 11, 12, 14. Hostile configurations

#[test]
fn tiny_rates_unreadable_variables_and_bad_emails_fail_validation_with_no_request() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, "rate_limit = 1e-20");
        let label = "rate_limit = 1e-20";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Invalid rate_limit",
            &["0 or a number from 0.01 to 1000"],
        );
        assert_eq!(
            plan.err.matches("Error: Invalid rate_limit").count(),
            1,
            "{label}: reported more than once\n{}",
            plan.err
        );

        let ws = workspace(&api, "");
        let mut command = ws.command(&tf, &["plan", "-input=false", "-no-color"]);
        command.env(
            "CLOUDFLARE_API_TOKEN",
            std::ffi::OsStr::from_bytes(b"cfut_\xff\xfe-not-text"),
        );
        let output = command.output().expect("run terraform");
        let err = one_line(&String::from_utf8_lossy(&output.stderr));
        assert!(!output.status.success(), "a non-UTF-8 token must fail");
        assert!(
            err.contains("Error: Unreadable environment variable"),
            "{err}"
        );
        assert!(
            err.contains("CLOUDFLARE_API_TOKEN is set, but not to valid UTF-8 text"),
            "{err}"
        );

        let ws = workspace(
            &api,
            "api_key = \"cfk_0123456789abcdef0123456789abcdef\"\n  email = \"ops.example.com\"",
        );
        let label = "an email without @";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Invalid email",
            &["email is not an email address"],
        );

        let mut ws = Workspace::new(&format!(
            r#"{REQUIRED_PROVIDERS}
variable "account" {{
  type      = string
  sensitive = true
}}
data "cloudflare_sso_connector" "this" {{
  account_id       = var.account
  sso_connector_id = "{CONNECTOR}"
}}
"#
        ));
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        let secret_id = "5ec4e7acc0un7";
        let label = "a sensitive account id of 13 characters";
        let plan = run(
            &tf,
            &ws,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-var",
                &format!("account={secret_id}"),
            ],
            label,
        );
        assert_failed(
            &plan,
            label,
            "Invalid Cloudflare identifier",
            &["the value has 13"],
        );
        assert!(
            !plan.all().contains(secret_id),
            "{label}: the value was echoed\n{}",
            plan.all()
        );

        api.add_faults(r#"[{"status": 304}]"#);
        let ws = workspace(&api, "");
        let label = "304 Not Modified";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Unexpected answer from the Cloudflare API",
            &["304 Not Modified"],
        );
        assert!(!plan.err.contains("redirect"), "{label}: {}", plan.err);
        assert_eq!(
            api.request_count(),
            1,
            "{label}: only the 304 reached the API"
        );
    }
}

// ---------------------------------------------------------------------------
// account_id optional, as in the official provider

#[test]
fn account_id_may_come_from_the_environment_and_is_required_from_one_of_the_two() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = Workspace::new(&connector_config("", ""));
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        let label = "no account_id and no CLOUDFLARE_ACCOUNT_ID";
        let plan = terraform_plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Missing account_id",
            &["Set account_id in the data source, or the CLOUDFLARE_ACCOUNT_ID environment variable"],
        );
        assert!(plan.err.contains("account_id"), "{label}");
        assert_eq!(api.request_count(), 0, "{label}: no request");

        ws.set_env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT);
        let (_, outputs) = ws.apply_and_output(&tf, &[]);
        assert_eq!(outputs["email_domain"]["value"], "example.com", "{outputs}");
        assert_eq!(outputs["account_id"]["value"], ACCOUNT, "{outputs}");
        eprintln!(
            "account_id from CLOUDFLARE_ACCOUNT_ID ({}): apply and output passed",
            tf.label
        );
    }
}
