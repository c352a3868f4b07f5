//! A campaign's rules in TOML (`config/campaign.toml` documents every key): what
//! `hotline campaign create --settings FILE` reads. A key left out keeps its default; a
//! mistake names the file, line and key.

use std::collections::HashSet;

use hotline_events::{
    AttemptOutcome, CallingHours, CampaignSettings, ClockTime, DialMode, DispositionEffect,
    DispositionRule, RetryRule,
};
use hotline_infra::config::{line_column, parse_duration};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<String>,
    dial_mode: Option<DialMode>,
    max_abandon_rate: Option<f64>,
    calling_hours: Option<Hours>,
    callback_grace: Option<String>,
    retry: Option<Vec<Retry>>,
    disposition: Option<Vec<Disposition>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hours {
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Retry {
    outcome: AttemptOutcome,
    delay: String,
    max_attempts: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Disposition {
    name: String,
    effect: DispositionEffect,
    delay: Option<String>,
}

/// The campaign's name (if the file gives one) and its rules.
pub fn parse(label: &str, text: &str) -> Result<(Option<String>, CampaignSettings), String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| line_column(text, s.start));
        match at {
            Some((line, column)) => format!("{label}:{line}:{column}: {}", e.message()),
            None => format!("{label}: {}", e.message()),
        }
    })?;
    let fail = |field: &str, what: String| format!("{label}: {field}: {what}");
    let ms = |field: &str, text: &str| {
        parse_duration(text)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .map_err(|e| fail(field, e.to_string()))
    };
    let mut s = CampaignSettings::default();
    if let Some(mode) = file.dial_mode {
        s.dial_mode = mode;
    }
    if let Some(rate) = file.max_abandon_rate {
        s.max_abandon_rate = rate;
    }
    if let Some(h) = file.calling_hours {
        let time = |field: &str, t: &str| {
            ClockTime::parse(t).ok_or_else(|| {
                fail(
                    field,
                    format!("\"{t}\" is not a time of day; write it HH:MM, such as \"08:00\""),
                )
            })
        };
        s.calling_hours = CallingHours {
            from: time("calling_hours.from", &h.from)?,
            to: time("calling_hours.to", &h.to)?,
        };
    }
    if let Some(grace) = file.callback_grace {
        s.callback_grace_ms = ms("callback_grace", &grace)?;
    }
    if let Some(retries) = file.retry {
        s.retries = retries
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(RetryRule {
                    outcome: r.outcome,
                    delay_ms: ms(&format!("retry[{i}].delay"), &r.delay)?,
                    max_attempts: r.max_attempts,
                })
            })
            .collect::<Result<_, String>>()?;
    }
    if let Some(dispositions) = file.disposition {
        let mut seen = HashSet::new();
        s.dispositions = dispositions
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if !seen.insert(d.name.as_str()) {
                    return Err(fail(
                        &format!("disposition[{i}].name"),
                        format!("`{}` is named twice", d.name),
                    ));
                }
                Ok(DispositionRule {
                    name: d.name.clone(),
                    effect: d.effect,
                    delay_ms: match &d.delay {
                        Some(t) => Some(ms(&format!("disposition[{i}].delay"), t)?),
                        None => None,
                    },
                })
            })
            .collect::<Result<_, String>>()?;
    }
    Ok((file.name, s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_documented_example_reads() {
        let text = include_str!("../../config/campaign.toml");
        let (name, s) = parse("campaign.toml", text).unwrap();
        assert_eq!(name.as_deref(), Some("Winter renewals"));
        assert_eq!(s.dial_mode, DialMode::Predictive);
        assert_eq!(s.calling_hours.from, ClockTime::parse("09:00").unwrap());
        assert_eq!(s.retries[0].delay_ms, 15 * 60_000);
        assert!(
            s.dispositions
                .iter()
                .any(|d| d.effect == DispositionEffect::Callback)
        );
    }

    #[test]
    fn keys_left_out_keep_their_defaults_and_mistakes_are_located() {
        let (_, s) = parse("c.toml", "dial_mode = \"progressive\"\n").unwrap();
        assert_eq!(s.dial_mode, DialMode::Progressive);
        assert_eq!(s.retries, CampaignSettings::default().retries);
        let e = parse("c.toml", "name = \"x\"\ndial_mode = \"fast\"\n").unwrap_err();
        assert!(e.starts_with("c.toml:2:13: unknown variant `fast`"), "{e}");
        let e = parse(
            "c.toml",
            "[[retry]]\noutcome = \"busy\"\ndelay = \"soon\"\nmax_attempts = 3\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("c.toml: retry[0].delay: \"soon\" is not a duration"),
            "{e}"
        );
        let e = parse(
            "c.toml",
            "calling_hours = { from = \"8am\", to = \"21:00\" }\n",
        )
        .unwrap_err();
        assert!(
            e.contains("calling_hours.from: \"8am\" is not a time of day"),
            "{e}"
        );
    }
}
