//! The `provider "cloudflare"` block: its schema (as in the official provider
//! v5), validation, and how configuration and environment variables resolve
//! into the settings of the API client.

use std::time::Duration;

use crate::cloudflare::numeric::{Fraction, NumberRange};
use crate::cloudflare::secret::Secret;
use crate::plugin::diagnostics::{Diagnostic, Diagnostics};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::StringRule;
use crate::plugin::value::Value;
use crate::tf_object;

/// Default API endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// Environment variable for `api_token`.
pub const ENV_API_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable for `api_key`.
pub const ENV_API_KEY: &str = "CLOUDFLARE_API_KEY";
/// Environment variable for `email`.
pub const ENV_EMAIL: &str = "CLOUDFLARE_EMAIL";
/// Environment variable for `api_user_service_key`.
pub const ENV_API_USER_SERVICE_KEY: &str = "CLOUDFLARE_API_USER_SERVICE_KEY";
/// Environment variable for `base_url`.
pub const ENV_BASE_URL: &str = "CLOUDFLARE_BASE_URL";
/// Environment variable for `user_agent_operator_suffix`.
pub const ENV_USER_AGENT_OPERATOR_SUFFIX: &str = "CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX";
/// Environment variable for `max_retries`.
pub const ENV_MAX_RETRIES: &str = "CLOUDFLARE_MAX_RETRIES";
/// Environment variable for `request_timeout`.
pub const ENV_REQUEST_TIMEOUT: &str = "CLOUDFLARE_REQUEST_TIMEOUT";
/// Environment variable for `rate_limit`.
pub const ENV_RATE_LIMIT: &str = "CLOUDFLARE_RATE_LIMIT";

/// Retries after a failed attempt when neither configuration nor environment says.
pub const DEFAULT_MAX_RETRIES: u32 = 6;
/// Per-attempt timeout when neither configuration nor environment says.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests per second when neither configuration nor environment says: 3/s is
/// at most 903 requests in any 5 minutes (with its burst of 3), a quarter
/// below Cloudflare's 1200, leaving room for the dashboard and other tools
/// that share the user's allowance.
pub const DEFAULT_RATE_LIMIT: f64 = 3.0;

tf_object! {
    /// The provider configuration block.
    pub struct ProviderConfig {
        /// The API Token for operations. Alternatively, can be configured using the `CLOUDFLARE_API_TOKEN` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. The SSO connector endpoints accept API tokens only.
        api_token: Option<String> => optional().sensitive().validate(credential_text("api_token")),
        /// The API key for operations. Alternatively, can be configured using the `CLOUDFLARE_API_KEY` environment variable. API keys are [now considered legacy by Cloudflare](https://developers.cloudflare.com/fundamentals/api/get-started/keys/#limitations), API tokens should be used instead. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. Requires `email`. The SSO connector endpoints reject API keys: use `api_token` for them.
        api_key: Option<String> => optional().sensitive().validate(credential_text("api_key")),
        /// A special Cloudflare API key good for a restricted set of endpoints. Alternatively, can be configured using the `CLOUDFLARE_API_USER_SERVICE_KEY` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. The SSO connector endpoints reject it: use `api_token` for them.
        api_user_service_key: Option<String> => optional().sensitive().validate(credential_text("api_user_service_key")),
        /// A registered Cloudflare email address. Alternatively, can be configured using the `CLOUDFLARE_EMAIL` environment variable. Required when using `api_key`; ignored, with a warning, alongside `api_token`.
        email: Option<String> => optional(),
        /// Value to override the default HTTP client base URL (`https://api.cloudflare.com/client/v4`). Alternatively, can be configured using the `CLOUDFLARE_BASE_URL` environment variable. Must be an absolute `http` or `https` URL. Plain `http` to anything but a loopback address draws a warning, because the credentials would travel unencrypted. TLS certificates of `https` endpoints are always verified; there is no setting to turn that off.
        base_url: Option<String> => optional().validate(base_url_rule()),
        /// A value to append to the HTTP User Agent for all API calls. This value is not something most users need to modify however, if you are using a non-standard provider or operator configuration, this is recommended to assist in uniquely identifying your traffic. **Setting this value will remove the Terraform version from the HTTP User Agent string and may have unintended consequences**. Alternatively, can be configured using the `CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX` environment variable.
        user_agent_operator_suffix: Option<String> => optional(),
        /// How many times a failed API request is retried before the read fails (0 to 20, default 6). Connection errors, timeouts and answers 408, 409, 429 and 5xx are retried with exponential backoff (0.5 s doubling up to 30 s, with jitter), or after the wait the API asks for in `Retry-After`, `Retry-After-Ms` or `X-RateLimit-Reset` when that is at most 60 s; other errors are never retried. With the default, a read gives up after at most about 30 s of waiting between attempts. Alternatively, can be configured using the `CLOUDFLARE_MAX_RETRIES` environment variable.
        max_retries: Option<i64> => optional().validate(max_retries_range()),
        /// How long one attempt at an API request may take, from connecting to the end of the answer, in seconds (1 to 600, default 30). An attempt that takes longer is abandoned and retried. Alternatively, can be configured using the `CLOUDFLARE_REQUEST_TIMEOUT` environment variable.
        request_timeout: Option<i64> => optional().validate(request_timeout_range()),
        /// The most API requests per second the provider sends, shared by every read in the provider process (0 to 1000, fractions allowed, default 3; 0 turns the limit off). Cloudflare allows 1200 requests per 5 minutes per user across the dashboard, API and every tool, and blocks the user for 5 minutes beyond that; the default of 3 per second stays a quarter below it. Lower it when several Terraform runs share one token. Alternatively, can be configured using the `CLOUDFLARE_RATE_LIMIT` environment variable.
        rate_limit: Option<Fraction> => optional().validate(rate_limit_range()),
    }
}

