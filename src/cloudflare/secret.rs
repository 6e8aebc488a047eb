//! A string that never shows itself: credentials are wrapped in [`Secret`] so
//! no `Debug`, `Display` or log line can leak them by accident; and the
//! [`Redactor`] that removes them from text a server sends back, in whatever
//! form it arrived: as it is, JSON-escaped (`\u0063`), percent-encoded
//! (`%63`), as HTML character references (`&#99;`), or a mix of these.

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
    pub(crate) fn expose(&self) -> &str {
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
pub(crate) const PIECE: usize = 10;

/// Credentials shorter than this are too short to find safely in text (a
/// one-letter "token" would blank every such letter) and are left alone.
const SHORTEST: usize = 4;

/// The longest source text one decoded byte can come from: `&#x0000063;`
/// is longer, but no encoder writes that; `\u0063` and `&#x63;` are 6.
const LONGEST_ESCAPE: usize = 12;

/// How far past the end of the text it shows a caller must redact so that
/// no piece of a credential survives at the cut: a whole credential, every
/// character written in its longest escaped form.
pub const fn margin(longest_credential: usize) -> usize {
    longest_credential.saturating_mul(LONGEST_ESCAPE)
}

/// Removes the provider's own credential values from text it did not write:
/// error bodies, error messages, error chains and anything else a server or
/// proxy sent back, which may echo the request's headers, escaped or not.
/// Every run of [`PIECE`] or more characters of a credential is replaced, so
/// neither the whole value nor a cut-off part of it survives; a credential
/// split across several fields is caught wherever a part of [`PIECE`] or more
/// characters shows. Apply it before text is shortened for display, or to at
/// least [`margin`] bytes past the end of what will be shown.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Credentials shorter than [`PIECE`] (or not ASCII): replaced only where they occur whole.
    short: Vec<Vec<u8>>,
    /// Every [`PIECE`]-byte window of the longer credentials.
    pieces: HashSet<Vec<u8>>,
    /// The longest credential, in bytes.
    longest: usize,
}

