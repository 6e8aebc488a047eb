//! The examples under `examples/` and the Terraform snippets in `docs/`, under
//! real Terraform (every version `Terraform::all()` finds): each validates, and
//! each runs against the fake API as `scripts/demo.sh` runs it, including the
//! drift check failing and passing with the exit codes its README documents.

use std::error::Error;
use std::fs;
use std::path::PathBuf;
use std::process::Output;

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::mirror::RECOMMENDED_ADDRESS;
use crate::support::terraform::{text, Terraform, Workspace};

type TestResult = Result<(), Box<dyn Error>>;

/// A disabled connector with verification "pending" in the fake API's seed data.
const DISABLED_CONNECTOR: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// What an example or snippet needs to find this provider when it has no
/// `required_providers` of its own (otherwise `cloudflare` means `hashicorp/cloudflare`).
const REQUIRED_PROVIDERS: &str =
    "terraform {\n  required_providers {\n    cloudflare = {\n      source = \"cloudflare/cloudflare\"\n    }\n  }\n}\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example directory, by name, sorted.
fn examples() -> Result<Vec<String>, Box<dyn Error>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(repo().join("examples"))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// A workspace for `main_tf` where the built provider also serves the
/// address recommended beside the official provider.
fn workspace(main_tf: &str) -> Workspace {
    let ws = Workspace::new(main_tf);
    ws.override_address(RECOMMENDED_ADDRESS);
    ws
}

/// A workspace holding every `.tf` file of `examples/<name>`.
fn example_workspace(name: &str) -> Result<Workspace, Box<dyn Error>> {
    let dir = repo().join("examples").join(name);
    let ws = workspace(&fs::read_to_string(dir.join("main.tf"))?);
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "tf") {
            if let Some(file) = path.file_name() {
                fs::copy(&path, ws.work_dir().join(file))?;
            }
        }
    }
    Ok(ws)
}

/// An example workspace whose provider talks to `api`.
fn against(api: &FakeApi, name: &str) -> Result<Workspace, Box<dyn Error>> {
    let mut ws = example_workspace(name)?;
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    Ok(ws)
}

fn describe(tf: &Terraform, what: &str, output: &Output) -> String {
    let (out, err) = text(output);
    format!(
        "{}: {what} exited with {:?}\n--- stdout\n{out}\n--- stderr\n{err}",
        tf.label,
        output.status.code()
    )
}

#[test]
fn every_example_is_a_complete_root_module_with_a_readme_run_by_the_demo() -> TestResult {
    let names = examples()?;
    for wanted in [
        "basic",
        "list",
        "drift-check",
        "for-each",
        "beside-official",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "examples/{wanted} is missing"
        );
    }
    let demo = fs::read_to_string(repo().join("scripts/demo.sh"))?;
    let default_list = demo
        .lines()
        .find(|l| l.contains("|| examples=("))
        .ok_or("scripts/demo.sh has no default example list")?;
    for name in &names {
        let dir = repo().join("examples").join(name);
        let main = fs::read_to_string(dir.join("main.tf"))?;
        assert!(
            main.lines().any(|l| l.trim_start().starts_with("source")
                && l.trim_end().ends_with("= \"cloudflare/cloudflare\"")),
            "examples/{name}/main.tf must declare the provider source in required_providers"
        );
        let readme = fs::read_to_string(dir.join("README.md"))
            .map_err(|e| format!("examples/{name}/README.md: {e}"))?;
        assert!(
            readme.starts_with("# Example: "),
            "examples/{name}/README.md should start with a \"# Example: …\" title"
        );
        assert!(
            default_list.contains(name.as_str()),
            "scripts/demo.sh does not run examples/{name}: {default_list}"
        );
    }
    Ok(())
}

#[test]
fn every_example_passes_terraform_validate() -> TestResult {
    let terraforms = Terraform::all();
    for name in examples()? {
        let ws = example_workspace(&name)?;
        for tf in &terraforms {
            let validate = ws.run(tf, &["validate", "-no-color"]);
            assert!(
                validate.status.success(),
                "{}",
                describe(
                    tf,
                    &format!("terraform validate of examples/{name}"),
                    &validate
                )
            );
        }
        if let Some(tf) = terraforms.first() {
            let fmt = ws.run(tf, &["fmt", "-check", "-diff", "-no-color"]);
            assert!(
                fmt.status.success(),
                "{}",
                describe(
                    tf,
                    &format!("terraform fmt -check of examples/{name}"),
                    &fmt
                )
            );
        }
    }
    Ok(())
}

