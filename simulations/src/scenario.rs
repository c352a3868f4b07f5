//! Scenario files: a center (the same TOML as `config/center.toml`) and what happens to
//! it during a simulated day: callers arriving per queue or number at a rate per interval,
//! how long they talk and how long they wait, what they key in the IVR, and agent groups
//! with their shifts and breaks. `simulations/scenarios/example.toml` documents the format.
//!
//! Loading ([`Scenario::load`], [`Scenario::parse`]) reports every problem as
//! `file:line:column: field: what to do`, like the center's configuration, whose loader
//! reads the center's sections of the same file. Beside the validated types this module
//! holds two pure pieces the runner uses: the arrival instants of a stream
//! ([`ArrivalTimes`]) and the test of whether a scenario meets Erlang's assumptions
//! ([`Scenario::erlang`]).

mod load;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use hotline_events::{AgentId, QueueId};
use hotline_infra::config::{CenterConfig, ConfigErrors};
use hotline_media::{AgentModel, Dist};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Exp1};

use crate::erlang::{ErlangError, Load, Model};

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Shown in the report; the file's name unless `[scenario] name` gives one.
    pub name: String,
    /// Every random draw of a run follows from it: the same seed writes the same log.
    pub seed: u64,
    /// When the simulated day starts; shifts and breaks are wall-clock times in its offset.
    pub start: DateTime<FixedOffset>,
    /// The length of one arrival interval (`calls` give one count per interval).
    pub interval: Duration,
    /// After the last interval, how long calls in progress may still finish.
    pub drain: Duration,
    /// The center: the file's own sections, plus the agents the groups create and a
    /// number for each queue that callers reach directly.
    pub center: CenterConfig,
    pub arrivals: Vec<Arrivals>,
    /// In file order; agents of the center in no group form none (they work all day).
    pub groups: Vec<AgentGroup>,
}

/// One stream of callers.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    /// The number they dial.
    pub number: String,
    /// What callers key at the IVR menu, with probabilities; the remaining probability
    /// keys nothing (the number's default queue). Empty without a menu.
    pub ivr: Vec<(String, f64)>,
    /// Mean calls per interval, one entry per interval (Poisson within each).
    pub calls_per_interval: Vec<f64>,
    /// The conversation's length once connected (the handle time, without wrap-up).
    pub talk: Dist,
    /// How long a caller waits before hanging up; `None`: never.
    pub patience: Option<Dist>,
    /// The queue they reach without keying anything, as the center routes the number.
    pub queue: QueueId,
}

/// Agents that share a shift, breaks and phone behaviour, reported together.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentGroup {
    pub name: String,
    pub agents: Vec<AgentId>,
    /// From the start of the run: when the agents log in and out (`None`: at the end of
    /// the run, drain included).
    pub shift: (Duration, Option<Duration>),
    /// From the start of the run: each break's start and end, within the shift.
    pub breaks: Vec<(Duration, Duration)>,
    /// How the agents pick up when their phone rings.
    pub answer: AgentModel,
}

impl Scenario {
    /// Reads and validates the scenario at `path`. Errors name the path as given.
    pub fn load(path: &Path) -> Result<Scenario, ConfigErrors> {
        load::load(path)
    }

    /// Validates `text`, reporting every problem against `file_name`.
    pub fn parse(text: &str, file_name: &str) -> Result<Scenario, ConfigErrors> {
        load::parse(text, file_name)
    }

    /// How many arrival intervals the run has: the longest `calls` list.
    pub fn intervals(&self) -> usize {
        self.arrivals
            .iter()
            .map(|a| a.calls_per_interval.len())
            .max()
            .unwrap_or(0)
    }

    /// The simulated time during which calls arrive.
    pub fn arrival_window(&self) -> Duration {
        self.interval
            .saturating_mul(u32::try_from(self.intervals()).unwrap_or(u32::MAX))
    }

    /// The whole run: arrivals, then the drain.
    pub fn length(&self) -> Duration {
        self.arrival_window().saturating_add(self.drain)
    }

    /// The mean number of calls the scenario offers.
    pub fn expected_calls(&self) -> f64 {
        self.arrivals
            .iter()
            .flat_map(|a| a.calls_per_interval.iter())
            .sum()
    }

