//! A static HTTPS host on 127.0.0.1, serving the files under a directory as
//! S3, GitHub Pages or nginx would: `GET` a path, get the file or a 404, with
//! `application/json` for `.json` files and `application/octet-stream` for
//! everything else (the registry's `versions` and `download/OS/ARCH`
//! documents included). It logs the paths asked for, and the directory it
//! serves can be swapped while it runs, so a test can serve a damaged copy of
//! a release under the same URL.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tls_server::{Leaf, TlsListener};

/// A running static host, stopped on drop.
pub(crate) struct StaticSite {
    /// The port it listens on.
    pub port: u16,
    root: Arc<Mutex<PathBuf>>,
    requests: Arc<Mutex<Vec<String>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl StaticSite {
    /// Serves `root` over HTTPS with `leaf` (a certificate for 127.0.0.1).
    pub(crate) fn start(leaf: Leaf, root: &Path) -> Self {
        let tls = TlsListener::bind(leaf);
        let (runtime, listener, acceptor) = (tls.runtime, tls.listener, tls.acceptor);
        let root = Arc::new(Mutex::new(root.to_path_buf()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (served, logged) = (Arc::clone(&root), Arc::clone(&requests));
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let (root, log) = (Arc::clone(&served), Arc::clone(&logged));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Some(path) = read_request_path(&mut tls).await else {
                        return;
                    };
                    log.lock().expect("request log").push(path.clone());
                    let dir = root.lock().expect("site root").clone();
                    let response = respond(&dir, &path);
                    let _ = tls.write_all(&response).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self {
            port: tls.port,
            root,
            requests,
            runtime: Some(runtime),
        }
    }

    /// `https://127.0.0.1:PORT`, the site's base URL.
    pub(crate) fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Serves `root` from now on.
    pub(crate) fn set_root(&self, root: &Path) {
        *self.root.lock().expect("site root") = root.to_path_buf();
    }

    /// The paths requested so far, oldest first.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The path of a `GET` request, once its head has arrived.
async fn read_request_path(
    stream: &mut tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next()?.split_whitespace();
    let (method, target) = (request_line.next()?, request_line.next()?);
    (method == "GET").then(|| target.split('?').next().unwrap_or("").to_string())
}

/// The whole HTTP/1.1 response for `path` under `root`.
fn respond(root: &Path, path: &str) -> Vec<u8> {
    let relative = Path::new(path.trim_start_matches('/'));
    let safe = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = root.join(relative);
    let (status, content_type, body) = match std::fs::read(&file) {
        Ok(body) if safe && file.is_file() => {
            let json = file.extension().is_some_and(|e| e == "json");
            let kind = if json {
                "application/json"
            } else {
                "application/octet-stream"
            };
            ("200 OK", kind, body)
        }
        _ => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}
