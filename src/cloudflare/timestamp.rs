//! Timestamps as Terraform users see them. The API's RFC 3339 text is
//! checked (a real calendar date and time of day, an offset within ±23:59)
//! and normalised, and text that is not such a timestamp is refused:
//!
//! - `T` and `Z` are written upper-case; the offset is kept as given.
//! - A fraction of a second keeps every digit up to its last non-zero one
//!   (`.5000` becomes `.5`, `.0000000001` and a 30-digit fraction stay whole);
//!   a fraction of zeros only is dropped (`.0000Z` becomes `Z`), as the
//!   official provider does. (The official provider drops every fraction;
//!   this provider keeps the non-zero ones, so no precision is lost.)
//! - A leap second (`23:59:60`) is kept as it is.

/// Normalises an RFC 3339 timestamp; the error says what is wrong with it.
pub(crate) fn normalize(text: &str) -> Result<String, String> {
    let parsed = Parts::parse(text).ok_or_else(|| {
        format!(
            "{} is not an RFC 3339 timestamp (like 2025-01-01T12:21:02Z)",
            quoted(text)
        )
    })?;
    parsed
        .check()
        .map_err(|why| format!("{} is not a valid timestamp: {why}", quoted(text)))?;
    Ok(parsed.normalized())
}

/// The pieces of `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
struct Parts<'t> {
    date: &'t str,
    year: u32,
    month: u32,
    day: u32,
    time: &'t str,
    hour: u32,
    minute: u32,
    second: u32,
    fraction: &'t str,
    offset: Option<(char, u32, u32)>,
}

impl<'t> Parts<'t> {
    fn parse(text: &'t str) -> Option<Self> {
        if !text.is_ascii() || text.len() < 20 {
            return None;
        }
        let bytes = text.as_bytes();
        let digits = |from: usize, len: usize| -> Option<u32> {
            let part = text.get(from..from + len)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let at =
            |index: usize, expected: &[u8]| bytes.get(index).is_some_and(|b| expected.contains(b));
        if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
            return None;
        }
        let mut rest = 19;
        let fraction_start = rest;
        if at(rest, b".") {
            rest += 1;
            let start = rest;
            while bytes.get(rest).is_some_and(u8::is_ascii_digit) {
                rest += 1;
            }
            if rest == start {
                return None;
            }
        }
        let fraction = &text[fraction_start..rest];
        let offset = match bytes.get(rest)? {
            b'Z' | b'z' if rest + 1 == text.len() => None,
            sign @ (b'+' | b'-') if rest + 6 == text.len() && at(rest + 3, b":") => Some((
                char::from(*sign),
                digits(rest + 1, 2)?,
                digits(rest + 4, 2)?,
            )),
            _ => return None,
        };
        Some(Self {
            date: &text[..10],
            year: digits(0, 4)?,
            month: digits(5, 2)?,
            day: digits(8, 2)?,
            time: &text[11..19],
            hour: digits(11, 2)?,
            minute: digits(14, 2)?,
            second: digits(17, 2)?,
            fraction,
            offset,
        })
    }

    /// Whether the numbers make a real moment.
    fn check(&self) -> Result<(), String> {
        if !(1..=12).contains(&self.month) {
            return Err(format!("there is no month {:02}", self.month));
        }
        let days = days_in_month(self.year, self.month);
        if !(1..=days).contains(&self.day) {
            return Err(format!(
                "month {:02} of {:04} has {days} days, not {:02}",
                self.month, self.year, self.day
            ));
        }
        if self.hour > 23 || self.minute > 59 {
            return Err(format!("{} is not a time of day", self.time));
        }
        if self.second > 60 || (self.second == 60 && self.minute != 59) {
            return Err(format!("{} is not a time of day", self.time));
        }
        if let Some((_, hours, minutes)) = self.offset {
            if hours > 23 || minutes > 59 {
                return Err("its UTC offset is out of range".to_string());
            }
        }
        Ok(())
    }

