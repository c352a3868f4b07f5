//! The retention sweep: recordings, then voicemail messages, past their retention periods,
//! purged after one pass over the log. Each purge alone reads the whole log to find its
//! streams; on a long log the reading is nearly all of a purge's time, and `hotline serve`
//! runs both every hour.

use std::time::Duration;

use hotline_events::Timestamp;
use hotline_infra::{EventLog, Vault};

use crate::recorder::lifecycle::Recording;
use crate::recorder::purge::{PurgeError, PurgeReport};
use crate::store::CategoryFold;
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
    let mut from = 1;
    loop {
        let page = log.read_all(from, 10_000).await?;
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for r in &page {
            recordings.apply(r);
            messages.apply(r);
        }
    }
    let recordings = crate::recorder::purge::purge_states(
        log,
        vault,
        recordings.into_states(),
        now,
        retention.recordings,
        by,
    )
    .await?;
    let messages = crate::voicemail::purge::purge_states(
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
