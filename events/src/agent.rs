//! The events of one agent (stream `agent-<id>`): presence, offers, work and skills.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::call::OfferMissReason;
use crate::id::{CallId, IdError, QueueId};

/// A skill, named by the administrator (`spanish`, `billing`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SkillName(String);

impl SkillName {
    pub fn new(name: &str) -> Result<Self, IdError> {
        if crate::id::is_slug(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(IdError::BadSlug {
                kind: "skill",
                value: name.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SkillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SkillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SkillName({})", self.0)
    }
}

impl<'de> Deserialize<'de> for SkillName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A skill an agent has, with a level from 1 (novice) to 10 (expert).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Skill {
    pub name: SkillName,
    pub level: u8,
}

/// What happens to one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    LoggedIn {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
        skills: Vec<Skill>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        queues: Vec<QueueId>,
    },
    LoggedOut,
    /// Available for offers.
    Ready,
    /// Unavailable, with the reason code the agent or a supervisor chose (`lunch`,
    /// `training`, `auto_pause` after missed offers).
    NotReady {
        reason: String,
    },
    /// An offer for `call` rings at the agent; no other voice call may be offered meanwhile.
    Reserved {
        call: CallId,
        queue: QueueId,
    },
    /// On `call`.
    Busy {
        call: CallId,
    },
    /// After-call work on `call`, for at most `limit_ms`.
    WrappingUp {
        call: CallId,
        limit_ms: u64,
    },
    /// After-call work is done, with the agent's disposition and notes.
    WrapUpCompleted {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    SkillsChanged {
        skills: Vec<Skill>,
    },
    /// The offer for `call` ended unanswered; the reservation is over. Only `no_answer`
    /// and `declined` count towards auto-pause.
    OfferMissed {
        call: CallId,
        reason: OfferMissReason,
    },
    /// The queues this agent takes calls from.
    QueuesChanged {
        queues: Vec<QueueId>,
    },
}

impl AgentEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
