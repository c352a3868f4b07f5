//! What a run did, per queue and per agent group, folded from the log by the same
//! projections the wallboards and SQL use (`calls`, `agent_states`): a simulated day is
//! measured exactly like a real one.
//!
//! The figures use the denominators of Erlang's formulas, so that they compare with them:
//! the service level and the abandonment are shares of *offered* calls, short abandons
//! included (the wallboards leave short abandons out; here they are counted apart too);
//! P(wait) is the share of offered calls that did not reach an agent at once.

use std::collections::HashSet;
use std::time::Duration;

use hotline_events::{AgentId, QueueId, Timestamp};
use hotline_infra::{EventLog, LogError};
use hotline_projections::{
    AgentStateKind, AgentStateRow, AgentStates, CallRow, Calls, Fact, MetricRules, Outcome,
    Projection,
};

use crate::erlang::{self, Evaluation};
use crate::scenario::{ErlangSetup, Scenario};

/// The counts of one queue over some calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Calls queued here first.
    pub offered: u64,
    pub answered: u64,
    /// Callers who hung up waiting, short abandons included.
    pub abandoned: u64,
    /// Of `abandoned`, those who hung up within the short-abandon time.
    pub short_abandons: u64,
    /// Calls not answered at the moment they were queued.
    pub waited: u64,
    pub answered_within_threshold: u64,
    pub answer_wait_ms: u64,
    /// Talk + hold + wrap-up of the answered calls.
    pub handle_ms: u64,
}

impl QueueCounts {
    /// Counts the calls of `rows` first queued in `queue`.
    pub fn tally<'r>(
        queue: &QueueId,
        threshold: Duration,
        rows: impl IntoIterator<Item = &'r CallRow>,
    ) -> QueueCounts {
        let threshold_ms = u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX);
        let mut c = QueueCounts::default();
        for row in rows {
            if row.first_queue.as_ref() != Some(queue) {
                continue;
            }
            c.offered += 1;
            if row.wait_ms > 0 || row.answered_at.is_none() {
                c.waited += 1;
            }
            match row.outcome {
                Some(Outcome::Answered) => {
                    c.answered += 1;
                    c.answer_wait_ms += row.wait_ms;
                    c.handle_ms += row.talk_ms + row.hold_ms + row.wrap_ms;
                    if row.wait_ms <= threshold_ms {
                        c.answered_within_threshold += 1;
                    }
                }
                Some(Outcome::Abandoned) => c.abandoned += 1,
                Some(Outcome::ShortAbandon) => {
                    c.abandoned += 1;
                    c.short_abandons += 1;
                }
                _ => {}
            }
        }
        c
    }

    fn share(&self, n: u64) -> Option<f64> {
        (self.offered > 0).then(|| n as f64 / self.offered as f64)
    }

    /// Answered within the threshold / offered.
    pub fn service_level(&self) -> Option<f64> {
        self.share(self.answered_within_threshold)
    }

    pub fn p_wait(&self) -> Option<f64> {
        self.share(self.waited)
    }

    /// Abandoned (short ones included) / offered.
    pub fn abandonment(&self) -> Option<f64> {
        self.share(self.abandoned)
    }

    /// Mean wait of answered calls, in seconds.
    pub fn asa_secs(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answer_wait_ms as f64 / 1000.0 / self.answered as f64)
    }

    /// Mean handle time of answered calls, in seconds.
    pub fn aht_secs(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.handle_ms as f64 / 1000.0 / self.answered as f64)
    }
}

/// Where some agents' logged-in time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentTime {
    /// Ringing, on calls and wrapping up.
    pub handling_ms: u64,
    /// Ready and free.
    pub available_ms: u64,
    /// Not ready for the reason `break`.
    pub break_ms: u64,
    /// Not ready for any other reason.
    pub not_ready_ms: u64,
}

impl AgentTime {
    /// Sums the state intervals of `agents`; intervals still open count until `end`.
    pub fn tally<'r>(
        agents: &HashSet<AgentId>,
        rows: impl IntoIterator<Item = &'r AgentStateRow>,
        end: Timestamp,
    ) -> AgentTime {
        AgentTime::tally_within(agents, rows, None, end)
    }

    /// [`AgentTime::tally`] of the part of each interval between `from` (if given) and `to`.
    pub fn tally_within<'r>(
        agents: &HashSet<AgentId>,
        rows: impl IntoIterator<Item = &'r AgentStateRow>,
        from: Option<Timestamp>,
        to: Timestamp,
    ) -> AgentTime {
        let mut t = AgentTime::default();
        for row in rows {
            if !agents.contains(&row.agent) {
                continue;
            }
            let start = from.map_or(row.start, |from| from.max(row.start));
            let ms = row.end.unwrap_or(to).min(to).millis_since(start);
            match row.state {
                AgentStateKind::Available => t.available_ms += ms,
                AgentStateKind::Reserved | AgentStateKind::Busy | AgentStateKind::WrappingUp => {
                    t.handling_ms += ms
                }
                AgentStateKind::NotReady if row.reason.as_deref() == Some("break") => {
                    t.break_ms += ms
                }
                AgentStateKind::NotReady => t.not_ready_ms += ms,
            }
        }
        t
    }

    /// Handling / (handling + available): the share of logged-in, non-break time spent on
    /// contacts.
    pub fn occupancy(&self) -> Option<f64> {
        let working = self.handling_ms + self.available_ms;
        (working > 0).then(|| self.handling_ms as f64 / working as f64)
    }
}

