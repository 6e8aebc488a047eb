//! Panics, both kinds: a panic that would kill the process is written to
//! stderr as `panic: …` plus a backtrace (the form Terraform reports as "the
//! plugin crashed"), while a panic inside a request handler is caught, logged
//! as a structured error line, and handed back so the handler's caller can
//! turn it into an error diagnostic and keep serving.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// How many [`CatchPanic`] polls are on this thread's stack right now.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

/// Installs the process-wide panic hook. Uncaught panics are written raw for
/// Terraform's crash capture; caught ones go to the structured log instead, so
/// a recovered handler does not look like a crash in Terraform's log.
pub(super) fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        if CATCHING.with(Cell::get) > 0 {
            tracing::error!(panic = %info, backtrace = %backtrace, "Recovered from a panic in a request handler");
        } else {
            eprintln!("panic: {info}\n\n{backtrace}");
        }
    }));
}

/// A future whose panics are caught: resolves to `Err(message)` instead of unwinding.
pub(super) struct CatchPanic<'a, T> {
    inner: Option<Pin<Box<dyn Future<Output = T> + Send + 'a>>>,
}

/// Wraps `future` so that a panic while polling it becomes `Err(message)`.
pub(super) fn catch<'a, T>(future: impl Future<Output = T> + Send + 'a) -> CatchPanic<'a, T> {
    CatchPanic {
        inner: Some(Box::pin(future)),
    }
}

impl<T> Future for CatchPanic<'_, T> {
    type Output = Result<T, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err("the handler was polled after it panicked".to_string()));
        };
        CATCHING.with(|c| c.set(c.get().saturating_add(1)));
        let polled = catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx)));
        CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => {
                self.inner = None;
                Poll::Ready(Err(message(payload.as_ref())))
            }
        }
    }
}

/// The text a panic was raised with, when it carried one.
pub(super) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_future_resolves_to_its_message() {
        let caught = catch(async {
            tokio::task::yield_now().await;
            panic!("boom {}", 42);
        })
        .await;
        assert_eq!(caught, Err::<(), _>("boom 42".to_string()));
    }

    #[tokio::test]
    async fn a_normal_future_resolves_to_its_value() {
        assert_eq!(catch(async { 7 }).await, Ok(7));
        assert_eq!(CATCHING.with(Cell::get), 0);
    }
}
