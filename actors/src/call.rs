//! The call: from arrival through IVR digits, the queue, offers to agents, the
//! conversation (hold, transfers, consults, conference), voicemail or a callback, to its
//! end. A pure core: the actor shell and the tests drive it.
//!
//! The rules a call keeps:
//! - an offer rings only while the call waits for an agent, and is answered at most once:
//!   answering one offer of a ring-all ends the others (`answered_elsewhere`);
//! - a call has one handling agent at a time (plus, in a conference, the parties the
//!   handling agent brought in); a consult is a second agent on hold for a warm transfer;
//! - the customer context (customer, digits, notes) stays with the call through transfers;
//! - `ended` is the last event: an ended call refuses every command.

pub mod actor;

use hotline_events::{
    AgentId, CallEvent, Channel, CustomerId, EndReason, OfferMissReason, OverflowReason, Party,
    QueueId, SkillName, Timestamp, TransferKind, TransferTarget, VoicemailReason,
};

use crate::decider::Decider;

/// An agent's phone ringing with this call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub agent: AgentId,
    pub queue: QueueId,
    pub at: Timestamp,
    pub ring_timeout_ms: u64,
}

/// Where a call stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Phase {
    /// Nothing happened yet.
    #[default]
    New,
    /// Arrived, in the IVR: not yet in a queue.
    Arrived,
    /// Waiting in `queue` for an agent; `offers` ring now.
    Waiting,
    /// A transfer moved the call; it waits for the target agent's offer or the queue.
    Transferring {
        target: TransferTarget,
    },
    /// Virtual hold: the caller hung up and keeps the place; when it comes up, the customer
    /// is dialed back while the agent's phone rings.
    CallbackWaiting {
        number: String,
    },
    /// Talking with `agent` (and `conference` parties); `consult` is the agent consulted
    /// for a warm transfer, while the caller holds.
    Talking {
        agent: AgentId,
        held: bool,
        conference: Vec<AgentId>,
        consult: Option<AgentId>,
    },
    /// Leaving a message in `queue`'s box.
    Voicemail {
        queue: QueueId,
    },
    Ended {
        by: Party,
        reason: EndReason,
    },
}

/// The fold of a call's stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallState {
    /// Events folded so far: the expected version of the next append.
    pub version: u64,
    pub phase: Phase,
    pub number: String,
    pub caller: String,
    pub channel: Option<Channel>,
    pub customer: Option<CustomerId>,
    pub digits: Option<String>,
    /// The queue the call waits or waited in last, and when it joined it (a callback keeps
    /// its place and so its time; a transfer to a queue starts a new wait there).
    pub queue: Option<QueueId>,
    pub queued_at: Option<Timestamp>,
    pub priority: u8,
    pub skills: Vec<SkillName>,
    /// Queues the call also overflowed to.
    pub overflowed_to: Vec<QueueId>,
    pub offers: Vec<Offer>,
    /// When an agent first answered: handle time runs from here.
    pub answered_at: Option<Timestamp>,
    /// Agents who handled the call, in order.
    pub agents: Vec<AgentId>,
    /// Notes that traveled with transfers.
    pub notes: Vec<String>,
    pub transfers: u32,
    pub callback_number: Option<String>,
    /// Whether the callback was dialed (the caller is on the line again).
    pub callback_dialed: bool,
}

impl CallState {
    pub fn is_ended(&self) -> bool {
        matches!(self.phase, Phase::Ended { .. })
    }

    /// The agent handling the call, if it is in conversation.
    pub fn agent(&self) -> Option<AgentId> {
        match &self.phase {
            Phase::Talking { agent, .. } => Some(*agent),
            _ => None,
        }
    }

    /// Every agent connected to the call now (handling, conference, consult).
    pub fn connected_agents(&self) -> Vec<AgentId> {
        match &self.phase {
            Phase::Talking {
                agent,
                conference,
                consult,
                ..
            } => std::iter::once(*agent)
                .chain(conference.iter().copied())
                .chain(consult.iter().copied())
                .collect(),
            _ => Vec::new(),
        }
    }

    fn waiting_for_agent(&self) -> bool {
        matches!(
            self.phase,
            Phase::Waiting | Phase::Transferring { .. } | Phase::CallbackWaiting { .. }
        )
    }

    fn offer(&self, agent: AgentId) -> Option<&Offer> {
        self.offers.iter().find(|o| o.agent == agent)
    }
}

/// What the network, the router, an agent or the system asks of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallCommand {
    Arrive {
        number: String,
        caller: String,
        channel: Channel,
        customer: Option<CustomerId>,
    },
    EnterDigits {
        digits: String,
    },
    Queue {
        queue: QueueId,
        priority: u8,
        skills: Vec<SkillName>,
    },
    /// Ring `agent` (reserved by the router) for at most `ring_timeout_ms`.
    Offer {
        agent: AgentId,
        queue: QueueId,
        ring_timeout_ms: u64,
    },
    MissOffer {
        agent: AgentId,
        reason: OfferMissReason,
    },
    Answer {
        agent: AgentId,
    },
    Hold {
        by: AgentId,
    },
    Resume {
        by: AgentId,
    },
    /// Blind transfer: the call leaves `by` at once for `to`.
    Transfer {
        by: AgentId,
        to: TransferTarget,
        notes: Option<String>,
    },
    /// Warm transfer, first step: the caller holds while `by` talks to `agent`.
    StartConsult {
        by: AgentId,
        agent: AgentId,
    },
    /// Warm transfer, last step: the consulted agent takes the call over.
    CompleteConsult {
        by: AgentId,
        notes: Option<String>,
    },
    CancelConsult {
        by: AgentId,
    },
    /// `by` brings `agent` in as a third party.
    Conference {
        by: AgentId,
        agent: AgentId,
    },
    LeaveConference {
        agent: AgentId,
    },
    Overflow {
        from: QueueId,
        to: QueueId,
        reason: OverflowReason,
    },
    SendToVoicemail {
        queue: QueueId,
        reason: VoicemailReason,
    },
    RequestCallback {
        number: String,
    },
    CallerHangUp,
    AgentHangUp {
        agent: AgentId,
    },
    /// The system ends the call (the callback could not be dialed, the center is closed, a
    /// restart found it where it cannot resume).
    End {
        reason: EndReason,
    },
}

