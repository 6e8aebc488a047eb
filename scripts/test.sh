#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup.sh --cross),
# checks formatting and lints, builds the
# linux_arm64 and windows_amd64 providers once (scripts/cross-build.sh into
# target/platforms/, shared by tests/platforms.rs), then runs unit, integration
# and end-to-end tests (real Terraform against the bundled fake API, the cross
# builds under qemu-aarch64 and Wine). The Windows build is linted too
# (scripts/cross-build.sh --clippy windows_amd64): its Windows-only code
# (in signals.rs and listen.rs) is compiled nowhere else. It re-checks every
# dependency for Windows, about two minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --cross
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
bash scripts/cross-build.sh --clippy windows_amd64
for platform in linux_arm64 windows_amd64; do
  started=$SECONDS
  bash scripts/cross-build.sh "$platform" "target/platforms/$platform"
  echo "test: $platform built in $((SECONDS - started)) s"
done
cargo test --workspace --all-targets
