//! Publishing the way teams install providers (issue 19): `scripts/release.sh
//! --sign KEY --address HOST/NAMESPACE/TYPE --url URL` writes a signed static
//! provider registry and a network mirror, served here over HTTPS on
//! 127.0.0.1 (a test CA trusted through SSL_CERT_FILE) under a made-up
//! registry hostname mapped to it by a CLI configuration's `host` block built
//! from the discovery document, and under `localhost:PORT`, where Terraform
//! reads the discovery document itself. Real Terraform (both versions)
//! installs from it with a bare `terraform init`, locks all three platforms' zips from the registry
//! and from the mirror, installs through the mirror with that lock file, and
//! refuses a tampered zip, a signature by a key the registry does not list, a
//! missing signature and a lock file whose hash does not match.
//!
//! The linux_arm64 and windows_amd64 zips hold the cross builds CI makes
//! before the tests (target/platforms/), and linux_amd64's the test build.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support;
use crate::support::fake_api::{FakeApi, TOKEN};
use crate::support::mirror::{assert_installed, assert_refused, basic_under, repo, utf8, VERSION};
use crate::support::platforms::Platform;
use crate::support::signing::{Key, Keyring};
use crate::support::static_site::StaticSite;
use crate::support::terraform::{one_line, provider_binary, text, Terraform, Workspace};
use crate::support::tls_server::TestCa;

/// The made-up registry host, namespace and type the release is published under.
const ADDRESS: &str = "registry.example.test/acme/cfsso";
const HOST: &str = "registry.example.test";
const TYPE: &str = "cfsso";
/// The platforms released, as Terraform names them.
const PLATFORMS: [&str; 3] = ["linux_amd64", "linux_arm64", "windows_amd64"];

fn prefix() -> String {
    format!("terraform-provider-{TYPE}_{VERSION}")
}

fn zip_name(platform: &str) -> String {
    format!("{}_{platform}.zip", prefix())
}

fn sums_name() -> String {
    format!("{}_SHA256SUMS", prefix())
}

/// Runs `scripts/release.sh args…` with `gnupg_home` as GNUPGHOME.
fn release(args: &[&str], gnupg_home: &Path) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts/release.sh"))
        .args(args)
        .env("GNUPGHOME", gnupg_home)
        .env("HOME", std::env::temp_dir())
        .env("TFCF_HOST_BINARY", provider_binary())
        .output()
        .expect("run scripts/release.sh")
}

fn release_ok(args: &[&str], gnupg_home: &Path) -> String {
    let output = release(args, gnupg_home);
    let (out, err) = text(&output);
    assert!(
        output.status.success(),
        "release.sh {args:?} failed\n{out}\n{err}"
    );
    out
}

/// The protocol versions the build under test serves, as its `--manifest` names them.
fn served_protocols() -> serde_json::Value {
    let output = Command::new(provider_binary())
        .arg("--manifest")
        .output()
        .expect("run the provider with --manifest");
    assert!(output.status.success(), "{:?}", text(&output));
    let manifest: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the manifest is JSON");
    manifest["metadata"]["protocol_versions"].clone()
}

fn read_json(path: &Path) -> serde_json::Value {
    let body = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{} is not JSON ({e})", path.display()))
}

/// A signed release of all three platforms, published into a directory that
/// a static HTTPS site serves.
struct Published {
    dir: tempfile::TempDir,
    ca_file: PathBuf,
    site: StaticSite,
    keyring: Keyring,
    key: Key,
}

impl Published {
    /// Publishes the release, or `None` (outside CI) when the cross builds cannot be made here.
    fn new() -> Option<Self> {
        let arm64 = Platform::LinuxArm64.binary()?;
        let windows = Platform::WindowsAmd64.binary()?;
        let (dir, root, ca_file, site) = release_site("127.0.0.1");
        let keyring = Keyring::new();
        let key = keyring.generate_rsa("Test Release Signing");
        let native = stripped_test_build(dir.path());
        let arm64 = format!("linux_arm64={}", arm64.display());
        let windows = format!("windows_amd64={}", windows.display());
        let url = site.url();
        let printed = release_ok(
            &[
                "--binary",
                utf8(&native),
                "--binary",
                &arm64,
                "--binary",
                &windows,
                "--sign",
                &key.fingerprint,
                "--address",
                ADDRESS,
                "--url",
                &url,
                "--out",
                utf8(&root),
            ],
            keyring.home(),
        );
        assert!(
            printed.contains(&format!("signed {} with key {}", sums_name(), key.key_id)),
            "{printed}"
        );
        Some(Self {
            dir,
            ca_file,
            site,
            keyring,
            key,
        })
    }

