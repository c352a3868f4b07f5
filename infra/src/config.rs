//! The center's configuration: queues and their routing, agents, skills, numbers and
//! business hours, as the administrator writes them in TOML.
//!
//! These are the validated types the rest of the system reads; loading (with errors that
//! name the file, line and field) lives beside them: [`CenterConfig::load`] and
//! [`CenterConfig::parse`]. `config/center.toml` at the repository root documents the format.

mod duration;
mod error;
pub mod flow;
mod hours;
mod load;
mod recording;
mod survey;
mod voicemail;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use hotline_events::{AgentId, QueueId, SkillName};

pub use duration::{DurationError, parse_duration};
pub use error::{ConfigError, ConfigErrors};
pub use load::{line_column, read_file};
pub use recording::{Record, RecordingConfig, RecordingRule};
pub use survey::SurveyConfig;
pub use voicemail::{
    BoxOwner, DEFAULT_GREETING, DEFAULT_MAX_LENGTH, VoicemailBox, VoicemailConfig,
};

/// Everything a center needs to route calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CenterConfig {
    /// The event log the center runs on (`log = "kafka://HOST:PORT/TOPIC"` or
    /// `"sqlite://DATA_DIR"`); `None`: the data directory's. The command line's `--log`
    /// wins over it.
    pub log: Option<crate::log::target::LogTarget>,
    pub router: RouterSettings,
    /// Skills agents and queues may name.
    pub skills: Vec<SkillName>,
    pub queues: Vec<QueueConfig>,
    pub agents: Vec<AgentConfig>,
    pub numbers: Vec<NumberConfig>,
    pub hours: Vec<BusinessHours>,
    /// Which calls are recorded, and for how long files are kept (`[recording]`).
    pub recording: RecordingConfig,
    /// Which queues and agents have a voicemail box (`[voicemail]`).
    pub voicemail: VoicemailConfig,
    /// Which queues run a survey after the agent hangs up (`[[surveys]]`).
    pub surveys: Vec<SurveyConfig>,
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

impl CenterConfig {
    /// Reads and validates the file at `path`. Errors name the path as given, so that they
    /// read as `config/center.toml:14:6: …` and editors can jump to them.
    pub fn load(path: &Path) -> Result<CenterConfig, ConfigErrors> {
        load::load(path)
    }

    /// Validates `text`, reporting errors against `file_name`. Every problem is reported,
    /// not only the first, so that one edit-and-retry round fixes them all.
    pub fn parse(text: &str, file_name: &str) -> Result<CenterConfig, ConfigErrors> {
        load::parse(text, file_name)
    }

    /// [`CenterConfig::parse`] for a file that also holds other top-level sections (a
    /// simulation scenario holds its center beside its traffic): keys named in `others`
    /// are left to their own reader; any other unknown key is still an error.
    pub fn parse_beside(
        text: &str,
        file_name: &str,
        others: &[&str],
    ) -> Result<CenterConfig, ConfigErrors> {
        load::parse_beside(text, file_name, others)
    }

    /// This center with its queues' own durations (wrap-up, maximum wait, default handle
    /// time) divided by `factor`, for traffic whose talk and patience are compressed by the
    /// same factor: a load run, or a demo run faster than real time. Ring timeouts stay as
    /// they are (the simulated agents' answer delays are compressed instead, so that the
    /// router's offers keep their real bound). `factor` must be positive and finite.
    pub fn compressed(&self, factor: f64) -> CenterConfig {
        let mut center = self.clone();
        let scale = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() / factor);
        for q in &mut center.queues {
            q.wrap_up = scale(q.wrap_up);
            q.max_wait = q.max_wait.map(scale);
            q.default_handle_time = scale(q.default_handle_time);
        }
        center
    }

    pub fn queue(&self, id: &QueueId) -> Option<&QueueConfig> {
        self.queues.iter().find(|q| &q.id == id)
    }

    /// The configuration of a dialled number, exactly as the network delivers it.
    pub fn number(&self, number: &str) -> Option<&NumberConfig> {
        self.numbers.iter().find(|n| n.number == number)
    }

    /// The survey of `queue`'s calls, if it has one.
    pub fn survey(&self, queue: &QueueId) -> Option<&SurveyConfig> {
        self.surveys.iter().find(|s| &s.queue == queue)
    }

    pub fn hours(&self, name: &str) -> Option<&BusinessHours> {
        self.hours.iter().find(|h| h.name == name)
    }

    /// The agents who take calls of `queue`, in file order: the queue's hunting order for
    /// [`Strategy::Linear`]. The iterator borrows only the configuration, not `queue`.
    pub fn members(&self, queue: &QueueId) -> impl Iterator<Item = &AgentConfig> + use<'_> {
        let queue = queue.clone();
        self.agents
            .iter()
            .filter(move |a| a.queues.contains(&queue))
    }

    /// Whether `queue` takes calls at `at`: a queue without hours is always open; an
    /// unknown queue never is (there is nobody to take the call).
    pub fn is_open(&self, queue: &QueueId, at: DateTime<Utc>) -> bool {
        match self.queue(queue) {
            None => false,
            Some(QueueConfig { hours: None, .. }) => true,
            // Validation guarantees the name exists; a hand-built config that names missing
            // hours is treated as closed rather than silently always open.
            Some(QueueConfig {
                hours: Some(name), ..
            }) => self.hours(name).is_some_and(|h| h.is_open(at)),
        }
    }
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

    /// The strategy a configuration file names, if any does.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
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

impl AgentConfig {
    /// The id of an agent whose entry gives none: the same login yields the same id on
    /// every start and every build, so the agent's stream survives restarts.
    ///
    /// The 16 bytes are two FNV-1a 64-bit hashes (big-endian), the first of
    /// `"hotline-agent:" + login`, the second of `"hotline-agent/2:" + login`; then the
    /// version nibble is set to 8 (custom, RFC 9562) and the variant bits to RFC 4122.
    /// FNV rather than SHA-256 because infra does not depend on a SHA-256 crate; the ids
    /// need to be stable and well spread, not secret. Changing this changes every agent's
    /// id: it is pinned by a test.
    pub fn derived_id(login: &str) -> AgentId {
        let hi = fnv1a64(&[b"hotline-agent:", login.as_bytes()]);
        let lo = fnv1a64(&[b"hotline-agent/2:", login.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi.to_be_bytes());
        bytes[8..].copy_from_slice(&lo.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        AgentId::from_uuid(uuid::Uuid::from_bytes(bytes))
    }
}

/// FNV-1a, 64 bits, over the concatenation of `parts`.
fn fnv1a64(parts: &[&[u8]]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    parts
        .iter()
        .flat_map(|p| p.iter())
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
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
    /// The IVR flow file callers of this number go through before they queue (a path
    /// relative to the center's file), instead of `menu`. Checked against the center when
    /// the server starts; `hotline ivr check` checks one alone.
    pub flow: Option<String>,
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
