//! The provider built for other platforms and the wrappers that run it here:
//! linux_arm64 under qemu-aarch64, windows_amd64 under Wine. Each platform is
//! built once (scripts/cross-build.sh, release profile, into
//! platforms/PLATFORM/ in Cargo's target directory) and shared by every test
//! that needs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{machine, under_ci};

/// Where qemu finds the arm64 dynamic loader and C library.
pub(crate) const ARM64_SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// Debian's 64-bit Wine loader.
pub(crate) const WINE64: &str = "/usr/lib/wine/wine64";
/// The tools a cross platform test needs, beyond what the native tests need.
const CROSS_TOOLS: &[&str] = &[
    "/usr/bin/rustc",
    "/usr/bin/qemu-aarch64",
    "/usr/bin/aarch64-linux-gnu-gcc",
    "/usr/bin/x86_64-w64-mingw32-gcc",
    "/usr/bin/nasm",
    WINE64,
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A platform the provider is built for and run on here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    /// Linux on 64-bit ARM, run under qemu-aarch64 user emulation.
    LinuxArm64,
    /// Windows on x86-64, run under Wine.
    WindowsAmd64,
}

impl Platform {
    /// Terraform's `OS_ARCH` name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Platform::LinuxArm64 => "linux_arm64",
            Platform::WindowsAmd64 => "windows_amd64",
        }
    }

    fn executable(self) -> &'static str {
        match self {
            Platform::LinuxArm64 => "terraform-provider-cloudflare",
            Platform::WindowsAmd64 => "terraform-provider-cloudflare.exe",
        }
    }

    fn cell(self) -> &'static OnceLock<Option<PathBuf>> {
        static ARM64: OnceLock<Option<PathBuf>> = OnceLock::new();
        static WINDOWS: OnceLock<Option<PathBuf>> = OnceLock::new();
        match self {
            Platform::LinuxArm64 => &ARM64,
            Platform::WindowsAmd64 => &WINDOWS,
        }
    }

    /// The provider built for this platform, built on first use in this test
    /// process (Cargo makes that quick when scripts/test.sh built it already).
    /// `None`, with a note, when the cross toolchain is missing outside CI;
    /// under `CI=true` a missing toolchain or a failed build fails the test.
    pub(crate) fn binary(self) -> Option<PathBuf> {
        self.cell()
            .get_or_init(|| {
                let missing: Vec<&str> = CROSS_TOOLS
                    .iter()
                    .copied()
                    .filter(|tool| !Path::new(tool).exists())
                    .collect();
                if !missing.is_empty() {
                    assert!(
                        !under_ci(),
                        "CI=true but the cross toolchain is missing ({missing:?}); run scripts/setup.sh --cross"
                    );
                    eprintln!(
                        "note: cross toolchain missing ({missing:?}); skipping {} (scripts/setup.sh --cross installs it)",
                        self.name()
                    );
                    return None;
                }
                let out = platforms_dir().join(self.name());
                // A release build from scratch keeps every core busy for
                // minutes (a no-op when scripts/test.sh built it already).
                let _machine = machine::heavy();
                let status = Command::new("bash")
                    .arg(repo_root().join("scripts/cross-build.sh"))
                    .arg(self.name())
                    .arg(&out)
                    .status()
                    .expect("run scripts/cross-build.sh");
                assert!(status.success(), "cross build of {} failed", self.name());
                Some(out.join(self.executable()))
            })
            .clone()
    }

    /// Writes an executable script at `path` that runs `binary` (this
    /// platform's build) under its emulator with the arguments and
    /// environment it is given, as Terraform would run the provider itself.
    pub(crate) fn write_wrapper(self, path: &Path, binary: &Path) {
        use std::os::unix::fs::PermissionsExt;
        let script = match self {
            Platform::LinuxArm64 => format!(
                "#!/bin/sh\nexec qemu-aarch64 -L {ARM64_SYSROOT} '{}' \"$@\"\n",
                binary.display()
            ),
            Platform::WindowsAmd64 => {
                let copy = windows_test_copy(binary);
                format!(
                    "#!/bin/sh\nWINEPREFIX='{}' WINEDEBUG=-all exec {WINE64} '{}' \"$@\"\n",
                    wine_prefix().display(),
                    copy.display()
                )
            }
        };
        std::fs::write(path, script).expect("write wrapper");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .expect("make wrapper executable");
    }
}

/// platforms/ in Cargo's target directory (CARGO_TARGET_DIR, or target/):
/// the builds and everything the emulators need.
pub(crate) fn platforms_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("platforms")
}

/// The Wine prefix the tests use: made once, kept between runs under target/.
pub(crate) fn wine_prefix() -> PathBuf {
    platforms_dir().join("wineprefix")
}

/// A copy of the Windows build in a directory of its own with the test-only
/// bcryptprimitives.dll shim beside it (Wine 8 lacks that DLL), and the Wine
/// prefix made ready; built and copied once per test process.
fn windows_test_copy(binary: &Path) -> PathBuf {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        let dir = platforms_dir().join("windows_amd64-wine");
        std::fs::create_dir_all(&dir).expect("wine test directory");
        let status = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-O2", "-shared", "-s", "-o"])
            .arg(dir.join("bcryptprimitives.dll"))
            .arg(repo_root().join("tests/wine/bcryptprimitives.c"))
            .arg("-ladvapi32")
            .status()
            .expect("run x86_64-w64-mingw32-gcc");
        assert!(
            status.success(),
            "building the bcryptprimitives shim failed"
        );
        let copy = dir.join("terraform-provider-cloudflare.exe");
        std::fs::copy(binary, &copy).expect("copy the Windows build");
        // The first run in a new prefix creates it (tens of seconds); do it
        // here rather than inside Terraform's one-minute plugin start timeout.
        let output = Command::new(WINE64)
            .arg(&copy)
            .arg("--version")
            .env("WINEPREFIX", wine_prefix())
            .env("WINEDEBUG", "-all")
            .output()
            .expect("run wine64");
        let version = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && version.starts_with("terraform-provider-cloudflare "),
            "the Windows build does not run under Wine: {version}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        copy
    })
    .clone()
}
