//! Durations as administrators write them: `"500ms"`, `"20s"`, `"5m"`, `"1h"`, `"1m30s"`.
//!
//! Strings with a unit rather than bare numbers, so that nobody has to guess whether
//! `ring_timeout = 15` means seconds or milliseconds.

use std::time::Duration;

/// Why a string is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{text}\" is not a duration: {reason}; write a whole number and a unit (ms, s, m, h), such as \"500ms\", \"20s\", \"5m\", \"1h\" or \"1m30s\""
)]
pub struct DurationError {
    pub text: String,
    pub reason: &'static str,
}

/// Parses one or more `<whole number><unit>` parts, units `ms`, `s`, `m`, `h`, largest
/// first and each at most once (`"1h30m"`, not `"30m1h"`), so every duration has one
/// spelling a reader can check at a glance.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let fail = |reason| DurationError {
        text: text.to_owned(),
        reason,
    };
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    let mut rest = text;
    let mut total = Duration::ZERO;
    // Rank of the last unit seen: units must strictly decrease.
    let mut last_rank = u8::MAX;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(fail("expected a number"));
        }
        let (number, after) = rest.split_at(digits);
        let units = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        if units == 0 {
            return Err(fail("the number has no unit"));
        }
        let (unit, after) = after.split_at(units);
        let (rank, millis_per_unit) = match unit {
            "h" => (3, 3_600_000),
            "m" => (2, 60_000),
            "s" => (1, 1_000),
            "ms" => (0, 1),
            _ => return Err(fail("unknown unit")),
        };
        if rank >= last_rank {
            return Err(fail("units must go from largest to smallest, each once"));
        }
        last_rank = rank;
        let part = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(millis_per_unit))
            .map(Duration::from_millis)
            .ok_or_else(|| fail("it is too long"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| fail("it is too long"))?;
        rest = after;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_combinations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "",
            "30",
            "s",
            "1d",
            "1.5s",
            " 1s",
            "1s1s",
            "1s1m",
            "-1s",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }
}
