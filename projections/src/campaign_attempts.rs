//! `campaign_attempts`: one row per outbound dial attempt, from its campaign's stream: the
//! lead, the call placed, the number, which attempt it was, when it was dialed and how it
//! ended. The dialer's compliance figures (abandon rate per day, calls per lead) are SQL
//! over this table. It also keeps each campaign's name, ceiling and status, so the
//! wallboard can show a tile per campaign ([`CampaignAttempts::summaries`]).
//!
//! Each row also says whether the dial broke a rule: outside the campaign's calling hours
//! in one of the lead's zones, or to a number on the campaign's do-not-call list at that
//! moment. The projection judges this itself from the campaign's events (its rules, its
//! leads' zones, its list), not from the dialer's code, so the compliance report checks
//! the dialer rather than repeating it; both must always be false.

use std::collections::HashSet;

use chrono::Timelike;
use chrono_tz::Tz;
use hotline_events::{
    AttemptOutcome, CallId, CallingHours, CampaignEvent, CampaignId, Event, LeadId, Timestamp,
};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};

/// One dial attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttemptRow {
    pub campaign: CampaignId,
    pub lead: LeadId,
    pub call: CallId,
    pub number: String,
    /// 1 for a lead's first dial, 2 for its first retry...
    pub attempt: u32,
    pub dialed_at: Timestamp,
    /// `None` while the attempt lasts.
    pub ended_at: Option<Timestamp>,
    pub outcome: Option<AttemptOutcome>,
    /// Dialed outside the campaign's calling hours in one of the lead's time zones.
    /// False when the log does not say (no `configured`, or a lead never added).
    pub outside_hours: bool,
    /// The number was on the campaign's do-not-call list when it was dialed.
    pub on_do_not_call: bool,
}

/// What a campaign's rules say, as far as compliance needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Rules {
    hours: Option<CallingHours>,
    do_not_call: HashSet<String>,
    zones: FastMap<LeadId, Vec<String>>,
}

impl Rules {
    /// Whether `at` is outside the calling hours in any of `lead`'s zones (a zone that is
    /// not a known name counts as outside).
    fn outside_hours(&self, lead: &LeadId, at: Timestamp) -> bool {
        let (Some(hours), Some(zones)) = (self.hours, self.zones.get(lead)) else {
            return false;
        };
        let utc = at.to_datetime();
        zones.iter().any(|zone| match zone.parse::<Tz>() {
            Ok(tz) => {
                let local = utc.with_timezone(&tz);
                let minute = local.hour() * 60 + local.minute();
                !(u32::from(hours.from.minutes()) <= minute
                    && minute < u32::from(hours.to.minutes()))
            }
            Err(_) => true,
        })
    }
}

/// Where a campaign stands, from its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Created,
    Running,
    Paused,
    Completed,
}

/// What a campaign's `created` and status events said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CampaignInfo {
    pub campaign: CampaignId,
    pub name: String,
    /// The abandon-rate ceiling in parts per million (30,000 for 3 %): an integer, so
    /// the read model stays `Eq` and its snapshot exact.
    pub max_abandon_ppm: u32,
    pub status: CampaignStatus,
}

/// One campaign's dialing over the attempts a summary counts. "Answered by a person" is
/// the dialer's denominator for the abandon rate (domain brief): connected plus abandoned.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSummary {
    pub campaign: CampaignId,
    /// `None` when the log holds attempts but no `created` for the campaign.
    pub name: Option<String>,
    pub status: Option<CampaignStatus>,
    pub max_abandon_rate: Option<f64>,
    pub dialed: u32,
    pub answered_by_person: u32,
    pub machines: u32,
    pub abandoned: u32,
    /// Dialed and not yet ended.
    pub in_flight: u32,
}

impl CampaignSummary {
    /// Abandoned over answered by a person; `None` before anyone answered.
    pub fn abandon_rate(&self) -> Option<f64> {
        (self.answered_by_person > 0)
            .then(|| f64::from(self.abandoned) / f64::from(self.answered_by_person))
    }
}

/// The `campaign_attempts` read model, rows in dial order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CampaignAttempts {
    checkpoint: Checkpoint,
    rows: Vec<AttemptRow>,
    /// The open attempt of each call.
    open: FastMap<CallId, usize>,
    /// Campaigns in the order they were created.
    campaigns: Vec<CampaignInfo>,
    /// Each campaign's rules, to judge its dials.
    rules: FastMap<CampaignId, Rules>,
}

