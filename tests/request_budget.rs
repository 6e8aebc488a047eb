//! Cloudflare's shared request budget through real Terraform (every version
//! found), with default provider settings, against a fake API that enforces
//! a quota per window and blocks everything after a request over it: a plan
//! within the budget goes at full speed; a budget mostly spent by others, or
//! shared by two Terraform runs at once, is spent without a single 429; a
//! read that waits long says why; and without the headers a plan still
//! succeeds. Windows are seconds long so the suite runs in minutes.

use std::thread;
use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, TOKEN};
use crate::support::terraform::{text, Terraform, Workspace};

/// The account the fake API fills with generated connectors.
const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// The id of generated connector `index`.
fn generated(index: usize) -> String {
    format!("fe{index:030x}")
}

/// A configuration reading connectors `range` of [`ACCOUNT`], one data source
/// each (by `count`: Terraform plans 1,000 `for_each` instances keyed by id
/// some 30 times slower, which would drown what is measured).
fn reading(range: std::ops::Range<usize>) -> String {
    let ids: Vec<String> = range.map(|i| format!("\"{}\"", generated(i))).collect();
    format!(
        r#"
terraform {{
  required_providers {{
    cloudflare = {{ source = "cloudflare/cloudflare" }}
  }}
}}

locals {{
  ids = [{}]
}}

data "cloudflare_sso_connector" "each" {{
  count            = length(local.ids)
  account_id       = "{ACCOUNT}"
  sso_connector_id = local.ids[count.index]
}}

output "read" {{
  value = length([for c in data.cloudflare_sso_connector.each : c.email_domain if c.email_domain != null])
}}
"#,
        ids.join(", ")
    )
}

/// Starts the fake API with `count` generated connectors and `budget` flags.
fn fake_api(count: usize, budget: &[&str]) -> FakeApi {
    let generate = format!("{ACCOUNT}:{count}");
    let mut args = vec!["--quiet", "--generate", &generate];
    args.extend_from_slice(budget);
    FakeApi::start_with(&args)
}

/// What one plan did.
struct Planned {
    ok: bool,
    took: Duration,
    out: String,
    err: String,
    log: String,
}