/// One queue's line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueReport {
    pub queue: QueueId,
    pub threshold: Duration,
    pub counts: QueueCounts,
    /// Of the agents who are members of the queue.
    pub time: AgentTime,
}

/// One agent group's line (the center's agents in no group form the group `-`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReport {
    pub name: String,
    pub agents: usize,
    /// Calls answered by the group's agents.
    pub answered: u64,
    pub time: AgentTime,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub queues: Vec<QueueReport>,
    pub groups: Vec<GroupReport>,
    /// When the scenario meets Erlang's assumptions: its parameters and what the formula
    /// predicts (or why it cannot).
    pub erlang: Option<(ErlangSetup, Result<Evaluation, erlang::ErlangError>)>,
    /// With `erlang`: the queue's counts and its agents' time in the steady part of the run,
    /// which Erlang's formulas describe: calls arriving after a warm-up of a tenth of the
    /// arrival window (the center starts empty, which shortens the first waits), until
    /// the arrivals stop (after that, agents run out of calls).
    pub steady: Option<(QueueCounts, AgentTime)>,
    /// Why the scenario does not meet Erlang's assumptions.
    pub not_erlang: Option<String>,
    pub events: u64,
}

impl Report {
    /// Folds the whole log and tallies it.
    pub async fn from_log(log: &dyn EventLog, scenario: &Scenario) -> Result<Report, LogError> {
        let mut calls = Calls::new(MetricRules::from_config(&scenario.center));
        let mut states = AgentStates::new();
        let (events, last) = fold_log(log, |fact| {
            calls.apply(fact);
            states.apply(fact);
        })
        .await?;
        let end = last.unwrap_or_else(|| Timestamp::from_datetime(scenario.start.to_utc()));
        // Tallied from the projection's rows in place: a copy of every call row was the
        // largest part of a long run's peak memory.
        Ok(Report::tally(
            scenario,
            calls.rows(),
            &states.rows(),
            end,
            events,
        ))
    }

    /// The report of `calls` and `states`, agent intervals still open counting until `end`.
    pub fn tally(
        scenario: &Scenario,
        calls: &[CallRow],
        states: &[&AgentStateRow],
        end: Timestamp,
        events: u64,
    ) -> Report {
        let center = &scenario.center;
        let queues = center
            .queues
            .iter()
            .map(|q| {
                let members: HashSet<AgentId> = center.members(&q.id).map(|a| a.id).collect();
                QueueReport {
                    queue: q.id.clone(),
                    threshold: q.service_level_threshold,
                    counts: QueueCounts::tally(&q.id, q.service_level_threshold, calls),
                    time: AgentTime::tally(&members, states.iter().copied(), end),
                }
            })
            .collect();
        let mut groups: Vec<GroupReport> = Vec::new();
        let mut grouped: HashSet<AgentId> = HashSet::new();
        let mut group = |name: &str, agents: HashSet<AgentId>| {
            let answered = calls
                .iter()
                .filter(|c| c.agents.first().is_some_and(|a| agents.contains(a)))
                .count() as u64;
            groups.push(GroupReport {
                name: name.to_owned(),
                agents: agents.len(),
                answered,
                time: AgentTime::tally(&agents, states.iter().copied(), end),
            });
        };
        for g in &scenario.groups {
            let agents: HashSet<AgentId> = g.agents.iter().copied().collect();
            grouped.extend(agents.iter().copied());
            group(&g.name, agents);
        }
        let rest: HashSet<AgentId> = center
            .agents
            .iter()
            .map(|a| a.id)
            .filter(|a| !grouped.contains(a))
            .collect();
        if !rest.is_empty() {
            group("-", rest);
        }
        let (erlang, not_erlang) = match scenario.erlang() {
            Ok(setup) => {
                let predicted =
                    erlang::evaluate(setup.model, setup.load, setup.agents, setup.threshold_secs);
                (Some((setup, predicted)), None)
            }
            Err(why) => (None, Some(why)),
        };
        let steady = erlang.as_ref().map(|(setup, _)| {
            let start = Timestamp::from_datetime(scenario.start.to_utc());
            let window = scenario.arrival_window();
            let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let (from, to) = (
                start.plus_millis(ms(window / 10)),
                start.plus_millis(ms(window)),
            );
            let threshold = Duration::from_secs_f64(setup.threshold_secs);
            let counts = QueueCounts::tally(
                &setup.queue,
                threshold,
                calls
                    .iter()
                    .filter(|c| c.arrived_at.is_some_and(|t| t >= from && t < to)),
            );
            let members: HashSet<AgentId> = center.members(&setup.queue).map(|a| a.id).collect();
            let time = AgentTime::tally_within(&members, states.iter().copied(), Some(from), to);
            (counts, time)
        });
        Report {
            queues,
            groups,
            erlang,
            steady,
            not_erlang,
            events,
        }
    }
}

