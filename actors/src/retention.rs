//! The retention sweep: recordings, then voicemail messages, past their retention periods,
//! purged after one pass over the log. Each purge alone reads the whole log to find its
//! streams; on a long log the reading is nearly all of a purge's time, and `hotline serve`
//! runs both every hour.

use std::collections::BTreeMap;
use std::time::Duration;

use hotline_events::{CallId, Event, StreamName, Timestamp};
use hotline_infra::{EventLog, Vault};

use crate::decider::Decider;
use crate::recorder::lifecycle::Recording;
use crate::recorder::purge::{PurgeError, PurgeReport};
use crate::store::{self, CategoryFold, Versioned};
use crate::voicemail::message::Message;

/// How long each kind of sealed audio is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub recordings: Duration,
    pub messages: Duration,
}

/// What a sweep purged and kept, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub recordings: PurgeReport,
    pub messages: PurgeReport,
}

/// Purges every recording and message whose retention is over at `now`, as
/// [`crate::recorder::purge::purge`] and [`crate::voicemail::purge::purge`] do one after
/// the other, from one read of the log. A failure in the recordings' purge stops the
/// sweep before the messages'.
pub async fn sweep(
    log: &dyn EventLog,
    vault: &Vault,
    now: Timestamp,
    retention: Retention,
    by: &str,
) -> Result<SweepReport, PurgeError> {
    let mut recordings = CategoryFold::<Recording, _>::new("recording", crate::recorder::typed);
    let mut messages = CategoryFold::<Message, _>::new("voicemail", crate::voicemail::typed);
    store::each_event(log, |r| {
        recordings.apply(r);
        messages.apply(r);
    })
    .await?;
    let recordings = purge_states::<Recording>(
        log,
        vault,
        recordings.into_states(),
        now,
        retention.recordings,
        by,
    )
    .await?;
    let messages = purge_states::<Message>(
        log,
        vault,
        messages.into_states(),
        now,
        retention.messages,
        by,
    )
    .await?;
    Ok(SweepReport {
        recordings,
        messages,
    })
}

/// Sealed audio in the vault, on a stream of its own that a retention purge closes: its
/// decider says what purging means for it.
pub(crate) trait Purgeable: Decider<State: Versioned, Event: Into<Event>> {
    /// Whether the stream has nothing (more) to purge: already purged, or not sealed.
    fn nothing_to_purge(state: &Self::State) -> bool;
    /// The command a retention purge gives, not forced.
    fn purge(by: &str, retention_ms: u64) -> Self::Command;
    /// Whether a refusal of that command means "keep it for now" (counted as kept).
    fn kept(rejection: &Self::Rejection) -> bool;
    fn storage_key(state: &Self::State) -> Option<&str>;
}

/// Purges, of `states` (every stream of `D`'s category, folded by the caller's pass over
/// the log), those whose retention is over at `now`: the file first, then `purged` on the
/// stream with its expected version, so a failed append is finished by the next purge.
pub(crate) async fn purge_states<D: Purgeable>(
    log: &dyn EventLog,
    vault: &Vault,
    states: BTreeMap<StreamName, D::State>,
    now: Timestamp,
    retention: Duration,
    by: &str,
) -> Result<PurgeReport, PurgeError> {
    let retention_ms = u64::try_from(retention.as_millis()).unwrap_or(u64::MAX);
    let mut report = PurgeReport::default();
    for (stream, state) in states {
        if D::nothing_to_purge(&state) {
            continue;
        }
        let events = match D::decide(&state, &D::purge(by, retention_ms), now) {
            Ok(events) => events,
            Err(why) if D::kept(&why) => {
                report.kept += 1;
                continue;
            }
            Err(_) => continue,
        };
        let Some(key) = D::storage_key(&state).map(str::to_owned) else {
            continue;
        };
        vault.delete(&key)?;
        store::append(log, &stream, state.version(), &events, now).await?;
        if let Ok(call) = stream.id().parse::<CallId>() {
            report.purged.push((call, key));
        }
    }
    Ok(report)
}
