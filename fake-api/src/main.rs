//! `fake-cloudflare-api`: the fake Cloudflare API as a command, for the demo,
//! the benchmarks and running by hand. It prints
//! `FAKE_CLOUDFLARE_API_URL=http://127.0.0.1:<port>/client/v4` once listening
//! and serves until SIGINT or SIGTERM, or until the process that started it
//! exits. Run with `--help` for the flags.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use fake_cloudflare_api::{cli, Command};

/// Completes when the process that started us exits (we get re-parented), so
/// a fake API whose test or script was killed without cleaning up does not
/// linger.
#[cfg(unix)]
async fn parent_exit() {
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}

/// Completes on SIGINT, SIGTERM or the parent's exit, naming the reason.
#[cfg(unix)]
async fn shutdown() -> Result<&'static str, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    Ok(tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
        () = parent_exit() => "parent process exited",
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
async fn shutdown() -> Result<&'static str, String> {
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    Ok("Ctrl-C")
}

/// Writes the base URL to stdout for whoever started us.
fn announce(url: &str) -> Result<(), String> {
    let mut out = io::stdout().lock();
    writeln!(out, "FAKE_CLOUDFLARE_API_URL={url}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the URL to stdout: {e}"))
}

fn main() -> ExitCode {
    let fail = |message: String| {
        let _ = writeln!(io::stderr(), "fake-cloudflare-api: {message}");
        ExitCode::from(2)
    };
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            let _ = io::stdout().write_all(cli::USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(fake_cloudflare_api::run(options, announce, shutdown()));
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(Ok(reason)) => {
            let _ = writeln!(
                io::stderr(),
                "fake-cloudflare-api: shutting down ({reason})"
            );
            ExitCode::SUCCESS
        }
        Ok(Err(e)) | Err(e) => fail(e),
    }
}
