//! The credentials requests authenticate with: which one is in effect
//! ([`choose`]: the block's over the environment's, one mode at most, an
//! email with an API key), and the one set of rules every credential value
//! passes, whether it came from an argument or from an
//! environment variable: checked at plan time, so no request is ever built
//! with a header that cannot be sent, and worded for the place the user must
//! fix.

use crate::cloudflare::env::{Env, Setting};
use crate::cloudflare::secret::Secret;
use crate::plugin::ConfigValue;
use crate::plugin::{Diagnostic, Diagnostics};

/// Environment variable for `api_token`.
pub(crate) const ENV_API_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable for `api_key`.
pub(crate) const ENV_API_KEY: &str = "CLOUDFLARE_API_KEY";
/// Environment variable for `email`.
pub(crate) const ENV_EMAIL: &str = "CLOUDFLARE_EMAIL";
/// Environment variable for `api_user_service_key`.
pub(crate) const ENV_API_USER_SERVICE_KEY: &str = "CLOUDFLARE_API_USER_SERVICE_KEY";

pub(crate) const API_TOKEN: Setting = Setting::new("api_token", ENV_API_TOKEN);
pub(crate) const API_KEY: Setting = Setting::new("api_key", ENV_API_KEY);
pub(crate) const API_USER_SERVICE_KEY: Setting =
    Setting::new("api_user_service_key", ENV_API_USER_SERVICE_KEY);
pub(crate) const EMAIL: Setting = Setting::new("email", ENV_EMAIL);

/// The credential arguments of the provider block, as configured.
pub(crate) struct Arguments<'a> {
    /// `api_token`.
    pub(crate) api_token: &'a ConfigValue<String>,
    /// `api_key`.
    pub(crate) api_key: &'a ConfigValue<String>,
    /// `api_user_service_key`.
    pub(crate) api_user_service_key: &'a ConfigValue<String>,
    /// `email`.
    pub(crate) email: &'a ConfigValue<String>,
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

    /// Every credential value this mode sends, so text echoed back by a server
    /// can be cleaned of them (the email too: it identifies the key's owner).
    pub fn values(&self) -> Vec<&str> {
        match self {
            Credentials::Token(token) => vec![token.expose()],
            Credentials::KeyAndEmail { key, email } => vec![key.expose(), email.as_str()],
            Credentials::UserServiceKey(key) => vec![key.expose()],
            Credentials::Missing => Vec::new(),
        }
    }
}

/// Where a credential value came from: the argument or the environment
/// variable the user has to fix when it is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An argument of the provider block.
    Argument(&'static str),
    /// An environment variable.
    Environment(&'static str),
}

impl Origin {
    /// The argument's or variable's name.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Argument(name) | Origin::Environment(name) => name,
        }
    }

    /// How to get rid of surrounding whitespace where this value comes from.
    fn trim_hint(self) -> String {
        match self {
            Origin::Argument(name) => format!(
                "If it is read from a file or a variable, wrap it in trimspace(), for example {name} = trimspace(file(\"…\"))."
            ),
            Origin::Environment(name) => format!(
                "Remove the trailing newline from {name} (secrets stored by CI systems or read with $(cat …) often carry one), for example export {name}=\"$(tr -d '\\n' < file)\"."
            ),
        }
    }
}

/// Checks a credential value (a token, key or email); the message names the
/// argument or variable and never quotes the value.
///
/// The rules: not empty, no whitespace at either end or inside, and only
/// printable ASCII, which is what an HTTP header can carry and what every
/// Cloudflare credential and email address is made of.
pub fn check(value: &str, origin: Origin) -> Result<(), String> {
    let name = origin.name();
    if value.is_empty() {
        let instead = match origin {
            Origin::Argument(_) => {
                "Remove the argument (or set it to null) to use the environment variable, or set the credential."
            }
            Origin::Environment(_) => "Unset it or set the credential.",
        };
        return Err(format!("{name} is set to an empty string. {instead}"));
    }
    if value.ends_with(['\n', '\r']) {
        return Err(format!(
            "{name} ends with a newline. {}",
            origin.trim_hint()
        ));
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Err(format!(
            "{name} starts or ends with whitespace. {}",
            origin.trim_hint()
        ));
    }
    if value.contains(char::is_whitespace) {
        return Err(format!(
            "{name} contains whitespace, which no Cloudflare credential has. Check that exactly the credential was copied, nothing more."
        ));
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{name} contains a control or non-ASCII character, which cannot be sent in an HTTP header; Cloudflare credentials are printable ASCII. Check that exactly the credential was copied."
        ));
    }
    Ok(())
}