/// Feeds every event of the log, decoded once, to `apply`; returns the log's head and the
/// time of its last event.
pub async fn fold_log(
    log: &dyn EventLog,
    mut apply: impl FnMut(&Fact<'_>),
) -> Result<(u64, Option<Timestamp>), LogError> {
    let mut from = 1;
    let mut last = None;
    loop {
        // Decoded by the log as it reads (on its reader threads, without copies).
        let batch = log.read_decoded(from, 20_000).await?;
        let Some(end) = batch.last() else { break };
        from = end.position + 1;
        for d in &batch {
            apply(&Fact::decoded(d));
            last = Some(d.occurred_at);
        }
    }
    Ok((from - 1, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_events::CallId;

    fn at(ms: u64) -> Timestamp {
        Timestamp::parse("2026-01-05T08:00:00Z")
            .unwrap()
            .plus_millis(ms)
    }

    fn call(queue: &str, outcome: Outcome, wait_ms: u64, handle_ms: u64) -> CallRow {
        let mut row = CallRow::new(CallId::generate());
        row.first_queue = Some(QueueId::new(queue).unwrap());
        row.outcome = Some(outcome);
        row.wait_ms = wait_ms;
        if outcome == Outcome::Answered {
            row.answered_at = Some(at(wait_ms));
            row.talk_ms = handle_ms;
        }
        row
    }

    #[test]
    fn queue_figures_count_against_offered_calls_short_abandons_included() {
        let q = QueueId::new("q").unwrap();
        let rows = [
            call("q", Outcome::Answered, 0, 100_000),
            call("q", Outcome::Answered, 20_000, 200_000),
            call("q", Outcome::Answered, 21_000, 300_000),
            call("q", Outcome::ShortAbandon, 2_000, 0),
            call("q", Outcome::Abandoned, 40_000, 0),
            call("other", Outcome::Answered, 0, 1),
        ];
        let c = QueueCounts::tally(&q, Duration::from_secs(20), &rows);
        assert_eq!(c.offered, 5);
        assert_eq!(c.answered, 3);
        assert_eq!((c.abandoned, c.short_abandons), (2, 1));
        assert_eq!(c.waited, 4, "all but the call answered at once");
        assert_eq!(c.service_level(), Some(2.0 / 5.0), "20 s is within 20 s");
        assert_eq!(c.abandonment(), Some(2.0 / 5.0));
        assert_eq!(c.p_wait(), Some(4.0 / 5.0));
        assert_eq!(c.asa_secs(), Some(41.0 / 3.0));
        assert_eq!(c.aht_secs(), Some(200.0));
        let none = QueueCounts::tally(&QueueId::new("empty").unwrap(), Duration::ZERO, &rows);
        assert_eq!((none.service_level(), none.asa_secs()), (None, None));
    }

    #[test]
    fn agent_time_is_clipped_to_the_window_and_breaks_are_not_working_time() {
        let agent = AgentId::generate();
        let row = |state, reason: Option<&str>, from, to: Option<u64>| AgentStateRow {
            agent,
            state,
            reason: reason.map(str::to_owned),
            call: None,
            start: at(from),
            end: to.map(at),
            duration_ms: to.map(|t| t - from),
        };
        let rows = [
            row(AgentStateKind::Available, None, 0, Some(1_000)),
            row(AgentStateKind::Busy, None, 1_000, Some(4_000)),
            row(AgentStateKind::NotReady, Some("break"), 4_000, Some(5_000)),
            row(AgentStateKind::WrappingUp, None, 5_000, None),
        ];
        let agents = HashSet::from([agent]);
        let all = AgentTime::tally(&agents, &rows, at(6_000));
        assert_eq!(
            all,
            AgentTime {
                handling_ms: 4_000,
                available_ms: 1_000,
                break_ms: 1_000,
                not_ready_ms: 0,
            }
        );
        assert_eq!(all.occupancy(), Some(0.8));
        let window = AgentTime::tally_within(&agents, &rows, Some(at(500)), at(2_000));
        assert_eq!((window.available_ms, window.handling_ms), (500, 1_000));
        assert_eq!(window.break_ms, 0);
        let nobody = AgentTime::tally(&HashSet::new(), &rows, at(6_000));
        assert_eq!(nobody.occupancy(), None);
    }
}
