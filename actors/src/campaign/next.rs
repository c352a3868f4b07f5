//! Which lead to dial next: appointments at their time (for the agent who set it, if that
//! agent is ready), then by priority, due retries before fresh leads, the longest due
//! first, then the list's order. A lead outside its calling hours or on the do-not-call
//! list is skipped, not dialed: the dial checks both again (see `campaign::dial`).
//!
//! One pass over the list per pick: linear in the leads, which is fine for lists of tens
//! of thousands; a larger list wants an index by due time (left for when one exists).

use std::cmp::Reverse;

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
        self.leads
            .values()
            .filter_map(|l| {
                // Appointments first (0), then priority, retries before fresh leads,
                // the longest due, the list's order.
                let (tier, retry, due, agent) = match l.status {
                    LeadStatus::Callback { at, agent } if at <= now => match agent {
                        Some(a) if now < at.plus_millis(grace) => {
                            if !ready.contains(&a) {
                                return None;
                            }
                            (0, true, at, Some(a))
                        }
                        _ => (0, true, at, None),
                    },
                    LeadStatus::Waiting { due, retry } if due <= now => (1, retry, due, None),
                    _ => return None,
                };
                if self.do_not_call.contains(&l.phone) {
                    return None;
                }
                let key = (tier, Reverse(l.priority), Reverse(retry), due, l.order);
                Some((key, l, agent))
            })
            .filter(|(_, l, _)| {
                hours::check(&self.settings.calling_hours, &l.time_zones, now).is_ok()
            })
            .min_by_key(|(key, _, _)| *key)
            .map(|(_, l, agent)| NextDial { lead: l.id, agent })
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
