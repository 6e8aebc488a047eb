"""The release's SBOM: cargo-cyclonedx's CycloneDX 1.5 JSON for the provider
binary (its normal dependencies on every target, build dependencies left
out), made reproducible. Used by release.sh.

usage: sbom.py ROOT OUT     ROOT: the repository; OUT: the SBOM file to write

cargo-cyclonedx writes its files beside each Cargo.toml of the workspace;
this takes the provider binary's, removes the rest, and replaces the
checkout's absolute path (in the bom-refs of the root component and of the
workspace's path dependencies) with "." so the SBOM is the same wherever the
commit is checked out. Its timestamp comes from SOURCE_DATE_EPOCH, which
cargo-cyclonedx honours. Runs under a lock in
Cargo's target directory, since the files are written in the checkout.
Exit status 1 with a message when cargo-cyclonedx fails.
"""

import fcntl
import glob
import json
import os
import subprocess
import sys

BINARY = "terraform-provider-cloudflare"


def fail(message):
    print(f"sbom: {message}", file=sys.stderr)
    sys.exit(1)


def target_dir(root):
    try:
        metadata = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"],
            cwd=root, check=True, capture_output=True, text=True,
        )
        return json.loads(metadata.stdout)["target_directory"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        return os.path.join(root, "target")


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root, out = os.path.abspath(argv[1]), argv[2]
    lock_dir = target_dir(root)
    os.makedirs(lock_dir, exist_ok=True)
    with open(os.path.join(lock_dir, ".sbom.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        command = [
            "cargo", "cyclonedx", "--quiet", "--format", "json", "--describe", "binaries",
            "--target", "all", "--no-build-deps", "--spec-version", "1.5",
        ]
        made = subprocess.run(command, cwd=root, capture_output=True, text=True)
        # The workspace's members sit at the root and one level below it.
        written = glob.glob(os.path.join(root, "*_bin.cdx.json"))
        written += glob.glob(os.path.join(root, "*", "*_bin.cdx.json"))
        try:
            if made.returncode != 0:
                fail(f"cargo cyclonedx failed:\n{made.stderr}")
            ours = os.path.join(root, f"{BINARY}_bin.cdx.json")
            try:
                with open(ours) as f:
                    text = f.read()
            except OSError as error:
                fail(f"cargo cyclonedx wrote no {os.path.basename(ours)}: {error.strerror}")
        finally:
            for path in written:
                os.remove(path)
    # The root component's file://ROOT#…, and the path dependencies'
    # path+file://ROOT/MEMBER#… (the workspace's derive crate).
    text = text.replace(f"file://{root}#", "file://.#").replace(f"file://{root}/", "file://./")
    try:
        json.loads(text)
    except ValueError as error:
        fail(f"cargo cyclonedx wrote something that is not JSON: {error}")
    with open(out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
