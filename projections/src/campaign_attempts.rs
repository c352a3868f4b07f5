//! `campaign_attempts`: one row per outbound dial attempt, from its campaign's stream: the
//! lead, the call placed, the number, which attempt it was, when it was dialed and how it
//! ended. The dialer's compliance figures (abandon rate per day, calls per lead) are SQL
//! over this table.

use std::collections::HashMap;

use hotline_events::{AttemptOutcome, CallId, CampaignEvent, CampaignId, Event, LeadId, Timestamp};

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
}

/// The `campaign_attempts` read model, rows in dial order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CampaignAttempts {
    checkpoint: Checkpoint,
    rows: Vec<AttemptRow>,
    /// The open attempt of each call.
    open: HashMap<CallId, usize>,
}

impl CampaignAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> &[AttemptRow] {
        &self.rows
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
        let Ok(campaign) = fact.stream.id().parse::<CampaignId>() else {
            return;
        };
        match event {
            CampaignEvent::AttemptDialed {
                lead,
                call,
                number,
                attempt,
            } => {
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
                });
            }
            CampaignEvent::AttemptEnded { call, outcome, .. } => {
                if let Some(i) = self.open.remove(call) {
                    let row = &mut self.rows[i];
                    row.ended_at = Some(fact.occurred_at);
                    row.outcome = Some(*outcome);
                }
            }
            _ => {}
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
            p.apply(&Fact {
                position: *position,
                stream: &stream,
                occurred_at: t(hms),
                event: &event,
            });
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
}
