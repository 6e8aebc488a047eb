//! The credentials requests authenticate with, and the one set of rules every
//! credential value passes, whether it came from an argument or from an
//! environment variable: checked at plan time, so no request is ever built
//! with a header that cannot be sent, and worded for the place the user must
//! fix.

use crate::cloudflare::secret::Secret;

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
pub fn check_email(value: &str, origin: Origin) -> Result<(), String> {
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