    /// The published directory.
    fn root(&self) -> PathBuf {
        self.dir.path().join("release")
    }

    /// The providers.v1 URL, read from the discovery document the release wrote.
    fn providers_v1(&self) -> String {
        let discovery = read_json(&self.root().join(".well-known/terraform.json"));
        discovery["providers.v1"]
            .as_str()
            .unwrap_or_else(|| panic!("no providers.v1 in {discovery}"))
            .to_string()
    }

    /// A CLI configuration that maps the made-up host to the site, as its
    /// discovery document says, and installs every provider directly.
    fn registry_cli_config(&self) -> String {
        format!(
            "host \"{HOST}\" {{\n  services = {{\n    \"providers.v1\" = \"{}\"\n  }}\n}}\n\nprovider_installation {{\n  direct {{}}\n}}\n",
            self.providers_v1()
        )
    }

    fn mirror_url(&self) -> String {
        format!("{}/mirror/", self.site.url())
    }

    /// A CLI configuration that installs every provider through the network mirror.
    fn mirror_cli_config(&self) -> String {
        format!(
            "provider_installation {{\n  network_mirror {{\n    url = \"{}\"\n  }}\n}}\n",
            self.mirror_url()
        )
    }

    /// examples/basic with its provider at ADDRESS, reading `api`.
    fn workspace(&self, cli_config: &str, api: &FakeApi) -> Workspace {
        basic_workspace(ADDRESS, cli_config, &self.ca_file, api)
    }

    /// The sha256 of each file SHA256SUMS lists.
    fn listed_sums(&self) -> BTreeMap<String, String> {
        let sums = fs::read_to_string(self.root().join(sums_name())).expect("SHA256SUMS");
        sums.lines()
            .filter_map(|line| line.split_once("  "))
            .map(|(sum, name)| (name.to_string(), sum.to_string()))
            .collect()
    }

    /// The h1: hash the mirror lists for each platform.
    fn mirror_h1_hashes(&self) -> Vec<String> {
        let listed = read_json(
            &self
                .root()
                .join("mirror")
                .join(ADDRESS)
                .join(format!("{VERSION}.json")),
        );
        PLATFORMS
            .iter()
            .map(|p| {
                listed["archives"][p]["hashes"][0]
                    .as_str()
                    .filter(|h| h.starts_with("h1:"))
                    .unwrap_or_else(|| panic!("no h1: hash for {p} in {listed}"))
                    .to_string()
            })
            .collect()
    }

    /// A copy of the release, changed by `change`, served from now on.
    fn serve_changed(&self, name: &str, change: impl FnOnce(&Path)) {
        let copy = self.dir.path().join(name);
        let status = Command::new("cp")
            .arg("-a")
            .arg(self.root())
            .arg(&copy)
            .status()
            .expect("cp");
        assert!(status.success(), "copying the release failed");
        change(&copy);
        self.site.set_root(&copy);
    }
}

/// The test build without its debug info, in `dir`: the same program, a
/// quarter of the size to zip, serve and unpack in every init.
fn stripped_test_build(dir: &Path) -> PathBuf {
    let native = dir.join("terraform-provider-cloudflare");
    let stripped = Command::new("strip")
        .args(["--strip-debug", "-o"])
        .arg(&native)
        .arg(provider_binary())
        .status()
        .expect("run strip (binutils)");
    assert!(stripped.success(), "strip failed");
    native
}

/// A temporary directory with an empty `release/` in it, served over HTTPS
/// as `host` with a certificate of a new test CA, whose PEM file is written
/// beside it: the directory, the release folder, the CA file and the site.
fn release_site(host: &str) -> (tempfile::TempDir, PathBuf, PathBuf, StaticSite) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("release");
    fs::create_dir_all(&root).expect("release dir");
    let ca = TestCa::new();
    let ca_file = dir.path().join("ca.pem");
    fs::write(&ca_file, ca.pem()).expect("write CA");
    let site = StaticSite::start(ca.leaf(&[host], false), &root);
    (dir, root, ca_file, site)
}

