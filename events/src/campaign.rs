//! The events of one outbound campaign (stream `campaign-<id>`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;
use crate::id::{AgentId, CallId, LeadId};

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
#[serde(rename_all = "snake_case")]
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
    /// The campaign's rules, whole: each `configured` replaces the previous one.
    Configured(CampaignSettings),
    /// A paused campaign dials again.
    Resumed,
    /// An operator ended the campaign before its list was worked through. Final.
    Stopped,
    /// A lead joined the list. `phone` is E.164; `time_zones` are every IANA zone the
    /// number may be in (one, unless the number does not tell): the lead is dialed only
    /// when the calling hours hold in each of them. `fields` are shown on the agent's screen.
    LeadAdded {
        lead: LeadId,
        phone: String,
        time_zones: Vec<String>,
        priority: u8,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        fields: BTreeMap<String, String>,
    },
    /// Some of a lead's data changed; a field left out did not (`fields` replaces them all).
    LeadEdited {
        lead: LeadId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zones: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fields: Option<BTreeMap<String, String>>,
    },
    /// A lead left the list (it is never dialed again; its attempts stay in the history).
    LeadRemoved {
        lead: LeadId,
    },
    /// Numbers (E.164) that must never be dialed, from `source` (a file, an operator).
    DoNotCallAdded {
        numbers: Vec<String>,
        source: String,
    },
    /// A dial of `lead` was refused at the moment of dialing: the number is on the
    /// do-not-call list, or it is outside the calling hours in the lead's time zone.
    DialBlocked {
        lead: LeadId,
        number: String,
        reason: BlockReason,
    },
    /// The lead will be dialed again from `due` on (a retry rule or a recycling disposition).
    RetryScheduled {
        lead: LeadId,
        due: Timestamp,
    },
    /// An appointment: the lead is dialed at `at`, for `agent` if one set it.
    CallbackScheduled {
        lead: LeadId,
        at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentId>,
    },
    /// The agent's disposition of a connected call (one of the campaign's dispositions).
    Dispositioned {
        lead: LeadId,
        call: CallId,
        disposition: String,
    },
    /// The lead is done: it is never dialed again.
    LeadClosed {
        lead: LeadId,
        reason: CloseReason,
    },
}

/// Why a dial was refused at the last moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    DoNotCall,
    OutsideCallingHours,
}

/// Why a lead was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The agent's disposition ends the lead (a sale, not interested…).
    Disposition,
    /// The retry rule of the last outcome allows no more attempts.
    AttemptsExhausted,
    /// Its number is on the do-not-call list.
    DoNotCall,
}

/// A campaign's rules. The defaults are a cautious outbound campaign: predictive under the
/// 3 % ceiling, 08:00 to 21:00 in the lead's time zone, a few retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSettings {
    pub dial_mode: DialMode,
    /// Abandoned / answered by a person, as a fraction (0.03).
    pub max_abandon_rate: f64,
    /// When a lead may be called, in the lead's own time zone.
    pub calling_hours: CallingHours,
    /// What to do after each outcome that did not reach an agent. An outcome without a
    /// rule closes the lead.
    pub retries: Vec<RetryRule>,
    /// The dispositions an agent may give a connected call, and what each does.
    pub dispositions: Vec<DispositionRule>,
    /// How long an appointment waits for the agent who set it to be ready before any
    /// agent may take it.
    pub callback_grace_ms: u64,
}

/// Local opening hours of a campaign: from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallingHours {
    pub from: ClockTime,
    pub to: ClockTime,
}

/// After an attempt ended with `outcome`: dial again `delay_ms` later, as long as the
/// lead has had fewer than `max_attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryRule {
    pub outcome: AttemptOutcome,
    pub delay_ms: u64,
    pub max_attempts: u32,
}

/// A disposition an agent may give, and what it does to the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispositionRule {
    pub name: String,
    pub effect: DispositionEffect,
    /// For `recycle`: when to dial again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// What a disposition does to its lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionEffect {
    /// The lead is done.
    Close,
    /// The lead goes back in the list, dialed again after the rule's delay.
    Recycle,
    /// The agent sets an appointment (a time, and by default themself).
    Callback,
}

/// A local time of day, minute precision, written `HH:MM` (`24:00` is the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(u16);

impl ClockTime {
    /// `hour`:`minute`; `None` past 24:00.
    pub fn new(hour: u16, minute: u16) -> Option<Self> {
        (minute < 60 && hour * 60 + minute <= 24 * 60).then_some(Self(hour * 60 + minute))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    /// Reads `HH:MM` (`8:00` too).
    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        Self::new(h.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a time of day (HH:MM)"))
        })
    }
}

impl Default for CampaignSettings {
    fn default() -> Self {
        const MIN: u64 = 60_000;
        let retry = |outcome, delay_ms, max_attempts| RetryRule {
            outcome,
            delay_ms,
            max_attempts,
        };
        let disposition = |name: &str, effect, delay_ms| DispositionRule {
            name: name.to_owned(),
            effect,
            delay_ms,
        };
        Self {
            dial_mode: DialMode::Predictive,
            max_abandon_rate: 0.03,
            calling_hours: CallingHours {
                from: ClockTime(8 * 60),
                to: ClockTime(21 * 60),
            },
            retries: vec![
                retry(AttemptOutcome::Busy, 10 * MIN, 5),
                retry(AttemptOutcome::NoAnswer, 60 * MIN, 4),
                retry(AttemptOutcome::AnsweringMachine, 4 * 60 * MIN, 3),
                retry(AttemptOutcome::Failed, 30 * MIN, 3),
                retry(AttemptOutcome::Abandoned, 60 * MIN, 4),
            ],
            dispositions: vec![
                disposition("sale", DispositionEffect::Close, None),
                disposition("not_interested", DispositionEffect::Close, None),
                disposition("wrong_number", DispositionEffect::Close, None),
                disposition(
                    "call_later",
                    DispositionEffect::Recycle,
                    Some(24 * 60 * MIN),
                ),
                disposition("appointment", DispositionEffect::Callback, None),
            ],
            callback_grace_ms: 15 * MIN,
        }
    }
}

impl CampaignEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
