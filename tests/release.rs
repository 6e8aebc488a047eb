//! Release artifacts as the Terraform Registry publishes them, from
//! `scripts/release.sh`: the zip, SHA256SUMS, manifest and SBOM, checked as
//! files (the SBOM names the provider's dependencies at their Cargo.lock
//! versions; an unsigned release says so) and then installed with `scripts/install.sh --zip` into the packed layout of a
//! filesystem mirror, from which real Terraform (both versions) initialises,
//! plans and locks. The artifacts are built once, from the test build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support;
use crate::support::fake_api::{FakeApi, TOKEN};
use crate::support::mirror::{
    assert_installed, assert_refused, basic_under, cli_config_block, install_ok, locked_versions,
    platform, repo, script, utf8, OFFICIAL_ADDRESS, RECOMMENDED_ADDRESS, VERSION,
};
use crate::support::terraform::{one_line, provider_binary, text, Terraform, Workspace};

fn zip_name() -> String {
    format!("terraform-provider-cloudflare_{VERSION}_{}.zip", platform())
}

fn sums_name() -> String {
    format!("terraform-provider-cloudflare_{VERSION}_SHA256SUMS")
}

fn manifest_name() -> String {
    format!("terraform-provider-cloudflare_{VERSION}_manifest.json")
}

fn sbom_name() -> String {
    format!("terraform-provider-cloudflare_{VERSION}_sbom.cdx.json")
}

/// The directory `release.sh --binary <test build>` wrote, built on first
/// use, and what the script printed.
fn released() -> &'static (PathBuf, String) {
    static DIST: OnceLock<(PathBuf, String)> = OnceLock::new();
    DIST.get_or_init(|| {
        let dist = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("release-dist");
        let _ = fs::remove_dir_all(&dist);
        let output = script(
            "release.sh",
            &["--binary", utf8(provider_binary()), "--out", utf8(&dist)],
        );
        let (out, err) = text(&output);
        assert!(output.status.success(), "release.sh failed\n{out}\n{err}");
        (dist, out)
    })
}

fn dist() -> &'static Path {
    &released().0
}

/// The checksum SHA256SUMS gives for `name`.
fn listed_sum(name: &str) -> String {
    let sums = fs::read_to_string(dist().join(sums_name())).expect("SHA256SUMS");
    sums.lines()
        .find_map(|line| {
            let (sum, file) = line.split_once("  ")?;
            (file == name).then(|| sum.to_string())
        })
        .unwrap_or_else(|| panic!("SHA256SUMS has no line for {name}:\n{sums}"))
}

#[test]
fn release_artifacts_are_named_summed_and_described_as_the_registry_publishes_them() {
    let mut names: Vec<String> = fs::read_dir(dist())
        .expect("dist")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut wanted = vec![sums_name(), zip_name(), manifest_name(), sbom_name()];
    wanted.sort();
    assert_eq!(names, wanted, "dist holds exactly the four artifacts");
    assert!(
        released().1.contains("release: unsigned: no --sign KEY"),
        "{}",
        released().1
    );

    let check = Command::new("sha256sum")
        .args(["--check", "--strict", &sums_name()])
        .current_dir(dist())
        .output()
        .expect("sha256sum");
    let (out, err) = text(&check);
    assert!(check.status.success(), "{out}\n{err}");
    for name in [zip_name(), manifest_name(), sbom_name()] {
        assert!(out.contains(&format!("{name}: OK")), "{out}");
    }

    // The manifest is what the provider says it serves, byte for byte.
    let released_manifest = fs::read(dist().join(manifest_name())).expect("manifest");
    let asked = Command::new(provider_binary())
        .arg("--manifest")
        .output()
        .expect("run the provider with --manifest");
    assert!(asked.status.success(), "{:?}", text(&asked));
    assert_eq!(
        String::from_utf8_lossy(&released_manifest),
        String::from_utf8_lossy(&asked.stdout)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&released_manifest).expect("the manifest is JSON");
    assert_eq!(manifest["version"], 1, "{manifest}");

    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16), i.file_size)",
            utf8(&dist().join(zip_name())),
        ])
        .output()
        .expect("python3");
    let size = fs::metadata(provider_binary()).expect("binary").len();
    assert_eq!(
        text(&listing).0.trim(),
        format!("terraform-provider-cloudflare_v{VERSION} 0o100755 {size}"),
        "one executable, named as the registry names it"
    );
}

