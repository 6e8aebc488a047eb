//! This provider beside the official one, through real Terraform: the
//! `examples/beside-official` configuration with this provider installed by
//! `scripts/install.sh --source terraform.internal/cfsso/cloudflare` and, under
//! the official address `registry.terraform.io/cloudflare/cloudflare` at a 5.x
//! version, a stand-in for the official provider (this provider's own binary),
//! each talking to its own fake API. `terraform init` may use nothing but the
//! filesystem mirror; each data source must read from its own provider's API
//! only; switching a data source between the two moves nothing but the reads.

use std::fs;
use std::path::Path;

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::mirror::{
    install_binary, offline_cli_config, repo, OFFICIAL_ADDRESS, RECOMMENDED_ADDRESS,
    STAND_IN_VERSION, VERSION,
};
use crate::support::terraform::{Terraform, Workspace};
use serde_json::Value;

/// The email domain the official provider's API reports for [`CONNECTOR`].
const OFFICIAL_DOMAIN: &str = "official.example.com";

/// The paths of the API requests `api` received, then forgets them.
fn take_request_paths(api: &FakeApi) -> Vec<String> {
    let requests = api.requests();
    api.reset_requests();
    requests["requests"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|r| r["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Points each provider at its own API with an override file, leaving the example as it is.
fn point_providers_at(ws: &Workspace, official: &FakeApi, ours: &FakeApi) {
    fs::write(
        ws.path("fake_apis_override.tf"),
        format!(
            "provider \"cloudflare\" {{\n  base_url = \"{}\"\n}}\n\nprovider \"cfsso\" {{\n  base_url = \"{}\"\n}}\n",
            official.url, ours.url
        ),
    )
    .expect("write override file");
}

fn apply(tf: &Terraform, ws: &Workspace) -> Value {
    let out = ws.run_ok_for_connector(tf, &["apply", "-input=false", "-no-color", "-auto-approve"]);
    assert!(
        out.contains("Resources: 0 added, 0 changed, 0 destroyed."),
        "{}: data sources only, nothing to change\n{out}",
        tf.label
    );
    serde_json::from_str(&ws.run_ok(tf, &["output", "-json", "-no-color"])).expect("outputs")
}

/// The provider that read `data.<type>.<name>`, from the state.
fn state_provider(tf: &Terraform, ws: &Workspace, address: &str) -> String {
    let show: Value =
        serde_json::from_str(&ws.run_ok(tf, &["show", "-json", "-no-color"])).expect("show -json");
    show["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == address))
        .and_then(|r| r["provider_name"].as_str())
        .unwrap_or_else(|| panic!("{}: {address} is not in the state: {show}", tf.label))
        .to_string()
}

fn build_mirror(mirror: &Path) {
    install_binary(mirror, RECOMMENDED_ADDRESS, None);
    install_binary(mirror, OFFICIAL_ADDRESS, Some(STAND_IN_VERSION));
}

#[test]
fn both_providers_install_from_the_mirror_and_each_reads_only_its_own_api() {
    let mirror = tempfile::tempdir().expect("temp dir");
    build_mirror(mirror.path());
    let example = fs::read_to_string(repo().join("examples/beside-official/main.tf"))
        .expect("examples/beside-official/main.tf");

    for tf in Terraform::all() {
        let ours = FakeApi::start();
        // Two more connectors than `ours`, and another domain for the shared one.
        let official = FakeApi::start_with(&["--generate", &format!("{ACCOUNT}:2")]);
        let (status, body) = official.control(
            "PATCH",
            &format!("/__control/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}"),
            Some(&format!("{{\"email_domain\": \"{OFFICIAL_DOMAIN}\"}}")),
        );
        assert!(status < 300, "{status} {body}");

        let mut ws = Workspace::new(&example);
        ws.set_cli_config(&offline_cli_config(mirror.path()));
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        point_providers_at(&ws, &official, &ours);

        let init = ws.run_ok(&tf, &["init", "-input=false", "-no-color"]);
        for installed in [
            format!("Installed {RECOMMENDED_ADDRESS} v{VERSION}"),
            format!("Installed cloudflare/cloudflare v{STAND_IN_VERSION}"),
        ] {
            assert!(init.contains(&installed), "{}: {init}", tf.label);
        }
        assert!(!init.contains("overrides"), "{}: {init}", tf.label);
        let lock = fs::read_to_string(ws.path(".terraform.lock.hcl")).expect("lock file");
        for address in [OFFICIAL_ADDRESS, RECOMMENDED_ADDRESS] {
            assert!(
                lock.contains(&format!("provider \"{address}\"")),
                "{}: {lock}",
                tf.label
            );
        }

        let providers = ws.run_ok(&tf, &["providers", "-no-color"]);
        assert!(
            providers.contains(&format!("provider[{OFFICIAL_ADDRESS}] ~> 5.0"))
                && providers.contains(&format!("provider[{RECOMMENDED_ADDRESS}]")),
            "{}: {providers}",
            tf.label
        );

        let outputs = apply(&tf, &ws);
        assert_eq!(outputs["corp_email_domain"]["value"], "example.com");
        assert_eq!(outputs["corp_verified"]["value"], true);
        assert_eq!(outputs["connector_count"]["value"], 5, "{}", tf.label);
        let one = format!("/client/v4/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}");
        let list = format!("/client/v4/accounts/{ACCOUNT}/sso_connectors");
        assert_eq!(take_request_paths(&ours), vec![one.clone()], "{}", tf.label);
        assert_eq!(
            take_request_paths(&official),
            vec![list.clone()],
            "{}",
            tf.label
        );
        assert_eq!(
            state_provider(&tf, &ws, "data.cloudflare_sso_connector.corp"),
            RECOMMENDED_ADDRESS
        );

        // Switch the connector's read to the official provider: nothing to
        // migrate, the next run reads it there and the state follows.
        let switched = example.replace("  provider         = cfsso\n", "");
        assert_ne!(
            switched, example,
            "the example has no provider = cfsso line"
        );
        ws.write_main(&switched);
        let outputs = apply(&tf, &ws);
        assert_eq!(outputs["corp_email_domain"]["value"], OFFICIAL_DOMAIN);
        assert_eq!(ours.request_count(), 0, "{}", tf.label);
        let mut paths = take_request_paths(&official);
        paths.sort();
        assert_eq!(paths, [list, one], "{}", tf.label);
        assert_eq!(
            state_provider(&tf, &ws, "data.cloudflare_sso_connector.corp"),
            OFFICIAL_ADDRESS
        );
    }
}
