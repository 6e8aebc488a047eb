//! Reproducible, inspectable releases (issue 19): the same commit, cloned
//! twice at different paths and built by `scripts/release.sh --native` with
//! separate CARGO_TARGET_DIRs, gives byte-identical binaries, zips,
//! SHA256SUMS and SBOMs; the binary holds no path of either build; it embeds
//! its dependency list in cargo-auditable's `.dep-v0` section; and the SBOM
//! names the provider's main dependencies at their Cargo.lock versions.
//!
//! Two fat-LTO release builds from scratch, one after the other: the slowest
//! test of the suite (several minutes each on two cores). The clones and
//! target directories live under Cargo's target tmp directory, so a rerun on
//! the same commit rebuilds little.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::support::machine;
use crate::support::mirror::{locked_versions, platform, repo, utf8, VERSION};
use crate::support::terraform::text;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    let (out, err) = text(&output);
    assert!(
        output.status.success(),
        "git {args:?} in {}: {err}",
        dir.display()
    );
    out.trim().to_string()
}

/// One build of `commit`: a clone at `checkout`, built into `target`.
struct Build {
    checkout: PathBuf,
    target: PathBuf,
    dist: PathBuf,
}

impl Build {
    fn new(base: &Path, checkout: &str, target: &str) -> Self {
        Self {
            checkout: base.join(checkout),
            target: base.join(target),
            dist: base.join(format!("{checkout}-dist")),
        }
    }

    /// Clones the repository (or reuses the clone) at `commit` and runs the release build.
    fn run(&self, commit: &str) -> f64 {
        if !self.checkout.join(".git").exists() {
            let _ = fs::remove_dir_all(&self.checkout);
            git(
                &repo(),
                &[
                    "clone",
                    "--quiet",
                    "--no-checkout",
                    ".",
                    utf8(&self.checkout),
                ],
            );
        }
        // The repository's HEAD, whether or not a branch points at it.
        git(&self.checkout, &["fetch", "--quiet", "origin", "HEAD"]);
        git(
            &self.checkout,
            &["checkout", "--quiet", "--force", "--detach", commit],
        );
        git(&self.checkout, &["clean", "--quiet", "-dffx"]);
        let _ = fs::remove_dir_all(&self.dist);
        let started = Instant::now();
        let output = Command::new("bash")
            .arg(self.checkout.join("scripts/release.sh"))
            .args(["--native", "--out", utf8(&self.dist)])
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .expect("run release.sh");
        let seconds = started.elapsed().as_secs_f64();
        let (out, err) = text(&output);
        assert!(
            output.status.success(),
            "release.sh in {} failed\n{out}\n{err}",
            self.checkout.display()
        );
        seconds
    }

    fn binary(&self) -> PathBuf {
        self.target
            .join("reproducible/release/terraform-provider-cloudflare")
    }
}

fn release_files() -> Vec<String> {
    let prefix = format!("terraform-provider-cloudflare_{VERSION}");
    vec![
        format!("{prefix}_{}.zip", platform()),
        format!("{prefix}_SHA256SUMS"),
        format!("{prefix}_manifest.json"),
        format!("{prefix}_sbom.cdx.json"),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JSON cargo-auditable embedded in `binary`'s `.dep-v0` section.
fn audit_data(binary: &Path, scratch: &Path) -> serde_json::Value {
    let section = scratch.join("dep-v0.zlib");
    let output = Command::new("objcopy")
        .arg(format!("--dump-section=.dep-v0={}", section.display()))
        .arg(binary)
        .arg(scratch.join("objcopy-out"))
        .output()
        .expect("run objcopy (binutils)");
    let (_, err) = text(&output);
    assert!(
        output.status.success(),
        "no .dep-v0 section in {}: {err}",
        binary.display()
    );
    let json = Command::new("python3")
        .args([
            "-c",
            "import sys, zlib; sys.stdout.write(zlib.decompress(open(sys.argv[1], 'rb').read()).decode())",
            utf8(&section),
        ])
        .output()
        .expect("python3");
    serde_json::from_slice(&json.stdout).expect("the .dep-v0 section holds zlib-compressed JSON")
}

#[test]
fn two_checkouts_of_one_commit_build_the_same_release_bytes() {
    // Two release builds keep every core busy for minutes.
    let _machine = machine::heavy();
    if std::env::consts::OS != "linux" {
        eprintln!("note: the reproducibility test runs on Linux only");
        return;
    }
    let commit = git(&repo(), &["rev-parse", "HEAD"]);
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reproducible");
    fs::create_dir_all(&base).expect("reproducible dir");
    // Different lengths too, so that no path can line up by chance.
    let first = Build::new(&base, "a", "target-one");
    let second = Build::new(&base, "checkout-at-another-path", "t2");
    let mut took = Vec::new();
    for build in [&first, &second] {
        took.push(build.run(&commit));
    }
    eprintln!(
        "release builds of {commit}: {:.0} s and {:.0} s",
        took[0], took[1]
    );

    let one = fs::read(first.binary()).expect("first binary");
    let two = fs::read(second.binary()).expect("second binary");
    assert!(one == two, "the two release binaries differ");
    for name in release_files() {
        let a = fs::read(first.dist.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let b = fs::read(second.dist.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(a == b, "{name} differs between the two builds");
    }

    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
        });
    for build in [&first, &second] {
        for path in [&build.checkout, &build.target, &cargo_home] {
            assert!(
                !contains(&one, utf8(path).as_bytes()),
                "the binary holds the build path {}",
                path.display()
            );
        }
    }

    let audit = audit_data(&first.binary(), &base);
    let packages = audit["packages"].as_array().expect("packages");
    for name in ["tonic", "prost", "reqwest", "tokio", "rustls"] {
        let listed: Vec<&str> = packages
            .iter()
            .filter(|p| p["name"] == name)
            .filter_map(|p| p["version"].as_str())
            .collect();
        assert!(
            !listed.is_empty()
                && listed
                    .iter()
                    .all(|v| locked_versions(name).iter().any(|l| l == v)),
            "{name} in .dep-v0: {listed:?}, Cargo.lock: {:?}",
            locked_versions(name)
        );
    }
}
