//! The telephony port: the commands the call actors give a phone network, and the reports
//! the network sends back.
//!
//! Commands are requests, not conversations: each returns at once, saying only whether the
//! network accepted it, and whatever happens later (a caller keys digits, an agent picks up,
//! a callee answers) comes back as a [`NetworkReport`] on the one report channel the network
//! hands out when it is created. The system's switchboard reads that channel and dispatches
//! by [`NetworkReport::call`]. This keeps actors free of network timing: an actor appends its
//! decision, gives the command, and goes on; the outcome is a new message like any other.

use std::time::Duration;

use hotline_events::{AgentId, CallId};
use tokio::sync::mpsc;

/// Audio on the port is 8 kHz, 16-bit linear PCM (the G.711 rate, decoded).
pub const SAMPLE_RATE: u32 = 8_000;
/// Samples of one party in one [`AudioFrame`]: 20 ms, the usual RTP packet time.
pub const FRAME_SAMPLES: usize = 160;
/// The time one [`AudioFrame`] covers.
pub const FRAME_TIME: Duration = Duration::from_millis(20);

/// 20 ms of a call's audio, each party apart: what the caller said and what the agent (or
/// the agents of a conference, mixed) said, so a recording keeps them in two channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFrame {
    pub caller: [i16; FRAME_SAMPLES],
    pub agent: [i16; FRAME_SAMPLES],
}

impl AudioFrame {
    pub const SILENCE: AudioFrame = AudioFrame {
        caller: [0; FRAME_SAMPLES],
        agent: [0; FRAME_SAMPLES],
    };
}

/// A phone network as the call actors drive it: the simulated one today, SIP later.
///
/// Commands are requests: they return at once; outcomes come back as [`NetworkReport`]s.
/// An `Err` means the network refused the command (unknown or ended call, unknown agent…);
/// nothing about it will be reported. Repeating a command whose effect is already in place
/// (answer, hold, resume, record, ring or stop ringing the same agent) is accepted and does
/// nothing, so that an actor rebuilt from the log may perform its effects again.
pub trait Telephony: Send + Sync + std::fmt::Debug + 'static {
    /// Pick up an incoming call (the caller hears the center from now on).
    fn answer(&self, call: CallId) -> Result<(), TelephonyError>;

    /// Play a prompt to the caller. Nothing is reported when it ends.
    fn play(&self, call: CallId, prompt: &str) -> Result<(), TelephonyError>;

    /// Collect up to `max_digits` keyed digits. Report `Digits`, or `DigitsTimedOut` if the
    /// caller keys nothing within `timeout`. A new collection replaces one still running.
    fn collect_digits(
        &self,
        call: CallId,
        max_digits: u8,
        timeout: Duration,
    ) -> Result<(), TelephonyError>;

    /// Ring agent's phone with the call; report `AgentAnswered` / `AgentDeclined` (the system
    /// enforces the timeout itself; `timeout` lets a real switch stop ringing too).
    fn ring_agent(
        &self,
        call: CallId,
        agent: AgentId,
        timeout: Duration,
    ) -> Result<(), TelephonyError>;

    /// Stop ringing agent's phone for the call; an answer not yet reported will not be.
    fn stop_ringing(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError>;

    /// Connect the caller and the agent; talk starts.
    fn bridge(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError>;

    /// Put the caller on hold (the agents stay on the line).
    fn hold(&self, call: CallId) -> Result<(), TelephonyError>;

    /// Take the caller off hold.
    fn resume(&self, call: CallId) -> Result<(), TelephonyError>;

    /// Add agent as a third party to the call's conversation.
    fn conference(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError>;

    /// Drop one agent's leg; the others stay connected.
    fn drop_agent(&self, call: CallId, agent: AgentId) -> Result<(), TelephonyError>;

    /// Start (`on`) or stop recording the call's conversation.
    fn record(&self, call: CallId, on: bool) -> Result<(), TelephonyError>;

    /// The call's audio from now on, one [`AudioFrame`] per 20 ms in order and without gaps
    /// (silence while nobody talks), until the call ends, when the channel closes. A
    /// network that carries no media refuses ([`TelephonyError::NoAudio`]), which is the
    /// default.
    fn audio(&self, call: CallId) -> Result<mpsc::Receiver<AudioFrame>, TelephonyError> {
        let _ = call;
        Err(TelephonyError::NoAudio)
    }

    /// Dial `number` for `call` (callbacks, later outbound); report `CalleeAnswered` /
    /// `DialFailed`. This puts a new call on the network under `call`: the id must not be on
    /// the network already (it may be one whose caller has hung up, as in a callback).
    fn originate(&self, call: CallId, number: &str) -> Result<(), TelephonyError>;

    /// End the call, for every party on it. Nothing is reported.
    fn hang_up(&self, call: CallId) -> Result<(), TelephonyError>;

    /// Whether the network still has the call: after a restart, the system asks this of
    /// every call its log says is live, since reports sent while it was down are lost.
    fn is_live(&self, call: CallId) -> bool;
}

/// Something that happened on the network, for one call.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkReport {
    /// A caller dialed `number` (the DID) from `caller` (the ANI).
    Incoming {
        call: CallId,
        number: String,
        caller: String,
    },
    /// The digits the caller keyed for a `collect_digits`.
    Digits { call: CallId, digits: String },
    /// The caller keyed nothing within a `collect_digits`' timeout.
    DigitsTimedOut { call: CallId },
    /// The caller (or the callee of an `originate`) hung up; the call is over.
    CallerHungUp { call: CallId },
    /// The agent picked up the ringing phone.
    AgentAnswered { call: CallId, agent: AgentId },
    /// The agent refused the ring.
    AgentDeclined { call: CallId, agent: AgentId },
    /// The agent hung up their leg; the caller is still there.
    AgentHungUp { call: CallId, agent: AgentId },
    /// The number dialed by `originate` answered.
    CalleeAnswered { call: CallId },
    /// The number dialed by `originate` could not be reached; the call is over.
    DialFailed { call: CallId, reason: DialFailure },
}

impl NetworkReport {
    /// The call the report is about: what the switchboard dispatches on.
    pub fn call(&self) -> CallId {
        match self {
            Self::Incoming { call, .. }
            | Self::Digits { call, .. }
            | Self::DigitsTimedOut { call }
            | Self::CallerHungUp { call }
            | Self::AgentAnswered { call, .. }
            | Self::AgentDeclined { call, .. }
            | Self::AgentHungUp { call, .. }
            | Self::CalleeAnswered { call }
            | Self::DialFailed { call, .. } => *call,
        }
    }

    /// The agent the report is about, if it is about one.
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            Self::AgentAnswered { agent, .. }
            | Self::AgentDeclined { agent, .. }
            | Self::AgentHungUp { agent, .. } => Some(*agent),
            _ => None,
        }
    }
}

