//! The agent: presence (logged out, available, not ready with a reason), the offer and
//! the call it holds, after-call work, skills and queues. A pure core: the actor shell
//! and the router call it.
//!
//! The rules an agent keeps, whoever asks:
//! - **one voice call at a time**: an agent reserved for, on, or wrapping up a call cannot
//!   be reserved for another;
//! - a missed offer frees the agent again, unless it was the `auto_pause_after`-th miss in
//!   a row: then the agent is made not ready with the reason `auto_pause`;
//! - an agent cannot log out or go not ready in the middle of a call;
//! - the roster: an agent of the center's file is on it from the start, one an
//!   administrator registers from its `registered` event; a removed agent can do nothing
//!   until registered again, and only a logged-out agent can be removed. Logins use the
//!   agent's profile (name, skills, queues), which edits change for the session in
//!   progress and for every later login;
//! - **downtime is not work**: when a process stops with agents logged in, the next start
//!   records each as logged out (`system_restart`) from that process's last sign of life,
//!   then logs it back in as it was, so no ready, not-ready or wrap-up time spans the
//!   gap; only an agent whose call the network kept talked on through it.

pub mod actor;

use hotline_events::{AgentEvent, CallId, OfferMissReason, QueueId, Skill, SkillName, Timestamp};

use crate::decider::Decider;

/// The reason code recorded when missed offers pause an agent.
pub const AUTO_PAUSE: &str = "auto_pause";

/// The reason code of the logout a start records for an agent the stopped process had
/// logged in (as calls that process lost end with `system_restart`).
pub const SYSTEM_RESTART: &str = "system_restart";

/// The not-ready reason a login leaves the agent in.
pub const LOGGED_IN: &str = "logged_in";

/// Where an agent stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Presence {
    #[default]
    LoggedOut,
    /// Ready and free: the router may offer calls.
    Available,
    NotReady {
        reason: String,
    },
    /// An offer rings at the agent.
    Reserved {
        call: CallId,
        queue: QueueId,
    },
    /// On a call (its own, a consult or a conference).
    Busy {
        call: CallId,
    },
    /// After-call work, ending by itself after `limit_ms`.
    WrappingUp {
        call: CallId,
        limit_ms: u64,
    },
}

/// Whether an agent is on the center's roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listing {
    /// Neither in the center's file nor registered (yet).
    #[default]
    Unknown,
    Listed,
    Removed,
}

/// The roster's entry for an agent: what its next login uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub login: String,
    pub name: String,
    pub extension: Option<String>,
    pub skills: Vec<Skill>,
    pub queues: Vec<QueueId>,
}

impl Profile {
    /// The profile an agent of the center's file has until the roster's events change it.
    pub fn of_config(a: &hotline_infra::config::AgentConfig) -> Self {
        Self {
            login: a.login.clone(),
            name: a.name.clone(),
            extension: a.extension.clone(),
            skills: a
                .skills
                .iter()
                .map(|(name, level)| Skill {
                    name: name.clone(),
                    level: *level,
                })
                .collect(),
            queues: a.queues.clone(),
        }
    }
}

/// Where a supervisor puts an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forced {
    Ready,
    NotReady { reason: String },
    LogOut,
}

/// The fold of an agent's stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentState {
    /// On the roster or not; an agent of the center's file starts [`Listing::Listed`].
    pub listing: Listing,
    /// The roster's entry: the file's, then what `registered` and the edits say.
    pub profile: Profile,
    /// Events folded so far: the expected version of the next append.
    pub version: u64,
    pub presence: Presence,
    /// When the current presence began.
    pub since: Option<Timestamp>,
    pub name: String,
    pub extension: Option<String>,
    pub skills: Vec<Skill>,
    pub queues: Vec<QueueId>,
    /// Offers missed in a row (an answered call resets it).
    pub missed_in_row: u32,
    /// Calls answered since the agent's first login, and talk time on them; the
    /// projections keep the per-day figures.
    pub calls_answered: u32,
    pub talk_ms: u64,
    /// What the agent was doing when a `logged_out` for [`SYSTEM_RESTART`] ended it: what
    /// [`AgentCommand::Restore`] logs it back into. Kept until the next change of
    /// presence, so a start that stopped between the two still restores it.
    pub lost: Option<Presence>,
}

impl AgentState {
    /// The state an agent of the center's file starts from, before its stream is folded.
    pub fn listed(profile: Profile) -> Self {
        Self {
            listing: Listing::Listed,
            name: profile.name.clone(),
            extension: profile.extension.clone(),
            skills: profile.skills.clone(),
            queues: profile.queues.clone(),
            profile,
            ..Self::default()
        }
    }

    /// [`AgentState::listed`] with the profile of the center's file.
    pub fn of_config(a: &hotline_infra::config::AgentConfig) -> Self {
        Self::listed(Profile::of_config(a))
    }

    /// Free for an offer.
    pub fn is_available(&self) -> bool {
        self.presence == Presence::Available
    }

    pub fn is_logged_in(&self) -> bool {
        self.presence != Presence::LoggedOut
    }

    /// The call the agent is reserved for, on, or wrapping up.
    pub fn call(&self) -> Option<CallId> {
        match &self.presence {
            Presence::Reserved { call, .. }
            | Presence::Busy { call }
            | Presence::WrappingUp { call, .. } => Some(*call),
            _ => None,
        }
    }

    /// When an agent lost with the process before is taken to have logged out: at that
    /// process's last sign of life `lost_at`, but not before the agent's own last change
    /// nor after `now` (clocks of two processes may disagree; `now` wins).
    pub fn logged_out_at(&self, lost_at: Timestamp, now: Timestamp) -> Timestamp {
        self.since
            .map_or(lost_at, |since| lost_at.max(since))
            .min(now)
    }

    pub fn skill_level(&self, skill: &SkillName) -> Option<u8> {
        self.skills
            .iter()
            .find(|s| &s.name == skill)
            .map(|s| s.level)
    }
}

