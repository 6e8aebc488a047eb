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

/// How often the parent is checked.
#[cfg(unix)]
const PARENT_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Unix: shuts down (as on SIGTERM) once the process that launched this one
/// is gone. Terraform normally ends a provider with Shutdown, but a Terraform
/// that is SIGKILLed, or crashes, cannot, and its providers would live on.
///
/// The parent is remembered now and `getppid()` polled every second: when it
/// exits the kernel re-parents this process (to init or a subreaper), so the
/// value changes. `prctl(PR_SET_PDEATHSIG)` is not used: it fires when the
/// parent *thread* that forked this process exits, and Go's runtime may end
/// that thread while Terraform lives on. When `getppid()` is 1 from the start
/// (Terraform as a container's init, or already gone) there is nothing to
/// watch.
#[cfg(unix)]
pub(super) fn watch_parent(shutdown: CancellationToken) {
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    if parent <= 1 {
        tracing::debug!(parent, "no parent process to watch");
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PARENT_POLL);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            // SAFETY: as above.
            let now = unsafe { libc::getppid() };
            if now != parent {
                tracing::warn!(
                    parent,
                    new_parent = now,
                    "the process that launched the provider (pid {parent}) is gone; shutting down"
                );
                shutdown.cancel();
                return;
            }
        }
    });
}

/// Windows: not watched. Windows does not re-parent orphans, so there is no
/// parent-id change to poll for; watching Terraform would take the Windows
/// API (a process snapshot for the parent's id, then a wait on its handle),
/// which this crate does not depend on. A provider whose Terraform was killed
/// there stays until it is killed too, as go-plugin providers do.
#[cfg(windows)]
pub(super) fn watch_parent(_shutdown: CancellationToken) {}

fn interrupted(shutdown: &CancellationToken, stop_on_interrupt: bool, what: &str) {
    if stop_on_interrupt {
        tracing::info!("{what} received, shutting down");
        shutdown.cancel();
    } else {
        tracing::debug!("ignoring {what}; Terraform stops providers with StopProvider");
    }
}
