//! The retention purge of voicemail messages: every message left longer ago than the
//! retention period (handled or not) has its file deleted from the vault and `purged`
//! written to its stream. The file goes first: if the append then fails, the next purge
//! finds the file gone and writes the event. `hotline serve` runs it with the recordings'
//! purge, at start and every hour.

use std::collections::BTreeMap;
use std::time::Duration;

use hotline_events::{CallId, StreamName, Timestamp};
use hotline_infra::{EventLog, Vault};

use super::message::{Message, MessageCommand, MessagePhase, MessageRejection, MessageState};
use super::typed;
use crate::decider::Decider;
use crate::recorder::purge::{PurgeError, PurgeReport};
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
    purge_states(log, vault, states, now, retention, by).await
}

/// [`purge`] on the states of every voicemail stream, folded by the caller's pass over the log
/// (the retention sweep folds recordings and messages in one).
pub(crate) async fn purge_states(
    log: &dyn EventLog,
    vault: &Vault,
    states: BTreeMap<StreamName, MessageState>,
    now: Timestamp,
    retention: Duration,
    by: &str,
) -> Result<PurgeReport, PurgeError> {
    let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
    let mut report = PurgeReport::default();
    for (stream, state) in states {
        if state.phase != MessagePhase::Left {
            continue;
        }
        let command = MessageCommand::Purge {
            by: by.to_owned(),
            retention_ms,
            force: false,
        };
        let events = match Message::decide(&state, &command, now) {
            Ok(events) => events,
            Err(MessageRejection::Retained { .. }) => {
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
