//! Diagnostics: the only way a provider tells Terraform's user that something is wrong.

use crate::plugin::path::AttributePath;

/// How serious a diagnostic is. There is deliberately no "invalid" severity:
/// Terraform renders those without a severity, which confuses users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation.
    Error,
    /// Shown to the user; the operation continues.
    Warning,
}

/// One message for the user: a one-line summary, a detail that says what to do,
/// and, where the problem is in the configuration, the attribute it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short statement of the problem.
    pub summary: String,
    /// What happened and what the user should do about it.
    pub detail: String,
    /// The configuration attribute concerned, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error not tied to one attribute.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning not tied to one attribute.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// The same diagnostic, pointed at an attribute.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics gathered while serving one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What a validator reports for one rule: nothing when `checked` passed,
    /// else an error with `summary`, the reason as its detail, at `path`.
    pub fn from_check(checked: Result<(), String>, summary: &str, path: &AttributePath) -> Self {
        match checked {
            Ok(()) => Self::new(),
            Err(detail) => Diagnostic::error(summary, detail).at(path.clone()).into(),
        }
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of another set.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the diagnostics.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The most characters of a summary Terraform is sent.
pub(super) const MAX_SUMMARY_CHARS: usize = 256;
/// The most bytes of a detail Terraform is sent.
pub(super) const MAX_DETAIL_BYTES: usize = 8 * 1024;
/// The most diagnostics one response carries; the rest are counted in one more.
pub(super) const MAX_DIAGNOSTICS: usize = 50;
/// Room kept at the end of a shortened text for the marker saying so.
const MARKER_ROOM: usize = 64;

/// The last line of defence before diagnostics go to Terraform, whatever
/// produced them: control characters (other than newline and tab in a
/// detail) and bidirectional-text controls become visible `\u{..}` escapes,
/// so text from a server cannot move the cursor, clear the screen or reorder
/// what the user reads; a summary is one line of at most
/// [`MAX_SUMMARY_CHARS`] characters and a detail at most [`MAX_DETAIL_BYTES`]
/// bytes, each with a marker when shortened; and at most [`MAX_DIAGNOSTICS`]
/// go out, followed by one saying how many more there were (an error if any
/// of those was).
pub(super) fn for_wire(diagnostics: Diagnostics) -> Diagnostics {
    let total = diagnostics.0.len();
    let mut kept = Vec::with_capacity(total.min(MAX_DIAGNOSTICS + 1));
    let (mut errors_left_out, mut warnings_left_out) = (0usize, 0usize);
    for diagnostic in diagnostics {
        if kept.len() < MAX_DIAGNOSTICS {
            kept.push(Diagnostic {
                summary: clean(
                    &diagnostic.summary,
                    MAX_SUMMARY_CHARS,
                    4 * MAX_SUMMARY_CHARS,
                    true,
                ),
                detail: clean(
                    &diagnostic.detail,
                    MAX_DETAIL_BYTES,
                    MAX_DETAIL_BYTES,
                    false,
                ),
                ..diagnostic
            });
        } else if diagnostic.is_error() {
            errors_left_out += 1;
        } else {
            warnings_left_out += 1;
        }
    }
    let left_out = errors_left_out + warnings_left_out;
    if left_out > 0 {
        let summary = format!("{left_out} more diagnostics not shown");
        let detail = format!(
            "This response held {total} diagnostics; only the first {MAX_DIAGNOSTICS} are \
             shown. The other {left_out} ({errors_left_out} errors, {warnings_left_out} \
             warnings) were left out to keep the output readable."
        );
        kept.push(if errors_left_out > 0 {
            Diagnostic::error(summary, detail)
        } else {
            Diagnostic::warning(summary, detail)
        });
    }
    Diagnostics(kept)
}

/// Whether `c` must not reach a terminal as it is: C0 controls (but newline
/// and tab), DEL, C1 controls, the bidirectional-text controls, and the
/// Unicode line and paragraph separators.
fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// `text` made safe to show: hostile characters escaped, newlines and tabs
/// made spaces when `one_line`, and at most `max_chars` characters and
/// `max_bytes` bytes, a longer text cut with a marker giving its length.
pub(super) fn clean(text: &str, max_chars: usize, max_bytes: usize, one_line: bool) -> String {
    use std::fmt::Write as _;
    let fits = |chars: usize, bytes: usize| chars <= max_chars && bytes <= max_bytes;
    let room = |chars: usize, bytes: usize| {
        chars + MARKER_ROOM <= max_chars && bytes + MARKER_ROOM <= max_bytes
    };
    let mut out = String::with_capacity(text.len().min(max_bytes));
    let (mut out_chars, mut cut) = (0usize, None);
    for (consumed, (at, c)) in text.char_indices().enumerate() {
        let before = (out.len(), out_chars);
        if one_line && (c == '\n' || c == '\t') {
            out.push(' ');
            out_chars += 1;
        } else if is_hostile(c) {
            let start = out.len();
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            out_chars += out.len() - start;
        } else {
            out.push(c);
            out_chars += 1;
        }
        if cut.is_none() && !room(out_chars, out.len()) {
            cut = Some(before);
        }
        if !fits(out_chars, out.len()) {
            let (len, _) = cut.unwrap_or(before);
            out.truncate(len);
            let total = consumed + text[at..].chars().count();
            let _ = write!(out, " … [shortened: {total} characters in all]");
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_become_visible_escapes() {
        let hostile = "Error\u{1b}[2J\u{1b}[1;32mApply complete!\r\u{7f}\u{9b}31m \u{202e}txt.exe";
        let cleaned = clean(hostile, 1000, 1000, false);
        assert_eq!(
            cleaned,
            "Error\\u{1b}[2J\\u{1b}[1;32mApply complete!\\u{d}\\u{7f}\\u{9b}31m \\u{202e}txt.exe"
        );
        assert!(!cleaned.chars().any(is_hostile));
        assert_eq!(
            clean("line one\n\tline two", 100, 100, false),
            "line one\n\tline two"
        );
        assert_eq!(
            clean("line one\n\tline two", 100, 100, true),
            "line one  line two"
        );
        assert_eq!(clean("naïve café 日本", 100, 100, true), "naïve café 日本");
    }

    #[test]
    fn long_text_is_cut_within_its_bound_with_a_marker_giving_its_length() {
        let long = "é".repeat(9_000_000);
        let cut = clean(&long, MAX_DETAIL_BYTES, MAX_DETAIL_BYTES, false);
        assert!(cut.len() <= MAX_DETAIL_BYTES, "{}", cut.len());
        assert!(
            cut.ends_with(" … [shortened: 9000000 characters in all]"),
            "{}",
            &cut[cut.len() - 60..]
        );
        let escapes = "\u{1b}".repeat(10_000);
        let cut = clean(&escapes, MAX_SUMMARY_CHARS, 4 * MAX_SUMMARY_CHARS, true);
        assert!(cut.chars().count() <= MAX_SUMMARY_CHARS, "{cut}");
        assert!(cut.starts_with("\\u{1b}\\u{1b}"), "{cut}");
        assert!(
            cut.ends_with("[shortened: 10000 characters in all]"),
            "{cut}"
        );
        let exact = "x".repeat(MAX_SUMMARY_CHARS);
        assert_eq!(
            clean(&exact, MAX_SUMMARY_CHARS, 4 * MAX_SUMMARY_CHARS, true),
            exact
        );
    }

    #[test]
    fn at_most_fifty_diagnostics_go_out_then_one_counting_the_rest() {
        let mut many: Diagnostics = (0..199)
            .map(|i| Diagnostic::warning(format!("w{i}"), "d"))
            .collect();
        many.push(Diagnostic::error("the one error", "d"));
        let wire = for_wire(many);
        assert_eq!(wire.0.len(), MAX_DIAGNOSTICS + 1);
        let last = &wire.0[MAX_DIAGNOSTICS];
        assert!(
            last.is_error(),
            "an error left out keeps the response failing"
        );
        assert_eq!(last.summary, "150 more diagnostics not shown");
        assert!(
            last.detail.contains("held 200 diagnostics"),
            "{}",
            last.detail
        );
        assert!(
            last.detail.contains("(1 errors, 149 warnings)"),
            "{}",
            last.detail
        );

        let few: Diagnostics = (0..60)
            .map(|i| Diagnostic::warning(format!("w{i}"), ""))
            .collect();
        let wire = for_wire(few);
        assert!(!wire.0[MAX_DIAGNOSTICS].is_error());
        let exact: Diagnostics = (0..50)
            .map(|i| Diagnostic::error(format!("e{i}"), ""))
            .collect();
        assert_eq!(for_wire(exact.clone()), exact);
    }

    #[test]
    fn every_diagnostic_is_cleaned_and_keeps_its_attribute() {
        let diag = Diagnostic::error("bad\u{1b}[0m\nsummary", "x".repeat(20_000))
            .at(AttributePath::attribute("base_url"));
        let wire = for_wire(diag.into());
        let out = &wire.0[0];
        assert_eq!(out.summary, "bad\\u{1b}[0m summary");
        assert!(out.detail.len() <= MAX_DETAIL_BYTES);
        assert!(out.detail.ends_with("[shortened: 20000 characters in all]"));
        assert_eq!(out.attribute, Some(AttributePath::attribute("base_url")));
    }
}