/// Checks an email address by the credential rules and its shape: a
/// non-empty name, one `@`, and a domain with a dot in it. The message never
/// quotes the address.
pub(crate) fn check_email(value: &str, origin: Origin) -> Result<(), String> {
    check(value, origin)?;
    let name = origin.name();
    let shaped = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "{name} is not an email address (name@domain): it must be the email of the Cloudflare user the API key belongs to."
        ))
    }
}

/// A setting's value with where it came from.
pub(crate) struct Supplied {
    /// The value.
    pub(crate) value: String,
    /// Where it came from.
    pub(crate) origin: Origin,
    setting: Setting,
}

impl Supplied {
    /// The argument's value, else its variable's, else `None`.
    pub(crate) fn pick(
        argument: &ConfigValue<String>,
        env: &dyn Env,
        setting: Setting,
    ) -> Option<Self> {
        Self::argument(argument, setting).or_else(|| Self::from_env(env, setting))
    }

    fn argument(argument: &ConfigValue<String>, setting: Setting) -> Option<Self> {
        argument.known().map(|value| Self {
            value: value.clone(),
            origin: Origin::Argument(setting.attribute),
            setting,
        })
    }

    fn from_env(env: &dyn Env, setting: Setting) -> Option<Self> {
        env.get(setting.variable).map(|value| Self {
            value,
            origin: Origin::Environment(setting.variable),
            setting,
        })
    }

    /// Checks a value from the environment by the credential rules (argument
    /// values are checked by their validators); problems go to `diags`.
    fn check_environment(&self, diags: &mut Diagnostics) {
        if let Origin::Environment(_) = self.origin {
            let (summary, checked) = if self.setting.attribute == EMAIL.attribute {
                ("Invalid email", check_email(&self.value, self.origin))
            } else {
                ("Invalid credential", check(&self.value, self.origin))
            };
            if let Err(detail) = checked {
                diags.push(Diagnostic::error(summary, detail).at(self.setting.path()));
            }
        }
    }
}

