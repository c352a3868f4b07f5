//! The events of one call (stream `call-<id>`), from arrival to end.

use serde::{Deserialize, Serialize};

use crate::agent::SkillName;
use crate::id::{AgentId, CustomerId, QueueId};

/// Which medium a contact uses; every channel goes through the same routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Chat,
    Email,
}

/// Who ended a call, or did something to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Caller,
    Agent,
    System,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// A normal end of conversation.
    Completed,
    /// The caller hung up before reaching an agent.
    Abandoned,
    /// The caller left a voicemail.
    Voicemail,
    /// Self-service in the IVR finished the call (containment).
    SelfService,
    /// Outside business hours, with nowhere to go.
    Closed,
    /// Handed over to a number outside the center.
    TransferredOut,
    /// The caller asked to be called back; the callback is another call.
    CallbackScheduled,
    /// The network failed the call.
    Failed,
    /// The system stopped with the call in a state it could not resume.
    SystemRestart,
}

/// Why an offer to an agent did not become an answered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferMissReason {
    /// The agent's phone rang out.
    NoAnswer,
    /// The agent declined.
    Declined,
    /// Another agent of a ring-all offer answered first.
    AnsweredElsewhere,
    /// The call stopped waiting before anyone answered (the caller hung up, went to
    /// voicemail, or the system withdrew the offer); not the agent's miss.
    Withdrawn,
}

/// Why a call was also offered to another queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowReason {
    WaitedTooLong,
    QueueTooLong,
    NoAgents,
}

/// Blind hands the caller over at once; warm consults the target first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Blind,
    Warm,
}

/// Where a transfer sends a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferTarget {
    Agent { agent: AgentId },
    Queue { queue: QueueId },
}

/// Why a call went to voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailReason {
    /// The queue was outside its business hours.
    Closed,
    /// The caller waited the queue's maximum wait.
    MaxWait,
    /// An IVR flow sent the caller there (the caller's choice, or the flow's rule).
    Flow,
}

/// What happens to one call. The stream's first event is `arrived`; its last is `ended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallEvent {
    /// The call reached the center on `number` (the DID) from `caller` (the ANI).
    Arrived {
        number: String,
        caller: String,
        channel: Channel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer: Option<CustomerId>,
    },
    /// The caller keyed digits in the IVR.
    IvrInput {
        digits: String,
    },
    /// The call joined a queue and waits for an agent with `skills`.
    Queued {
        queue: QueueId,
        priority: u8,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        skills: Vec<SkillName>,
    },
    /// An agent's phone rings with this call, for at most `ring_timeout_ms`.
    Offered {
        agent: AgentId,
        queue: QueueId,
        ring_timeout_ms: u64,
    },
    /// An offer ended without the agent answering.
    OfferMissed {
        agent: AgentId,
        reason: OfferMissReason,
    },
    /// An agent answered; the caller had waited `waited_ms` since queueing.
    Answered {
        agent: AgentId,
        waited_ms: u64,
    },
    Held {
        by: AgentId,
    },
    Resumed {
        by: AgentId,
    },
    /// The call moves to another agent or queue; the notes travel with it.
    Transferred {
        kind: TransferKind,
        from: AgentId,
        to: TransferTarget,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    /// The caller hung up while waiting in `queue`.
    Abandoned {
        queue: QueueId,
        waited_ms: u64,
    },
    /// The call is now also offered to the agents of `to`.
    Overflowed {
        from: QueueId,
        to: QueueId,
        reason: OverflowReason,
    },
    Ended {
        by: Party,
        reason: EndReason,
    },
    /// Warm transfer, first step: the caller is held while agent `by` talks to `to`.
    ConsultStarted {
        by: AgentId,
        to: TransferTarget,
    },
    /// The consulted party declined or the agent changed their mind: back to the caller.
    ConsultCancelled {
        by: AgentId,
    },
    /// `agent` joined the conversation as a third party, brought in by `by`.
    ConferenceJoined {
        agent: AgentId,
        by: AgentId,
    },
    /// `agent` left a three-party conference; the others talk on.
    ConferenceLeft {
        agent: AgentId,
    },
    /// The caller was sent to the voicemail box of `queue`.
    SentToVoicemail {
        queue: QueueId,
        reason: VoicemailReason,
    },
    /// Virtual hold: the caller hung up but keeps the place in `queue`; call back `number`.
    CallbackRequested {
        queue: QueueId,
        number: String,
    },
    /// The place came up: the center dialed the caller back on `number`.
    CallbackDialed {
        number: String,
    },
}

impl CallEvent {
    /// The schema version of this enum's JSON form. Bump it, with an upcaster, whenever a
    /// change would make an older reader misread an event.
    pub const SCHEMA: u16 = 1;
}
