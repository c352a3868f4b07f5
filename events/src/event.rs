//! [`Event`], the union of every entity's events, and its codec to and from the wire form
//! (`type`, `schema` and a JSON `data` object).
//!
//! Reading never fails: an event of a type this build does not know, of a newer schema, or
//! whose data does not parse, is kept as an [`OpaqueEvent`] and passed through unchanged,
//! so an older reader neither panics nor silently drops what a newer writer wrote.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::access::AccessEvent;
use crate::agent::AgentEvent;
use crate::call::CallEvent;
use crate::campaign::CampaignEvent;
use crate::customer::CustomerEvent;
use crate::ivr::IvrEvent;
use crate::queue::QueueEvent;
use crate::recording::RecordingEvent;
use crate::survey::SurveyEvent;
use crate::voicemail::VoicemailEvent;

mod wire;

/// Any event of any stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Call(CallEvent),
    Agent(AgentEvent),
    Queue(QueueEvent),
    Campaign(CampaignEvent),
    Customer(CustomerEvent),
    Access(AccessEvent),
    Ivr(IvrEvent),
    Recording(RecordingEvent),
    Voicemail(VoicemailEvent),
    Survey(SurveyEvent),
    /// An event this build cannot read, kept byte for byte.
    Opaque(OpaqueEvent),
}

/// An event this build cannot interpret, with the reason. It is carried as it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct OpaqueEvent {
    pub event_type: String,
    pub schema: u16,
    /// The event's `data` object, as JSON text.
    pub data: String,
    pub why: Unreadable,
}

/// Why an event was kept opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The stream's category (`call`, `agent`, …) is not one this build knows.
    UnknownCategory,
    /// The category is known, the type is not: written by a newer build.
    UnknownType,
    /// Written with a newer schema than this build reads.
    NewerSchema { supported: u16 },
    /// Known type and schema, but the data does not match it.
    Malformed(String),
}

/// An event in its wire form: the type name, the schema version and the `data` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub event_type: String,
    pub schema: u16,
    pub data: String,
}

/// Why an event could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot encode the event as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a `{category}` stream cannot hold a `{family}` event")]
    WrongStream {
        category: String,
        family: &'static str,
    },
}

impl Event {
    /// The stream category this event belongs to (`call` for [`Event::Call`]); `None` for
    /// an opaque event, which may go to any stream.
    pub fn category(&self) -> Option<&'static str> {
        match self {
            Event::Call(_) => Some("call"),
            Event::Agent(_) => Some("agent"),
            Event::Queue(_) => Some("queue"),
            Event::Campaign(_) => Some("campaign"),
            Event::Customer(_) => Some("customer"),
            Event::Access(_) => Some("access"),
            Event::Ivr(_) => Some("ivr"),
            Event::Recording(_) => Some("recording"),
            Event::Voicemail(_) => Some("voicemail"),
            Event::Survey(_) => Some("survey"),
            Event::Opaque(_) => None,
        }
    }

    /// Checks that a stream of `category` may hold this event.
    pub fn check_stream(&self, category: &str) -> Result<(), CodecError> {
        match self.category() {
            Some(family) if family != category => Err(CodecError::WrongStream {
                category: category.to_owned(),
                family,
            }),
            _ => Ok(()),
        }
    }

    pub fn encode(&self) -> Result<Encoded, CodecError> {
        match self {
            Event::Call(e) => encode_tagged(e, CallEvent::SCHEMA),
            Event::Agent(e) => encode_tagged(e, AgentEvent::SCHEMA),
            Event::Queue(e) => encode_tagged(e, QueueEvent::SCHEMA),
            Event::Campaign(e) => encode_tagged(e, CampaignEvent::SCHEMA),
            Event::Customer(e) => encode_tagged(e, CustomerEvent::SCHEMA),
            Event::Access(e) => encode_tagged(e, AccessEvent::SCHEMA),
            Event::Ivr(e) => encode_tagged(e, IvrEvent::SCHEMA),
            Event::Recording(e) => encode_tagged(e, RecordingEvent::SCHEMA),
            Event::Voicemail(e) => encode_tagged(e, VoicemailEvent::SCHEMA),
            Event::Survey(e) => encode_tagged(e, SurveyEvent::SCHEMA),
            Event::Opaque(o) => Ok(Encoded {
                event_type: o.event_type.clone(),
                schema: o.schema,
                data: o.data.clone(),
            }),
        }
    }

    /// Reads an event of a stream of `category`. Never fails; see [`Unreadable`].
    pub fn decode(category: &str, event_type: &str, schema: u16, data: &str) -> Event {
        let result = match category {
            "call" => decode_tagged(event_type, schema, data, CallEvent::SCHEMA).map(Event::Call),
            "agent" => {
                decode_tagged(event_type, schema, data, AgentEvent::SCHEMA).map(Event::Agent)
            }
            "queue" => {
                decode_tagged(event_type, schema, data, QueueEvent::SCHEMA).map(Event::Queue)
            }
            "campaign" => {
                decode_tagged(event_type, schema, data, CampaignEvent::SCHEMA).map(Event::Campaign)
            }
            "customer" => {
                decode_tagged(event_type, schema, data, CustomerEvent::SCHEMA).map(Event::Customer)
            }
            "access" => {
                decode_tagged(event_type, schema, data, AccessEvent::SCHEMA).map(Event::Access)
            }
            "ivr" => decode_tagged(event_type, schema, data, IvrEvent::SCHEMA).map(Event::Ivr),
            "recording" => decode_tagged(event_type, schema, data, RecordingEvent::SCHEMA)
                .map(Event::Recording),
            "voicemail" => decode_tagged(event_type, schema, data, VoicemailEvent::SCHEMA)
                .map(Event::Voicemail),
            "survey" => {
                decode_tagged(event_type, schema, data, SurveyEvent::SCHEMA).map(Event::Survey)
            }
            _ => Err(Unreadable::UnknownCategory),
        };
        result.unwrap_or_else(|why| {
            Event::Opaque(OpaqueEvent {
                event_type: event_type.to_owned(),
                schema,
                data: data.to_owned(),
                why,
            })
        })
    }
}

