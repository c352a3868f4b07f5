//! The read models built from the log, each a pure fold over decoded events ([`Fact`]s),
//! idempotent by log position, and the [`runner`] that keeps them up to date (snapshots
//! with their checkpoints, catch-up, live tail) and SQL over them. This crate may depend on
//! events and infra, never on the actors.
//!
//! - [`calls`]: one row per call, with every timing, its outcome and disposition;
//! - [`agent_states`]: one row per agent state interval, with the reason code;
//! - [`queue_intervals`]: 15-minute aggregates per queue (offered, answered, SL, ASA, AHT);
//! - [`boards`]: the live wallboards per queue and per agent, for the local day;
//! - [`customers`]: CRM profiles, by id, phone number and external id;
//! - [`interactions`]: every contact of a customer, newest first, and the screen pop;
//! - [`campaign_attempts`]: one row per outbound dial attempt;
//! - [`recordings`]: the index of call recordings (who, when, how long, where, purged).
//! - [`voicemails`]: voicemail messages (box, caller, when, how long, handled, purged).
//! - [`surveys`]: post-call survey answers, by call, agent, queue and question (CSAT).
//!
//! [`crm_lookup`] serves the customers model to IVR flows (`source = "crm"`).
//!
//! [`sql`] puts them all behind one DataFusion session (CLI, HTTP, PostgreSQL wire), with
//! finished days kept as Parquet history.
//!
//! [`snapshot`] saves and restores a model's state; a snapshot of another layout or other
//! rules is rebuilt from the log, never misread.
//!
//! The metric definitions are those of the domain brief; [`queue_counts`] states each
//! rule and its denominator.

pub mod agent_states;
pub mod boards;
mod call_progress;
pub mod calls;
pub mod campaign_attempts;
pub mod crm_lookup;
pub mod customers;
mod fast_map;
#[cfg(test)]
mod history;
pub mod interactions;
pub mod projection;
pub mod queue_counts;
pub mod queue_intervals;
pub mod recordings;
pub mod rules;
pub mod runner;
pub mod snapshot;
pub mod sql;
pub mod surveys;
pub mod voicemails;

pub use agent_states::{AgentStateKind, AgentStateRow, AgentStates};
pub use boards::{AgentBoard, AgentsByState, Boards, QueueBoard};
pub use calls::{CallRow, Calls, Outcome};
pub use campaign_attempts::{
    AttemptRow, CampaignAttempts, CampaignInfo, CampaignStatus, CampaignSummary,
};
pub use crm_lookup::CrmLookup;
pub use customers::{CustomerProfile, Customers};
pub use interactions::{Interaction, Interactions, ScreenPop, screen_pop};
pub use projection::{Checkpoint, Fact, Projection};
pub use queue_counts::QueueCounts;
pub use queue_intervals::{INTERVAL_MS, IntervalRow, QueueIntervals};
pub use recordings::{RecordingRow, RecordingStatus, Recordings};
pub use rules::MetricRules;
pub use runner::{Name, ReadModels, Runner, RunnerError, RunnerOptions, Views};
pub use snapshot::{Discarded, Stored};
pub use surveys::{SurveyAnswer, SurveyRun, SurveyStatus, Surveys};
pub use voicemails::{VoicemailRow, VoicemailStatus, Voicemails};