/// What an agent, a supervisor or the system asks of an agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentCommand {
    LogIn {
        name: String,
        extension: Option<String>,
        skills: Vec<Skill>,
        queues: Vec<QueueId>,
    },
    LogOut,
    Ready,
    NotReady {
        reason: String,
    },
    /// The router picked this agent for `call`.
    Reserve {
        call: CallId,
        queue: QueueId,
    },
    /// The offer for `call` ended unanswered; pause after `auto_pause_after` misses in a
    /// row (0: never) that were the agent's (rang out or declined).
    MissOffer {
        call: CallId,
        reason: OfferMissReason,
        auto_pause_after: u32,
    },
    /// The agent picked up `call`, offered to them or reached as a consult or conference.
    Answer {
        call: CallId,
    },
    /// `call` is over for this agent: after-call work for at most `wrap_up_ms`.
    Release {
        call: CallId,
        wrap_up_ms: u64,
    },
    /// After-call work done (by the agent, or by the clock when the limit passed).
    CompleteWrapUp {
        call: CallId,
        disposition: Option<String>,
        notes: Option<String>,
    },
    ChangeSkills {
        skills: Vec<Skill>,
    },
    ChangeQueues {
        queues: Vec<QueueId>,
    },
    /// An administrator adds the agent to the roster.
    Register {
        profile: Profile,
        by: String,
    },
    /// A supervisor or administrator changes the profile: each part given and different
    /// becomes one event, all appended together.
    Edit {
        name: Option<String>,
        skills: Option<Vec<Skill>>,
        queues: Option<Vec<QueueId>>,
        by: String,
    },
    /// An administrator takes the agent off the roster.
    Remove {
        by: String,
    },
    /// A supervisor puts the agent in a state, as the agent could have.
    Force {
        to: Forced,
        by: String,
    },
    /// A start found the agent logged in by a process that has stopped: decided as of
    /// that process's last sign of life ([`AgentState::logged_out_at`]), it logs the
    /// agent out for [`SYSTEM_RESTART`], so the downtime is not counted as its work.
    /// `call_live`: the call the agent is on is still on the network; the agent talked
    /// on through the downtime, and nothing is recorded.
    ProcessLost {
        call_live: bool,
    },
    /// After [`AgentCommand::ProcessLost`], at the start: logs the agent back in with the
    /// session it had, into what it was doing, so a restart does not have every agent log
    /// in again. Ready and not ready (with the reason) come back as they were; an offer
    /// died with the process, so a reserved agent comes back ready; a call the restart
    /// ended gets its after-call work as any ended call does (`wrap_up_ms`, the queue's),
    /// and a wrap-up in progress starts over with its limit. Nothing to restore, nothing
    /// recorded.
    Restore {
        wrap_up_ms: u64,
    },
}

impl AgentCommand {
    /// Logging in as the roster's profile says.
    pub fn log_in(profile: &Profile) -> Self {
        AgentCommand::LogIn {
            name: profile.name.clone(),
            extension: profile.extension.clone(),
            skills: profile.skills.clone(),
            queues: profile.queues.clone(),
        }
    }
}

/// Why an agent command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentRejection {
    #[error("the agent is not logged in; log them in first (the `log_in` action)")]
    NotLoggedIn,
    #[error("the agent is already logged in")]
    AlreadyLoggedIn,
    #[error("the agent is not free for an offer (now {0})")]
    NotAvailable(&'static str),
    #[error("the agent is handling call {0}; finish it first")]
    OnACall(CallId),
    #[error("the agent holds no offer, call or wrap-up for call {0}")]
    NotThatCall(CallId),
    #[error("skill `{skill}` has level {level}; levels go from 1 to 10")]
    SkillLevel { skill: SkillName, level: u8 },
    #[error("skill `{0}` is listed twice")]
    DuplicateSkill(SkillName),
    #[error("a not-ready reason is needed (e.g. `lunch`, `training`)")]
    NoReason,
    #[error("the agent is already {0}")]
    Unchanged(&'static str),
    #[error("login `{0}` is already on the roster")]
    AlreadyListed(String),
    #[error("the agent is not on the roster")]
    NotListed,
    #[error("the agent was removed from the roster; register it again first")]
    Removed,
    #[error("the agent is logged in; log them out first (a supervisor can force it)")]
    StillLoggedIn,
    #[error("a name is needed")]
    NoName,
}

impl Presence {
    fn label(&self) -> &'static str {
        match self {
            Presence::LoggedOut => "logged out",
            Presence::Available => "available",
            Presence::NotReady { .. } => "not ready",
            Presence::Reserved { .. } => "reserved for an offer",
            Presence::Busy { .. } => "on a call",
            Presence::WrappingUp { .. } => "wrapping up",
        }
    }
}

/// Whether the agent, not the caller or the system, let the offer go.
fn agents_miss(reason: OfferMissReason) -> bool {
    matches!(
        reason,
        OfferMissReason::NoAnswer | OfferMissReason::Declined
    )
}

/// The agent's pure core.
#[derive(Debug)]
pub struct Agent;

fn log_out(s: &AgentState, by: Option<String>) -> Result<Vec<AgentEvent>, AgentRejection> {
    if let Some(call) = s.call() {
        return Err(AgentRejection::OnACall(call));
    }
    Ok(vec![AgentEvent::LoggedOut { reason: None, by }])
}

/// What [`AgentCommand::Restore`] records: the login, then the presence the agent had.
fn restore(s: &AgentState, wrap_up_ms: u64) -> Vec<AgentEvent> {
    let Some(lost) = s.lost.as_ref().filter(|_| !s.is_logged_in()) else {
        return vec![];
    };
    let after_login = match lost {
        Presence::LoggedOut => return vec![],
        Presence::NotReady { reason } if reason == LOGGED_IN => None,
        Presence::NotReady { reason } => Some(AgentEvent::NotReady {
            reason: reason.clone(),
            by: None,
        }),
        Presence::Available | Presence::Reserved { .. } => Some(AgentEvent::Ready { by: None }),
        Presence::Busy { call } => Some(AgentEvent::WrappingUp {
            call: *call,
            limit_ms: wrap_up_ms,
        }),
        Presence::WrappingUp { call, limit_ms } => Some(AgentEvent::WrappingUp {
            call: *call,
            limit_ms: *limit_ms,
        }),
    };
    let login = AgentEvent::LoggedIn {
        name: s.name.clone(),
        extension: s.extension.clone(),
        skills: s.skills.clone(),
        queues: s.queues.clone(),
    };
    std::iter::once(login).chain(after_login).collect()
}

