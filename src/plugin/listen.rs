//! Where the plugin listens, as go-plugin decides it: a Unix socket in a
//! private directory on Unix, a TCP port on 127.0.0.1 between
//! `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT` on Windows (which Terraform's
//! go-plugin client dials the same way). [`TRANSPORT_ENV`] forces TCP on Unix,
//! so the Windows path can be exercised there too.

use std::ffi::OsString;
use std::ops::RangeInclusive;

use tokio::net::TcpListener;

use crate::plugin::environment;
#[cfg(unix)]
use crate::plugin::socket_dir::{SocketBase, SocketDir};
use crate::plugin::transport::Listener;

/// Environment variable choosing the transport: `unix` (the default on Unix)
/// or `tcp` (the default, and the only choice, on Windows).
pub(super) const TRANSPORT_ENV: &str = "PLUGIN_TRANSPORT";
/// Lowest TCP port to listen on, as go-plugin's client passes it.
pub(super) const MIN_PORT_ENV: &str = "PLUGIN_MIN_PORT";
/// Highest TCP port to listen on, as go-plugin's client passes it.
pub(super) const MAX_PORT_ENV: &str = "PLUGIN_MAX_PORT";
/// go-plugin's default port range, used when the variables are unset.
pub(super) const DEFAULT_PORTS: RangeInclusive<u16> = 10000..=25000;

/// The kind of socket, named as the handshake line and `TF_REATTACH_PROVIDERS` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Network {
    /// A Unix socket; its address is the socket's path.
    #[cfg(unix)]
    Unix,
    /// A loopback TCP port; its address is `127.0.0.1:PORT`.
    Tcp,
}

impl Network {
    /// The name go-plugin uses: `unix` or `tcp`.
    pub(super) fn name(self) -> &'static str {
        match self {
            #[cfg(unix)]
            Network::Unix => "unix",
            Network::Tcp => "tcp",
        }
    }

    /// The transport asked for by `value` (the [`TRANSPORT_ENV`] setting),
    /// the platform's default when it is unset or empty.
    pub(super) fn choose(value: Option<&str>) -> Result<Network, String> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Self::platform_default()),
            Some(v) if v.eq_ignore_ascii_case("tcp") => Ok(Network::Tcp),
            #[cfg(unix)]
            Some(v) if v.eq_ignore_ascii_case("unix") => Ok(Network::Unix),
            #[cfg(not(unix))]
            Some(v) if v.eq_ignore_ascii_case("unix") => Err(format!(
                "{TRANSPORT_ENV}=unix: Unix sockets are not available on this platform; \
                 unset {TRANSPORT_ENV} or set it to tcp"
            )),
            Some(v) => Err(format!(
                "{TRANSPORT_ENV} must be unix or tcp, not {}; unset it for the platform's default",
                quoted(v)
            )),
        }
    }

    fn platform_default() -> Network {
        #[cfg(unix)]
        return Network::Unix;
        #[cfg(not(unix))]
        return Network::Tcp;
    }
}

/// The ports TCP may listen on, from `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT`
/// (each defaulting to go-plugin's bound when unset or empty).
pub(super) fn port_range(
    min: Option<&str>,
    max: Option<&str>,
) -> Result<RangeInclusive<u16>, String> {
    let min = port(MIN_PORT_ENV, min, *DEFAULT_PORTS.start())?;
    let max = port(MAX_PORT_ENV, max, *DEFAULT_PORTS.end())?;
    if min > max {
        return Err(format!(
            "{MIN_PORT_ENV} ({min}) is above {MAX_PORT_ENV} ({max}); \
             set {MIN_PORT_ENV} no higher than {MAX_PORT_ENV}"
        ));
    }
    Ok(min..=max)
}

fn port(name: &str, value: Option<&str>, default: u16) -> Result<u16, String> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<u16>().map_err(|_| {
            format!(
                "{name} must be a TCP port number from 0 to 65535, not {}",
                quoted(v)
            )
        }),
    }
}

/// `value` in quotes for an error message, cut short when long.
fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 40;
    if value.chars().count() > MAX_CHARS {
        let head: String = value.chars().take(MAX_CHARS).collect();
        format!("{head:?}… ({} characters)", value.chars().count())
    } else {
        format!("{value:?}")
    }
}