/// Why a call command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallRejection {
    #[error("the call already arrived")]
    AlreadyArrived,
    #[error("the call has not arrived")]
    NotArrived,
    #[error("the call has ended")]
    Ended,
    #[error("the call is {0}, not waiting for an agent")]
    NotWaiting(&'static str),
    #[error("the call is {0}, not in conversation")]
    NotTalking(&'static str),
    #[error("agent {0} is already ringing with this call")]
    AlreadyOffered(AgentId),
    #[error("no offer to agent {0} rings")]
    NoSuchOffer(AgentId),
    #[error("agent {0} is not the agent handling the call")]
    NotTheAgent(AgentId),
    #[error("agent {0} is already connected to the call")]
    AlreadyConnected(AgentId),
    #[error("agent {0} is not a party of the conference")]
    NotInConference(AgentId),
    #[error("the call is already on hold")]
    AlreadyHeld,
    #[error("the call is not on hold")]
    NotHeld,
    #[error("a consult is already going on")]
    ConsultInProgress,
    #[error("no consult is going on")]
    NoConsult,
    #[error("the call already overflowed to queue {0}")]
    AlreadyOverflowed(QueueId),
    #[error("the caller already left the line")]
    CallerGone,
    #[error("digits may only be 0-9, * and #, 1 to 32 of them")]
    BadDigits,
}

impl Phase {
    fn label(&self) -> &'static str {
        match self {
            Phase::New => "not arrived",
            Phase::Arrived => "in the IVR",
            Phase::Waiting => "waiting in queue",
            Phase::Transferring { .. } => "being transferred",
            Phase::CallbackWaiting { .. } => "waiting for a callback",
            Phase::Talking { .. } => "in conversation",
            Phase::Voicemail { .. } => "in voicemail",
            Phase::Ended { .. } => "ended",
        }
    }
}

/// The call's pure core.
#[derive(Debug)]
pub struct Call;

fn ended(by: Party, reason: EndReason) -> CallEvent {
    CallEvent::Ended { by, reason }
}

impl Decider for Call {
    type State = CallState;
    type Command = CallCommand;
    type Event = CallEvent;
    type Rejection = CallRejection;

