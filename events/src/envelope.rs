//! The envelope: what an appender hands the log ([`NewEvent`]) and what the log hands back
//! ([`Recorded`]), whose JSON form is the public wire format of `hotline log tail`, of the
//! Kafka topic and of audit exports.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::event::Event;
use crate::hash::{Chained, Hash};
use crate::id::MessageId;
use crate::stream::StreamName;
use crate::timestamp::Timestamp;

/// An event about to be appended. Its time comes from the injected clock, never from
/// the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event: Event,
    pub event_id: MessageId,
    pub occurred_at: Timestamp,
    /// The conversation or request this event belongs to.
    pub correlation_id: Option<MessageId>,
    /// The command or event that caused this event.
    pub causation_id: Option<MessageId>,
}

impl NewEvent {
    pub fn new(event: impl Into<Event>, occurred_at: Timestamp) -> Self {
        Self {
            event: event.into(),
            event_id: MessageId::generate(),
            occurred_at,
            correlation_id: None,
            causation_id: None,
        }
    }

    pub fn correlated(mut self, correlation: MessageId) -> Self {
        self.correlation_id = Some(correlation);
        self
    }

    pub fn caused_by(mut self, cause: MessageId) -> Self {
        self.causation_id = Some(cause);
        self
    }
}

/// An event as the log holds it: position, stream, version, the wire form of the event and
/// the hash chain. `data` is kept as JSON text so that scans do not pay for decoding;
/// [`Recorded::event`] decodes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Place in the whole log (or partition), from 1, without gaps.
    pub position: u64,
    pub stream: StreamName,
    /// Place in the stream, from 1, without gaps.
    pub version: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema: u16,
    pub occurred_at: Timestamp,
    pub event_id: MessageId,
    pub correlation_id: Option<MessageId>,
    pub causation_id: Option<MessageId>,
    pub prev_hash: Hash,
    pub hash: Hash,
    #[serde(serialize_with = "raw_json", deserialize_with = "raw_json_text")]
    pub data: String,
}

impl Recorded {
    pub fn event(&self) -> Event {
        Event::decode(
            self.stream.category(),
            &self.event_type,
            self.schema,
            &self.data,
        )
    }

    /// The fields the hash covers.
    pub fn chained(&self) -> Chained<'_> {
        Chained {
            position: self.position,
            stream: self.stream.as_str(),
            version: self.version,
            event_type: &self.event_type,
            schema: self.schema,
            occurred_at: self.occurred_at,
            event_id: self.event_id,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            data: &self.data,
        }
    }

    /// Whether `hash` is right for this event's fields and `prev_hash`.
    pub fn hash_is_valid(&self) -> bool {
        self.chained().hash(&self.prev_hash) == self.hash
    }
}

/// An event of the log as a fold reads it: decoded, without the envelope's ids and hashes.
/// Folds (the projections' rebuild and catch-up) never look at those, and a backend that
/// decodes as it reads ([`Decoded`] pages from the log's `read_decoded`) saves copying
/// each event's text and type out of the log and freeing them again on the folding thread
/// (a fifth of a rebuild's CPU went to that).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub position: u64,
    pub stream: StreamName,
    /// The stream's id when it is a UUID ([`StreamName::entity`]): a reader parses it once
    /// per stream, not once per event.
    pub entity: Option<Uuid>,
    pub occurred_at: Timestamp,
    pub event: Event,
}

impl Decoded {
    /// The decoded form of an event already read whole.
    pub fn of(recorded: &Recorded) -> Self {
        Self {
            position: recorded.position,
            stream: recorded.stream.clone(),
            entity: recorded.stream.entity(),
            occurred_at: recorded.occurred_at,
            event: recorded.event(),
        }
    }
}

fn raw_json<S: Serializer>(data: &str, s: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(data.to_owned()).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

fn raw_json_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    Ok(raw.get().to_owned())
}
