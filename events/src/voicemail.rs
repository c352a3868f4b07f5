//! The events of one voicemail message (stream `voicemail-<call id>`): left in a box when
//! the caller hung up (or the box's maximum length ended the call), handled by someone who
//! dealt with it, purged after the retention period.
//!
//! `left` is the notification: an integration that wants to know about new messages
//! (e-mail, a ticket, a chat alert) subscribes to the `voicemail` category and needs nothing
//! else; the message's audio is in the vault under `storage_key`. A message has its own
//! stream rather than events on `call-<id>` because it outlives the call (handled hours
//! later, purged weeks later) and its writers are the voicemail task and the API, not the
//! call actor. Plays are reads of personal data: `voicemail_played` on the access streams.

use serde::{Deserialize, Serialize};

use crate::id::{CallId, QueueId};

/// What happens to one voicemail message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailEvent {
    /// The caller's message is stored, encrypted, under `storage_key`.
    Left {
        /// The box: `queue:<id>` or `agent:<login>`.
        mailbox: String,
        call: CallId,
        /// The caller's number.
        caller: String,
        /// The queue the call was for (reports by queue).
        queue: QueueId,
        duration_ms: u64,
        /// Where the encrypted WAV file is, relative to the recordings directory.
        storage_key: String,
        /// Bytes of ciphertext.
        bytes: u64,
    },
    /// The caller reached the box but nothing could be kept (the store failed, or the
    /// network carries no audio): the call is known, the message is not.
    Lost {
        mailbox: String,
        call: CallId,
        caller: String,
        reason: String,
    },
    /// Someone dealt with the message (called back, forwarded it).
    Handled { by: String },
    /// The file was deleted, its retention period over (`by`: `retention`, or who asked).
    Purged { storage_key: String, by: String },
}

impl VoicemailEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
