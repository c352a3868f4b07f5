//! Call recording policy: which calls are recorded (per queue and per campaign: all, a
//! percentage, none), whether the caller first hears a consent prompt, and how long files
//! are kept. `[recording]` in the center's file; `config/center.toml` documents it.

use std::collections::HashSet;
use std::time::Duration;

use hotline_events::QueueId;
use serde::Deserialize;

use super::load::{FieldPath, Loader};

/// How many calls a rule records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Record {
    #[default]
    None,
    All,
    /// This share of calls, 1 to 99 percent, chosen by the call's id (so a restart, a
    /// replay or another process decides the same for the same call).
    Percent(u8),
}

impl Record {
    /// As the file writes it: `none`, `all`, `25%`.
    pub fn name(self) -> String {
        match self {
            Record::None => "none".into(),
            Record::All => "all".into(),
            Record::Percent(p) => format!("{p}%"),
        }
    }

    fn parse(text: &str) -> Option<Record> {
        match text.trim() {
            "none" | "0%" => Some(Record::None),
            "all" | "100%" => Some(Record::All),
            other => {
                let p: u8 = other.strip_suffix('%')?.trim().parse().ok()?;
                (1..=99).contains(&p).then_some(Record::Percent(p))
            }
        }
    }
}

/// One rule: how many calls, and whether callers hear the consent prompt first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordingRule {
    pub record: Record,
    pub consent_prompt: bool,
}

/// The center's recording policy. The default records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingConfig {
    /// For queues and campaigns not listed.
    pub default: RecordingRule,
    pub queues: Vec<(QueueId, RecordingRule)>,
    /// By campaign name.
    pub campaigns: Vec<(String, RecordingRule)>,
    /// Files older than this (from the end of the recording) are purged.
    pub retention: Duration,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        Self {
            default: RecordingRule::default(),
            queues: Vec::new(),
            campaigns: Vec::new(),
            retention: Duration::from_secs(90 * 86_400),
        }
    }
}

impl RecordingConfig {
    /// The rule for a call of `queue` (or of `campaign`, which wins when both are given).
    pub fn rule(&self, queue: Option<&QueueId>, campaign: Option<&str>) -> RecordingRule {
        if let Some(c) = campaign
            && let Some((_, rule)) = self.campaigns.iter().find(|(name, _)| name == c)
        {
            return *rule;
        }
        if let Some(q) = queue
            && let Some((_, rule)) = self.queues.iter().find(|(id, _)| id == q)
        {
            return *rule;
        }
        self.default
    }

