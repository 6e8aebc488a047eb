//! Which HTTP proxy, if any, requests to the API go through, decided from the
//! environment as Go's `http.ProxyFromEnvironment` decides it, so this
//! provider and the official one take the same route: `HTTPS_PROXY` for
//! https, `HTTP_PROXY` for http (ignored under CGI), `NO_PROXY` exceptions,
//! and never a proxy for `localhost` or a loopback address.

use std::net::IpAddr;

use crate::cloudflare::env::Env;

/// The proxy chosen for an API origin, with the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The proxy URL (a scheme added when the variable had none).
    pub url: String,
    /// The environment variable that named it, e.g. `HTTPS_PROXY`.
    pub variable: &'static str,
}

impl Proxy {
    /// The proxy's address for messages: scheme, host and port, never a user
    /// name or password it may carry.
    pub fn shown(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(url) => format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or(""),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Err(_) => "(an unparsable URL)".to_string(),
        }
    }
}

/// The proxy requests to `base_url` go through, or `None` to connect directly.
pub(crate) fn for_url(base_url: &str, env: &dyn Env) -> Option<Proxy> {
    let url = reqwest::Url::parse(base_url).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    if is_loopback(host) {
        return None;
    }
    let (variable, url_text) = match url.scheme() {
        "https" => first_set(env, &["HTTPS_PROXY", "https_proxy"])?,
        "http" if env.get("REQUEST_METHOD").is_none() => {
            first_set(env, &["HTTP_PROXY", "http_proxy"])?
        }
        _ => return None,
    };
    let port = url.port_or_known_default().unwrap_or(0);
    if let Some((_, exceptions)) = first_set(env, &["NO_PROXY", "no_proxy"]) {
        if excepted(&exceptions, host, port) {
            return None;
        }
    }
    let url = if url_text.contains("://") {
        url_text
    } else {
        format!("http://{url_text}")
    };
    Some(Proxy { url, variable })
}

/// `localhost` or an address in 127.0.0.0/8 or `::1`: never proxied.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn first_set(env: &dyn Env, names: &[&'static str]) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|name| env.get(name).map(|value| (*name, value)))
}

/// Whether a `NO_PROXY` list excludes `host` on `port`: `*` excludes all; an
/// IP address or CIDR range excludes matching addresses; `example.com`
/// excludes it and its subdomains, `.example.com` or `*.example.com` only
/// subdomains; `:port` on a name limits the entry to that port.
fn excepted(list: &str, host: &str, port: u16) -> bool {
    let host = host.to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(ip) = ip {
                return in_range(&entry, ip);
            }
            let (name, entry_port) = match entry.rsplit_once(':') {
                Some((name, p)) if !name.contains(':') => (name, p.parse::<u16>().ok()),
                _ => (entry.as_str(), None),
            };
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            let name = name.strip_prefix('*').unwrap_or(name);
            match name.strip_prefix('.') {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => host == name || host.ends_with(&format!(".{name}")),
            }
        })
}

/// Whether `entry` (an address or a CIDR range) holds `ip`.
fn in_range(entry: &str, ip: IpAddr) -> bool {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (address, Some(bits)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    match (address.parse::<IpAddr>(), ip) {
        (Ok(IpAddr::V4(net)), IpAddr::V4(ip)) => {
            prefix_matches(&net.octets(), &ip.octets(), bits.unwrap_or(32))
        }
        (Ok(IpAddr::V6(net)), IpAddr::V6(ip)) => {
            prefix_matches(&net.octets(), &ip.octets(), bits.unwrap_or(128))
        }
        _ => false,
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], bits: u32) -> bool {
    if bits as usize > net.len() * 8 {
        return false;
    }
    let whole = (bits / 8) as usize;
    let rest = bits % 8;
    if net.get(..whole) != ip.get(..whole) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xff_u8 << (8 - rest);
    match (net.get(whole), ip.get(whole)) {
        (Some(n), Some(i)) => n & mask == i & mask,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::env::MapEnv;

    fn env(pairs: &[(&'static str, &'static str)]) -> MapEnv {
        MapEnv::of(pairs)
    }

    const PROXIES: &[(&str, &str)] = &[
        ("HTTP_PROXY", "http://user:pw@proxy.internal:3128"),
        ("HTTPS_PROXY", "proxy.internal:3129"),
    ];

    #[test]
    fn loopback_is_never_proxied() {
        let e = env(PROXIES);
        for url in [
            "http://127.0.0.1:8080/client/v4",
            "http://127.9.9.9/x",
            "http://localhost:9/x",
            "https://LOCALHOST/x",
            "http://[::1]:9/x",
        ] {
            assert_eq!(for_url(url, &e), None, "{url}");
        }
    }

    #[test]
    fn each_scheme_takes_its_own_variable() {
        let e = env(PROXIES);
        let http = for_url("http://api.internal/client/v4", &e).expect("http proxy");
        assert_eq!(http.variable, "HTTP_PROXY");
        assert_eq!(http.shown(), "http://proxy.internal:3128");
        let https = for_url("https://api.cloudflare.com/client/v4", &e).expect("https proxy");
        assert_eq!(
            (https.variable, https.url.as_str()),
            ("HTTPS_PROXY", "http://proxy.internal:3129")
        );
        let lower = env(&[("https_proxy", "http://p:1")]);
        assert_eq!(
            for_url("https://api.cloudflare.com", &lower).map(|p| p.variable),
            Some("https_proxy")
        );
        assert_eq!(for_url("https://api.cloudflare.com", &env(&[])), None);
        assert_eq!(
            for_url(
                "https://api.cloudflare.com",
                &env(&[("ALL_PROXY", "http://p:1")])
            ),
            None
        );
    }

    #[test]
    fn http_proxy_is_ignored_under_cgi() {
        let mut pairs = PROXIES.to_vec();
        pairs.push(("REQUEST_METHOD", "GET"));
        let e = env(&pairs);
        assert_eq!(for_url("http://api.internal/x", &e), None);
        assert!(for_url("https://api.internal/x", &e).is_some());
    }

    #[test]
    fn no_proxy_follows_go() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "https://api.cloudflare.com", true),
            ("cloudflare.com", "https://api.cloudflare.com", true),
            ("cloudflare.com", "https://cloudflare.com", true),
            (".cloudflare.com", "https://cloudflare.com", false),
            ("*.cloudflare.com", "https://api.cloudflare.com", true),
            ("flare.com", "https://api.cloudflare.com", false),
            ("api.cloudflare.com:443", "https://api.cloudflare.com", true),
            (
                "api.cloudflare.com:8443",
                "https://api.cloudflare.com",
                false,
            ),
            ("10.0.0.0/8", "http://10.1.2.3:80/x", true),
            ("10.0.0.0/8", "http://11.1.2.3/x", false),
            ("192.168.1.7", "http://192.168.1.7/x", true),
            ("fd00::/8", "http://[fd12::1]/x", true),
            ("10.0.0.0/99", "http://10.1.2.3/x", false),
            (
                " other.example , API.CLOUDFLARE.COM ",
                "https://api.cloudflare.com",
                true,
            ),
        ];
        for (list, url, excepted) in cases {
            let mut pairs = PROXIES.to_vec();
            pairs.push(("NO_PROXY", list));
            let chosen = for_url(url, &env(&pairs));
            assert_eq!(chosen.is_none(), *excepted, "NO_PROXY={list:?} {url}");
        }
    }
}
