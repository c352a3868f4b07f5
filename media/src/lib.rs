//! Hotline's telephony port and the simulated phone network behind it.
//!
//! The call actors drive calls through the [`Telephony`] trait: commands that return at
//! once, with outcomes coming back as [`NetworkReport`]s on one bounded channel that the
//! system's switchboard reads. [`SimNetwork`] implements the port with synthetic callers
//! ([`CallerScript`]) and agents' phones ([`AgentModel`]) whose timings are drawn from
//! [`Dist`]ributions, on tokio time: on a current-thread runtime with paused time it is a
//! deterministic virtual network for tests, demos, load runs and simulations. A connected call's
//! audio comes as [`AudioFrame`]s ([`Telephony::audio`]); [`wav`] turns them into the WAV
//! files recordings are. SIP/RTP comes later, behind the same port.
//!
//! This crate depends on the event vocabulary (for call and agent ids) and nothing above it.

pub mod sim;
pub mod telephony;
pub mod wav;

pub use sim::{
    AMD_LISTENS, AgentModel, Arrivals, CallerScript, Dist, DistError, MAX_SECS, OutboundScript,
    SimNetwork, SimStats, poisson_gap,
};
pub use telephony::{
    AudioFrame, DialFailure, FRAME_SAMPLES, FRAME_TIME, NetworkReport, SAMPLE_RATE, Telephony,
    TelephonyError,
};
