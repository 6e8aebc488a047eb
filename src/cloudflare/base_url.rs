//! The `base_url` setting: what makes it acceptable, and how it is shown.
//! A URL can carry a secret (a proxy's key in its path, a token in a query
//! string someone pasted): messages and logs show it masked, the secret-like
//! parts of its path are redacted from everything a server sends back, and
//! no error ever quotes its query string or fragment.

/// Default API endpoint.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// A path segment at least this long that mixes letters and digits is taken
/// for a secret (a key a proxy expects in the path) and never shown.
const SECRET_SEGMENT: usize = 16;

/// What stands for a part of a URL that is not shown.
const MASK: &str = "…";

/// Longest URL shown, in characters.
const SHOWN_CHARS: usize = 120;

/// Checks that a `base_url` value from `source` (the argument's name or
/// the environment variable's) is an absolute http(s) URL with a host and
/// without user name, password, query string or fragment. The message
/// shows the value masked (see [`shown`]).
pub(crate) fn check(value: &str, source: &str) -> Result<(), String> {
    let shown = format!("{:?}", shown(value));
    let parsed = reqwest::Url::parse(value).map_err(|e| {
        format!(
            "{source} {shown} is not an absolute URL ({e}). Use a value like {DEFAULT_BASE_URL:?}."
        )
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "{source} must not contain a user name or password: the provider authenticates with its own credentials, and a URL with secrets in it would end up in logs. Remove the part before '@'."
        ));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{source} must use http or https, not {:?}. Use a value like {DEFAULT_BASE_URL:?}.",
            crate::cloudflare::server_text::shown(
                parsed.scheme(),
                20,
                false,
                &crate::cloudflare::secret::Redactor::default()
            )
        ));
    }
    let authority = value
        .split_once(':')
        .and_then(|(_, rest)| rest.strip_prefix("//"))
        .and_then(|rest| rest.split(['/', '?', '#']).next());
    if parsed.host_str().is_none_or(str::is_empty) || authority.is_none_or(str::is_empty) {
        return Err(format!(
            "{source} {shown} has no host. Use a value like {DEFAULT_BASE_URL:?}."
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "{source} {shown} must not have a query string or fragment (not shown here, as they may hold secrets). Remove everything from the first '?' or '#'."
        ));
    }
    Ok(())
}

/// `url` as messages and logs show it: no user name or password, no query
/// string or fragment (each replaced by `…`), path segments that look like
/// secrets replaced by `…`, control characters dropped, cut short. Works on
/// text that is not a valid URL too.
pub(crate) fn shown(url: &str) -> String {
    let (before, cut_at) = match url.find(['?', '#']) {
        Some(at) => (&url[..at], Some(&url[at..at + 1])),
        None => (url, None),
    };
    let (scheme, rest) = match before.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, before),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("{MASK}@{host}"),
        None => authority.to_string(),
    };
    let path: Vec<String> = path
        .split('/')
        .map(|segment| {
            if looks_secret(segment) {
                MASK.to_string()
            } else {
                segment.to_string()
            }
        })
        .collect();
    let mut out = String::new();
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }
    out.push_str(&host);
    out.push_str(&path.join("/"));
    if let Some(mark) = cut_at {
        out.push_str(mark);
        out.push_str(MASK);
    }
    let mut shown: String = out
        .chars()
        .filter(|c| !c.is_control())
        .take(SHOWN_CHARS)
        .collect();
    if out.chars().filter(|c| !c.is_control()).count() > SHOWN_CHARS {
        shown.push_str(MASK);
    }
    shown
}

/// The parts of `url` that may be secrets: its user information, query
/// string and fragment, and path segments that look like keys, as written
/// and percent-decoded. The redactor removes them from server text.
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let mut found: Vec<String> = [
        Some(parsed.username()),
        parsed.password(),
        parsed.query(),
        parsed.fragment(),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.is_empty())
    .map(str::to_string)
    .collect();
    for segment in parsed.path().split('/') {
        if looks_secret(segment) {
            found.push(segment.to_string());
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            if decoded != segment {
                found.push(decoded.into_owned());
            }
        }
    }
    found
}

/// Whether a path segment looks like a key rather than a word: long, with
/// both letters and digits (after percent-decoding).
fn looks_secret(segment: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    decoded.chars().count() >= SECRET_SEGMENT
        && decoded.chars().any(|c| c.is_ascii_digit())
        && decoded.chars().any(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_absolute_http_urls_only() {
        assert!(check("https://api.cloudflare.com/client/v4", "base_url").is_ok());
        assert!(check("http://127.0.0.1:8080/client/v4", "base_url").is_ok());
        assert!(check("api.cloudflare.com", "base_url").is_err());
        assert!(check("ftp://example.com", "base_url").is_err());
        assert!(check("https://example.com/?a=b", "base_url").is_err());
        assert!(check("/client/v4", "base_url").is_err());
        for no_authority in [
            "http:///accounts",
            "https:///client/v4",
            "http:/host/x",
            "http:host",
            "https://?x",
            "https://#y",
        ] {
            assert!(check(no_authority, "base_url").is_err(), "{no_authority}");
        }
        assert!(check("http:///accounts", "base_url")
            .unwrap_err()
            .contains("no host"));
        let huge = format!("https://example.com/?{}", "q".repeat(1 << 20));
        assert!(check(&huge, "base_url").is_err_and(|e| e.len() < 400));
    }

    const SECRET: &str = "tok3nInTheUrl9876543210abcdef";

    #[test]
    fn no_message_quotes_a_secret_in_the_url() {
        for (url, says) in [
            (
                format!("https://api.example.com/client/v4?token={SECRET}"),
                "query string",
            ),
            (
                format!("https://api.example.com/client/v4#{SECRET}"),
                "fragment",
            ),
            (
                format!("https://user:{SECRET}@api.example.com/client/v4"),
                "user name",
            ),
            (
                format!("api.example.com/{SECRET}/v4?k={SECRET}"),
                "not an absolute URL",
            ),
            (format!("ftp://x.test/{SECRET}"), "http or https"),
        ] {
            let err = check(&url, "CLOUDFLARE_BASE_URL").unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
            assert!(err.starts_with("CLOUDFLARE_BASE_URL"), "{err}");
            assert!(!err.contains(&SECRET[..10]), "{url}: {err}");
        }
    }

    #[test]
    fn shown_urls_mask_what_may_be_secret() {
        assert_eq!(
            shown("https://api.cloudflare.com/client/v4"),
            "https://api.cloudflare.com/client/v4"
        );
        assert_eq!(
            shown(&format!("https://proxy.example/{SECRET}/client/v4")),
            "https://proxy.example/…/client/v4"
        );
        assert_eq!(
            shown(&format!("https://u:{SECRET}@h.example/x?t={SECRET}")),
            "https://…@h.example/x?…"
        );
        assert!(shown(&"a".repeat(1000)).chars().count() <= SHOWN_CHARS + 1);
    }

    #[test]
    fn secret_parts_are_listed_for_the_redactor() {
        let url = format!("https://proxy.example/{SECRET}/client/v4");
        assert_eq!(secrets(&url), [SECRET]);
        let encoded = "https://proxy.example/abc%2Ddef0123456789xyz/v4";
        assert_eq!(
            secrets(encoded),
            ["abc%2Ddef0123456789xyz", "abc-def0123456789xyz"]
        );
        assert!(secrets("https://api.cloudflare.com/client/v4").is_empty());
    }
}
