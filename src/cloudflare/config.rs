//! The `provider "cloudflare"` block: its schema (as in the official provider
//! v5), validation, and how configuration and environment variables resolve
//! into the settings of the API client.

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

tf_object! {
    /// The provider configuration block.
    pub struct ProviderConfig {
        /// The API Token for operations. Alternatively, can be configured using the `CLOUDFLARE_API_TOKEN` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. The SSO connector endpoints accept API tokens only.
        api_token: Option<String> => optional().sensitive().validate(credential_text("api_token")),
        /// The API key for operations. Alternatively, can be configured using the `CLOUDFLARE_API_KEY` environment variable. API keys are [now considered legacy by Cloudflare](https://developers.cloudflare.com/fundamentals/api/get-started/keys/#limitations), API tokens should be used instead. Must provide only one of `api_key`, `api_token`, `api_user_service_key`. Requires `email`.
        api_key: Option<String> => optional().sensitive().validate(credential_text("api_key")),
        /// A special Cloudflare API key good for a restricted set of endpoints. Alternatively, can be configured using the `CLOUDFLARE_API_USER_SERVICE_KEY` environment variable. Must provide only one of `api_key`, `api_token`, `api_user_service_key`.
        api_user_service_key: Option<String> => optional().sensitive().validate(credential_text("api_user_service_key")),
        /// A registered Cloudflare email address. Alternatively, can be configured using the `CLOUDFLARE_EMAIL` environment variable. Required when using `api_key`. Conflicts with `api_token`.
        email: Option<String> => optional(),
        /// Value to override the default HTTP client base URL (`https://api.cloudflare.com/client/v4`). Alternatively, can be configured using the `CLOUDFLARE_BASE_URL` environment variable. Must be an absolute `http` or `https` URL.
        base_url: Option<String> => optional().validate(base_url_rule()),
        /// A value to append to the HTTP User Agent for all API calls. This value is not something most users need to modify however, if you are using a non-standard provider or operator configuration, this is recommended to assist in uniquely identifying your traffic. **Setting this value will remove the Terraform version from the HTTP User Agent string and may have unintended consequences**. Alternatively, can be configured using the `CLOUDFLARE_USER_AGENT_OPERATOR_SUFFIX` environment variable.
        user_agent_operator_suffix: Option<String> => optional(),
    }
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

/// Checks that `base_url` is an absolute http(s) URL with a host.
pub fn check_base_url(value: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(value).map_err(|e| {
        format!("base_url {value:?} is not an absolute URL ({e}). Use a value like {DEFAULT_BASE_URL:?}.")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "base_url must use http or https, not {:?}. Use a value like {DEFAULT_BASE_URL:?}.",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "base_url {value:?} has no host. Use a value like {DEFAULT_BASE_URL:?}."
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "base_url {value:?} must not have a query string or fragment."
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
    for name in [
        "api_token",
        "api_key",
        "api_user_service_key",
        "email",
        "base_url",
        "user_agent_operator_suffix",
    ] {
        if config.attribute(name).is_some_and(|v| !v.is_known()) {
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
    Ok(Settings {
        credentials,
        base_url,
        user_agent,
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
        let mut attrs: BTreeMap<String, Value> = [
            "api_token",
            "api_key",
            "api_user_service_key",
            "email",
            "base_url",
            "user_agent_operator_suffix",
        ]
        .into_iter()
        .map(|n| (n.to_string(), Value::Null))
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
    }

    #[test]
    fn credential_shape_errors_never_echo_the_value() {
        let err = check_credential_text("abc def-secret", "api_token").unwrap_err();
        assert!(!err.contains("secret"));
        assert!(check_credential_text("", "api_token").is_err());
        assert!(check_credential_text("cfut_abcdef", "api_token").is_ok());
    }
}
