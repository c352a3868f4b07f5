//! Calling hours: whether a lead may be called at an instant, in its own time zone.
//!
//! A number does not always tell its zone (a US number whose area code spans two zones, a
//! country with several): a lead then carries every zone it may be in, and the hours
//! must hold in each, so that it is never called too early or too late wherever it is.

use std::fmt;

use chrono::Timelike;
use chrono_tz::Tz;
use hotline_events::{CallingHours, ClockTime, Timestamp};

/// Why an instant is outside a lead's calling hours: where, and the local time there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outside {
    pub zone: String,
    /// `None` when the zone is not a known IANA name (such a lead is never called).
    pub local: Option<ClockTime>,
    pub hours: CallingHours,
}

impl fmt::Display for Outside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.local {
            Some(local) => write!(
                f,
                "it is {local} in {}, outside the calling hours {} to {}",
                self.zone, self.hours.from, self.hours.to
            ),
            None => write!(f, "`{}` is not a known time zone", self.zone),
        }
    }
}

/// `Ok` if `at` is within `hours` (from inclusive, to exclusive) in every one of `zones`;
/// a lead without a zone is never within them.
pub fn check(hours: &CallingHours, zones: &[String], at: Timestamp) -> Result<(), Outside> {
    if zones.is_empty() {
        return Err(Outside {
            zone: String::new(),
            local: None,
            hours: *hours,
        });
    }
    let utc = at.to_datetime();
    for zone in zones {
        let outside = |local| Outside {
            zone: zone.clone(),
            local,
            hours: *hours,
        };
        let tz: Tz = zone.parse().map_err(|_| outside(None))?;
        let local = utc.with_timezone(&tz);
        // At most 23 and 59: the sum fits in u16.
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if !(hours.from.minutes() <= minute && minute < hours.to.minutes()) {
            return Err(outside(ClockTime::new(minute / 60, minute % 60)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hours() -> CallingHours {
        CallingHours {
            from: ClockTime::parse("08:00").unwrap(),
            to: ClockTime::parse("21:00").unwrap(),
        }
    }
    fn at(utc: &str) -> Timestamp {
        Timestamp::parse(utc).unwrap()
    }
    fn zones(z: &[&str]) -> Vec<String> {
        z.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_hours_are_those_of_the_leads_own_zone() {
        // 13:30 UTC in November: 08:30 in New York, 05:30 in Los Angeles.
        let t = at("2026-11-24T13:30:00.000Z");
        assert!(check(&hours(), &zones(&["America/New_York"]), t).is_ok());
        let out = check(&hours(), &zones(&["America/Los_Angeles"]), t).unwrap_err();
        assert_eq!(out.local, ClockTime::parse("05:30"));
        assert_eq!(
            out.to_string(),
            "it is 05:30 in America/Los_Angeles, outside the calling hours 08:00 to 21:00"
        );
    }

    #[test]
    fn a_lead_that_may_be_in_several_zones_is_called_only_when_all_are_open() {
        let both = zones(&["America/New_York", "America/Chicago"]);
        // 08:30 in New York is 07:30 in Chicago.
        assert!(check(&hours(), &both, at("2026-11-24T13:30:00.000Z")).is_err());
        assert!(check(&hours(), &both, at("2026-11-24T14:30:00.000Z")).is_ok());
        // 21:00 in New York closes it although Chicago is at 20:00.
        assert!(check(&hours(), &both, at("2026-11-25T02:00:00.000Z")).is_err());
    }

    #[test]
    fn the_closing_minute_is_outside_and_daylight_saving_follows_the_wall_clock() {
        // London in summer is UTC+1: 20:00 UTC is 21:00 local, closed.
        let london = zones(&["Europe/London"]);
        assert!(check(&hours(), &london, at("2026-07-01T20:00:00.000Z")).is_err());
        assert!(check(&hours(), &london, at("2026-07-01T19:59:00.000Z")).is_ok());
        // In winter the same instant is 20:00 local, open.
        assert!(check(&hours(), &london, at("2026-12-01T20:00:00.000Z")).is_ok());
    }

    #[test]
    fn no_zone_or_an_unknown_one_is_never_open() {
        let t = at("2026-11-24T15:00:00.000Z");
        assert!(check(&hours(), &[], t).is_err());
        assert!(check(&hours(), &zones(&["Mars/Olympus"]), t).is_err());
    }
}