/// Runs `terraform plan` on `main_tf` against `api` with default provider
/// settings and the provider's log at INFO.
fn plan(tf: &Terraform, api: &FakeApi, main_tf: &str) -> Planned {
    let mut ws = Workspace::new(main_tf);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    let log = ws.path("provider.log");
    ws.set_env("TF_LOG_PROVIDER", "info");
    ws.set_env("TF_LOG_PATH", &log.display().to_string());
    let started = Instant::now();
    let output = ws.run(tf, &["plan", "-input=false", "-no-color"]);
    let took = started.elapsed();
    let (out, err) = text(&output);
    Planned {
        ok: output.status.success(),
        took,
        out,
        err,
        log: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}

/// The answers 429 the fake API served.
fn served_429(api: &FakeApi) -> u64 {
    api.requests()["served_429"].as_u64().unwrap_or(u64::MAX)
}

fn assert_planned(planned: &Planned, label: &str, reads: usize) {
    assert!(
        planned.ok,
        "{label}: plan failed\n{}\n{}",
        planned.out, planned.err
    );
    assert!(
        planned.out.contains(&format!("read = {reads}")),
        "{label}: not every connector was read\n{}",
        planned.out
    );
}

/// Line count of the provider's log lines holding `text`.
fn log_lines(log: &str, text: &str) -> usize {
    log.lines().filter(|line| line.contains(text)).count()
}

const PACING_STARTED: &str = "Cloudflare API budget running low";

/// Runs `case` for every Terraform at once, each in a thread of its own (the
/// cases mostly wait for windows to pass), and fails if any failed.
fn with_every_terraform_at_once(case: impl Fn(Terraform) + Send + Clone + 'static) {
    let runs: Vec<_> = Terraform::all()
        .into_iter()
        .map(|tf| {
            let case = case.clone();
            thread::spawn(move || case(tf))
        })
        .collect();
    for run in runs {
        run.join().expect("a Terraform run failed");
    }
}

#[test]
fn a_thousand_reads_within_the_budget_go_at_full_speed() {
    let main_tf = reading(0..1000);
    for tf in Terraform::all() {
        let off = fake_api(1000, &["--no-ratelimit-headers", "--quota", "1000000"]);
        let free = plan(&tf, &off, &main_tf);
        assert_planned(&free, "pacing off", 1000);

        let api = fake_api(1000, &["--quota", "1200", "--window", "300"]);
        let budgeted = plan(&tf, &api, &main_tf);
        assert_planned(&budgeted, "quota 1200 per 300 s", 1000);
        assert_eq!(served_429(&api), 0, "{}: a 429 was served", tf.label);
        assert_eq!(api.request_count(), 1000, "{}", tf.label);
        assert_eq!(
            log_lines(&budgeted.log, PACING_STARTED),
            0,
            "{}: 1,000 of 1,200 must go without pacing",
            tf.label
        );
        eprintln!(
            "(a) {}: 1,000 distinct ids, quota 1200/300 s: {:.1} s; pacing off: {:.1} s; ratio {:.2}",
            tf.label,
            budgeted.took.as_secs_f64(),
            free.took.as_secs_f64(),
            budgeted.took.as_secs_f64() / free.took.as_secs_f64()
        );
    }
}

#[test]
fn a_budget_mostly_spent_by_others_is_shared_without_a_429() {
    let main_tf = reading(0..150);
    with_every_terraform_at_once(move |tf| {
        let api = fake_api(
            150,
            &[
                "--quota", "100", "--window", "15", "--spent", "70", "--block", "60",
            ],
        );
        let planned = plan(&tf, &api, &main_tf);
        assert_planned(&planned, &tf.label, 150);
        assert_eq!(served_429(&api), 0, "{}: a 429 was served", tf.label);
        assert_eq!(api.request_count(), 150, "{}", tf.label);
        assert!(
            log_lines(&planned.log, PACING_STARTED) >= 1,
            "{}: the budget never paced\n{}",
            tf.label,
            planned.log
        );
        eprintln!(
            "(b) {}: 150 ids against 100 per 15 s with 70 spent: {:.1} s ({:.1} windows), no 429",
            tf.label,
            planned.took.as_secs_f64(),
            planned.took.as_secs_f64() / 15.0
        );
    });
}

#[test]
fn two_terraform_runs_share_one_budget_without_a_429() {
    with_every_terraform_at_once(|tf| {
        let api = std::sync::Arc::new(fake_api(
            200,
            &["--quota", "120", "--window", "15", "--block", "60"],
        ));
        let started = Instant::now();
        let runs: Vec<_> = [0..100, 100..200]
            .into_iter()
            .map(|range| {
                let api = std::sync::Arc::clone(&api);
                let tf = tf.clone();
                let main_tf = reading(range);
                thread::spawn(move || plan(&tf, &api, &main_tf))
            })
            .collect();
        for run in runs {
            let planned = run.join().expect("run");
            assert_planned(&planned, &tf.label, 100);
        }
        let took = started.elapsed();
        assert_eq!(served_429(&api), 0, "{}: a 429 was served", tf.label);
        assert_eq!(api.request_count(), 200, "{}", tf.label);
        eprintln!(
            "(c) {}: two plans of 100 ids at once against 120 per 15 s: {:.1} s, no 429",
            tf.label,
            took.as_secs_f64()
        );
    });
}

#[test]
fn without_the_headers_a_plan_rides_out_the_block() {
    let main_tf = reading(0..150);
    with_every_terraform_at_once(move |tf| {
        let api = fake_api(
            150,
            &[
                "--quota",
                "100",
                "--window",
                "15",
                "--block",
                "15",
                "--no-ratelimit-headers",
            ],
        );
        let planned = plan(&tf, &api, &main_tf);
        assert_planned(&planned, &tf.label, 150);
        eprintln!(
            "(d) {}: 150 ids against 100 per 15 s without headers: {:.1} s, {} answers 429",
            tf.label,
            planned.took.as_secs_f64(),
            served_429(&api)
        );
    });
}

#[test]
fn a_read_that_waits_long_for_the_budget_says_why_and_still_succeeds() {
    let main_tf = reading(0..3);
    with_every_terraform_at_once(move |tf| {
        // 10 left of 30 is under the reserve (15): after the first
        // read the others wait for the window to reset, 40 s after
        // the fake API started.
        let api = fake_api(3, &["--quota", "30", "--window", "40", "--spent", "20"]);
        let planned = plan(&tf, &api, &main_tf);
        assert_planned(&planned, &tf.label, 3);
        let all = planned.out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            all.contains("Warning: Waited for Cloudflare's API budget"),
            "{}: no warning\n{}",
            tf.label,
            planned.out
        );
        assert!(
            all.contains("30 requests per 40 s, shared by every client of this user"),
            "{}: {all}",
            tf.label
        );
        assert!(
            log_lines(
                &planned.log,
                "waited more than 5 s for Cloudflare's API budget"
            ) >= 1,
            "{}: no WARN line\n{}",
            tf.label,
            planned.log
        );
        assert_eq!(served_429(&api), 0, "{}", tf.label);
    });
}
