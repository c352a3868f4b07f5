//! One lead of a campaign's list, as the campaign's core keeps it, and where it stands.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use hotline_events::{AgentId, CallId, CloseReason, LeadId, Timestamp};

use super::CampaignRejection;

/// A lead: whom to call, where (for the calling hours), how urgently, and what the agent
/// sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: LeadId,
    /// E.164.
    pub phone: String,
    /// Every IANA zone the number may be in.
    pub time_zones: Vec<String>,
    /// Higher is dialed first.
    pub priority: u8,
    /// Shown on the agent's screen.
    pub fields: BTreeMap<String, String>,
    /// Attempts dialed so far.
    pub attempts: u32,
    /// Its place in the order leads were added: the tie-break, oldest first.
    pub order: u64,
    pub status: LeadStatus,
}

/// Where a lead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadStatus {
    /// To be dialed from `due` on; `retry` once it has been dialed before.
    Waiting {
        due: Timestamp,
        retry: bool,
    },
    /// An appointment at `at`, for `agent` if one set it.
    Callback {
        at: Timestamp,
        agent: Option<AgentId>,
    },
    /// An attempt is in flight.
    Dialing {
        call: CallId,
    },
    /// The call reached an agent; the lead waits for the disposition.
    Connected {
        call: CallId,
    },
    Closed(CloseReason),
}

impl Lead {
    /// Not yet closed.
    pub fn is_open(&self) -> bool {
        !matches!(self.status, LeadStatus::Closed(_))
    }
}

/// The zones a lead may be given: at least one, each a known IANA name.
pub(super) fn check_zones(zones: &[String]) -> Result<(), CampaignRejection> {
    if zones.is_empty() {
        return Err(CampaignRejection::NoTimeZone);
    }
    match zones.iter().find(|z| z.parse::<Tz>().is_err()) {
        Some(bad) => Err(CampaignRejection::UnknownTimeZone(bad.clone())),
        None => Ok(()),
    }
}