    fn normalized(&self) -> String {
        let fraction = self.fraction.trim_end_matches('0');
        let fraction = if fraction == "." { "" } else { fraction };
        let offset = match self.offset {
            None => "Z".to_string(),
            Some((sign, hours, minutes)) => format!("{sign}{hours:02}:{minutes:02}"),
        };
        format!("{}T{}{fraction}{offset}", self.date, self.time)
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The text quoted for a message, cut short and without control characters.
fn quoted(text: &str) -> String {
    let shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        format!("{shown:?}…")
    } else {
        format!("{shown:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    fn ok(text: &str) -> String {
        normalize(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn drops_an_all_zero_fraction() {
        assert_eq!(ok("2025-01-01T12:21:02.0000Z"), "2025-01-01T12:21:02Z");
        assert_eq!(ok("2025-01-01T12:21:02.0Z"), "2025-01-01T12:21:02Z");
        assert_eq!(ok("2025-01-01T12:21:02Z"), "2025-01-01T12:21:02Z");
    }

    #[test]
    fn keeps_every_digit_of_a_non_zero_fraction_up_to_its_last_non_zero_one() {
        assert_eq!(ok("2025-03-04T05:06:07.1234Z"), "2025-03-04T05:06:07.1234Z");
        assert_eq!(
            ok("2025-03-04T05:06:07.123456789Z"),
            "2025-03-04T05:06:07.123456789Z"
        );
        assert_eq!(ok("2025-03-04T05:06:07.5000Z"), "2025-03-04T05:06:07.5Z");
        assert_eq!(
            ok("2025-03-04T05:06:07.0000000001Z"),
            "2025-03-04T05:06:07.0000000001Z"
        );
        let thirty = format!("2025-03-04T05:06:07.{}Z", "123456789".repeat(3) + "123");
        assert_eq!(ok(&thirty), thirty);
    }

    #[test]
    fn keeps_the_offset_and_a_leap_second() {
        assert_eq!(ok("2025-01-01T12:21:02+02:00"), "2025-01-01T12:21:02+02:00");
        assert_eq!(ok("2025-01-01T12:21:02-00:00"), "2025-01-01T12:21:02-00:00");
        assert_eq!(ok("2016-12-31T23:59:60Z"), "2016-12-31T23:59:60Z");
        assert_eq!(ok("2016-12-31t23:59:60.5z"), "2016-12-31T23:59:60.5Z");
        assert_eq!(ok("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z");
        assert_eq!(ok("2000-02-29T00:00:00Z"), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn refuses_what_is_not_a_real_moment() {
        for (bad, why) in [
            ("0000-00-00T00:00:00Z", "no month 00"),
            ("2025-02-30T00:00:00Z", "has 28 days"),
            ("2023-02-29T00:00:00Z", "has 28 days"),
            ("1900-02-29T00:00:00Z", "has 28 days"),
            ("2025-04-31T00:00:00Z", "has 30 days"),
            ("2025-13-01T00:00:00Z", "no month 13"),
            ("2025-01-01T24:00:00Z", "not a time of day"),
            ("2025-01-01T23:60:00Z", "not a time of day"),
            ("2025-01-01T12:30:60Z", "not a time of day"),
            ("2025-01-01T12:00:00+24:00", "offset"),
        ] {
            let err = normalize(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        for bad in [
            "yesterday",
            "",
            "2025-01-01",
            "2025-01-01 12:21:02Z",
            "2025-01-01T12:21:02",
            "2025-01-01T12:21:02.Z",
            "2025-01-01T12:21:02+0200",
            "2025-01-01T12:21:02Zjunk",
            "２０２５-01-01T12:21:02Z",
        ] {
            let err = normalize(bad).unwrap_err();
            assert!(err.contains("not an RFC 3339 timestamp"), "{bad}: {err}");
        }
    }
}
