# Facts about the provider shared by install.sh, release.sh and demo.sh: its
# name, type and version, Terraform's name for this machine's platform, the
# check of a provider source address, building it, and the scripts' error
# exits. Sourced, not run, after setting script_name and usage_lines; the other functions
# print their answer on stdout, or an error on stderr and return non-zero.

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

# Checks that "$2" is a provider source address Terraform accepts in the
# canonical form a mirror directory needs: HOST/NAMESPACE/TYPE, lower case.
# $1 names the argument in messages. Prints nothing; returns 1 with a reason.
check_source_address() {
  local what="$1" address="$2" host namespace type port
  local -a parts
  local example="e.g. $RECOMMENDED_SOURCE"
  if [ -z "$address" ]; then
    echo "$what is empty: give HOST/NAMESPACE/TYPE, $example" >&2
    return 1
  fi
  IFS=/ read -r -a parts <<<"$address"
  if [[ "$address" == */ ]]; then
    parts+=("")
  fi
  if [ ${#parts[@]} -ne 3 ]; then
    echo "$what \"$address\" has ${#parts[@]} part(s); it must be HOST/NAMESPACE/TYPE, three parts separated by slashes, $example" >&2
    if [ ${#parts[@]} -eq 2 ]; then
      echo "  (the host is not implied here: for the public registry write registry.terraform.io/$address)" >&2
    fi
    return 1
  fi
  host="${parts[0]}" namespace="${parts[1]}" type="${parts[2]}"
  if [[ "$address" =~ [[:upper:]] ]]; then
    echo "$what \"$address\" has upper-case letters; Terraform folds addresses to lower case and the mirror directories must use that form: write \"$(tr '[:upper:]' '[:lower:]' <<<"$address")\"" >&2
    return 1
  fi
  port="${host##*:}"
  if [ "$port" != "$host" ]; then
    host="${host%:*}"
    if ! [[ "$port" =~ ^[1-9][0-9]{0,4}$ ]] || [ "$port" -gt 65535 ]; then
      echo "$what \"$address\": the port \"$port\" must be a number from 1 to 65535" >&2
      return 1
    fi
  fi
  local label='[a-z0-9]([a-z0-9-]*[a-z0-9])?'
  if ! [[ "$host" =~ ^$label(\.$label)*$ ]]; then
    echo "$what \"$address\": the host \"$host\" is not a valid hostname (letters, digits and dashes in dot-separated labels, no label starting or ending with a dash)" >&2
    return 1
  fi
  local part name
  for part in namespace type; do
    name="${!part}"
    if ! [[ "$name" =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]]; then
      echo "$what \"$address\": the $part \"$name\" must contain only letters, digits and single dashes, and start and end with a letter or digit" >&2
      return 1
    fi
  done
  if [[ "$type" == terraform-provider-* ]]; then
    echo "$what \"$address\": the type must not start with \"terraform-provider-\" (that prefix belongs to file and repository names): write \"$host/$namespace/${type#terraform-provider-}\"" >&2
    return 1
  fi
  if [ "$host" = terraform.io ] && [ "$namespace" = builtin ]; then
    echo "$what \"$address\": terraform.io/builtin/ is reserved for Terraform's built-in providers" >&2
    return 1
  fi
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
