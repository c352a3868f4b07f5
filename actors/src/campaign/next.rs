//! Which lead to dial next: appointments at their time (for the agent who set it, if that
//! agent is ready), then by priority, due retries before fresh leads, the longest due
//! first, then the list's order. A lead outside its calling hours or on the do-not-call
//! list is skipped, not dialed: the dial checks both again (see `campaign::dial`).
//!
//! One pass over the list per pick: linear in the leads (the hours checked once per set of
//! zones, and only for a lead that would come first), which is fine for lists of tens of
//! thousands; a larger list wants an index by due time (left for when one exists).

use std::cmp::Reverse;
use std::collections::HashMap;

use hotline_events::{AgentId, LeadId, Timestamp};

use super::{CampaignState, LeadStatus, hours};

/// The lead to dial, and the agent it is for (an appointment's own agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDial {
    pub lead: LeadId,
    pub agent: Option<AgentId>,
}

impl CampaignState {
    /// The lead to dial at `now`, with `ready` the campaign's agents free for a call.
    pub fn next_lead(&self, now: Timestamp, ready: &[AgentId]) -> Option<NextDial> {
        let grace = self.settings.callback_grace_ms;
        // Whether the calling hours hold now, per set of zones: a list has few distinct
        // sets, and the check converts the time into each zone.
        let mut open: HashMap<&[String], bool> = HashMap::new();
        let mut best = None;
        for l in self.leads.values() {
            // Appointments first (0), then priority, retries before fresh leads, the
            // longest due, the list's order.
            let (tier, retry, due, agent) = match l.status {
                LeadStatus::Callback { at, agent } if at <= now => match agent {
                    Some(a) if now < at.plus_millis(grace) => {
                        if !ready.contains(&a) {
                            continue;
                        }
                        (0, true, at, Some(a))
                    }
                    _ => (0, true, at, None),
                },
                LeadStatus::Waiting { due, retry } if due <= now => (1, retry, due, None),
                _ => continue,
            };
            let key = (tier, Reverse(l.priority), Reverse(retry), due, l.order);
            if best.as_ref().is_some_and(|(b, _)| *b <= key) {
                continue;
            }
            if self.do_not_call.contains(&l.phone) {
                continue;
            }
            let inside = *open.entry(l.time_zones.as_slice()).or_insert_with(|| {
                hours::check(&self.settings.calling_hours, &l.time_zones, now).is_ok()
            });
            if inside {
                best = Some((key, NextDial { lead: l.id, agent }));
            }
        }
        best.map(|(_, next)| next)
    }

    /// The earliest time after `now` at which a lead falls due (to set the dialer's timer
    /// when nothing is due now).
    pub fn next_due(&self, now: Timestamp) -> Option<Timestamp> {
        self.leads
            .values()
            .filter_map(|l| match l.status {
                LeadStatus::Waiting { due, .. } => Some(due),
                LeadStatus::Callback { at, .. } => Some(at),
                _ => None,
            })
            .filter(|&t| t > now)
            .min()
    }
}