#[test]
fn the_sbom_is_cyclonedx_naming_the_dependencies_at_their_locked_versions() {
    let sbom: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dist().join(sbom_name())).expect("SBOM"))
            .expect("the SBOM is JSON");
    assert_eq!(sbom["bomFormat"], "CycloneDX", "{}", sbom["bomFormat"]);
    assert_eq!(sbom["specVersion"], "1.5");
    let component = &sbom["metadata"]["component"];
    assert_eq!(component["name"], "terraform-provider-cloudflare");
    assert_eq!(component["version"], VERSION);
    let text = fs::read_to_string(dist().join(sbom_name())).expect("SBOM");
    assert!(
        !text.contains(utf8(&repo())),
        "the SBOM holds the checkout's path"
    );
    let components = sbom["components"].as_array().expect("components");
    for name in ["tonic", "prost", "reqwest", "tokio"] {
        let locked = locked_versions(name);
        let listed: Vec<&str> = components
            .iter()
            .filter(|c| c["name"] == name)
            .filter_map(|c| c["version"].as_str())
            .collect();
        assert!(
            !listed.is_empty() && listed.iter().all(|v| locked.iter().any(|l| l == v)),
            "{name}: the SBOM lists {listed:?}, Cargo.lock {locked:?}"
        );
        let purl = format!("pkg:cargo/{name}@{}", listed[0]);
        assert!(
            components.iter().any(|c| c["purl"] == purl.as_str()),
            "no component with purl {purl}"
        );
    }
}

/// examples/basic with its provider under `address`, installed by `cli_config`, reading `api`.
fn mirror_workspace(address: &str, cli_config: &str, api: &FakeApi) -> Workspace {
    let mut ws = Workspace::new(&basic_under(address));
    ws.set_cli_config(cli_config);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws
}

fn init(tf: &Terraform, ws: &Workspace) -> String {
    ws.run_ok(tf, &["init", "-input=false", "-no-color"])
}

fn plan_reads(tf: &Terraform, ws: &Workspace) {
    let out = ws.run_ok_for_connector(tf, &["plan", "-input=false", "-no-color"]);
    assert!(
        out.contains("data.cloudflare_sso_connector.this: Read complete"),
        "{}: {out}",
        tf.label
    );
}

fn lock_with(ws: &Workspace, address: &str, hash: &str) {
    fs::write(
        ws.path(".terraform.lock.hcl"),
        format!("provider \"{address}\" {{\n  version = \"{VERSION}\"\n  hashes = [\n    \"{hash}\",\n  ]\n}}\n"),
    )
    .expect("write lock file");
    fs::remove_dir_all(ws.path(".terraform")).expect("remove .terraform");
}