/// examples/basic with its provider at `address`, installed as `cli_config`
/// says, trusting the CA in `ca_file`, reading `api`.
fn basic_workspace(address: &str, cli_config: &str, ca_file: &Path, api: &FakeApi) -> Workspace {
    let mut ws = Workspace::new(&basic_under(address));
    ws.set_cli_config(cli_config);
    ws.set_env("SSL_CERT_FILE", utf8(ca_file));
    ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
    ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
    ws
}

fn init(tf: &Terraform, ws: &Workspace) -> String {
    ws.run_ok(tf, &["init", "-input=false", "-no-color"])
}

/// Runs `init`, asserts that it fails and returns its error output on one line.
fn init_refused(tf: &Terraform, ws: &Workspace) -> String {
    let refused = ws.run(tf, &["init", "-input=false", "-no-color"]);
    let (out, err) = text(&refused);
    assert!(
        !refused.status.success(),
        "{}: init succeeded\n{out}",
        tf.label
    );
    one_line(&err)
}

fn plan_reads(tf: &Terraform, ws: &Workspace) {
    let out = ws.run_ok_for_connector(tf, &["plan", "-input=false", "-no-color"]);
    assert!(
        out.contains("data.cloudflare_sso_connector.this: Read complete"),
        "{}: {out}",
        tf.label
    );
}

fn lock_platforms(tf: &Terraform, ws: &Workspace, source_flag: Option<&str>) -> String {
    let mut args = vec!["providers", "lock", "-no-color"];
    args.extend(source_flag);
    let flags: Vec<String> = PLATFORMS.iter().map(|p| format!("-platform={p}")).collect();
    args.extend(flags.iter().map(String::as_str));
    let out = ws.run_ok(tf, &args);
    for platform in PLATFORMS {
        assert!(
            out.contains(&format!("{ADDRESS} {VERSION} for {platform}")),
            "{}: {out}",
            tf.label
        );
    }
    fs::read_to_string(ws.path(".terraform.lock.hcl")).expect("lock file")
}

#[test]
fn terraform_installs_the_signed_release_from_the_static_registry_and_runs_it() {
    let Some(published) = Published::new() else {
        return;
    };
    let signed = format!(
        "Installed {ADDRESS} v{VERSION} (self-signed, key ID {})",
        published.key.key_id
    );
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = published.workspace(&published.registry_cli_config(), &api);
        let out = init(&tf, &ws);
        assert!(out.contains(&signed), "{}: {out}", tf.label);
        eprintln!("{}: init printed: {}", tf.label, one_line(&out));
        plan_reads(&tf, &ws);
        let (_, outputs) = ws.apply_and_output(
            &tf,
            &support::terraform::connector_vars(support::fake_api::CONNECTOR)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        assert!(
            outputs["email_domain"]["value"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{}: {outputs}",
            tf.label
        );
    }
    let requests = published.site.requests();
    for path in [
        "/v1/providers/acme/cfsso/versions".to_string(),
        format!("/v1/providers/acme/cfsso/{VERSION}/download/linux/amd64"),
        format!("/{}", zip_name("linux_amd64")),
        format!("/{}", sums_name()),
        format!("/{}.sig", sums_name()),
    ] {
        assert!(
            requests.contains(&path),
            "{path} not requested: {requests:?}"
        );
    }
}

#[test]
fn a_bare_init_finds_the_registry_through_its_discovery_document() {
    // A hostname with a port is a registry host too, and localhost needs no
    // DNS: with no host block at all, Terraform fetches
    // https://localhost:PORT/.well-known/terraform.json itself and follows
    // its providers.v1 URL.
    let (dir, root, ca_file, site) = release_site("localhost");
    let address = format!("localhost:{}/acme/cfsso", site.port);
    let url = format!("https://localhost:{}", site.port);
    let keyring = Keyring::new();
    let key = keyring.generate_rsa("Test Release Signing");
    let native = stripped_test_build(dir.path());
    release_ok(
        &[
            "--binary",
            utf8(&native),
            "--sign",
            &key.fingerprint,
            "--address",
            &address,
            "--url",
            &url,
            "--out",
            utf8(&root),
        ],
        keyring.home(),
    );
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let ws = basic_workspace(&address, "", &ca_file, &api);
        let out = init(&tf, &ws);
        assert!(
            out.contains(&format!(
                "Installed {address} v{VERSION} (self-signed, key ID {})",
                key.key_id
            )),
            "{}: {out}",
            tf.label
        );
        plan_reads(&tf, &ws);
    }
    let requests = site.requests();
    assert!(
        requests.iter().any(|p| p == "/.well-known/terraform.json"),
        "no discovery request: {requests:?}"
    );
}

