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

# Builds the provider with cargo in the repository $1 with profile $2 (release
# or debug); prints the binary's path.
build_provider() {
  local root="$1" profile="$2"
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is required to build the provider (install Rust with rustup), or pass --binary" >&2
    return 1
  fi
  if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release --bin "$PROVIDER_BINARY" >&2)
  else
    (cd "$root" && cargo build --bin "$PROVIDER_BINARY" >&2)
  fi
  echo "$root/target/$profile/$PROVIDER_BINARY"
}
