#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup.sh --cross
# --release), checks formatting and lints, checks the dependency tree's
# licenses, duplicates-policy and sources against deny.toml (cargo-deny,
# offline), builds the linux_arm64 and windows_amd64 providers once
# (scripts/cross-build.sh into platforms/ in Cargo's target directory, shared
# by tests/platforms.rs and tests/registry.rs), then runs unit, integration
# and end-to-end tests (real Terraform against the bundled fake API, the cross
# builds under qemu-aarch64 and Wine, a signed registry and a network mirror
# over HTTPS, and two release builds of one commit compared byte for byte).
# The Windows build is linted too (scripts/cross-build.sh --clippy
# windows_amd64): its Windows-only code (in signals.rs and listen.rs) is
# compiled nowhere else. It re-checks every dependency for Windows, about two
# minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
script_name=test
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"
bash scripts/setup.sh --cross --release
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# cargo-deny reads every crate of Cargo.lock, for every platform, offline:
# fetch them first (a fresh machine's builds fetch only its own platform's).
cargo fetch --locked --quiet
cargo deny --offline --log-level error check licenses bans sources
bash scripts/cross-build.sh --clippy windows_amd64
target="$(cargo_target_dir "$root")"
for platform in linux_arm64 windows_amd64; do
  started=$SECONDS
  bash scripts/cross-build.sh "$platform" "$target/platforms/$platform"
  echo "test: $platform built in $((SECONDS - started)) s"
done
cargo test --workspace --all-targets
