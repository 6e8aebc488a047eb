//! The provider built for linux_arm64 and windows_amd64, run here under
//! emulation and driven by real Terraform on this machine: a wrapper in the
//! dev_overrides directory runs the arm64 build under qemu-aarch64 (Unix
//! socket, as on real arm64 Linux) and the Windows build under Wine (TCP with
//! AutoMTLS, Windows' only transport). Each plans, applies and outputs
//! examples/basic against the fake API and rejects a 31-character id without
//! an API request. scripts/release.sh packs the same builds.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::mirror::{script, utf8, VERSION};
use crate::support::platforms::Platform;
use crate::support::plugin_client::{ClientIdentity, COOKIE};
use crate::support::terraform::{
    connector_vars, one_line, provider_binary, text, Terraform, Workspace,
};

const BASIC: &str = include_str!("../examples/basic/main.tf");
/// One character short of a Cloudflare identifier.
const SHORT_ID: &str = "f1740f3ab5b64d3b9ef1d0c9a1b2c3d";

/// A workspace whose provider is `platform`'s build run through its wrapper,
/// logging to `terraform.log` at debug level (the provider's lines included).
fn workspace(platform: Platform, api: &FakeApi) -> Option<Workspace> {
    let binary = platform.binary()?;
    let mut ws = Workspace::new(BASIC);
    let wrapper = ws.plugins_dir().join("terraform-provider-cloudflare");
    std::fs::remove_file(&wrapper).expect("remove the native provider");
    platform.write_wrapper(&wrapper, &binary);
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws.log_debug_to_file();
    Some(ws)
}

/// Plan, apply and output of examples/basic, then a plan with a 31-character
/// id that must fail naming the attribute with no API request; `network` is
/// the transport every provider process must have served.
fn plan_apply_output_and_reject(platform: Platform, network: &str) {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let Some(ws) = workspace(platform, &api) else {
            return;
        };
        let label = format!("{} under {}", platform.name(), tf.label);
        let v = connector_vars(CONNECTOR);
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        let json = ws.plan_apply_output(&tf, &v, "data.cloudflare_sso_connector.this");
        let c = &json["connector"]["value"];
        assert_eq!(c["id"], CONNECTOR, "{label}");
        assert_eq!(c["account_id"], ACCOUNT, "{label}");
        assert_eq!(c["created_on"], "2025-01-01T12:21:02Z", "{label}");
        assert_eq!(c["verification"]["status"], "verified", "{label}");
        assert_eq!(json["email_domain"]["value"], "example.com", "{label}");
        assert_eq!(json["verified"]["value"], true, "{label}");
        assert!(api.request_count() >= 1, "{label}");
        eprintln!(
            "{label}: plan, apply and output passed: {}",
            c["email_domain"]
        );

        api.reset_requests();
        let v = connector_vars(SHORT_ID);
        let mut args = vec!["plan", "-input=false", "-no-color"];
        args.extend(v.iter().map(String::as_str));
        let plan = ws.run(&tf, &args);
        let (out, err) = text(&plan);
        assert!(!plan.status.success(), "{label}: plan should fail\n{out}");
        assert!(
            err.contains("Invalid Cloudflare identifier"),
            "{label}: {err}"
        );
        assert!(
            err.contains("sso_connector_id") && one_line(&err).contains("has 31"),
            "{label}: {err}"
        );
        assert_eq!(
            api.request_count(),
            0,
            "{label}: no API request may be made"
        );

        ws.assert_served_over(network, &label);
    }
}

#[test]
fn linux_arm64_under_qemu_passes_examples_basic_and_rejects_a_short_id() {
    plan_apply_output_and_reject(Platform::LinuxArm64, "unix");
}

#[test]
fn windows_amd64_under_wine_speaks_tcp_with_automtls_and_passes_examples_basic() {
    plan_apply_output_and_reject(Platform::WindowsAmd64, "tcp");
}

/// Launches `platform`'s build through its wrapper as Terraform does (with a
/// client certificate, so AutoMTLS set-up is included) and returns the
/// handshake line and the time it took to arrive.
fn launch_to_handshake(platform: Platform, identity: &ClientIdentity) -> Option<(String, f64)> {
    let binary = platform.binary()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let wrapper = dir.path().join("provider");
    platform.write_wrapper(&wrapper, &binary);
    let started = Instant::now();
    let mut child = Command::new(&wrapper)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", &identity.pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("launch wrapper");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read handshake");
    let seconds = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    Some((line.trim_end().to_string(), seconds))
}