/// The fenced `terraform` blocks of a Markdown file.
fn terraform_snippets(markdown: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_start() == "```terraform" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_start() == "```" => snippets.extend(current.take()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    snippets
}

#[test]
fn every_terraform_snippet_in_the_docs_passes_terraform_validate() -> TestResult {
    let terraforms = Terraform::all();
    let mut pages = vec![repo().join("docs/index.md")];
    for entry in fs::read_dir(repo().join("docs/data-sources"))? {
        pages.push(entry?.path());
    }
    let mut validated = 0;
    for page in pages {
        for (index, snippet) in terraform_snippets(&fs::read_to_string(&page)?)
            .into_iter()
            .enumerate()
        {
            let module = if snippet.contains("required_providers") {
                snippet
            } else {
                format!("{REQUIRED_PROVIDERS}\n{snippet}")
            };
            let ws = workspace(&module);
            for tf in &terraforms {
                let validate = ws.run(tf, &["validate", "-no-color"]);
                assert!(
                    validate.status.success(),
                    "{}\n--- snippet\n{module}",
                    describe(
                        tf,
                        &format!("validate of snippet {} in {}", index + 1, page.display()),
                        &validate
                    )
                );
            }
            validated += 1;
        }
    }
    assert!(validated >= 4, "only {validated} snippets found in docs/");
    Ok(())
}

/// Sets fields of the watched connector through the fake API's control API.
fn drift(api: &FakeApi, patch: &str) {
    let (status, body) = api.control(
        "PATCH",
        &format!("/__control/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}"),
        Some(patch),
    );
    assert!(status < 300, "PATCH {patch} failed: {status} {body}");
}

/// `terraform plan -detailed-exitcode` of the drift-check example with `extra` arguments.
fn drift_plan(tf: &Terraform, ws: &Workspace, extra: &[&str]) -> Output {
    let account = format!("account_id={ACCOUNT}");
    let connector = format!("sso_connector_id={CONNECTOR}");
    let mut args = vec![
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        "-var",
        &account,
        "-var",
        &connector,
    ];
    args.extend_from_slice(extra);
    ws.run(tf, &args)
}

fn assert_exit(tf: &Terraform, what: &str, output: &Output, code: i32, needles: &[&str]) {
    let (out, err) = text(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        describe(tf, what, output)
    );
    for needle in needles {
        assert!(
            out.contains(needle) || err.contains(needle),
            "{}: {what}: expected {needle:?} in the output\n{out}\n{err}",
            tf.label
        );
    }
}

/// The statuses of the check block in a saved plan's JSON form.
fn check_block_status(
    tf: &Terraform,
    ws: &Workspace,
    plan_file: &str,
) -> Result<String, Box<dyn Error>> {
    let show = ws.run(tf, &["show", "-json", "-no-color", plan_file]);
    assert!(
        show.status.success(),
        "{}",
        describe(tf, "show -json", &show)
    );
    let json: serde_json::Value = serde_json::from_slice(&show.stdout)?;
    let checks = json["checks"]
        .as_array()
        .ok_or("no checks in the plan JSON")?;
    let check = checks
        .iter()
        .find(|c| c["address"]["to_display"] == "check.sso_connector_healthy")
        .ok_or("check.sso_connector_healthy is not in the plan JSON")?;
    Ok(check["status"].as_str().unwrap_or_default().to_string())
}

#[test]
fn drift_check_fails_the_plan_on_drift_and_passes_once_repaired() -> TestResult {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = against(&api, "drift-check")?;

        let healthy = drift_plan(&tf, &ws, &[]);
        assert_exit(&tf, "healthy plan", &healthy, 0, &["No changes."]);
        let (out, err) = text(&healthy);
        assert!(
            !out.contains("Warning: Check block") && !err.contains("Error:"),
            "{}: a healthy plan should have no check warning\n{out}\n{err}",
            tf.label
        );

        drift(&api, r#"{"enabled": false}"#);
        let strict = drift_plan(&tf, &ws, &[]);
        assert_exit(
            &tf,
            "plan of a disabled connector",
            &strict,
            1,
            &["Resource postcondition failed", "is not enabled"],
        );

        let lenient = drift_plan(&tf, &ws, &["-var", "strict=false", "-out=lenient.tfplan"]);
        assert_exit(
            &tf,
            "plan of a disabled connector with strict=false",
            &lenient,
            0,
            &["Check block assertion failed", "is not enabled"],
        );
        assert_eq!(
            check_block_status(&tf, &ws, "lenient.tfplan")?,
            "fail",
            "{}",
            tf.label
        );

        drift(
            &api,
            r#"{"enabled": true, "verification": {"status": "pending"}}"#,
        );
        let pending = drift_plan(&tf, &ws, &[]);
        assert_exit(
            &tf,
            "plan of an unverified connector",
            &pending,
            1,
            &[
                "Resource postcondition failed",
                "\"pending\", not \"verified\"",
            ],
        );

        drift(&api, r#"{"verification": {"status": "verified"}}"#);
        let repaired = drift_plan(&tf, &ws, &["-out=repaired.tfplan"]);
        assert_exit(&tf, "plan after repair", &repaired, 0, &["No changes."]);
        assert_eq!(
            check_block_status(&tf, &ws, "repaired.tfplan")?,
            "pass",
            "{}",
            tf.label
        );
    }
    Ok(())
}

#[test]
fn for_each_reads_every_connector_of_the_map() -> TestResult {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = against(&api, "for-each")?;
        let account = format!("account_id={ACCOUNT}");
        let connectors =
            format!("connectors={{corp = \"{CONNECTOR}\", staging = \"{DISABLED_CONNECTOR}\"}}");
        let (out, json) = ws.apply_and_output(&tf, &["-var", &account, "-var", &connectors]);
        for key in ["corp", "staging"] {
            assert!(
                out.contains(&format!(
                    "data.cloudflare_sso_connector.each[\"{key}\"]: Read complete"
                )),
                "{}: {key} was not read\n{out}",
                tf.label
            );
        }
        let summary = &json["connectors"]["value"];
        assert_eq!(summary["corp"]["enabled"], true, "{}", tf.label);
        assert_eq!(summary["corp"]["status"], "verified");
        assert_eq!(summary["staging"]["enabled"], false);
        assert_eq!(summary["staging"]["status"], "pending");
        assert_eq!(summary["staging"]["email_domain"], "example.com");
        assert_eq!(json["unhealthy"]["value"], serde_json::json!(["staging"]));

        api.reset_requests();
        let bad = format!("connectors={{corp = \"{CONNECTOR}\", typo = \"f1740f3a\"}}");
        let plan = ws.run(
            &tf,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-var",
                &account,
                "-var",
                &bad,
            ],
        );
        assert_exit(
            &tf,
            "plan with a short id",
            &plan,
            1,
            &["Invalid Cloudflare identifier"],
        );
        let requests = api.requests();
        let paths: Vec<&str> = requests["requests"]
            .as_array()
            .map(|r| r.iter().filter_map(|r| r["path"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            paths.iter().all(|p| !p.ends_with("/f1740f3a")),
            "{}: the invalid id must fail before its request: {paths:?}",
            tf.label
        );
    }
    Ok(())
}

#[test]
fn list_reads_every_connector_of_the_account() -> TestResult {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = against(&api, "list")?;
        let account = format!("account_id={ACCOUNT}");
        let (_, json) = ws.apply_and_output(&tf, &["-var", &account]);
        assert_eq!(json["count"]["value"], 3, "{}", tf.label);
        assert_eq!(
            json["email_domains"]["value"][CONNECTOR], "example.com",
            "{}",
            tf.label
        );
        assert_eq!(
            json["not_ready"]["value"],
            serde_json::json!([DISABLED_CONNECTOR, "9a8b7c6d5e4f30211203f4e5d6c7b8a9"]),
            "{}",
            tf.label
        );

        let (_, limited) = ws.apply_and_output(&tf, &["-var", &account, "-var", "max_items=1"]);
        assert_eq!(limited["count"]["value"], 1, "{}", tf.label);
    }
    Ok(())
}

#[test]
fn snippet_extraction_finds_fenced_terraform_blocks_only() {
    let markdown = "text\n```terraform\na = 1\n```\n```sh\nls\n```\n```terraform\nb = 2\n```\n";
    assert_eq!(terraform_snippets(markdown), ["a = 1\n", "b = 2\n"]);
}