#[test]
fn terraform_installs_the_release_zip_from_the_packed_mirror_and_locks_it() {
    let mirror = tempfile::tempdir().expect("temp dir");
    let zip = dist().join(zip_name());
    let printed = install_ok(&[
        "--zip",
        utf8(&zip),
        "--source",
        RECOMMENDED_ADDRESS,
        utf8(mirror.path()),
    ]);
    let packed = mirror.path().join(RECOMMENDED_ADDRESS).join(zip_name());
    assert_eq!(
        fs::read(&packed).expect("packed zip"),
        fs::read(&zip).expect("zip")
    );
    assert!(
        printed.contains("matches terraform-provider-cloudflare_"),
        "{printed}"
    );
    let cli_config = cli_config_block(&printed);
    let zip_hash = format!("zh:{}", listed_sum(&zip_name()));

    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = mirror_workspace(RECOMMENDED_ADDRESS, &cli_config, &api);

        let out = init(&tf, &ws);
        assert_installed(&tf.label, &out, RECOMMENDED_ADDRESS, "(unauthenticated)");
        let lock = fs::read_to_string(ws.path(".terraform.lock.hcl")).expect("lock");
        assert!(lock.contains("\"h1:"), "{}: {lock}", tf.label);
        plan_reads(&tf, &ws);

        let mirror_flag = format!("-fs-mirror={}", mirror.path().display());
        let platform_flag = format!("-platform={}", platform());
        let out = ws.run_ok(
            &tf,
            &[
                "providers",
                "lock",
                "-no-color",
                &mirror_flag,
                &platform_flag,
            ],
        );
        assert!(
            out.contains(&format!(
                "{RECOMMENDED_ADDRESS} {VERSION} for {}",
                platform()
            )),
            "{}: {out}",
            tf.label
        );

        // The zip is the registry's package: a lock file holding the zh:
        // checksum from SHA256SUMS (what an install from a registry records)
        // verifies against the packed mirror, and Terraform keeps it.
        lock_with(&ws, RECOMMENDED_ADDRESS, &zip_hash);
        let out = init(&tf, &ws);
        assert!(!out.contains("Incomplete lock file"), "{}: {out}", tf.label);
        let lock = fs::read_to_string(ws.path(".terraform.lock.hcl")).expect("lock");
        assert!(
            lock.contains(&zip_hash) && lock.contains("\"h1:"),
            "{}: {lock}",
            tf.label
        );
        plan_reads(&tf, &ws);

        lock_with(&ws, RECOMMENDED_ADDRESS, &format!("zh:{}", "0".repeat(64)));
        let refused = ws.run(&tf, &["init", "-input=false", "-no-color"]);
        let (out, err) = text(&refused);
        assert!(!refused.status.success(), "{}: {out}", tf.label);
        assert!(
            one_line(&err).contains("doesn't match any of the checksums"),
            "{}: {err}",
            tf.label
        );
    }
}

#[test]
fn a_release_zip_installs_under_the_default_address_or_another_type() {
    let mirror = tempfile::tempdir().expect("temp dir");
    let zip = dist().join(zip_name());
    install_ok(&["--zip", utf8(&zip), utf8(mirror.path())]);
    assert!(mirror
        .path()
        .join(OFFICIAL_ADDRESS)
        .join(zip_name())
        .is_file());

    // Terraform looks for terraform-provider-TYPE in the package, so another
    // type gets a repacked zip with the executable renamed.
    let other = "example.com/acme/cfsso";
    let printed = install_ok(&["--zip", utf8(&zip), "--source", other, utf8(mirror.path())]);
    assert!(printed.contains("repacked"), "{printed}");
    let cli_config = cli_config_block(&printed);
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = mirror_workspace(other, &cli_config, &api);
        let out = init(&tf, &ws);
        assert!(
            out.contains(&format!("Installed {other} v{VERSION}")),
            "{}: {out}",
            tf.label
        );
        plan_reads(&tf, &ws);
    }
}

#[test]
fn release_script_refuses_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("dist");
    let fake = support::mirror::fake_provider(dir.path(), "999.0.0");
    let binary = utf8(provider_binary());
    let out = utf8(&out_dir);
    for (args, code, needle) in [
        (
            vec!["--binary", binary, "darwin_arm64"],
            2,
            "cannot build darwin_arm64",
        ),
        (vec!["--native", "windows_amd64"], 2, "--native builds only"),
        (
            vec!["--binary", binary, "linux-amd64"],
            2,
            "not an OS_ARCH pair",
        ),
        (
            vec!["--binary", binary, "--debug"],
            2,
            "does not go with --debug",
        ),
        (vec!["--bogus"], 2, "unknown option --bogus"),
        (vec!["--binary"], 2, "--binary needs a path"),
        (vec!["--binary", utf8(&fake)], 1, "999.0.0"),
    ] {
        let mut all = args.clone();
        all.extend(["--out", out]);
        if args == ["--binary"] {
            all = args.clone();
        }
        let output = script("release.sh", &all);
        let (stdout, err) = text(&output);
        assert_eq!(output.status.code(), Some(code), "{all:?}\n{stdout}\n{err}");
        assert_refused(&output, &all, needle, &out_dir);
    }
}
