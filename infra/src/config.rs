//! The center's configuration: queues and their routing, agents, skills, numbers and
//! business hours, as the administrator writes them in TOML.
//!
//! These are the validated types the rest of the system reads; loading (with errors that
//! name the file, line and field) lives beside them.

use std::time::Duration;

use chrono_tz::Tz;
use hotline_events::{AgentId, QueueId, SkillName};

/// Everything a center needs to route calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterConfig {
    pub router: RouterSettings,
    /// Skills agents and queues may name.
    pub skills: Vec<SkillName>,
    pub queues: Vec<QueueConfig>,
    pub agents: Vec<AgentConfig>,
    pub numbers: Vec<NumberConfig>,
    pub hours: Vec<BusinessHours>,
}

/// Router-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterSettings {
    /// An agent who misses this many offers in a row is made not ready (`auto_pause`).
    pub auto_pause_after: u32,
    /// How often a waiting caller's position and estimated wait are announced.
    pub announce_every: Duration,
    /// How many recent handle times the estimated wait averages.
    pub estimate_window: u32,
}

impl Default for RouterSettings {
    fn default() -> Self {
        Self {
            auto_pause_after: 2,
            announce_every: Duration::from_secs(30),
            estimate_window: 50,
        }
    }
}

/// How a queue picks the agent for a waiting call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Every free member rings at once; the first to answer takes the call.
    RingAll,
    /// Hunting: the first free member in the queue's fixed order.
    Linear,
    /// The next free member after the one picked last (the memory is in the queue's stream).
    RoundRobin,
    /// The member free for the longest time.
    LongestIdle,
    /// The member who answered the fewest calls today.
    FewestCalls,
    /// The member with the least talk time today.
    LeastTalkTime,
    /// Any free member, uniformly.
    Random,
    /// Any free member, in proportion to the agent's weight.
    WeightedRandom,
    /// The best-skilled free members first, by tiers that widen with the wait.
    Skills,
}

impl Strategy {
    /// The name used in configuration files and in `agents_selected` events.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::RingAll => "ring_all",
            Strategy::Linear => "linear",
            Strategy::RoundRobin => "round_robin",
            Strategy::LongestIdle => "longest_idle",
            Strategy::FewestCalls => "fewest_calls",
            Strategy::LeastTalkTime => "least_talk_time",
            Strategy::Random => "random",
            Strategy::WeightedRandom => "weighted_random",
            Strategy::Skills => "skills",
        }
    }

    pub const ALL: [Strategy; 9] = [
        Strategy::RingAll,
        Strategy::Linear,
        Strategy::RoundRobin,
        Strategy::LongestIdle,
        Strategy::FewestCalls,
        Strategy::LeastTalkTime,
        Strategy::Random,
        Strategy::WeightedRandom,
        Strategy::Skills,
    ];
}

/// One queue (ACD group).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    pub id: QueueId,
    /// The name shown on wallboards.
    pub name: String,
    pub strategy: Strategy,
    /// How long an offer rings before it counts as missed.
    pub ring_timeout: Duration,
    /// After-call work granted to agents after a call of this queue.
    pub wrap_up: Duration,
    /// Skills a call of this queue needs (every one of them).
    pub skills: Vec<SkillName>,
    /// Skill tiers, for [`Strategy::Skills`]: tier `k` holds agents whose lowest level in
    /// the needed skills is at least `tiers.levels[k]`.
    pub tiers: Tiers,
    /// Also offer waiting calls to other queues' agents when these rules match.
    pub overflow: Vec<OverflowRule>,
    /// After this wait the caller goes to voicemail.
    pub max_wait: Option<Duration>,
    /// The name of the [`BusinessHours`] this queue keeps; always open when `None`.
    pub hours: Option<String>,
    /// Service level: answered within this threshold…
    pub service_level_threshold: Duration,
    /// …for this share of calls (0–100), the queue's target.
    pub service_level_target: u8,
    /// Whether waiting callers may ask to be called back (virtual hold).
    pub callback: bool,
    /// The handle time estimates assume before any call was measured.
    pub default_handle_time: Duration,
}

/// Skill tiers: best-skilled agents first, widening after a wait.
#[derive(Debug, Clone, PartialEq)]
pub struct Tiers {
    /// Minimum skill level per tier, strictly decreasing (e.g. `[8, 5, 1]`).
    pub levels: Vec<u8>,
    /// A waiting call is offered to the next tier after each such period.
    pub widen_after: Duration,
}

impl Default for Tiers {
    fn default() -> Self {
        Self {
            levels: vec![8, 5, 1],
            widen_after: Duration::from_secs(20),
        }
    }
}

/// When a waiting call is also offered to the agents of another queue.
#[derive(Debug, Clone, PartialEq)]
pub struct OverflowRule {
    pub to: QueueId,
    /// After the call waited this long…
    pub after: Option<Duration>,
    /// …or when more than this many calls wait in the queue.
    pub waiting_over: Option<u32>,
}

/// An agent the center knows.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// Stable across restarts: derived from the login when the file gives no id.
    pub id: AgentId,
    pub login: String,
    pub name: String,
    pub extension: Option<String>,
    /// Skill name and level (1–10).
    pub skills: Vec<(SkillName, u8)>,
    /// Queues this agent takes calls from, in the order of preference for linear hunting
    /// (a queue's hunting order is the order of its members in the file).
    pub queues: Vec<QueueId>,
    /// For [`Strategy::WeightedRandom`]; 1 by default.
    pub weight: u32,
}

/// A number callers dial (DID), and where its calls go.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberConfig {
    /// E.164, as the network delivers it.
    pub number: String,
    /// Where calls go with no (or unknown) IVR digits.
    pub queue: QueueId,
    /// IVR placeholder: digits the caller keys -> queue.
    pub menu: Vec<(String, QueueId)>,
    /// The priority calls of this number get (higher is served first).
    pub priority: u8,
}

impl NumberConfig {
    /// The queue for a caller who keyed `digits` (or none).
    pub fn route(&self, digits: Option<&str>) -> &QueueId {
        digits
            .and_then(|d| self.menu.iter().find(|(k, _)| k == d))
            .map_or(&self.queue, |(_, q)| q)
    }
}

/// Opening hours in a time zone, with holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    pub name: String,
    pub time_zone: Tz,
    /// Open intervals per weekday, Monday first: `(opens, closes)` as minutes after
    /// local midnight, `opens < closes`.
    pub week: [Vec<(u16, u16)>; 7],
    /// Local dates the center is closed all day.
    pub holidays: Vec<chrono::NaiveDate>,
}
