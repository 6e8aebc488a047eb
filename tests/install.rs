//! Installation through a filesystem mirror: `scripts/install.sh` puts the
//! binary where Terraform looks, at the Cargo version, and real `terraform
//! init` + `plan` work from that mirror with the CLI configuration the script
//! prints, with no dev_overrides and no registry access.

mod support;

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use support::terraform::{provider_binary, text, Terraform, Workspace};

type TestResult = Result<(), Box<dyn Error>>;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Terraform's name for this machine's platform.
fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

fn install(args: &[&str]) -> Result<Output, Box<dyn Error>> {
    Ok(Command::new("bash")
        .arg(repo().join("scripts/install.sh"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()?)
}

/// Installs the test build into `mirror` with the script; returns the CLI configuration it printed.
fn install_into(mirror: &Path) -> Result<String, Box<dyn Error>> {
    let binary = provider_binary()
        .to_str()
        .ok_or("binary path is not UTF-8")?;
    let dir = mirror.to_str().ok_or("mirror path is not UTF-8")?;
    let output = install(&["--binary", binary, dir])?;
    let (out, err) = text(&output);
    assert!(output.status.success(), "install.sh failed\n{out}\n{err}");
    let start = out
        .find("provider_installation {")
        .ok_or_else(|| format!("install.sh printed no CLI configuration:\n{out}"))?;
    let block = &out[start..];
    let end = block
        .find("\n}\n")
        .ok_or_else(|| format!("unterminated CLI configuration:\n{out}"))?;
    Ok(block[..end + 3].to_string())
}

#[test]
fn install_script_lays_out_the_mirror_at_the_cargo_version() -> TestResult {
    let mirror = tempfile::tempdir()?;
    let config = install_into(mirror.path())?;
    let installed = mirror
        .path()
        .join("registry.terraform.io/cloudflare/cloudflare")
        .join(VERSION)
        .join(platform())
        .join(format!("terraform-provider-cloudflare_v{VERSION}"));
    assert!(installed.is_file(), "{} is missing", installed.display());
    assert_eq!(fs::read(&installed)?, fs::read(provider_binary())?);

    let version = Command::new(&installed).arg("--version").output()?;
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("terraform-provider-cloudflare {VERSION}"),
        "--version must report the Cargo version"
    );

    let cargo_toml = fs::read_to_string(repo().join("Cargo.toml"))?;
    assert!(
        cargo_toml.contains(&format!("\nversion = \"{VERSION}\"\n")),
        "Cargo.toml's package version should be {VERSION}"
    );

    let mirror_path = fs::canonicalize(mirror.path())?;
    assert!(
        config.contains(&format!("path    = \"{}\"", mirror_path.display())),
        "{config}"
    );
    assert!(
        config.contains("include = [\"registry.terraform.io/cloudflare/*\"]"),
        "{config}"
    );
    assert!(!config.contains("dev_overrides"), "{config}");
    Ok(())
}

#[test]
fn install_script_refuses_a_binary_of_another_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let fake = dir.path().join("terraform-provider-cloudflare");
    fs::write(
        &fake,
        "#!/bin/sh\necho terraform-provider-cloudflare 999.0.0\n",
    )?;
    let mut permissions = fs::metadata(&fake)?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    fs::set_permissions(&fake, permissions)?;
    let mirror = dir.path().join("mirror");
    let output = install(&[
        "--binary",
        fake.to_str().ok_or("path is not UTF-8")?,
        mirror.to_str().ok_or("path is not UTF-8")?,
    ])?;
    let (_, err) = text(&output);
    assert!(!output.status.success());
    assert!(err.contains("999.0.0") && err.contains(VERSION), "{err}");
    assert!(!mirror.join("registry.terraform.io").exists());
    Ok(())
}

#[test]
fn terraform_init_and_plan_use_the_mirror_without_dev_overrides() -> TestResult {
    let mirror = tempfile::tempdir()?;
    let cli_config = install_into(mirror.path())?;
    let config_file = mirror.path().join("terraform.rc");
    fs::write(&config_file, &cli_config)?;
    let config_path = config_file.to_str().ok_or("path is not UTF-8")?;

    let basic = fs::read_to_string(repo().join("examples/basic/main.tf"))?;
    let pinned = basic.replace(
        "source = \"cloudflare/cloudflare\"",
        &format!("source  = \"cloudflare/cloudflare\"\n      version = \"{VERSION}\""),
    );
    assert_ne!(
        basic, pinned,
        "examples/basic/main.tf has no provider source to pin"
    );

    for tf in Terraform::all() {
        let api = FakeApi::start();
        let mut ws = Workspace::new(&pinned);
        ws.set_env("TF_CLI_CONFIG_FILE", config_path);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);

        let init = ws.run(&tf, &["init", "-input=false", "-no-color"]);
        let (out, err) = text(&init);
        assert!(
            init.status.success(),
            "{}: init failed\n{out}\n{err}",
            tf.label
        );
        assert!(
            out.contains(&format!("Installed cloudflare/cloudflare v{VERSION}")),
            "{}: {out}",
            tf.label
        );
        assert!(
            !out.contains("overrides") && !err.contains("overrides"),
            "{}: dev_overrides must not be in play\n{out}\n{err}",
            tf.label
        );
        let lock = fs::read_to_string(ws.path(".terraform.lock.hcl"))?;
        assert!(
            lock.contains("provider \"registry.terraform.io/cloudflare/cloudflare\"")
                && lock.lines().any(|l| l.trim_start().starts_with("version")
                    && l.trim_end().ends_with(&format!("= \"{VERSION}\""))),
            "{}: {lock}",
            tf.label
        );

        let account = format!("account_id={ACCOUNT}");
        let connector = format!("sso_connector_id={CONNECTOR}");
        let plan = ws.run(
            &tf,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-var",
                &account,
                "-var",
                &connector,
            ],
        );
        let (out, err) = text(&plan);
        assert!(
            plan.status.success(),
            "{}: plan failed\n{out}\n{err}",
            tf.label
        );
        assert!(
            out.contains("data.cloudflare_sso_connector.this: Read complete"),
            "{}: {out}",
            tf.label
        );
        assert!(
            out.lines()
                .any(|l| l.contains("+ verified") && l.trim_end().ends_with("= true")),
            "{}: {out}",
            tf.label
        );
        assert!(api.request_count() >= 1, "{}: no API request", tf.label);
    }
    Ok(())
}