#[test]
fn the_lock_file_holds_every_platforms_zip_from_the_registry_and_the_mirror() {
    let Some(published) = Published::new() else {
        return;
    };
    let sums = published.listed_sums();
    let zip_hashes: Vec<String> = PLATFORMS
        .iter()
        .map(|p| format!("zh:{}", sums[&zip_name(p)]))
        .collect();
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let from_registry = published.workspace(&published.registry_cli_config(), &api);
        let lock = lock_platforms(&tf, &from_registry, None);
        for hash in &zip_hashes {
            assert!(
                lock.contains(hash),
                "{}: registry lock lacks {hash}\n{lock}",
                tf.label
            );
        }

        // The mirror is not signed, so Terraform takes no zh: hash from it:
        // it records the h1: hash of each platform's package it fetched,
        // which must be the one the mirror lists, and the registry's lock
        // holds the same three.
        let from_mirror = published.workspace(&published.mirror_cli_config(), &api);
        let mirror_flag = format!("-net-mirror={}", published.mirror_url());
        let mirror_lock = lock_platforms(&tf, &from_mirror, Some(&mirror_flag));
        for h1 in published.mirror_h1_hashes() {
            assert!(
                mirror_lock.contains(&h1) && lock.contains(&h1),
                "{}: {h1} is not in both lock files\nmirror:\n{mirror_lock}\nregistry:\n{lock}",
                tf.label
            );
        }
        assert_eq!(
            mirror_lock.matches("\"h1:").count(),
            PLATFORMS.len(),
            "{}: {mirror_lock}",
            tf.label
        );
        eprintln!("{}: lock from the mirror:\n{mirror_lock}", tf.label);
        eprintln!("{}: lock from the registry:\n{lock}", tf.label);

        // The registry's lock file, then an install through the mirror alone.
        fs::write(from_mirror.path(".terraform.lock.hcl"), &lock).expect("write lock");
        let out = init(&tf, &from_mirror);
        assert_installed(&tf.label, &out, ADDRESS, "(verified checksum)");
        eprintln!(
            "{}: init through the mirror printed: {}",
            tf.label,
            one_line(&out)
        );
        plan_reads(&tf, &from_mirror);
    }
}

