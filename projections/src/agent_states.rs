//! `agent_states`: one row per agent state interval (available, not ready with its reason
//! code, reserved, busy, wrapping up), from the agent's stream. Logged-out time has no
//! rows: an interval ends when the next state begins or the agent logs out.

use hotline_events::{AgentEvent, AgentId, CallId, Event, Timestamp};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};

/// A logged-in agent's state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum AgentStateKind {
    /// Ready and free for offers.
    Available,
    /// Unavailable, with a reason code (`logged_in` right after login, `lunch`,
    /// `auto_pause` after missed offers…).
    NotReady,
    /// An offer rings at the agent.
    Reserved,
    /// On a call (its own, a consult or a conference).
    Busy,
    /// After-call work.
    WrappingUp,
}

impl AgentStateKind {
    pub fn name(self) -> &'static str {
        match self {
            AgentStateKind::Available => "available",
            AgentStateKind::NotReady => "not_ready",
            AgentStateKind::Reserved => "reserved",
            AgentStateKind::Busy => "busy",
            AgentStateKind::WrappingUp => "wrapping_up",
        }
    }
}

/// What an agent event does to the agent's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateChange<'a> {
    Unchanged,
    LoggedOut,
    Into {
        state: AgentStateKind,
        reason: Option<&'a str>,
        call: Option<CallId>,
    },
}

/// The reason code of the not-ready state that follows a login.
pub const LOGGED_IN_REASON: &str = "logged_in";

pub(crate) fn state_change(event: &AgentEvent) -> StateChange<'_> {
    use AgentStateKind as K;
    let into = |state, reason, call| StateChange::Into {
        state,
        reason,
        call,
    };
    match event {
        AgentEvent::LoggedIn { .. } => into(K::NotReady, Some(LOGGED_IN_REASON), None),
        AgentEvent::LoggedOut { .. } => StateChange::LoggedOut,
        AgentEvent::Ready { .. }
        | AgentEvent::OfferMissed { .. }
        | AgentEvent::WrapUpCompleted { .. } => into(K::Available, None, None),
        AgentEvent::NotReady { reason, .. } => into(K::NotReady, Some(reason), None),
        AgentEvent::Reserved { call, .. } => into(K::Reserved, None, Some(*call)),
        AgentEvent::Busy { call } => into(K::Busy, None, Some(*call)),
        AgentEvent::WrappingUp { call, .. } => into(K::WrappingUp, None, Some(*call)),
        AgentEvent::SkillsChanged { .. }
        | AgentEvent::QueuesChanged { .. }
        | AgentEvent::Registered { .. }
        | AgentEvent::Renamed { .. }
        | AgentEvent::Removed { .. } => StateChange::Unchanged,
    }
}

/// One stretch of one state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentStateRow {
    pub agent: AgentId,
    pub state: AgentStateKind,
    /// The not-ready reason code.
    pub reason: Option<String>,
    /// The call reserved for, on, or wrapped up.
    pub call: Option<CallId>,
    pub start: Timestamp,
    /// `None` while the interval is open.
    pub end: Option<Timestamp>,
    /// `None` while the interval is open.
    pub duration_ms: Option<u64>,
}

/// The `agent_states` read model. An interval of 0 ms (the instant an agent is available
/// between a missed offer and its auto-pause) is not kept: it holds no time and would
/// only inflate counts of state changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentStates {
    checkpoint: Checkpoint,
    closed: Vec<AgentStateRow>,
    open: FastMap<AgentId, AgentStateRow>,
}

impl AgentStates {
    pub fn new() -> Self {
        Self::default()
    }

    /// Finished intervals, in the order they ended.
    pub fn closed(&self) -> &[AgentStateRow] {
        &self.closed
    }

    /// The interval `agent` is in now.
    pub fn current(&self, agent: AgentId) -> Option<&AgentStateRow> {
        self.open.get(&agent)
    }

    /// Every interval, open ones included, by agent then start.
    pub fn rows(&self) -> Vec<&AgentStateRow> {
        let mut rows: Vec<_> = self.closed.iter().chain(self.open.values()).collect();
        rows.sort_by_key(|r| (r.agent, r.start, r.end.is_none()));
        rows
    }

