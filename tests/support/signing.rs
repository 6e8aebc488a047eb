//! Throwaway GnuPG keys for signing test releases: a keyring in a temporary
//! GNUPGHOME, RSA keys made without a passphrase, and the agent stopped when
//! the keyring goes. No private key ever leaves the temporary directory.

use std::path::Path;
use std::process::Command;

use super::terraform::text;

/// A GnuPG home of the test's own, removed (and its agent stopped) on drop.
pub(crate) struct Keyring {
    home: tempfile::TempDir,
}

/// A key made in a [`Keyring`].
#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// Its fingerprint, what `release.sh --sign` is given.
    pub fingerprint: String,
    /// Its long key id (16 upper-case hex digits), as Terraform prints it.
    pub key_id: String,
}

impl Keyring {
    /// An empty keyring.
    pub(crate) fn new() -> Self {
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("temporary GNUPGHOME");
        Self { home }
    }

    /// The GNUPGHOME to give gpg and release.sh.
    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// `gpg --batch args…` on this keyring.
    pub(crate) fn gpg(&self, args: &[&str]) -> String {
        let output = Command::new("gpg")
            .arg("--batch")
            .args(args)
            .env("GNUPGHOME", self.home())
            .output()
            .expect("run gpg (GnuPG; scripts/setup.sh --release installs it)");
        let (out, err) = text(&output);
        assert!(output.status.success(), "gpg {args:?} failed\n{out}\n{err}");
        out
    }

    /// A new RSA signing key for `name`, with no passphrase and no expiry.
    pub(crate) fn generate_rsa(&self, name: &str) -> Key {
        let uid = format!("{name} <release@example.test>");
        self.gpg(&[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            &uid,
            "rsa2048",
            "sign",
            "never",
        ]);
        let listing = self.gpg(&["--with-colons", "--list-secret-keys", &uid]);
        let field = |record: &str, index: usize| {
            listing
                .lines()
                .find(|line| line.starts_with(&format!("{record}:")))
                .and_then(|line| line.split(':').nth(index))
                .unwrap_or_else(|| panic!("no {record} record for {uid}:\n{listing}"))
                .to_string()
        };
        Key {
            fingerprint: field("fpr", 9),
            key_id: field("sec", 4),
        }
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", self.home())
            .output();
    }
}
