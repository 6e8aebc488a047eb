# Facts about the provider shared by install.sh, release.sh and demo.sh: its
# name, type and version, Terraform's name for this machine's platform,
# building it, asking the binary what it decides (a source address's
# canonical form, the registry manifest), and the scripts' error exits.
# Sourced, not run, after setting script_name and usage_lines; the other
# functions print their answer on stdout, or an error on stderr and return
# non-zero.

# The usage: lines $usage_lines (e.g. 6,18) of the running script's header
# comment, without the comment marks.
usage() {
  sed -n "${usage_lines}p" "$0" | sed 's/^# \{0,1\}//'
}

# Bad input: the reason, a pointer to the usage, exit status 2.
usage_error() {
  echo "$script_name: $1" >&2
  echo "run scripts/$script_name.sh --help for the usage" >&2
  exit 2
}

# A failure that is not the arguments' fault: the reason, exit status 1.
fail() {
  echo "$script_name: $1" >&2
  exit 1
}

# The default source address: the official provider's, which this one replaces.
DEFAULT_SOURCE=registry.terraform.io/cloudflare/cloudflare
# The address docs and examples use beside the official provider: a private
# host (.internal is reserved for private use and never resolves publicly).
RECOMMENDED_SOURCE=terraform.internal/cfsso/cloudflare
# The executable cargo builds.
PROVIDER_BINARY=terraform-provider-cloudflare
# The provider type in this build's file names (terraform-provider-TYPE).
PROVIDER_TYPE=${PROVIDER_BINARY#terraform-provider-}

# The version in the [package] section of Cargo.toml at $1.
cargo_version() {
  local version
  version="$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\([^"]*\)".*/\1/p' "$1/Cargo.toml" | sed -n 1p)"
  if [ -z "$version" ]; then
    echo "no version found in the [package] section of $1/Cargo.toml" >&2
    return 1
  fi
  echo "$version"
}

# Terraform's OS_ARCH for this machine, e.g. linux_amd64.
native_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    FreeBSD) os=freebsd ;;
    OpenBSD) os=openbsd ;;
    *) echo "unsupported operating system $(uname -s)" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    i386 | i686) arch=386 ;;
    armv6l | armv7l) arch=arm ;;
    *) echo "unsupported architecture $(uname -m)" >&2; return 1 ;;
  esac
  echo "${os}_${arch}"
}

# The canonical form of the provider source address "$2" ($1 names the
# argument in messages), as the provider binary $3 checks it
# (--check-address, with the rules of src/provider_address.rs): printed on
# stdout, or a usage error (exit status 2) with the binary's reason. Call it
# as x="$(canonical_source_address ...)" || exit $? (its errors exit the
# subshell and are on stderr already).
canonical_source_address() {
  local what="$1" address="$2" binary="$3" answer status=0
  answer="$("$binary" --check-address "$address" 2>&1)" || status=$?
  case "$status" in
    0)
      if [ -z "$answer" ] || [[ "$answer" == *[[:space:]]* ]]; then
        fail "$binary --check-address printed \"$answer\", not an address: is it this provider, built from this checkout?"
      fi
      echo "$answer"
      ;;
    2)
      if [[ "$answer" == "$PROVIDER_BINARY: "* ]]; then
        fail "$binary does not know --check-address (built before it?): rebuild it"
      fi
      usage_error "$what $answer"
      ;;
    *) fail "$binary --check-address failed (exit status $status): $answer" ;;
  esac
}

# The registry manifest (_manifest.json, naming the plugin protocols served)
# as the provider binary $1 prints it (--manifest), checked to be one.
provider_manifest() {
  local manifest
  manifest="$("$1" --manifest 2>&1)" || {
    echo "$1 --manifest failed: $manifest" >&2
    return 1
  }
  python3 -c '
import json, sys
try:
    versions = json.loads(sys.stdin.read())["metadata"]["protocol_versions"]
except (ValueError, KeyError, TypeError):
    sys.exit(1)
sys.exit(0 if isinstance(versions, list) and versions else 1)' <<<"$manifest" || {
    echo "$1 --manifest printed no registry manifest (is it this provider, built from this checkout?): $manifest" >&2
    return 1
  }
  echo "$manifest"
}

