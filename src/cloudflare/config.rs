//! The `provider "cloudflare"` block: its schema (as in the official provider
//! v5), validation, and how configuration and environment variables resolve
//! into the settings of the API client.

use std::time::Duration;

use crate::cloudflare::base_url;
use crate::cloudflare::credentials::{self, Credentials, Origin, Supplied};
use crate::cloudflare::credentials::{API_KEY, API_TOKEN, API_USER_SERVICE_KEY, EMAIL};
use crate::cloudflare::env::{unreadable_error, Env, Setting};
use crate::cloudflare::numeric::NumberRange;
use crate::cloudflare::proxy::{self, Proxy};
use crate::plugin::AttributePath;
use crate::plugin::StringRule;
use crate::plugin::Value;
use crate::plugin::{ConfigValue, TfObject};
use crate::plugin::{Diagnostic, Diagnostics};

pub(crate) use crate::cloudflare::base_url::DEFAULT_BASE_URL;

/// Environment variable for `base_url`.
pub(crate) const ENV_BASE_URL: &str = "CLOUDFLARE_BASE_URL";
/// Environment variable for `user_agent_operator_suffix`.
pub(crate) const ENV_USER_AGENT_OPERATOR_SUFFIX: &str = "CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX";
/// Environment variable for `max_retries`.
pub(crate) const ENV_MAX_RETRIES: &str = "CLOUDFLARE_MAX_RETRIES";
/// Environment variable for `request_timeout`.
pub(crate) const ENV_REQUEST_TIMEOUT: &str = "CLOUDFLARE_REQUEST_TIMEOUT";
/// Environment variable for `rate_limit`.
pub(crate) const ENV_RATE_LIMIT: &str = "CLOUDFLARE_RATE_LIMIT";
/// Environment variable for `read_timeout`.
pub(crate) const ENV_READ_TIMEOUT: &str = "CLOUDFLARE_READ_TIMEOUT";

/// Retries after a failed attempt when neither configuration nor environment says.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 6;
/// Per-attempt timeout when neither configuration nor environment says.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The whole time one read may take when neither configuration nor
/// environment says: a full five-minute window of Cloudflare's request
/// budget, and a minute for the attempts around it.
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(360);
/// The smallest fixed cap `rate_limit` accepts above 0: one request every
/// 100 s. Smaller rates would hold every read past any `read_timeout`.
pub(crate) const MIN_RATE_LIMIT: f64 = 0.01;
/// Requests per second when neither configuration nor environment says: no
/// fixed cap. The request budget driven by Cloudflare's rate-limit headers
/// paces requests instead (see `budget.rs`).
pub(crate) const DEFAULT_RATE_LIMIT: f64 = 0.0;

