//! The retention purge: every recording stopped longer ago than the retention period has
//! its file deleted from the vault and `purged` written to its stream, so the index says
//! so. The file goes first: if the append then fails, the next purge finds the file gone
//! and writes the event. `hotline serve` runs it at start and every hour, and
//! `hotline recordings purge` on demand.

use std::collections::BTreeMap;
use std::time::Duration;

use hotline_events::{CallId, StreamName, Timestamp};
use hotline_infra::{EventLog, LogError, Vault, VaultError};

use super::lifecycle::{
    Recording, RecordingCommand, RecordingPhase, RecordingRejection, RecordingState,
};
use super::typed;
use crate::decider::Decider;
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
    purge_states(log, vault, states, now, retention, by).await
}

/// [`purge`] on the states of every recording stream, folded by the caller's pass over the log
/// (the retention sweep folds recordings and messages in one).
pub(crate) async fn purge_states(
    log: &dyn EventLog,
    vault: &Vault,
    states: BTreeMap<StreamName, RecordingState>,
    now: Timestamp,
    retention: Duration,
    by: &str,
) -> Result<PurgeReport, PurgeError> {
    let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
    let mut report = PurgeReport::default();
    for (stream, state) in states {
        if state.phase == RecordingPhase::Purged {
            continue;
        }
        let command = RecordingCommand::Purge {
            by: by.to_owned(),
            retention_ms,
            force: false,
        };
        let events = match Recording::decide(&state, &command, now) {
            Ok(events) => events,
            Err(RecordingRejection::Retained { .. } | RecordingRejection::StillRunning) => {
                report.kept += 1;
                continue;
            }
            Err(_) => continue,
        };
        let Some(key) = state.storage_key.clone() else {
            continue;
        };
        vault.delete(&key)?;
        store::append(log, &stream, state.version, &events, now).await?;
        if let Ok(call) = stream.id().parse::<CallId>() {
            report.purged.push((call, key));
        }
    }
    Ok(report)
}
