//! A fake Cloudflare API for integration tests, end-to-end tests, benchmarks and demos.
//!
//! It serves `GET /client/v4/accounts/{account_id}/sso_connectors[/{id}]` from memory on
//! 127.0.0.1, prints `FAKE_CLOUDFLARE_API_URL=http://127.0.0.1:<port>/client/v4` once
//! listening, and offers an unauthenticated `/__control` API through which tests read the
//! request log, change data and queue faults. Run with `--help` for the flags.

mod auth;
mod body;
mod budget;
mod cli;
mod control;
mod faults;
mod journal;
mod routes;
mod state;
mod store;

use std::io::{self, Write};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::auth::AuthConfig;
use crate::body::ResponseBody;
use crate::cli::{Command, Options};
use crate::routes::ResetConnection;
use crate::state::AppState;
use crate::store::Store;

/// Writes request log lines to stderr from a background thread, dropping lines rather than
/// blocking the server when stderr is slow or nobody reads it.
#[derive(Debug, Clone)]
struct Logger {
    tx: Option<SyncSender<String>>,
}

impl Logger {
    /// Starts the writer thread, or a no-op logger when `quiet`.
    fn start(quiet: bool) -> Self {
        if quiet {
            return Self { tx: None };
        }
        let (tx, rx) = sync_channel::<String>(4096);
        let spawned = std::thread::Builder::new()
            .name("request-log".into())
            .spawn(move || {
                for line in rx {
                    let _ = writeln!(io::stderr().lock(), "{line}");
                }
            });
        Self {
            tx: spawned.ok().map(|_| tx),
        }
    }

    /// Queues one line (dropped if the queue is full).
    fn log(&self, line: String) {
        if let Some(tx) = &self.tx {
            let _ = tx.try_send(line);
        }
    }
}

/// A TCP stream that sends a reset (RST) instead of a clean close when a fault asks for it.
struct ConnIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Routes a request to the control API or the fake API and logs it.
async fn dispatch(
    state: Arc<AppState>,
    logger: Logger,
    reset: Arc<AtomicBool>,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, ResetConnection> {
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    let outcome = if control::is_control(req.uri().path()) {
        Ok(control::handle(&state, req).await)
    } else {
        routes::handle(&state, req).await
    };
    match &outcome {
        Ok(resp) => logger.log(format!("{method} {target} {}", resp.status().as_u16())),
        Err(_) => {
            reset.store(true, Ordering::Relaxed);
            logger.log(format!("{method} {target} reset"));
        }
    }
    outcome
}

/// Serves one connection (HTTP/1.1 with keep-alive) until it closes.
async fn serve_connection(stream: TcpStream, state: Arc<AppState>, logger: Logger) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ConnIo {
        stream,
        reset: Arc::clone(&reset),
    });
    let service = service_fn(move |req| {
        dispatch(Arc::clone(&state), logger.clone(), Arc::clone(&reset), req)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true);
    let _ = builder.serve_connection(io, service).await;
}

/// Completes when the process that started us exits (we get re-parented), so a fake API
/// whose test was killed without cleaning up does not linger.
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
async fn shutdown(mut interrupt: Signal, mut terminate: Signal) -> &'static str {
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
        () = parent_exit() => "parent process exited",
    }
}

/// Binds, announces the URL, and serves until a shutdown signal.
async fn run(options: Options, state: Arc<AppState>) -> Result<(), String> {
    let interrupt =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    let terminate =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:{}: {e}", options.port))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?
        .port();
    {
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "FAKE_CLOUDFLARE_API_URL=http://127.0.0.1:{port}/client/v4"
        )
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the URL to stdout: {e}"))?;
    }
    let logger = Logger::start(options.quiet);
    let stop = shutdown(interrupt, terminate);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            reason = &mut stop => {
                let _ = writeln!(io::stderr(), "fake-cloudflare-api: shutting down ({reason})");
                return Ok(());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, Arc::clone(&state), logger.clone()));
                }
                Err(e) => {
                    logger.log(format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// Builds the initial state from the options (seed or data file, then generated connectors).
fn initial_state(options: &Options) -> Result<AppState, String> {
    let mut store = match &options.data {
        None => Store::seed(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let data: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
            Store::from_data(&data).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    for (account, count) in &options.generate {
        store.generate(account, *count);
    }
    let auth = AuthConfig {
        accepted: options.accepted_tokens().into_iter().collect(),
        denied: options.deny_tokens.iter().cloned().collect(),
    };
    Ok(AppState::new(store, auth, options.budget.clone()))
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
    let state = match initial_state(&options) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(run(options, state));
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
