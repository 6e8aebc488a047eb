//! Cloudflare object identifiers: 32 letters and digits, checked at plan time
//! so a typo fails before any request is made.

use crate::plugin::StringRule;

/// The length of every Cloudflare account and SSO connector identifier.
pub const ID_LENGTH: usize = 32;

/// Checks that `value` looks like a Cloudflare identifier; the error says what is wrong.
pub fn check_id(value: &str) -> Result<(), String> {
    let length = value.chars().count();
    let shown = shown(value);
    if length != ID_LENGTH {
        return Err(format!(
            "Expected a Cloudflare identifier of exactly {ID_LENGTH} characters, but {shown} has {length}. Copy the identifier from the Cloudflare dashboard or API; it looks like 023e105f4ecef8ad9ca31a8372d0c353."
        ));
    }
    if let Some(bad) = value.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(format!(
            "Expected a Cloudflare identifier made only of letters and digits, but {shown} contains {bad:?}. Check for stray spaces, quotes or dashes."
        ));
    }
    Ok(())
}

/// The validator to declare on identifier attributes.
pub fn cloudflare_id() -> StringRule {
    StringRule::new(
        "Invalid Cloudflare identifier",
        format!("Must be exactly {ID_LENGTH} letters and digits."),
        check_id,
    )
}

fn shown(value: &str) -> String {
    const LIMIT: usize = 48;
    if value.chars().count() > LIMIT {
        let head: String = value.chars().take(LIMIT).collect();
        format!("{head:?}…")
    } else {
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_32_letters_and_digits() {
        assert!(check_id("023e105f4ecef8ad9ca31a8372d0c353").is_ok());
        assert!(check_id("ABCDEFabcdef0123456789ABCDEFabcd").is_ok());
    }

    #[test]
    fn rejects_wrong_lengths_with_the_length() {
        let err = check_id("023e105f4ecef8ad9ca31a8372d0c35").unwrap_err();
        assert!(err.contains("has 31"), "{err}");
        assert!(check_id("").unwrap_err().contains("has 0"));
        assert!(check_id(&"a".repeat(33)).unwrap_err().contains("has 33"));
    }

    #[test]
    fn rejects_other_characters() {
        let err = check_id("023e105f-ecef8ad9ca31a8372d0c353").unwrap_err();
        assert!(err.contains("'-'"), "{err}");
        assert!(check_id("023e105f4ecef8ad9ca31a8372d0c35 ").is_err());
        assert!(check_id("023e105f4ecef8ad9ca31a8372d0c35é").is_err());
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let err = check_id(&"x".repeat(500)).unwrap_err();
        assert!(err.len() < 400, "{err}");
    }
}