#[test]
fn emulated_builds_announce_their_transport_and_start_up_time_is_reported() {
    let identity = ClientIdentity::generate();
    for (platform, network) in [
        (Platform::LinuxArm64, "unix"),
        (Platform::WindowsAmd64, "tcp"),
    ] {
        let mut times = Vec::new();
        for _ in 0..3 {
            let Some((line, seconds)) = launch_to_handshake(platform, &identity) else {
                return;
            };
            let fields: Vec<&str> = line.split('|').collect();
            assert_eq!(fields.len(), 6, "{}: {line}", platform.name());
            assert_eq!(fields[2], network, "{}: {line}", platform.name());
            assert!(
                fields[5].len() > 50,
                "{}: no server certificate",
                platform.name()
            );
            times.push(seconds);
        }
        // Reported, not asserted: other builds share this machine's cores.
        eprintln!(
            "startup[{}]: {:?} s to the handshake line",
            platform.name(),
            times
                .iter()
                .map(|t| (t * 1000.0).round() / 1000.0)
                .collect::<Vec<_>>()
        );
    }
}

/// Python printing, for each file in the zip `argv[1]`, its name, Unix mode,
/// size, and whether its bytes are those of the file `argv[2]`.
const ZIP_MEMBERS_PY: &str = "import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
built = open(sys.argv[2], 'rb').read()
for i in z.infolist():
    print(i.filename, oct(i.external_attr >> 16), i.file_size, z.read(i) == built)";

#[test]
fn release_sh_packs_the_three_platforms_from_the_shared_builds_with_one_sha256sums() {
    let (Some(arm64), Some(windows)) = (
        Platform::LinuxArm64.binary(),
        Platform::WindowsAmd64.binary(),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("dist");
    // The shared builds, handed over as prebuilt binaries: release.sh would
    // otherwise make its own reproducible cross builds from scratch.
    let arm64_binary = format!("linux_arm64={}", arm64.display());
    let windows_binary = format!("windows_amd64={}", windows.display());
    let output = script(
        "release.sh",
        &[
            "--binary",
            utf8(provider_binary()),
            "--binary",
            &arm64_binary,
            "--binary",
            &windows_binary,
            "--out",
            utf8(&out),
            "linux_amd64",
            "linux_arm64",
            "windows_amd64",
        ],
    );
    let (stdout, err) = text(&output);
    assert!(
        output.status.success(),
        "release.sh failed\n{stdout}\n{err}"
    );

    let prefix = format!("terraform-provider-cloudflare_{VERSION}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("dist")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut wanted: Vec<String> = [
        "SHA256SUMS",
        "linux_amd64.zip",
        "linux_arm64.zip",
        "manifest.json",
        "sbom.cdx.json",
        "windows_amd64.zip",
    ]
    .iter()
    .map(|suffix| format!("{prefix}_{suffix}"))
    .collect();
    wanted.sort();
    assert_eq!(names, wanted);

    let check = Command::new("sha256sum")
        .args(["--check", "--strict", &format!("{prefix}_SHA256SUMS")])
        .current_dir(&out)
        .output()
        .expect("sha256sum");
    let (sums, err) = text(&check);
    assert!(check.status.success(), "{sums}\n{err}");
    assert_eq!(
        sums.lines().count(),
        5,
        "three zips, the manifest and the SBOM: {sums}"
    );

    for (platform, built, member) in [
        (
            "linux_amd64",
            provider_binary().to_path_buf(),
            format!("terraform-provider-cloudflare_v{VERSION}"),
        ),
        (
            "linux_arm64",
            arm64,
            format!("terraform-provider-cloudflare_v{VERSION}"),
        ),
        (
            "windows_amd64",
            windows,
            format!("terraform-provider-cloudflare_v{VERSION}.exe"),
        ),
    ] {
        let zip = out.join(format!("{prefix}_{platform}.zip"));
        let listing = Command::new("python3")
            .args(["-c", ZIP_MEMBERS_PY, utf8(&zip), utf8(&built)])
            .output()
            .expect("python3");
        let size = std::fs::metadata(&built).expect("build").len();
        assert_eq!(
            text(&listing).0.trim(),
            format!("{member} 0o100755 {size} True"),
            "{platform}: one executable, the shared build, named as the registry names it"
        );
    }
}
