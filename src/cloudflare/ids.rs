//! Cloudflare object identifiers: 32 letters and digits, checked at plan time
//! so a typo fails before any request is made.

use crate::plugin::StringRule;

/// The length of every Cloudflare account and SSO connector identifier.
pub(crate) const ID_LENGTH: usize = 32;

/// Checks that `value` looks like a Cloudflare identifier; the error says
/// what is wrong without quoting the value, which may come from a sensitive
/// variable (Terraform does not tell the provider which values are).
pub(crate) fn check_id(value: &str) -> Result<(), String> {
    let length = value.chars().count();
    if length != ID_LENGTH {
        return Err(format!(
            "Expected a Cloudflare identifier of exactly {ID_LENGTH} characters, but the value has {length}. Copy the identifier from the Cloudflare dashboard or API; it looks like 023e105f4ecef8ad9ca31a8372d0c353."
        ));
    }
    if let Some((index, bad)) = value
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "Expected a Cloudflare identifier made only of letters and digits, but the value has {} at position {}. Check for stray spaces, quotes or dashes.",
            describe(bad),
            value[..index].chars().count() + 1
        ));
    }
    Ok(())
}

/// A character that is not a letter or digit, named so that a message can
/// say which without quoting the value around it.
fn describe(ch: char) -> String {
    match ch {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        c if c.is_ascii_punctuation() => format!("{c:?}"),
        c if c.is_control() => "a control character".to_string(),
        _ => "a character that is not ASCII".to_string(),
    }
}

/// The validator to declare on identifier attributes.
pub(crate) fn cloudflare_id() -> StringRule {
    StringRule::new(
        "Invalid Cloudflare identifier",
        format!("Must be exactly {ID_LENGTH} letters and digits."),
        check_id,
    )
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
        assert!(err.contains("'-' at position 9"), "{err}");
        let err = check_id("023e105f4ecef8ad9ca31a8372d0c35 ").unwrap_err();
        assert!(err.contains("a space at position 32"), "{err}");
        assert!(check_id("023e105f4ecef8ad9ca31a8372d0c35 ").is_err());
        assert!(check_id("023e105f4ecef8ad9ca31a8372d0c35é").is_err());
    }

    #[test]
    fn values_are_never_quoted_in_messages() {
        let secretish = "s3cr3tAccountIdThatIsTooLong0123456789";
        for value in [
            secretish,
            &secretish[..31],
            "ab3e105f4ecef8ad9ca31a8372d0c35é",
        ] {
            let err = check_id(value).unwrap_err();
            assert!(
                !err.contains("s3cr3t") && !err.contains("ab3e105f4"),
                "{err}"
            );
        }
        assert!(check_id(&"x".repeat(500)).unwrap_err().len() < 400);
    }
}