    fn apply_agent(&mut self, agent: AgentId, at: Timestamp, event: &AgentEvent) {
        let change = state_change(event);
        if change == StateChange::Unchanged {
            return;
        }
        if let Some(mut row) = self.open.remove(&agent) {
            let ms = at.millis_since(row.start);
            if ms > 0 {
                row.end = Some(at);
                row.duration_ms = Some(ms);
                self.closed.push(row);
            }
        }
        if let StateChange::Into {
            state,
            reason,
            call,
        } = change
        {
            self.open.insert(
                agent,
                AgentStateRow {
                    agent,
                    state,
                    reason: reason.map(str::to_owned),
                    call,
                    start: at,
                    end: None,
                    duration_ms: None,
                },
            );
        }
    }
}

impl Projection for AgentStates {
    fn name(&self) -> &'static str {
        "agent_states"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        if let Event::Agent(e) = fact.event
            && let Some(agent) = fact.id(AgentId::from_uuid)
        {
            self.apply_agent(agent, fact.occurred_at, e);
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::history::{A1, A4, agent, call, check_idempotent_and_incremental, morning, t};

    fn row(
        a: u32,
        state: AgentStateKind,
        reason: Option<&str>,
        c: Option<u32>,
        start: &str,
        end: &str,
        ms: u64,
    ) -> AgentStateRow {
        AgentStateRow {
            agent: agent(a),
            state,
            reason: reason.map(str::to_owned),
            call: c.map(call),
            start: t(start),
            end: Some(t(end)),
            duration_ms: Some(ms),
        }
    }

    #[test]
    fn an_agents_day_is_a_row_per_state_with_reasons_including_auto_pause() {
        use AgentStateKind as K;
        let mut states = AgentStates::new();
        morning().fold(&mut states);
        let a4: Vec<_> = states
            .rows()
            .into_iter()
            .filter(|r| r.agent == agent(A4))
            .cloned()
            .collect();
        assert_eq!(
            a4,
            vec![
                row(
                    A4,
                    K::NotReady,
                    Some("logged_in"),
                    None,
                    "08:55:00",
                    "08:58:00",
                    180_000
                ),
                // 08:58:00 -> 09:40:02 = 42 min 2 s.
                row(
                    A4,
                    K::Available,
                    None,
                    None,
                    "08:58:00",
                    "09:40:02",
                    2_522_000
                ),
                // Ring-all: agent 2 answered elsewhere.
                row(
                    A4,
                    K::Reserved,
                    None,
                    Some(7),
                    "09:40:02",
                    "09:40:07",
                    5_000
                ),
                // 09:40:07 -> 09:50:02 = 9 min 55 s.
                row(
                    A4,
                    K::Available,
                    None,
                    None,
                    "09:40:07",
                    "09:50:02",
                    595_000
                ),
                row(
                    A4,
                    K::Reserved,
                    None,
                    Some(8),
                    "09:50:02",
                    "09:50:17",
                    15_000
                ),
                // The missed offer frees the agent and the auto-pause follows at the same
                // instant: no 0 ms available row. 09:50:17 -> 10:00:00 = 9 min 43 s.
                row(
                    A4,
                    K::NotReady,
                    Some("auto_pause"),
                    None,
                    "09:50:17",
                    "10:00:00",
                    583_000
                ),
                // Logged out at 10:45: nothing open.
                row(
                    A4,
                    K::Available,
                    None,
                    None,
                    "10:00:00",
                    "10:45:00",
                    2_700_000
                ),
            ]
        );
        assert_eq!(states.current(agent(A4)), None);
    }

    #[test]
    fn a_call_is_reserved_busy_then_wrapping_up_and_the_last_interval_stays_open() {
        use AgentStateKind as K;
        let mut states = AgentStates::new();
        morning().fold(&mut states);
        let a1: Vec<_> = states
            .closed()
            .iter()
            .filter(|r| r.agent == agent(A1) && r.call == Some(call(1)))
            .cloned()
            .collect();
        assert_eq!(
            a1,
            vec![
                row(
                    A1,
                    K::Reserved,
                    None,
                    Some(1),
                    "09:00:03",
                    "09:00:10",
                    7_000
                ),
                row(A1, K::Busy, None, Some(1), "09:00:10", "09:05:10", 300_000),
                row(
                    A1,
                    K::WrappingUp,
                    None,
                    Some(1),
                    "09:05:10",
                    "09:05:40",
                    30_000
                ),
            ]
        );
        let open = states.current(agent(A1)).unwrap();
        assert_eq!(
            (open.state, open.start, open.end, open.duration_ms),
            (K::Available, t("10:12:21"), None, None)
        );
    }

    #[test]
    fn applying_twice_changes_nothing_and_halves_equal_one_pass() {
        check_idempotent_and_incremental(AgentStates::new);
        assert_eq!(AgentStates::new().name(), "agent_states");
    }
}
