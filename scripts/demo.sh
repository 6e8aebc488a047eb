#!/usr/bin/env bash
# The demo: builds the provider, starts the bundled fake Cloudflare API on
# 127.0.0.1, and runs real Terraform, with every Terraform available, on each
# example against it. Per example and Terraform it prints one short block
# (what ran, the key output values, pass or fail) and ends with a summary
# line; Terraform's own output goes to .work/demo/<example>-<terraform>.log,
# and to the terminal too with --verbose.
#
#   basic            plan, apply, output -json
#   list             apply, output -json
#   for-each         apply, output -json
#   drift-check      plan -detailed-exitcode while the connector is healthy (0), disabled
#                    (1: postcondition error; 0 with a check warning under strict=false),
#                    unverified (1) and repaired (0), drifting it through the fake API
#   beside-official  this provider beside a stand-in for the official one, both installed
#                    into a filesystem mirror by scripts/install.sh and each talking to its
#                    own fake API: init (mirror only), providers, apply, output -json, and
#                    the requests each API received
#
# usage: scripts/demo.sh [--verbose] [EXAMPLE...]   (default: all five)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
script_name=demo
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

verbose=0
examples=()
for arg in "$@"; do
  case "$arg" in
    --verbose | -v) verbose=1 ;;
    -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "demo: unknown option $arg (see scripts/demo.sh --help)" >&2; exit 2 ;;
    *) examples+=("$arg") ;;
  esac
done
[ ${#examples[@]} -gt 0 ] || examples=(basic list for-each drift-check beside-official)
for example in "${examples[@]}"; do
  [ -f "examples/$example/main.tf" ] || { echo "demo: no example $example" >&2; exit 2; }
done

work="$root/.work/demo"
rm -rf "$work"
mkdir -p "$work/plugins" "$work/home"
bash scripts/setup.sh
echo "demo: building the provider and the fake API (the first build takes a few minutes)"
cargo build --quiet --bin "$PROVIDER_BINARY"
cargo build --quiet -p fake-cloudflare-api
target="$(cargo_target_dir "$root")"
binary="$target/debug/$PROVIDER_BINARY"

ln -s "$binary" "$work/plugins/$PROVIDER_BINARY"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "cloudflare/cloudflare" = "$work/plugins"
  }
  direct {}
}
RC

# Starts a fake API named $1 (more arguments go to it); sets api_url.
api_pids=()
trap 'kill "${api_pids[@]}" 2>/dev/null || true' EXIT
start_api() {
  local name="$1"
  shift
  "$target/debug/fake-cloudflare-api" --quiet "$@" >"$work/$name.out" 2>"$work/$name.log" &
  api_pids+=($!)
  for _ in $(seq 1 100); do
    grep -q FAKE_CLOUDFLARE_API_URL "$work/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  api_url="$(sed -n 's/^FAKE_CLOUDFLARE_API_URL=//p' "$work/$name.out")"
  [ -n "$api_url" ] || { echo "demo: the fake API did not start; see $work/$name.log" >&2; exit 1; }
}

# Sends METHOD to the control API path $2 of the fake API at $1 (JSON body $4); prints the answer.
control() {
  python3 - "${1%/client/v4}$3" "$2" "${4:-}" <<'PY'
import sys, urllib.request
url, method, body = sys.argv[1:4]
request = urllib.request.Request(url, data=body.encode() or None, method=method,
                                 headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(request, timeout=10).read().decode())
PY
}

# How many API requests the fake API at $1 received since the last reset; resets it.
take_request_count() {
  control "$1" GET /__control/requests | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])'
  control "$1" DELETE /__control/requests >/dev/null
}

export HOME="$work/home" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export CLOUDFLARE_API_TOKEN="test-token-0123456789abcdefghijklmnopqrstuv"
account=023e105f4ecef8ad9ca31a8372d0c353
connector=f1740f3ab5b64d3b9ef1d0c9a1b2c3d4
disabled_connector=023e105f4ecef8ad9ca31a8372d0c353
connector_path="/__control/accounts/$account/sso_connectors/$connector"

start_api fake-api
url="$api_url"
export CLOUDFLARE_BASE_URL="$url"
echo "demo: fake Cloudflare API at $url"

if [[ " ${examples[*]} " == *" beside-official "* ]]; then
  # This provider under the recommended address, and a stand-in for the
  # official provider (the same binary, at a 5.x version) under the official one.
  install_log="$work/install.log"
  bash scripts/install.sh --binary "$binary" --source "$RECOMMENDED_SOURCE" "$work/mirror" >"$install_log"
  bash scripts/install.sh --binary "$binary" --as-version 5.999.0 "$work/mirror" >>"$install_log"
  cat >"$work/mirror.rc" <<RC
provider_installation {
  filesystem_mirror {
    path = "$work/mirror"
  }
}
RC
  start_api ours-api
  ours_url="$api_url"
  start_api official-api --generate "$account:2"
  official_url="$api_url"
  control "$official_url" PATCH "$connector_path" '{"email_domain": "official.example.com"}' >/dev/null
  echo "demo: beside-official: mirror $work/mirror, fake APIs $ours_url (cfsso) and $official_url (official)"
fi

# Runs `terraform ARGS`, logging its output (and showing it with --verbose);
# returns Terraform's exit status.
run_terraform() {
  local code
  echo "\$ terraform $*" >>"$log"
  if [ "$verbose" = 1 ]; then
    echo "\$ terraform $*"
    TF_CLI_CONFIG_FILE="$cli_config" "$tf" "$@" 2>&1 | tee -a "$log"
    code=${PIPESTATUS[0]}
  else
    TF_CLI_CONFIG_FILE="$cli_config" "$tf" "$@" >>"$log" 2>&1
    code=$?
  fi
  return "$code"
}

