//! The private directory (mode 0700) a Unix-socket plugin listens in, as
//! go-plugin creates it: only the user running Terraform can reach the socket.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plugin::environment;

/// Environment variable naming the directory to create the socket's directory in.
pub(super) const SOCKET_DIR_ENV: &str = "PLUGIN_UNIX_SOCKET_DIR";
/// The temporary directory, used when [`SOCKET_DIR_ENV`] is unset.
pub(super) const TMPDIR_ENV: &str = "TMPDIR";
/// The directory used when neither variable is set.
const DEFAULT_BASE: &str = "/tmp";

/// Where the socket's directory is made, and which setting chose it, so that
/// every error can name both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SocketBase {
    /// The directory the socket's own directory is created in.
    pub dir: PathBuf,
    /// The variable it came from, or `None` for the default `/tmp`.
    pub from: Option<&'static str>,
}

impl SocketBase {
    /// `PLUGIN_UNIX_SOCKET_DIR`, else `TMPDIR`, else `/tmp` (empty counts as unset).
    pub(super) fn from_env() -> Self {
        Self::choose(
            environment::path(SOCKET_DIR_ENV),
            environment::path(TMPDIR_ENV),
        )
    }

    /// [`from_env`](Self::from_env) from values already looked up.
    pub(super) fn choose(socket_dir: Option<OsString>, tmpdir: Option<OsString>) -> Self {
        match (socket_dir, tmpdir) {
            (Some(dir), _) => Self {
                dir: PathBuf::from(dir),
                from: Some(SOCKET_DIR_ENV),
            },
            (None, Some(dir)) => Self {
                dir: PathBuf::from(dir),
                from: Some(TMPDIR_ENV),
            },
            (None, None) => Self {
                dir: PathBuf::from(DEFAULT_BASE),
                from: None,
            },
        }
    }

    /// What to change when this directory cannot be used.
    pub(super) fn remedy(&self) -> String {
        match self.from {
            Some(name) => format!("set {name} to a short path of a writable directory"),
            None => format!(
                "set {SOCKET_DIR_ENV} (or {TMPDIR_ENV}) to a short path of a writable directory"
            ),
        }
    }
}

impl fmt::Display for SocketBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from {
            Some(name) => write!(f, "{} (from {name})", self.dir.display()),
            None => write!(
                f,
                "{} (the default: neither {SOCKET_DIR_ENV} nor {TMPDIR_ENV} is set)",
                self.dir.display()
            ),
        }
    }
}

/// A private directory (mode 0700) holding the plugin's Unix socket; removed on drop.
#[derive(Debug)]
pub(super) struct SocketDir {
    dir: PathBuf,
}

impl SocketDir {
    /// Creates the directory in `base`; the error names the path tried and
    /// the variable it came from, and says what to change.
    pub(super) fn create(base: &SocketBase) -> Result<Self, String> {
        Self::create_in(&base.dir).map_err(|(tried, e)| {
            format!(
                "could not create the plugin socket directory {} in {base}: {e}; {}",
                tried.display(),
                base.remedy()
            )
        })
    }

    /// Creates the directory under `base`; an error comes with the path tried.
    pub(super) fn create_in(base: &Path) -> Result<Self, (PathBuf, io::Error)> {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let pid = std::process::id();
        let mut last_error = None;
        let mut tried = base.to_path_buf();
        for attempt in 0..16u32 {
            let dir = base.join(format!(
                "plugin{pid}-{:x}",
                seed.wrapping_add(attempt.wrapping_mul(7919))
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(Self { dir }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    last_error = Some(e);
                    tried = dir;
                }
                Err(e) => return Err((dir, e)),
            }
        }
        Err((
            tried,
            last_error.unwrap_or_else(|| io::Error::other("every name tried was taken")),
        ))
    }

    /// The socket's path inside the directory.
    pub(super) fn socket_path(&self) -> PathBuf {
        self.dir.join("plugin.sock")
    }

    /// The directory itself, for the tests of its mode.
    #[cfg(test)]
    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.socket_path());
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_dir_is_private_and_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir();
        let dir = SocketDir::create_in(&base).expect("create socket dir");
        let path = dir.path().to_path_buf();
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::write(dir.socket_path(), b"x").expect("write");
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn the_base_comes_from_the_socket_dir_then_tmpdir_then_tmp() {
        let a = SocketBase::choose(Some("/a".into()), Some("/b".into()));
        assert_eq!(
            (a.dir.as_path(), a.from),
            (Path::new("/a"), Some(SOCKET_DIR_ENV))
        );
        let b = SocketBase::choose(None, Some("/b".into()));
        assert_eq!(
            (b.dir.as_path(), b.from),
            (Path::new("/b"), Some(TMPDIR_ENV))
        );
        let c = SocketBase::choose(None, None);
        assert_eq!((c.dir.as_path(), c.from), (Path::new("/tmp"), None));
        assert!(c
            .to_string()
            .contains("neither PLUGIN_UNIX_SOCKET_DIR nor TMPDIR"));
    }

    #[test]
    fn an_error_names_the_path_and_the_variable_it_came_from() {
        let base = SocketBase::choose(None, Some("/nonexistent-tfcf-test/tmp".into()));
        let err = SocketDir::create(&base).expect_err("no such directory");
        assert!(err.contains("/nonexistent-tfcf-test/tmp/plugin"), "{err}");
        assert!(err.contains("(from TMPDIR)"), "{err}");
        assert!(err.contains("set TMPDIR to"), "{err}");
    }
}
