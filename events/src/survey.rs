//! The events of one call's post-call survey (stream `survey-<call id>`): after the agent
//! hung up, the caller who stayed on answers the queue's survey flow. Every event is linked
//! to the call (the stream), and `started` names the agent and the queue, so answers are
//! reported per agent and per queue (the `surveys` table, CSAT).
//!
//! The survey runs an IVR flow, but its steps are not the IVR's: only what a report needs
//! is written (started, each answer, an answer refused, completed or abandoned).

use serde::{Deserialize, Serialize};

use crate::id::{AgentId, CallId, QueueId};
use crate::ivr::InvalidReason;

/// What happens in one call's survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyEvent {
    /// The agent hung up, the caller stayed: the survey `flow` starts.
    Started {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        flow: String,
        /// The question (node) whose answer is the CSAT score, if the survey has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csat_question: Option<String>,
    },
    /// The caller answered `question` (the flow's node) with `answer` (the keys).
    Answered { question: String, answer: String },
    /// The caller keyed something `question` refuses; it is asked again or skipped.
    InvalidAnswer {
        question: String,
        attempt: u32,
        reason: InvalidReason,
    },
    /// The flow ended with the caller still on the line: `answers` questions answered.
    Completed { answers: u32 },
    /// The caller hung up at `question`, `answers` questions answered before.
    Abandoned { question: String, answers: u32 },
}

impl SurveyEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
