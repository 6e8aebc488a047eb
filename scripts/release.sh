#!/usr/bin/env bash
# Builds a release as teams install providers, into --out DIR (default dist/):
#
#   terraform-provider-TYPE_VERSION_OS_ARCH.zip     one per target, holding terraform-provider-TYPE_vVERSION(.exe)
#   terraform-provider-TYPE_VERSION_SHA256SUMS      sha256sum lines for the zips, the manifest and the SBOM
#   terraform-provider-TYPE_VERSION_manifest.json   the plugin protocols served (from the binary's --manifest)
#   terraform-provider-TYPE_VERSION_sbom.cdx.json   CycloneDX SBOM of the provider's dependency tree (cargo-cyclonedx)
#   with --sign:
#   terraform-provider-TYPE_VERSION_SHA256SUMS.sig  binary detached GPG signature of SHA256SUMS
#   terraform-provider-TYPE_VERSION_signing-key.asc the signing key's armored public key
#   with --address and --url, the files of Terraform's provider registry protocol and a network mirror:
#   .well-known/terraform.json                      service discovery (providers.v1), for https://HOST/
#   v1/providers/NAMESPACE/TYPE/versions            every version released into DIR (earlier ones stay listed)
#   v1/providers/NAMESPACE/TYPE/VERSION/download/OS/ARCH   one per platform
#   mirror/HOST/NAMESPACE/TYPE/index.json, VERSION.json    the network mirror protocol (h1: and zh: hashes)
#
# usage: scripts/release.sh [--native] [--debug | --binary [OS_ARCH=]PATH...] [--out DIR]
#                           [--sign KEY] [--address HOST/NAMESPACE/TYPE --url URL] [OS_ARCH...]
#   OS_ARCH       the targets: linux_amd64, linux_arm64, windows_amd64 (default: all three;
#                 elsewhere than linux_amd64 only the machine's own platform can be built)
#   --native      build only this machine's platform (quick; no cross toolchain needed)
#   --out DIR     where the release goes (default: dist/ in the repository)
#   --debug       package debug builds instead of reproducible release builds (quick, for tests)
#   --binary P    package P as this machine's binary without building it (it must report the Cargo
#                 version); OS_ARCH=P gives a prebuilt binary for that platform (repeatable); without
#                 OS_ARCH arguments only the platforms given are packaged, otherwise the rest are built
#   --sign KEY    sign SHA256SUMS with KEY (a key id or fingerprint in gpg's keyring; use RSA:
#                 Terraform before 1.6 cannot verify Ed25519 signatures)
#   --address A   the provider's source address, HOST/NAMESPACE/TYPE: names the files after TYPE and
#                 writes the registry and mirror documents (needs --sign and --url)
#   --url URL     where DIR will be served, e.g. https://registry.example.com (HTTPS)
#
# Release builds are reproducible: the same commit gives the same bytes
# wherever it is checked out and whatever the target directory (no build
# paths in the binary; zip timestamps from the commit). They go through
# cargo-auditable, so the binary carries its dependency list for
# `cargo audit bin`. cargo-auditable and cargo-cyclonedx are installed from
# crates.io when missing. linux_arm64 and windows_amd64 are cross-built by
# scripts/cross-build.sh with Debian's toolchain (scripts/setup.sh --cross).
# What the provider decides is asked of its binary for this machine: the
# manifest (--manifest) and the --address check (--check-address); it is the
# native binary released, or else this checkout's debug build, or
# TFCF_HOST_BINARY=PATH (see host_provider in scripts/provider.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script_name=release
usage_lines=17,31
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

# Every platform this machine builds: its own and, cross-built, the others.
CROSS_PLATFORMS=(linux_amd64 linux_arm64 windows_amd64)

