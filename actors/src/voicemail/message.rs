//! The pure core of one voicemail message: left (or lost) once, handled once, purged once
//! its retention period is over.

use hotline_events::{CallId, QueueId, Timestamp, VoicemailEvent};

use crate::decider::Decider;
use crate::store::Versioned;

/// Where a message stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageState {
    pub version: u64,
    pub phase: MessagePhase,
    pub mailbox: Option<String>,
    pub storage_key: Option<String>,
    /// When it was left: the retention period counts from here.
    pub left_at: Option<Timestamp>,
    pub handled_by: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MessagePhase {
    /// No message (yet) for this call.
    #[default]
    None,
    Left,
    Lost,
    Purged,
}

/// What may happen to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageCommand {
    Leave {
        mailbox: String,
        call: CallId,
        caller: String,
        queue: QueueId,
        duration_ms: u64,
        storage_key: String,
        bytes: u64,
    },
    Lose {
        mailbox: String,
        call: CallId,
        caller: String,
        reason: String,
    },
    Handle {
        by: String,
    },
    /// Delete the file once `retention_ms` have passed since it was left, or at once if
    /// `force`.
    Purge {
        by: String,
        retention_ms: u64,
        force: bool,
    },
}

/// Why a command does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageRejection {
    #[error("this call's message is already in its box")]
    AlreadyLeft,
    #[error("this call left no message")]
    NoMessage,
    #[error("the message was already handled by {by}")]
    AlreadyHandled { by: String },
    #[error("the message was purged")]
    Purged,
    #[error("the message is kept until {until}: its retention period is not over")]
    Retained { until: Timestamp },
}

/// The message decider.
#[derive(Debug)]
pub struct Message;

impl Versioned for MessageState {
    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

impl Decider for Message {
    type State = MessageState;
    type Command = MessageCommand;
    type Event = VoicemailEvent;
    type Rejection = MessageRejection;

    fn decide(
        state: &MessageState,
        command: &MessageCommand,
        now: Timestamp,
    ) -> Result<Vec<VoicemailEvent>, MessageRejection> {
        use MessagePhase as P;
        use MessageRejection as R;
        Ok(match command {
            MessageCommand::Leave {
                mailbox,
                call,
                caller,
                queue,
                duration_ms,
                storage_key,
                bytes,
            } => {
                if state.phase != P::None {
                    return Err(R::AlreadyLeft);
                }
                vec![VoicemailEvent::Left {
                    mailbox: mailbox.clone(),
                    call: *call,
                    caller: caller.clone(),
                    queue: queue.clone(),
                    duration_ms: *duration_ms,
                    storage_key: storage_key.clone(),
                    bytes: *bytes,
                }]
            }
            MessageCommand::Lose {
                mailbox,
                call,
                caller,
                reason,
            } => {
                if state.phase != P::None {
                    return Err(R::AlreadyLeft);
                }
                vec![VoicemailEvent::Lost {
                    mailbox: mailbox.clone(),
                    call: *call,
                    caller: caller.clone(),
                    reason: reason.clone(),
                }]
            }
            MessageCommand::Handle { by } => match (&state.phase, &state.handled_by) {
                (P::None | P::Lost, _) => return Err(R::NoMessage),
                (_, Some(first)) => return Err(R::AlreadyHandled { by: first.clone() }),
                (P::Purged, None) => return Err(R::Purged),
                (P::Left, None) => vec![VoicemailEvent::Handled { by: by.clone() }],
            },
            MessageCommand::Purge {
                by,
                retention_ms,
                force,
            } => match (state.phase, &state.storage_key, state.left_at) {
                (P::Purged, ..) => return Err(R::Purged),
                (P::Left, Some(key), Some(left_at)) => {
                    let until = left_at.plus_millis(*retention_ms);
                    if !force && now < until {
                        return Err(R::Retained { until });
                    }
                    vec![VoicemailEvent::Purged {
                        storage_key: key.clone(),
                        by: by.clone(),
                    }]
                }
                _ => return Err(R::NoMessage),
            },
        })
    }

