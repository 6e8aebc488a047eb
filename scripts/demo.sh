#!/usr/bin/env bash
# The demo: builds the provider, starts the bundled fake Cloudflare API on
# 127.0.0.1, and runs real Terraform on examples/basic against it (plan,
# apply, output), with every Terraform available.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
cargo build --quiet --bins

work="$root/.work/demo"
rm -rf "$work"
mkdir -p "$work/plugins" "$work/home"
ln -s "$root/target/debug/terraform-provider-cloudflare" "$work/plugins/terraform-provider-cloudflare"
cat > "$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "cloudflare/cloudflare" = "$work/plugins"
  }
  direct {}
}
RC

"$root/target/debug/fake-cloudflare-api" > "$work/fake-api.out" 2> "$work/fake-api.log" &
api_pid=$!
trap 'kill $api_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q FAKE_CLOUDFLARE_API_URL "$work/fake-api.out" 2>/dev/null && break
  sleep 0.05
done
url="$(sed -n 's/^FAKE_CLOUDFLARE_API_URL=//p' "$work/fake-api.out")"
echo "demo: fake Cloudflare API at $url"

export TF_CLI_CONFIG_FILE="$work/terraform.rc" HOME="$work/home" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export CLOUDFLARE_BASE_URL="$url" CLOUDFLARE_API_TOKEN="test-token-0123456789abcdefghijklmnopqrstuv"
vars=(-var account_id=023e105f4ecef8ad9ca31a8372d0c353 -var sso_connector_id=f1740f3ab5b64d3b9ef1d0c9a1b2c3d4)

terraforms=()
command -v terraform >/dev/null 2>&1 && terraforms+=("$(command -v terraform)")
[ -x "$root/.tools/bin/terraform-1.15" ] && terraforms+=("$root/.tools/bin/terraform-1.15")

for tf in "${terraforms[@]}"; do
  dir="$work/basic-$(basename "$tf")"
  cp -r "$root/examples/basic" "$dir"
  echo
  echo "=== $("$tf" version | head -1): examples/basic ==="
  (cd "$dir" && "$tf" plan -input=false -no-color "${vars[@]}" && \
    "$tf" apply -input=false -no-color -auto-approve "${vars[@]}" && \
    "$tf" output -json)
done
