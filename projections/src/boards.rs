//! The live boards: per queue (waiting now, longest current wait, offered / answered /
//! abandoned today, SL, ASA, AHT, agents per state) and per agent (state, time in it,
//! calls and talk / hold / wrap-up time today).
//!
//! "Today" is the local day in the rules' time zone: the counters start again at local
//! midnight. A queue's counters follow [`crate::queue_counts`]: a call counts on the day
//! it was queued. An agent's times count the part of each finished interval after the
//! local midnight (the current interval shows as the time in state); calls today are the
//! calls the agent answered today.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use hotline_events::{AgentEvent, AgentId, CallId, Event, QueueId, Timestamp};

use crate::agent_states::{AgentStateKind, StateChange, state_change};
use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};
use crate::queue_counts::{QueueCounts, QueueTally};
use crate::rules::MetricRules;

fn local_date(zone: Tz, t: Timestamp) -> NaiveDate {
    t.to_datetime().with_timezone(&zone).date_naive()
}

/// The instant the local day `date` starts (the first valid local time of the day, where
/// a DST change skips midnight).
fn day_start(zone: Tz, date: NaiveDate) -> Timestamp {
    (0..3)
        .filter_map(|h| date.and_hms_opt(h, 0, 0))
        .find_map(|t| zone.from_local_datetime(&t).earliest())
        .map_or(Timestamp::from_millis(i64::MIN), |t| {
            Timestamp::from_datetime(t.with_timezone(&Utc))
        })
}

/// The latest local day a board has seen: its date, when it starts and when the next one
/// starts. Kept so that a time that falls today gets its date and its day's start without
/// asking the time zone: chrono-tz's conversions were 3.5 % of a rebuild's folding thread,
/// asked several times for each agent's event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Today {
    date: NaiveDate,
    start: Timestamp,
    next: Timestamp,
}

/// The local date of `t`: `today`'s if it falls in it, else the time zone's word.
fn date_near(today: Option<Today>, zone: Tz, t: Timestamp) -> NaiveDate {
    match today {
        Some(d) if d.start <= t && t < d.next => d.date,
        _ => local_date(zone, t),
    }
}

/// How many of a queue's agents are in each state now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentsByState {
    pub available: u32,
    pub not_ready: u32,
    pub reserved: u32,
    pub busy: u32,
    pub wrapping_up: u32,
}

impl AgentsByState {
    fn add(&mut self, state: AgentStateKind) {
        let n = match state {
            AgentStateKind::Available => &mut self.available,
            AgentStateKind::NotReady => &mut self.not_ready,
            AgentStateKind::Reserved => &mut self.reserved,
            AgentStateKind::Busy => &mut self.busy,
            AgentStateKind::WrappingUp => &mut self.wrapping_up,
        };
        *n += 1;
    }
}

/// One queue's board at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueBoard {
    pub queue: QueueId,
    /// Calls waiting in the queue now, callbacks keeping their place included; an
    /// overflowed call waits (and shows) in the queue it was queued in.
    pub waiting: u32,
    pub longest_wait_ms: u64,
    /// Today's counters (calls queued today).
    pub today: QueueCounts,
    pub service_level: Option<f64>,
    pub asa_ms: Option<f64>,
    pub aht_ms: Option<f64>,
    /// The logged-in agents who take this queue's calls, by state.
    pub agents: AgentsByState,
}

/// One agent's board at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentBoard {
    pub agent: AgentId,
    pub name: String,
    /// `None` when logged out.
    pub state: Option<AgentStateKind>,
    pub reason: Option<String>,
    pub since: Timestamp,
    pub time_in_state_ms: u64,
    pub calls_today: u32,
    /// On calls minus on hold, today.
    pub talk_ms_today: u64,
    pub hold_ms_today: u64,
    pub wrap_ms_today: u64,
    /// (busy + wrap-up) / (available + reserved + busy + wrap-up) today: the share of
    /// logged-in, not-ready-excluded time spent on contacts.
    pub occupancy_today: Option<f64>,
}