fn max_retries_range() -> NumberRange {
    NumberRange::whole("Invalid max_retries", 0, 20)
}

fn request_timeout_range() -> NumberRange {
    NumberRange::whole("Invalid request_timeout", 1, 600)
}

fn rate_limit_range() -> NumberRange {
    NumberRange::any("Invalid rate_limit", 0.0, 1000.0)
}

/// The number settings: attribute, environment variable and allowed range.
fn number_settings() -> [(&'static str, &'static str, NumberRange); 3] {
    [
        ("max_retries", ENV_MAX_RETRIES, max_retries_range()),
        (
            "request_timeout",
            ENV_REQUEST_TIMEOUT,
            request_timeout_range(),
        ),
        ("rate_limit", ENV_RATE_LIMIT, rate_limit_range()),
    ]
}

/// A number setting from configuration, else its environment variable, else `None`.
/// Configuration values were checked by the attribute's validator; an invalid
/// environment value is an error pointing at the attribute it stands in for.
fn number_setting(
    config: &Value,
    env: &dyn Env,
    (name, variable, range): (&'static str, &'static str, NumberRange),
) -> Result<Option<f64>, Diagnostic> {
    if let Some(value) = config.attribute(name).filter(|v| !v.is_null()) {
        let number = value.as_number().and_then(|n| n.as_f64());
        return match number.map(|n| range.check(n, name)) {
            Some(Ok(())) => Ok(number),
            Some(Err(detail)) => {
                Err(Diagnostic::error(range.summary(), detail).at(AttributePath::attribute(name)))
            }
            None => Ok(None),
        };
    }
    match env.get(variable) {
        Some(text) => range.parse(&text, variable).map(Some).map_err(|detail| {
            Diagnostic::error(
                range.summary(),
                format!("{detail} Unset it or set {name} in the provider block."),
            )
            .at(AttributePath::attribute(name))
        }),
        None => Ok(None),
    }
}

/// A warning when `base_url` would send credentials over plain HTTP to another machine.
fn plain_http_warning(url: &str, from_env: bool) -> Option<Diagnostic> {
    let parsed = reqwest::Url::parse(url).ok()?;
    if parsed.scheme() != "http" {
        return None;
    }
    let host = parsed.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        return None;
    }
    let source = if from_env { ENV_BASE_URL } else { "base_url" };
    Some(
        Diagnostic::warning(
            "Cloudflare credentials would travel unencrypted",
            format!(
                "{source} uses plain http to {}, so the API token and every answer would cross the network unencrypted and could be read or changed on the way. Use an https URL; plain http is only safe to a loopback address such as 127.0.0.1.",
                host
            ),
        )
        .at(AttributePath::attribute("base_url")),
    )
}