# Checks that "$2" is a version Terraform accepts (MAJOR.MINOR.PATCH with an
# optional -prerelease); $1 names the argument in messages.
check_version() {
  if ! [[ "$2" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
    echo "$1 \"$2\" is not a version: write MAJOR.MINOR.PATCH, e.g. 5.999.0" >&2
    return 1
  fi
}

# Checks that the executable $1 is this provider at version $2 (what Cargo.toml says).
check_binary_version() {
  local reported
  if [ ! -f "$1" ] || [ ! -x "$1" ]; then
    echo "$1 is not an executable file" >&2
    return 1
  fi
  reported="$("$1" --version 2>/dev/null || true)"
  if [ "$reported" != "$PROVIDER_BINARY $2" ]; then
    echo "$1 reports \"$reported\", but Cargo.toml says version $2; rebuild it" >&2
    return 1
  fi
}

# Cargo's target directory for the repository $1: CARGO_TARGET_DIR, or
# build.target-dir from Cargo's configuration, or target/ in the repository.
cargo_target_dir() {
  local dir=
  if command -v cargo >/dev/null 2>&1; then
    dir="$(cd "$1" && cargo metadata --format-version 1 --no-deps --offline 2>/dev/null |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)" || dir=
  fi
  [ -n "$dir" ] || dir="${CARGO_TARGET_DIR:-$1/target}"
  echo "$dir"
}

# Exports what makes a build of the repository $1 into the target directory
# $2 reproducible: no path of this machine in the binary. rustc and the C
# compiler (AWS-LC's C code, through the cc crate) map the checkout, Cargo's
# home (the crates' sources), the target directory (OUT_DIR, where build
# scripts generate code) and the standard library's source (what
# -Zbuild-std compiles in the cross builds) to fixed names. The
# target directory goes last: it may lie inside the checkout, and with both
# compilers the last matching mapping wins. SOURCE_DATE_EPOCH stays out (it
# changes nothing in the binary, but the cc crate rebuilds AWS-LC whenever it
# changes).
reproducible_build_env() {
  local root="$1" target="$2" sysroot map flags cflags=
  local -a rustflags=()
  sysroot="$("${RUSTC:-rustc}" --print sysroot)" || return 1
  for map in "$root=/build" "${CARGO_HOME:-$HOME/.cargo}=/cargo" "$sysroot/lib/rustlib/src/rust=/rustc-src" "$target=/target"; do
    rustflags+=("--remap-path-prefix=$map")
    cflags="$cflags -ffile-prefix-map=$map"
  done
  # CARGO_ENCODED_RUSTFLAGS separates flags with 0x1f, so paths may hold spaces.
  flags="$(IFS=$'\x1f'; echo "${rustflags[*]}")"
  export CARGO_ENCODED_RUSTFLAGS="$flags"
  export CFLAGS="${CFLAGS:+$CFLAGS }${cflags# }"
  unset RUSTFLAGS SOURCE_DATE_EPOCH
}

# Installs the cargo subcommand $1 from crates.io at version $2 unless a
# cargo-$1 is on PATH already (a debug build: it installs in about half the
# time and runs fast enough for what the scripts ask of it).
ensure_cargo_tool() {
  local tool="cargo-$1" version="$2"
  command -v "$tool" >/dev/null 2>&1 && return 0
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is required to install $tool (install Rust with rustup)" >&2
    return 1
  fi
  echo "$script_name: installing $tool $version from crates.io (once; cargo install --locked --debug)" >&2
  cargo install --quiet --locked --debug "$tool@$version" >&2 || return 1
  command -v "$tool" >/dev/null 2>&1 || {
    echo "$tool was installed but is not on PATH; add $(dirname "$(command -v cargo)") to PATH" >&2
    return 1
  }
}

# The crates.io tools the release and the CI checks use, pinned.
CARGO_AUDITABLE_VERSION=0.7.7
CARGO_CYCLONEDX_VERSION=0.5.9
CARGO_DENY_VERSION=0.20.2

# Builds the provider with cargo in the repository $1 with profile $2 (release
# or debug); prints the binary's path. With $3 = reproducible (release only),
# builds as a release is built: through cargo-auditable (the binary embeds its
# dependency list), under reproducible_build_env, in a target directory of
# its own (reproducible/ in Cargo's) so that its flags never invalidate the
# everyday builds.
build_provider() {
  local root="$1" profile="$2" mode="${3:-}" target
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is required to build the provider (install Rust with rustup), or pass --binary" >&2
    return 1
  fi
  target="$(cargo_target_dir "$root")"
  if [ "$mode" = reproducible ]; then
    ensure_cargo_tool auditable "$CARGO_AUDITABLE_VERSION" || return 1
    target="$target/reproducible"
    (
      reproducible_build_env "$root" "$target" || exit 1
      cd "$root" && CARGO_TARGET_DIR="$target" cargo auditable build --release --locked --bin "$PROVIDER_BINARY" >&2
    ) || return 1
  elif [ "$profile" = release ]; then
    (cd "$root" && cargo build --release --bin "$PROVIDER_BINARY" >&2) || return 1
  else
    (cd "$root" && cargo build --bin "$PROVIDER_BINARY" >&2) || return 1
  fi
  echo "$target/$profile/$PROVIDER_BINARY"
}

# The provider binary to ask what the provider itself decides (the source
# address rules, --check-address; the plugin protocols it serves,
# --manifest), so that the scripts keep no copies of either. $1 is the
# repository, $2 a binary for this machine that the script was handed or
# built (empty for none), $3 the profile to build when there is none (default
# debug). In order: $TFCF_HOST_BINARY (the tests set it to the build under
# test, since a cargo build inside cargo test waits for the lock that cargo
# holds while the tests run), $2, or build_provider's build of $1 (quick when
# it is up to date). Prints its path.
host_provider() {
  local root="$1" binary="${TFCF_HOST_BINARY:-${2:-}}" profile="${3:-debug}"
  if [ -z "$binary" ]; then
    build_provider "$root" "$profile"
    return
  fi
  if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "$script_name: $binary${TFCF_HOST_BINARY:+ (TFCF_HOST_BINARY)} is not an executable file" >&2
    return 1
  fi
  echo "$binary"
}