    fn decide(
        s: &CallState,
        command: &CallCommand,
        now: Timestamp,
    ) -> Result<Vec<CallEvent>, CallRejection> {
        use CallCommand as C;
        use CallRejection as R;
        match (&s.phase, command) {
            (Phase::Ended { .. }, _) => return Err(R::Ended),
            (Phase::New, C::Arrive { .. }) => {}
            (Phase::New, _) => return Err(R::NotArrived),
            (_, C::Arrive { .. }) => return Err(R::AlreadyArrived),
            _ => {}
        }
        let waited = || s.queued_at.map_or(0, |q| now.millis_since(q));
        let talking = || match &s.phase {
            Phase::Talking {
                agent,
                held,
                conference,
                consult,
            } => Ok((*agent, *held, conference, *consult)),
            other => Err(R::NotTalking(other.label())),
        };
        let handling = |by: &AgentId| {
            let t = talking()?;
            if t.0 == *by {
                Ok(t)
            } else {
                Err(R::NotTheAgent(*by))
            }
        };
        Ok(match command {
            C::Arrive {
                number,
                caller,
                channel,
                customer,
            } => vec![CallEvent::Arrived {
                number: number.clone(),
                caller: caller.clone(),
                channel: *channel,
                customer: *customer,
            }],
            C::EnterDigits { digits } => {
                if s.phase != Phase::Arrived {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                let ok = (1..=32).contains(&digits.len())
                    && digits
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
                if !ok {
                    return Err(R::BadDigits);
                }
                vec![CallEvent::IvrInput {
                    digits: digits.clone(),
                }]
            }
            C::Queue {
                queue,
                priority,
                skills,
            } => {
                if !matches!(s.phase, Phase::Arrived | Phase::Transferring { .. }) {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                vec![CallEvent::Queued {
                    queue: queue.clone(),
                    priority: *priority,
                    skills: skills.clone(),
                }]
            }
            C::Offer {
                agent,
                queue,
                ring_timeout_ms,
            } => {
                if !s.waiting_for_agent() {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                if s.offer(*agent).is_some() {
                    return Err(R::AlreadyOffered(*agent));
                }
                let mut events = Vec::new();
                if let Phase::CallbackWaiting { number } = &s.phase
                    && !s.callback_dialed
                {
                    // The place came up: dial the customer back while the agent's phone
                    // rings, so both are on the line together.
                    events.push(CallEvent::CallbackDialed {
                        number: number.clone(),
                    });
                }
                events.push(CallEvent::Offered {
                    agent: *agent,
                    queue: queue.clone(),
                    ring_timeout_ms: *ring_timeout_ms,
                });
                events
            }
            C::MissOffer { agent, reason } => {
                if s.offer(*agent).is_none() {
                    return Err(R::NoSuchOffer(*agent));
                }
                vec![CallEvent::OfferMissed {
                    agent: *agent,
                    reason: *reason,
                }]
            }
            C::Answer { agent } => {
                if s.offer(*agent).is_none() {
                    return Err(R::NoSuchOffer(*agent));
                }
                let mut events = vec![CallEvent::Answered {
                    agent: *agent,
                    waited_ms: waited(),
                }];
                events.extend(s.offers.iter().filter(|o| o.agent != *agent).map(|o| {
                    CallEvent::OfferMissed {
                        agent: o.agent,
                        reason: OfferMissReason::AnsweredElsewhere,
                    }
                }));
                events
            }
            C::Hold { by } => {
                let (_, held, _, _) = handling(by)?;
                if held {
                    return Err(R::AlreadyHeld);
                }
                vec![CallEvent::Held { by: *by }]
            }
            C::Resume { by } => {
                let (_, held, _, consult) = handling(by)?;
                if consult.is_some() {
                    return Err(R::ConsultInProgress);
                }
                if !held {
                    return Err(R::NotHeld);
                }
                vec![CallEvent::Resumed { by: *by }]
            }
            C::Transfer { by, to, notes } => {
                let (_, _, _, consult) = handling(by)?;
                if consult.is_some() {
                    return Err(R::ConsultInProgress);
                }
                if let TransferTarget::Agent { agent } = to
                    && s.connected_agents().contains(agent)
                {
                    return Err(R::AlreadyConnected(*agent));
                }
                vec![CallEvent::Transferred {
                    kind: TransferKind::Blind,
                    from: *by,
                    to: to.clone(),
                    notes: notes.clone(),
                }]
            }
            C::StartConsult { by, agent } => {
                let (_, _, _, consult) = handling(by)?;
                if consult.is_some() {
                    return Err(R::ConsultInProgress);
                }
                if s.connected_agents().contains(agent) {
                    return Err(R::AlreadyConnected(*agent));
                }
                vec![CallEvent::ConsultStarted {
                    by: *by,
                    to: TransferTarget::Agent { agent: *agent },
                }]
            }
            C::CompleteConsult { by, notes } => {
                let (_, _, _, consult) = handling(by)?;
                let Some(agent) = consult else {
                    return Err(R::NoConsult);
                };
                vec![CallEvent::Transferred {
                    kind: TransferKind::Warm,
                    from: *by,
                    to: TransferTarget::Agent { agent },
                    notes: notes.clone(),
                }]
            }
            C::CancelConsult { by } => {
                let (_, _, _, consult) = handling(by)?;
                if consult.is_none() {
                    return Err(R::NoConsult);
                }
                vec![CallEvent::ConsultCancelled { by: *by }]
            }
            C::Conference { by, agent } => {
                handling(by)?;
                if s.connected_agents().contains(agent) {
                    return Err(R::AlreadyConnected(*agent));
                }
                vec![CallEvent::ConferenceJoined {
                    agent: *agent,
                    by: *by,
                }]
            }
            C::LeaveConference { agent } => {
                let (handler, _, conference, _) = talking()?;
                if handler != *agent && !conference.contains(agent) || conference.is_empty() {
                    return Err(R::NotInConference(*agent));
                }
                vec![CallEvent::ConferenceLeft { agent: *agent }]
            }
            C::Overflow { from, to, reason } => {
                if s.phase != Phase::Waiting && !matches!(s.phase, Phase::CallbackWaiting { .. }) {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                if s.overflowed_to.contains(to) {
                    return Err(R::AlreadyOverflowed(to.clone()));
                }
                vec![CallEvent::Overflowed {
                    from: from.clone(),
                    to: to.clone(),
                    reason: *reason,
                }]
            }
            C::SendToVoicemail { queue, reason } => {
                if !matches!(s.phase, Phase::Arrived | Phase::Waiting) {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                let mut events = withdraw_offers(s);
                events.push(CallEvent::SentToVoicemail {
                    queue: queue.clone(),
                    reason: *reason,
                });
                events
            }
            C::RequestCallback { number } => {
                if s.phase != Phase::Waiting {
                    return Err(R::NotWaiting(s.phase.label()));
                }
                let Some(queue) = s.queue.clone() else {
                    return Err(R::NotWaiting(s.phase.label()));
                };
                let mut events = withdraw_offers(s);
                events.push(CallEvent::CallbackRequested {
                    queue,
                    number: number.clone(),
                });
                events
            }
            C::CallerHangUp => match &s.phase {
                Phase::Arrived => vec![ended(Party::Caller, EndReason::Abandoned)],
                Phase::CallbackWaiting { .. } if !s.callback_dialed => return Err(R::CallerGone),
                Phase::Waiting | Phase::Transferring { .. } | Phase::CallbackWaiting { .. } => {
                    let mut events = withdraw_offers(s);
                    if let Some(queue) = &s.queue {
                        events.push(CallEvent::Abandoned {
                            queue: queue.clone(),
                            waited_ms: waited(),
                        });
                    }
                    events.push(ended(Party::Caller, EndReason::Abandoned));
                    events
                }
                Phase::Talking { .. } => vec![ended(Party::Caller, EndReason::Completed)],
                Phase::Voicemail { .. } => vec![ended(Party::Caller, EndReason::Voicemail)],
                Phase::New | Phase::Ended { .. } => return Err(R::Ended),
            },
            C::AgentHangUp { agent } => {
                let (handler, _, conference, consult) = talking()?;
                if consult == Some(*agent) {
                    // The consulted agent hung up: the consult is off.
                    vec![CallEvent::ConsultCancelled { by: handler }]
                } else if conference.contains(agent)
                    || (handler == *agent && !conference.is_empty())
                {
                    vec![CallEvent::ConferenceLeft { agent: *agent }]
                } else if handler == *agent {
                    vec![ended(Party::Agent, EndReason::Completed)]
                } else {
                    return Err(R::NotTheAgent(*agent));
                }
            }
            C::End { reason } => {
                let mut events = withdraw_offers(s);
                events.push(ended(Party::System, *reason));
                events
            }
        })
    }

    fn evolve(mut s: CallState, event: &CallEvent, at: Timestamp) -> CallState {
        s.version += 1;
        match event {
            CallEvent::Arrived {
                number,
                caller,
                channel,
                customer,
            } => {
                s.number = number.clone();
                s.caller = caller.clone();
                s.channel = Some(*channel);
                s.customer = *customer;
                s.phase = Phase::Arrived;
            }
            CallEvent::IvrInput { digits } => s.digits = Some(digits.clone()),
            CallEvent::Queued {
                queue,
                priority,
                skills,
            } => {
                s.queue = Some(queue.clone());
                s.queued_at = Some(at);
                s.priority = *priority;
                s.skills = skills.clone();
                s.overflowed_to.clear();
                s.phase = Phase::Waiting;
            }
            CallEvent::Offered {
                agent,
                queue,
                ring_timeout_ms,
            } => s.offers.push(Offer {
                agent: *agent,
                queue: queue.clone(),
                at,
                ring_timeout_ms: *ring_timeout_ms,
            }),
            CallEvent::OfferMissed { agent, .. } => s.offers.retain(|o| o.agent != *agent),
            CallEvent::Answered { agent, .. } => {
                s.offers.retain(|o| o.agent != *agent);
                s.answered_at.get_or_insert(at);
                s.agents.push(*agent);
                s.phase = Phase::Talking {
                    agent: *agent,
                    held: false,
                    conference: Vec::new(),
                    consult: None,
                };
            }
            CallEvent::Held { .. } => set_held(&mut s, true),
            CallEvent::Resumed { .. } => set_held(&mut s, false),
            CallEvent::Transferred {
                kind, to, notes, ..
            } => {
                s.transfers += 1;
                if let Some(n) = notes {
                    s.notes.push(n.clone());
                }
                s.phase = match (kind, to) {
                    (TransferKind::Warm, TransferTarget::Agent { agent }) => {
                        s.agents.push(*agent);
                        Phase::Talking {
                            agent: *agent,
                            held: false,
                            conference: Vec::new(),
                            consult: None,
                        }
                    }
                    _ => Phase::Transferring { target: to.clone() },
                };
            }
            CallEvent::Abandoned { .. } => {}
            CallEvent::Overflowed { to, .. } => s.overflowed_to.push(to.clone()),
            CallEvent::Ended { by, reason } => {
                s.offers.clear();
                s.phase = Phase::Ended {
                    by: *by,
                    reason: *reason,
                };
            }
            CallEvent::ConsultStarted { to, .. } => {
                if let (Phase::Talking { consult, held, .. }, TransferTarget::Agent { agent }) =
                    (&mut s.phase, to)
                {
                    *consult = Some(*agent);
                    *held = true;
                }
            }
            CallEvent::ConsultCancelled { .. } => {
                if let Phase::Talking { consult, held, .. } = &mut s.phase {
                    *consult = None;
                    *held = false;
                }
            }
            CallEvent::ConferenceJoined { agent, .. } => {
                if let Phase::Talking { conference, .. } = &mut s.phase {
                    conference.push(*agent);
                }
                s.agents.push(*agent);
            }
            CallEvent::ConferenceLeft { agent } => {
                if let Phase::Talking {
                    agent: handler,
                    conference,
                    ..
                } = &mut s.phase
                {
                    if *handler == *agent {
                        // The first party brought in takes the call over.
                        if !conference.is_empty() {
                            *handler = conference.remove(0);
                        }
                    } else {
                        conference.retain(|a| a != agent);
                    }
                }
            }
            CallEvent::SentToVoicemail { queue, .. } => {
                s.offers.clear();
                s.phase = Phase::Voicemail {
                    queue: queue.clone(),
                };
            }
            CallEvent::CallbackRequested { number, .. } => {
                s.offers.clear();
                s.callback_number = Some(number.clone());
                s.phase = Phase::CallbackWaiting {
                    number: number.clone(),
                };
            }
            CallEvent::CallbackDialed { .. } => s.callback_dialed = true,
        }
        s
    }
}

fn set_held(s: &mut CallState, to: bool) {
    if let Phase::Talking { held, .. } = &mut s.phase {
        *held = to;
    }
}

/// Every ringing offer ends before the call leaves the queue.
fn withdraw_offers(s: &CallState) -> Vec<CallEvent> {
    s.offers
        .iter()
        .map(|o| CallEvent::OfferMissed {
            agent: o.agent,
            reason: OfferMissReason::Withdrawn,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::spec::{at, given};
    use uuid::Uuid;

    fn agent(n: u128) -> AgentId {
        AgentId::from_uuid(Uuid::from_u128(n))
    }
    fn q(name: &str) -> QueueId {
        QueueId::new(name).unwrap()
    }
    const A: u128 = 1;
    const B: u128 = 2;
    const C: u128 = 3;

    fn arrived() -> Vec<CallEvent> {
        vec![CallEvent::Arrived {
            number: "+18005550100".into(),
            caller: "+15555550123".into(),
            channel: Channel::Voice,
            customer: None,
        }]
    }
    /// Queued at second 1 (arrival at 0).
    fn waiting() -> Vec<CallEvent> {
        let mut e = arrived();
        e.push(CallEvent::Queued {
            queue: q("sales"),
            priority: 0,
            skills: vec![],
        });
        e
    }
    fn offered(agents: &[u128]) -> Vec<CallEvent> {
        let mut e = waiting();
        e.extend(agents.iter().map(|&n| CallEvent::Offered {
            agent: agent(n),
            queue: q("sales"),
            ring_timeout_ms: 15_000,
        }));
        e
    }
    fn talking(n: u128) -> Vec<CallEvent> {
        let mut e = offered(&[n]);
        e.push(CallEvent::Answered {
            agent: agent(n),
            waited_ms: 2000,
        });
        e
    }
    fn push(mut h: Vec<CallEvent>, e: CallEvent) -> Vec<CallEvent> {
        h.push(e);
        h
    }

    #[test]
    fn a_call_arrives_once() {
        given::<Call>([])
            .when(CallCommand::Arrive {
                number: "+18005550100".into(),
                caller: "+15555550123".into(),
                channel: Channel::Voice,
                customer: None,
            })
            .then(arrived());
        given::<Call>(arrived())
            .when(CallCommand::Arrive {
                number: "+1".into(),
                caller: "+2".into(),
                channel: Channel::Voice,
                customer: None,
            })
            .then_err(CallRejection::AlreadyArrived);
    }

    #[test]
    fn a_call_that_never_arrived_refuses_everything() {
        given::<Call>([])
            .when(CallCommand::CallerHangUp)
            .then_err(CallRejection::NotArrived);
    }

    #[test]
    fn the_caller_keys_digits_in_the_ivr() {
        let s = given::<Call>(arrived())
            .when(CallCommand::EnterDigits { digits: "2".into() })
            .then([CallEvent::IvrInput { digits: "2".into() }]);
        assert_eq!(s.digits.as_deref(), Some("2"));
        given::<Call>(arrived())
            .when(CallCommand::EnterDigits {
                digits: "2a".into(),
            })
            .then_err(CallRejection::BadDigits);
        given::<Call>(waiting())
            .when(CallCommand::EnterDigits { digits: "1".into() })
            .then_err(CallRejection::NotWaiting("waiting in queue"));
    }

    #[test]
    fn a_call_queues_with_priority_and_skills() {
        let spanish = SkillName::new("spanish").unwrap();
        let s = given::<Call>(arrived())
            .when(CallCommand::Queue {
                queue: q("sales"),
                priority: 7,
                skills: vec![spanish.clone()],
            })
            .then([CallEvent::Queued {
                queue: q("sales"),
                priority: 7,
                skills: vec![spanish],
            }]);
        assert_eq!(s.phase, Phase::Waiting);
        assert_eq!(s.queued_at, Some(at(1)));
        given::<Call>(waiting())
            .when(CallCommand::Queue {
                queue: q("sales"),
                priority: 0,
                skills: vec![],
            })
            .then_err(CallRejection::NotWaiting("waiting in queue"));
    }

    #[test]
    fn a_call_never_queued_cannot_be_offered() {
        given::<Call>(arrived())
            .when(CallCommand::Offer {
                agent: agent(A),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            })
            .then_err(CallRejection::NotWaiting("in the IVR"));
    }

    #[test]
    fn a_waiting_call_rings_at_several_agents_for_ring_all() {
        let s = given::<Call>(offered(&[A]))
            .when(CallCommand::Offer {
                agent: agent(B),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            })
            .then([CallEvent::Offered {
                agent: agent(B),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            }]);
        assert_eq!(s.offers.len(), 2);
        given::<Call>(offered(&[A]))
            .when(CallCommand::Offer {
                agent: agent(A),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            })
            .then_err(CallRejection::AlreadyOffered(agent(A)));
    }

    #[test]
    fn answering_one_offer_ends_the_others() {
        // Queued at 1 s, offers at 2 s and 3 s, answered at 10 s: waited 9 s.
        let s = given::<Call>(offered(&[A, B]))
            .at(at(10))
            .when(CallCommand::Answer { agent: agent(B) })
            .then([
                CallEvent::Answered {
                    agent: agent(B),
                    waited_ms: 9000,
                },
                CallEvent::OfferMissed {
                    agent: agent(A),
                    reason: OfferMissReason::AnsweredElsewhere,
                },
            ]);
        assert_eq!(s.agent(), Some(agent(B)));
        assert!(s.offers.is_empty());
    }

    #[test]
    fn an_offer_is_answered_at_most_once() {
        given::<Call>(talking(A))
            .when(CallCommand::Answer { agent: agent(A) })
            .then_err(CallRejection::NoSuchOffer(agent(A)));
        given::<Call>(offered(&[A]))
            .when(CallCommand::Answer { agent: agent(B) })
            .then_err(CallRejection::NoSuchOffer(agent(B)));
    }

    #[test]
    fn a_missed_offer_leaves_the_call_waiting() {
        let s = given::<Call>(offered(&[A]))
            .when(CallCommand::MissOffer {
                agent: agent(A),
                reason: OfferMissReason::NoAnswer,
            })
            .then([CallEvent::OfferMissed {
                agent: agent(A),
                reason: OfferMissReason::NoAnswer,
            }]);
        assert_eq!(s.phase, Phase::Waiting);
        assert!(s.offers.is_empty());
        given::<Call>(waiting())
            .when(CallCommand::MissOffer {
                agent: agent(A),
                reason: OfferMissReason::NoAnswer,
            })
            .then_err(CallRejection::NoSuchOffer(agent(A)));
    }

    #[test]
    fn hold_and_resume_belong_to_the_handling_agent() {
        let s = given::<Call>(talking(A))
            .when(CallCommand::Hold { by: agent(A) })
            .then([CallEvent::Held { by: agent(A) }]);
        assert!(matches!(s.phase, Phase::Talking { held: true, .. }));
        given::<Call>(push(talking(A), CallEvent::Held { by: agent(A) }))
            .when(CallCommand::Hold { by: agent(A) })
            .then_err(CallRejection::AlreadyHeld);
        given::<Call>(push(talking(A), CallEvent::Held { by: agent(A) }))
            .when(CallCommand::Resume { by: agent(A) })
            .then([CallEvent::Resumed { by: agent(A) }]);
        given::<Call>(talking(A))
            .when(CallCommand::Resume { by: agent(A) })
            .then_err(CallRejection::NotHeld);
        given::<Call>(talking(A))
            .when(CallCommand::Hold { by: agent(B) })
            .then_err(CallRejection::NotTheAgent(agent(B)));
        given::<Call>(waiting())
            .when(CallCommand::Hold { by: agent(A) })
            .then_err(CallRejection::NotTalking("waiting in queue"));
    }

    #[test]
    fn a_blind_transfer_to_a_queue_waits_there_with_the_notes() {
        let s = given::<Call>(talking(A))
            .when(CallCommand::Transfer {
                by: agent(A),
                to: TransferTarget::Queue {
                    queue: q("billing"),
                },
                notes: Some("disputes invoice 42".into()),
            })
            .then([CallEvent::Transferred {
                kind: TransferKind::Blind,
                from: agent(A),
                to: TransferTarget::Queue {
                    queue: q("billing"),
                },
                notes: Some("disputes invoice 42".into()),
            }]);
        assert_eq!(s.transfers, 1);
        assert_eq!(s.notes, vec!["disputes invoice 42".to_owned()]);
        let requeued = given::<Call>(push(
            talking(A),
            CallEvent::Transferred {
                kind: TransferKind::Blind,
                from: agent(A),
                to: TransferTarget::Queue {
                    queue: q("billing"),
                },
                notes: Some("disputes invoice 42".into()),
            },
        ))
        .when(CallCommand::Queue {
            queue: q("billing"),
            priority: 0,
            skills: vec![],
        })
        .then([CallEvent::Queued {
            queue: q("billing"),
            priority: 0,
            skills: vec![],
        }]);
        assert_eq!(requeued.notes, vec!["disputes invoice 42".to_owned()]);
        assert_eq!(requeued.queue, Some(q("billing")));
    }

    #[test]
    fn a_blind_transfer_to_an_agent_rings_that_agent() {
        let h = push(
            talking(A),
            CallEvent::Transferred {
                kind: TransferKind::Blind,
                from: agent(A),
                to: TransferTarget::Agent { agent: agent(B) },
                notes: None,
            },
        );
        let s = given::<Call>(h.clone())
            .when(CallCommand::Offer {
                agent: agent(B),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            })
            .then([CallEvent::Offered {
                agent: agent(B),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            }]);
        let s = Call::evolve(
            s,
            &CallEvent::Answered {
                agent: agent(B),
                waited_ms: 0,
            },
            at(20),
        );
        assert_eq!(s.agents, vec![agent(A), agent(B)]);
        given::<Call>(talking(A))
            .when(CallCommand::Transfer {
                by: agent(A),
                to: TransferTarget::Agent { agent: agent(A) },
                notes: None,
            })
            .then_err(CallRejection::AlreadyConnected(agent(A)));
    }

    #[test]
    fn a_warm_transfer_consults_then_hands_over() {
        let s = given::<Call>(talking(A))
            .when(CallCommand::StartConsult {
                by: agent(A),
                agent: agent(B),
            })
            .then([CallEvent::ConsultStarted {
                by: agent(A),
                to: TransferTarget::Agent { agent: agent(B) },
            }]);
        assert!(matches!(
            s.phase,
            Phase::Talking { held: true, consult: Some(b), .. } if b == agent(B)
        ));
        let consulting = push(
            talking(A),
            CallEvent::ConsultStarted {
                by: agent(A),
                to: TransferTarget::Agent { agent: agent(B) },
            },
        );
        let s = given::<Call>(consulting.clone())
            .when(CallCommand::CompleteConsult {
                by: agent(A),
                notes: Some("VIP".into()),
            })
            .then([CallEvent::Transferred {
                kind: TransferKind::Warm,
                from: agent(A),
                to: TransferTarget::Agent { agent: agent(B) },
                notes: Some("VIP".into()),
            }]);
        assert_eq!(s.agent(), Some(agent(B)));
        assert_eq!(s.notes, vec!["VIP".to_owned()]);
        given::<Call>(consulting.clone())
            .when(CallCommand::StartConsult {
                by: agent(A),
                agent: agent(C),
            })
            .then_err(CallRejection::ConsultInProgress);
        given::<Call>(consulting.clone())
            .when(CallCommand::Resume { by: agent(A) })
            .then_err(CallRejection::ConsultInProgress);
        let s = given::<Call>(consulting)
            .when(CallCommand::CancelConsult { by: agent(A) })
            .then([CallEvent::ConsultCancelled { by: agent(A) }]);
        assert!(matches!(
            s.phase,
            Phase::Talking {
                held: false,
                consult: None,
                ..
            }
        ));
        given::<Call>(talking(A))
            .when(CallCommand::CompleteConsult {
                by: agent(A),
                notes: None,
            })
            .then_err(CallRejection::NoConsult);
    }

    #[test]
    fn the_consulted_agent_hanging_up_cancels_the_consult() {
        let consulting = push(
            talking(A),
            CallEvent::ConsultStarted {
                by: agent(A),
                to: TransferTarget::Agent { agent: agent(B) },
            },
        );
        given::<Call>(consulting)
            .when(CallCommand::AgentHangUp { agent: agent(B) })
            .then([CallEvent::ConsultCancelled { by: agent(A) }]);
    }

    #[test]
    fn a_three_party_conference_goes_on_when_one_leaves() {
        let s = given::<Call>(talking(A))
            .when(CallCommand::Conference {
                by: agent(A),
                agent: agent(B),
            })
            .then([CallEvent::ConferenceJoined {
                agent: agent(B),
                by: agent(A),
            }]);
        assert_eq!(s.connected_agents(), vec![agent(A), agent(B)]);
        let conf = push(
            talking(A),
            CallEvent::ConferenceJoined {
                agent: agent(B),
                by: agent(A),
            },
        );
        given::<Call>(conf.clone())
            .when(CallCommand::Conference {
                by: agent(A),
                agent: agent(B),
            })
            .then_err(CallRejection::AlreadyConnected(agent(B)));
        // The handling agent leaves: the party brought in takes the call over.
        let s = given::<Call>(conf.clone())
            .when(CallCommand::AgentHangUp { agent: agent(A) })
            .then([CallEvent::ConferenceLeft { agent: agent(A) }]);
        assert_eq!(s.agent(), Some(agent(B)));
        assert_eq!(s.connected_agents(), vec![agent(B)]);
        let s = given::<Call>(conf.clone())
            .when(CallCommand::LeaveConference { agent: agent(B) })
            .then([CallEvent::ConferenceLeft { agent: agent(B) }]);
        assert_eq!(s.connected_agents(), vec![agent(A)]);
        given::<Call>(conf)
            .when(CallCommand::LeaveConference { agent: agent(C) })
            .then_err(CallRejection::NotInConference(agent(C)));
        given::<Call>(talking(A))
            .when(CallCommand::LeaveConference { agent: agent(A) })
            .then_err(CallRejection::NotInConference(agent(A)));
    }

    #[test]
    fn a_caller_hanging_up_while_waiting_abandons() {
        // Queued at 1 s, offers at 2 s; hangs up at 30 s.
        let s = given::<Call>(offered(&[A]))
            .at(at(30))
            .when(CallCommand::CallerHangUp)
            .then([
                CallEvent::OfferMissed {
                    agent: agent(A),
                    reason: OfferMissReason::Withdrawn,
                },
                CallEvent::Abandoned {
                    queue: q("sales"),
                    waited_ms: 29_000,
                },
                CallEvent::Ended {
                    by: Party::Caller,
                    reason: EndReason::Abandoned,
                },
            ]);
        assert!(s.is_ended());
    }

    #[test]
    fn a_caller_hanging_up_in_the_ivr_ends_without_a_queue_abandon() {
        given::<Call>(arrived())
            .when(CallCommand::CallerHangUp)
            .then([CallEvent::Ended {
                by: Party::Caller,
                reason: EndReason::Abandoned,
            }]);
    }

    #[test]
    fn a_conversation_ends_by_whoever_hangs_up() {
        given::<Call>(talking(A))
            .when(CallCommand::CallerHangUp)
            .then([CallEvent::Ended {
                by: Party::Caller,
                reason: EndReason::Completed,
            }]);
        given::<Call>(talking(A))
            .when(CallCommand::AgentHangUp { agent: agent(A) })
            .then([CallEvent::Ended {
                by: Party::Agent,
                reason: EndReason::Completed,
            }]);
        given::<Call>(talking(A))
            .when(CallCommand::AgentHangUp { agent: agent(B) })
            .then_err(CallRejection::NotTheAgent(agent(B)));
    }

    #[test]
    fn an_ended_call_refuses_every_command() {
        let h = push(
            talking(A),
            CallEvent::Ended {
                by: Party::Caller,
                reason: EndReason::Completed,
            },
        );
        for cmd in [
            CallCommand::CallerHangUp,
            CallCommand::Hold { by: agent(A) },
            CallCommand::End {
                reason: EndReason::Failed,
            },
            CallCommand::Offer {
                agent: agent(B),
                queue: q("sales"),
                ring_timeout_ms: 1,
            },
        ] {
            given::<Call>(h.clone())
                .when(cmd)
                .then_err(CallRejection::Ended);
        }
    }

    #[test]
    fn a_waiting_call_overflows_once_per_queue() {
        let s = given::<Call>(waiting())
            .when(CallCommand::Overflow {
                from: q("sales"),
                to: q("support"),
                reason: OverflowReason::WaitedTooLong,
            })
            .then([CallEvent::Overflowed {
                from: q("sales"),
                to: q("support"),
                reason: OverflowReason::WaitedTooLong,
            }]);
        assert_eq!(s.overflowed_to, vec![q("support")]);
        given::<Call>(push(
            waiting(),
            CallEvent::Overflowed {
                from: q("sales"),
                to: q("support"),
                reason: OverflowReason::WaitedTooLong,
            },
        ))
        .when(CallCommand::Overflow {
            from: q("sales"),
            to: q("support"),
            reason: OverflowReason::QueueTooLong,
        })
        .then_err(CallRejection::AlreadyOverflowed(q("support")));
        given::<Call>(talking(A))
            .when(CallCommand::Overflow {
                from: q("sales"),
                to: q("support"),
                reason: OverflowReason::WaitedTooLong,
            })
            .then_err(CallRejection::NotWaiting("in conversation"));
    }

    #[test]
    fn after_the_maximum_wait_the_caller_leaves_a_voicemail() {
        let s = given::<Call>(offered(&[A]))
            .when(CallCommand::SendToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::MaxWait,
            })
            .then([
                CallEvent::OfferMissed {
                    agent: agent(A),
                    reason: OfferMissReason::Withdrawn,
                },
                CallEvent::SentToVoicemail {
                    queue: q("sales"),
                    reason: VoicemailReason::MaxWait,
                },
            ]);
        assert_eq!(s.phase, Phase::Voicemail { queue: q("sales") });
        let vm = push(
            waiting(),
            CallEvent::SentToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::MaxWait,
            },
        );
        given::<Call>(vm)
            .when(CallCommand::CallerHangUp)
            .then([CallEvent::Ended {
                by: Party::Caller,
                reason: EndReason::Voicemail,
            }]);
    }

    #[test]
    fn a_closed_center_sends_an_arriving_call_to_voicemail() {
        given::<Call>(arrived())
            .when(CallCommand::SendToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::Closed,
            })
            .then([CallEvent::SentToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::Closed,
            }]);
        given::<Call>(talking(A))
            .when(CallCommand::SendToVoicemail {
                queue: q("sales"),
                reason: VoicemailReason::Closed,
            })
            .then_err(CallRejection::NotWaiting("in conversation"));
    }

    #[test]
    fn a_callback_keeps_the_place_then_rings_the_agent_and_dials_back() {
        let s = given::<Call>(waiting())
            .when(CallCommand::RequestCallback {
                number: "+15555550123".into(),
            })
            .then([CallEvent::CallbackRequested {
                queue: q("sales"),
                number: "+15555550123".into(),
            }]);
        assert_eq!(s.queued_at, Some(at(1)), "the place (its time) is kept");
        let cb = push(
            waiting(),
            CallEvent::CallbackRequested {
                queue: q("sales"),
                number: "+15555550123".into(),
            },
        );
        given::<Call>(cb.clone())
            .when(CallCommand::CallerHangUp)
            .then_err(CallRejection::CallerGone);
        let s = given::<Call>(cb)
            .when(CallCommand::Offer {
                agent: agent(A),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            })
            .then([
                CallEvent::CallbackDialed {
                    number: "+15555550123".into(),
                },
                CallEvent::Offered {
                    agent: agent(A),
                    queue: q("sales"),
                    ring_timeout_ms: 15_000,
                },
            ]);
        assert!(s.callback_dialed);
        let dialed = push(
            push(
                waiting(),
                CallEvent::CallbackRequested {
                    queue: q("sales"),
                    number: "+15555550123".into(),
                },
            ),
            CallEvent::CallbackDialed {
                number: "+15555550123".into(),
            },
        );
        let offered = push(
            dialed,
            CallEvent::Offered {
                agent: agent(A),
                queue: q("sales"),
                ring_timeout_ms: 15_000,
            },
        );
        // A second offer (the first rang out) does not dial again. Queued at 1 s; the
        // agent answers at 100 s.
        let s = given::<Call>(offered)
            .at(at(100))
            .when(CallCommand::Answer { agent: agent(A) })
            .then([CallEvent::Answered {
                agent: agent(A),
                waited_ms: 99_000,
            }]);
        assert_eq!(s.agent(), Some(agent(A)));
    }

    #[test]
    fn only_a_waiting_caller_can_ask_for_a_callback() {
        given::<Call>(arrived())
            .when(CallCommand::RequestCallback {
                number: "+15555550123".into(),
            })
            .then_err(CallRejection::NotWaiting("in the IVR"));
    }

    #[test]
    fn the_system_ends_a_call_withdrawing_its_offers() {
        given::<Call>(offered(&[A]))
            .when(CallCommand::End {
                reason: EndReason::SystemRestart,
            })
            .then([
                CallEvent::OfferMissed {
                    agent: agent(A),
                    reason: OfferMissReason::Withdrawn,
                },
                CallEvent::Ended {
                    by: Party::System,
                    reason: EndReason::SystemRestart,
                },
            ]);
    }

    #[test]
    fn the_fold_of_a_history_counts_versions() {
        let s = Call::fold(talking(A).iter().map(|e| (e, at(0))));
        assert_eq!(s.version, 4);
        assert_eq!(s.agents, vec![agent(A)]);
    }
}