#[test]
fn terraform_refuses_a_tampered_unsigned_or_foreign_signed_release_and_a_wrong_lock() {
    let Some(published) = Published::new() else {
        return;
    };
    let tfs = Terraform::all();
    let attempt = |what: &str, cli_config: &str, lock: Option<&str>, wanted: &[&str]| {
        for tf in &tfs {
            let api = FakeApi::start();
            let ws = published.workspace(cli_config, &api);
            if let Some(lock) = lock {
                fs::write(ws.path(".terraform.lock.hcl"), lock).expect("write lock");
            }
            let err = init_refused(tf, &ws);
            eprintln!("{}: {what}: {err}", tf.label);
            for needle in wanted {
                assert!(
                    err.contains(needle),
                    "{}: {what}: expected {needle:?} in {err}",
                    tf.label
                );
            }
        }
    };
    let registry = published.registry_cli_config();

    // A zip changed after SHA256SUMS was signed, and then, as a more
    // thorough attacker would, the registry's download document and
    // SHA256SUMS changed to match: each layer is refused.
    let zip = zip_name("linux_amd64");
    let signed_sum = published.listed_sums()[&zip].clone();
    let changed_zip = |dir: &Path| {
        let path = dir.join(&zip);
        let mut bytes = fs::read(&path).expect("zip");
        bytes.extend_from_slice(b"tampered");
        fs::write(&path, &bytes).expect("write zip");
        sha256_hex(&bytes)
    };
    let replace_in = |path: &Path, from: &str, to: &str| {
        let text = fs::read_to_string(path).expect("read");
        assert!(text.contains(from), "{} lacks {from}", path.display());
        fs::write(path, text.replace(from, to)).expect("write");
    };
    let document = format!("v1/providers/acme/cfsso/{VERSION}/download/linux/amd64");
    // The bytes appended are always the same, so is the changed zip's sum.
    let mut tampered_sum = String::new();
    let layers = [
        ("tampered-zip", "a zip changed after signing", 1),
        (
            "tampered-document",
            "a zip and its download document changed after signing",
            2,
        ),
        (
            "tampered-sums",
            "a zip, its download document and SHA256SUMS changed after signing",
            3,
        ),
    ];
    for (name, what, layers_changed) in layers {
        published.serve_changed(name, |dir| {
            tampered_sum = changed_zip(dir);
            if layers_changed >= 2 {
                replace_in(&dir.join(&document), &signed_sum, &tampered_sum);
            }
            if layers_changed >= 3 {
                replace_in(&dir.join(sums_name()), &signed_sum, &tampered_sum);
            }
        });
        let refused = match layers_changed {
            1 => format!(
                "archive has incorrect checksum zh:{tampered_sum} (expected zh:{signed_sum})"
            ),
            2 => format!(
                "checksum list has unexpected SHA-256 hash {signed_sum} (expected {tampered_sum})"
            ),
            _ => "error checking signature: openpgp: invalid signature".to_string(),
        };
        attempt(what, &registry, None, &[&refused]);
    }

    // SHA256SUMS signed by a key the registry does not list.
    let other = published.keyring.generate_rsa("Someone Else");
    let keyring = &published.keyring;
    published.serve_changed("foreign", |dir| {
        let sums = dir.join(sums_name());
        let sig = dir.join(format!("{}.sig", sums_name()));
        fs::remove_file(&sig).expect("remove signature");
        keyring.gpg(&[
            "--local-user",
            &other.fingerprint,
            "--output",
            utf8(&sig),
            "--detach-sign",
            utf8(&sums),
        ]);
    });
    attempt(
        "signed by an unlisted key",
        &registry,
        None,
        &["authentication signature from unknown issuer"],
    );

    // No signature file.
    published.serve_changed("unsigned", |dir| {
        fs::remove_file(dir.join(format!("{}.sig", sums_name()))).expect("remove signature");
    });
    attempt(
        "no signature file",
        &registry,
        None,
        &["failed to retrieve cryptographic signature for provider: 404 Not Found"],
    );

    // A lock file whose hash does not match the package.
    published.site.set_root(&published.root());
    let wrong = format!(
        "provider \"{ADDRESS}\" {{\n  version = \"{VERSION}\"\n  hashes = [\n    \"zh:{}\",\n  ]\n}}\n",
        "0".repeat(64)
    );
    let needle =
        "doesn't match any of the checksums previously recorded in the dependency lock file";
    attempt(
        "a wrong lock file, registry",
        &registry,
        Some(&wrong),
        &[needle],
    );
    attempt(
        "a wrong lock file, mirror",
        &published.mirror_cli_config(),
        Some(&wrong),
        &[needle],
    );
}

