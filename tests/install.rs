//! Installation through a filesystem mirror: `scripts/install.sh` puts the
//! binary where Terraform looks, at the Cargo version, under the default or
//! another source address, and real `terraform init` + `plan` work from that
//! mirror with the CLI configuration the script prints, with no dev_overrides
//! and no registry access. Bad input changes nothing in the mirror.

use std::error::Error;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::fake_api::{FakeApi, TOKEN};
use crate::support::mirror::{
    cli_config_block, install_ok, platform, repo, script, utf8, OFFICIAL_ADDRESS,
    RECOMMENDED_ADDRESS, VERSION,
};
use crate::support::terraform::{provider_binary, text, Terraform, Workspace};

type TestResult = Result<(), Box<dyn Error>>;

/// Installs the test build into `mirror` with the script; returns the CLI configuration it printed.
fn install_into(mirror: &Path) -> String {
    cli_config_block(&install_ok(&[
        "--binary",
        utf8(provider_binary()),
        utf8(mirror),
    ]))
}

#[test]
fn install_script_lays_out_the_mirror_at_the_cargo_version() -> TestResult {
    let mirror = tempfile::tempdir()?;
    let config = install_into(mirror.path());
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
        config.contains(&format!("include = [\"{OFFICIAL_ADDRESS}\"]"))
            && config.contains(&format!("exclude = [\"{OFFICIAL_ADDRESS}\"]")),
        "{config}"
    );
    assert!(!config.contains("dev_overrides"), "{config}");
    Ok(())
}

#[test]
fn install_script_refuses_a_binary_of_another_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let fake = support::mirror::fake_provider(dir.path(), "999.0.0");
    let mirror = dir.path().join("mirror");
    let output = script("install.sh", &["--binary", utf8(&fake), utf8(&mirror)]);
    let (_, err) = text(&output);
    assert!(!output.status.success());
    assert!(err.contains("999.0.0") && err.contains(VERSION), "{err}");
    assert!(!mirror.join("registry.terraform.io").exists());
    Ok(())
}

#[test]
fn terraform_init_and_plan_use_the_mirror_without_dev_overrides() -> TestResult {
    let mirror = tempfile::tempdir()?;
    let cli_config = install_into(mirror.path());
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

        let out = ws.run_ok_for_connector(&tf, &["plan", "-input=false", "-no-color"]);
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

#[test]
fn install_script_installs_under_another_source_address_and_prints_its_configuration() {
    let mirror = tempfile::tempdir().expect("temp dir");
    let printed = support::mirror::install_binary(mirror.path(), RECOMMENDED_ADDRESS, None);
    let installed = mirror
        .path()
        .join(RECOMMENDED_ADDRESS)
        .join(VERSION)
        .join(platform())
        .join(format!("terraform-provider-cloudflare_v{VERSION}"));
    assert!(installed.is_file(), "{} is missing", installed.display());
    assert!(
        !mirror.path().join("registry.terraform.io").exists(),
        "nothing under the default address"
    );

    let config = cli_config_block(&printed);
    assert!(
        config.contains(&format!("include = [\"{RECOMMENDED_ADDRESS}\"]"))
            && config.contains(&format!("exclude = [\"{RECOMMENDED_ADDRESS}\"]")),
        "the mirror serves this address only, and the registry everything else:\n{config}"
    );
    assert!(
        printed.contains(&format!("cfsso = {{ source = \"{RECOMMENDED_ADDRESS}\" }}"))
            && printed.contains("provider = cfsso"),
        "{printed}"
    );

    support::mirror::install_binary(
        mirror.path(),
        OFFICIAL_ADDRESS,
        Some(support::mirror::STAND_IN_VERSION),
    );
    let stand_in = mirror
        .path()
        .join(OFFICIAL_ADDRESS)
        .join(support::mirror::STAND_IN_VERSION)
        .join(platform())
        .join(format!(
            "terraform-provider-cloudflare_v{}",
            support::mirror::STAND_IN_VERSION
        ));
    assert!(stand_in.is_file(), "{} is missing", stand_in.display());
}

/// Every file and directory under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            out.push(
                path.strip_prefix(root)
                    .expect("prefix")
                    .display()
                    .to_string(),
            );
            if path.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Writes a zip holding `member` (a tiny script) at `path` with the release tooling.
fn small_zip(path: &Path, member: &str) {
    let payload = path.with_extension("payload");
    fs::write(&payload, "#!/bin/sh\nexit 0\n").expect("payload");
    let output = Command::new("python3")
        .arg(repo().join("scripts/provider_zip.py"))
        .args(["pack", utf8(path), utf8(&payload), member])
        .output()
        .expect("python3");
    assert!(output.status.success(), "{:?}", text(&output));
}