fn ready(s: &AgentState, by: Option<String>) -> Result<Vec<AgentEvent>, AgentRejection> {
    if let Some(call) = s.call() {
        return Err(AgentRejection::OnACall(call));
    }
    if s.is_available() {
        return Err(AgentRejection::Unchanged("available"));
    }
    Ok(vec![AgentEvent::Ready { by }])
}

fn not_ready(
    s: &AgentState,
    reason: &str,
    by: Option<String>,
) -> Result<Vec<AgentEvent>, AgentRejection> {
    if let Some(call) = s.call() {
        return Err(AgentRejection::OnACall(call));
    }
    if reason.trim().is_empty() {
        return Err(AgentRejection::NoReason);
    }
    if matches!(&s.presence, Presence::NotReady { reason: r } if r == reason) {
        return Err(AgentRejection::Unchanged("not ready for that reason"));
    }
    Ok(vec![AgentEvent::NotReady {
        reason: reason.to_owned(),
        by,
    }])
}

fn check_skills(skills: &[Skill]) -> Result<(), AgentRejection> {
    for (i, s) in skills.iter().enumerate() {
        if !(1..=10).contains(&s.level) {
            return Err(AgentRejection::SkillLevel {
                skill: s.name.clone(),
                level: s.level,
            });
        }
        if skills[..i].iter().any(|o| o.name == s.name) {
            return Err(AgentRejection::DuplicateSkill(s.name.clone()));
        }
    }
    Ok(())
}

impl Decider for Agent {
    type State = AgentState;
    type Command = AgentCommand;
    type Event = AgentEvent;
    type Rejection = AgentRejection;

    fn decide(
        s: &AgentState,
        command: &AgentCommand,
        _now: Timestamp,
    ) -> Result<Vec<AgentEvent>, AgentRejection> {
        use AgentCommand as C;
        use AgentRejection as R;
        let roster_command = matches!(
            command,
            C::Register { .. } | C::Edit { .. } | C::Remove { .. }
        );
        if s.listing == Listing::Removed && !matches!(command, C::Register { .. }) {
            return Err(R::Removed);
        }
        let logs_in = matches!(command, C::LogIn { .. } | C::Restore { .. });
        if !s.is_logged_in() && !logs_in && !roster_command {
            return Err(R::NotLoggedIn);
        }
        Ok(match command {
            C::LogIn {
                name,
                extension,
                skills,
                queues,
            } => {
                if s.is_logged_in() {
                    return Err(R::AlreadyLoggedIn);
                }
                check_skills(skills)?;
                // Logging in leaves the agent not ready: going ready is the agent's choice.
                vec![AgentEvent::LoggedIn {
                    name: name.clone(),
                    extension: extension.clone(),
                    skills: skills.clone(),
                    queues: queues.clone(),
                }]
            }
            C::LogOut => log_out(s, None)?,
            C::ProcessLost { call_live } => match s.presence {
                Presence::Busy { .. } if *call_live => vec![],
                _ => vec![AgentEvent::LoggedOut {
                    reason: Some(SYSTEM_RESTART.to_owned()),
                    by: None,
                }],
            },
            C::Restore { wrap_up_ms } => restore(s, *wrap_up_ms),
            C::Ready => ready(s, None)?,
            C::NotReady { reason } => not_ready(s, reason, None)?,
            C::Force { to, by } => {
                let by = Some(by.clone());
                match to {
                    Forced::Ready => ready(s, by)?,
                    Forced::NotReady { reason } => not_ready(s, reason, by)?,
                    Forced::LogOut => log_out(s, by)?,
                }
            }
            C::Register { profile, by } => {
                if s.listing == Listing::Listed {
                    return Err(R::AlreadyListed(profile.login.clone()));
                }
                if profile.name.trim().is_empty() {
                    return Err(R::NoName);
                }
                check_skills(&profile.skills)?;
                vec![AgentEvent::Registered {
                    login: profile.login.clone(),
                    name: profile.name.clone(),
                    extension: profile.extension.clone(),
                    skills: profile.skills.clone(),
                    queues: profile.queues.clone(),
                    by: by.clone(),
                }]
            }
            C::Edit {
                name,
                skills,
                queues,
                by,
            } => {
                if s.listing != Listing::Listed {
                    return Err(R::NotListed);
                }
                let mut events = Vec::new();
                if let Some(name) = name.as_ref().filter(|n| **n != s.profile.name) {
                    if name.trim().is_empty() {
                        return Err(R::NoName);
                    }
                    events.push(AgentEvent::Renamed {
                        name: name.clone(),
                        by: by.clone(),
                    });
                }
                if let Some(skills) = skills.as_ref().filter(|k| **k != s.profile.skills) {
                    check_skills(skills)?;
                    events.push(AgentEvent::SkillsChanged {
                        skills: skills.clone(),
                        by: Some(by.clone()),
                    });
                }
                if let Some(queues) = queues.as_ref().filter(|q| **q != s.profile.queues) {
                    events.push(AgentEvent::QueuesChanged {
                        queues: queues.clone(),
                        by: Some(by.clone()),
                    });
                }
                // Nothing differs: nothing to record, and nothing refused either.
                events
            }
            C::Remove { by } => {
                if s.listing != Listing::Listed {
                    return Err(R::NotListed);
                }
                if s.is_logged_in() {
                    return Err(R::StillLoggedIn);
                }
                vec![AgentEvent::Removed { by: by.clone() }]
            }
            C::Reserve { call, queue } => {
                if !s.is_available() {
                    return Err(R::NotAvailable(s.presence.label()));
                }
                vec![AgentEvent::Reserved {
                    call: *call,
                    queue: queue.clone(),
                }]
            }
            C::MissOffer {
                call,
                reason,
                auto_pause_after,
            } => {
                if !matches!(&s.presence, Presence::Reserved { call: c, .. } if c == call) {
                    return Err(R::NotThatCall(*call));
                }
                let mut events = vec![AgentEvent::OfferMissed {
                    call: *call,
                    reason: *reason,
                }];
                if agents_miss(*reason)
                    && *auto_pause_after > 0
                    && s.missed_in_row + 1 >= *auto_pause_after
                {
                    events.push(AgentEvent::NotReady {
                        reason: AUTO_PAUSE.to_owned(),
                        by: None,
                    });
                }
                events
            }
            C::Answer { call } => match &s.presence {
                Presence::Reserved { call: c, .. } if c == call => {
                    vec![AgentEvent::Busy { call: *call }]
                }
                // Reached directly as a consult or conference party: no offer came first.
                Presence::Available => vec![AgentEvent::Busy { call: *call }],
                Presence::Busy { call: c } if c == call => return Err(R::Unchanged("on it")),
                other => return Err(R::NotAvailable(other.label())),
            },
            C::Release { call, wrap_up_ms } => {
                if !matches!(&s.presence, Presence::Busy { call: c } if c == call) {
                    return Err(R::NotThatCall(*call));
                }
                vec![AgentEvent::WrappingUp {
                    call: *call,
                    limit_ms: *wrap_up_ms,
                }]
            }
            C::CompleteWrapUp {
                call,
                disposition,
                notes,
            } => {
                if !matches!(&s.presence, Presence::WrappingUp { call: c, .. } if c == call) {
                    return Err(R::NotThatCall(*call));
                }
                vec![AgentEvent::WrapUpCompleted {
                    call: *call,
                    disposition: disposition.clone(),
                    notes: notes.clone(),
                }]
            }
            C::ChangeSkills { skills } => {
                check_skills(skills)?;
                if &s.skills == skills {
                    return Err(R::Unchanged("skilled so"));
                }
                vec![AgentEvent::SkillsChanged {
                    skills: skills.clone(),
                    by: None,
                }]
            }
            C::ChangeQueues { queues } => {
                if &s.queues == queues {
                    return Err(R::Unchanged("in those queues"));
                }
                vec![AgentEvent::QueuesChanged {
                    queues: queues.clone(),
                    by: None,
                }]
            }
        })
    }