#[test]
fn the_registry_and_mirror_documents_follow_the_protocols_and_keep_earlier_versions() {
    let keyring = Keyring::new();
    let key = keyring.generate_rsa("Test Release Signing");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    // An earlier release already published into the directory.
    let provider_dir = root.join("v1/providers/acme/cfsso");
    let mirror_dir = root.join("mirror").join(ADDRESS);
    fs::create_dir_all(&provider_dir).expect("provider dir");
    fs::create_dir_all(&mirror_dir).expect("mirror dir");
    let earlier = serde_json::json!({"version": "0.0.9", "protocols": ["6.0"],
        "platforms": [{"os": "linux", "arch": "amd64"}]});
    fs::write(
        provider_dir.join("versions"),
        serde_json::json!({ "versions": [earlier.clone()] }).to_string(),
    )
    .expect("seed versions");
    fs::write(
        mirror_dir.join("index.json"),
        r#"{"versions": {"0.0.9": {}}}"#,
    )
    .expect("seed mirror index");

    let url = "https://registry.example.test/releases";
    // A stand-in that reports the version: these are file checks, and a
    // small zip is quick to make.
    let scratch = tempfile::tempdir().expect("temp dir");
    let binary = support::mirror::fake_provider(scratch.path(), VERSION);
    release_ok(
        &[
            "--binary",
            utf8(&binary),
            "--sign",
            &key.fingerprint,
            "--address",
            ADDRESS,
            "--url",
            url,
            "--out",
            utf8(root),
        ],
        keyring.home(),
    );

    assert_eq!(
        read_json(&root.join(".well-known/terraform.json")),
        serde_json::json!({"providers.v1": format!("{url}/v1/providers/")})
    );
    let versions = read_json(&provider_dir.join("versions"));
    assert_eq!(
        versions,
        serde_json::json!({"versions": [
            {"version": VERSION, "protocols": served_protocols(), "platforms": [{"os": "linux", "arch": "amd64"}]},
            earlier,
        ]}),
        "the new version is listed and the earlier one kept"
    );

    let download = read_json(&provider_dir.join(format!("{VERSION}/download/linux/amd64")));
    let zip = zip_name("linux_amd64");
    let zip_bytes = fs::read(root.join(&zip)).expect("zip");
    let shasum = sha256_hex(&zip_bytes);
    let armor =
        fs::read_to_string(root.join(format!("{}_signing-key.asc", prefix()))).expect("key");
    assert!(
        armor.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{armor}"
    );
    assert_eq!(
        download,
        serde_json::json!({
            "protocols": served_protocols(),
            "os": "linux",
            "arch": "amd64",
            "filename": zip,
            "download_url": format!("{url}/{zip}"),
            "shasums_url": format!("{url}/{}", sums_name()),
            "shasums_signature_url": format!("{url}/{}.sig", sums_name()),
            "shasum": shasum,
            "signing_keys": {"gpg_public_keys": [{"key_id": key.key_id, "ascii_armor": armor}]},
        })
    );

    // The signature verifies with the published key alone, as a user checks it by hand.
    let verifier = Keyring::new();
    verifier.gpg(&[
        "--import",
        utf8(&root.join(format!("{}_signing-key.asc", prefix()))),
    ]);
    let sums = root.join(sums_name());
    let sig = root.join(format!("{}.sig", sums_name()));
    verifier.gpg(&["--verify", utf8(&sig), utf8(&sums)]);

    assert_eq!(
        read_json(&mirror_dir.join("index.json")),
        serde_json::json!({"versions": {"0.0.9": {}, VERSION: {}}})
    );
    let archives = read_json(&mirror_dir.join(format!("{VERSION}.json")));
    let archive = &archives["archives"]["linux_amd64"];
    assert_eq!(archive["url"], format!("../../../../{zip}"));
    let hashes: Vec<&str> = archive["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert_eq!(hashes.len(), 2, "{archive}");
    assert!(hashes[0].starts_with("h1:"), "{archive}");
    assert_eq!(hashes[1], format!("zh:{shasum}"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a sum")
        .to_string()
}

#[test]
fn release_script_refuses_incomplete_registry_arguments() {
    let keyring = Keyring::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let fake = support::mirror::fake_provider(dir.path(), VERSION);
    let binary = utf8(&fake);
    for (args, needle) in [
        (
            vec!["--address", ADDRESS],
            "--address and --url go together",
        ),
        (
            vec!["--address", ADDRESS, "--url", "https://r.example.test"],
            "--address needs --sign",
        ),
        (
            vec![
                "--address",
                ADDRESS,
                "--url",
                "http://r.example.test",
                "--sign",
                "x",
            ],
            "must be an https:// URL",
        ),
        (
            vec!["--address", "acme/cfsso", "--url", "https://r.example.test"],
            "part(s)",
        ),
        (
            vec!["--sign", "no-such-key@example.test"],
            "no such secret key",
        ),
        (
            vec!["--binary", "windows_amd64=/bin/sh"],
            "not a Windows executable",
        ),
    ] {
        let mut all = vec!["--binary", binary];
        all.extend(args.iter().copied());
        all.extend(["--out", utf8(&out)]);
        let output = release(&all, keyring.home());
        let (stdout, _) = text(&output);
        assert!(!output.status.success(), "{all:?}\n{stdout}");
        assert_refused(&output, &all, needle, &out);
    }
}