/// The provider configuration block.
#[derive(Debug, Clone, PartialEq, TfObject)]
pub struct ProviderConfig {
    /// The API Token for operations. Alternatively, can be configured using the `CLOUDFLARE_API_TOKEN` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. The SSO connector endpoints accept API tokens only.
    #[tf(optional, sensitive, validate = credential_rule("api_token"))]
    pub api_token: ConfigValue<String>,
    /// The API key for operations. Alternatively, can be configured using the `CLOUDFLARE_API_KEY` environment variable. API keys are [now considered legacy by Cloudflare](https://developers.cloudflare.com/fundamentals/api/get-started/keys/#limitations), API tokens should be used instead. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. Requires `email`. The SSO connector endpoints reject API keys: use `api_token` for them.
    #[tf(optional, sensitive, validate = credential_rule("api_key"))]
    pub api_key: ConfigValue<String>,
    /// A special Cloudflare API key good for a restricted set of endpoints. Alternatively, can be configured using the `CLOUDFLARE_API_USER_SERVICE_KEY` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. The SSO connector endpoints reject it: use `api_token` for them.
    #[tf(optional, sensitive, validate = credential_rule("api_user_service_key"))]
    pub api_user_service_key: ConfigValue<String>,
    /// A registered Cloudflare email address. Alternatively, can be configured using the `CLOUDFLARE_EMAIL` environment variable. Required when using `api_key`; ignored, with a warning, alongside `api_token`.
    #[tf(optional, validate = email_rule())]
    pub email: ConfigValue<String>,
    /// Value to override the default HTTP client base URL (`https://api.cloudflare.com/client/v4`). Alternatively, can be configured using the `CLOUDFLARE_BASE_URL` environment variable. Must be an absolute `http` or `https` URL. Plain `http` to anything but a loopback address draws a warning, because the credentials would travel unencrypted. TLS certificates of `https` endpoints are always verified; there is no setting to turn that off.
    #[tf(optional, validate = base_url_rule())]
    pub base_url: ConfigValue<String>,
    /// A value to append to the HTTP User Agent for all API calls. This value is not something most users need to modify however, if you are using a non-standard provider or operator configuration, this is recommended to assist in uniquely identifying your traffic. **Setting this value will remove the Terraform version from the HTTP User Agent string and may have unintended consequences**: the User-Agent becomes `terraform-provider-cloudflare/<version> <suffix>`. Printable ASCII only (letters, digits, spaces and punctuation). Alternatively, can be configured using the `CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX` environment variable.
    #[tf(optional, validate = suffix_rule())]
    pub user_agent_operator_suffix: ConfigValue<String>,
    /// How many times a failed API request is retried before the read fails (0 to 20, default 6). Connection errors, timeouts, bodies cut off or too slow, and answers 408, 409, 429 and 5xx are retried with exponential backoff (0.5 s doubling up to 30 s, with jitter), or after the wait the API asks for in `Retry-After`, `Retry-After-Ms` or `X-RateLimit-Reset`; other errors are never retried. Every wait must fit into what is left of `read_timeout`: one that would not (a server asking for five minutes with one minute left, say) ends the read at once with an error saying how long was asked. Alternatively, can be configured using the `CLOUDFLARE_MAX_RETRIES` environment variable.
    #[tf(optional, validate = max_retries_range())]
    pub max_retries: ConfigValue<i64>,
    /// How long one attempt at an API request may take, from connecting to the end of the answer, in seconds (1 to 600, default 30). An attempt that takes longer is abandoned and retried. Alternatively, can be configured using the `CLOUDFLARE_REQUEST_TIMEOUT` environment variable.
    #[tf(optional, validate = request_timeout_range())]
    pub request_timeout: ConfigValue<i64>,
    /// The longest one data source read may take, in seconds (1 to 3600, default 360), counted from its first request: every attempt, the waits between them and the waits for Cloudflare's request budget. A wait that would end after it is not begun; the read fails at once, saying what it would have waited for and how long. The default covers one whole five-minute window of the budget. Alternatively, can be configured using the `CLOUDFLARE_READ_TIMEOUT` environment variable.
    #[tf(optional, validate = read_timeout_range())]
    pub read_timeout: ConfigValue<i64>,
    /// An explicit cap on the API requests per second the provider sends, shared by every read in the provider process (0, or 0.01 to 1000, fractions allowed). Unset or 0 means no fixed cap, the default: the provider then follows the request budget Cloudflare reports on every response (1,200 requests per 5 minutes per user, shared by every client of the user), full speed while plenty remains, spreading requests as it runs low and waiting for the window to reset at a reserve it leaves for other clients. Set it to hold a pipeline below that, for example `rate_limit = 2`. Alternatively, can be configured using the `CLOUDFLARE_RATE_LIMIT` environment variable (`0` or unset for no cap).
    #[tf(optional, validate = rate_limit_range())]
    pub rate_limit: ConfigValue<f64>,
}

fn max_retries_range() -> NumberRange {
    NumberRange::whole("Invalid max_retries", 0, 20)
}

fn request_timeout_range() -> NumberRange {
    NumberRange::whole("Invalid request_timeout", 1, 600)
}

fn read_timeout_range() -> NumberRange {
    NumberRange::whole("Invalid read_timeout", 1, 3600)
}

fn rate_limit_range() -> NumberRange {
    NumberRange::any("Invalid rate_limit", 0.0, 1000.0).or_zero_from(MIN_RATE_LIMIT)
}