# The value of option $1, given as the next argument $2 ($3 = arguments left).
option_value() {
  [ "$3" -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
  echo "$2"
}

profile=release
native_only=false
out="$root/dist"
sign_key=
address=
url=
targets=()
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --native) native_only=true ;;
    --debug) profile=debug ;;
    --binary)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--binary needs a path"
      binaries+=("$2")
      shift
      ;;
    --binary=*) binaries+=("${1#*=}") ;;
    --out) out="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --out=*) out="${1#*=}" ;;
    --sign) sign_key="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --sign=*) sign_key="${1#*=}" ;;
    --address) address="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --address=*) address="${1#*=}" ;;
    --url) url="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --url=*) url="${1#*=}" ;;
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

# --binary arguments: OS_ARCH=PATH, or a bare PATH for this machine's platform.
declare -A given=()
for spec in "${binaries[@]}"; do
  platform="$native" path="$spec"
  if [[ "$spec" =~ ^([a-z0-9]+_[a-z0-9]+)=(.+)$ ]]; then
    platform="${BASH_REMATCH[1]}" path="${BASH_REMATCH[2]}"
  fi
  [ -z "${given[$platform]:-}" ] || usage_error "--binary gives $platform twice"
  given[$platform]="$path"
done

if [ ${#targets[@]} -gt 0 ]; then
  ! $native_only || usage_error "--native builds only $native; it does not go with a list of targets"
elif $native_only; then
  targets=("$native")
elif [ ${#given[@]} -gt 0 ]; then
  for platform in "${CROSS_PLATFORMS[@]}" "$native"; do
    [ -z "${given[$platform]:-}" ] || [[ " ${targets[*]} " == *" $platform "* ]] || targets+=("$platform")
  done
  for platform in "${!given[@]}"; do
    [[ " ${targets[*]} " == *" $platform "* ]] || targets+=("$platform")
  done
else
  targets=("${buildable[@]}")
fi
for target in "${targets[@]}"; do
  [[ "$target" =~ ^[a-z0-9]+_[a-z0-9]+$ ]] || usage_error "target \"$target\" is not an OS_ARCH pair like $native"
  [ -n "${given[$target]:-}" ] || [[ " ${buildable[*]} " == *" $target "* ]] ||
    usage_error "cannot build $target on this machine: it builds ${buildable[*]}"
done
for platform in "${!given[@]}"; do
  [[ " ${targets[*]} " == *" $platform "* ]] || usage_error "--binary gives $platform, which is not among the targets ${targets[*]}"
done
[ ${#given[@]} -eq 0 ] || [ "$profile" = release ] || usage_error "--binary packages a built binary; it does not go with --debug"
if [ -n "$address" ] || [ -n "$url" ]; then
  [ -n "$address" ] && [ -n "$url" ] || usage_error "--address and --url go together: the registry documents need both"
  [[ "$url" =~ ^https://[^/?#]+(/[^?#]*)?$ ]] || usage_error "--url \"$url\" must be an https:// URL without query or fragment (Terraform fetches registries over HTTPS only)"
  url="${url%/}"
  host_binary="$(host_provider "$root" "${given[$native]:-}")" || exit 1
  address="$(canonical_source_address --address "$address" "$host_binary")" || exit $?
  [ -n "$sign_key" ] || usage_error "--address needs --sign: Terraform installs nothing from a registry whose SHA256SUMS is not signed"
fi
provider_type="$PROVIDER_TYPE"
[ -z "$address" ] || provider_type="${address##*/}"
version="$(cargo_version "$root" 2>&1)" || fail "$version"

# The signing key, checked before anything is built: its long key id and algorithm.
if [ -n "$sign_key" ]; then
  command -v gpg >/dev/null 2>&1 || fail "--sign needs gpg (GnuPG; scripts/setup.sh --release installs it)"
  key_line="$(gpg --batch --with-colons --list-secret-keys -- "$sign_key" 2>/dev/null | awk -F: '$1 == "sec" { print; exit }')" ||
    key_line=
  [ -n "$key_line" ] || fail "--sign $sign_key: no such secret key in gpg's keyring${GNUPGHOME:+ (GNUPGHOME=$GNUPGHOME)}"
  key_id="$(cut -d: -f5 <<<"$key_line")"
  key_algorithm="$(cut -d: -f4 <<<"$key_line")"
  if [ "$key_algorithm" != 1 ]; then
    echo "release: warning: $sign_key is not an RSA key; Terraform before 1.6 cannot verify its signatures" >&2
  fi
fi

# Checks that the prebuilt $2 looks like an executable for platform $1.
check_platform_binary() {
  python3 - "$1" "$2" <<'PY'
import sys
platform, path = sys.argv[1], sys.argv[2]
try:
    with open(path, "rb") as f:
        head = f.read(64)
except OSError as error:
    sys.exit(f"{path}: {error.strerror}")
# ELF e_machine values.
machines = {"amd64": 0x3E, "arm64": 0xB7}
os_name, arch = platform.split("_", 1)
if os_name == "windows":
    ok = head[:2] == b"MZ"
    kind = "a Windows executable"
elif os_name == "darwin":
    ok = head[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
    kind = "a Mach-O executable"
elif head[:4] == b"\x7fELF" and len(head) > 19:
    ok = arch not in machines or int.from_bytes(head[18:20], "little") == machines[arch]
    kind = f"an ELF executable for {arch}"
else:
    ok, kind = False, "an ELF executable"
if not ok:
    sys.exit(f"{path} is not {kind}, so it cannot be the {platform} binary")
PY
}

# The executable for target $1, built (or given with --binary) and checked.
# Cross builds come from scripts/cross-build.sh; they cannot run here to
# report their version, but are built from this same tree.
binary_for() {
  local path="${given[$1]:-}" reason dir
  if [ "$1" != "$native" ]; then
    if [ -z "$path" ]; then
      dir="$(cargo_target_dir "$root")/platforms/release-$1"
      local cargo_profile=release mode=--reproducible
      if [ "$profile" != release ]; then
        dir="$dir-debug" cargo_profile=dev mode=
      fi
      bash "$root/scripts/cross-build.sh" --profile "$cargo_profile" $mode "$1" "$dir" >&2 || return 1
      path="$dir/$PROVIDER_BINARY"
      [[ "$1" != windows_* ]] || path="$path.exe"
    fi
    reason="$(check_platform_binary "$1" "$path" 2>&1)" || { echo "release: $reason" >&2; return 1; }
    echo "$path"
    return 0
  fi
  if [ -z "$path" ]; then
    local mode=
    [ "$profile" != release ] || mode=reproducible
    path="$(build_provider "$root" "$profile" $mode)" || return 1
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
prefix="terraform-provider-${provider_type}_${version}"
# Reproducible archives: the last commit's time unless SOURCE_DATE_EPOCH says
# otherwise. Given to the packer and the SBOM only: the cc crate rebuilds
# AWS-LC whenever SOURCE_DATE_EPOCH changes, so the builds must not see it.
epoch="${SOURCE_DATE_EPOCH:-}"
if [ -z "$epoch" ]; then
  epoch="$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 315532800)"
fi

native_binary=
for target in "${targets[@]}"; do
  path="$(binary_for "$target")" || exit 1
  [ "$target" != "$native" ] || native_binary="$path"
  executable="terraform-provider-${provider_type}_v$version"
  [[ "$target" == windows_* ]] && executable="$executable.exe"
  SOURCE_DATE_EPOCH="$epoch" python3 "$root/scripts/provider_zip.py" pack "$stage/${prefix}_$target.zip" "$path" "$executable"
  echo "release: packed $path as ${prefix}_$target.zip"
done

# The manifest as the provider gives it: the protocols its plugin server speaks.
if [ -z "${host_binary:-}" ]; then
  host_binary="$(host_provider "$root" "$native_binary")" || exit 1
fi
manifest="$(provider_manifest "$host_binary" 2>&1)" || fail "$manifest"
printf '%s\n' "$manifest" >"$stage/${prefix}_manifest.json"

# The SBOM of the provider's own dependency tree (normal dependencies, as
# built for Linux, Windows and macOS alike), from cargo-cyclonedx.
ensure_cargo_tool cyclonedx "$CARGO_CYCLONEDX_VERSION" || fail "cannot install cargo-cyclonedx"
SOURCE_DATE_EPOCH="$epoch" python3 "$root/scripts/sbom.py" "$root" "$stage/${prefix}_sbom.cdx.json" ||
  fail "the SBOM could not be made"

(cd "$stage" && sha256 "${prefix}"_*.zip "${prefix}_manifest.json" "${prefix}_sbom.cdx.json" >"${prefix}_SHA256SUMS")

if [ -n "$sign_key" ]; then
  gpg --batch --yes --quiet --local-user "$sign_key" --output "$stage/${prefix}_SHA256SUMS.sig" \
    --detach-sign "$stage/${prefix}_SHA256SUMS" || fail "gpg could not sign with $sign_key"
  gpg --batch --armor --export-options export-minimal --export -- "$sign_key" >"$stage/${prefix}_signing-key.asc"
  [ -s "$stage/${prefix}_signing-key.asc" ] || fail "gpg exported no public key for $sign_key"
  echo "release: signed ${prefix}_SHA256SUMS with key $key_id"
else
  echo "release: unsigned: no --sign KEY, so no ${prefix}_SHA256SUMS.sig (a registry needs one)"
fi

# Replace this version's artifacts as a set: an older zip would not be in the new SHA256SUMS.
rm -f "$out/${prefix}"_*
for file in "$stage"/*; do
  mv "$file" "$out/"
done

if [ -n "$address" ]; then
  python3 "$root/scripts/registry.py" --dir "$out" --address "$address" --url "$url" \
    --version "$version" --prefix "$prefix" \
    --key-id "$key_id" --key-file "$out/${prefix}_signing-key.asc" "${targets[@]}" ||
    fail "the registry documents could not be written"
  echo "release: registry documents for $address written under $(basename "$out")/ (serve it at $url)"
fi
echo "release: $(basename "$out")/ holds, for version $version:"
(cd "$out" && ls -l "${prefix}"_* | awk '{printf "  %10d  %s\n", $5, $NF}')
