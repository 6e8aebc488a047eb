//! How the process reacts to interrupts from the terminal and requests to
//! terminate. Terraform stops a provider it launched with StopProvider and
//! Shutdown, never with an interrupt: a Ctrl-C at the terminal reaches every
//! process of the console, so a launched provider ignores it, as go-plugin
//! servers do, and lets Terraform wind it down. In debug mode Ctrl-C is the
//! way to stop.

use tokio_util::sync::CancellationToken;

/// Unix: SIGTERM shuts down cleanly; SIGINT shuts down only with
/// `stop_on_interrupt` (debug mode) and is otherwise ignored.
#[cfg(unix)]
pub(super) fn watch(shutdown: CancellationToken, stop_on_interrupt: bool) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupts =
        signal(SignalKind::interrupt()).map_err(|e| format!("could not handle SIGINT: {e}"))?;
    let mut terminates =
        signal(SignalKind::terminate()).map_err(|e| format!("could not handle SIGTERM: {e}"))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupts.recv() => interrupted(&shutdown, stop_on_interrupt, "SIGINT"),
                Some(()) = terminates.recv() => {
                    tracing::info!("SIGTERM received, shutting down");
                    shutdown.cancel();
                }
                else => return,
            }
        }
    });
    Ok(())
}

/// Windows: Ctrl-C and Ctrl-Break are handled as SIGINT is on Unix (ignored,
/// or in debug mode a clean stop); closing the console or shutting the system
/// down stops the provider cleanly, as SIGTERM does.
#[cfg(windows)]
pub(super) fn watch(shutdown: CancellationToken, stop_on_interrupt: bool) -> Result<(), String> {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_shutdown};
    let failed = |what: &str, e: std::io::Error| format!("could not handle {what}: {e}");
    let mut interrupts = ctrl_c().map_err(|e| failed("Ctrl-C", e))?;
    let mut breaks = ctrl_break().map_err(|e| failed("Ctrl-Break", e))?;
    let mut closes = ctrl_close().map_err(|e| failed("console close", e))?;
    let mut shutdowns = ctrl_shutdown().map_err(|e| failed("system shutdown", e))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupts.recv() => interrupted(&shutdown, stop_on_interrupt, "Ctrl-C"),
                Some(()) = breaks.recv() => interrupted(&shutdown, stop_on_interrupt, "Ctrl-Break"),
                Some(()) = closes.recv() => {
                    tracing::info!("console closing, shutting down");
                    shutdown.cancel();
                }
                Some(()) = shutdowns.recv() => {
                    tracing::info!("system shutting down, shutting down");
                    shutdown.cancel();
                }
                else => return,
            }
        }
    });
    Ok(())
}

fn interrupted(shutdown: &CancellationToken, stop_on_interrupt: bool, what: &str) {
    if stop_on_interrupt {
        tracing::info!("{what} received, shutting down");
        shutdown.cancel();
    } else {
        tracing::debug!("ignoring {what}; Terraform stops providers with StopProvider");
    }
}
