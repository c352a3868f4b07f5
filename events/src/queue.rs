//! The events of one queue (stream `queue-<name>`), written by the router: who waits,
//! which agent was picked and why, what callers are told.

use serde::{Deserialize, Serialize};

use crate::agent::SkillName;
use crate::call::OverflowReason;
use crate::id::{AgentId, CallId, QueueId};

/// What the router decides and announces for one queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueEvent {
    /// A call joined the waiting list.
    CallWaiting {
        call: CallId,
        priority: u8,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<SkillName>,
    },
    /// The call's place in line and its estimated wait, for announcements and wallboards.
    PositionEstimated {
        call: CallId,
        position: u32,
        estimated_wait_ms: u64,
    },
    /// The router picked `agents` (several for ring-all) for `call`, by `strategy`,
    /// from skill tier `tier` (0 = the best-skilled).
    AgentsSelected {
        call: CallId,
        agents: Vec<AgentId>,
        strategy: String,
        tier: u8,
    },
    /// The caller left the line but keeps the place: call back on `number`.
    CallbackRequested { call: CallId, number: String },
    /// The callback's turn came and it was dialed.
    CallbackDialed { call: CallId },
    /// The call, still waiting here, is now also offered to the agents of `to`.
    CallOverflowed {
        call: CallId,
        to: QueueId,
        reason: OverflowReason,
    },
    /// The call no longer waits here (answered, abandoned, moved).
    CallLeft { call: CallId },
}

impl QueueEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