fn credential_text(name: &'static str) -> StringRule {
    let rule: fn(&str) -> Result<(), String> = match name {
        "api_token" => |v| check_credential_text(v, "api_token"),
        "api_key" => |v| check_credential_text(v, "api_key"),
        _ => |v| check_credential_text(v, "api_user_service_key"),
    };
    StringRule::new(
        "Invalid credential",
        "Must be non-empty and contain no whitespace.",
        rule,
    )
}

/// Checks a credential's shape without ever quoting it back.
fn check_credential_text(value: &str, name: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{name} is set to an empty string. Remove it to use the environment variable, or set the credential."));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{name} contains whitespace or control characters, which no Cloudflare credential has. If it was read from a file, trim the trailing newline (for example with trimspace())."
        ));
    }
    Ok(())
}

fn base_url_rule() -> StringRule {
    StringRule::new(
        "Invalid base_url",
        "Must be an absolute http or https URL.",
        check_base_url,
    )
}

/// `value` quoted for an error message, cut short so a huge value is never echoed whole.
fn shown_url(value: &str) -> String {
    const LIMIT: usize = 100;
    match value.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{:?}…", value.get(..cut).unwrap_or("")),
        None => format!("{value:?}"),
    }
}

/// Checks that `base_url` is an absolute http(s) URL with a host.
pub fn check_base_url(value: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(value).map_err(|e| {
        format!(
            "base_url {} is not an absolute URL ({e}). Use a value like {DEFAULT_BASE_URL:?}.",
            shown_url(value)
        )
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "base_url must not contain a user name or password: the provider authenticates with its own credentials, and a URL with secrets in it would end up in logs. Remove the part before '@'.".to_string(),
        );
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "base_url must use http or https, not {:?}. Use a value like {DEFAULT_BASE_URL:?}.",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "base_url {} has no host. Use a value like {DEFAULT_BASE_URL:?}.",
            shown_url(value)
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "base_url {} must not have a query string or fragment.",
            shown_url(value)
        ));
    }
    Ok(())
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer` with an API token.
    Token(Secret),
    /// `X-Auth-Key` and `X-Auth-Email`, the legacy global key.
    KeyAndEmail {
        /// The global API key.
        key: Secret,
        /// The account email.
        email: String,
    },
    /// `X-Auth-User-Service-Key`.
    UserServiceKey(Secret),
    /// Nothing configured: reported when a read needs a credential.
    Missing,
}

impl Credentials {
    /// A short name of the mode, safe to log.
    pub fn mode(&self) -> &'static str {
        match self {
            Credentials::Token(_) => "api_token",
            Credentials::KeyAndEmail { .. } => "api_key",
            Credentials::UserServiceKey(_) => "api_user_service_key",
            Credentials::Missing => "none",
        }
    }
}

/// Everything the API client needs, resolved from configuration and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How to authenticate.
    pub credentials: Credentials,
    /// The API root, without a trailing slash.
    pub base_url: String,
    /// The full User-Agent header.
    pub user_agent: String,
    /// Retries after a failed attempt.
    pub max_retries: u32,
    /// Time allowed for one attempt.
    pub request_timeout: Duration,
    /// Requests per second for the whole process; 0 means no limit.
    pub rate_limit: f64,
}

impl Settings {
    /// Settings for `base_url` with these credentials and every other setting at its default.
    pub fn new(credentials: Credentials, base_url: impl Into<String>) -> Self {
        Self {
            credentials,
            base_url: base_url.into(),
            user_agent: format!(
                "terraform-provider-cloudflare/{}",
                env!("CARGO_PKG_VERSION")
            ),
            max_retries: DEFAULT_MAX_RETRIES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: DEFAULT_RATE_LIMIT,
        }
    }
}

/// Reads environment variables; a seam so tests need not touch the process environment.
pub trait Env {
    /// The variable's value when set and non-empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

fn known_string(config: &Value, name: &str) -> Option<String> {
    config
        .attribute(name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn is_set(config: &Value, name: &str) -> bool {
    config.attribute(name).is_some_and(|v| !v.is_null())
}

fn is_known_set(config: &Value, name: &str) -> bool {
    config
        .attribute(name)
        .is_some_and(|v| v.is_known() && !v.is_null())
}

/// Cross-attribute checks on a configuration that may hold unknowns.
pub fn validate(config: &Value, env: &dyn Env) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let modes: Vec<&str> = ["api_token", "api_key", "api_user_service_key"]
        .into_iter()
        .filter(|name| is_known_set(config, name))
        .collect();
    if modes.len() > 1 {
        for name in &modes[1..] {
            diags.push(
                Diagnostic::error(
                    "Conflicting credentials",
                    format!(
                        "Both {} and {name} are set. Set only one of api_token, api_key (with email) or api_user_service_key; the SSO connector endpoints accept api_token only.",
                        modes[0]
                    ),
                )
                .at(AttributePath::attribute(*name)),
            );
        }
    }
    if is_known_set(config, "api_key") && !is_set(config, "email") && env.get(ENV_EMAIL).is_none() {
        diags.push(
            Diagnostic::error(
                "Missing email for api_key",
                format!("api_key must be used together with email. Set email in the provider block or the {ENV_EMAIL} environment variable, or use api_token instead."),
            )
            .at(AttributePath::attribute("email")),
        );
    }
    if is_known_set(config, "api_token")
        && is_known_set(config, "email")
        && !is_set(config, "api_key")
    {
        diags.push(
            Diagnostic::warning(
                "email is ignored with api_token",
                "email is only used with api_key. Remove it to avoid confusion.",
            )
            .at(AttributePath::attribute("email")),
        );
    }
    for setting in number_settings() {
        if let Err(diag) = number_setting(config, env, setting) {
            diags.push(diag);
        }
    }
    let base_url = match config.attribute("base_url") {
        Some(v) if !v.is_null() => v.as_str().map(|url| (url.to_string(), false)),
        _ => env.get(ENV_BASE_URL).map(|url| (url, true)),
    };
    if let Some(warning) = base_url.and_then(|(url, from_env)| plain_http_warning(&url, from_env)) {
        diags.push(warning);
    }
    diags
}

/// Resolves configuration and environment into client settings.
///
/// Configuration wins over environment: if the block sets any credential, the
/// credential environment variables are ignored; otherwise they are used, and
/// more than one credential mode in the environment is an error.
pub fn resolve(
    config: &Value,
    env: &dyn Env,
    provider_version: &str,
    terraform_version: &str,
) -> Result<Settings, Diagnostics> {
    let mut diags = Diagnostics::new();
    let attributes = match config {
        Value::Object(attributes) => attributes.iter().collect(),
        _ => Vec::new(),
    };
    for (name, value) in attributes {
        if !value.is_known() {
            diags.push(
                Diagnostic::error(
                    "Provider configuration not known yet",
                    format!("{name} depends on a value that is only known after apply, so the provider cannot use it now. Use a value known at plan time (a variable, a literal or an environment variable)."),
                )
                .at(AttributePath::attribute(name)),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let from_config = |name: &str| known_string(config, name);
    let email = from_config("email").or_else(|| env.get(ENV_EMAIL));
    let config_has_credential = ["api_token", "api_key", "api_user_service_key"]
        .iter()
        .any(|name| from_config(name).is_some());
    let credentials = if config_has_credential {
        credentials_from(
            from_config("api_token"),
            from_config("api_key"),
            from_config("api_user_service_key"),
            email,
            false,
        )?
    } else {
        credentials_from(
            env.get(ENV_API_TOKEN),
            env.get(ENV_API_KEY),
            env.get(ENV_API_USER_SERVICE_KEY),
            email,
            true,
        )?
    };
    let base_url = match from_config("base_url").or_else(|| env.get(ENV_BASE_URL)) {
        Some(url) => {
            check_base_url(&url).map_err(|detail| {
                Diagnostics::from(
                    Diagnostic::error("Invalid base_url", detail)
                        .at(AttributePath::attribute("base_url")),
                )
            })?;
            url.trim_end_matches('/').to_string()
        }
        None => DEFAULT_BASE_URL.to_string(),
    };
    let suffix = from_config("user_agent_operator_suffix")
        .or_else(|| env.get(ENV_USER_AGENT_OPERATOR_SUFFIX));
    let mut user_agent =
        format!("terraform-provider-cloudflare/{provider_version} terraform/{terraform_version}");
    if let Some(suffix) = suffix.filter(|s| !s.trim().is_empty()) {
        user_agent.push(' ');
        user_agent.push_str(suffix.trim());
    }
    let [retries, timeout, rate] =
        number_settings().map(|setting| number_setting(config, env, setting));
    let max_retries = retries
        .map_err(Diagnostics::from)?
        .map_or(DEFAULT_MAX_RETRIES, |n| {
            // The range check above keeps n within 0..=20.
            n as u32
        });
    let request_timeout = timeout
        .map_err(Diagnostics::from)?
        .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs_f64);
    let rate_limit = rate
        .map_err(Diagnostics::from)?
        .unwrap_or(DEFAULT_RATE_LIMIT);
    Ok(Settings {
        credentials,
        base_url,
        user_agent,
        max_retries,
        request_timeout,
        rate_limit,
    })
}

fn credentials_from(
    token: Option<String>,
    key: Option<String>,
    service_key: Option<String>,
    email: Option<String>,
    from_env: bool,
) -> Result<Credentials, Diagnostics> {
    let name = |attr: &str, var: &str| {
        if from_env {
            var.to_string()
        } else {
            attr.to_string()
        }
    };
    let set: Vec<String> = [
        (token.is_some(), name("api_token", ENV_API_TOKEN)),
        (key.is_some(), name("api_key", ENV_API_KEY)),
        (
            service_key.is_some(),
            name("api_user_service_key", ENV_API_USER_SERVICE_KEY),
        ),
    ]
    .into_iter()
    .filter_map(|(present, n)| present.then_some(n))
    .collect();
    if set.len() > 1 {
        return Err(Diagnostic::error(
            "Conflicting credentials",
            format!(
                "More than one credential is set ({}). Keep only one; the SSO connector endpoints accept an API token only.",
                set.join(", ")
            ),
        )
        .into());
    }
    if let Some(token) = token {
        return Ok(Credentials::Token(Secret::new(token)));
    }
    if let Some(key) = key {
        return match email {
            Some(email) => Ok(Credentials::KeyAndEmail {
                key: Secret::new(key),
                email,
            }),
            None => Err(Diagnostic::error(
                "Missing email for api_key",
                format!("An API key needs the account email: set email in the provider block or {ENV_EMAIL}. Better, use an API token (api_token or {ENV_API_TOKEN})."),
            )
            .at(AttributePath::attribute("email"))
            .into()),
        };
    }
    if let Some(service_key) = service_key {
        return Ok(Credentials::UserServiceKey(Secret::new(service_key)));
    }
    Ok(Credentials::Missing)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::plugin::model::TfObject;

    struct FakeEnv(HashMap<&'static str, &'static str>);

    impl Env for FakeEnv {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    fn env(pairs: &[(&'static str, &'static str)]) -> FakeEnv {
        FakeEnv(pairs.iter().copied().collect())
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut attrs: BTreeMap<String, Value> = ProviderConfig::attributes()
            .into_iter()
            .map(|a| (a.name, Value::Null))
            .collect();
        for (k, v) in pairs {
            attrs.insert(k.to_string(), v.clone());
        }
        Value::Object(attrs)
    }

    #[test]
    fn config_token_wins_over_environment() {
        let c = config(&[("api_token", Value::from("cfg-token"))]);
        let s = resolve(
            &c,
            &env(&[(ENV_API_TOKEN, "env-token"), (ENV_API_KEY, "k")]),
            "1.0.0",
            "1.11.4",
        )
        .expect("settings");
        assert_eq!(s.credentials, Credentials::Token(Secret::new("cfg-token")));
        assert_eq!(s.base_url, DEFAULT_BASE_URL);
        assert_eq!(
            s.user_agent,
            "terraform-provider-cloudflare/1.0.0 terraform/1.11.4"
        );
    }

    #[test]
    fn environment_fills_in_when_config_is_empty() {
        let s = resolve(
            &config(&[]),
            &env(&[
                (ENV_API_TOKEN, "env-token"),
                (ENV_BASE_URL, "http://127.0.0.1:9/client/v4/"),
                (ENV_USER_AGENT_OPERATOR_SUFFIX, "ops"),
            ]),
            "1.0.0",
            "1.15.0",
        )
        .expect("settings");
        assert_eq!(s.credentials, Credentials::Token(Secret::new("env-token")));
        assert_eq!(s.base_url, "http://127.0.0.1:9/client/v4");
        assert!(
            s.user_agent.ends_with("terraform/1.15.0 ops"),
            "{}",
            s.user_agent
        );
    }

    #[test]
    fn conflicting_environment_credentials_are_an_error_naming_the_variables() {
        let err = resolve(
            &config(&[]),
            &env(&[
                (ENV_API_TOKEN, "t"),
                (ENV_API_KEY, "k"),
                (ENV_EMAIL, "a@b.c"),
            ]),
            "1",
            "1",
        )
        .unwrap_err();
        let detail = &err.0[0].detail;
        assert!(
            detail.contains(ENV_API_TOKEN) && detail.contains(ENV_API_KEY),
            "{detail}"
        );
        assert!(!detail.contains("\"t\""));
    }

    #[test]
    fn api_key_needs_email() {
        let c = config(&[("api_key", Value::from("k"))]);
        assert!(validate(&c, &env(&[])).has_errors());
        assert!(!validate(&c, &env(&[(ENV_EMAIL, "a@b.c")])).has_errors());
        let s = resolve(&c, &env(&[(ENV_EMAIL, "a@b.c")]), "1", "1").expect("settings");
        assert_eq!(s.credentials.mode(), "api_key");
    }

    #[test]
    fn two_modes_in_config_fail_validation_at_the_second_attribute() {
        let c = config(&[
            ("api_token", Value::from("t")),
            ("api_user_service_key", Value::from("s")),
        ]);
        let diags = validate(&c, &env(&[]));
        assert!(diags.has_errors());
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("api_user_service_key"))
        );
    }

    #[test]
    fn unknown_values_never_fail_validation() {
        let c = config(&[
            ("api_token", Value::unknown()),
            ("api_key", Value::unknown()),
            ("base_url", Value::unknown()),
        ]);
        assert!(!validate(&c, &env(&[])).has_errors());
    }

    #[test]
    fn missing_credentials_resolve_to_missing() {
        let s = resolve(&config(&[]), &env(&[]), "1", "1").expect("settings");
        assert_eq!(s.credentials, Credentials::Missing);
    }

    #[test]
    fn base_url_must_be_absolute_http() {
        assert!(check_base_url("https://api.cloudflare.com/client/v4").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080/client/v4").is_ok());
        assert!(check_base_url("api.cloudflare.com").is_err());
        assert!(check_base_url("ftp://example.com").is_err());
        assert!(check_base_url("https://example.com/?a=b").is_err());
        assert!(check_base_url("/client/v4").is_err());
        let with_secret =
            check_base_url("https://user:pass@api.example.com/client/v4").unwrap_err();
        assert!(!with_secret.contains("user:pass"), "{with_secret}");
        let huge = format!("https://example.com/?{}", "q".repeat(1 << 20));
        assert!(check_base_url(&huge).is_err_and(|e| e.len() < 400));
    }

    #[test]
    fn credential_shape_errors_never_echo_the_value() {
        let err = check_credential_text("abc def-secret", "api_token").unwrap_err();
        assert!(!err.contains("secret"));
        assert!(check_credential_text("", "api_token").is_err());
        assert!(check_credential_text("cfut_abcdef", "api_token").is_ok());
    }
    #[test]
    fn resilience_settings_default_then_env_then_config() {
        let s = resolve(&config(&[]), &env(&[]), "1", "1").expect("settings");
        assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(s.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(s.rate_limit, DEFAULT_RATE_LIMIT);
        assert!(DEFAULT_RATE_LIMIT * 300.0 + DEFAULT_RATE_LIMIT.ceil() < 1200.0);
        let e = env(&[
            (ENV_MAX_RETRIES, "2"),
            (ENV_REQUEST_TIMEOUT, "5"),
            (ENV_RATE_LIMIT, "0.5"),
        ]);
        let s = resolve(&config(&[]), &e, "1", "1").expect("settings");
        assert_eq!(
            (s.max_retries, s.request_timeout, s.rate_limit),
            (2, Duration::from_secs(5), 0.5)
        );
        let c = config(&[
            ("max_retries", Value::from(0_i64)),
            ("request_timeout", Value::from(1_i64)),
            ("rate_limit", Value::from(0_i64)),
        ]);
        let s = resolve(&c, &e, "1", "1").expect("settings");
        assert_eq!(
            (s.max_retries, s.request_timeout, s.rate_limit),
            (0, Duration::from_secs(1), 0.0)
        );
    }

    #[test]
    fn out_of_range_settings_fail_validation_at_their_attribute() {
        let schema = crate::plugin::schema::Schema::new("", ProviderConfig::attributes());
        for (name, bad) in [
            ("max_retries", Value::from(21_i64)),
            ("max_retries", Value::from(1.5)),
            ("request_timeout", Value::from(0_i64)),
            ("rate_limit", Value::from(-1_i64)),
            ("rate_limit", Value::from(5000_i64)),
        ] {
            let c = config(&[(name, bad.clone())]);
            let diags = schema.validate(&c);
            assert!(diags.has_errors(), "{name} = {bad:?}");
            assert_eq!(diags.0[0].attribute, Some(AttributePath::attribute(name)));
        }
        let unknowns = config(&[
            ("max_retries", Value::unknown()),
            ("request_timeout", Value::unknown()),
            ("rate_limit", Value::unknown()),
        ]);
        assert!(!schema.validate(&unknowns).has_errors());
        assert!(!validate(&unknowns, &env(&[(ENV_MAX_RETRIES, "lots")])).has_errors());
    }

    #[test]
    fn invalid_environment_settings_point_at_the_attribute_and_name_the_variable() {
        let diags = validate(&config(&[]), &env(&[(ENV_MAX_RETRIES, "lots")]));
        assert!(diags.has_errors());
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("max_retries"))
        );
        assert!(diags.0[0].detail.contains(ENV_MAX_RETRIES));
        let err = resolve(&config(&[]), &env(&[(ENV_REQUEST_TIMEOUT, "0")]), "1", "1").unwrap_err();
        assert_eq!(
            err.0[0].attribute,
            Some(AttributePath::attribute("request_timeout"))
        );
        let set = config(&[("rate_limit", Value::from(2_i64))]);
        assert!(!validate(&set, &env(&[(ENV_RATE_LIMIT, "-3")])).has_errors());
    }

    #[test]
    fn plain_http_to_another_host_warns_but_loopback_does_not() {
        let remote = config(&[("base_url", Value::from("http://proxy.internal/client/v4"))]);
        let diags = validate(&remote, &env(&[]));
        assert!(!diags.has_errors());
        let warning = diags.iter().find(|d| !d.is_error()).expect("warning");
        assert!(
            warning.summary.contains("unencrypted"),
            "{}",
            warning.summary
        );
        assert!(warning.detail.contains("proxy.internal"));
        assert_eq!(
            warning.attribute,
            Some(AttributePath::attribute("base_url"))
        );
        let from_env = validate(
            &config(&[]),
            &env(&[(ENV_BASE_URL, "http://10.0.0.1:8080/v4")]),
        );
        assert!(from_env.iter().any(|d| d.detail.contains(ENV_BASE_URL)));
        for quiet in [
            "http://127.0.0.1:9/client/v4",
            "http://localhost:9",
            "http://[::1]:9",
            "https://api.cloudflare.com/client/v4",
        ] {
            let c = config(&[("base_url", Value::from(quiet))]);
            assert!(validate(&c, &env(&[])).is_empty(), "{quiet}");
        }
        assert!(validate(&config(&[("base_url", Value::unknown())]), &env(&[])).is_empty());
    }
}