    /// Whether any call may be recorded: a center that records needs a recording key.
    pub fn records_anything(&self) -> bool {
        let on = |r: &RecordingRule| r.record != Record::None;
        on(&self.default)
            || self.queues.iter().any(|(_, r)| on(r))
            || self.campaigns.iter().any(|(_, r)| on(r))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecording {
    record: Option<String>,
    consent_prompt: Option<bool>,
    retention_days: Option<i64>,
    queues: Option<Vec<RawRule>>,
    campaigns: Option<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    queue: Option<String>,
    campaign: Option<String>,
    record: Option<String>,
    consent_prompt: Option<bool>,
}

impl Loader<'_, '_> {
    /// A `retention_days` key (recordings, voicemail): 0 to 36500 days, `default` when
    /// absent; `None` (and an error at `at`) when out of range. `zero` says what 0 does.
    pub(super) fn retention_days(
        &mut self,
        at: &FieldPath,
        days: Option<i64>,
        default: Duration,
        zero: &str,
    ) -> Option<Duration> {
        match days {
            None => Some(default),
            Some(days) if (0..=36_500).contains(&days) => {
                Some(Duration::from_secs(days.unsigned_abs() * 86_400))
            }
            Some(days) => {
                self.error(
                    at,
                    format!("{days} days is out of range; write 0 to 36500 (0 {zero})"),
                );
                None
            }
        }
    }

    /// Validates `[recording]`; queue names are checked against `queues`.
    pub(super) fn recording(
        &mut self,
        path: &FieldPath,
        raw: RawRecording,
        queues: &HashSet<String>,
    ) -> Option<RecordingConfig> {
        let defaults = RecordingConfig::default();
        let mut ok = true;
        let record = match raw.record {
            None => Some(Record::None),
            Some(text) => self.record(&path.key("record"), &text),
        };
        let default = RecordingRule {
            record: record.unwrap_or_default(),
            consent_prompt: raw.consent_prompt.unwrap_or(false),
        };
        ok &= record.is_some();
        let retention = self.retention_days(
            &path.key("retention_days"),
            raw.retention_days,
            defaults.retention,
            "purges as soon as a recording ends",
        );
        ok &= retention.is_some();
        let retention = retention.unwrap_or(defaults.retention);
        let mut rules_of = |this: &mut Self, key: &str, rules: Option<Vec<RawRule>>| {
            let mut out = Vec::new();
            for (i, rule) in rules.unwrap_or_default().into_iter().enumerate() {
                let at = path.key(key).index(i);
                let (name_key, name) = if key == "queues" {
                    ("queue", rule.queue.clone())
                } else {
                    ("campaign", rule.campaign.clone())
                };
                let other = if key == "queues" {
                    &rule.campaign
                } else {
                    &rule.queue
                };
                if other.is_some() {
                    let wrong = if key == "queues" { "campaign" } else { "queue" };
                    this.error(
                        &at.key(wrong),
                        format!("a rule under recording.{key} names a {name_key}, not a {wrong}; move it under recording.{wrong}s"),
                    );
                    ok = false;
                }
                let Some(name) = this.required(&at.key(name_key), name) else {
                    ok = false;
                    continue;
                };
                if key == "queues" && !queues.contains(&name) {
                    this.error(
                        &at.key("queue"),
                        format!("no queue `{name}` is defined; name one of the [[queues]] ids"),
                    );
                    ok = false;
                    continue;
                }
                let Some(text) = this.required(&at.key("record"), rule.record) else {
                    ok = false;
                    continue;
                };
                let Some(record) = this.record(&at.key("record"), &text) else {
                    ok = false;
                    continue;
                };
                let rule = RecordingRule {
                    record,
                    consent_prompt: rule.consent_prompt.unwrap_or(default.consent_prompt),
                };
                out.push((name, rule));
            }
            out
        };
        let queue_rules = rules_of(self, "queues", raw.queues);
        let campaigns = rules_of(self, "campaigns", raw.campaigns);
        let mut queue_list = Vec::new();
        for (name, rule) in queue_rules {
            match QueueId::new(&name) {
                Ok(id) => queue_list.push((id, rule)),
                Err(_) => ok = false,
            }
        }
        ok.then_some(RecordingConfig {
            default,
            queues: queue_list,
            campaigns,
            retention,
        })
    }

    fn record(&mut self, path: &FieldPath, text: &str) -> Option<Record> {
        let record = Record::parse(text);
        if record.is_none() {
            self.error(
                path,
                format!("\"{text}\" is not a recording rule; write \"all\", \"none\" or a percentage from \"1%\" to \"99%\""),
            );
        }
        record
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::CenterConfig;

    const CENTER: &str = r#"
[[queues]]
id = "sales"
name = "Sales"
strategy = "ring_all"

[[queues]]
id = "support"
name = "Support"
strategy = "ring_all"
"#;

    #[test]
    fn queues_and_campaigns_have_their_own_rules() {
        let text = format!(
            "{CENTER}\n[recording]\nrecord = \"25%\"\nretention_days = 30\nconsent_prompt = true\n\n[[recording.queues]]\nqueue = \"sales\"\nrecord = \"all\"\n\n[[recording.campaigns]]\ncampaign = \"renewals\"\nrecord = \"none\"\nconsent_prompt = false\n"
        );
        let config = CenterConfig::parse(&text, "center.toml").unwrap();
        let r = &config.recording;
        let sales = QueueId::new("sales").unwrap();
        let support = QueueId::new("support").unwrap();
        assert_eq!(r.retention, Duration::from_secs(30 * 86_400));
        assert_eq!(r.rule(Some(&sales), None).record, Record::All);
        assert!(
            r.rule(Some(&sales), None).consent_prompt,
            "inherits the default"
        );
        assert_eq!(r.rule(Some(&support), None).record, Record::Percent(25));
        assert_eq!(r.rule(Some(&sales), Some("renewals")).record, Record::None);
        assert!(r.records_anything());
    }

    #[test]
    fn a_center_without_the_section_records_nothing() {
        let config = CenterConfig::parse(CENTER, "center.toml").unwrap();
        assert!(!config.recording.records_anything());
    }

    #[test]
    fn bad_rules_are_located() {
        let text = format!(
            "{CENTER}\n[recording]\nrecord = \"most\"\nretention_days = -1\n\n[[recording.queues]]\nqueue = \"billing\"\nrecord = \"all\"\n"
        );
        let errors = CenterConfig::parse(&text, "center.toml")
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("recording.record: \"most\" is not a recording rule"),
            "{errors}"
        );
        assert!(
            errors.contains("recording.retention_days: -1 days is out of range"),
            "{errors}"
        );
        assert!(
            errors.contains("recording.queues[0].queue: no queue `billing`"),
            "{errors}"
        );
    }
}