#[test]
fn install_script_refuses_bad_input_and_leaves_the_mirror_as_it_was() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mirror = dir.path().join("mirror");
    install_into(&mirror);
    let before = listing(&mirror);
    let binary = utf8(provider_binary());

    let zips = dir.path().join("zips");
    fs::create_dir(&zips).expect("zips dir");
    let zip_name = format!("terraform-provider-cloudflare_{VERSION}_{}.zip", platform());
    let member = format!("terraform-provider-cloudflare_v{VERSION}");
    let corrupt = zips.join("corrupt");
    fs::create_dir(&corrupt).expect("dir");
    fs::write(corrupt.join(&zip_name), "not a zip").expect("write");
    let wrong_member = zips.join("wrong-member");
    fs::create_dir(&wrong_member).expect("dir");
    small_zip(&wrong_member.join(&zip_name), "evil");
    let wrong_sum = zips.join("wrong-sum");
    fs::create_dir(&wrong_sum).expect("dir");
    small_zip(&wrong_sum.join(&zip_name), &member);
    fs::write(
        wrong_sum.join(format!(
            "terraform-provider-cloudflare_{VERSION}_SHA256SUMS"
        )),
        format!("{}  {zip_name}\n", "0".repeat(64)),
    )
    .expect("write sums");
    let misnamed = zips.join("provider.zip");
    small_zip(&misnamed, &member);
    let missing = zips.join(&zip_name);

    let corrupt_zip = corrupt.join(&zip_name);
    let wrong_member_zip = wrong_member.join(&zip_name);
    let wrong_sum_zip = wrong_sum.join(&zip_name);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--source", "terraform.internal/cfsso"],
            2,
            "has 2 part(s)",
        ),
        (
            vec!["--source", "terraform.internal/cfsso/cloudflare/x"],
            2,
            "has 4 part(s)",
        ),
        (
            vec!["--source", "terraform.internal/CFSSO/cloudflare"],
            2,
            "upper-case",
        ),
        (
            vec!["--source", "terraform.internal/cf_sso/cloudflare"],
            2,
            "namespace \"cf_sso\"",
        ),
        (
            vec!["--source", "terraform.internal/cfsso/-cloudflare"],
            2,
            "type \"-cloudflare\"",
        ),
        (
            vec![
                "--source",
                "terraform.internal/cfsso/terraform-provider-cloudflare",
            ],
            2,
            "must not start with",
        ),
        (
            vec!["--source", "terraform_internal/cfsso/cloudflare"],
            2,
            "not a valid hostname",
        ),
        (vec!["--source", ""], 2, "--source needs a value"),
        (
            vec!["--binary", binary, "--as-version", "5.x"],
            2,
            "not a version",
        ),
        (
            vec!["--binary", binary, "--debug"],
            2,
            "does not go with --debug",
        ),
        (vec!["--bogus"], 2, "unknown option --bogus"),
        (vec!["--zip", utf8(&missing)], 2, "no such zip file"),
        (
            vec!["--zip", utf8(&misnamed)],
            2,
            "not named like a release zip",
        ),
        (
            vec!["--zip", utf8(&corrupt_zip)],
            1,
            "not a readable zip archive",
        ),
        (vec!["--zip", utf8(&wrong_member_zip)], 1, "holds 'evil'"),
        (
            vec!["--zip", utf8(&wrong_sum_zip)],
            1,
            "does not match its checksum",
        ),
        (
            vec!["--zip", utf8(&wrong_sum_zip), "--binary", binary],
            2,
            "does not go with",
        ),
    ];
    for (mut args, code, needle) in cases {
        if !args.contains(&"--zip") && !args.contains(&"--binary") {
            args.extend(["--binary", binary]);
        }
        args.push(utf8(&mirror));
        let output = script("install.sh", &args);
        let (out, err) = text(&output);
        assert_eq!(output.status.code(), Some(code), "{args:?}\n{out}\n{err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in\n{err}"
        );
        assert!(err.starts_with("install: "), "{args:?}: {err}");
        assert_eq!(listing(&mirror), before, "{args:?} changed the mirror");
    }

    let no_dir = script("install.sh", &["--binary", binary]);
    assert_eq!(no_dir.status.code(), Some(2));
    assert!(text(&no_dir).1.contains("no mirror directory given"));
    let two_dirs = script("install.sh", &["--binary", binary, utf8(&mirror), "other"]);
    assert_eq!(two_dirs.status.code(), Some(2));
    assert!(text(&two_dirs).1.contains("only one directory"));
    let under_a_file = script(
        "install.sh",
        &["--binary", binary, utf8(&zips.join("provider.zip/mirror"))],
    );
    assert_eq!(under_a_file.status.code(), Some(2));
    assert!(text(&under_a_file).1.contains("is not a directory"));
    assert_eq!(listing(&mirror), before);
}

#[test]
fn install_script_refuses_a_directory_it_cannot_write() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().expect("temp dir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).expect("mkdir");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).expect("chmod");
    let target = locked.join("mirror");
    let args = ["--binary", utf8(provider_binary()), utf8(&target)];
    let root = fs::metadata(dir.path()).expect("stat").uid() == 0;
    // Root writes anywhere: try as user nobody, for whom the directory is read-only too.
    let output = if root {
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                "bash",
            ])
            .arg(repo().join("scripts/install.sh"))
            .args(args)
            .env("HOME", dir.path())
            .output()
            .expect("setpriv (util-linux) runs the script as nobody")
    } else {
        script("install.sh", &args)
    };
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("cannot write to"), "{err}");
    assert!(!target.exists());
    assert_eq!(fs::read_dir(&locked).expect("read_dir").count(), 0);
}