    /// The Erlang model this scenario follows, or why it follows none.
    ///
    /// Erlang C and A assume one queue fed by one Poisson stream of constant rate,
    /// exponential handle times, identical agents who are there all the time and take a
    /// call the moment it is offered, and (Erlang A) exponential patience. So: one queue,
    /// reached without an IVR menu; one arrivals stream with the same count in every
    /// interval; exponential talk and no wrap-up (wrap-up is handle time, but fixed, not
    /// exponential); no maximum wait, overflow, callbacks or business hours; every member
    /// logged in the whole run without breaks, answering at once and always.
    pub fn erlang(&self) -> Result<ErlangSetup, String> {
        let [queue] = self.center.queues.as_slice() else {
            return Err(format!(
                "{} queues (Erlang models one)",
                self.center.queues.len()
            ));
        };
        let [arrivals] = self.arrivals.as_slice() else {
            return Err(format!(
                "{} arrival streams (Erlang models one)",
                self.arrivals.len()
            ));
        };
        if !arrivals.ivr.is_empty() {
            return Err("callers go through an IVR menu".into());
        }
        let rate = arrivals.calls_per_interval.first().copied().unwrap_or(0.0);
        if arrivals.calls_per_interval.iter().any(|&c| c != rate) || rate <= 0.0 {
            return Err("the arrival rate changes between intervals".into());
        }
        let Dist::Exponential { mean_secs: talk } = arrivals.talk else {
            return Err("talk time is not exponential".into());
        };
        let model = match &arrivals.patience {
            None => Model::ErlangC,
            Some(Dist::Exponential { mean_secs }) => Model::ErlangA {
                patience_secs: *mean_secs,
            },
            Some(_) => return Err("patience is not exponential".into()),
        };
        if !queue.wrap_up.is_zero() {
            return Err(format!(
                "the queue has {} s of wrap-up",
                queue.wrap_up.as_secs_f64()
            ));
        }
        if queue.max_wait.is_some()
            || !queue.overflow.is_empty()
            || queue.callback
            || queue.hours.is_some()
        {
            return Err("the queue has a maximum wait, overflow, callbacks or hours".into());
        }
        let members: Vec<AgentId> = self.center.members(&queue.id).map(|a| a.id).collect();
        let instant = AgentModel {
            answer_delay: Dist::Fixed { secs: 0.0 },
            answer_probability: 1.0,
        };
        for group in &self.groups {
            if group.agents.iter().any(|a| members.contains(a))
                && (group.shift != (Duration::ZERO, None)
                    || !group.breaks.is_empty()
                    || group.answer != instant)
            {
                return Err(format!(
                    "agent group {} has a shift, breaks or does not answer at once",
                    group.name
                ));
            }
        }
        let agents = u32::try_from(members.len()).map_err(|_| "too many agents".to_owned())?;
        if agents == 0 {
            return Err("the queue has no agents".into());
        }
        let load = Load::new(rate / self.interval.as_secs_f64(), talk)
            .map_err(|e: ErlangError| e.to_string())?;
        Ok(ErlangSetup {
            queue: queue.id.clone(),
            agents,
            load,
            model,
            threshold_secs: queue.service_level_threshold.as_secs_f64(),
        })
    }
}

/// What Erlang C / A needs to predict a scenario's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ErlangSetup {
    pub queue: QueueId,
    pub agents: u32,
    pub load: Load,
    pub model: Model,
    /// The queue's service-level threshold.
    pub threshold_secs: f64,
}

/// The arrival instants of a stream whose rate is constant within each interval, in
/// seconds from the start: a Poisson process per interval. The process is memoryless, so
/// at an interval's end the next gap is simply drawn again at the next rate.
#[derive(Debug, Clone)]
pub struct ArrivalTimes {
    rates_per_sec: Vec<f64>,
    interval_secs: f64,
    now: f64,
    index: usize,
    rng: StdRng,
}

impl ArrivalTimes {
    pub fn new(calls_per_interval: &[f64], interval: Duration, seed: u64) -> Self {
        let interval_secs = interval.as_secs_f64();
        Self {
            rates_per_sec: calls_per_interval
                .iter()
                .map(|c| c / interval_secs)
                .collect(),
            interval_secs,
            now: 0.0,
            index: 0,
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Iterator for ArrivalTimes {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        while let Some(&rate) = self.rates_per_sec.get(self.index) {
            let end = self.interval_secs * (self.index + 1) as f64;
            if rate.is_finite() && rate > 0.0 {
                let gap: f64 = Exp1.sample(&mut self.rng);
                let at = self.now + gap / rate;
                if at < end {
                    self.now = at;
                    return Some(at);
                }
            }
            self.now = end;
            self.index += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_follow_the_rate_of_each_interval() {
        let hour = Duration::from_secs(3600);
        let times: Vec<f64> = ArrivalTimes::new(&[2000.0, 0.0, 500.0], hour, 3).collect();
        let count = |from: f64, to: f64| times.iter().filter(|&&t| t >= from && t < to).count();
        // Poisson counts: sd = sqrt(mean), so 2000 ± 45 and 500 ± 22; 5 sd either way.
        assert!(
            (1775..=2225).contains(&count(0.0, 3600.0)),
            "{}",
            count(0.0, 3600.0)
        );
        assert_eq!(count(3600.0, 7200.0), 0);
        assert!((390..=610).contains(&count(7200.0, 10800.0)));
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times.iter().all(|&t| t < 10800.0));
        let again: Vec<f64> = ArrivalTimes::new(&[2000.0, 0.0, 500.0], hour, 3).collect();
        assert_eq!(times, again);
    }
}