/// Why a dialed number was not reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialFailure {
    /// The line was busy.
    Busy,
    /// It rang out.
    NoAnswer,
    /// The network could not place the call (no such number, congestion).
    Failed,
    /// Answering-machine detection heard a machine; the network dropped the line.
    AnsweringMachine,
}

/// Why the network refused a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TelephonyError {
    #[error("call {0} is not on the network: it was never placed, or it has already ended")]
    UnknownCall(CallId),
    #[error("agent {0} has no phone on the network: register it before ringing or bridging it")]
    UnknownAgent(AgentId),
    #[error("the network is closed: its report receiver was dropped")]
    Closed,
    #[error("call {0} has no agent connected: bridge an agent first")]
    NotConnected(CallId),
    #[error(
        "call {call} is already bridged to agent {agent}: conference the new agent, or drop the first one"
    )]
    AlreadyBridged { call: CallId, agent: AgentId },
    #[error("agent {agent} is not on call {call}")]
    AgentNotOnCall { call: CallId, agent: AgentId },
    #[error("call {0} is still dialing: wait for CalleeAnswered")]
    StillDialing(CallId),
    #[error("call {0} is already on the network: originate needs an id with no live call")]
    CallInProgress(CallId),
    #[error("the command needs a tokio runtime: call it from within one")]
    NoRuntime,
    #[error("this network carries no audio: calls cannot be recorded on it")]
    NoAudio,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_names_its_call() {
        let call = CallId::generate();
        let agent = AgentId::generate();
        let reports = [
            NetworkReport::Incoming {
                call,
                number: "800".into(),
                caller: "555".into(),
            },
            NetworkReport::Digits {
                call,
                digits: "1".into(),
            },
            NetworkReport::DigitsTimedOut { call },
            NetworkReport::CallerHungUp { call },
            NetworkReport::AgentAnswered { call, agent },
            NetworkReport::AgentDeclined { call, agent },
            NetworkReport::AgentHungUp { call, agent },
            NetworkReport::CalleeAnswered { call },
            NetworkReport::DialFailed {
                call,
                reason: DialFailure::Busy,
            },
        ];
        for report in &reports {
            assert_eq!(report.call(), call, "{report:?}");
        }
        assert_eq!(reports[4].agent(), Some(agent));
        assert_eq!(reports[0].agent(), None);
    }

    #[test]
    fn errors_name_the_call_and_what_to_do() {
        let call = CallId::generate();
        let message = TelephonyError::NotConnected(call).to_string();
        assert!(message.contains(&call.to_string()), "{message}");
        assert!(message.contains("bridge an agent first"), "{message}");
    }
}
