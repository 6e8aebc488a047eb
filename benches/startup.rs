//! Start-up benchmark: process start to handshake line on stdout, launched the
//! way Terraform launches it (magic cookie, protocol versions, and a P-521
//! client certificate, so per-launch certificate generation is counted).
//!
//! Run with `cargo bench --bench startup` (release profile). Prints median,
//! p95, min and max over the launches, with and without TLS, and with TLS for
//! the linux_arm64 build under qemu-aarch64 and the windows_amd64 build under
//! Wine (built by scripts/cross-build.sh when the cross toolchain is there).
//! Under `cargo test` it only makes a few native launches, to check it still works.

// The integration suite's support; a benchmark uses a few of its helpers.
#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::platforms::Platform;
use support::plugin_client::{ClientIdentity, COOKIE};

/// Launches per measurement under `cargo bench`; `cargo test` runs a smoke pass of 3.
fn launches() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        60
    } else {
        3
    }
}

fn launch(pem: Option<&str>) -> Duration {
    launch_program(
        Path::new(env!("CARGO_BIN_EXE_terraform-provider-cloudflare")),
        pem,
    )
}

fn launch_program(program: &Path, pem: Option<&str>) -> Duration {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn provider");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("handshake");
    let elapsed = started.elapsed();
    assert!(line.starts_with("1|"), "unexpected handshake {line:?}");
    let _ = child.kill();
    let _ = child.wait();
    elapsed
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "startup[{label}]: launches={} median={:.2}ms p95={:.2}ms min={:.2}ms max={:.2}ms",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );
}

fn main() {
    let identity = ClientIdentity::generate();
    let launches = launches();
    for _ in 0..launches.min(5) {
        launch(Some(&identity.pem));
    }
    let tls: Vec<Duration> = (0..launches).map(|_| launch(Some(&identity.pem))).collect();
    let plain: Vec<Duration> = (0..launches).map(|_| launch(None)).collect();
    report("mTLS (PLUGIN_CLIENT_CERT set)", tls);
    report("plaintext", plain);
    if launches > 3 {
        emulated(&identity);
    }
}

/// Start-up of the cross builds under their emulators, through the same
/// wrappers the platform tests put in front of Terraform.
fn emulated(identity: &ClientIdentity) {
    let dir = tempfile::tempdir().expect("temp dir");
    for platform in [Platform::LinuxArm64, Platform::WindowsAmd64] {
        let Some(binary) = platform.binary() else {
            continue;
        };
        let wrapper = dir.path().join(platform.name());
        platform.write_wrapper(&wrapper, &binary);
        for _ in 0..3 {
            launch_program(&wrapper, Some(&identity.pem));
        }
        let samples = (0..20)
            .map(|_| launch_program(&wrapper, Some(&identity.pem)))
            .collect();
        report(&format!("mTLS, {} emulated", platform.name()), samples);
    }
}