/// An agent's finished time today, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct AgentDay {
    date: Option<NaiveDate>,
    calls: u32,
    available_ms: u64,
    not_ready_ms: u64,
    reserved_ms: u64,
    busy_ms: u64,
    wrap_ms: u64,
    hold_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct AgentLive {
    name: String,
    queues: Vec<QueueId>,
    state: Option<AgentStateKind>,
    reason: Option<String>,
    since: Timestamp,
    day: AgentDay,
}

impl AgentLive {
    /// Today's figures, started afresh on a new day.
    fn day(&mut self, date: NaiveDate) -> &mut AgentDay {
        if self.day.date != Some(date) {
            self.day = AgentDay {
                date: Some(date),
                ..AgentDay::default()
            };
        }
        &mut self.day
    }
}

/// The boards read model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Boards {
    checkpoint: Checkpoint,
    rules: MetricRules,
    tally: QueueTally<NaiveDate>,
    agents: FastMap<AgentId, AgentLive>,
    /// The latest local day seen: older days are dropped.
    today: Option<Today>,
}

impl Boards {
    pub fn new(rules: MetricRules) -> Self {
        Self {
            checkpoint: Checkpoint::default(),
            rules,
            tally: QueueTally::default(),
            agents: FastMap::default(),
            today: None,
        }
    }

    /// `queue`'s board at `now`.
    pub fn queue(&self, queue: &QueueId, now: Timestamp) -> QueueBoard {
        let zone = self.rules.time_zone;
        let today = self
            .tally
            .counts(queue, local_date(zone, now))
            .copied()
            .unwrap_or_default();
        let mut waiting = 0;
        let mut longest_wait_ms = 0;
        for (q, queued_at) in self.tally.waiting() {
            if q == queue {
                waiting += 1;
                longest_wait_ms = longest_wait_ms.max(now.millis_since(queued_at));
            }
        }
        let mut agents = AgentsByState::default();
        for a in self.agents.values() {
            if let Some(state) = a.state
                && a.queues.contains(queue)
            {
                agents.add(state);
            }
        }
        QueueBoard {
            queue: queue.clone(),
            waiting,
            longest_wait_ms,
            today,
            service_level: today.service_level(),
            asa_ms: today.asa_ms(),
            aht_ms: today.aht_ms(),
            agents,
        }
    }

    /// Every queue seen today, waiting or staffed, by name.
    pub fn queues(&self, now: Timestamp) -> Vec<QueueBoard> {
        let date = local_date(self.rules.time_zone, now);
        let mut names: BTreeSet<&QueueId> = self
            .tally
            .all()
            .filter(|(_, d, _)| *d == date)
            .map(|(q, _, _)| q)
            .collect();
        names.extend(self.tally.waiting().map(|(q, _)| q));
        names.extend(
            self.agents
                .values()
                .filter(|a| a.state.is_some())
                .flat_map(|a| &a.queues),
        );
        names.into_iter().map(|q| self.queue(q, now)).collect()
    }

    /// `agent`'s board at `now`; `None` for an agent never seen.
    pub fn agent(&self, agent: AgentId, now: Timestamp) -> Option<AgentBoard> {
        let a = self.agents.get(&agent)?;
        let date = local_date(self.rules.time_zone, now);
        let day = if a.day.date == Some(date) {
            a.day
        } else {
            AgentDay::default()
        };
        let logged_in = day.available_ms + day.reserved_ms + day.busy_ms + day.wrap_ms;
        let occupancy_today =
            (logged_in > 0).then(|| (day.busy_ms + day.wrap_ms) as f64 / logged_in as f64);
        Some(AgentBoard {
            agent,
            name: a.name.clone(),
            state: a.state,
            reason: a.reason.clone(),
            since: a.since,
            time_in_state_ms: now.millis_since(a.since),
            calls_today: day.calls,
            talk_ms_today: day.busy_ms.saturating_sub(day.hold_ms),
            hold_ms_today: day.hold_ms,
            wrap_ms_today: day.wrap_ms,
            occupancy_today,
        })
    }

