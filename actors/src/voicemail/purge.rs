//! The retention purge of voicemail messages: every message left longer ago than the
//! retention period (handled or not) has its file deleted from the vault and `purged`
//! written to its stream. The file goes first: if the append then fails, the next purge
//! finds the file gone and writes the event. `hotline serve` runs it with the recordings'
//! purge, at start and every hour.

use std::time::Duration;

use hotline_events::Timestamp;
use hotline_infra::{EventLog, Vault};

use super::message::{Message, MessageCommand, MessagePhase, MessageRejection, MessageState};
use super::typed;
use crate::recorder::purge::{PurgeError, PurgeReport};
use crate::retention::{Purgeable, purge_states};
use crate::store;

/// Purges every message whose retention is over at `now`.
pub async fn purge(
    log: &dyn EventLog,
    vault: &Vault,
    now: Timestamp,
    retention: Duration,
    by: &str,
) -> Result<PurgeReport, PurgeError> {
    let states = store::load_category::<Message>(log, "voicemail", typed).await?;
    purge_states::<Message>(log, vault, states, now, retention, by).await
}

impl Purgeable for Message {
    /// Only a message left (handled or not) has a file; a lost one never had.
    fn nothing_to_purge(state: &MessageState) -> bool {
        state.phase != MessagePhase::Left
    }

    fn purge(by: &str, retention_ms: u64) -> MessageCommand {
        MessageCommand::Purge {
            by: by.to_owned(),
            retention_ms,
            force: false,
        }
    }

    fn kept(rejection: &MessageRejection) -> bool {
        matches!(rejection, MessageRejection::Retained { .. })
    }

    fn storage_key(state: &MessageState) -> Option<&str> {
        state.storage_key.as_deref()
    }
}
