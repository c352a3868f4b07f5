//! The checks a campaign's rules pass before they are written: each refusal names the
//! field and what to do.

use std::collections::HashSet;

use hotline_events::{AttemptOutcome, CampaignSettings, DispositionEffect};

use super::CampaignRejection;

/// The highest abandon limit accepted: the 3 % ceiling of the US (FTC, over 30 days) and UK
/// (Ofcom, per 24 hours) regulators.
pub const MAX_ABANDON_LIMIT: f64 = 0.03;

fn bad(field: impl Into<String>, problem: impl Into<String>) -> CampaignRejection {
    CampaignRejection::BadSettings {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Every rule of `settings` makes sense.
pub fn validate(settings: &CampaignSettings) -> Result<(), CampaignRejection> {
    let rate = settings.max_abandon_rate;
    if !(rate > 0.0 && rate <= MAX_ABANDON_LIMIT) {
        return Err(bad(
            "max_abandon_rate",
            format!(
                "{rate} is not a limit between 0 and {MAX_ABANDON_LIMIT} (3 %, the regulatory ceiling); write 0.03 for 3 %"
            ),
        ));
    }
    let h = settings.calling_hours;
    if h.from >= h.to {
        return Err(bad(
            "calling_hours",
            format!(
                "from {} to {} is empty: `from` must come before `to` on the same day",
                h.from, h.to
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, rule) in settings.retries.iter().enumerate() {
        let field = |name: &str| format!("retries[{i}].{name}");
        if rule.outcome == AttemptOutcome::Connected {
            return Err(bad(
                field("outcome"),
                "a connected call is not retried: its disposition decides",
            ));
        }
        if !seen.insert(rule.outcome) {
            return Err(bad(field("outcome"), "a second rule for the same outcome"));
        }
        if rule.max_attempts == 0 || rule.max_attempts > 20 {
            return Err(bad(field("max_attempts"), "give 1 to 20 attempts"));
        }
        if rule.delay_ms < 60_000 {
            return Err(bad(
                field("delay"),
                "wait at least a minute before dialing again",
            ));
        }
    }
    let mut names = HashSet::new();
    for (i, d) in settings.dispositions.iter().enumerate() {
        let field = |name: &str| format!("dispositions[{i}].{name}");
        if d.name.trim().is_empty() || d.name.len() > 64 {
            return Err(bad(field("name"), "give a name of 1 to 64 characters"));
        }
        if !names.insert(d.name.as_str()) {
            return Err(bad(field("name"), format!("`{}` is named twice", d.name)));
        }
        match (d.effect, d.delay_ms) {
            (DispositionEffect::Recycle, None) => {
                return Err(bad(
                    field("delay"),
                    "a recycled lead needs the delay before it is dialed again",
                ));
            }
            (DispositionEffect::Close | DispositionEffect::Callback, Some(_)) => {
                return Err(bad(field("delay"), "only `recycle` takes a delay"));
            }
            _ => {}
        }
    }
    Ok(())
}
