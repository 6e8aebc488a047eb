#!/usr/bin/env bash
# Installs the provider into a Terraform filesystem mirror under a source
# address, so `terraform init` finds it without dev_overrides, and prints the
# CLI configuration that takes that address (and only it) from the mirror.
#
# usage: scripts/install.sh [--source HOST/NAMESPACE/TYPE] [--debug | --binary PATH | --zip ZIP] DIR
#   DIR            the mirror directory, e.g. ~/.terraform.d/plugins (created if missing)
#   --source A     the source address to install under (default registry.terraform.io/cloudflare/cloudflare,
#                  which replaces the official provider); beside the official provider use
#                  terraform.internal/cfsso/cloudflare
#   --debug        build and install the debug binary instead of the release one
#   --binary P     install P as it is, without building (it must report the Cargo version)
#   --zip Z        install a zip made by scripts/release.sh into the packed layout
#                  (DIR/HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip), checked
#                  against the SHA256SUMS beside it; any platform's zip can go into a mirror
#   --as-version V install a binary as version V instead of the Cargo version (not with --zip),
#                  e.g. to stand in for the official provider (~> 5.0) in tests
#
# A binary goes into the unpacked layout,
#   DIR/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_vVERSION
# Nothing is changed unless every argument checks out, and files appear in
# the mirror only complete (written next to it, then renamed into place).
# The source address is checked by the provider binary (--check-address);
# TFCF_HOST_BINARY=PATH names the binary to ask (see host_provider in
# scripts/provider.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script_name=install
usage_lines=6,18
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

# The value of option $1, given as the next argument $2 ($3 = arguments left).
option_value() {
  [ "$3" -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"
  echo "$2"
}

profile=release
binary=
zip=
source_address=$DEFAULT_SOURCE
as_version=
dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --binary) binary="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --binary=*) binary="${1#*=}" ;;
    --zip) zip="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --zip=*) zip="${1#*=}" ;;
    --source) source_address="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --source=*) source_address="${1#*=}" ;;
    --as-version) as_version="$(option_value "$1" "${2:-}" $#)"; shift ;;
    --as-version=*) as_version="${1#*=}" ;;
    -h | --help) usage; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *)
      [ -z "$dir" ] || usage_error "only one directory, got $dir and $1"
      dir="$1"
      ;;
  esac
  shift
done

# Everything about the arguments is checked before anything is written, and
# all but the source address before anything is built.
[ -n "$dir" ] || usage_error "no mirror directory given; e.g. scripts/install.sh ~/.terraform.d/plugins"
if [ -n "$zip" ]; then
  [ -z "$binary" ] && [ "$profile" = release ] || usage_error "--zip installs a release zip; it does not go with --binary or --debug"
  [ -z "$as_version" ] || usage_error "--as-version does not go with --zip: a zip's version is in its name"
fi
if [ -n "$as_version" ]; then
  reason="$(check_version --as-version "$as_version" 2>&1)" || usage_error "$reason"
fi
if [ -n "$binary" ] && [ "$profile" = debug ]; then
  usage_error "--binary installs a built binary; it does not go with --debug"
fi

# The nearest existing directory at or above DIR must be writable.
existing="$dir"
while [ ! -e "$existing" ]; do
  existing="$(dirname "$existing")"
done
[ -d "$existing" ] || usage_error "$existing is not a directory, so the mirror cannot be at $dir"
[ -w "$existing" ] && [ -x "$existing" ] || usage_error "cannot write to $existing (permission denied); choose a mirror directory you can write to"

# The provider checks the source address itself (--check-address): the
# binary given, or the build about to be installed (made now, so a retry
# after a typo finds it done), or with --zip this checkout's debug build.
build_profile=$profile
[ -z "$zip" ] || build_profile=debug
host_binary="$(host_provider "$root" "$binary" "$build_profile")" || exit 1
source_address="$(canonical_source_address --source "$source_address" "$host_binary")" || exit $?

IFS=/ read -r host namespace type <<<"$source_address"
cargo_version="$(cargo_version "$root" 2>&1)" || fail "$cargo_version"