    fn evolve(mut s: AgentState, event: &AgentEvent, at: Timestamp) -> AgentState {
        s.version += 1;
        let presence = match event {
            AgentEvent::LoggedIn {
                name,
                extension,
                skills,
                queues,
            } => {
                s.name = name.clone();
                s.extension = extension.clone();
                s.skills = skills.clone();
                s.queues = queues.clone();
                s.missed_in_row = 0;
                if s.listing == Listing::Unknown {
                    // An agent known only by its logins (a hand-built center, a test).
                    s.listing = Listing::Listed;
                    s.profile = Profile {
                        login: String::new(),
                        name: name.clone(),
                        extension: extension.clone(),
                        skills: skills.clone(),
                        queues: queues.clone(),
                    };
                }
                Some(Presence::NotReady {
                    reason: LOGGED_IN.to_owned(),
                })
            }
            AgentEvent::LoggedOut { .. } => Some(Presence::LoggedOut),
            AgentEvent::Ready { .. } => {
                s.missed_in_row = 0;
                Some(Presence::Available)
            }
            AgentEvent::NotReady { reason, .. } => Some(Presence::NotReady {
                reason: reason.clone(),
            }),
            AgentEvent::Reserved { call, queue } => Some(Presence::Reserved {
                call: *call,
                queue: queue.clone(),
            }),
            AgentEvent::OfferMissed { reason, .. } => {
                if agents_miss(*reason) {
                    s.missed_in_row += 1;
                }
                Some(Presence::Available)
            }
            AgentEvent::Busy { call } => {
                s.missed_in_row = 0;
                s.calls_answered += 1;
                Some(Presence::Busy { call: *call })
            }
            AgentEvent::WrappingUp { call, limit_ms } => {
                if let Some(since) = s.since {
                    s.talk_ms += at.millis_since(since);
                }
                Some(Presence::WrappingUp {
                    call: *call,
                    limit_ms: *limit_ms,
                })
            }
            AgentEvent::WrapUpCompleted { .. } => Some(Presence::Available),
            AgentEvent::SkillsChanged { skills, .. } => {
                s.skills = skills.clone();
                s.profile.skills = skills.clone();
                None
            }
            AgentEvent::QueuesChanged { queues, .. } => {
                s.queues = queues.clone();
                s.profile.queues = queues.clone();
                None
            }
            AgentEvent::Registered {
                login,
                name,
                extension,
                skills,
                queues,
                ..
            } => {
                s.listing = Listing::Listed;
                s.profile = Profile {
                    login: login.clone(),
                    name: name.clone(),
                    extension: extension.clone(),
                    skills: skills.clone(),
                    queues: queues.clone(),
                };
                s.name = name.clone();
                s.extension = extension.clone();
                s.skills = skills.clone();
                s.queues = queues.clone();
                None
            }
            AgentEvent::Renamed { name, .. } => {
                s.profile.name = name.clone();
                s.name = name.clone();
                None
            }
            AgentEvent::Removed { .. } => {
                s.listing = Listing::Removed;
                None
            }
        };
        if let Some(p) = presence {
            let lost_with_process = matches!(
                event,
                AgentEvent::LoggedOut { reason: Some(r), .. } if r == SYSTEM_RESTART
            );
            let before = std::mem::replace(&mut s.presence, p);
            s.lost = lost_with_process.then_some(before);
            s.since = Some(at);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::spec::{at, given, t0};
    use hotline_events::CallId;
    use uuid::Uuid;

    fn call(n: u128) -> CallId {
        CallId::from_uuid(Uuid::from_u128(n))
    }

    fn sales() -> QueueId {
        QueueId::new("sales").unwrap()
    }

    fn skill(name: &str, level: u8) -> Skill {
        Skill {
            name: SkillName::new(name).unwrap(),
            level,
        }
    }

    fn logged_in() -> AgentEvent {
        AgentEvent::LoggedIn {
            name: "Alice".into(),
            extension: Some("2001".into()),
            skills: vec![skill("spanish", 9)],
            queues: vec![sales()],
        }
    }

    /// Alice logs in: the command [`logged_in`] is the event of.
    fn log_in() -> AgentCommand {
        AgentCommand::LogIn {
            name: "Alice".into(),
            extension: Some("2001".into()),
            skills: vec![skill("spanish", 9)],
            queues: vec![sales()],
        }
    }

    fn ready() -> Vec<AgentEvent> {
        vec![logged_in(), AgentEvent::Ready { by: None }]
    }

    fn reserved(n: u128) -> Vec<AgentEvent> {
        let mut e = ready();
        e.push(AgentEvent::Reserved {
            call: call(n),
            queue: sales(),
        });
        e
    }

    fn busy(n: u128) -> Vec<AgentEvent> {
        let mut e = reserved(n);
        e.push(AgentEvent::Busy { call: call(n) });
        e
    }

    fn wrapping(n: u128) -> Vec<AgentEvent> {
        let mut e = busy(n);
        e.push(AgentEvent::WrappingUp {
            call: call(n),
            limit_ms: 30_000,
        });
        e
    }

    #[test]
    fn an_agent_logs_in_not_ready_then_goes_ready() {
        let s = given::<Agent>([]).when(log_in()).then([logged_in()]);
        assert!(s.is_logged_in() && !s.is_available());
        let s = given::<Agent>([logged_in()])
            .when(AgentCommand::Ready)
            .then([AgentEvent::Ready { by: None }]);
        assert!(s.is_available());
    }

    #[test]
    fn a_logged_out_agent_can_do_nothing_but_log_in() {
        given::<Agent>([])
            .when(AgentCommand::Ready)
            .then_err(AgentRejection::NotLoggedIn);
        given::<Agent>([
            logged_in(),
            AgentEvent::LoggedOut {
                reason: None,
                by: None,
            },
        ])
        .when(AgentCommand::Reserve {
            call: call(1),
            queue: sales(),
        })
        .then_err(AgentRejection::NotLoggedIn);
    }

    #[test]
    fn logging_in_twice_is_refused() {
        given::<Agent>([logged_in()])
            .when(AgentCommand::LogIn {
                name: "Alice".into(),
                extension: None,
                skills: vec![],
                queues: vec![],
            })
            .then_err(AgentRejection::AlreadyLoggedIn);
    }

    #[test]
    fn skill_levels_go_from_one_to_ten() {
        given::<Agent>([])
            .when(AgentCommand::LogIn {
                name: "Alice".into(),
                extension: None,
                skills: vec![skill("spanish", 11)],
                queues: vec![],
            })
            .then_err(AgentRejection::SkillLevel {
                skill: SkillName::new("spanish").unwrap(),
                level: 11,
            });
        given::<Agent>(ready())
            .when(AgentCommand::ChangeSkills {
                skills: vec![skill("billing", 0)],
            })
            .then_err(AgentRejection::SkillLevel {
                skill: SkillName::new("billing").unwrap(),
                level: 0,
            });
        given::<Agent>(ready())
            .when(AgentCommand::ChangeSkills {
                skills: vec![skill("billing", 3), skill("billing", 4)],
            })
            .then_err(AgentRejection::DuplicateSkill(
                SkillName::new("billing").unwrap(),
            ));
    }

    #[test]
    fn skills_and_queues_change_without_changing_presence() {
        let s = given::<Agent>(busy(1))
            .when(AgentCommand::ChangeSkills {
                skills: vec![skill("billing", 4)],
            })
            .then([AgentEvent::SkillsChanged {
                skills: vec![skill("billing", 4)],
                by: None,
            }]);
        assert_eq!(s.presence, Presence::Busy { call: call(1) });
        assert_eq!(s.skill_level(&SkillName::new("billing").unwrap()), Some(4));
        let support = QueueId::new("support").unwrap();
        let s = given::<Agent>(ready())
            .when(AgentCommand::ChangeQueues {
                queues: vec![support.clone()],
            })
            .then([AgentEvent::QueuesChanged {
                queues: vec![support.clone()],
                by: None,
            }]);
        assert_eq!(s.queues, vec![support]);
        given::<Agent>(ready())
            .when(AgentCommand::ChangeQueues {
                queues: vec![sales()],
            })
            .then_err(AgentRejection::Unchanged("in those queues"));
    }

    #[test]
    fn a_free_agent_is_reserved_for_one_call() {
        let s = given::<Agent>(ready())
            .when(AgentCommand::Reserve {
                call: call(1),
                queue: sales(),
            })
            .then([AgentEvent::Reserved {
                call: call(1),
                queue: sales(),
            }]);
        assert_eq!(s.call(), Some(call(1)));
    }

    #[test]
    fn an_agent_is_never_reserved_for_two_calls() {
        given::<Agent>(reserved(1))
            .when(AgentCommand::Reserve {
                call: call(2),
                queue: sales(),
            })
            .then_err(AgentRejection::NotAvailable("reserved for an offer"));
        given::<Agent>(busy(1))
            .when(AgentCommand::Reserve {
                call: call(2),
                queue: sales(),
            })
            .then_err(AgentRejection::NotAvailable("on a call"));
        given::<Agent>(wrapping(1))
            .when(AgentCommand::Reserve {
                call: call(2),
                queue: sales(),
            })
            .then_err(AgentRejection::NotAvailable("wrapping up"));
        given::<Agent>([logged_in()])
            .when(AgentCommand::Reserve {
                call: call(2),
                queue: sales(),
            })
            .then_err(AgentRejection::NotAvailable("not ready"));
    }

    #[test]
    fn an_agent_on_a_call_cannot_answer_another() {
        given::<Agent>(busy(1))
            .when(AgentCommand::Answer { call: call(2) })
            .then_err(AgentRejection::NotAvailable("on a call"));
        given::<Agent>(reserved(1))
            .when(AgentCommand::Answer { call: call(2) })
            .then_err(AgentRejection::NotAvailable("reserved for an offer"));
    }

    #[test]
    fn an_answered_offer_makes_the_agent_busy() {
        let s = given::<Agent>(reserved(1))
            .when(AgentCommand::Answer { call: call(1) })
            .then([AgentEvent::Busy { call: call(1) }]);
        assert_eq!(s.presence, Presence::Busy { call: call(1) });
        assert_eq!(s.calls_answered, 1);
    }

    #[test]
    fn a_free_agent_can_be_reached_directly_for_a_consult() {
        given::<Agent>(ready())
            .when(AgentCommand::Answer { call: call(7) })
            .then([AgentEvent::Busy { call: call(7) }]);
    }

    #[test]
    fn a_missed_offer_frees_the_agent_again() {
        let s = given::<Agent>(reserved(1))
            .when(AgentCommand::MissOffer {
                call: call(1),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 2,
            })
            .then([AgentEvent::OfferMissed {
                call: call(1),
                reason: OfferMissReason::NoAnswer,
            }]);
        assert!(s.is_available());
        assert_eq!(s.missed_in_row, 1);
    }

    #[test]
    fn the_second_missed_offer_in_a_row_pauses_the_agent() {
        let mut history = reserved(1);
        history.push(AgentEvent::OfferMissed {
            call: call(1),
            reason: OfferMissReason::NoAnswer,
        });
        history.push(AgentEvent::Reserved {
            call: call(2),
            queue: sales(),
        });
        let s = given::<Agent>(history)
            .when(AgentCommand::MissOffer {
                call: call(2),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 2,
            })
            .then([
                AgentEvent::OfferMissed {
                    call: call(2),
                    reason: OfferMissReason::NoAnswer,
                },
                AgentEvent::NotReady {
                    reason: AUTO_PAUSE.into(),
                    by: None,
                },
            ]);
        assert_eq!(
            s.presence,
            Presence::NotReady {
                reason: AUTO_PAUSE.into()
            }
        );
    }

    #[test]
    fn an_answered_call_resets_the_missed_count() {
        let mut history = reserved(1);
        history.push(AgentEvent::OfferMissed {
            call: call(1),
            reason: OfferMissReason::NoAnswer,
        });
        history.push(AgentEvent::Reserved {
            call: call(2),
            queue: sales(),
        });
        history.push(AgentEvent::Busy { call: call(2) });
        history.push(AgentEvent::WrappingUp {
            call: call(2),
            limit_ms: 0,
        });
        history.push(AgentEvent::WrapUpCompleted {
            call: call(2),
            disposition: None,
            notes: None,
        });
        history.push(AgentEvent::Reserved {
            call: call(3),
            queue: sales(),
        });
        given::<Agent>(history)
            .when(AgentCommand::MissOffer {
                call: call(3),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 2,
            })
            .then([AgentEvent::OfferMissed {
                call: call(3),
                reason: OfferMissReason::NoAnswer,
            }]);
    }

    #[test]
    fn auto_pause_zero_never_pauses() {
        let mut history = reserved(1);
        for n in 1..5 {
            history.push(AgentEvent::OfferMissed {
                call: call(n),
                reason: OfferMissReason::NoAnswer,
            });
            history.push(AgentEvent::Reserved {
                call: call(n + 1),
                queue: sales(),
            });
        }
        given::<Agent>(history)
            .when(AgentCommand::MissOffer {
                call: call(5),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 0,
            })
            .then([AgentEvent::OfferMissed {
                call: call(5),
                reason: OfferMissReason::NoAnswer,
            }]);
    }

    #[test]
    fn a_withdrawn_offer_is_not_the_agents_miss() {
        let mut history = reserved(1);
        history.push(AgentEvent::OfferMissed {
            call: call(1),
            reason: OfferMissReason::NoAnswer,
        });
        history.push(AgentEvent::Reserved {
            call: call(2),
            queue: sales(),
        });
        let s = given::<Agent>(history)
            .when(AgentCommand::MissOffer {
                call: call(2),
                reason: OfferMissReason::Withdrawn,
                auto_pause_after: 2,
            })
            .then([AgentEvent::OfferMissed {
                call: call(2),
                reason: OfferMissReason::Withdrawn,
            }]);
        assert!(s.is_available());
        assert_eq!(s.missed_in_row, 1);
    }

    #[test]
    fn only_the_reserved_call_can_be_missed() {
        given::<Agent>(reserved(1))
            .when(AgentCommand::MissOffer {
                call: call(2),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 2,
            })
            .then_err(AgentRejection::NotThatCall(call(2)));
        given::<Agent>(busy(1))
            .when(AgentCommand::MissOffer {
                call: call(1),
                reason: OfferMissReason::NoAnswer,
                auto_pause_after: 2,
            })
            .then_err(AgentRejection::NotThatCall(call(1)));
    }

    #[test]
    fn a_released_call_leads_to_wrap_up_then_available() {
        let s = given::<Agent>(busy(1))
            .when(AgentCommand::Release {
                call: call(1),
                wrap_up_ms: 30_000,
            })
            .then([AgentEvent::WrappingUp {
                call: call(1),
                limit_ms: 30_000,
            }]);
        assert_eq!(s.talk_ms, 1000, "busy for the one second before release");
        let s = given::<Agent>(wrapping(1))
            .when(AgentCommand::CompleteWrapUp {
                call: call(1),
                disposition: Some("sale".into()),
                notes: Some("wants the blue one".into()),
            })
            .then([AgentEvent::WrapUpCompleted {
                call: call(1),
                disposition: Some("sale".into()),
                notes: Some("wants the blue one".into()),
            }]);
        assert!(s.is_available());
    }

    #[test]
    fn only_the_call_the_agent_is_on_can_be_released_or_wrapped_up() {
        given::<Agent>(busy(1))
            .when(AgentCommand::Release {
                call: call(2),
                wrap_up_ms: 0,
            })
            .then_err(AgentRejection::NotThatCall(call(2)));
        given::<Agent>(busy(1))
            .when(AgentCommand::CompleteWrapUp {
                call: call(1),
                disposition: None,
                notes: None,
            })
            .then_err(AgentRejection::NotThatCall(call(1)));
    }

    #[test]
    fn nobody_logs_out_or_pauses_in_the_middle_of_a_call() {
        for history in [reserved(1), busy(1), wrapping(1)] {
            given::<Agent>(history.clone())
                .when(AgentCommand::LogOut)
                .then_err(AgentRejection::OnACall(call(1)));
            given::<Agent>(history.clone())
                .when(AgentCommand::NotReady {
                    reason: "lunch".into(),
                })
                .then_err(AgentRejection::OnACall(call(1)));
            given::<Agent>(history)
                .when(AgentCommand::Ready)
                .then_err(AgentRejection::OnACall(call(1)));
        }
    }

    #[test]
    fn not_ready_needs_a_reason_and_a_change() {
        given::<Agent>(ready())
            .when(AgentCommand::NotReady { reason: " ".into() })
            .then_err(AgentRejection::NoReason);
        let mut h = ready();
        h.push(AgentEvent::NotReady {
            reason: "lunch".into(),
            by: None,
        });
        given::<Agent>(h.clone())
            .when(AgentCommand::NotReady {
                reason: "lunch".into(),
            })
            .then_err(AgentRejection::Unchanged("not ready for that reason"));
        given::<Agent>(h)
            .when(AgentCommand::NotReady {
                reason: "training".into(),
            })
            .then([AgentEvent::NotReady {
                reason: "training".into(),
                by: None,
            }]);
        given::<Agent>(ready())
            .when(AgentCommand::Ready)
            .then_err(AgentRejection::Unchanged("available"));
    }

    #[test]
    fn time_in_state_starts_at_the_event() {
        let g = given::<Agent>(ready());
        assert_eq!(g.state().since, Some(at(1)));
        assert_eq!(g.state().version, 2);
    }

    fn grace() -> Profile {
        Profile {
            login: "grace".into(),
            name: "Grace".into(),
            extension: None,
            skills: vec![skill("english", 8)],
            queues: vec![sales()],
        }
    }

    fn registered() -> AgentEvent {
        let p = grace();
        AgentEvent::Registered {
            login: p.login,
            name: p.name,
            extension: p.extension,
            skills: p.skills,
            queues: p.queues,
            by: "admin".into(),
        }
    }

    #[test]
    fn a_registered_agent_is_on_the_roster_with_its_profile() {
        let s = given::<Agent>([])
            .when(AgentCommand::Register {
                profile: grace(),
                by: "admin".into(),
            })
            .then([registered()]);
        assert_eq!(s.listing, Listing::Listed);
        assert_eq!(s.profile, grace());
        assert!(!s.is_logged_in(), "registering does not log in");
    }

    #[test]
    fn an_agent_on_the_roster_is_not_registered_twice() {
        given::<Agent>([registered()])
            .when(AgentCommand::Register {
                profile: grace(),
                by: "admin".into(),
            })
            .then_err(AgentRejection::AlreadyListed("grace".into()));
    }

    #[test]
    fn registering_checks_the_name_and_the_skill_levels() {
        let mut p = grace();
        p.skills = vec![skill("english", 0)];
        given::<Agent>([])
            .when(AgentCommand::Register {
                profile: p,
                by: "admin".into(),
            })
            .then_err(AgentRejection::SkillLevel {
                skill: SkillName::new("english").unwrap(),
                level: 0,
            });
        let mut p = grace();
        p.name = " ".into();
        given::<Agent>([])
            .when(AgentCommand::Register {
                profile: p,
                by: "admin".into(),
            })
            .then_err(AgentRejection::NoName);
    }

    #[test]
    fn an_edit_records_only_what_changes_and_who_changed_it() {
        let s = given::<Agent>([registered()])
            .when(AgentCommand::Edit {
                name: Some("Grace Hopper".into()),
                skills: Some(grace().skills),
                queues: Some(vec![QueueId::new("billing").unwrap()]),
                by: "boss".into(),
            })
            .then([
                AgentEvent::Renamed {
                    name: "Grace Hopper".into(),
                    by: "boss".into(),
                },
                AgentEvent::QueuesChanged {
                    queues: vec![QueueId::new("billing").unwrap()],
                    by: Some("boss".into()),
                },
            ]);
        assert_eq!(s.profile.name, "Grace Hopper");
        assert_eq!(s.profile.queues, vec![QueueId::new("billing").unwrap()]);
        given::<Agent>([registered()])
            .when(AgentCommand::Edit {
                name: None,
                skills: None,
                queues: Some(vec![sales()]),
                by: "boss".into(),
            })
            .then([]);
    }

    #[test]
    fn an_edit_of_a_logged_in_agent_changes_its_session_at_once() {
        let h = [registered(), logged_in(), AgentEvent::Ready { by: None }];
        let s = given::<Agent>(h)
            .when(AgentCommand::Edit {
                name: None,
                skills: Some(vec![skill("french", 6)]),
                queues: None,
                by: "boss".into(),
            })
            .then([AgentEvent::SkillsChanged {
                skills: vec![skill("french", 6)],
                by: Some("boss".into()),
            }]);
        assert_eq!(s.skills, vec![skill("french", 6)], "the router's view");
        assert_eq!(s.profile.skills, vec![skill("french", 6)], "later logins");
        assert!(s.is_available());
    }

    #[test]
    fn a_logged_in_agent_is_not_removed() {
        given::<Agent>([registered(), logged_in()])
            .when(AgentCommand::Remove { by: "admin".into() })
            .then_err(AgentRejection::StillLoggedIn);
    }

    #[test]
    fn a_removed_agent_can_do_nothing_until_registered_again() {
        let s = given::<Agent>([registered()])
            .when(AgentCommand::Remove { by: "admin".into() })
            .then([AgentEvent::Removed { by: "admin".into() }]);
        assert_eq!(s.listing, Listing::Removed);
        let removed = [registered(), AgentEvent::Removed { by: "admin".into() }];
        given::<Agent>(removed.clone())
            .when(AgentCommand::LogIn {
                name: "Grace".into(),
                extension: None,
                skills: vec![],
                queues: vec![],
            })
            .then_err(AgentRejection::Removed);
        given::<Agent>(removed.clone())
            .when(AgentCommand::Remove { by: "admin".into() })
            .then_err(AgentRejection::Removed);
        given::<Agent>(removed)
            .when(AgentCommand::Register {
                profile: grace(),
                by: "admin".into(),
            })
            .then([registered()]);
    }

    #[test]
    fn a_supervisor_forces_a_state_and_is_named() {
        given::<Agent>([logged_in()])
            .when(AgentCommand::Force {
                to: Forced::Ready,
                by: "boss".into(),
            })
            .then([AgentEvent::Ready {
                by: Some("boss".into()),
            }]);
        given::<Agent>(ready())
            .when(AgentCommand::Force {
                to: Forced::NotReady {
                    reason: "meeting".into(),
                },
                by: "boss".into(),
            })
            .then([AgentEvent::NotReady {
                reason: "meeting".into(),
                by: Some("boss".into()),
            }]);
        given::<Agent>(ready())
            .when(AgentCommand::Force {
                to: Forced::LogOut,
                by: "boss".into(),
            })
            .then([AgentEvent::LoggedOut {
                reason: None,
                by: Some("boss".into()),
            }]);
    }

    #[test]
    fn a_supervisor_cannot_force_an_agent_off_a_call() {
        given::<Agent>(busy(1))
            .when(AgentCommand::Force {
                to: Forced::LogOut,
                by: "boss".into(),
            })
            .then_err(AgentRejection::OnACall(call(1)));
    }

    fn lost_with_process() -> AgentEvent {
        AgentEvent::LoggedOut {
            reason: Some(SYSTEM_RESTART.into()),
            by: None,
        }
    }

    /// `history`, then the process stops and a start logs the agent out for it.
    fn lost(mut history: Vec<AgentEvent>) -> Vec<AgentEvent> {
        history.push(lost_with_process());
        history
    }

    #[test]
    fn an_agent_left_logged_in_by_a_stopped_process_is_logged_out_for_system_restart() {
        for history in [
            ready(),
            vec![logged_in()],
            reserved(1),
            busy(1),
            wrapping(1),
        ] {
            let before = given::<Agent>(history.clone()).state().presence.clone();
            let s = given::<Agent>(history)
                .when(AgentCommand::ProcessLost { call_live: false })
                .then([lost_with_process()]);
            assert!(!s.is_logged_in());
            assert_eq!(s.lost, Some(before), "what a restore brings back");
        }
    }

    #[test]
    fn an_agent_on_a_call_the_network_kept_talked_on_through_the_downtime() {
        let s = given::<Agent>(busy(1))
            .when(AgentCommand::ProcessLost { call_live: true })
            .then([]);
        assert_eq!(s.presence, Presence::Busy { call: call(1) });
        // Only a call keeps the agent: liveness of nothing else matters.
        given::<Agent>(ready())
            .when(AgentCommand::ProcessLost { call_live: true })
            .then([lost_with_process()]);
    }

    #[test]
    fn a_logged_out_agent_is_not_lost_with_the_process() {
        given::<Agent>([
            logged_in(),
            AgentEvent::LoggedOut {
                reason: None,
                by: None,
            },
        ])
        .when(AgentCommand::ProcessLost { call_live: false })
        .then_err(AgentRejection::NotLoggedIn);
    }

    #[test]
    fn after_a_restart_a_ready_or_not_ready_agent_is_back_as_it_was_from_the_start_on() {
        let restart = at(7_200);
        let s = given::<Agent>(lost(ready()))
            .at(restart)
            .when(AgentCommand::Restore { wrap_up_ms: 10_000 })
            .then([logged_in(), AgentEvent::Ready { by: None }]);
        assert!(s.is_available());
        assert_eq!(s.since, Some(restart), "time in state starts over");
        assert_eq!(s.lost, None);
        let mut lunch = ready();
        lunch.push(AgentEvent::NotReady {
            reason: "lunch".into(),
            by: Some("boss".into()),
        });
        given::<Agent>(lost(lunch))
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([
                logged_in(),
                AgentEvent::NotReady {
                    reason: "lunch".into(),
                    by: None,
                },
            ]);
        // Not ready since the login: the login alone says so.
        given::<Agent>(lost(vec![logged_in()]))
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([logged_in()]);
    }

    #[test]
    fn the_restored_session_keeps_the_skills_and_queues_changed_during_it() {
        let mut h = ready();
        h.push(AgentEvent::SkillsChanged {
            skills: vec![skill("billing", 4)],
            by: None,
        });
        given::<Agent>(lost(h))
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([
                AgentEvent::LoggedIn {
                    name: "Alice".into(),
                    extension: Some("2001".into()),
                    skills: vec![skill("billing", 4)],
                    queues: vec![sales()],
                },
                AgentEvent::Ready { by: None },
            ]);
    }

    #[test]
    fn after_a_restart_an_offer_is_gone_and_a_call_it_ended_gets_its_after_call_work() {
        // The offer rang in the process that stopped: the agent is free again.
        given::<Agent>(lost(reserved(1)))
            .when(AgentCommand::Restore { wrap_up_ms: 10_000 })
            .then([logged_in(), AgentEvent::Ready { by: None }]);
        // The call ended with the process: wrap-up as after any call, the queue's limit.
        let s = given::<Agent>(lost(busy(1)))
            .when(AgentCommand::Restore { wrap_up_ms: 10_000 })
            .then([
                logged_in(),
                AgentEvent::WrappingUp {
                    call: call(1),
                    limit_ms: 10_000,
                },
            ]);
        assert_eq!(s.talk_ms, 0, "the downtime is not talk");
        // A wrap-up the stop interrupted starts over with its limit.
        given::<Agent>(lost(wrapping(1)))
            .when(AgentCommand::Restore { wrap_up_ms: 10_000 })
            .then([
                logged_in(),
                AgentEvent::WrappingUp {
                    call: call(1),
                    limit_ms: 30_000,
                },
            ]);
    }

    #[test]
    fn only_an_agent_logged_out_by_a_restart_is_restored_and_only_once() {
        let by_hand = AgentEvent::LoggedOut {
            reason: None,
            by: None,
        };
        given::<Agent>(vec![logged_in(), by_hand])
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([]);
        given::<Agent>([])
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([]);
        let mut restored = lost(ready());
        restored.extend([logged_in(), AgentEvent::Ready { by: None }]);
        given::<Agent>(restored)
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([]);
        // Logged in by hand before a restore: nothing to restore either.
        given::<Agent>(lost(ready()))
            .when(log_in())
            .then([logged_in()]);
        let mut again = lost(ready());
        again.push(logged_in());
        given::<Agent>(again)
            .when(AgentCommand::Restore { wrap_up_ms: 0 })
            .then([]);
    }

    #[test]
    fn the_logout_is_dated_at_the_last_sign_of_life_never_before_the_agent_nor_after_now() {
        let s = given::<Agent>(ready()).state().clone();
        assert_eq!(s.since, Some(at(1)));
        assert_eq!(s.logged_out_at(at(60), at(7_200)), at(60));
        // A log written by a clock ahead of this one.
        assert_eq!(s.logged_out_at(at(9_000), at(7_200)), at(7_200));
        // A last sign of life older than the agent's own last change.
        assert_eq!(s.logged_out_at(t0(), at(7_200)), at(1));
    }
}
