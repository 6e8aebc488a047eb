//! Filesystem mirrors built with the repository's own scripts
//! (`scripts/install.sh`, `scripts/release.sh`), the addresses the provider is
//! installed under, and CLI configurations that use nothing but the mirror.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::terraform::{provider_binary, text};

/// The official provider's address, where the default install puts this one.
pub(crate) const OFFICIAL_ADDRESS: &str = "registry.terraform.io/cloudflare/cloudflare";
/// The address the docs and examples recommend beside the official provider.
pub(crate) const RECOMMENDED_ADDRESS: &str = "terraform.internal/cfsso/cloudflare";
/// The version a stand-in for the official provider is installed as, so that
/// `version = "~> 5.0"` selects it.
pub(crate) const STAND_IN_VERSION: &str = "5.999.0";
/// The crate version, which the provider reports and installs as.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The versions Cargo.lock gives the package `name` (one, or several when
/// the tree holds more than one version of it).
pub(crate) fn locked_versions(name: &str) -> Vec<String> {
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).expect("Cargo.lock");
    lock.split("[[package]]")
        .filter(|block| block.contains(&format!("\nname = \"{name}\"\n")))
        .filter_map(|block| {
            let line = block.lines().find(|l| l.starts_with("version = "))?;
            Some(line["version = ".len()..].trim_matches('"').to_string())
        })
        .collect()
}

/// Terraform's name for this machine's platform, e.g. `linux_amd64`.
pub(crate) fn platform() -> String {
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

/// A path as a `&str`, for command lines.
pub(crate) fn utf8(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// `bash scripts/<script> args…`, with HOME pointed away from the real one
/// and the build under test as the binary the scripts ask (`TFCF_HOST_BINARY`:
/// a cargo build from inside `cargo test` would wait for cargo's lock).
pub(crate) fn script(script: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts").join(script))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .env("TFCF_HOST_BINARY", provider_binary())
        .output()
        .unwrap_or_else(|e| panic!("run scripts/{script}: {e}"))
}

/// Checks that `terraform init`, run by `label`, printed that it installed
/// this build's version of `address`, `how` (e.g. `(verified checksum)`).
pub(crate) fn assert_installed(label: &str, out: &str, address: &str, how: &str) {
    let installed = format!("Installed {address} v{VERSION} {how}");
    assert!(out.contains(&installed), "{label}: {out}");
}

/// The basic example with its provider under `address`.
pub(crate) fn basic_under(address: &str) -> String {
    let basic = std::fs::read_to_string(repo().join("examples/basic/main.tf")).expect("basic");
    let moved = basic.replace(
        "source = \"cloudflare/cloudflare\"",
        &format!("source = \"{address}\""),
    );
    assert_ne!(
        basic, moved,
        "examples/basic/main.tf has no provider source"
    );
    moved
}

/// Checks that a script run with `args` was refused with `needle` on
/// stderr and left nothing in `out`.
pub(crate) fn assert_refused(output: &Output, args: &[&str], needle: &str, out: &Path) {
    let (_, err) = text(output);
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err}"
    );
    let left: Vec<_> = std::fs::read_dir(out)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{args:?} left {left:?}");
}

/// Runs `scripts/install.sh args…`, asserts success and returns its stdout.
pub(crate) fn install_ok(args: &[&str]) -> String {
    let output = script("install.sh", args);
    let (out, err) = text(&output);
    assert!(
        output.status.success(),
        "install.sh {args:?} failed\n{out}\n{err}"
    );
    out
}

/// Installs the test build into `mirror` under `address` (unpacked), as
/// `version` when given; returns what the script printed.
pub(crate) fn install_binary(mirror: &Path, address: &str, version: Option<&str>) -> String {
    let mut args = vec!["--binary", utf8(provider_binary()), "--source", address];
    if let Some(version) = version {
        args.extend(["--as-version", version]);
    }
    args.push(utf8(mirror));
    install_ok(&args)
}

/// An executable in `dir` that claims to be this provider at `version`, for
/// checking that the scripts refuse a binary of another version.
pub(crate) fn fake_provider(dir: &Path, version: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let fake = dir.join("terraform-provider-cloudflare");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho terraform-provider-cloudflare {version}\n"),
    )
    .expect("write fake provider");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755))
        .expect("make fake provider executable");
    fake
}

/// The `provider_installation { … }` block a script printed.
pub(crate) fn cli_config_block(printed: &str) -> String {
    let start = printed
        .find("provider_installation {")
        .unwrap_or_else(|| panic!("no CLI configuration printed:\n{printed}"));
    let block = &printed[start..];
    let end = block
        .find("\n}\n")
        .unwrap_or_else(|| panic!("unterminated CLI configuration:\n{printed}"));
    block[..end + 3].to_string()
}

/// A CLI configuration that installs every provider from `mirror` and
/// nothing from the network: `terraform init` works offline or not at all.
pub(crate) fn offline_cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
        mirror.display()
    )
}
