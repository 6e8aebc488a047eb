//! The provider against hostile servers, proxies and inputs, through real
//! Terraform (every version found): redirects are refused and credentials
//! never leave the configured origin; credentials from the environment obey
//! the argument rules at plan time; null required arguments are the user's
//! error; echoed credentials are removed from messages and logs; untrusted
//! certificates fail at once; loopback never goes through a proxy; responses
//! come gzip-compressed.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::runs::{assert_failed, assert_no_pieces, plan, run};
use crate::support::terraform::{one_connector_config, Terraform, Workspace, REQUIRED_PROVIDERS};
use crate::support::tls_server::{self_signed, TestCa, TlsFront};

const TOKEN_SECRET: &str = "cfut_HARDENTOKENSECRET_qwPzMvXyKtRnLsJuHgWo";
const KEY_SECRET: &str = "cfk_HARDENKEYSECRET_zYxWvUtSrQpOnMlKjIhGwZ";
const EMAIL_SECRET: &str = "keyowner-hardened@example.com";
const SERVICE_KEY_SECRET: &str = "v1.0-HARDENSERVICEKEY-MnBvCxZlKjHgFdSaPoIuYt";

/// The three credential modes as provider block arguments.
fn modes() -> [(&'static str, String); 3] {
    [
        ("api token", format!("api_token = \"{TOKEN_SECRET}\"")),
        (
            "api key and email",
            format!("api_key = \"{KEY_SECRET}\"\n  email = \"{EMAIL_SECRET}\""),
        ),
        (
            "user service key",
            format!("api_user_service_key = \"{SERVICE_KEY_SECRET}\""),
        ),
    ]
}

/// The connector's path under the API root.
fn connector_path() -> String {
    format!("/accounts/{ACCOUNT}/sso_connectors/{CONNECTOR}")
}

/// Every run of 8 characters of every test credential: none may appear.
fn assert_no_credential(text: &str, label: &str) {
    assert_no_pieces(
        text,
        &[
            TOKEN_SECRET,
            KEY_SECRET,
            EMAIL_SECRET,
            SERVICE_KEY_SECRET,
            TOKEN,
        ],
        label,
    );
}

// ---------------------------------------------------------------------------
// 1. Redirects

#[test]
fn redirects_are_refused_and_credentials_never_leave_the_origin() {
    for tf in Terraform::all() {
        for (mode, credentials) in modes() {
            let api = FakeApi::start();
            let elsewhere = FakeApi::start();
            let target = format!("{}{}", elsewhere.url, connector_path());
            api.add_faults(&format!(
                r#"[{{"status": 302, "headers": {{"Location": "{target}"}}}}]"#
            ));
            let mut ws = Workspace::new(&one_connector_config(&credentials));
            ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
            let label = format!("redirect to another port with the {mode}");
            let plan = plan(&tf, &ws, &label);
            assert_failed(
                &plan,
                &label,
                "Cloudflare API request redirected",
                &[&format!("302 Found with a redirect to {target}")],
            );
            assert_eq!(api.request_count(), 1, "{label}: one request, no retry");
            assert_eq!(
                elsewhere.request_count(),
                0,
                "{label}: the other origin was contacted: {}",
                elsewhere.requests()
            );
            assert_no_credential(&format!("{}{}", plan.out, plan.err), &label);
        }

        let api = FakeApi::start();
        api.add_faults(&format!(
            r#"[{{"status": 301, "headers": {{"Location": "{}/moved{}"}}}}]"#,
            api.url,
            connector_path()
        ));
        let mut ws = Workspace::new(&one_connector_config(""));
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        let label = "redirect within the same origin";
        let plan = plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API request redirected",
            &["/moved/"],
        );
        assert_eq!(api.request_count(), 1, "{label}: the redirect was followed");
    }
}

#[test]
fn a_redirect_from_https_down_to_http_is_refused() {
    let ca = TestCa::new();
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let plain = FakeApi::start();
        let target = format!("{}{}", plain.url, connector_path());
        api.add_faults(&format!(
            r#"[{{"status": 302, "headers": {{"Location": "{target}"}}}}]"#
        ));
        let front = TlsFront::start(ca.leaf(&["127.0.0.1"], false), api.addr());
        let mut ws = Workspace::new(&one_connector_config(&format!(
            "api_token = \"{TOKEN_SECRET}\""
        )));
        let ca_file = ws.path("ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write CA");
        ws.set_env("SSL_CERT_FILE", &ca_file.display().to_string());
        ws.set_env(
            "CLOUDFLARE_BASE_URL",
            &format!("https://127.0.0.1:{}/client/v4", front.port),
        );
        let label = "https to http redirect";
        let plan = plan(&tf, &ws, label);
        assert_failed(
            &plan,
            label,
            "Cloudflare API request redirected",
            &[&target],
        );
        assert_eq!(api.request_count(), 1, "{label}");
        assert_eq!(
            plain.request_count(),
            0,
            "{label}: the plain-http origin was contacted"
        );
    }
}

