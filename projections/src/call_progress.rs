//! What the read models follow of one call while it lives: the queue visit it waits in,
//! the visit its conversation belongs to, and the open conversation and hold stretches.
//! Calls, queue intervals and boards all fold a call the same way through this.

use hotline_events::{AgentId, CallEvent, QueueId, Timestamp, TransferKind};

/// A stay in one queue: from `queued` (the call is offered to the queue) to an answer, an
/// abandon, voicemail or the end of the call. Overflow to another queue does not start a
/// new visit: the call still waits in the queue it was queued in. A callback keeps the
/// visit open (the caller keeps the place), so its wait runs until the answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Visit {
    pub queue: QueueId,
    pub queued_at: Timestamp,
}

/// How a queue visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VisitEnd {
    Answered,
    Abandoned,
    Voicemail,
    /// The call ended otherwise (failed, system restart) or was queued again.
    Other,
}

/// A connected stretch (answer to blind transfer or end) that just closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conversation {
    /// The visit whose answer started the conversation; `None` if the call was never
    /// answered from a queue (a direct transfer with no queue before it).
    pub visit: Option<Visit>,
    pub talk_ms: u64,
    pub hold_ms: u64,
}

/// What one call event meant for the metrics.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    /// A visit started: the call was offered to [`CallProgress::waiting`]'s queue.
    pub started: bool,
    /// A visit ended, how, and the caller's wait in it.
    pub visit_ended: Option<(Visit, VisitEnd, u64)>,
    pub conversation: Option<Conversation>,
    /// A hold ended: who held, and for how long.
    pub hold: Option<(AgentId, u64)>,
    /// The conversation of this answered visit is over (the call ended or was queued
    /// again): count it handled.
    pub handled: Option<Visit>,
}

/// The fold of one live call's events, as far as the metrics need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct CallProgress {
    visit: Option<Visit>,
    handling: Option<Visit>,
    connected_since: Option<Timestamp>,
    held: Option<(AgentId, Timestamp)>,
    hold_in_conversation_ms: u64,
}

impl CallProgress {
    /// The visit the call waits in now, if it waits for an agent.
    pub fn waiting(&self) -> Option<&Visit> {
        self.visit.as_ref()
    }

    pub fn apply(&mut self, at: Timestamp, event: &CallEvent) -> Steps {
        let mut steps = Steps::default();
        match event {
            CallEvent::Queued { queue, .. } => {
                steps.visit_ended = self.end_visit(VisitEnd::Other, at, None);
                steps.handled = self.handling.take();
                self.visit = Some(Visit {
                    queue: queue.clone(),
                    queued_at: at,
                });
                steps.started = true;
            }
            CallEvent::Answered { waited_ms, .. } => {
                steps.visit_ended = self.end_visit(VisitEnd::Answered, at, Some(*waited_ms));
                if let Some((v, _, _)) = &steps.visit_ended {
                    self.handling = Some(v.clone());
                }
                self.connected_since.get_or_insert(at);
            }
            CallEvent::Abandoned { waited_ms, .. } => {
                steps.visit_ended = self.end_visit(VisitEnd::Abandoned, at, Some(*waited_ms));
            }
            CallEvent::SentToVoicemail { .. } => {
                steps.visit_ended = self.end_visit(VisitEnd::Voicemail, at, None);
            }
            CallEvent::Held { by } | CallEvent::ConsultStarted { by, .. }
                if self.connected_since.is_some() =>
            {
                self.held.get_or_insert((*by, at));
            }
            CallEvent::Resumed { .. } | CallEvent::ConsultCancelled { .. } => {
                steps.hold = self.end_hold(at);
            }
            CallEvent::Transferred { kind, .. } => {
                steps.hold = self.end_hold(at);
                if *kind == TransferKind::Blind {
                    steps.conversation = self.end_conversation(at);
                }
            }
            CallEvent::Ended { .. } => {
                steps.hold = self.end_hold(at);
                steps.conversation = self.end_conversation(at);
                steps.visit_ended = self.end_visit(VisitEnd::Other, at, None);
                steps.handled = self.handling.take();
            }
            _ => {}
        }
        steps
    }

    fn end_visit(
        &mut self,
        how: VisitEnd,
        at: Timestamp,
        waited_ms: Option<u64>,
    ) -> Option<(Visit, VisitEnd, u64)> {
        let v = self.visit.take()?;
        let wait = waited_ms.unwrap_or_else(|| at.millis_since(v.queued_at));
        Some((v, how, wait))
    }

    fn end_hold(&mut self, at: Timestamp) -> Option<(AgentId, u64)> {
        let (by, since) = self.held.take()?;
        let ms = at.millis_since(since);
        self.hold_in_conversation_ms += ms;
        Some((by, ms))
    }

    fn end_conversation(&mut self, at: Timestamp) -> Option<Conversation> {
        let since = self.connected_since.take()?;
        let hold_ms = std::mem::take(&mut self.hold_in_conversation_ms);
        Some(Conversation {
            visit: self.handling.clone(),
            talk_ms: at.millis_since(since).saturating_sub(hold_ms),
            hold_ms,
        })
    }
}
