//! The [`Projection`] trait: a read model is a fold over the log, fed one decoded [`Fact`]
//! at a time and idempotent by log position, so that a rebuild from position 0 and an
//! incremental run from a checkpoint give the same tables.

use hotline_events::{Decoded, Event, Recorded, StreamName, Timestamp};
use uuid::Uuid;

/// One event of the log as every projection sees it. The runner decodes each log event
/// once and lends the result to all projections: decoding the JSON per projection would
/// cost more than all the folds together (the rebuild goal is 1M events/s).
#[derive(Debug, Clone, Copy)]
pub struct Fact<'a> {
    /// Place in the whole log, from 1: the projection's checkpoint.
    pub position: u64,
    pub stream: &'a StreamName,
    /// The stream's id when it is a UUID (`call-<uuid>`, `agent-<uuid>`…), parsed once
    /// for all the projections: each parsing it again was a tenth of a rebuild's folding.
    /// `None` for a stream named otherwise (`queue-sales`).
    pub entity: Option<Uuid>,
    pub occurred_at: Timestamp,
    pub event: &'a Event,
}

impl<'a> Fact<'a> {
    /// The fact of a recorded event whose data `event` was decoded from.
    pub fn new(recorded: &'a Recorded, event: &'a Event) -> Self {
        Self::of(
            recorded.position,
            &recorded.stream,
            recorded.occurred_at,
            event,
        )
    }

    /// The fact of `event` at `position` in `stream`.
    pub fn of(
        position: u64,
        stream: &'a StreamName,
        occurred_at: Timestamp,
        event: &'a Event,
    ) -> Self {
        Self {
            position,
            stream,
            entity: stream.entity(),
            occurred_at,
            event,
        }
    }

    /// The fact of an event the log decoded as it read it (its stream's UUID parsed once).
    pub fn decoded(decoded: &'a Decoded) -> Self {
        Self {
            position: decoded.position,
            stream: &decoded.stream,
            entity: decoded.entity,
            occurred_at: decoded.occurred_at,
            event: &decoded.event,
        }
    }

    /// The stream's entity as a typed id (`fact.id(CallId::from_uuid)`), if the stream's
    /// id is a UUID. The event's family says which entity it is.
    pub fn id<T>(&self, typed: fn(Uuid) -> T) -> Option<T> {
        self.entity.map(typed)
    }
}

/// A read model folded from the log.
pub trait Projection {
    /// The projection's name, as `hotline replay --projection NAME` and SQL know it.
    fn name(&self) -> &'static str;

    /// Folds one fact. A fact at or before the last position applied is ignored (the
    /// runner may deliver again after a restart), and so is an event the projection does
    /// not use or cannot read ([`Event::Opaque`]): `apply` never fails and never panics,
    /// because events are facts.
    fn apply(&mut self, fact: &Fact<'_>);

    /// The position of the last fact applied; 0 before the first.
    fn position(&self) -> u64;
}

/// The last log position a projection applied. Positions only grow, so anything at or
/// before it was already folded in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint(u64);

impl Checkpoint {
    /// Whether a fact at `position` is new; if so, it becomes the checkpoint.
    pub fn advance(&mut self, position: u64) -> bool {
        if position <= self.0 {
            return false;
        }
        self.0 = position;
        true
    }

    pub fn position(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use hotline_events::{AgentEvent, CallId, QueueId};

    use super::*;

    #[test]
    fn a_facts_entity_is_its_streams_uuid_and_none_for_a_named_stream() {
        let call: CallId = "0190c3d2-7b3a-7cc0-8000-000000000001".parse().unwrap();
        let event = Event::Agent(AgentEvent::Ready { by: None });
        let at = Timestamp::from_millis(0);
        let stream = call.stream();
        let fact = Fact::of(1, &stream, at, &event);
        assert_eq!(fact.id(CallId::from_uuid), Some(call));
        let queue = QueueId::new("sales").unwrap().stream();
        assert_eq!(Fact::of(2, &queue, at, &event).entity, None);
        let odd = StreamName::parse("call-not-a-uuid").unwrap();
        assert_eq!(Fact::of(3, &odd, at, &event).id(CallId::from_uuid), None);
    }

    #[test]
    fn a_checkpoint_accepts_only_later_positions() {
        let mut c = Checkpoint::default();
        assert!(c.advance(1));
        assert!(c.advance(5), "positions may skip (a filtered feed)");
        assert!(!c.advance(5), "the same position twice");
        assert!(!c.advance(3), "an older position");
        assert_eq!(c.position(), 5);
    }
}
