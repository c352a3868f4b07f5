//! The events of one outbound campaign (stream `campaign-<id>`).

use serde::{Deserialize, Serialize};

use crate::id::{CallId, LeadId};

/// How the dialer paces calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialMode {
    /// The agent sees the lead, then decides to dial.
    Preview,
    /// One line per free agent.
    Progressive,
    /// More lines than free agents, paced to keep abandonment under the limit.
    Predictive,
}

/// How one dial attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A person answered and an agent took the call.
    Connected,
    Busy,
    NoAnswer,
    AnsweringMachine,
    Failed,
    /// A person answered and no agent was free within 2 seconds.
    Abandoned,
}

/// What happens to one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CampaignEvent {
    /// `max_abandon_rate` is a fraction (0.03 for the common 3 % ceiling).
    Created {
        name: String,
        dial_mode: DialMode,
        max_abandon_rate: f64,
    },
    /// A lead list was imported: `accepted` leads kept, `rejected` rows reported and left out.
    LeadsImported {
        source: String,
        accepted: u32,
        rejected: u32,
    },
    Started,
    Paused,
    AttemptDialed {
        lead: LeadId,
        call: CallId,
        number: String,
        attempt: u32,
    },
    AttemptEnded {
        lead: LeadId,
        call: CallId,
        outcome: AttemptOutcome,
    },
    Completed,
}

impl CampaignEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