/// What the server announces and must clean up once it stops.
#[derive(Debug)]
pub(super) struct Endpoint {
    /// The socket's kind.
    pub network: Network,
    /// The socket's path, or `127.0.0.1:PORT`. A path as the OS holds it:
    /// on Unix it may be any bytes, and the handshake line carries them as
    /// they are (go-plugin reads the address as bytes).
    pub address: OsString,
    /// The private directory of a Unix socket, removed when this is dropped.
    #[cfg(unix)]
    _socket_dir: Option<SocketDir>,
}

/// Opens the listener the environment asks for ([`TRANSPORT_ENV`], the port
/// range, `PLUGIN_UNIX_SOCKET_DIR`, `TMPDIR`); errors say which setting to
/// change. A variable that is set but not text is refused, never taken for unset.
pub(super) async fn bind() -> Result<(Listener, Endpoint), String> {
    let read = |name| environment::text(name).map_err(|e| e.to_string());
    let setting = read(TRANSPORT_ENV)?;
    match Network::choose(setting.as_deref())? {
        #[cfg(unix)]
        Network::Unix => bind_unix(&SocketBase::from_env()),
        Network::Tcp => {
            let min = read(MIN_PORT_ENV)?;
            let max = read(MAX_PORT_ENV)?;
            bind_tcp(port_range(min.as_deref(), max.as_deref())?).await
        }
    }
}

