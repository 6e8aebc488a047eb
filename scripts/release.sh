#!/usr/bin/env bash
# Builds the release artifacts as the Terraform Registry publishes a provider:
#
#   dist/terraform-provider-cloudflare_VERSION_OS_ARCH.zip    one per target, holding
#                                                            terraform-provider-cloudflare_vVERSION(.exe)
#   dist/terraform-provider-cloudflare_VERSION_SHA256SUMS     sha256sum lines for the zips and the manifest
#   dist/terraform-provider-cloudflare_VERSION_manifest.json  the plugin protocols served (5.0 and 6.0)
#
# VERSION is the version in Cargo.toml. `scripts/install.sh --zip` puts a zip
# into a filesystem mirror. Signing SHA256SUMS (the registry wants a GPG
# signature beside it) is left to the publisher.
#
# usage: scripts/release.sh [--native] [--debug | --binary PATH] [--out DIR] [OS_ARCH...]
#   OS_ARCH      the targets to build: linux_amd64, linux_arm64, windows_amd64 (default: all three;
#                elsewhere than linux_amd64 only the machine's own platform can be built)
#   --native     build only this machine's platform (quick; no cross toolchain needed)
#   --out DIR    where the artifacts go (default: dist/ in the repository)
#   --debug      package debug builds instead of release builds (quick, for tests)
#   --binary P   package P as this machine's binary without building it (it must report the Cargo
#                version); other targets are built; without OS_ARCH only this machine's is packaged
#
# linux_arm64 and windows_amd64 are cross-built by scripts/cross-build.sh with
# Debian's toolchain (scripts/setup.sh --cross installs it) into
# target/platforms/, where tests/platforms.rs runs the same builds under
# qemu-aarch64 and Wine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script_name=release
usage_lines=13,20
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

# The protocol versions the binary serves, for the manifest.
PROTOCOL_VERSIONS='["5.0", "6.0"]'
# Every platform this machine builds: its own and, cross-built, the others.
CROSS_PLATFORMS=(linux_amd64 linux_arm64 windows_amd64)

profile=release
binary=
native_only=false
out="$root/dist"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --native) native_only=true ;;
    --debug) profile=debug ;;
    --binary)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--binary needs a path"
      binary="$2"
      shift
      ;;
    --binary=*) binary="${1#*=}" ;;
    --out)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--out needs a directory"
      out="$2"
      shift
      ;;
    --out=*) out="${1#*=}" ;;
    -h | --help) usage; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *) targets+=("$1") ;;
  esac
  shift
done

native="$(native_platform 2>&1)" || fail "$native"
# This machine's platform, and from linux_amd64 the ones cross-build.sh makes.
buildable=("$native")
[ "$native" != linux_amd64 ] || buildable=("${CROSS_PLATFORMS[@]}")
if [ ${#targets[@]} -gt 0 ]; then
  ! $native_only || usage_error "--native builds only $native; it does not go with a list of targets"
elif $native_only || [ -n "$binary" ]; then
  targets=("$native")
else
  targets=("${buildable[@]}")
fi
for target in "${targets[@]}"; do
  [[ "$target" =~ ^[a-z0-9]+_[a-z0-9]+$ ]] || usage_error "target \"$target\" is not an OS_ARCH pair like $native"
  [[ " ${buildable[*]} " == *" $target "* ]] ||
    usage_error "cannot build $target on this machine: it builds ${buildable[*]}"
done
[ -z "$binary" ] || [ "$profile" = release ] || usage_error "--binary packages a built binary; it does not go with --debug"
version="$(cargo_version "$root" 2>&1)" || fail "$version"

# The executable for target $1, built (or given with --binary) and checked.
# Cross builds come from scripts/cross-build.sh; they cannot run here to
# report their version, but are built from this same tree.
binary_for() {
  local path="$binary" reason dir
  if [ "$1" != "$native" ]; then
    dir="$root/target/platforms/$1"
    [ "$profile" = release ] || dir="$dir-debug"
    local cargo_profile="$profile"
    [ "$profile" = release ] || cargo_profile=dev
    bash "$root/scripts/cross-build.sh" --profile "$cargo_profile" "$1" "$dir" >&2 || return 1
    path="$dir/$PROVIDER_BINARY"
    [[ "$1" != windows_* ]] || path="$path.exe"
    echo "$path"
    return 0
  fi
  if [ -z "$path" ]; then
    path="$(build_provider "$root" "$profile")" || return 1
  fi
  reason="$(check_binary_version "$path" "$version" 2>&1)" || { echo "release: $reason" >&2; return 1; }
  echo "$path"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$@"
  else
    shasum -a 256 "$@"
  fi
}

mkdir -p "$out" 2>/dev/null || fail "cannot create $out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d "$out/.release.XXXXXX")" || fail "cannot write to $out"
trap 'rm -rf "$stage"' EXIT
prefix="terraform-provider-${PROVIDER_TYPE}_${version}"
# Reproducible archives: the last commit's time unless SOURCE_DATE_EPOCH says
# otherwise. Given to the packer only: the cc crate rebuilds AWS-LC whenever
# SOURCE_DATE_EPOCH changes, so the builds must not see it.
epoch="${SOURCE_DATE_EPOCH:-}"
if [ -z "$epoch" ]; then
  epoch="$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 315532800)"
fi

for target in "${targets[@]}"; do
  path="$(binary_for "$target")" || exit 1
  executable="terraform-provider-${PROVIDER_TYPE}_v$version"
  [[ "$target" == windows_* ]] && executable="$executable.exe"
  SOURCE_DATE_EPOCH="$epoch" python3 "$root/scripts/provider_zip.py" pack "$stage/${prefix}_$target.zip" "$path" "$executable"
  echo "release: packed $path as ${prefix}_$target.zip"
done

cat >"$stage/${prefix}_manifest.json" <<EOF
{
  "version": 1,
  "metadata": {
    "protocol_versions": $PROTOCOL_VERSIONS
  }
}
EOF
(cd "$stage" && sha256 "${prefix}"_*.zip "${prefix}_manifest.json" >"${prefix}_SHA256SUMS")

# Replace this version's artifacts as a set: an older zip would not be in the new SHA256SUMS.
rm -f "$out/${prefix}"_*
for file in "$stage"/*; do
  mv "$file" "$out/"
done
echo "release: $(basename "$out")/ holds, for version $version:"
(cd "$out" && ls -l "${prefix}"_* | awk '{printf "  %10d  %s\n", $5, $NF}')
