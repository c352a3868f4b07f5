//! After a restart: a recording whose stream says it is still running (or paused) cannot
//! be: its task and its audio (only ever in memory) died with the process. Each is marked
//! `failed`, so the index does not show it `recording` forever and the purge can close it.

use hotline_events::{CallId, Timestamp};
use hotline_infra::{EventLog, LogError};

use super::lifecycle::{Recording, RecordingCommand, RecordingPhase};
use super::typed;
use crate::decider::Decider;
use crate::store;

/// Why [`recover`] marks a recording failed.
pub const STOPPED_WHILE_RECORDING: &str =
    "the process stopped while recording; the audio was only in memory";

/// Marks `failed` every recording left running or paused in `log`, except those `live`
/// says this process records now; returns the calls marked.
pub async fn recover(
    log: &dyn EventLog,
    now: Timestamp,
    live: impl Fn(CallId) -> bool,
) -> Result<Vec<CallId>, LogError> {
    let states = store::load_category::<Recording>(log, "recording", typed).await?;
    let mut failed = Vec::new();
    for (stream, state) in states {
        if !matches!(
            state.phase,
            RecordingPhase::Running | RecordingPhase::Paused
        ) {
            continue;
        }
        let Ok(call) = stream.id().parse::<CallId>() else {
            continue;
        };
        if live(call) {
            continue;
        }
        let command = RecordingCommand::Fail {
            reason: STOPPED_WHILE_RECORDING.to_owned(),
        };
        let Ok(events) = Recording::decide(&state, &command, now) else {
            continue;
        };
        match store::append(log, &stream, state.version, &events, now).await {
            Ok(_) => failed.push(call),
            // Someone wrote to it meanwhile (a recording that is live after all): leave it.
            Err(LogError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(failed)
}
