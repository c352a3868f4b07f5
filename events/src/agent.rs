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
#[serde(rename_all = "snake_case")]
pub enum AgentEvent {
    LoggedIn {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
        skills: Vec<Skill>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        queues: Vec<QueueId>,
    },
    /// `by`: the supervisor or administrator who logged the agent out (absent when the
    /// agent or the system did it). `reason`: why the system did, as a reason code
    /// (`system_restart`: the process that had the agent logged in stopped, and this is
    /// when it was last heard of); absent for a logout by hand. Added after the first
    /// logs were written: an older line reads with no reason, and an older reader skips it.
    LoggedOut {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// Available for offers; `by` as for [`AgentEvent::LoggedOut`].
    Ready {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// Unavailable, with the reason code the agent or a supervisor chose (`lunch`,
    /// `training`, `auto_pause` after missed offers); `by` names the supervisor who forced it.
    NotReady {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// An offer for `call` rings at the agent; no other voice call may be offered meanwhile.
    Reserved { call: CallId, queue: QueueId },
    /// On `call`.
    Busy { call: CallId },
    /// After-call work on `call`, for at most `limit_ms`.
    WrappingUp { call: CallId, limit_ms: u64 },
    /// After-call work is done, with the agent's disposition and notes.
    WrapUpCompleted {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    /// The agent's skills from now on (the live session and later logins); `by` names
    /// the supervisor or administrator who changed them.
    SkillsChanged {
        skills: Vec<Skill>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The offer for `call` ended unanswered; the reservation is over. Only `no_answer`
    /// and `declined` count towards auto-pause.
    OfferMissed {
        call: CallId,
        reason: OfferMissReason,
    },
    /// The queues this agent takes calls from (now and at later logins); `by` as for
    /// [`AgentEvent::SkillsChanged`].
    QueuesChanged {
        queues: Vec<QueueId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// An administrator added the agent to the roster (agents of the center's file are on
    /// it without this event). The profile is what later logins use.
    Registered {
        login: String,
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
        skills: Vec<Skill>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        queues: Vec<QueueId>,
        by: String,
    },
    /// The agent's display name from now on.
    Renamed { name: String, by: String },
    /// An administrator took the agent off the roster: it can no longer log in. Only a
    /// logged-out agent is removed. Registering the same login again brings it back.
    Removed { by: String },
}

impl AgentEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
