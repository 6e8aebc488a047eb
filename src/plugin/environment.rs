//! Every environment variable the plugin layer reads goes through here, so
//! each is either unset, set to a usable value, or refused: a variable that is
//! set but cannot be read (not valid Unicode where text is needed) stops the
//! provider at launch with a message naming it. It is never taken for unset,
//! which would quietly turn a set `PLUGIN_CLIENT_CERT` into a plaintext server
//! or a set port range into the default one.

use std::ffi::OsString;
use std::fmt;

/// A variable that is set but whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unreadable {
    /// The variable's name.
    pub name: String,
    /// Why the value cannot be used.
    pub why: String,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the environment variable {} is set, but {}. The provider does not start rather \
             than ignore it: unset {}, or set it to valid UTF-8 text, in the environment \
             Terraform is started from.",
            self.name, self.why, self.name
        )
    }
}

impl std::error::Error for Unreadable {}

/// A text variable: `None` when unset, the text when set, an error when it is
/// set but not valid Unicode (on Unix, bytes that are not UTF-8; on Windows,
/// unpaired surrogates). An empty value is returned as it is; callers that
/// treat empty as unset say so.
pub(super) fn text(name: &str) -> Result<Option<String>, Unreadable> {
    text_from(name, std::env::var_os(name))
}

/// [`text`] of a value already looked up, for the tests.
pub(super) fn text_from(name: &str, value: Option<OsString>) -> Result<Option<String>, Unreadable> {
    match value {
        None => Ok(None),
        Some(value) => value.into_string().map(Some).map_err(|raw| Unreadable {
            name: name.to_string(),
            why: match raw.as_encoded_bytes().len() {
                1 => "its value (1 byte) is not valid UTF-8 text".to_string(),
                n => format!("its value ({n} bytes) is not valid UTF-8 text"),
            },
        }),
    }
}

/// A path variable: `None` when unset or empty, the value as the OS holds it
/// otherwise. A path may be any bytes on Unix, so none is refused here; the
/// code that uses it says when it cannot. (Only Unix reads path variables.)
#[cfg(unix)]
pub(super) fn path(name: &str) -> Option<OsString> {
    path_from(std::env::var_os(name))
}

/// [`path`] of a value already looked up, for the tests.
#[cfg(unix)]
pub(super) fn path_from(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_set_and_empty_text_are_told_apart() {
        assert_eq!(text_from("X", None), Ok(None));
        assert_eq!(
            text_from("X", Some(OsString::from("5,6"))),
            Ok(Some("5,6".to_string()))
        );
        assert_eq!(
            text_from("X", Some(OsString::new())),
            Ok(Some(String::new()))
        );
    }

    #[cfg(unix)]
    #[test]
    fn text_that_is_not_utf8_is_refused_naming_the_variable_and_what_to_do() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(b"-----BEGIN \xff\xfe".to_vec());
        let err = text_from("PLUGIN_CLIENT_CERT", Some(raw)).expect_err("not UTF-8");
        let message = err.to_string();
        assert_eq!(err.name, "PLUGIN_CLIENT_CERT");
        assert!(message.contains("PLUGIN_CLIENT_CERT is set"), "{message}");
        assert!(message.contains("13 bytes"), "{message}");
        assert!(message.contains("not valid UTF-8"), "{message}");
        assert!(message.contains("unset PLUGIN_CLIENT_CERT"), "{message}");
        assert!(
            !message.contains("BEGIN"),
            "the value is not quoted: {message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn paths_keep_their_bytes_and_empty_means_unset() {
        use std::os::unix::ffi::OsStringExt;
        let raw = OsString::from_vec(b"/tmp/caf\xe9".to_vec());
        assert_eq!(path_from(Some(raw.clone())), Some(raw));
        assert_eq!(path_from(Some(OsString::new())), None);
        assert_eq!(path_from(None), None);
    }
}