    fn evolve(mut state: MessageState, event: &VoicemailEvent, at: Timestamp) -> MessageState {
        state.version += 1;
        match event {
            VoicemailEvent::Left {
                mailbox,
                storage_key,
                ..
            } => {
                state.phase = MessagePhase::Left;
                state.mailbox = Some(mailbox.clone());
                state.storage_key = Some(storage_key.clone());
                state.left_at = Some(at);
            }
            VoicemailEvent::Lost { mailbox, .. } => {
                state.phase = MessagePhase::Lost;
                state.mailbox = Some(mailbox.clone());
            }
            VoicemailEvent::Handled { by } => state.handled_by = Some(by.clone()),
            VoicemailEvent::Purged { .. } => state.phase = MessagePhase::Purged,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::decider::spec::{at, given};

    fn call() -> CallId {
        CallId::from_uuid(uuid::Uuid::from_u128(7))
    }

    fn left() -> VoicemailEvent {
        VoicemailEvent::Left {
            mailbox: "queue:sales".into(),
            call: call(),
            caller: "+15555550123".into(),
            queue: QueueId::new("sales").unwrap(),
            duration_ms: 12_000,
            storage_key: "voicemail/k.wav.enc".into(),
            bytes: 192_060,
        }
    }

    fn leave() -> MessageCommand {
        MessageCommand::Leave {
            mailbox: "queue:sales".into(),
            call: call(),
            caller: "+15555550123".into(),
            queue: QueueId::new("sales").unwrap(),
            duration_ms: 12_000,
            storage_key: "voicemail/k.wav.enc".into(),
            bytes: 192_060,
        }
    }

    fn handle(by: &str) -> MessageCommand {
        MessageCommand::Handle { by: by.into() }
    }

    fn purge(days: u64, force: bool) -> MessageCommand {
        MessageCommand::Purge {
            by: "retention".into(),
            retention_ms: days * 86_400_000,
            force,
        }
    }

    fn purged() -> VoicemailEvent {
        VoicemailEvent::Purged {
            storage_key: "voicemail/k.wav.enc".into(),
            by: "retention".into(),
        }
    }

    #[test]
    fn a_call_leaves_one_message() {
        let s = given::<Message>([]).when(leave()).then([left()]);
        assert_eq!(s.phase, MessagePhase::Left);
        given::<Message>([left()])
            .when(leave())
            .then_err(MessageRejection::AlreadyLeft);
        given::<Message>([left()])
            .when(MessageCommand::Lose {
                mailbox: "queue:sales".into(),
                call: call(),
                caller: "+1".into(),
                reason: "late".into(),
            })
            .then_err(MessageRejection::AlreadyLeft);
    }

    #[test]
    fn a_message_is_handled_once_and_names_who_handled_it() {
        given::<Message>([left()])
            .when(handle("bob"))
            .then([VoicemailEvent::Handled { by: "bob".into() }]);
        given::<Message>([left(), VoicemailEvent::Handled { by: "bob".into() }])
            .when(handle("carol"))
            .then_err(MessageRejection::AlreadyHandled { by: "bob".into() });
        given::<Message>([])
            .when(handle("bob"))
            .then_err(MessageRejection::NoMessage);
        given::<Message>([left(), purged()])
            .when(handle("bob"))
            .then_err(MessageRejection::Purged);
    }

    #[test]
    fn a_lost_message_cannot_be_handled_or_purged() {
        let lost = VoicemailEvent::Lost {
            mailbox: "queue:sales".into(),
            call: call(),
            caller: "+15555550123".into(),
            reason: "no audio".into(),
        };
        given::<Message>([lost.clone()])
            .when(handle("bob"))
            .then_err(MessageRejection::NoMessage);
        given::<Message>([lost])
            .when(purge(0, true))
            .then_err(MessageRejection::NoMessage);
    }

    #[test]
    fn a_message_is_purged_after_its_retention_period_handled_or_not() {
        // Left at t0; kept 7 days.
        let until = at(0).plus_millis(7 * 86_400_000);
        given::<Message>([left()])
            .at(at(86_400))
            .when(purge(7, false))
            .then_err(MessageRejection::Retained { until });
        given::<Message>([left()])
            .at(until)
            .when(purge(7, false))
            .then([purged()]);
        given::<Message>([left()])
            .when(purge(7, true))
            .then([purged()]);
        given::<Message>([left(), purged()])
            .when(purge(0, true))
            .then_err(MessageRejection::Purged);
    }
}
