//! One module per entity (call, agent, router, ivr): a pure `decide` / `evolve` core and its
//! ractor shell, and the supervision tree that runs them on the event log and the
//! telephony port.

pub mod agent;
pub mod call;
pub mod campaign;
pub mod center;
pub mod decider;
pub mod directory;
pub mod ivr;
pub mod recorder;
pub mod retention;
pub mod roster;
pub mod router;
mod store;
pub mod voicemail;

pub use center::{Center, CenterError, CommandError, Services};
pub use recorder::Recorder;
