#!/usr/bin/env bash
# The benchmark suite (issue: performance). One command, figures to stdout:
#   start-up (process start -> handshake, with mTLS), per-read cost over mTLS
#   gRPC against the fake API, `terraform plan` for N = 1..5000 data sources
#   with provider CPU and peak RSS, the coalescing comparison, and binary size;
#   start-up and size of the linux_arm64 and windows_amd64 builds under
#   qemu-aarch64 and Wine when the cross toolchain is installed (setup.sh --cross).
# Results are recorded by hand in BENCHMARKS.md with the machine and date.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
script_name=bench
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"
target="$(cargo_target_dir "$root")"
bash scripts/setup.sh >/dev/null
echo "bench: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo build --release --quiet --bins
cargo build --release --quiet -p fake-cloudflare-api
cargo bench --quiet --bench startup
cargo bench --quiet --bench reads
for tf in "$(command -v terraform || true)" "$root/.tools/bin/terraform-1.15"; do
  [ -n "$tf" ] && [ -x "$tf" ] || continue
  python3 scripts/bench_terraform.py "$tf" "$target/release/terraform-provider-cloudflare" "$target/release/fake-cloudflare-api"
done
for binary in "$target/release/terraform-provider-cloudflare" \
  "$target/platforms/linux_arm64/terraform-provider-cloudflare" \
  "$target/platforms/windows_amd64/terraform-provider-cloudflare.exe"; do
  [ -f "$binary" ] || continue
  size=$(stat -c %s "$binary")
  echo "size: stripped release binary $binary $(awk "BEGIN {printf \"%.2f\", $size/1048576}") MiB ($size bytes)"
done
