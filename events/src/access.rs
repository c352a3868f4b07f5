//! Reads of personal data, as events (stream `access-<YYYY-MM-DD>`, one per UTC day): who
//! read which customer record or recording, when, and through what. Compliance asks that
//! such reads be as durable and tamper-evident as the rest of the history, so they go to
//! the same log and the same hash chain.

use serde::{Deserialize, Serialize};

use crate::id::{CallId, CustomerId};

/// One read of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessEvent {
    /// A customer's record (profile, interactions) was shown.
    CustomerViewed {
        customer: CustomerId,
        /// The name of the token or user who read it.
        by: String,
        /// Their role (`agent`, `supervisor`, ...).
        role: String,
        /// Where it was read (`GET /api/customers/{id}`, `screen pop`...).
        via: String,
    },
    /// A call recording was fetched.
    RecordingFetched {
        call: CallId,
        by: String,
        role: String,
        via: String,
    },
    /// A voicemail message (the one left by `call`, in `mailbox`) was played.
    VoicemailPlayed {
        call: CallId,
        mailbox: String,
        by: String,
        role: String,
        via: String,
    },
}

impl AccessEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}
