//! The private directory (mode 0700) a Unix-socket plugin listens in, as
//! go-plugin creates it: only the user running Terraform can reach the socket.

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A private directory (mode 0700) holding the plugin's Unix socket; removed on drop.
#[derive(Debug)]
pub(super) struct SocketDir {
    dir: PathBuf,
}

impl SocketDir {
    /// Creates the directory under `PLUGIN_UNIX_SOCKET_DIR`, else `TMPDIR`, else `/tmp`.
    pub(super) fn create() -> io::Result<Self> {
        let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Self::create_in(&base)
    }

    /// Creates the directory under `base`.
    pub(super) fn create_in(base: &Path) -> io::Result<Self> {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let pid = std::process::id();
        let mut last_error = None;
        for attempt in 0..16u32 {
            let dir = base.join(format!(
                "plugin{pid}-{:x}",
                seed.wrapping_add(attempt.wrapping_mul(7919))
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(Self { dir }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("could not create a socket directory")))
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
}
