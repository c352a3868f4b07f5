//! The retention purge: every recording stopped longer ago than the retention period has
//! its file deleted from the vault and `purged` written to its stream, so the index says
//! so. The file goes first: if the append then fails, the next purge finds the file gone
//! and writes the event. `hotline serve` runs it at start and every hour, and
//! `hotline recordings purge` on demand.

use std::time::Duration;

use hotline_events::{CallId, Timestamp};
use hotline_infra::{EventLog, LogError, Vault, VaultError};

use super::lifecycle::{
    Recording, RecordingCommand, RecordingPhase, RecordingRejection, RecordingState,
};
use super::typed;
use crate::retention::{Purgeable, purge_states};
use crate::store;

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// The calls whose recordings were purged, with their storage keys.
    pub purged: Vec<(CallId, String)>,
    /// Recordings still within their retention period (or still running).
    pub kept: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error("reading or writing the log: {0}")]
    Log(#[from] LogError),
    #[error("deleting a recording: {0}")]
    Vault(#[from] VaultError),
}

/// Purges every recording whose retention is over at `now`.
pub async fn purge(
    log: &dyn EventLog,
    vault: &Vault,
    now: Timestamp,
    retention: Duration,
    by: &str,
) -> Result<PurgeReport, PurgeError> {
    let states = store::load_category::<Recording>(log, "recording", typed).await?;
    purge_states::<Recording>(log, vault, states, now, retention, by).await
}

impl Purgeable for Recording {
    fn nothing_to_purge(state: &RecordingState) -> bool {
        state.phase == RecordingPhase::Purged
    }

    fn purge(by: &str, retention_ms: u64) -> RecordingCommand {
        RecordingCommand::Purge {
            by: by.to_owned(),
            retention_ms,
            force: false,
        }
    }

    fn kept(rejection: &RecordingRejection) -> bool {
        matches!(
            rejection,
            RecordingRejection::Retained { .. } | RecordingRejection::StillRunning
        )
    }

    fn storage_key(state: &RecordingState) -> Option<&str> {
        state.storage_key.as_deref()
    }
}