impl CampaignAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> &[AttemptRow] {
        &self.rows
    }

    pub fn campaigns(&self) -> &[CampaignInfo] {
        &self.campaigns
    }

    /// One summary per campaign that is not completed or has a counted attempt, over the
    /// attempts `counted` keeps (the wallboard counts today's); in the order campaigns were
    /// created, then campaigns known only by their attempts.
    pub fn summaries(&self, counted: impl Fn(&AttemptRow) -> bool) -> Vec<CampaignSummary> {
        let mut out: Vec<CampaignSummary> = self
            .campaigns
            .iter()
            .map(|c| CampaignSummary {
                campaign: c.campaign,
                name: Some(c.name.clone()),
                status: Some(c.status),
                max_abandon_rate: Some(f64::from(c.max_abandon_ppm) / 1_000_000.0),
                dialed: 0,
                answered_by_person: 0,
                machines: 0,
                abandoned: 0,
                in_flight: 0,
            })
            .collect();
        for row in self.rows.iter().filter(|r| counted(r)) {
            let i = match out.iter().position(|s| s.campaign == row.campaign) {
                Some(i) => i,
                None => {
                    out.push(CampaignSummary {
                        campaign: row.campaign,
                        name: None,
                        status: None,
                        max_abandon_rate: None,
                        dialed: 0,
                        answered_by_person: 0,
                        machines: 0,
                        abandoned: 0,
                        in_flight: 0,
                    });
                    out.len() - 1
                }
            };
            let s = &mut out[i];
            s.dialed += 1;
            match row.outcome {
                None => s.in_flight += 1,
                Some(AttemptOutcome::Connected) => s.answered_by_person += 1,
                Some(AttemptOutcome::Abandoned) => {
                    s.answered_by_person += 1;
                    s.abandoned += 1;
                }
                Some(AttemptOutcome::AnsweringMachine) => s.machines += 1,
                Some(AttemptOutcome::Busy | AttemptOutcome::NoAnswer | AttemptOutcome::Failed) => {}
            }
        }
        out.retain(|s| s.dialed > 0 || s.status != Some(CampaignStatus::Completed));
        out
    }

    fn set_status(&mut self, campaign: CampaignId, status: CampaignStatus) {
        if let Some(c) = self.campaigns.iter_mut().find(|c| c.campaign == campaign) {
            c.status = status;
        }
    }
}