const BASE_URL: Setting = Setting::new("base_url", ENV_BASE_URL);
const USER_AGENT_OPERATOR_SUFFIX: Setting =
    Setting::new("user_agent_operator_suffix", ENV_USER_AGENT_OPERATOR_SUFFIX);
const MAX_RETRIES: Setting = Setting::new("max_retries", ENV_MAX_RETRIES);
const REQUEST_TIMEOUT: Setting = Setting::new("request_timeout", ENV_REQUEST_TIMEOUT);
const RATE_LIMIT: Setting = Setting::new("rate_limit", ENV_RATE_LIMIT);
const READ_TIMEOUT: Setting = Setting::new("read_timeout", ENV_READ_TIMEOUT);

/// Every setting with an environment variable.
const SETTINGS: [Setting; 10] = [
    API_TOKEN,
    API_KEY,
    API_USER_SERVICE_KEY,
    EMAIL,
    BASE_URL,
    USER_AGENT_OPERATOR_SUFFIX,
    MAX_RETRIES,
    REQUEST_TIMEOUT,
    RATE_LIMIT,
    READ_TIMEOUT,
];

/// The other variables the provider reads: the proxy settings (see `proxy.rs`).
const OTHER_VARIABLES: [&str; 7] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// An error for every variable the provider reads that is set to something
/// that is not text: at the setting's attribute for the settings' variables.
fn unreadable_variables(env: &dyn Env) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for setting in SETTINGS {
        if env.unreadable(setting.variable) {
            diags.push(unreadable_error(setting.variable).at(setting.path()));
        }
    }
    for variable in OTHER_VARIABLES {
        if env.unreadable(variable) {
            diags.push(unreadable_error(variable));
        }
    }
    diags
}

/// The number settings with their values and allowed ranges.
fn number_settings(config: &ProviderConfig) -> [(ConfigValue<f64>, Setting, NumberRange); 4] {
    // Whole numbers within the ranges below are exact in an f64.
    [
        (
            config.max_retries.map(|n| *n as f64),
            MAX_RETRIES,
            max_retries_range(),
        ),
        (
            config.request_timeout.map(|n| *n as f64),
            REQUEST_TIMEOUT,
            request_timeout_range(),
        ),
        (config.rate_limit.clone(), RATE_LIMIT, rate_limit_range()),
        (
            config.read_timeout.map(|n| *n as f64),
            READ_TIMEOUT,
            read_timeout_range(),
        ),
    ]
}

/// A number setting from configuration, else its environment variable, else
/// `None` (also while the argument is unknown). An out-of-range value is an
/// error pointing at the attribute, naming the variable when it came from one.
fn number_setting(
    (value, setting, range): (ConfigValue<f64>, Setting, NumberRange),
    env: &dyn Env,
) -> Result<Option<f64>, Diagnostic> {
    let error = |detail: String| Diagnostic::error(range.summary(), detail).at(setting.path());
    match value {
        ConfigValue::Known(number) => range
            .check(number, setting.attribute)
            .map(|()| Some(number))
            .map_err(error),
        ConfigValue::Unknown => Ok(None),
        ConfigValue::Null => match env.get(setting.variable) {
            Some(text) => range
                .parse(&text, setting.variable)
                .map(Some)
                .map_err(|detail| {
                    error(format!(
                        "{detail} Unset it or set {} in the provider block.",
                        setting.attribute
                    ))
                }),
            None => Ok(None),
        },
    }
}

