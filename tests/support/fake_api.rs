//! Starts the bundled fake Cloudflare API in the test's own process and talks
//! to its control API.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The token the fake API accepts by default.
pub(crate) const TOKEN: &str = "test-token-0123456789abcdefghijklmnopqrstuv";
/// The account seeded by default.
pub(crate) const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// A verified, enabled connector of [`ACCOUNT`].
pub(crate) const CONNECTOR: &str = "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4";

/// A running fake API, stopped on drop.
pub(crate) struct FakeApi {
    /// Held for its drop, which stops the server.
    _running: fake_cloudflare_api::Running,
    /// Base URL to configure the provider with (`…/client/v4`).
    pub url: String,
    addr: String,
}

impl FakeApi {
    /// Starts the fake API with the default seed data.
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the fake API with the command's arguments (see
    /// `fake-cloudflare-api --help`); it logs nothing.
    pub(crate) fn start_with(args: &[&str]) -> Self {
        let options = match fake_cloudflare_api::parse(args.iter().map(|a| a.to_string())) {
            Ok(fake_cloudflare_api::Command::Run(options)) => options,
            other => panic!("bad fake API arguments {args:?}: {other:?}"),
        };
        let running = fake_cloudflare_api::start(fake_cloudflare_api::Options {
            quiet: true,
            ..options
        })
        .unwrap_or_else(|e| panic!("start the fake API: {e}"));
        let url = running.url.clone();
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host:port")
            .to_string();
        Self {
            _running: running,
            url,
            addr,
        }
    }

    /// The `127.0.0.1:port` it listens on.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends a control request; returns the status and body.
    pub(crate) fn control(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).expect("connect to the fake API");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("send control request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read control response");
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// The API requests received so far, as the control API reports them.
    pub(crate) fn requests(&self) -> serde_json::Value {
        let (_, body) = self.control("GET", "/__control/requests", None);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("bad /__control/requests body ({e}): {body}"))
    }

    /// How many API requests were received.
    pub(crate) fn request_count(&self) -> u64 {
        self.requests()["count"].as_u64().unwrap_or(0)
    }

    /// Clears the request log.
    pub(crate) fn reset_requests(&self) {
        self.control("DELETE", "/__control/requests", None);
    }

    /// Queues fault rules (a JSON array).
    pub(crate) fn add_faults(&self, rules: &str) {
        let (status, body) = self.control("POST", "/__control/faults", Some(rules));
        assert!(status < 300, "adding faults failed: {status} {body}");
    }

    /// Replaces or creates a connector.
    pub(crate) fn put_connector(&self, account: &str, id: &str, json: &str) {
        let (status, body) = self.control(
            "PUT",
            &format!("/__control/accounts/{account}/sso_connectors/{id}"),
            Some(json),
        );
        assert!(status < 300, "put connector failed: {status} {body}");
    }
}