if [ -n "$zip" ]; then
  [ -f "$zip" ] || usage_error "no such zip file: $zip"
  zip_name="$(basename "$zip")"
  pattern='^terraform-provider-([a-z0-9-]+)_([0-9A-Za-z.+-]+)_([a-z0-9]+_[a-z0-9]+)\.zip$'
  [[ "$zip_name" =~ $pattern ]] ||
    usage_error "$zip_name is not named like a release zip, terraform-provider-TYPE_VERSION_OS_ARCH.zip"
  zip_type="${BASH_REMATCH[1]}" version="${BASH_REMATCH[2]}" platform="${BASH_REMATCH[3]}"
  reason="$(check_version "the version in $zip_name" "$version" 2>&1)" || usage_error "$reason"
  executable="terraform-provider-${zip_type}_v$version"
  [[ "$platform" == windows_* ]] && executable="$executable.exe"
  reason="$(python3 "$root/scripts/provider_zip.py" check "$zip" "$executable" 2>&1)" || fail "${reason#provider_zip: }"
  sums="$(dirname "$zip")/terraform-provider-${zip_type}_${version}_SHA256SUMS"
  if [ -f "$sums" ]; then
    want="$(awk -v name="$zip_name" '$2 == name || $2 == "*" name { print $1 }' "$sums")"
    [ -n "$want" ] || fail "$sums has no line for $zip_name"
    got="$(sha256sum "$zip" | cut -d' ' -f1)"
    [ "$got" = "$want" ] || fail "$zip_name does not match its checksum in $sums (got $got, want $want)"
    checksum_note="matches $(basename "$sums")"
  else
    checksum_note="no $(basename "$sums") beside it to check against"
  fi
else
  platform="$(native_platform 2>&1)" || fail "$platform"
  if [ -z "$binary" ]; then
    binary="$(build_provider "$root" "$profile")" || exit 1
  fi
  reason="$(check_binary_version "$binary" "$cargo_version" 2>&1)" || fail "$reason"
  version="${as_version:-$cargo_version}"
fi

mkdir -p "$dir" 2>/dev/null || fail "cannot create $dir"
dir="$(cd "$dir" && pwd)"
provider_dir="$dir/$host/$namespace/$type"
packed="$provider_dir/terraform-provider-${type}_${version}_${platform}.zip"
unpacked="$provider_dir/$version/$platform"
executable_name="terraform-provider-${type}_v$version"
[[ "$platform" == windows_* ]] && executable_name="$executable_name.exe"

# Staged beside the mirror's hosts (same file system, so the renames below
# are atomic); Terraform ignores the dot directory while it exists.
stage="$(mktemp -d "$dir/.install.XXXXXX")" || fail "cannot write to $dir"
trap 'rm -rf "$stage"' EXIT

if [ -n "$zip" ]; then
  if [ "$zip_type" = "$type" ]; then
    cp "$zip" "$stage/package.zip"
  else
    # Terraform looks for terraform-provider-TYPE in the package: rename it to the address's type.
    python3 "$root/scripts/provider_zip.py" rename "$zip" "$stage/package.zip" "$executable_name"
    checksum_note="$checksum_note; repacked with the executable renamed to $executable_name, so its checksum differs from the release's"
  fi
  mkdir -p "$provider_dir"
  mv -f "$stage/package.zip" "$packed"
  installed="$packed"
  replaced="$unpacked"
else
  mkdir -p "$stage/$platform"
  cp "$binary" "$stage/$platform/$executable_name"
  chmod 0755 "$stage/$platform/$executable_name"
  mkdir -p "$provider_dir/$version"
  if [ -d "$unpacked" ]; then
    mv -f "$stage/$platform/$executable_name" "$unpacked/$executable_name"
  else
    mv "$stage/$platform" "$unpacked"
  fi
  installed="$unpacked/$executable_name"
  replaced="$packed"
fi
# One package per version and platform: the other layout's copy would compete with this one.
if [ -e "$replaced" ]; then
  rm -rf "$replaced"
  echo "install: removed the other layout's copy of the same version and platform, $replaced"
fi

cat <<EOF
install: installed terraform-provider-$type $version for $platform as $source_address:
  $installed
EOF
[ -z "$zip" ] || echo "  (${checksum_note})"
cat <<EOF

Use the mirror for this address, and the registry for every other provider,
from your Terraform CLI configuration (~/.terraformrc, or the file named by
TF_CLI_CONFIG_FILE):

provider_installation {
  filesystem_mirror {
    path    = "$dir"
    include = ["$source_address"]
  }
  direct {
    exclude = ["$source_address"]
  }
}

EOF
if [ "$source_address" = "$DEFAULT_SOURCE" ]; then
  cat <<EOF
Under this address the provider replaces the official cloudflare/cloudflare
in every configuration that uses this CLI configuration. To use it beside the
official provider, install it with --source $RECOMMENDED_SOURCE.
EOF
else
  cat <<EOF
In your configuration, give it a local name of its own and point the data
sources it should read at it with the provider meta-argument:

terraform {
  required_providers {
    cfsso = { source = "$source_address" }
  }
}

data "cloudflare_sso_connector" "corp" {
  provider = cfsso
  ...
}
EOF
fi
cat <<EOF

Then run \`terraform init\`. After reinstalling a rebuilt package of the same
version, delete its entry in .terraform.lock.hcl first: the recorded checksum
no longer matches.
EOF
