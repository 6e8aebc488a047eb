#!/usr/bin/env bash
# Builds the provider executable for one Terraform platform and copies it into
# a directory, for scripts/release.sh and the platform tests (tests/platforms.rs).
#
#   scripts/cross-build.sh [--profile NAME] [--reproducible] [--clippy] PLATFORM OUTDIR
#
# PLATFORM is Terraform's OS_ARCH name: linux_amd64 (this machine: the rustup
# toolchain, as every other build here), linux_arm64 or windows_amd64. The
# cross platforms use Debian's toolchain (scripts/setup.sh --cross installs it):
# rustc-web's compiler builds the standard library from rust-web-src's source
# (-Zbuild-std, allowed on a stable compiler by RUSTC_BOOTSTRAP=1), gcc's cross
# compilers link and build AWS-LC's C, and NASM assembles AWS-LC's x86_64
# Windows assembly. Cross builds go to cross/ in Cargo's target directory
# (CARGO_TARGET_DIR, or target/) so that the two compilers never invalidate
# each other's artefacts.
#
# OUTDIR receives terraform-provider-cloudflare (terraform-provider-cloudflare.exe
# on Windows). --profile picks the Cargo profile (default release). --clippy
# lints the provider for PLATFORM with Debian's clippy instead of building.
# --reproducible builds as scripts/release.sh does: through cargo-auditable,
# with no build path in the binary (provider.sh's reproducible_build_env), in
# a target directory of its own (cross-reproducible/, or reproducible/ for
# linux_amd64) so that the tests' builds are never invalidated by its flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script_name=cross-build
# shellcheck source=scripts/provider.sh
source "$root/scripts/provider.sh"

usage() {
  echo "usage: $0 [--profile NAME] [--reproducible] linux_amd64|linux_arm64|windows_amd64 OUTDIR" >&2
  echo "       $0 --clippy linux_arm64|windows_amd64" >&2
  exit 2
}

profile=release
clippy=false
reproducible=false
while [ $# -gt 0 ]; do
  case "$1" in
    --profile)
      [ $# -ge 2 ] && [ -n "$2" ] || usage
      profile="$2"
      shift 2
      ;;
    --clippy) clippy=true; shift ;;
    --reproducible) reproducible=true; shift ;;
    -h|--help) usage ;;
    -*) echo "cross-build: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
if $clippy; then
  [ $# -eq 1 ] || usage
else
  [ $# -eq 2 ] || usage
fi
platform="$1"
outdir="${2:-}"

bin=terraform-provider-cloudflare
exe=""
case "$platform" in
  linux_amd64) triple=x86_64-unknown-linux-gnu ;;
  linux_arm64) triple=aarch64-unknown-linux-gnu; gnu_prefix=aarch64-linux-gnu ;;
  windows_amd64) triple=x86_64-pc-windows-gnu; gnu_prefix=x86_64-w64-mingw32; exe=.exe ;;
  *) echo "cross-build: unknown platform '$platform' (linux_amd64, linux_arm64 or windows_amd64)" >&2; exit 2 ;;
esac

# Cargo's directory for a profile: its name, except dev's is debug.
profile_dir="$profile"
[ "$profile" = dev ] && profile_dir=debug

# The cc crate rebuilds AWS-LC (and all that depends on it) whenever
# SOURCE_DATE_EPOCH changes; builds here never depend on it, so keep it out.
unset SOURCE_DATE_EPOCH

target_dir="$(cargo_target_dir "$root")"
build=(cargo build)
if $reproducible; then
  ! $clippy || { echo "cross-build: --reproducible does not go with --clippy" >&2; exit 2; }
  ensure_cargo_tool auditable "$CARGO_AUDITABLE_VERSION"
  build=(cargo auditable build)
fi

cd "$root"
if [ "$platform" = linux_amd64 ]; then
  if $clippy; then
    echo "cross-build: --clippy is for the cross platforms; run cargo clippy" >&2
    exit 2
  fi
  if $reproducible; then
    export CARGO_TARGET_DIR="$target_dir/reproducible"
    reproducible_build_env "$root" "$CARGO_TARGET_DIR"
  else
    export CARGO_TARGET_DIR="$target_dir"
  fi
  "${build[@]}" --profile "$profile" --locked --bin "$bin"
  built="$CARGO_TARGET_DIR/$profile_dir/$bin"
else
  missing=()
  for tool in /usr/bin/rustc "$gnu_prefix-gcc" "$gnu_prefix-ar"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ -d /usr/lib/rustlib/src/rust/library ] || missing+=("rust-web-src")
  if [ "$platform" = windows_amd64 ]; then
    command -v nasm >/dev/null 2>&1 || missing+=(nasm)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "cross-build: missing ${missing[*]}; run scripts/setup.sh --cross (as root)" >&2
    exit 1
  fi
  upper="$(echo "$triple" | tr 'a-z-' 'A-Z_')"
  lower="$(echo "$triple" | tr '-' '_')"
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir/cross"
  if $reproducible; then
    CARGO_TARGET_DIR="$target_dir/cross-reproducible"
    reproducible_build_env "$root" "$CARGO_TARGET_DIR"
  fi
  export "CARGO_TARGET_${upper}_LINKER=$gnu_prefix-gcc"
  export "CC_${lower}=$gnu_prefix-gcc" "AR_${lower}=$gnu_prefix-ar"
  cross=(-Zbuild-std=std,panic_unwind --target "$triple" --locked --bin "$bin")
  if $clippy; then
    # Debian's clippy 1.96 flags the panic counter's thread_local as not
    # const although it is (a false positive the native clippy does not have).
    /usr/bin/cargo-clippy clippy "${cross[@]}" --lib --quiet -- \
      -D warnings -A clippy::missing_const_for_thread_local
    exit 0
  fi
  "${build[@]}" --profile "$profile" "${cross[@]}"
  built="$CARGO_TARGET_DIR/$triple/$profile_dir/$bin$exe"
fi

mkdir -p "$outdir"
cp "$built" "$outdir/$bin$exe.tmp"
mv "$outdir/$bin$exe.tmp" "$outdir/$bin$exe"
echo "cross-build: $platform $(stat -c %s "$outdir/$bin$exe") bytes at $outdir/$bin$exe"
