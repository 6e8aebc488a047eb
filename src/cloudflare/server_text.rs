//! Text a server wrote, made fit to show: the provider's credentials
//! redacted in whatever form they arrived, control characters (terminal
//! escape sequences among them) replaced, and the length bounded, so that a
//! hostile or broken server can neither leak a credential, nor rewrite the
//! user's terminal, nor flood Terraform's output.

use crate::cloudflare::secret::Redactor;

/// Longest message of one Cloudflare error entry shown, in characters.
pub(crate) const MESSAGE_CHARS: usize = 300;
/// Longest excerpt of a body shown, in characters.
pub(crate) const EXCERPT_CHARS: usize = 300;
/// Longest other server text (an error chain, a parser's complaint, a
/// redirect target) shown, in characters.
pub(crate) const OTHER_CHARS: usize = 500;
/// Error entries of one answer shown; the rest are counted.
pub(crate) const ERRORS_SHOWN: usize = 5;

/// What stands for a control character.
const REPLACEMENT: char = ' ';

/// `text` as it may be shown: credentials redacted, control characters
/// replaced (newlines kept when `keep_newlines`), at most `limit` characters
/// with `…` where it was cut. Only the start of a long text is read, so the
/// work is bounded however long the text is.
pub(crate) fn shown(text: &str, limit: usize, keep_newlines: bool, redactor: &Redactor) -> String {
    let window = window(
        text,
        limit.saturating_mul(4).saturating_add(redactor.margin()),
    );
    let redacted = redactor.text(window);
    let mut out = String::with_capacity(limit.min(redacted.len()) + 3);
    let mut cut = window.len() < text.len();
    for (count, ch) in redacted.chars().enumerate() {
        if count == limit {
            cut = true;
            break;
        }
        out.push(if is_shown(ch, keep_newlines) {
            ch
        } else {
            REPLACEMENT
        });
    }
    if cut {
        out.push('…');
    }
    out
}

/// Whether a character may be shown as it is: not a control character
/// (C0, DEL, C1) and not one that reorders or hides text (bidirectional
/// overrides and isolates, zero-width characters).
pub(crate) fn is_shown(ch: char, keep_newlines: bool) -> bool {
    if ch == '\n' {
        return keep_newlines;
    }
    !(ch.is_control()
        || matches!(ch, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'))
}

/// The start of `text`, at most `bytes` long, cut at a character boundary.
fn window(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_terminal_escapes_are_replaced() {
        let none = Redactor::default();
        let fake = "\u{1b}[2J\u{1b}[HApply complete!\r\u{7}\u{9b}31m\u{202e}x";
        let clean = shown(fake, 100, false, &none);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(!clean.contains('\u{202e}'));
        assert!(clean.contains("Apply complete!"));
        assert_eq!(shown("a\nb", 10, true, &none), "a\nb");
        assert_eq!(shown("a\nb", 10, false, &none), "a b");
    }

    #[test]
    fn long_text_is_cut_and_only_its_start_is_read() {
        let none = Redactor::default();
        let huge = "x".repeat(9 << 20);
        let clean = shown(&huge, MESSAGE_CHARS, false, &none);
        assert_eq!(clean.chars().count(), MESSAGE_CHARS + 1);
        assert!(clean.ends_with('…'));
        assert_eq!(shown("short", 10, false, &none), "short");
        let wide = "é".repeat(2000);
        assert_eq!(shown(&wide, 10, false, &none).chars().count(), 11);
    }

    #[test]
    fn credentials_are_redacted_before_the_cut() {
        let token = "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD";
        let redactor = Redactor::new([token]);
        let escaped: String = token
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        let text = format!("{}{escaped}", "y".repeat(295));
        let clean = shown(&text, 300, false, &redactor);
        assert!(!clean.contains("cfut_"), "{clean}");
        assert!(!clean.contains("\\u0063\\u0066"), "{clean}");
    }
}
