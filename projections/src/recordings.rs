//! `recordings`: the index of call recordings, one row per recorded call, from the
//! `recording-<call>` streams (who, which queue, when, how long, where the file is, whether
//! it was purged) and the call's own `ended` (its outcome). The API lists and finds
//! recordings here; the file itself is in the vault under `storage_key`.

use hotline_events::{
    AgentId, CallEvent, CallId, EndReason, Event, QueueId, RecordingEvent, Timestamp,
};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};

/// Where a recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    /// The call is still being recorded.
    Recording,
    Paused,
    /// The file is stored.
    Stored,
    /// Nothing could be stored.
    Failed,
    /// The file was deleted after its retention period.
    Purged,
}

/// One recording.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordingRow {
    pub call: CallId,
    pub agent: Option<AgentId>,
    pub queue: Option<QueueId>,
    pub started_at: Timestamp,
    pub stopped_at: Option<Timestamp>,
    /// Audio in the file (paused stretches left out); known once stopped.
    pub duration_ms: Option<u64>,
    pub paused_ms: u64,
    pub channels: u16,
    pub consent_prompt: bool,
    /// The call's end reason, once it ended.
    pub outcome: Option<EndReason>,
    pub storage_key: String,
    pub bytes: Option<u64>,
    pub status: RecordingStatus,
    pub purged_at: Option<Timestamp>,
}

impl RecordingRow {
    pub fn purged(&self) -> bool {
        self.status == RecordingStatus::Purged
    }
}

/// The `recordings` read model, rows in the order recordings started.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recordings {
    checkpoint: Checkpoint,
    rows: Vec<RecordingRow>,
    by_call: FastMap<CallId, usize>,
}

impl Recordings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> &[RecordingRow] {
        &self.rows
    }

    pub fn get(&self, call: CallId) -> Option<&RecordingRow> {
        self.by_call.get(&call).map(|&i| &self.rows[i])
    }

    fn row_mut(&mut self, call: Option<CallId>) -> Option<&mut RecordingRow> {
        let call = call?;
        let i = *self.by_call.get(&call)?;
        self.rows.get_mut(i)
    }
}

impl Projection for Recordings {
    fn name(&self) -> &'static str {
        "recordings"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let at = fact.occurred_at;
        match fact.event {
            Event::Recording(RecordingEvent::Started {
                call,
                queue,
                agent,
                storage_key,
                channels,
                consent_prompt,
                ..
            }) => {
                if self.by_call.contains_key(call) {
                    return;
                }
                self.by_call.insert(*call, self.rows.len());
                self.rows.push(RecordingRow {
                    call: *call,
                    agent: *agent,
                    queue: queue.clone(),
                    started_at: at,
                    stopped_at: None,
                    duration_ms: None,
                    paused_ms: 0,
                    channels: *channels,
                    consent_prompt: *consent_prompt,
                    outcome: None,
                    storage_key: storage_key.clone(),
                    bytes: None,
                    status: RecordingStatus::Recording,
                    purged_at: None,
                });
            }
            Event::Recording(e) => {
                let Some(row) = self.row_mut(fact.id(CallId::from_uuid)) else {
                    return;
                };
                match e {
                    RecordingEvent::Started { .. } => {}
                    RecordingEvent::Paused { .. } => row.status = RecordingStatus::Paused,
                    RecordingEvent::Resumed { .. } => row.status = RecordingStatus::Recording,
                    RecordingEvent::Stopped {
                        duration_ms,
                        paused_ms,
                        bytes,
                    } => {
                        row.status = RecordingStatus::Stored;
                        row.stopped_at = Some(at);
                        row.duration_ms = Some(*duration_ms);
                        row.paused_ms = *paused_ms;
                        row.bytes = Some(*bytes);
                    }
                    RecordingEvent::Failed { .. } => {
                        row.status = RecordingStatus::Failed;
                        row.stopped_at = Some(at);
                    }
                    RecordingEvent::Purged { .. } => {
                        row.status = RecordingStatus::Purged;
                        row.purged_at = Some(at);
                    }
                }
            }
            Event::Call(CallEvent::Ended { reason, .. }) if fact.stream.category() == "call" => {
                if let Some(row) = self.row_mut(fact.id(CallId::from_uuid)) {
                    row.outcome = Some(*reason);
                }
            }
            _ => {}
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hotline_events::{Party, StreamName};

    fn fold(events: &[(StreamName, Event)]) -> Recordings {
        let mut model = Recordings::new();
        let t0 = Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap();
        for (i, (stream, event)) in events.iter().enumerate() {
            let fact = Fact::of(
                i as u64 + 1,
                stream,
                t0.plus_millis(i as u64 * 60_000),
                event,
            );
            model.apply(&fact);
            model.apply(&fact); // again: idempotent by position
        }
        model
    }

    #[test]
    fn a_recording_is_indexed_from_start_to_purge_with_the_call_outcome() {
        let call: CallId = uuid_like(1).parse().unwrap();
        let rec = StreamName::parse(&format!("recording-{call}")).unwrap();
        let started = RecordingEvent::Started {
            call,
            queue: Some(QueueId::new("sales").unwrap()),
            agent: None,
            storage_key: "2026/11/24/x.wav.enc".into(),
            channels: 2,
            sample_rate: 8_000,
            policy: "all".into(),
            consent_prompt: true,
        };
        let mut events = vec![
            (rec.clone(), Event::Recording(started)),
            (
                call.stream(),
                Event::Call(CallEvent::Ended {
                    by: Party::Caller,
                    reason: EndReason::Completed,
                }),
            ),
            (
                rec.clone(),
                Event::Recording(RecordingEvent::Stopped {
                    duration_ms: 55_000,
                    paused_ms: 5_000,
                    bytes: 880_100,
                }),
            ),
        ];
        let model = fold(&events);
        let row = model.get(call).unwrap();
        assert_eq!(row.status, RecordingStatus::Stored);
        assert_eq!(row.duration_ms, Some(55_000));
        assert_eq!(row.outcome, Some(EndReason::Completed));
        assert!(!row.purged());

        events.push((
            rec,
            Event::Recording(RecordingEvent::Purged {
                storage_key: "2026/11/24/x.wav.enc".into(),
                by: "retention".into(),
            }),
        ));
        let model = fold(&events);
        let row = model.get(call).unwrap();
        assert!(row.purged());
        assert!(row.purged_at.is_some());
        assert_eq!(model.rows().len(), 1);
    }

    fn uuid_like(n: u128) -> String {
        format!("00000000-0000-7000-8000-{n:012x}")
    }
}
