//! The server itself: accepts connections on 127.0.0.1 and serves each with
//! HTTP/1.1, routing to the control API or the fake API, and logs requests.

use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
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

use crate::auth::AuthConfig;
use crate::body::ResponseBody;
use crate::cli::Options;
use crate::routes::ResetConnection;
use crate::state::AppState;
use crate::store::Store;
use crate::{control, routes};

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

/// Binds 127.0.0.1 on the options' port, calls `announce` with the base URL
/// (`http://127.0.0.1:<port>/client/v4`), and serves until `stop` completes;
/// returns what `stop` gave as the reason.
pub async fn run<S>(
    options: Options,
    announce: impl FnOnce(&str) -> Result<(), String>,
    stop: S,
) -> Result<S::Output, String>
where
    S: Future,
{
    let state = Arc::new(initial_state(&options)?);
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:{}: {e}", options.port))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?
        .port();
    announce(&format!("http://127.0.0.1:{port}/client/v4"))?;
    let logger = Logger::start(options.quiet);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            reason = &mut stop => return Ok(reason),
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