impl Projection for CampaignAttempts {
    fn name(&self) -> &'static str {
        "campaign_attempts"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let Event::Campaign(event) = fact.event else {
            return;
        };
        let Some(campaign) = fact.id(CampaignId::from_uuid) else {
            return;
        };
        match event {
            CampaignEvent::AttemptDialed {
                lead,
                call,
                number,
                attempt,
            } => {
                let rules = self.rules.entry(campaign).or_default();
                let outside_hours = rules.outside_hours(lead, fact.occurred_at);
                let on_do_not_call = rules.do_not_call.contains(number);
                self.open.insert(*call, self.rows.len());
                self.rows.push(AttemptRow {
                    campaign,
                    lead: *lead,
                    call: *call,
                    number: number.clone(),
                    attempt: *attempt,
                    dialed_at: fact.occurred_at,
                    ended_at: None,
                    outcome: None,
                    outside_hours,
                    on_do_not_call,
                });
            }
            CampaignEvent::AttemptEnded { call, outcome, .. } => {
                if let Some(i) = self.open.remove(call) {
                    let row = &mut self.rows[i];
                    row.ended_at = Some(fact.occurred_at);
                    row.outcome = Some(*outcome);
                }
            }
            CampaignEvent::Created {
                name,
                max_abandon_rate,
                ..
            } => {
                if !self.campaigns.iter().any(|c| c.campaign == campaign) {
                    self.campaigns.push(CampaignInfo {
                        campaign,
                        name: name.clone(),
                        // A fraction from 0 to 1: the cast cannot overflow once clamped.
                        max_abandon_ppm: (max_abandon_rate.clamp(0.0, 1.0) * 1_000_000.0).round()
                            as u32,
                        status: CampaignStatus::Created,
                    });
                }
            }
            CampaignEvent::Started => self.set_status(campaign, CampaignStatus::Running),
            CampaignEvent::Paused => self.set_status(campaign, CampaignStatus::Paused),
            CampaignEvent::Resumed => self.set_status(campaign, CampaignStatus::Running),
            // A stopped campaign is over, as a completed one: it leaves the wallboard.
            CampaignEvent::Completed | CampaignEvent::Stopped => {
                self.set_status(campaign, CampaignStatus::Completed)
            }
            CampaignEvent::Configured(settings) => {
                self.rules.entry(campaign).or_default().hours = Some(settings.calling_hours);
            }
            CampaignEvent::LeadAdded {
                lead, time_zones, ..
            } => {
                let rules = self.rules.entry(campaign).or_default();
                rules.zones.insert(*lead, time_zones.clone());
            }
            CampaignEvent::LeadEdited {
                lead,
                time_zones: Some(zones),
                ..
            } => {
                let rules = self.rules.entry(campaign).or_default();
                rules.zones.insert(*lead, zones.clone());
            }
            CampaignEvent::DoNotCallAdded { numbers, .. } => {
                let rules = self.rules.entry(campaign).or_default();
                rules.do_not_call.extend(numbers.iter().cloned());
            }
            CampaignEvent::LeadsImported { .. }
            | CampaignEvent::LeadEdited { .. }
            | CampaignEvent::LeadRemoved { .. }
            | CampaignEvent::DialBlocked { .. }
            | CampaignEvent::RetryScheduled { .. }
            | CampaignEvent::CallbackScheduled { .. }
            | CampaignEvent::Dispositioned { .. }
            | CampaignEvent::LeadClosed { .. } => {}
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hotline_events::StreamName;

    use super::*;
    use crate::history::{call, t};

    fn campaign() -> CampaignId {
        "00000000-0000-7000-c000-000000000001".parse().unwrap()
    }

    fn lead(n: u32) -> LeadId {
        format!("00000000-0000-7000-d000-{n:012}").parse().unwrap()
    }

    fn fold(p: &mut CampaignAttempts, events: &[(u64, &str, CampaignEvent)]) {
        let stream = StreamName::parse(&format!("campaign-{}", campaign())).unwrap();
        for (position, hms, e) in events {
            let event = Event::Campaign(e.clone());
            p.apply(&Fact::of(*position, &stream, t(hms), &event));
        }
    }

    #[test]
    fn given_two_dials_when_one_ends_then_one_row_is_closed_and_one_open() {
        let mut p = CampaignAttempts::new();
        let dialed = |n, c, attempt| CampaignEvent::AttemptDialed {
            lead: lead(n),
            call: call(c),
            number: "+33612345678".into(),
            attempt,
        };
        fold(
            &mut p,
            &[
                (1, "10:00:00", CampaignEvent::Started),
                (2, "10:00:01", dialed(1, 1, 1)),
                (3, "10:00:02", dialed(2, 2, 2)),
                (
                    4,
                    "10:00:20",
                    CampaignEvent::AttemptEnded {
                        lead: lead(1),
                        call: call(1),
                        outcome: AttemptOutcome::Busy,
                    },
                ),
            ],
        );
        // The same facts again (a restart redelivers): nothing changes.
        let before = p.clone();
        fold(&mut p, &[(4, "10:00:20", CampaignEvent::Started)]);
        assert_eq!(p, before);

        let rows = p.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].outcome, Some(AttemptOutcome::Busy));
        assert_eq!(rows[0].ended_at, Some(t("10:00:20")));
        assert_eq!(rows[1].attempt, 2);
        assert_eq!(rows[1].outcome, None);
        assert_eq!(p.position(), 4);
    }

    #[test]
    fn a_summary_counts_dials_people_machines_and_abandons_per_campaign() {
        let mut p = CampaignAttempts::new();
        let dialed = |n: u32, c| CampaignEvent::AttemptDialed {
            lead: lead(n),
            call: call(c),
            number: "+33612345678".into(),
            attempt: 1,
        };
        let ended = |n: u32, c, outcome| CampaignEvent::AttemptEnded {
            lead: lead(n),
            call: call(c),
            outcome,
        };
        fold(
            &mut p,
            &[
                (
                    1,
                    "09:00:00",
                    CampaignEvent::Created {
                        name: "Renewals".into(),
                        dial_mode: hotline_events::DialMode::Predictive,
                        max_abandon_rate: 0.03,
                    },
                ),
                (2, "09:00:01", CampaignEvent::Started),
                (3, "10:00:00", dialed(1, 1)),
                (4, "10:00:01", dialed(2, 2)),
                (5, "10:00:02", dialed(3, 3)),
                (6, "10:00:03", dialed(4, 4)),
                (7, "10:00:04", dialed(5, 5)),
                (8, "10:00:10", ended(1, 1, AttemptOutcome::Connected)),
                (9, "10:00:11", ended(2, 2, AttemptOutcome::Abandoned)),
                (
                    10,
                    "10:00:12",
                    ended(3, 3, AttemptOutcome::AnsweringMachine),
                ),
                (11, "10:00:13", ended(4, 4, AttemptOutcome::NoAnswer)),
            ],
        );
        let all = p.summaries(|_| true);
        assert_eq!(all.len(), 1);
        let s = &all[0];
        assert_eq!(s.name.as_deref(), Some("Renewals"));
        assert_eq!(s.status, Some(CampaignStatus::Running));
        assert_eq!(s.max_abandon_rate, Some(0.03));
        assert_eq!(
            (
                s.dialed,
                s.answered_by_person,
                s.machines,
                s.abandoned,
                s.in_flight
            ),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(
            s.abandon_rate(),
            Some(0.5),
            "abandoned over answered by a person"
        );
        // Counting only what was dialed before 10:00:02 (the wallboard counts today's).
        let early = p.summaries(|r| r.dialed_at < t("10:00:02"));
        assert_eq!((early[0].dialed, early[0].in_flight), (2, 0));
        // A completed campaign with nothing counted has no tile.
        fold(&mut p, &[(12, "11:00:00", CampaignEvent::Completed)]);
        assert!(p.summaries(|_| false).is_empty());
        assert_eq!(p.summaries(|_| true).len(), 1);
    }
}
