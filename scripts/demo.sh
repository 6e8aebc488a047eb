#!/usr/bin/env bash
# The demo: builds the provider, starts the bundled fake Cloudflare API on
# 127.0.0.1, and runs real Terraform, with every Terraform available, on each
# example against it:
#
#   basic        plan, apply, output -json
#   list         apply, output
#   for-each     apply, output
#   drift-check  plan -detailed-exitcode while the connector is healthy (exit 0),
#                after making it drift through the fake API's control endpoint
#                (exit 1: postcondition error; exit 0 with a check-block warning
#                under -var strict=false), and after restoring it (exit 0)
#
# usage: scripts/demo.sh [EXAMPLE...]   (default: all four)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
examples=("$@")
[ ${#examples[@]} -gt 0 ] || examples=(basic list for-each drift-check)
for example in "${examples[@]}"; do
  [ -f "examples/$example/main.tf" ] || { echo "demo: no example $example" >&2; exit 2; }
done

bash scripts/setup.sh
cargo build --quiet --bin terraform-provider-cloudflare --bin fake-cloudflare-api

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
[ -n "$url" ] || { echo "demo: the fake API did not start; see $work/fake-api.log" >&2; exit 1; }
echo "demo: fake Cloudflare API at $url"

export TF_CLI_CONFIG_FILE="$work/terraform.rc" HOME="$work/home" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export CLOUDFLARE_BASE_URL="$url" CLOUDFLARE_API_TOKEN="test-token-0123456789abcdefghijklmnopqrstuv"
account=023e105f4ecef8ad9ca31a8372d0c353
connector=f1740f3ab5b64d3b9ef1d0c9a1b2c3d4
disabled_connector=023e105f4ecef8ad9ca31a8372d0c353

# Changes the fake API's copy of the watched connector (a JSON merge patch).
drift() {
  python3 - "${url%/client/v4}/__control/accounts/$account/sso_connectors/$connector" "$1" <<'PY'
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="PATCH",
                                 headers={"Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=10).read()
PY
  echo "demo: fake API: connector $connector patched with $1"
}

# Runs `terraform plan -detailed-exitcode ARGS` and checks its exit code.
expect_plan() {
  local want="$1"
  shift
  echo "\$ terraform plan -detailed-exitcode $*"
  set +e
  "$tf" plan -input=false -no-color -detailed-exitcode "$@"
  local got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "demo: FAILED: expected exit code $want, got $got" >&2
    exit 1
  fi
  echo "demo: exit code $got, as expected"
}

terraforms=()
command -v terraform >/dev/null 2>&1 && terraforms+=("$(command -v terraform)")
[ -x "$root/.tools/bin/terraform-1.15" ] && terraforms+=("$root/.tools/bin/terraform-1.15")
[ ${#terraforms[@]} -gt 0 ] || { echo "demo: no terraform found" >&2; exit 1; }

for tf in "${terraforms[@]}"; do
  version="$("$tf" version | sed -n 1p)"
  for example in "${examples[@]}"; do
    dir="$work/$example-$(basename "$tf")"
    cp -r "$root/examples/$example" "$dir"
    echo
    echo "=== $version: examples/$example ==="
    cd "$dir"
    case "$example" in
      basic)
        vars=(-var "account_id=$account" -var "sso_connector_id=$connector")
        "$tf" plan -input=false -no-color "${vars[@]}"
        "$tf" apply -input=false -no-color -auto-approve "${vars[@]}"
        "$tf" output -json
        ;;
      list)
        "$tf" apply -input=false -no-color -auto-approve -var "account_id=$account"
        ;;
      for-each)
        "$tf" apply -input=false -no-color -auto-approve -var "account_id=$account" \
          -var "connectors={corp = \"$connector\", staging = \"$disabled_connector\"}"
        ;;
      drift-check)
        vars=(-var "account_id=$account" -var "sso_connector_id=$connector")
        echo "--- healthy connector"
        expect_plan 0 "${vars[@]}"
        echo "--- drift: the connector is disabled"
        drift '{"enabled": false}'
        expect_plan 1 "${vars[@]}"
        expect_plan 0 "${vars[@]}" -var strict=false
        echo "--- drift: the domain's verification is pending again"
        drift '{"enabled": true, "verification": {"status": "pending"}}'
        expect_plan 1 "${vars[@]}"
        echo "--- repaired"
        drift '{"verification": {"status": "verified"}}'
        expect_plan 0 "${vars[@]}"
        ;;
    esac
    cd "$root"
  done
done
echo
echo "demo: every example ran with: ${terraforms[*]}"