# One step of a block: LABEL, the exit status expected, then Terraform's arguments.
step() {
  local label="$1" want="$2" got=0
  shift 2
  ran+=("$label")
  run_terraform "$@" || got=$?
  if [ "$got" != "$want" ]; then
    failure="terraform $1 ($label) exited with $got, expected $want"
    return 1
  fi
}

# Adds the outputs named as arguments to the block's values, from `terraform output -json`.
show_outputs() {
  step "output -json" 0 output -json || return 1
  local shown
  shown="$(TF_CLI_CONFIG_FILE="$cli_config" "$tf" output -json | python3 -c '
import json, sys
outputs = json.load(sys.stdin)
print(", ".join("%s = %s" % (name, json.dumps(outputs[name]["value"])) for name in sys.argv[1:]))' "$@")" || {
    failure="the outputs $* are not all there"
    return 1
  }
  values+=("$shown")
}

# Patches the watched connector in the fake API (a JSON merge patch).
drift() {
  control "$url" PATCH "$connector_path" "$1" >/dev/null
  echo "fake API: connector $connector patched with $1" >>"$log"
}

demo_basic() {
  local vars=(-var "account_id=$account" -var "sso_connector_id=$connector")
  step plan 0 plan -input=false -no-color "${vars[@]}" &&
    step apply 0 apply -input=false -no-color -auto-approve "${vars[@]}" &&
    show_outputs email_domain verified
}

demo_list() {
  step apply 0 apply -input=false -no-color -auto-approve -var "account_id=$account" &&
    show_outputs count not_ready
}

demo_for-each() {
  step apply 0 apply -input=false -no-color -auto-approve -var "account_id=$account" \
    -var "connectors={corp = \"$connector\", staging = \"$disabled_connector\"}" &&
    show_outputs unhealthy
}

demo_drift-check() {
  local vars=(-var "account_id=$account" -var "sso_connector_id=$connector")
  local plan=(plan -input=false -no-color -detailed-exitcode "${vars[@]}")
  step "plan: healthy" 0 "${plan[@]}" || return 1
  drift '{"enabled": false}'
  step "plan: disabled" 1 "${plan[@]}" &&
    step "plan: disabled, strict=false" 0 "${plan[@]}" -var strict=false || return 1
  drift '{"enabled": true, "verification": {"status": "pending"}}'
  step "plan: unverified" 1 "${plan[@]}" || return 1
  drift '{"verification": {"status": "verified"}}'
  step "plan: repaired" 0 "${plan[@]}" || return 1
  values+=("exit codes: healthy 0, disabled 1 (0 with strict=false), unverified 1, repaired 0")
}

demo_beside-official() {
  local vars=(-var "account_id=$account" -var "sso_connector_id=$connector") ours official
  cli_config="$work/mirror.rc"
  cat >beside_override.tf <<TF
provider "cloudflare" {
  base_url = "$official_url"
}

provider "cfsso" {
  base_url = "$ours_url"
}
TF
  step "init from the mirror" 0 init -input=false -no-color &&
    step providers 0 providers -no-color || return 1
  values+=("providers: $(grep -o 'provider\[[^]]*\].*' "$log" | sed 's/provider\[\(.*\)\]/\1/' | paste -sd, - | sed 's/,/, /g')")
  take_request_count "$ours_url" >/dev/null
  take_request_count "$official_url" >/dev/null
  step apply 0 apply -input=false -no-color -auto-approve "${vars[@]}" || return 1
  ours="$(take_request_count "$ours_url")"
  official="$(take_request_count "$official_url")"
  show_outputs corp_email_domain corp_verified connector_count || return 1
  values+=("requests: cfsso's API $ours, the official provider's API $official")
  if [ "$ours" != 1 ] || [ "$official" != 1 ]; then
    failure="each API should have received one request"
    return 1
  fi
}

terraforms=()
command -v terraform >/dev/null 2>&1 && terraforms+=("$(command -v terraform)")
[ -x "$root/.tools/bin/terraform-1.15" ] && terraforms+=("$root/.tools/bin/terraform-1.15")
[ ${#terraforms[@]} -gt 0 ] || { echo "demo: no terraform found" >&2; exit 1; }

passed=0
failed=0
versions=()
for tf in "${terraforms[@]}"; do
  version="$(TF_CLI_CONFIG_FILE=/dev/null "$tf" version | sed -n 1p)"
  versions+=("${version#Terraform }")
  for example in "${examples[@]}"; do
    dir="$work/$example-$(basename "$tf")"
    log="$dir.log"
    cp -r "$root/examples/$example" "$dir"
    : >"$log"
    cli_config="$work/terraform.rc"
    ran=()
    values=()
    failure=
    started=$SECONDS
    echo
    echo "examples/$example with $version"
    cd "$dir"
    if "demo_$example"; then result=PASS; passed=$((passed + 1)); else result=FAIL; failed=$((failed + 1)); fi
    cd "$root"
    echo "  ran:     $(printf '%s, ' "${ran[@]}" | sed 's/, $//')"
    for value in "${values[@]}"; do
      echo "  values:  $value"
    done
    echo "  $result    ($((SECONDS - started)) s; log: ${log#"$root/"})"
    if [ "$result" = FAIL ]; then
      echo "  why:     $failure"
      echo "  the log's last lines:"
      tail -n 15 "$log" | sed 's/^/    | /'
    fi
  done
done

echo
summary="$passed of $((passed + failed)) passed: ${examples[*]} with Terraform ${versions[*]}"
if [ "$failed" -eq 0 ]; then
  echo "demo: PASS, $summary"
else
  echo "demo: FAIL, $summary; $failed failed (see the blocks above)"
  exit 1
fi