impl From<CallEvent> for Event {
    fn from(e: CallEvent) -> Self {
        Event::Call(e)
    }
}
impl From<AgentEvent> for Event {
    fn from(e: AgentEvent) -> Self {
        Event::Agent(e)
    }
}
impl From<QueueEvent> for Event {
    fn from(e: QueueEvent) -> Self {
        Event::Queue(e)
    }
}
impl From<CampaignEvent> for Event {
    fn from(e: CampaignEvent) -> Self {
        Event::Campaign(e)
    }
}
impl From<CustomerEvent> for Event {
    fn from(e: CustomerEvent) -> Self {
        Event::Customer(e)
    }
}

impl From<AccessEvent> for Event {
    fn from(e: AccessEvent) -> Self {
        Event::Access(e)
    }
}

impl From<RecordingEvent> for Event {
    fn from(e: RecordingEvent) -> Self {
        Event::Recording(e)
    }
}

impl From<SurveyEvent> for Event {
    fn from(e: SurveyEvent) -> Self {
        Event::Survey(e)
    }
}

impl From<VoicemailEvent> for Event {
    fn from(e: VoicemailEvent) -> Self {
        Event::Voicemail(e)
    }
}

impl From<IvrEvent> for Event {
    fn from(e: IvrEvent) -> Self {
        Event::Ivr(e)
    }
}

fn encode_tagged<T: Serialize>(event: &T, schema: u16) -> Result<Encoded, CodecError> {
    let (event_type, data) = wire::encode(event)?;
    Ok(Encoded {
        event_type,
        schema,
        data,
    })
}

fn decode_tagged<T: DeserializeOwned>(
    event_type: &str,
    schema: u16,
    data: &str,
    supported: u16,
) -> Result<T, Unreadable> {
    if schema > supported {
        return Err(Unreadable::NewerSchema { supported });
    }
    wire::decode(event_type, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, QueueId};

    #[test]
    fn encoding_splits_the_tag_from_the_data() {
        let e = Event::Call(CallEvent::Queued {
            queue: QueueId::new("sales").unwrap(),
            priority: 5,
            skills: vec![],
        });
        let enc = e.encode().unwrap();
        assert_eq!(enc.event_type, "queued");
        assert_eq!(enc.schema, 1);
        assert_eq!(enc.data, r#"{"queue":"sales","priority":5}"#);
        assert_eq!(
            Event::decode("call", &enc.event_type, enc.schema, &enc.data),
            e
        );
    }

    #[test]
    fn fieldless_events_have_an_empty_data_object() {
        let enc = Event::Agent(AgentEvent::Ready { by: None })
            .encode()
            .unwrap();
        assert_eq!(
            (enc.event_type.as_str(), enc.data.as_str()),
            ("ready", "{}")
        );
        assert_eq!(
            Event::decode("agent", "ready", 1, "{ }"),
            Event::Agent(AgentEvent::Ready { by: None })
        );
    }

    #[test]
    fn an_unknown_type_is_kept_opaque() {
        let e = Event::decode("call", "teleported", 1, r#"{"to":"mars"}"#);
        let Event::Opaque(o) = e else {
            panic!("expected opaque, got {e:?}")
        };
        assert_eq!(o.why, Unreadable::UnknownType);
        assert_eq!(o.data, r#"{"to":"mars"}"#);
        // Passed through unchanged.
        let enc = Event::Opaque(o).encode().unwrap();
        assert_eq!(
            (enc.event_type.as_str(), enc.schema, enc.data.as_str()),
            ("teleported", 1, r#"{"to":"mars"}"#)
        );
    }

    #[test]
    fn a_newer_schema_is_kept_opaque_even_when_it_would_parse() {
        let e = Event::decode("agent", "ready", 2, "{}");
        assert!(
            matches!(
                e,
                Event::Opaque(OpaqueEvent {
                    why: Unreadable::NewerSchema { supported: 1 },
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn malformed_data_and_unknown_categories_are_kept_opaque_with_the_reason() {
        let e = Event::decode(
            "call",
            "answered",
            1,
            r#"{"agent":"not-a-uuid","waited_ms":3}"#,
        );
        let Event::Opaque(o) = e else {
            panic!("expected opaque")
        };
        assert!(
            matches!(&o.why, Unreadable::Malformed(m) if m.contains("UUID parsing failed")),
            "{:?}",
            o.why
        );
        assert!(matches!(
            Event::decode("call", "answered", 1, "[1]"),
            Event::Opaque(_)
        ));
        assert!(matches!(
            Event::decode("robot", "beeped", 1, "{}"),
            Event::Opaque(OpaqueEvent {
                why: Unreadable::UnknownCategory,
                ..
            })
        ));
    }

    #[test]
    fn an_event_is_refused_by_a_stream_of_another_category() {
        let e = Event::Call(CallEvent::Arrived {
            number: "+18005550100".into(),
            caller: "+15555550123".into(),
            channel: Channel::Voice,
            customer: None,
        });
        assert!(e.check_stream("call").is_ok());
        let err = e.check_stream("agent").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a `agent` stream cannot hold a `call` event"
        );
    }
}