impl Redactor {
    /// A redactor for these credential values.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Self::default();
        for value in values {
            if value.len() < SHORTEST {
                continue;
            }
            redactor.longest = redactor.longest.max(value.len());
            if value.len() < PIECE || !value.is_ascii() {
                redactor.short.push(value.as_bytes().to_vec());
            } else {
                redactor
                    .pieces
                    .extend(value.as_bytes().windows(PIECE).map(<[u8]>::to_vec));
            }
        }
        redactor
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.short.is_empty() && self.pieces.is_empty()
    }

    /// How many bytes past a cut must be redacted: see [`margin`].
    pub(crate) fn margin(&self) -> usize {
        margin(self.longest)
    }

    /// `text` with every credential and every piece of one replaced by
    /// [`REDACTED`], whether it appears as it is or escaped.
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.is_empty() || text.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut hidden = vec![false; text.len()];
        let raw = self.mark(text.as_bytes(), |index| (index, index + 1), &mut hidden);
        let decoded = Decoded::of(text);
        let escaped =
            decoded.changed && self.mark(&decoded.bytes, |index| decoded.spans[index], &mut hidden);
        if !(raw || escaped) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(replace_hidden(text, &mut hidden))
    }

    /// Marks in `hidden` the source bytes of every match in `bytes`, where
    /// `source(i)` is the range of the text that byte `i` came from.
    fn mark(
        &self,
        bytes: &[u8],
        source: impl Fn(usize) -> (usize, usize),
        hidden: &mut [bool],
    ) -> bool {
        let mut any = false;
        let mut hide = |start: usize, len: usize| {
            let (from, _) = source(start);
            let (_, to) = source(start + len - 1);
            if let Some(run) = hidden.get_mut(from..to) {
                run.fill(true);
            }
            any = true;
        };
        if !self.pieces.is_empty() {
            for (start, window) in bytes.windows(PIECE).enumerate() {
                if self.pieces.contains(window) {
                    hide(start, PIECE);
                }
            }
        }
        for short in &self.short {
            let mut start = 0;
            while let Some(found) = find(bytes.get(start..).unwrap_or(&[]), short) {
                hide(start + found, short.len());
                start += found + 1;
            }
        }
        any
    }

    /// Raw bytes with every credential and every piece of one replaced (lossy
    /// UTF-8), for text that may not be valid UTF-8.
    pub fn bytes(&self, body: &[u8]) -> Vec<u8> {
        self.text(&String::from_utf8_lossy(body))
            .into_owned()
            .into_bytes()
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `text` with each run of hidden bytes (widened to whole characters)
/// replaced by one [`REDACTED`].
fn replace_hidden(text: &str, hidden: &mut [bool]) -> String {
    // A match can end inside a multi-byte character of the source (a
    // non-ASCII credential written raw): hide the whole character.
    for (start, ch) in text.char_indices() {
        let end = start + ch.len_utf8();
        if hidden[start..end].iter().any(|h| *h) {
            hidden[start..end].fill(true);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for (start, ch) in text.char_indices() {
        if hidden[start] {
            if !in_run {
                out.push_str(REDACTED);
                in_run = true;
            }
        } else {
            out.push(ch);
            in_run = false;
        }
    }
    out
}

/// Text with its escapes undone, each decoded byte remembering the range of
/// the source it came from.
struct Decoded {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
    changed: bool,
}

impl Decoded {
    /// Undoes JSON string escapes (`\uXXXX`, surrogate pairs, `\/`, `\"`, …),
    /// percent-encoding (`%XX`) and HTML character references (`&#NN;`,
    /// `&#xHH;`) in one pass; everything else is kept as it is.
    fn of(text: &str) -> Self {
        let source = text.as_bytes();
        let mut decoded = Self {
            bytes: Vec::with_capacity(source.len()),
            spans: Vec::with_capacity(source.len()),
            changed: false,
        };
        let mut at = 0;
        while at < source.len() {
            match escape_at(source, at) {
                Some((ch, len)) => {
                    let mut buffer = [0_u8; 4];
                    for byte in ch.encode_utf8(&mut buffer).bytes() {
                        decoded.bytes.push(byte);
                        decoded.spans.push((at, at + len));
                    }
                    decoded.changed = true;
                    at += len;
                }
                None => {
                    decoded.bytes.push(source[at]);
                    decoded.spans.push((at, at + 1));
                    at += 1;
                }
            }
        }
        decoded
    }
}

/// The character an escape at `at` stands for and the escape's length.
fn escape_at(source: &[u8], at: usize) -> Option<(char, usize)> {
    let rest = source.get(at..)?;
    match rest.first()? {
        b'\\' => json_escape(rest),
        b'%' => {
            let byte = hex_value(rest.get(1..3)?)?;
            // A byte of a multi-byte character stands for no character on
            // its own; credentials are ASCII, so only ASCII bytes matter.
            let ch = char::from_u32(byte).filter(char::is_ascii)?;
            Some((ch, 3))
        }
        b'&' => html_reference(rest),
        _ => None,
    }
}

/// `\uXXXX` (with its low surrogate when it is a high one) or a one-letter escape.
fn json_escape(rest: &[u8]) -> Option<(char, usize)> {
    let simple = match rest.get(1)? {
        b'"' => Some('"'),
        b'\\' => Some('\\'),
        b'/' => Some('/'),
        b'b' => Some('\u{8}'),
        b'f' => Some('\u{c}'),
        b'n' => Some('\n'),
        b'r' => Some('\r'),
        b't' => Some('\t'),
        b'u' => None,
        _ => return None,
    };
    if let Some(ch) = simple {
        return Some((ch, 2));
    }
    let unit = hex_value(rest.get(2..6)?)?;
    if (0xD800..0xDC00).contains(&unit) {
        let low = rest
            .get(6..8)
            .filter(|prefix| *prefix == b"\\u")
            .and_then(|_| hex_value(rest.get(8..12)?))
            .filter(|low| (0xDC00..0xE000).contains(low))?;
        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        return Some((char::from_u32(code)?, 12));
    }
    Some((char::from_u32(unit)?, 6))
}

/// `&#NNN;` or `&#xHHH;`.
fn html_reference(rest: &[u8]) -> Option<(char, usize)> {
    let body = rest.strip_prefix(b"&#")?;
    let (digits, radix, skip) = match body.first()? {
        b'x' | b'X' => (body.get(1..)?, 16, 3),
        _ => (body, 10, 2),
    };
    let end = digits
        .iter()
        .take(8)
        .position(|b| *b == b';')
        .filter(|end| *end > 0)?;
    let text = std::str::from_utf8(&digits[..end]).ok()?;
    let code = u32::from_str_radix(text, radix).ok()?;
    Some((char::from_u32(code)?, skip + end + 1))
}

/// The value of ASCII hex digits.
fn hex_value(digits: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(digits).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
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

    /// `text` with every character written as a JSON `\u` escape.
    fn json_escaped(text: &str) -> String {
        text.chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect()
    }

    fn assert_clean(redactor: &Redactor, text: &str) {
        let clean = redactor.text(text);
        for piece in TOKEN.as_bytes().windows(PIECE) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!clean.contains(piece), "{piece} survived in {clean}");
        }
        assert!(clean.contains(REDACTED), "{clean}");
    }

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
    fn json_escaped_credentials_are_replaced_whole_and_in_part() {
        let redactor = Redactor::new([TOKEN]);
        assert_clean(
            &redactor,
            &format!("token {} rejected", json_escaped(TOKEN)),
        );
        let partly = format!("{}{}", &TOKEN[..20], json_escaped(&TOKEN[20..]));
        assert_clean(&redactor, &partly);
        let upper = json_escaped(TOKEN).to_uppercase().replace("\\U", "\\u");
        assert_clean(&redactor, &upper);
        let solidus = "abcd/efghij/klmnop".to_string();
        let slashes = Redactor::new([solidus.as_str()]);
        let clean = slashes.text("key abcd\\/efghij\\/klmnop!");
        assert_eq!(clean, "key [REDACTED]!");
    }

    #[test]
    fn percent_encoded_and_html_encoded_credentials_are_replaced() {
        let redactor = Redactor::new([TOKEN]);
        let percent: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
        assert_clean(&redactor, &format!("GET /x?token={percent}"));
        assert_clean(
            &redactor,
            &format!("GET /x?token={}", percent.to_lowercase()),
        );
        let html: String = TOKEN.chars().map(|c| format!("&#{};", c as u32)).collect();
        assert_clean(&redactor, &format!("<p>{html}</p>"));
        let hex: String = TOKEN
            .chars()
            .map(|c| format!("&#x{:x};", c as u32))
            .collect();
        assert_clean(&redactor, &hex);
        let mixed = format!(
            "{}{}{}",
            &TOKEN[..12],
            json_escaped(&TOKEN[12..24]),
            TOKEN[24..]
                .bytes()
                .map(|b| format!("%{b:02x}"))
                .collect::<String>()
        );
        assert_clean(&redactor, &mixed);
    }

    #[test]
    fn a_credential_split_across_fields_is_replaced_piece_by_piece() {
        let redactor = Redactor::new([TOKEN]);
        let split = format!(
            r#"{{"errors":[{{"message":"{}"}},{{"message":"{}"}}]}}"#,
            &TOKEN[..22],
            json_escaped(&TOKEN[22..])
        );
        assert_clean(&redactor, &split);
    }

    #[test]
    fn short_and_non_ascii_credentials_are_replaced_where_they_occur_whole() {
        let redactor = Redactor::new(["pässwörd1"]);
        assert_eq!(redactor.text("x pässwörd1 y"), "x [REDACTED] y");
        assert_eq!(
            redactor.text(&format!("x {} y", json_escaped("pässwörd1"))),
            "x [REDACTED] y"
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        let redactor = Redactor::new([TOKEN]);
        let text = "[7003] Could not route to /accounts/…, perhaps your object identifier is invalid? ünïcode \\u00e9 %41 &#65;";
        assert!(matches!(redactor.text(text), Cow::Borrowed(_)));
        assert_eq!(Redactor::new(["t"]).text("tattoo"), "tattoo");
        assert_eq!(Redactor::new(["abcdef"]).text("xabcdefx"), "x[REDACTED]x");
        let lossy = Redactor::new([TOKEN]).bytes(format!("\u{ff}{TOKEN}").as_bytes());
        assert!(!String::from_utf8_lossy(&lossy).contains("0123456789"));
        for broken in [
            "\\u12",
            "\\uD800",
            "\\uD800\\u0041",
            "%4",
            "%zz",
            "&#;",
            "&#x;",
            "&#99999999999;",
            "\\",
        ] {
            assert_eq!(redactor.text(broken), broken);
        }
    }
}