/// Listens on the first free port of `ports` on 127.0.0.1, trying them in
/// order from a random starting point so plugins started together rarely
/// race for the same port.
pub(super) async fn bind_tcp(ports: RangeInclusive<u16>) -> Result<(Listener, Endpoint), String> {
    let first = u32::from(*ports.start());
    let span = u32::from(*ports.end()) - first + 1;
    let offset = fastrand::u32(0..span);
    let mut last_error = None;
    for step in 0..span {
        let Ok(port) = u16::try_from(first + (offset + step) % span) else {
            continue;
        };
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => {
                let address = listener
                    .local_addr()
                    .map_err(|e| format!("could not read the TCP listener's address: {e}"))?
                    .to_string()
                    .into();
                let endpoint = Endpoint {
                    network: Network::Tcp,
                    address,
                    #[cfg(unix)]
                    _socket_dir: None,
                };
                return Ok((Listener::Tcp(listener), endpoint));
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(format!(
        "could not listen on any TCP port of 127.0.0.1 from {} to {} ({}); \
         widen the range with {MIN_PORT_ENV} and {MAX_PORT_ENV}",
        ports.start(),
        ports.end(),
        last_error.map_or_else(|| "no port tried".to_string(), |e| e.to_string())
    ))
}

/// Listens on a Unix socket in a fresh private directory under `base`. Every
/// error names the path and the variable it came from. A path go-plugin's
/// handshake line cannot carry (one holding `|` or a line break) is refused
/// before anything is created.
#[cfg(unix)]
pub(super) fn bind_unix(base: &SocketBase) -> Result<(Listener, Endpoint), String> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    if base
        .dir
        .as_os_str()
        .as_bytes()
        .iter()
        .any(|b| matches!(b, b'|' | b'\n' | b'\r'))
    {
        return Err(format!(
            "cannot listen in {base}: the path holds a '|' or a line break, which the \
             handshake line Terraform reads cannot carry; {}",
            base.remedy()
        ));
    }
    let dir = SocketDir::create(base)?;
    let socket = dir.socket_path();
    let listener = tokio::net::UnixListener::bind(&socket).map_err(|e| {
        format!(
            "could not listen on the plugin socket {} in {base}: {e}; {}",
            socket.display(),
            base.remedy()
        )
    })?;
    // The socket itself owner-only too, a second layer behind its private
    // directory whatever the process umask.
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        format!(
            "could not restrict the plugin socket {} in {base} to its owner: {e}; {}",
            socket.display(),
            base.remedy()
        )
    })?;
    let endpoint = Endpoint {
        network: Network::Unix,
        address: socket.into_os_string(),
        _socket_dir: Some(dir),
    };
    Ok((Listener::Unix(listener), endpoint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_defaults_to_the_platforms_and_tcp_can_be_forced() {
        #[cfg(unix)]
        {
            assert_eq!(Network::choose(None), Ok(Network::Unix));
            assert_eq!(Network::choose(Some("")), Ok(Network::Unix));
            assert_eq!(Network::choose(Some("unix")), Ok(Network::Unix));
        }
        assert_eq!(Network::choose(Some("tcp")), Ok(Network::Tcp));
        assert_eq!(Network::choose(Some(" TCP ")), Ok(Network::Tcp));
        assert_eq!(Network::Tcp.name(), "tcp");
    }

    #[test]
    fn an_unknown_transport_is_an_error_naming_the_variable_and_the_choices() {
        let err = Network::choose(Some("udp")).expect_err("udp");
        assert!(
            err.contains(TRANSPORT_ENV) && err.contains("unix or tcp"),
            "{err}"
        );
        assert!(err.contains("\"udp\""), "{err}");
        let long = "x".repeat(10_000);
        let err = Network::choose(Some(&long)).expect_err("long value");
        assert!(err.len() < 200, "the value is cut short: {err}");
    }

    #[test]
    fn port_range_defaults_to_go_plugins_and_reads_both_bounds() {
        assert_eq!(port_range(None, None), Ok(10000..=25000));
        assert_eq!(port_range(Some(""), Some("")), Ok(10000..=25000));
        assert_eq!(port_range(Some("20000"), Some("20010")), Ok(20000..=20010));
        assert_eq!(port_range(Some("0"), Some("0")), Ok(0..=0));
    }

    #[test]
    fn bad_port_settings_are_errors_saying_what_to_change() {
        for (min, max, wanted) in [
            (Some("abc"), None, MIN_PORT_ENV),
            (None, Some("70000"), MAX_PORT_ENV),
            (Some("-1"), None, MIN_PORT_ENV),
            (Some("1.5"), None, MIN_PORT_ENV),
        ] {
            let err = port_range(min, max).expect_err("bad port");
            assert!(err.contains(wanted) && err.contains("0 to 65535"), "{err}");
        }
        let err = port_range(Some("20000"), Some("10000")).expect_err("min above max");
        assert!(err.contains("(20000) is above"), "{err}");
    }

    #[tokio::test]
    async fn tcp_listens_on_loopback_within_the_range() {
        let (listener, endpoint) = bind_tcp(DEFAULT_PORTS).await.expect("bind");
        assert_eq!(endpoint.network, Network::Tcp);
        let addr: std::net::SocketAddr = endpoint
            .address
            .to_str()
            .expect("text")
            .parse()
            .expect("host:port");
        assert!(addr.ip().is_loopback(), "{addr}");
        assert!(DEFAULT_PORTS.contains(&addr.port()), "{addr}");
        assert!(matches!(listener, Listener::Tcp(_)));
    }

    #[tokio::test]
    async fn a_range_with_no_free_port_is_an_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let port = taken.local_addr().expect("address").port();
        let err = bind_tcp(port..=port).await.expect_err("port in use");
        assert!(
            err.contains(&format!("from {port} to {port}")) && err.contains(MIN_PORT_ENV),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_unix_socket_under_a_path_that_is_not_utf8_is_served_at_those_bytes() {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let parent = tempfile::tempdir().expect("temp dir");
        let mut raw = parent.path().as_os_str().as_bytes().to_vec();
        raw.extend_from_slice(b"/caf\xe9");
        let base_dir = std::path::PathBuf::from(OsString::from_vec(raw.clone()));
        std::fs::create_dir(&base_dir).expect("non-UTF-8 directory");
        let base = SocketBase::choose(None, Some(base_dir.into_os_string()));
        let (_listener, endpoint) = bind_unix(&base).expect("bind");
        assert!(endpoint.address.as_bytes().starts_with(&raw));
        assert!(std::path::Path::new(&endpoint.address).exists());
    }

    #[cfg(unix)]
    #[test]
    fn unix_socket_errors_name_the_path_and_the_variable() {
        let base = SocketBase::choose(Some("/tmp/a|b".into()), None);
        let err = bind_unix(&base).expect_err("pipe in path");
        assert!(
            err.contains("/tmp/a|b (from PLUGIN_UNIX_SOCKET_DIR)"),
            "{err}"
        );
        let parent = tempfile::tempdir().expect("temp dir");
        let long = parent.path().join("d".repeat(120));
        std::fs::create_dir(&long).expect("long directory");
        let base = SocketBase::choose(None, Some(long.clone().into_os_string()));
        let err = bind_unix(&base).expect_err("path too long for a socket");
        let shown = long.display().to_string();
        assert!(
            err.contains(&shown) && err.contains("(from TMPDIR)"),
            "{err}"
        );
        assert!(err.contains("set TMPDIR to a short path"), "{err}");
    }
}