    /// Agents' boards at `now`, by id.
    pub fn agents(&self, now: Timestamp) -> Vec<AgentBoard> {
        let mut ids: Vec<_> = self.agents.keys().copied().collect();
        ids.sort();
        ids.into_iter().filter_map(|a| self.agent(a, now)).collect()
    }

    /// Moves "today" forward when `at` is past the next local midnight, and drops the
    /// queue counters of the days before.
    fn roll(&mut self, at: Timestamp) {
        if matches!(self.today, Some(d) if at < d.next) {
            return;
        }
        let zone = self.rules.time_zone;
        let date = local_date(zone, at);
        let next = date
            .succ_opt()
            .map_or(Timestamp::from_millis(i64::MAX), |d| day_start(zone, d));
        self.today = Some(Today {
            date,
            start: day_start(zone, date),
            next,
        });
        self.tally.forget_before(date);
    }

    /// The part of `[from, to)` after the local midnight of `to`'s day.
    fn today_part(&self, from: Timestamp, to: Timestamp) -> (NaiveDate, u64) {
        let zone = self.rules.time_zone;
        let date = date_near(self.today, zone, to);
        let start = match self.today {
            Some(d) if d.date == date => d.start,
            _ => day_start(zone, date),
        };
        (date, to.millis_since(from.max(start)))
    }

    fn apply_agent(&mut self, agent: AgentId, at: Timestamp, event: &AgentEvent) {
        self.tally.apply_agent(agent, at, event);
        let change = state_change(event);
        let a = self.agents.entry(agent).or_insert_with(|| AgentLive {
            name: String::new(),
            queues: Vec::new(),
            state: None,
            reason: None,
            since: at,
            day: AgentDay::default(),
        });
        match event {
            AgentEvent::LoggedIn { name, queues, .. } => {
                a.name.clone_from(name);
                a.queues.clone_from(queues);
            }
            AgentEvent::QueuesChanged { queues, .. } => a.queues.clone_from(queues),
            AgentEvent::Registered { name, queues, .. } => {
                a.name.clone_from(name);
                a.queues.clone_from(queues);
            }
            AgentEvent::Renamed { name, .. } => a.name.clone_from(name),
            AgentEvent::Removed { .. } => {
                // Off the roster, off the board (only a logged-out agent is removed).
                self.agents.remove(&agent);
                return;
            }
            _ => {}
        }
        if change == StateChange::Unchanged {
            return;
        }
        let (since, previous) = (a.since, a.state);
        let (date, ms) = self.today_part(since, at);
        let Some(a) = self.agents.get_mut(&agent) else {
            return;
        };
        if let Some(previous) = previous {
            let day = a.day(date);
            *match previous {
                AgentStateKind::Available => &mut day.available_ms,
                AgentStateKind::NotReady => &mut day.not_ready_ms,
                AgentStateKind::Reserved => &mut day.reserved_ms,
                AgentStateKind::Busy => &mut day.busy_ms,
                AgentStateKind::WrappingUp => &mut day.wrap_ms,
            } += ms;
        }
        a.since = at;
        match change {
            StateChange::Into { state, reason, .. } => {
                a.state = Some(state);
                a.reason = reason.map(str::to_owned);
                if state == AgentStateKind::Busy {
                    a.day(date_near(self.today, self.rules.time_zone, at)).calls += 1;
                }
            }
            StateChange::LoggedOut | StateChange::Unchanged => {
                a.state = None;
                a.reason = None;
            }
        }
    }
}

