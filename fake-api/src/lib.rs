//! A fake Cloudflare API for the provider's integration and end-to-end tests,
//! benchmarks and demo.
//!
//! It serves `GET /client/v4/accounts/{account_id}/sso_connectors[/{id}]` from
//! memory on 127.0.0.1, with Cloudflare's envelopes, errors, pagination and
//! request budget, and an unauthenticated `/__control` API through which tests
//! read the request log, change data, queue faults and set the budget. Tests
//! start it in-process with [`start`]; the `fake-cloudflare-api` command runs
//! it on its own.

mod auth;
mod body;
mod budget;
pub mod cli;
mod control;
mod faults;
mod journal;
mod routes;
mod server;
mod state;
mod store;

use std::sync::mpsc;
use std::thread::JoinHandle;

pub use cli::{parse, Command, Options};
pub use server::run;

/// A fake API serving on a runtime of its own, in a background thread; it
/// stops when dropped.
#[derive(Debug)]
pub struct Running {
    /// The base URL to configure a client with (`http://127.0.0.1:<port>/client/v4`).
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a fake API with `options` in this process.
pub fn start(options: Options) -> Result<Running, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-cloudflare-api")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (url_sender, url_receiver) = mpsc::channel::<Result<String, String>>();
    let thread = std::thread::Builder::new()
        .name("fake-cloudflare-api".into())
        .spawn(move || {
            let announce = |url: &str| {
                url_sender
                    .send(Ok(url.to_string()))
                    .map_err(|_| "nobody is waiting for the URL".to_string())
            };
            let result = runtime.block_on(run(options, announce, stopped));
            if let Err(e) = result {
                let _ = url_sender.send(Err(e));
            }
            runtime.shutdown_background();
        })
        .map_err(|e| format!("cannot start the server thread: {e}"))?;
    let url = url_receiver
        .recv()
        .map_err(|_| "the server thread ended before listening".to_string())??;
    Ok(Running {
        url,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
