#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup.sh), checks
# formatting and lints, then runs unit, integration and end-to-end tests
# (real Terraform against the bundled fake API).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --all-targets
