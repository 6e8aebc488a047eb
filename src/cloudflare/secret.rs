//! A string that never shows itself: credentials are wrapped in [`Secret`] so
//! no `Debug`, `Display` or log line can leak them by accident; and the
//! [`Redactor`] that removes them from text a server sends back.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// A credential value. Formatting it prints `REDACTED`; only [`Secret::expose`] gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that puts it in a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

/// What replaces a credential (or a piece of one) in redacted text.
pub const REDACTED: &str = "[REDACTED]";

/// The shortest run of a credential's characters that counts as a piece of
/// it: long enough not to match ordinary words, short enough that no useful
/// part of a credential survives.
const PIECE: usize = 10;

/// Credentials shorter than this are too short to find safely in text (a
/// one-letter "token" would blank every such letter) and are left alone.
const SHORTEST: usize = 4;

/// Removes the provider's own credential values from text it did not write:
/// error bodies, error chains and anything else a server or proxy sent back,
/// which may echo the request's headers. Every run of [`PIECE`] or more
/// characters of a credential is replaced, so neither the whole value nor a
/// cut-off part of it survives; apply it before text is shortened for display.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Credentials shorter than [`PIECE`] (or not ASCII): replaced only where they occur whole.
    short: Vec<String>,
    /// Every [`PIECE`]-byte window of the longer credentials.
    pieces: HashSet<Vec<u8>>,
}

impl Redactor {
    /// A redactor for these credential values.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Self::default();
        for value in values {
            if value.len() < SHORTEST {
                continue;
            }
            if value.len() < PIECE || !value.is_ascii() {
                redactor.short.push(value.to_string());
            } else {
                redactor
                    .pieces
                    .extend(value.as_bytes().windows(PIECE).map(<[u8]>::to_vec));
            }
        }
        redactor
    }

    /// `text` with every credential and every piece of one replaced by [`REDACTED`].
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let bytes = text.as_bytes();
        let mut hidden = vec![false; bytes.len()];
        let mut any = false;
        if !self.pieces.is_empty() {
            for (start, window) in bytes.windows(PIECE).enumerate() {
                if self.pieces.contains(window) {
                    hidden[start..start + PIECE].fill(true);
                    any = true;
                }
            }
        }
        for short in &self.short {
            for (start, _) in text.match_indices(short.as_str()) {
                hidden[start..start + short.len()].fill(true);
                any = true;
            }
        }
        if !any {
            return Cow::Borrowed(text);
        }
        // Hidden runs are whole credential pieces, which are ASCII (or whole
        // matches of a value), so they begin and end on character boundaries.
        let mut out = String::with_capacity(text.len());
        let mut shown_from = 0;
        let mut index = 0;
        while index < bytes.len() {
            if hidden[index] {
                out.push_str(text.get(shown_from..index).unwrap_or(""));
                out.push_str(REDACTED);
                while index < bytes.len() && hidden[index] {
                    index += 1;
                }
                shown_from = index;
            } else {
                index += 1;
            }
        }
        out.push_str(text.get(shown_from..).unwrap_or(""));
        Cow::Owned(out)
    }

    /// Raw bytes with every credential and every piece of one replaced (lossy
    /// UTF-8), for bodies before they are parsed for messages or excerpted.
    pub fn bytes(&self, body: &[u8]) -> Vec<u8> {
        self.text(&String::from_utf8_lossy(body))
            .into_owned()
            .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let secret = Secret::new("tok-very-secret");
        assert!(!format!("{secret:?}").contains("very-secret"));
        assert!(!format!("{secret}").contains("very-secret"));
        assert!(!format!("{:?}", Some(&secret)).contains("very-secret"));
        assert_eq!(secret.expose(), "tok-very-secret");
    }

    const TOKEN: &str = "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD";

    #[test]
    fn whole_credentials_and_pieces_are_replaced() {
        let redactor = Redactor::new([TOKEN, "ops@example.com"]);
        let echoed = format!("{{\"headers\":{{\"authorization\":\"Bearer {TOKEN}\",\"x-auth-email\":\"ops@example.com\"}}}}");
        let clean = redactor.text(&echoed);
        assert!(!clean.contains("0123456789abc"), "{clean}");
        assert!(!clean.contains("ops@example.com"), "{clean}");
        assert!(clean.contains("Bearer [REDACTED]"), "{clean}");
        let cut = format!("…token was {}", &TOKEN[..11]);
        assert_eq!(redactor.text(&cut), "…token was [REDACTED]");
        let middle = format!("x{}y", &TOKEN[17..29]);
        let nine = format!("x{}y", &TOKEN[17..26]);
        assert_eq!(redactor.text(&nine), nine, "shorter runs are ordinary text");
        assert_eq!(redactor.text(&middle), "x[REDACTED]y");
    }

    #[test]
    fn other_text_is_left_alone() {
        let redactor = Redactor::new([TOKEN]);
        let text = "[7003] Could not route to /accounts/…, perhaps your object identifier is invalid? ünïcode";
        assert!(matches!(redactor.text(text), Cow::Borrowed(_)));
        assert_eq!(Redactor::new(["t"]).text("tattoo"), "tattoo");
        assert_eq!(Redactor::new(["abcdef"]).text("xabcdefx"), "x[REDACTED]x");
        let lossy = Redactor::new([TOKEN]).bytes(format!("\u{ff}{TOKEN}").as_bytes());
        assert!(!String::from_utf8_lossy(&lossy).contains("0123456789"));
    }
}