/// Warnings when `base_url` would send credentials over plain HTTP to another
/// machine, and when a proxy from the environment would receive them so.
fn plain_http_warnings(url: &str, from_env: bool, env: &dyn Env) -> Vec<Diagnostic> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let Some(host) = parsed.host_str() else {
        return Vec::new();
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if parsed.scheme() != "http" || proxy::is_loopback(bare) {
        return Vec::new();
    }
    let source = if from_env { ENV_BASE_URL } else { "base_url" };
    let mut warnings = vec![Diagnostic::warning(
        "Cloudflare credentials would travel unencrypted",
        format!(
            "{source} uses plain http to {host}, so the API token and every answer would cross the network unencrypted and could be read or changed on the way. Use an https URL; plain http is only safe to a loopback address such as 127.0.0.1."
        ),
    )
    .at(AttributePath::attribute("base_url"))];
    if let Some(proxy) = proxy::for_url(url, env) {
        warnings.push(
            Diagnostic::warning(
                "Cloudflare credentials would reach a proxy unencrypted",
                format!(
                    "{source} uses plain http to {host} and {} sends such requests through the proxy {}, which would receive the credentials in clear text. Use an https URL (the proxy then only relays encrypted traffic), or add {host} to NO_PROXY.",
                    proxy.variable,
                    proxy.shown()
                ),
            )
            .at(AttributePath::attribute("base_url")),
        );
    }
    warnings
}

/// The validator of a credential argument: the rules of [`credentials::check`].
fn credential_rule(name: &'static str) -> StringRule {
    StringRule::new(
        "Invalid credential",
        "Must be non-empty printable ASCII with no whitespace.",
        move |value| credentials::check(value, Origin::Argument(name)),
    )
}

/// The validator of `email`: the credential rules and the shape of an address.
fn email_rule() -> StringRule {
    StringRule::new(
        "Invalid email",
        "Must be an email address: non-empty printable ASCII with no whitespace and one @.",
        |value| credentials::check_email(value, Origin::Argument(EMAIL.attribute)),
    )
}

fn suffix_rule() -> StringRule {
    StringRule::new(
        "Invalid user_agent_operator_suffix",
        "Must be non-empty printable ASCII.",
        |value| check_suffix(value, "user_agent_operator_suffix"),
    )
}

/// Checks a User-Agent suffix from `source` (the argument or its variable):
/// text an HTTP header can carry, sent exactly as given.
pub(crate) fn check_suffix(value: &str, source: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!(
            "{source} is empty. Remove it (or set it to null) to keep the default User-Agent, or set the text to append."
        ));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
        return Err(format!(
            "{source} contains {bad:?}, but it may hold printable ASCII only (letters, digits, spaces and punctuation), the characters an HTTP User-Agent header carries."
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

/// Checks a `base_url` argument (see [`base_url::check`]).
pub(crate) fn check_base_url(value: &str) -> Result<(), String> {
    base_url::check(value, BASE_URL.attribute)
}

/// Everything the API client needs, resolved from configuration and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How to authenticate.
    pub credentials: Credentials,
    /// The API root, without a trailing slash.
    pub base_url: String,
    /// The API root as messages and logs show it ([`base_url::shown`]).
    pub shown_base_url: String,
    /// The full User-Agent header.
    pub user_agent: String,
    /// Retries after a failed attempt.
    pub max_retries: u32,
    /// Time allowed for one attempt.
    pub request_timeout: Duration,
    /// Requests per second for the whole process; 0 means no limit.
    pub rate_limit: f64,
    /// Time allowed for one whole read: every attempt and every wait.
    pub read_timeout: Duration,
    /// The proxy requests go through, chosen from the environment; `None` for none.
    pub proxy: Option<Proxy>,
}

impl Settings {
    /// Settings for `base_url` with these credentials and every other setting at its default.
    pub fn new(credentials: Credentials, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into();
        Self {
            credentials,
            shown_base_url: base_url::shown(&base_url),
            base_url,
            user_agent: format!(
                "terraform-provider-cloudflare/{}",
                env!("CARGO_PKG_VERSION")
            ),
            max_retries: DEFAULT_MAX_RETRIES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: DEFAULT_RATE_LIMIT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            proxy: None,
        }
    }
}

/// The credential arguments of the block.
fn arguments(config: &ProviderConfig) -> credentials::Arguments<'_> {
    credentials::Arguments {
        api_token: &config.api_token,
        api_key: &config.api_key,
        api_user_service_key: &config.api_user_service_key,
        email: &config.email,
    }
}