// ---------------------------------------------------------------------------
// 2. Credentials from the environment

#[test]
fn malformed_credentials_in_the_environment_fail_at_plan_time_with_no_request() {
    /// What the case is, the environment it sets, and the summary and hint expected.
    type Case<'a> = (&'a str, &'a [(&'a str, String)], &'a str, &'a str);
    let cases: [Case; 3] = [
        (
            "token with a trailing newline",
            &[("CLOUDFLARE_API_TOKEN", format!("{TOKEN_SECRET}\n"))],
            "Invalid credential",
            "Remove the trailing newline from CLOUDFLARE_API_TOKEN",
        ),
        (
            "token with a space inside",
            &[(
                "CLOUDFLARE_API_TOKEN",
                format!("{} {}", &TOKEN_SECRET[..20], &TOKEN_SECRET[20..]),
            )],
            "Invalid credential",
            "CLOUDFLARE_API_TOKEN contains whitespace",
        ),
        (
            "email with CR/LF",
            &[
                ("CLOUDFLARE_API_KEY", KEY_SECRET.to_string()),
                ("CLOUDFLARE_EMAIL", format!("{EMAIL_SECRET}\r\n")),
            ],
            "Invalid email",
            "Remove the trailing newline from CLOUDFLARE_EMAIL",
        ),
    ];
    for tf in Terraform::all() {
        for (label, env, summary, hint) in &cases {
            let api = FakeApi::start();
            let mut ws = Workspace::new(&one_connector_config(""));
            ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
            for (key, value) in *env {
                ws.set_env(key, value);
            }
            let plan = plan(&tf, &ws, label);
            assert_failed(&plan, label, summary, &[hint]);
            assert_no_credential(&format!("{}{}", plan.out, plan.err), label);
            assert_eq!(api.request_count(), 0, "{label}: a request was sent");
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Null required arguments

#[test]
fn null_required_arguments_fail_at_the_attribute_as_the_users_error() {
    // A data source whose argument comes from a variable left null.
    let null_argument = |data_source: &str, argument: &str, other: &str| {
        format!(
            r#"{REQUIRED_PROVIDERS}
variable "value" {{
  type    = string
  default = null
}}

data "{data_source}" "this" {{
  {other}
  {argument} = var.value
}}
"#
        )
    };
    let single = null_argument(
        "cloudflare_sso_connector",
        "sso_connector_id",
        &format!("account_id = \"{ACCOUNT}\""),
    );
    let list = null_argument("cloudflare_sso_connectors", "account_id", "");
    let required = [
        "\"sso_connector_id\" is required",
        "sso_connector_id = var.",
    ];
    // account_id is optional, as in the official provider: null, it must come
    // from CLOUDFLARE_ACCOUNT_ID, and the error names both.
    let optional = [
        "Set account_id in the data source, or the CLOUDFLARE_ACCOUNT_ID environment variable",
        "account_id = var.",
    ];
    for tf in Terraform::all() {
        for (label, main_tf, summary, details) in [
            (
                "null sso_connector_id",
                single.as_str(),
                "Missing required argument",
                &required,
            ),
            (
                "null account_id of the list",
                list.as_str(),
                "Missing account_id",
                &optional,
            ),
        ] {
            let api = FakeApi::start();
            let mut ws = Workspace::new(main_tf);
            ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
            ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
            let plan = plan(&tf, &ws, label);
            assert_failed(&plan, label, summary, details);
            assert!(!plan.err.contains("bug"), "{label}: {}", plan.err);
            assert_eq!(api.request_count(), 0, "{label}: a request was sent");
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Echoed credentials

#[test]
fn credentials_echoed_by_a_server_never_reach_terraforms_output_or_log() {
    for tf in Terraform::all() {
        for (mode, credentials) in modes() {
            for (shape, fault) in [
                ("in a JSON error", r#"{"kind": "echo_headers"}"#.to_string()),
                (
                    "in text cut at the excerpt limit",
                    format!(
                        r#"{{"kind": "echo_headers", "status": 400, "body": "{}{{headers}}"}}"#,
                        "x".repeat(262)
                    ),
                ),
            ] {
                let label = format!("{mode} echoed {shape}");
                let api = FakeApi::start();
                api.add_faults(&format!("[{fault}]"));
                let mut ws = Workspace::new(&one_connector_config(&credentials));
                ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
                let log = ws.path("trace.log");
                ws.set_env("TF_LOG", "trace");
                ws.set_env("TF_LOG_PATH", &log.display().to_string());
                let plan = plan(&tf, &ws, &label);
                assert!(!plan.ok, "{label}: should fail\n{}", plan.out);
                assert!(
                    plan.err.contains("[REDACTED]"),
                    "{label}: the echo is not shown redacted\n{}",
                    plan.err
                );
                assert_no_credential(&format!("{}{}", plan.out, plan.err), &label);
                let log = std::fs::read_to_string(&log).expect("trace log");
                assert!(
                    log.contains("Cloudflare API response body"),
                    "{label}: no body in log"
                );
                assert_no_credential(&log, &format!("{label}: TF_LOG_PATH"));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 6. Certificates

#[test]
fn untrusted_certificates_fail_at_once_and_a_trusted_ca_works() {
    let ca = TestCa::new();
    for tf in Terraform::all() {
        for (label, leaf, trust, reason) in [
            (
                "unknown issuer",
                self_signed(&["127.0.0.1"]),
                false,
                Some("not signed by a certificate authority this machine trusts"),
            ),
            (
                "wrong name",
                ca.leaf(&["api.other.example"], false),
                true,
                Some("not issued for the host name"),
            ),
            (
                "expired",
                ca.leaf(&["127.0.0.1"], true),
                true,
                Some("it has expired"),
            ),
            (
                "trusted through SSL_CERT_FILE",
                ca.leaf(&["127.0.0.1"], false),
                true,
                None,
            ),
        ] {
            let api = FakeApi::start();
            let front = TlsFront::start(leaf, api.addr());
            let mut ws = Workspace::new(&one_connector_config(""));
            ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
            ws.set_env(
                "CLOUDFLARE_BASE_URL",
                &format!("https://127.0.0.1:{}/client/v4", front.port),
            );
            if trust {
                let ca_file = ws.path("ca.pem");
                std::fs::write(&ca_file, ca.pem()).expect("write CA");
                ws.set_env("SSL_CERT_FILE", &ca_file.display().to_string());
            }
            let plan = plan(&tf, &ws, label);
            match reason {
                Some(reason) => {
                    assert_failed(
                        &plan,
                        label,
                        "Cloudflare API certificate not trusted",
                        &[reason, "SSL_CERT_FILE"],
                    );
                    assert_eq!(front.connections(), 1, "{label}: the read was retried");
                    assert_eq!(api.request_count(), 0, "{label}");
                }
                None => {
                    assert!(plan.ok, "{label}: plan failed\n{}", plan.err);
                    assert!(plan.out.contains("example.com"), "{label}: {}", plan.out);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 7 and 8. Proxies and compression

/// A TCP listener on 127.0.0.1 standing in for a proxy: it counts connections
/// and closes them.
fn counting_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[test]
fn loopback_skips_the_proxy_and_answers_arrive_gzip_compressed() {
    for tf in Terraform::all() {
        let api = FakeApi::start();
        let (proxy, connections) = counting_proxy();
        let mut ws = Workspace::new(&one_connector_config(""));
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("HTTP_PROXY", &proxy);
        ws.set_env("HTTPS_PROXY", &proxy);
        let label = "loopback base_url with HTTP_PROXY set";
        let plan = plan(&tf, &ws, label);
        assert!(plan.ok, "{label}: plan failed\n{}", plan.err);
        assert!(plan.out.contains("example.com"), "{label}: {}", plan.out);
        assert_eq!(
            connections.load(Ordering::SeqCst),
            0,
            "{label}: the proxy was used"
        );
        let requests = api.requests();
        let encodings = requests["requests"][0]["headers"]["accept-encoding"]
            .as_str()
            .unwrap_or_default();
        assert!(encodings.contains("gzip"), "{label}: {requests}");
    }
}

#[test]
fn plain_http_through_a_proxy_draws_a_warning() {
    for tf in Terraform::all() {
        let mut ws = Workspace::new(&one_connector_config(
            "base_url = \"http://api.internal.example/client/v4\"",
        ));
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("HTTP_PROXY", "http://user:pw@proxy.internal.example:3128");
        let label = "plain http through HTTP_PROXY";
        let validate = run(&tf, &ws, &["validate", "-no-color"], label);
        assert!(validate.ok, "{label}: {}", validate.err);
        let all = format!("{}{}", validate.out, validate.err);
        assert!(
            all.contains("Warning: Cloudflare credentials would reach a proxy unencrypted"),
            "{label}: {all}"
        );
        assert!(
            all.contains("http://proxy.internal.example:3128"),
            "{label}: {all}"
        );
        assert!(
            !all.contains("user:pw"),
            "{label}: proxy credentials shown: {all}"
        );
    }
}
