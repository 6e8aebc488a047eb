//! Timestamps as Terraform users should see them: RFC 3339, normalised the way
//! the official provider does (`2025-01-01T12:21:02.0000Z` becomes
//! `2025-01-01T12:21:02Z`), but never losing a non-zero fraction of a second.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Normalises an RFC 3339 timestamp; text that does not parse is kept as it is.
pub fn normalize(text: &str) -> String {
    match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(parsed) => parsed.format(&Rfc3339).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn drops_an_all_zero_fraction() {
        assert_eq!(
            normalize("2025-01-01T12:21:02.0000Z"),
            "2025-01-01T12:21:02Z"
        );
        assert_eq!(normalize("2025-01-01T12:21:02Z"), "2025-01-01T12:21:02Z");
    }

    #[test]
    fn keeps_a_non_zero_fraction() {
        assert_eq!(
            normalize("2025-03-04T05:06:07.1234Z"),
            "2025-03-04T05:06:07.1234Z"
        );
        assert_eq!(
            normalize("2025-03-04T05:06:07.123456789Z"),
            "2025-03-04T05:06:07.123456789Z"
        );
        assert_eq!(
            normalize("2025-03-04T05:06:07.5000Z"),
            "2025-03-04T05:06:07.5Z"
        );
    }

    #[test]
    fn keeps_the_offset() {
        assert_eq!(
            normalize("2025-01-01T12:21:02+02:00"),
            "2025-01-01T12:21:02+02:00"
        );
    }

    #[test]
    fn keeps_text_that_is_not_a_timestamp() {
        assert_eq!(normalize("yesterday"), "yesterday");
        assert_eq!(normalize(""), "");
    }
}
