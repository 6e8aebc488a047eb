//! Credential inspection: which scheme a request used and whether it may proceed.
//!
//! These endpoints accept API tokens only, so legacy key headers are always refused.

use std::collections::HashSet;

use hyper::header::{HeaderMap, AUTHORIZATION};

/// The credential scheme a request used, as reported in the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization` with some other scheme.
    Other,
    /// `X-Auth-Key` and/or `X-Auth-Email`.
    Key,
    /// `X-Auth-User-Service-Key`.
    ServiceKey,
    /// No credentials.
    None,
}

impl Scheme {
    /// The name used in the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "bearer",
            Scheme::Other => "other",
            Scheme::Key => "key",
            Scheme::ServiceKey => "service_key",
            Scheme::None => "none",
        }
    }
}

/// The credentials found on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The scheme used (an `Authorization` header wins over key headers).
    pub scheme: Scheme,
    /// The bearer token, if the scheme is [`Scheme::Bearer`].
    pub token: Option<String>,
}

/// Reads the credential headers of a request.
pub fn inspect(headers: &HeaderMap) -> Credentials {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let raw = String::from_utf8_lossy(value.as_bytes());
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once(' ').unwrap_or((raw, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return Credentials {
                scheme: Scheme::Bearer,
                token: Some(rest.trim().to_string()),
            };
        }
        return Credentials {
            scheme: Scheme::Other,
            token: None,
        };
    }
    let scheme = if headers.contains_key("x-auth-key") || headers.contains_key("x-auth-email") {
        Scheme::Key
    } else if headers.contains_key("x-auth-user-service-key") {
        Scheme::ServiceKey
    } else {
        Scheme::None
    };
    Credentials {
        scheme,
        token: None,
    }
}

/// What the API does with a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Proceed.
    Allow,
    /// 401, code 10000.
    Unauthenticated,
    /// 403, code 9109.
    Forbidden,
}

/// Accepted and denied bearer tokens.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Tokens that may read.
    pub accepted: HashSet<String>,
    /// Tokens that authenticate but lack the permission (checked first).
    pub denied: HashSet<String>,
}

impl AuthConfig {
    /// Decides whether the credentials may use the API.
    pub fn check(&self, credentials: &Credentials) -> Decision {
        match &credentials.token {
            Some(token) if self.denied.contains(token) => Decision::Forbidden,
            Some(token) if self.accepted.contains(token) => Decision::Allow,
            _ => Decision::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn creds(pairs: &[(&'static str, &'static str)]) -> Credentials {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        inspect(&h)
    }

    #[test]
    fn schemes_and_decisions() {
        let config = AuthConfig {
            accepted: ["good".to_string()].into(),
            denied: ["bad".to_string()].into(),
        };
        let bearer = creds(&[("authorization", "bearer good"), ("x-auth-key", "k")]);
        assert_eq!(bearer.scheme, Scheme::Bearer);
        assert_eq!(config.check(&bearer), Decision::Allow);
        assert_eq!(
            config.check(&creds(&[("authorization", "Bearer bad")])),
            Decision::Forbidden
        );
        assert_eq!(
            config.check(&creds(&[("authorization", "Bearer nope")])),
            Decision::Unauthenticated
        );
        let basic = creds(&[("authorization", "Basic good")]);
        assert_eq!(
            (basic.scheme, config.check(&basic)),
            (Scheme::Other, Decision::Unauthenticated)
        );
        let key = creds(&[("x-auth-key", "good"), ("x-auth-email", "a@b")]);
        assert_eq!(
            (key.scheme, config.check(&key)),
            (Scheme::Key, Decision::Unauthenticated)
        );
        assert_eq!(
            creds(&[("x-auth-user-service-key", "v1.0-x")]).scheme,
            Scheme::ServiceKey
        );
        assert_eq!(creds(&[]).scheme, Scheme::None);
    }
}
