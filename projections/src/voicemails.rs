//! `voicemails`: one row per voicemail message, from the `voicemail-<call>` streams: the
//! box, the call and caller, when it was left and how long it is, whether it was handled
//! (by whom, when) or purged. The API lists a box's messages here; the audio is in the
//! vault under `storage_key`.

use hotline_events::{CallId, Event, QueueId, Timestamp, VoicemailEvent};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailStatus {
    /// Left, nobody has dealt with it yet.
    New,
    Handled,
    /// The caller reached the box, but nothing could be kept.
    Lost,
    /// The file was deleted after its retention period.
    Purged,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoicemailRow {
    pub call: CallId,
    /// `queue:<id>` or `agent:<login>`.
    pub mailbox: String,
    pub queue: Option<QueueId>,
    pub caller: String,
    pub left_at: Timestamp,
    pub duration_ms: Option<u64>,
    pub storage_key: Option<String>,
    pub bytes: Option<u64>,
    pub status: VoicemailStatus,
    pub handled_by: Option<String>,
    pub handled_at: Option<Timestamp>,
    pub purged_at: Option<Timestamp>,
}

/// The `voicemails` read model, rows in the order messages were left.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Voicemails {
    checkpoint: Checkpoint,
    rows: Vec<VoicemailRow>,
    by_call: FastMap<CallId, usize>,
}

impl Voicemails {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rows(&self) -> &[VoicemailRow] {
        &self.rows
    }

    pub fn get(&self, call: CallId) -> Option<&VoicemailRow> {
        self.by_call.get(&call).map(|&i| &self.rows[i])
    }

    /// The messages of `mailbox`, newest first.
    pub fn of_box<'a>(&'a self, mailbox: &'a str) -> impl Iterator<Item = &'a VoicemailRow> {
        self.rows.iter().rev().filter(move |r| r.mailbox == mailbox)
    }

    fn row_mut(&mut self, call: Option<CallId>) -> Option<&mut VoicemailRow> {
        let call = call?;
        let i = *self.by_call.get(&call)?;
        self.rows.get_mut(i)
    }

    fn insert(&mut self, row: VoicemailRow) {
        if self.by_call.contains_key(&row.call) {
            return;
        }
        self.by_call.insert(row.call, self.rows.len());
        self.rows.push(row);
    }
}

impl Projection for Voicemails {
    fn name(&self) -> &'static str {
        "voicemails"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let at = fact.occurred_at;
        let Event::Voicemail(event) = fact.event else {
            return;
        };
        match event {
            VoicemailEvent::Left {
                mailbox,
                call,
                caller,
                queue,
                duration_ms,
                storage_key,
                bytes,
            } => self.insert(VoicemailRow {
                call: *call,
                mailbox: mailbox.clone(),
                queue: Some(queue.clone()),
                caller: caller.clone(),
                left_at: at,
                duration_ms: Some(*duration_ms),
                storage_key: Some(storage_key.clone()),
                bytes: Some(*bytes),
                status: VoicemailStatus::New,
                handled_by: None,
                handled_at: None,
                purged_at: None,
            }),
            VoicemailEvent::Lost {
                mailbox,
                call,
                caller,
                ..
            } => self.insert(VoicemailRow {
                call: *call,
                mailbox: mailbox.clone(),
                queue: None,
                caller: caller.clone(),
                left_at: at,
                duration_ms: None,
                storage_key: None,
                bytes: None,
                status: VoicemailStatus::Lost,
                handled_by: None,
                handled_at: None,
                purged_at: None,
            }),
            VoicemailEvent::Handled { by } => {
                if let Some(row) = self.row_mut(fact.id(CallId::from_uuid)) {
                    if row.status == VoicemailStatus::New {
                        row.status = VoicemailStatus::Handled;
                    }
                    row.handled_by = Some(by.clone());
                    row.handled_at = Some(at);
                }
            }
            VoicemailEvent::Purged { .. } => {
                if let Some(row) = self.row_mut(fact.id(CallId::from_uuid)) {
                    row.status = VoicemailStatus::Purged;
                    row.purged_at = Some(at);
                }
            }
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
    use hotline_events::StreamName;

    fn fold(events: &[(StreamName, Event)]) -> Voicemails {
        let mut model = Voicemails::new();
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

    fn call(n: u128) -> CallId {
        format!("00000000-0000-7000-8000-{n:012x}").parse().unwrap()
    }

    fn left(call: CallId, mailbox: &str) -> (StreamName, Event) {
        (
            StreamName::parse(&format!("voicemail-{call}")).unwrap(),
            Event::Voicemail(VoicemailEvent::Left {
                mailbox: mailbox.into(),
                call,
                caller: "+15555550123".into(),
                queue: QueueId::new("sales").unwrap(),
                duration_ms: 9_000,
                storage_key: format!("voicemail/{call}.wav.enc"),
                bytes: 144_060,
            }),
        )
    }

    #[test]
    fn a_message_is_listed_in_its_box_then_handled_then_purged() {
        let (a, b) = (call(1), call(2));
        let stream = |c: CallId| StreamName::parse(&format!("voicemail-{c}")).unwrap();
        let mut events = vec![left(a, "queue:sales"), left(b, "agent:alice")];
        let model = fold(&events);
        let sales: Vec<_> = model.of_box("queue:sales").collect();
        assert_eq!(sales.len(), 1);
        assert_eq!(sales[0].call, a);
        assert_eq!(sales[0].status, VoicemailStatus::New);
        assert_eq!(sales[0].duration_ms, Some(9_000));

        events.push((
            stream(a),
            Event::Voicemail(VoicemailEvent::Handled { by: "bob".into() }),
        ));
        events.push((
            stream(a),
            Event::Voicemail(VoicemailEvent::Purged {
                storage_key: format!("voicemail/{a}.wav.enc"),
                by: "retention".into(),
            }),
        ));
        let model = fold(&events);
        let row = model.get(a).unwrap();
        assert_eq!(row.status, VoicemailStatus::Purged);
        assert_eq!(row.handled_by.as_deref(), Some("bob"));
        assert_eq!(
            row.handled_at,
            Some(Timestamp::parse("2026-11-24T09:02:00.000Z").unwrap())
        );
        assert!(row.purged_at.is_some());
        assert_eq!(model.get(b).unwrap().status, VoicemailStatus::New);
        assert_eq!(model.rows().len(), 2);
    }
}
