"""The documents of Terraform's provider registry protocol and provider
network mirror protocol for one release in a directory, as static files any
HTTPS host can serve. Used by release.sh after it has written the release's
zips, manifest, SHA256SUMS, its signature and the armored signing key into
DIR. The protocols each version is listed with are those of the release's
PREFIX_manifest.json, which release.sh has from the provider (--manifest).

usage: registry.py --dir DIR --address HOST/NAMESPACE/TYPE --url URL --version VERSION
                   --prefix PREFIX --key-id ID --key-file ASC OS_ARCH...

Writes, under DIR:
  .well-known/terraform.json                         {"providers.v1": "URL/v1/providers/"}
  v1/providers/NAMESPACE/TYPE/versions               every version in DIR, this one replaced or added
  v1/providers/NAMESPACE/TYPE/VERSION/download/OS/ARCH   one per platform
  mirror/HOST/NAMESPACE/TYPE/index.json              every version in DIR's mirror
  mirror/HOST/NAMESPACE/TYPE/VERSION.json            each platform's archive with h1: and zh: hashes

The registry documents give absolute URLs under URL; the mirror's archive
URLs are relative to the version document (the protocol allows it), so the
mirror works wherever DIR is served. Exit status 1 with a message when a
file it needs is missing or an earlier document is not valid JSON.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import tempfile
import zipfile


def fail(message):
    print(f"registry: {message}", file=sys.stderr)
    sys.exit(1)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hash1_of_zip(path):
    """Terraform's h1: hash of a package: Go's dirhash.Hash1 over the files
    the zip holds (each file's SHA-256 and name, one line each, sorted by
    name, then the SHA-256 of those lines, base64)."""
    lines = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if "\n" in info.filename:
                fail(f"{path} holds a file name with a newline, which h1: cannot hash")
            digest = hashlib.sha256()
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    digest.update(chunk)
            lines.append((info.filename, f"{digest.hexdigest()}  {info.filename}\n"))
    summary = "".join(line for _, line in sorted(lines))
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def write_json(path, document):
    """Writes `document` to `path` whole or not at all."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, staged = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".registry.")
    with os.fdopen(handle, "w") as f:
        json.dump(document, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(staged, 0o644)
    os.replace(staged, path)


def read_json(path, default):
    if not os.path.exists(path):
        return default
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        fail(f"{path} is not a readable JSON document ({error}); fix or remove it")


def version_key(version):
    """Sort key for MAJOR.MINOR.PATCH[-pre]: numeric parts, a prerelease first."""
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-(.*))?$", version)
    if not match:
        return ((0, 0, 0), 0, version)
    numbers = tuple(int(part) for part in match.groups()[:3])
    return (numbers, 0 if match.group(4) else 1, match.group(4) or "")


def main(argv):
    parser = argparse.ArgumentParser(prog="registry.py")
    for name in ["dir", "address", "url", "version", "prefix", "key-id", "key-file"]:
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("platforms", nargs="+")
    args = parser.parse_args(argv[1:])

    host, namespace, provider_type = args.address.split("/")
    manifest_path = os.path.join(args.dir, f"{args.prefix}_manifest.json")
    if not os.path.isfile(manifest_path):
        fail(f"{os.path.basename(manifest_path)} is missing from {args.dir}")
    manifest = read_json(manifest_path, None)
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    protocols = metadata.get("protocol_versions") if isinstance(metadata, dict) else None
    if not (isinstance(protocols, list) and protocols and all(isinstance(p, str) for p in protocols)):
        fail(f"{manifest_path} names no protocol_versions")
    url = args.url.rstrip("/")
    sums_name = f"{args.prefix}_SHA256SUMS"
    try:
        with open(args.key_file) as f:
            armor = f.read()
    except OSError as error:
        fail(f"cannot read the signing key {args.key_file}: {error.strerror}")
    for name in [sums_name, f"{sums_name}.sig"]:
        if not os.path.isfile(os.path.join(args.dir, name)):
            fail(f"{name} is missing from {args.dir}")

    discovery_path = os.path.join(args.dir, ".well-known", "terraform.json")
    discovery = read_json(discovery_path, {})
    discovery["providers.v1"] = f"{url}/v1/providers/"
    write_json(discovery_path, discovery)

    provider_dir = os.path.join(args.dir, "v1", "providers", namespace, provider_type)
    mirror_dir = os.path.join(args.dir, "mirror", host, namespace, provider_type)
    platforms = []
    archives = {}
    for platform in sorted(args.platforms):
        os_name, arch = platform.split("_", 1)
        filename = f"{args.prefix}_{platform}.zip"
        zip_path = os.path.join(args.dir, filename)
        if not os.path.isfile(zip_path):
            fail(f"{filename} is missing from {args.dir}")
        shasum = sha256_file(zip_path)
        platforms.append({"os": os_name, "arch": arch})
        write_json(
            os.path.join(provider_dir, args.version, "download", os_name, arch),
            {
                "protocols": protocols,
                "os": os_name,
                "arch": arch,
                "filename": filename,
                "download_url": f"{url}/{filename}",
                "shasums_url": f"{url}/{sums_name}",
                "shasums_signature_url": f"{url}/{sums_name}.sig",
                "shasum": shasum,
                "signing_keys": {
                    "gpg_public_keys": [{"key_id": args.key_id, "ascii_armor": armor}]
                },
            },
        )
        # mirror/HOST/NAMESPACE/TYPE/VERSION.json is four levels below DIR.
        archives[platform] = {
            "url": f"../../../../{filename}",
            "hashes": [hash1_of_zip(zip_path), f"zh:{shasum}"],
        }

    versions_path = os.path.join(provider_dir, "versions")
    listed = read_json(versions_path, {"versions": []}).get("versions", [])
    kept = [entry for entry in listed if entry.get("version") != args.version]
    kept.append({"version": args.version, "protocols": protocols, "platforms": platforms})
    kept.sort(key=lambda entry: version_key(entry.get("version", "")), reverse=True)
    write_json(versions_path, {"versions": kept})

    write_json(os.path.join(mirror_dir, f"{args.version}.json"), {"archives": archives})
    index_path = os.path.join(mirror_dir, "index.json")
    index = read_json(index_path, {"versions": {}})
    index.setdefault("versions", {})[args.version] = {}
    write_json(index_path, index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