impl Projection for Boards {
    fn name(&self) -> &'static str {
        "boards"
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        let at = fact.occurred_at;
        match fact.event {
            Event::Call(e) => {
                self.roll(at);
                let Some(call) = fact.id(CallId::from_uuid) else {
                    return;
                };
                let (zone, today) = (self.rules.time_zone, self.today);
                let hold = self
                    .tally
                    .apply_call(call, at, e, &self.rules, |t| date_near(today, zone, t));
                if let Some((by, ms)) = hold {
                    let from = Timestamp::from_millis(
                        at.as_millis()
                            .saturating_sub(i64::try_from(ms).unwrap_or(i64::MAX)),
                    );
                    let (date, held) = self.today_part(from, at);
                    if let Some(a) = self.agents.get_mut(&by) {
                        a.day(date).hold_ms += held;
                    }
                }
            }
            Event::Agent(e) => {
                self.roll(at);
                if let Some(agent) = fact.id(AgentId::from_uuid) {
                    self.apply_agent(agent, at, e);
                }
            }
            _ => {}
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
    use crate::history::{
        A1, A2, History, agent, at, call, check_idempotent_and_incremental, morning, q, t,
    };
    use hotline_events::{CallEvent, EndReason, Party};

    fn utc_rules() -> MetricRules {
        MetricRules::default()
            .with_threshold(q("sales"), 20_000)
            .with_threshold(q("support"), 30_000)
    }

    #[test]
    fn the_sales_board_after_the_morning() {
        let mut boards = Boards::new(utc_rules());
        morning().fold(&mut boards);
        let b = boards.queue(&q("sales"), t("10:50:00"));
        // Offered: 4 (09:00) + 1 (09:15) + 2 (09:30) + 1 (09:45) + 1 (10:00) + 1 (10:15).
        // Answered: calls 1, 6, 4, 5, 7, 9; within 20 s: calls 1, 4, 7.
        // Waits: 8 + 30 + 5 + 40 + 6 + 610 = 699 s. Handle: 540 + 200 + 330 + 130 s.
        assert_eq!(
            b.today,
            QueueCounts {
                offered: 10,
                answered: 6,
                abandoned: 1,
                short_abandons: 1,
                answered_within_threshold: 3,
                answer_wait_ms: 699_000,
                abandon_wait_ms: 48_000,
                handled: 6,
                handle_ms: 1_200_000,
            }
        );
        // SL = 3 / (10 - 1); ASA = 699 / 6 = 116.5 s; AHT = 1200 / 6 = 200 s.
        assert_eq!(b.service_level, Some(3.0 / 9.0));
        assert_eq!(b.asa_ms, Some(116_500.0));
        assert_eq!(b.aht_ms, Some(200_000.0));
        assert_eq!((b.waiting, b.longest_wait_ms), (0, 0));
        // Agents 1 and 2 are available; agent 4 logged out; agent 3 is support's.
        assert_eq!(
            b.agents,
            AgentsByState {
                available: 2,
                ..AgentsByState::default()
            }
        );
        let names: Vec<_> = boards
            .queues(t("10:50:00"))
            .into_iter()
            .map(|b| b.queue)
            .collect();
        assert_eq!(names, vec![q("sales"), q("support")]);
    }

    #[test]
    fn an_agents_day_on_the_board() {
        let mut boards = Boards::new(utc_rules());
        morning().fold(&mut boards);
        let a = boards.agent(agent(A1), t("10:50:00")).unwrap();
        assert_eq!(a.state, Some(AgentStateKind::Available));
        // Available since the wrap-up of call 9 ended at 10:12:21: 37 min 39 s.
        assert_eq!((a.since, a.time_in_state_ms), (t("10:12:21"), 2_259_000));
        // Calls 1, 6 and 9: busy 300 + 180 + 120 s, of which 30 s on hold (call 1).
        assert_eq!(a.calls_today, 3);
        assert_eq!((a.talk_ms_today, a.hold_ms_today), (570_000, 30_000));
        // Wrap-ups: 30 + 30 + 10 s.
        assert_eq!(a.wrap_ms_today, 70_000);
        // Available 123 + 570 + 1272 + 1794 = 3759 s, reserved 7 + 10 + 5 + 10 = 32 s:
        // occupancy (600 + 70) / (3759 + 32 + 600 + 70).
        assert_eq!(a.occupancy_today, Some(670.0 / 4461.0));
        let gone = boards.agent(agent(4), t("10:50:00")).unwrap();
        assert_eq!((gone.state, gone.since), (None, t("10:45:00")));
    }

    #[test]
    fn a_registered_agent_is_on_the_board_by_name_until_removed() {
        let a = agent(77);
        let mut h = History::default();
        h.agent(
            a,
            t("09:00:00"),
            AgentEvent::Registered {
                login: "katherine".into(),
                name: "Katherine".into(),
                extension: None,
                skills: vec![],
                queues: vec![q("sales")],
                by: "admin".into(),
            },
        )
        .agent(
            a,
            t("09:02:00"),
            AgentEvent::Renamed {
                name: "Katherine J.".into(),
                by: "admin".into(),
            },
        )
        .agent(a, t("09:04:00"), AgentEvent::Removed { by: "admin".into() });
        let board_at = |until: &str| {
            let mut boards = Boards::new(utc_rules());
            h.fold_until(&mut boards, t(until));
            boards.agent(a, t(until))
        };
        let tile = board_at("09:01:00").unwrap();
        assert_eq!((tile.name.as_str(), tile.state), ("Katherine", None));
        assert_eq!(board_at("09:03:00").unwrap().name, "Katherine J.");
        assert!(board_at("09:05:00").is_none(), "removed: off the board");
    }

    /// New York is UTC-5 in November: local midnight of the 25th is 05:00 UTC.
    fn around_midnight() -> History {
        let (a1, x, y, z) = (agent(A1), call(31), call(32), call(33));
        let mut h = History::default();
        h.log_in(a1, at("2026-11-25T04:00:00Z"), &["sales"])
            .agent(
                a1,
                at("2026-11-25T04:00:00Z"),
                AgentEvent::Ready { by: None },
            )
            // 23:50 local, the 24th: answered after 10 s, held across midnight.
            .arrive(x, at("2026-11-25T04:49:55Z"))
            .queue(x, at("2026-11-25T04:50:00Z"), "sales")
            .offer(x, at("2026-11-25T04:50:05Z"), a1, "sales")
            .answer(x, at("2026-11-25T04:50:10Z"), a1, 10_000)
            .call(x, at("2026-11-25T04:59:00Z"), CallEvent::Held { by: a1 })
            .call(x, at("2026-11-25T05:01:00Z"), CallEvent::Resumed { by: a1 })
            .end(
                x,
                at("2026-11-25T05:05:10Z"),
                Party::Caller,
                EndReason::Completed,
            )
            .wrap(
                a1,
                x,
                at("2026-11-25T05:05:10Z"),
                at("2026-11-25T05:05:40Z"),
                None,
            )
            // 00:10 local, the 25th: abandoned after 40 s.
            .arrive(y, at("2026-11-25T05:09:59Z"))
            .queue(y, at("2026-11-25T05:10:00Z"), "sales")
            .call(
                y,
                at("2026-11-25T05:10:40Z"),
                CallEvent::Abandoned {
                    queue: q("sales"),
                    waited_ms: 40_000,
                },
            )
            .end(
                y,
                at("2026-11-25T05:10:40Z"),
                Party::Caller,
                EndReason::Abandoned,
            )
            // Still waiting.
            .arrive(z, at("2026-11-25T05:14:59Z"))
            .queue(z, at("2026-11-25T05:15:00Z"), "sales");
        h
    }

    #[test]
    fn the_counters_start_again_at_local_midnight() {
        let rules = utc_rules().with_time_zone(chrono_tz::America::New_York);
        let h = around_midnight();
        let mut boards = Boards::new(rules.clone());
        h.fold_until(&mut boards, at("2026-11-25T04:59:30Z"));
        let before = boards.queue(&q("sales"), at("2026-11-25T04:59:30Z"));
        assert_eq!(
            (
                before.today.offered,
                before.today.answered,
                before.today.answered_within_threshold
            ),
            (1, 1, 1)
        );
        let a = boards.agent(agent(A1), at("2026-11-25T04:59:30Z")).unwrap();
        assert_eq!((a.state, a.calls_today), (Some(AgentStateKind::Busy), 1));
        // Midnight passes with no event: the board still shows a new day.
        let after = boards.queue(&q("sales"), at("2026-11-25T05:00:30Z"));
        assert_eq!(after.today, QueueCounts::default());
        assert_eq!(
            boards
                .agent(agent(A1), at("2026-11-25T05:00:30Z"))
                .unwrap()
                .calls_today,
            0
        );

        h.fold(&mut boards);
        let now = at("2026-11-25T05:20:00Z");
        let b = boards.queue(&q("sales"), now);
        // Today: call y (abandoned after 40 s) and call z (waiting since 05:15:00).
        assert_eq!(
            b.today,
            QueueCounts {
                offered: 2,
                abandoned: 1,
                abandon_wait_ms: 40_000,
                ..QueueCounts::default()
            }
        );
        assert_eq!(b.service_level, Some(0.0));
        assert_eq!((b.waiting, b.longest_wait_ms), (1, 300_000));
        let a = boards.agent(agent(A1), now).unwrap();
        // Busy 04:50:10 -> 05:05:10, of which today from 05:00:00: 310 s; held 04:59 ->
        // 05:01, of which today 60 s; talk 310 - 60 = 250 s; wrap 05:05:10 -> 05:05:40.
        assert_eq!(a.calls_today, 0, "the call was answered yesterday");
        assert_eq!(
            (a.talk_ms_today, a.hold_ms_today, a.wrap_ms_today),
            (250_000, 60_000, 30_000)
        );
        // Available since 05:05:40.
        assert_eq!(a.time_in_state_ms, 860_000);
        assert_eq!(
            boards.tally.all().count(),
            1,
            "yesterday's counters are dropped"
        );

        // In UTC the same calls are all on the 25th.
        let mut utc = Boards::new(utc_rules());
        h.fold(&mut utc);
        let b = utc.queue(&q("sales"), now);
        assert_eq!(
            (b.today.offered, b.today.answered, b.today.abandoned),
            (3, 1, 1)
        );
    }

    #[test]
    fn a_time_outside_the_kept_day_is_dated_by_the_time_zone() {
        let zone = chrono_tz::America::New_York;
        // The 25th in New York: 05:00 UTC to 05:00 UTC the next day.
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let day = Today {
            date,
            start: day_start(zone, date),
            next: day_start(zone, date.succ_opt().unwrap()),
        };
        assert_eq!(day.start, at("2026-11-25T05:00:00Z"));
        let today = Some(day);
        for time in [
            "2026-11-25T04:59:59.999Z",
            "2026-11-25T05:00:00Z",
            "2026-11-26T04:59:59.999Z",
            "2026-11-26T05:00:00Z",
        ] {
            let t = at(time);
            assert_eq!(date_near(today, zone, t), local_date(zone, t), "{time}");
        }
        assert_eq!(date_near(today, zone, at("2026-11-25T12:00:00Z")), date);
    }

    #[test]
    fn applying_twice_changes_nothing_and_halves_equal_one_pass() {
        check_idempotent_and_incremental(|| Boards::new(utc_rules()));
        assert_eq!(Boards::new(utc_rules()).name(), "boards");
        let _ = A2;
    }
}
