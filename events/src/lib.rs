//! Hotline's event vocabulary: typed ids, one event enum per entity, the envelope and its codec.
//!
//! This crate does no I/O. Everything written to the log, and everything an auditor or a
//! Kafka consumer reads back, is defined here; its JSON form is a public wire format pinned
//! by the golden files in `events/tests/golden/`.

pub mod access;
pub mod agent;
pub mod call;
pub mod campaign;
pub mod customer;
pub mod envelope;
pub mod event;
pub mod hash;
pub mod id;
pub mod ivr;
pub mod queue;
pub mod recording;
pub mod stream;
pub mod survey;
pub mod timestamp;
pub mod voicemail;

pub use access::AccessEvent;
pub use agent::{AgentEvent, Skill, SkillName};
pub use call::{
    CallEvent, Channel, EndReason, OfferMissReason, OverflowReason, Party, TransferKind,
    TransferTarget, VoicemailReason,
};
pub use campaign::{
    AttemptOutcome, BlockReason, CallingHours, CampaignEvent, CampaignSettings, ClockTime,
    CloseReason, DialMode, DispositionEffect, DispositionRule, RetryRule,
};
pub use customer::{CustomerEvent, PhoneError, normalize_phone};
pub use envelope::{Decoded, NewEvent, Recorded};
pub use event::{CodecError, Encoded, Event, OpaqueEvent, Unreadable};
pub use hash::Hash;
pub use id::{
    AgentId, CallId, CampaignId, CustomerId, IdError, LeadId, MessageId, QueueId, SeededIds,
};
pub use ivr::{FlowExit, InvalidReason, IvrEvent, NodeKind};
pub use queue::QueueEvent;
pub use recording::RecordingEvent;
pub use stream::{StreamError, StreamName};
pub use survey::SurveyEvent;
pub use timestamp::{Timestamp, TimestampError};
pub use voicemail::VoicemailEvent;