/// The credentials in effect, with every problem found in `diags`: the block's
/// credential if it sets any, the environment's otherwise; at most one mode;
/// an email with an API key; every value by the rules of [`check`].
pub(crate) fn choose(
    config: &Arguments<'_>,
    env: &dyn Env,
    diags: &mut Diagnostics,
) -> Option<Credentials> {
    let arguments = [
        (&config.api_token, API_TOKEN),
        (&config.api_key, API_KEY),
        (&config.api_user_service_key, API_USER_SERVICE_KEY),
    ];
    let in_config = arguments
        .iter()
        .any(|(argument, _)| argument.known().is_some());
    let [token, key, service_key] = arguments.map(|(argument, setting)| {
        if in_config {
            Supplied::argument(argument, setting)
        } else {
            Supplied::from_env(env, setting)
        }
    });
    let set: Vec<&Supplied> = [&token, &key, &service_key].into_iter().flatten().collect();
    if let [first, others @ ..] = set.as_slice() {
        for other in others {
            let diag = Diagnostic::error(
                "Conflicting credentials",
                format!(
                    "Both {} and {} are set. Set only one of api_token, api_key (with email) or api_user_service_key; the SSO connector endpoints accept an API token only.",
                    first.origin.name(),
                    other.origin.name()
                ),
            );
            diags.push(match other.origin {
                Origin::Argument(_) => diag.at(other.setting.path()),
                Origin::Environment(_) => diag,
            });
        }
    }
    for supplied in &set {
        supplied.check_environment(diags);
    }
    if diags.has_errors() {
        return None;
    }
    let email = Supplied::pick(config.email, env, EMAIL);
    if let Some(token) = token {
        if let Some(Supplied {
            origin: Origin::Argument(_),
            ..
        }) = email
        {
            diags.push(
                Diagnostic::warning(
                    "email is ignored with api_token",
                    "email is only used with api_key. Remove it to avoid confusion.",
                )
                .at(EMAIL.path()),
            );
        }
        return Some(Credentials::Token(Secret::new(token.value)));
    }
    if let Some(key) = key {
        let Some(email) = email else {
            diags.push(
                Diagnostic::error(
                    "Missing email for api_key",
                    format!("An API key must be used together with the account email: set email in the provider block or the {ENV_EMAIL} environment variable. Better, use an API token (api_token or {ENV_API_TOKEN})."),
                )
                .at(EMAIL.path()),
            );
            return None;
        };
        email.check_environment(diags);
        if diags.has_errors() {
            return None;
        }
        return Some(Credentials::KeyAndEmail {
            key: Secret::new(key.value),
            email: email.value,
        });
    }
    if let Some(service_key) = service_key {
        return Some(Credentials::UserServiceKey(Secret::new(service_key.value)));
    }
    Some(Credentials::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARG: Origin = Origin::Argument("api_token");
    const ENV: Origin = Origin::Environment("CLOUDFLARE_API_TOKEN");

    #[test]
    fn accepts_printable_credentials() {
        for ok in ["cfut_abcdef0123", "a-b_c.d", "user@example.com", "k+/="] {
            assert_eq!(check(ok, ARG), Ok(()), "{ok}");
        }
    }

    #[test]
    fn a_trailing_newline_gets_the_hint_for_its_origin() {
        let arg = check("secret-value\n", ARG).unwrap_err();
        assert!(arg.contains("trimspace()"), "{arg}");
        let env = check("secret-value\n", ENV).unwrap_err();
        assert!(
            env.contains("Remove the trailing newline from CLOUDFLARE_API_TOKEN"),
            "{env}"
        );
        assert!(check("secret-value\r\n", ENV).is_err());
        assert!(check(" secret-value", ENV)
            .unwrap_err()
            .contains("starts or ends"));
    }

    #[test]
    fn inner_whitespace_controls_and_non_ascii_are_refused() {
        assert!(check("secret value", ARG)
            .unwrap_err()
            .contains("contains whitespace"));
        assert!(check(
            "a@b.c\r\nX-Evil: 1",
            Origin::Environment("CLOUDFLARE_EMAIL")
        )
        .is_err());
        assert!(check("secret\u{7f}", ARG)
            .unwrap_err()
            .contains("non-ASCII"));
        assert!(check("sécret", ARG).unwrap_err().contains("non-ASCII"));
        assert!(check("", ARG).unwrap_err().contains("empty string"));
    }

    #[test]
    fn messages_never_quote_the_value() {
        for bad in [
            "hunter2-secret\n",
            "hunter2 secret",
            "hunter2-sécret",
            " hunter2-secret",
        ] {
            for origin in [ARG, ENV] {
                let message = check(bad, origin).unwrap_err();
                assert!(!message.contains("hunter2"), "{message}");
            }
        }
    }

    #[test]
    fn values_list_what_each_mode_sends() {
        let key = Credentials::KeyAndEmail {
            key: Secret::new("k1"),
            email: "e@x".to_string(),
        };
        assert_eq!(key.values(), ["k1", "e@x"]);
        assert!(Credentials::Missing.values().is_empty());
    }

    #[test]
    fn emails_need_a_name_an_at_and_a_domain() {
        let origin = Origin::Argument("email");
        assert!(check_email("ops@example.com", origin).is_ok());
        for bad in [
            "opsexample.com",
            "@example.com",
            "ops@",
            "ops@example",
            "a@b@c.d",
            "ops@.com",
            "ops@x.",
        ] {
            let err = check_email(bad, origin).unwrap_err();
            assert!(err.contains("not an email address"), "{bad}: {err}");
            assert!(!err.contains(bad), "{err}");
        }
        assert!(check_email("ops @x.y", origin)
            .unwrap_err()
            .contains("whitespace"));
    }
}