/// The User-Agent suffix in effect (argument, else variable), checked.
fn suffix(config: &ProviderConfig, env: &dyn Env) -> Result<Option<String>, Diagnostic> {
    let Some(suffix) = Supplied::pick(
        &config.user_agent_operator_suffix,
        env,
        USER_AGENT_OPERATOR_SUFFIX,
    ) else {
        return Ok(None);
    };
    check_suffix(&suffix.value, suffix.origin.name())
        .map(|()| Some(suffix.value.trim().to_string()))
        .map_err(|detail| {
            Diagnostic::error("Invalid user_agent_operator_suffix", detail)
                .at(USER_AGENT_OPERATOR_SUFFIX.path())
        })
}

/// The typed configuration of a block value Terraform sent (it conforms to
/// the schema, so this fails only on a mismatch with Terraform).
fn typed(config: &Value) -> Result<ProviderConfig, Diagnostics> {
    ProviderConfig::from_attributes(config, &AttributePath::root())
}

/// The User-Agent header: the provider and Terraform versions, or, when the
/// operator gives a suffix, the provider version and the suffix instead of
/// the Terraform version (as the official provider documents).
pub fn user_agent(provider_version: &str, terraform_version: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(suffix) => format!("terraform-provider-cloudflare/{provider_version} {suffix}"),
        None => format!(
            "terraform-provider-cloudflare/{provider_version} terraform/{terraform_version}"
        ),
    }
}

/// Cross-attribute checks on a configuration that may hold unknowns, and the
/// environment variables the configuration leaves in effect.
pub fn validate(config: &Value, env: &dyn Env) -> Diagnostics {
    let config = match typed(config) {
        Ok(config) => config,
        Err(diags) => return diags,
    };
    let mut diags = unreadable_variables(env);
    if diags.has_errors() {
        return diags;
    }
    let credentials_known = [
        &config.api_token,
        &config.api_key,
        &config.api_user_service_key,
        &config.email,
    ]
    .iter()
    .all(|argument| !argument.is_unknown());
    if credentials_known {
        credentials::choose(&arguments(&config), env, &mut diags);
    }
    if config.user_agent_operator_suffix.is_null() {
        if let Err(diag) = suffix(&config, env) {
            diags.push(diag);
        }
    }
    // Values in the block are checked by their attributes' validators; only
    // the environment variables that stand in for unset ones are checked here.
    for setting in number_settings(&config) {
        if !setting.0.is_null() {
            continue;
        }
        if let Err(diag) = number_setting(setting, env) {
            diags.push(diag);
        }
    }
    let base_url = match &config.base_url {
        ConfigValue::Known(url) => Some((url.clone(), false)),
        ConfigValue::Unknown => None,
        ConfigValue::Null => env.get(BASE_URL.variable).map(|url| (url, true)),
    };
    if let Some((url, from_env)) = base_url {
        for warning in plain_http_warnings(&url, from_env, env) {
            diags.push(warning);
        }
    }
    diags
}

