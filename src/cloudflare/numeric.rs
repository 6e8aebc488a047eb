//! The range rules declared next to number attributes, checked at plan time
//! and reused for the environment variables that stand in for them.

use crate::plugin::AttributePath;
use crate::plugin::Diagnostics;
use crate::plugin::Validator;
use crate::plugin::Value;

/// An inclusive range a number attribute must lie in, optionally whole numbers only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumberRange {
    summary: &'static str,
    min: f64,
    max: f64,
    whole: bool,
    /// When set, the range is 0 or this to `max`: numbers between 0 and it are refused.
    zero_or_from: Option<f64>,
}

impl NumberRange {
    /// Whole numbers from `min` to `max`; `summary` heads the diagnostic.
    pub(crate) fn whole(summary: &'static str, min: i64, max: i64) -> Self {
        // Precision loss cannot matter for the small bounds used here.
        Self {
            summary,
            min: min as f64,
            max: max as f64,
            whole: true,
            zero_or_from: None,
        }
    }

    /// Whole numbers of at least `min`; `summary` heads the diagnostic.
    pub(crate) fn whole_at_least(summary: &'static str, min: i64) -> Self {
        Self {
            max: f64::INFINITY,
            ..Self::whole(summary, min, 0)
        }
    }

    /// Any number from `min` to `max`; `summary` heads the diagnostic.
    pub(crate) fn any(summary: &'static str, min: f64, max: f64) -> Self {
        Self {
            summary,
            min,
            max,
            whole: false,
            zero_or_from: None,
        }
    }

    /// The same range with the numbers between 0 and `low` cut out: 0
    /// itself (which means "off") or `low` and more.
    pub(crate) fn or_zero_from(self, low: f64) -> Self {
        Self {
            zero_or_from: Some(low),
            ..self
        }
    }

    /// The summary of diagnostics this rule reports.
    pub(crate) fn summary(&self) -> &'static str {
        self.summary
    }

    /// Checks a number; the error says what is allowed, naming `what` (an attribute or variable).
    pub(crate) fn check(&self, number: f64, what: &str) -> Result<(), String> {
        let kind = if self.whole {
            "a whole number"
        } else {
            "a number"
        };
        let allowed = self.allowed(kind);
        let in_gap = self
            .zero_or_from
            .is_some_and(|low| number != 0.0 && number < low);
        if !number.is_finite() || number < self.min || number > self.max || in_gap {
            let how = if !number.is_finite() {
                "not a finite number"
            } else if number > self.max {
                "larger"
            } else {
                "smaller"
            };
            return Err(format!("{what} must be {allowed}, but is {how}."));
        }
        if self.whole && number.fract() != 0.0 {
            return Err(format!("{what} must be {allowed}, but has a fraction."));
        }
        Ok(())
    }

    /// What the range allows, in words, for numbers described as `kind`.
    fn allowed(&self, kind: &str) -> String {
        match self.zero_or_from {
            Some(low) => format!("0 or {kind} from {low} to {}", self.max),
            None if self.max.is_infinite() => format!("{kind} of at least {}", self.min),
            None => format!("{kind} from {} to {}", self.min, self.max),
        }
    }

    /// Parses and checks text from an environment variable named `variable`.
    pub(crate) fn parse(&self, text: &str, variable: &str) -> Result<f64, String> {
        let number: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("{variable} is set to text that is not a number."))?;
        self.check(number, variable)?;
        Ok(number)
    }
}

impl Validator for NumberRange {
    fn description(&self) -> String {
        match self.zero_or_from {
            Some(low) => format!("Must be 0 or from {low} to {}.", self.max),
            None if self.max.is_infinite() => format!("Must be at least {}.", self.min),
            None => format!("Must be from {} to {}.", self.min, self.max),
        }
    }

    fn validate(&self, value: &Value, path: &AttributePath) -> Diagnostics {
        let Some(number) = value.as_number().and_then(|n| n.as_f64()) else {
            return Diagnostics::new();
        };
        Diagnostics::from_check(self.check(number, &path.to_string()), self.summary, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_ranges_reject_fractions_and_out_of_range_values() {
        let rule = NumberRange::whole("Invalid max_retries", 0, 20);
        assert!(rule.check(0.0, "max_retries").is_ok());
        assert!(rule.check(20.0, "max_retries").is_ok());
        assert!(rule
            .check(21.0, "max_retries")
            .unwrap_err()
            .contains("0 to 20"));
        assert!(rule.check(-1.0, "max_retries").is_err());
        assert!(rule
            .check(1.5, "max_retries")
            .unwrap_err()
            .contains("fraction"));
        assert!(rule.check(f64::NAN, "max_retries").is_err());
    }

    #[test]
    fn open_ended_ranges_say_at_least() {
        let rule = NumberRange::whole_at_least("Invalid max_items", 0);
        assert!(rule.check(1e12, "max_items").is_ok());
        let err = rule.check(-1.0, "max_items").unwrap_err();
        assert!(err.contains("at least 0"), "{err}");
    }

    #[test]
    fn validator_points_at_the_attribute_and_ignores_other_values() {
        let rule = NumberRange::any("Invalid rate_limit", 0.0, 100.0);
        let path = AttributePath::attribute("rate_limit");
        let diags = rule.validate(&Value::from(101_i64), &path);
        assert_eq!(diags.0[0].attribute, Some(path.clone()));
        assert_eq!(diags.0[0].summary, "Invalid rate_limit");
        assert!(rule.validate(&Value::from(0.5), &path).is_empty());
        assert!(rule.validate(&Value::unknown(), &path).is_empty());
    }

    #[test]
    fn environment_text_is_parsed_and_checked() {
        let rule = NumberRange::whole("Invalid request_timeout", 1, 600);
        assert_eq!(rule.parse(" 30 ", "CLOUDFLARE_REQUEST_TIMEOUT"), Ok(30.0));
        let err = rule
            .parse("soon", "CLOUDFLARE_REQUEST_TIMEOUT")
            .unwrap_err();
        assert!(
            err.contains("CLOUDFLARE_REQUEST_TIMEOUT") && err.contains("not a number"),
            "{err}"
        );
        assert!(!err.contains("soon"), "values are never quoted: {err}");
        assert!(rule.parse("0", "CLOUDFLARE_REQUEST_TIMEOUT").is_err());
    }

    #[test]
    fn a_range_with_a_gap_above_zero_refuses_tiny_numbers() {
        let rule = NumberRange::any("Invalid rate_limit", 0.0, 1000.0).or_zero_from(0.01);
        assert!(rule.check(0.0, "rate_limit").is_ok());
        assert!(rule.check(0.01, "rate_limit").is_ok());
        assert!(rule.check(1000.0, "rate_limit").is_ok());
        for tiny in [1e-20, 0.009, f64::MIN_POSITIVE] {
            let err = rule.check(tiny, "rate_limit").unwrap_err();
            assert!(err.contains("0 or a number from 0.01 to 1000"), "{err}");
        }
        assert!(rule.check(-1.0, "rate_limit").is_err());
    }
}
