//! Business hours: whether a queue is open at an instant, in the queue's own time zone.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use super::BusinessHours;

/// Minutes in a day: the latest closing time (`24:00`).
pub(super) const DAY_MINUTES: u16 = 24 * 60;

impl BusinessHours {
    /// Open around the clock, every day, no holidays: what a queue without hours keeps.
    pub fn always_open(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            time_zone: Tz::UTC,
            week: std::array::from_fn(|_| vec![(0, DAY_MINUTES)]),
            holidays: Vec::new(),
        }
    }

    /// Whether `at` falls in an open interval of its local day, holidays excepted.
    ///
    /// The instant is converted to local time first, which is unambiguous from UTC, so
    /// daylight-saving changes need no special case: on the day clocks go forward the
    /// skipped hour simply never occurs, and on the day they go back the repeated hour is
    /// open (or closed) both times, as the wall clock says.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone);
        if self.holidays.contains(&local.date_naive()) {
            return false;
        }
        let day = local.weekday().num_days_from_monday() as usize;
        // Both at most 23 and 59: the sum fits in u16.
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.week.get(day).is_some_and(|day| {
            day.iter()
                .any(|&(opens, closes)| opens <= minute && minute < closes)
        })
    }
}

/// Parses `"HH:MM-HH:MM"` into minutes after midnight, `opens < closes`; `24:00` may close.
pub(super) fn parse_interval(text: &str) -> Result<(u16, u16), String> {
    let what_to_do = "write it as \"HH:MM-HH:MM\", such as \"08:00-12:30\"";
    let Some((opens, closes)) = text.split_once('-') else {
        return Err(format!("\"{text}\" is not an interval; {what_to_do}"));
    };
    let (Some(opens), Some(closes)) = (parse_time(opens.trim()), parse_time(closes.trim())) else {
        return Err(format!(
            "\"{text}\" is not an interval of valid times (00:00 to 24:00); {what_to_do}"
        ));
    };
    if opens >= closes {
        return Err(format!(
            "\"{text}\" does not close after it opens; intervals cannot span midnight, split it into \"…-24:00\" and the next day's \"00:00-…\""
        ));
    }
    Ok((opens, closes))
}

/// `HH:MM`, one- or two-digit hours, two-digit minutes, up to `24:00`.
fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let number = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let (h, m) = (number(h, 1..=2)?, number(m, 2..=2)?);
    let minutes = h * 60 + m;
    (m < 60 && minutes <= DAY_MINUTES).then_some(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("08:00-12:30"), Ok((480, 750)));
        assert_eq!(parse_interval("0:00 - 24:00"), Ok((0, 1440)));
        for bad in [
            "08:00",
            "8-12",
            "08:60-09:00",
            "24:30-25:00",
            "12:00-08:00",
            "10:00-10:00",
            "+8:00-9:00",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?} accepted");
        }
    }
}