/// Resolves configuration and environment into client settings.
///
/// Configuration wins over environment: if the block sets any credential, the
/// credential environment variables are ignored; otherwise they are used, and
/// more than one credential mode in the environment is an error. It takes a
/// configuration that passed validation (the schema's validators and
/// [`validate`]), which the plugin layer runs just before configuring; it
/// checks what validation lets through because it may still be unknown.
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
    let config = typed(config)?;
    let credentials = credentials::choose(&arguments(&config), env, &mut diags);
    let suffix = suffix(&config, env)
        .map_err(|diag| diags.push(diag))
        .ok()
        .flatten();
    let base_url = match config
        .base_url
        .known()
        .map(|url| (url.clone(), BASE_URL.attribute))
        .or_else(|| {
            env.get(BASE_URL.variable)
                .map(|url| (url, BASE_URL.variable))
        }) {
        Some((url, source)) => match base_url::check(&url, source) {
            Ok(()) => url.trim_end_matches('/').to_string(),
            Err(detail) => {
                diags.push(Diagnostic::error("Invalid base_url", detail).at(BASE_URL.path()));
                String::new()
            }
        },
        None => DEFAULT_BASE_URL.to_string(),
    };
    let [retries, timeout, rate, read_timeout] = number_settings(&config).map(|setting| {
        number_setting(setting, env)
            .map_err(|diag| diags.push(diag))
            .ok()
            .flatten()
    });
    let errors: Diagnostics = diags.into_iter().filter(|d| d.is_error()).collect();
    let credentials = match credentials {
        Some(credentials) if errors.is_empty() => credentials,
        _ => return Err(errors),
    };
    // The range check above keeps max_retries within 0..=20.
    let max_retries = retries.map_or(DEFAULT_MAX_RETRIES, |n| n as u32);
    Ok(Settings {
        credentials,
        proxy: proxy::for_url(&base_url, env),
        shown_base_url: base_url::shown(&base_url),
        base_url,
        user_agent: user_agent(provider_version, terraform_version, suffix.as_deref()),
        max_retries,
        request_timeout: timeout.map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs_f64),
        rate_limit: rate.unwrap_or(DEFAULT_RATE_LIMIT),
        read_timeout: read_timeout.map_or(DEFAULT_READ_TIMEOUT, Duration::from_secs_f64),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::cloudflare::credentials::{
        ENV_API_KEY, ENV_API_TOKEN, ENV_API_USER_SERVICE_KEY, ENV_EMAIL,
    };
    use crate::cloudflare::env::MapEnv;
    use crate::cloudflare::secret::Secret;
    use crate::plugin::Schema;
    use crate::plugin::TfObject;

    fn env(pairs: &[(&'static str, &'static str)]) -> MapEnv {
        MapEnv::of(pairs)
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
        assert_eq!(s.user_agent, "terraform-provider-cloudflare/1.0.0 ops");
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
    fn base_url_is_checked_by_the_shared_rules_naming_its_source() {
        assert!(check_base_url("https://api.cloudflare.com/client/v4").is_ok());
        assert!(check_base_url("api.cloudflare.com").is_err_and(|e| e.starts_with("base_url")));
        let from_env = resolve(
            &config(&[]),
            &env(&[(ENV_BASE_URL, "https://x.test/v4?token=secret-value")]),
            "1",
            "1",
        )
        .unwrap_err();
        assert!(
            from_env.0[0].detail.starts_with(ENV_BASE_URL),
            "{}",
            from_env.0[0].detail
        );
        assert!(!from_env.0[0].detail.contains("secret-value"));
    }

    #[test]
    fn credential_arguments_are_checked_by_the_shared_rules() {
        let schema = Schema::new("", ProviderConfig::attributes());
        for name in ["api_token", "api_key", "api_user_service_key", "email"] {
            for bad in ["abc def-secret", "abc-secret\n", "", "sécret"] {
                let diags = schema.validate(&config(&[(name, Value::from(bad))]));
                assert!(diags.has_errors(), "{name} = {bad:?}");
                assert_eq!(diags.0[0].attribute, Some(AttributePath::attribute(name)));
                assert!(
                    !diags.0[0].detail.contains("secret"),
                    "{}",
                    diags.0[0].detail
                );
            }
        }
        let newline = schema.validate(&config(&[("api_token", Value::from("tok\n"))]));
        assert!(newline.0[0].detail.contains("trimspace()"));
    }

    #[test]
    fn credentials_from_the_environment_follow_the_same_rules_at_validation() {
        for (variable, value, attribute, hint) in [
            (
                ENV_API_TOKEN,
                "cfut_token\n",
                "api_token",
                "Remove the trailing newline from CLOUDFLARE_API_TOKEN",
            ),
            (
                ENV_API_TOKEN,
                "cfut tok",
                "api_token",
                "contains whitespace",
            ),
            (
                ENV_API_USER_SERVICE_KEY,
                "v1.0-x\r\n",
                "api_user_service_key",
                "trailing newline",
            ),
        ] {
            let diags = validate(&config(&[]), &env(&[(variable, value)]));
            assert!(diags.has_errors(), "{variable}={value:?}");
            let diag = &diags.0[0];
            assert_eq!(diag.attribute, Some(AttributePath::attribute(attribute)));
            assert!(diag.detail.contains(hint), "{}", diag.detail);
            assert!(resolve(&config(&[]), &env(&[(variable, value)]), "1", "1").is_err());
        }
        let email = env(&[(ENV_API_KEY, "k"), (ENV_EMAIL, "a@b.c\r\n")]);
        let diags = validate(&config(&[]), &email);
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("email"))
        );
        assert!(
            diags.0[0].detail.contains(ENV_EMAIL),
            "{}",
            diags.0[0].detail
        );
        assert!(resolve(&config(&[]), &email, "1", "1").is_err());
        // Environment credentials the block overrides are never checked.
        let overridden = config(&[("api_token", Value::from("good"))]);
        assert!(!validate(&overridden, &env(&[(ENV_API_TOKEN, "bad\n")])).has_errors());
        // Nor while a credential argument is unknown.
        let unknown = config(&[("api_key", Value::unknown())]);
        assert!(!validate(&unknown, &env(&[(ENV_API_TOKEN, "bad\n")])).has_errors());
    }

    #[test]
    fn a_suffix_replaces_the_terraform_version_and_must_be_printable_ascii() {
        let c = config(&[("user_agent_operator_suffix", Value::from("team-a/ci 1.2"))]);
        let s = resolve(&c, &env(&[]), "0.1.0", "1.15.5").expect("settings");
        assert_eq!(
            s.user_agent,
            "terraform-provider-cloudflare/0.1.0 team-a/ci 1.2"
        );
        assert!(!s.user_agent.contains("1.15.5"));
        let schema = Schema::new("", ProviderConfig::attributes());
        for bad in ["équipe", "a\tb", "", "  ", "a\u{7f}"] {
            let diags =
                schema.validate(&config(&[("user_agent_operator_suffix", Value::from(bad))]));
            assert!(diags.has_errors(), "{bad:?}");
            assert!(resolve(
                &config(&[("user_agent_operator_suffix", Value::from(bad))]),
                &env(&[]),
                "1",
                "1"
            )
            .is_err());
        }
        let from_env = env(&[(ENV_USER_AGENT_OPERATOR_SUFFIX, "équipe")]);
        let diags = validate(&config(&[]), &from_env);
        assert!(
            diags.0[0].detail.contains(ENV_USER_AGENT_OPERATOR_SUFFIX),
            "{}",
            diags.0[0].detail
        );
        assert!(diags.0[0].detail.contains("printable ASCII"));
    }

    #[test]
    fn resilience_settings_default_then_env_then_config() {
        let s = resolve(&config(&[]), &env(&[]), "1", "1").expect("settings");
        assert_eq!(s.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(s.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(s.rate_limit, DEFAULT_RATE_LIMIT);
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
        let schema = crate::plugin::Schema::new("", ProviderConfig::attributes());
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

    #[test]
    fn unreadable_variables_are_refused_never_taken_for_unset() {
        let token = env(&[]).with_unreadable(ENV_API_TOKEN);
        let diags = validate(&config(&[]), &token);
        assert!(diags.has_errors());
        assert_eq!(diags.0[0].summary, "Unreadable environment variable");
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("api_token"))
        );
        assert!(diags.0[0].detail.contains(ENV_API_TOKEN));
        let proxy = env(&[(ENV_API_TOKEN, "t0k3n")]).with_unreadable("HTTPS_PROXY");
        assert!(validate(&config(&[]), &proxy).has_errors());
    }

    #[test]
    fn a_number_set_in_the_block_is_reported_once() {
        let schema = Schema::new("", ProviderConfig::attributes());
        let c = config(&[("rate_limit", Value::from(1e-20))]);
        let mut all = schema.validate(&c);
        all.extend(validate(&c, &env(&[])));
        let count = all
            .iter()
            .filter(|d| d.summary == "Invalid rate_limit")
            .count();
        assert_eq!(count, 1, "{all:?}");
    }
}
