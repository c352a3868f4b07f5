//! The events of one call's recording (stream `recording-<call id>`): decided when an agent
//! answers, paused and resumed around sensitive talk (a card number), stopped when the audio
//! ends with what the stored file holds, and purged after the retention period.
//!
//! A recording has its own stream rather than living on `call-<id>`: it outlives the call
//! (the file is sealed after the caller hangs up, and purged months later), and its one
//! writer is the recorder, not the call actor, so neither waits for the other's appends.

use serde::{Deserialize, Serialize};

use crate::id::{AgentId, CallId, QueueId};

/// What happens to one call's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingEvent {
    /// The policy said record: audio of both parties is written from now on.
    Started {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue: Option<QueueId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<AgentId>,
        /// Where the encrypted file will be, relative to the recordings directory.
        storage_key: String,
        /// 2: the caller on the left channel, the agent on the right.
        channels: u16,
        sample_rate: u32,
        /// The rule that chose this call (`all`, `25%`), for audits of the policy.
        policy: String,
        /// Whether the caller heard the "this call may be recorded" prompt first.
        consent_prompt: bool,
    },
    /// Recording stopped for a while (`reason`: `card_entry`…); nothing is written until
    /// `resumed`.
    Paused {
        by: String,
        reason: String,
    },
    Resumed {
        by: String,
    },
    /// The audio ended and the encrypted file is stored: `duration_ms` of audio in it (the
    /// paused time left out), `bytes` of ciphertext.
    Stopped {
        duration_ms: u64,
        paused_ms: u64,
        bytes: u64,
    },
    /// The audio could not be kept (the store failed); nothing was stored.
    Failed {
        reason: String,
    },
    /// The file was deleted, its retention period over (`by`: `retention`, or who asked).
    Purged {
        storage_key: String,
        by: String,
    },
}

impl RecordingEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
