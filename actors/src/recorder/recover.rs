//! After a restart: a recording whose stream says it is still running (or paused) cannot
//! be: its task and its audio (only ever in memory) died with the process. Each is marked
//! `failed`, so the index does not show it `recording` forever and the purge can close it.

use std::collections::BTreeMap;

use hotline_events::{CallId, StreamName, Timestamp};
use hotline_infra::{EventLog, LogError};

use super::lifecycle::{Recording, RecordingCommand, RecordingPhase, RecordingState};
use crate::decider::Decider;
use crate::store;

/// Why [`recover`] marks a recording failed.
pub const STOPPED_WHILE_RECORDING: &str =
    "the process stopped while recording; the audio was only in memory";

/// Marks `failed` every recording left running or paused, as `states` (every recording
/// stream of `log`, folded by the caller's pass over the log) has them, except those `live`
/// says this process records now; returns the calls marked.
pub(crate) async fn recover(
    log: &dyn EventLog,
    states: BTreeMap<StreamName, RecordingState>,
    now: Timestamp,
    live: impl Fn(CallId) -> bool,
) -> Result<Vec<CallId>, LogError> {
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
