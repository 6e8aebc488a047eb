//! The go-plugin launch contract: the magic cookie, protocol negotiation and
//! the handshake line Terraform reads from stdout.

use std::io::{self, Write};

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

use crate::plugin::environment::{self, Unreadable};

/// Environment variable holding the cookie Terraform sets for its plugins.
pub(super) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The cookie's value, shared by protocols 5 and 6.
pub(super) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The go-plugin core protocol version, the first handshake field.
pub(super) const CORE_PROTOCOL_VERSION: u32 = 1;

/// True when the process was launched by Terraform (the cookie matches); an
/// error when the cookie is set but not text.
pub(super) fn launched_by_terraform() -> Result<bool, Unreadable> {
    Ok(environment::text(MAGIC_COOKIE_KEY)?.is_some_and(|v| v == MAGIC_COOKIE_VALUE))
}

/// The message for someone who runs the binary directly.
pub(super) fn not_a_command_message(binary: &str) -> String {
    format!(
        "This binary is a plugin. These are not meant to be executed directly.\n\
         Please execute the program that consumes these plugins, which will\n\
         load any plugins automatically.\n\n\
         {binary} is a Terraform provider: install it with a provider_installation\n\
         block (dev_overrides or filesystem_mirror) and run terraform, or start it\n\
         with --debug to attach Terraform through TF_REATTACH_PROVIDERS.\n"
    )
}

/// Picks the protocol version: the highest one offered in `offered`
/// (`PLUGIN_PROTOCOL_VERSIONS`, comma-separated, any order) that we support.
/// With nothing in common, go-plugin reports its lowest version so the client
/// can print a useful "incompatible API version" error; we do the same.
pub(super) fn negotiate(offered: Option<&str>, supported: &[u32]) -> Option<u32> {
    let lowest = supported.iter().copied().min()?;
    let Some(offered) = offered.filter(|s| !s.trim().is_empty()) else {
        return supported.iter().copied().max();
    };
    let best = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .filter(|v| supported.contains(v))
        .max();
    Some(best.unwrap_or(lowest))
}

/// The handshake line: `CORE|APP|NETWORK|ADDRESS|grpc|CERT`, the certificate as
/// unpadded standard base64 of its DER (empty without TLS). Bytes, not text:
/// the address is a socket path as the OS holds it, which go-plugin reads as
/// bytes too.
pub(super) fn handshake_line(
    protocol: u32,
    network: &str,
    address: &[u8],
    server_cert_der: Option<&[u8]>,
) -> Vec<u8> {
    let cert = server_cert_der
        .map(|der| STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    let mut line = format!("{CORE_PROTOCOL_VERSION}|{protocol}|{network}|").into_bytes();
    line.extend_from_slice(address);
    line.extend_from_slice(format!("|grpc|{cert}\n").as_bytes());
    line
}

/// Writes the handshake line as the first bytes on stdout and flushes it.
pub(super) fn announce(line: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_highest_common_version_in_any_order() {
        assert_eq!(negotiate(Some("5,6"), &[5, 6]), Some(6));
        assert_eq!(negotiate(Some("6,5"), &[5, 6]), Some(6));
        assert_eq!(negotiate(Some("5"), &[5, 6]), Some(5));
        assert_eq!(negotiate(Some("6"), &[6]), Some(6));
        assert_eq!(negotiate(Some(" 4 , 6 "), &[5, 6]), Some(6));
    }

    #[test]
    fn reports_lowest_version_when_nothing_matches() {
        assert_eq!(negotiate(Some("4,7"), &[5, 6]), Some(5));
        assert_eq!(negotiate(Some("garbage"), &[6]), Some(6));
    }

    #[test]
    fn without_an_offer_uses_the_highest_version() {
        assert_eq!(negotiate(None, &[5, 6]), Some(6));
        assert_eq!(negotiate(Some(""), &[5, 6]), Some(6));
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_certificate() {
        assert_eq!(
            handshake_line(6, "unix", b"/tmp/p/plugin.sock", None),
            b"1|6|unix|/tmp/p/plugin.sock|grpc|\n"
        );
        let line = handshake_line(6, "unix", b"/s", Some(&[1, 2, 3, 4]));
        assert_eq!(line, b"1|6|unix|/s|grpc|AQIDBA\n");
        assert!(!line.contains(&b'='));
        assert_eq!(
            handshake_line(5, "tcp", b"127.0.0.1:10042", None),
            b"1|5|tcp|127.0.0.1:10042|grpc|\n"
        );
        assert_eq!(
            handshake_line(6, "unix", b"/tmp/caf\xe9/plugin.sock", None),
            b"1|6|unix|/tmp/caf\xe9/plugin.sock|grpc|\n",
            "a path that is not UTF-8 goes out byte for byte"
        );
    }
}
