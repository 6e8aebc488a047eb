#!/usr/bin/env bash
# Installs the provider into a Terraform filesystem mirror, so `terraform init`
# finds it without dev_overrides:
#
#   <dir>/registry.terraform.io/cloudflare/cloudflare/<version>/<os>_<arch>/terraform-provider-cloudflare_v<version>
#
# <version> is the version in Cargo.toml, checked against the binary's
# --version. Prints the CLI configuration block that uses the mirror.
#
# usage: scripts/install.sh [--debug | --binary PATH] [DIR]
#   DIR          the mirror directory (default: ~/.terraform.d/plugins)
#   --debug      build and install the debug binary instead of the release one
#   --binary P   install P as it is, without building (it must report the Cargo version)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

profile=release
binary=
dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --binary)
      [ $# -ge 2 ] || { echo "install: --binary needs a path" >&2; exit 2; }
      binary="$2"
      shift
      ;;
    --binary=*) binary="${1#--binary=}" ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "install: unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      [ -z "$dir" ] || { echo "install: only one directory, got $dir and $1" >&2; exit 2; }
      dir="$1"
      ;;
  esac
  shift
done
dir="${dir:-$HOME/.terraform.d/plugins}"

version="$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | sed -n 1p)"
if [ -z "$version" ]; then
  echo "install: no version found in the [package] section of $root/Cargo.toml" >&2
  exit 1
fi

if [ -z "$binary" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "install: cargo is required to build the provider (install Rust with rustup), or pass --binary" >&2
    exit 1
  fi
  if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release --bin terraform-provider-cloudflare)
  else
    (cd "$root" && cargo build --bin terraform-provider-cloudflare)
  fi
  binary="$root/target/$profile/terraform-provider-cloudflare"
fi
if [ ! -x "$binary" ]; then
  echo "install: $binary is not an executable file" >&2
  exit 1
fi

reported="$("$binary" --version)"
if [ "$reported" != "terraform-provider-cloudflare $version" ]; then
  echo "install: $binary reports \"$reported\", but Cargo.toml says version $version; rebuild it" >&2
  exit 1
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  FreeBSD) os=freebsd ;;
  OpenBSD) os=openbsd ;;
  *) echo "install: unsupported operating system $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  i386 | i686) arch=386 ;;
  armv6l | armv7l) arch=arm ;;
  *) echo "install: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
target_dir="$dir/registry.terraform.io/cloudflare/cloudflare/$version/${os}_${arch}"
target="$target_dir/terraform-provider-cloudflare_v$version"
mkdir -p "$target_dir"
# Copy next to the target, then rename: a running Terraform never sees half a file.
cp "$binary" "$target.tmp.$$"
chmod 0755 "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"

cat <<EOF
install: installed terraform-provider-cloudflare $version for ${os}_${arch} as
  $target

Use the mirror from your Terraform CLI configuration (~/.terraformrc, or the
file named by TF_CLI_CONFIG_FILE):

provider_installation {
  filesystem_mirror {
    path    = "$dir"
    include = ["registry.terraform.io/cloudflare/*"]
  }
  direct {
    exclude = ["registry.terraform.io/cloudflare/*"]
  }
}

Then run \`terraform init\` in your configuration. After reinstalling a rebuilt
binary of the same version, delete the cloudflare/cloudflare entry of
.terraform.lock.hcl first: its recorded checksum no longer matches.
EOF
