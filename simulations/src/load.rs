//! Load runs: a scenario's traffic against the live, wall-clock system, as fast as it
//! goes, to size a deployment.
//!
//! Unlike [`crate::run`], nothing here is virtual: the production [`Center`] runs on the
//! caller's (multi-thread) runtime and the system clock, on whatever log it is given (the
//! binary gives it the data directory's SQLite log, synced at each commit as
//! `hotline serve` opens it), so the figures are those of a real deployment minus HTTP.
//!
//! Time is compressed by a factor: every duration of the traffic (the gaps between
//! arrivals, talk, patience, the agents' answer delay) and the queues' wrap-up, maximum
//! wait and default handle time are divided by it, so the center carries the scenario's
//! load (the same Erlangs) at `factor` times its call rate. Agents are all logged in and
//! ready from the start (shifts and breaks are a day's shape, not a load's). When the
//! system cannot keep up, arrivals are placed as soon as the driver gets to them: raise
//! the factor until the sustained rate stops following it, and that is the deployment's
//! ceiling.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_actors::Center;
use hotline_actors::agent::AgentCommand;
use hotline_infra::{Clock, EventLog, LatencySummary, TimedLog};
use hotline_media::{AgentModel, CallerScript, Dist, MAX_SECS, SimNetwork};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::run::{RunError, log_in, sub_seed};
use crate::scenario::{ArrivalTimes, Scenario};

/// How a load run goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadOptions {
    /// Every duration of the traffic is divided by this (greater than zero).
    pub compress: f64,
    /// Stop placing calls after this many (the scenario's arrivals repeat day after day
    /// until then).
    pub calls: Option<u64>,
    /// Stop placing calls after this much wall time.
    pub duration: Option<Duration>,
    /// How long to wait at most, once arrivals stop, for the calls in progress to end.
    pub drain: Duration,
}

/// How far a load run is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadProgress {
    pub elapsed: Duration,
    pub placed: u64,
    /// Calls in progress now.
    pub live: u64,
    /// The log's head.
    pub events: u64,
    /// Whether arrivals have stopped and the run waits for the last calls.
    pub draining: bool,
}

/// What a load run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadSummary {
    pub placed: u64,
    /// Calls that ended (answered and hung up, abandoned…) during the run.
    pub ended: u64,
    /// Calls still in progress when the drain ran out.
    pub live_at_end: u64,
    /// Events the run appended.
    pub events: u64,
    /// Wall time from the first call placed to the run's end (the drain included).
    pub wall: Duration,
    /// Wall time during which calls were placed.
    pub placing: Duration,
    /// The rate the compressed scenario asks for, in calls per second.
    pub offered_per_sec: f64,
    pub routing: LatencySummary,
    pub appends: LatencySummary,
    /// The process's peak resident memory (VmHWM), in KiB, where /proc tells it.
    pub peak_rss_kib: Option<u64>,
}

impl LoadSummary {
    /// Calls that went all the way through per wall second.
    pub fn calls_per_sec(&self) -> f64 {
        self.ended as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// The process's peak resident set size in KiB (`VmHWM` of /proc/self/status); `None` off
/// Linux.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

/// The part of the resident set that is files mapped into memory now, in KiB (`RssFile`):
/// a SQLite log read through its memory map counts there, as page cache the kernel can
/// drop, not as the process's own memory.
pub fn file_rss_kib() -> Option<u64> {
    status_kib("RssFile:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

const NETWORK: u64 = 1;
const ROUTER: u64 = 2;
const CALLERS: u64 = 4;
const ARRIVALS: u64 = 100;
/// How often progress is reported.
const PROGRESS: Duration = Duration::from_millis(200);

/// Runs `scenario`'s traffic, compressed, against a center on `log` (which must be empty)
/// and the system clock; must run on a multi-thread runtime, whose workers the actors use.
pub async fn load(
    scenario: &Scenario,
    log: Arc<dyn EventLog>,
    options: LoadOptions,
    mut progress: impl FnMut(LoadProgress),
) -> Result<LoadSummary, RunError> {
    let factor = options.compress;
    if !(factor.is_finite() && factor > 0.0) {
        return Err(RunError::Options(format!(
            "the compression factor is {factor}: give a number greater than zero"
        )));
    }
    let head = log.head().await?;
    if head > 0 {
        return Err(RunError::NotEmpty(head));
    }
    let timed = TimedLog::new(log);
    let appends = timed.appends();
    let log: Arc<dyn EventLog> = Arc::new(timed);
    let seed = scenario.seed;
    let config = scenario.center.compressed(factor);
    let (net, reports) = SimNetwork::new(sub_seed(seed, NETWORK), 65_536);
    let instant = AgentModel {
        answer_delay: Dist::Fixed { secs: 0.0 },
        answer_probability: 1.0,
    };
    for a in &config.agents {
        let group = scenario.groups.iter().find(|g| g.agents.contains(&a.id));
        let model = group.map_or(instant.clone(), |g| AgentModel {
            answer_delay: g.answer.answer_delay.compressed(factor),
            answer_probability: g.answer.answer_probability,
        });
        net.add_agent(a.id, model);
    }
    let center = Center::start(
        config.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::system(),
        sub_seed(seed, ROUTER),
    )
    .await
    .map_err(|e| RunError::Center(e.to_string()))?;
    for a in &config.agents {
        // Refused only if already logged in, which an empty log rules out.
        let _ = center.agent(a.id, log_in(a)).await;
        let _ = center.agent(a.id, AgentCommand::Ready).await;
    }

    // Each stream's arrivals, in compressed seconds; a stream that runs out starts its
    // next day (new draws) when the run is limited by calls or time, not by the scenario.
    let repeat = options.calls.is_some() || options.duration.is_some();
    let window = scenario.arrival_window().as_secs_f64();
    let day = |n: usize, k: u64| {
        ArrivalTimes::new(
            &scenario.arrivals[n].calls_per_interval,
            scenario.interval,
            sub_seed(seed, ARRIVALS + n as u64 + 1000 * k),
        )
    };
    let mut streams: Vec<(ArrivalTimes, u64)> = (0..scenario.arrivals.len())
        .map(|n| (day(n, 0), 0))
        .collect();
    let next = |streams: &mut Vec<(ArrivalTimes, u64)>, n: usize| -> Option<f64> {
        loop {
            let (times, k) = &mut streams[n];
            if let Some(t) = times.next() {
                return Some((t + window * *k as f64) / factor);
            }
            // A stream with no calls at all would loop for ever.
            if !repeat
                || scenario.arrivals[n]
                    .calls_per_interval
                    .iter()
                    .all(|c| *c <= 0.0)
            {
                return None;
            }
            let k = *k + 1;
            streams[n] = (day(n, k), k);
        }
    };
    let mut timeline: BinaryHeap<Reverse<(Duration, usize)>> = BinaryHeap::new();
    for n in 0..streams.len() {
        if let Some(t) = next(&mut streams, n) {
            timeline.push(Reverse((Duration::from_secs_f64(t), n)));
        }
    }
    let offered_per_sec = scenario.expected_calls() / window.max(1e-9) * factor;
    let talk: Vec<Dist> = scenario
        .arrivals
        .iter()
        .map(|a| a.talk.compressed(factor))
        .collect();
    let never = Dist::Fixed { secs: MAX_SECS };
    let patience: Vec<Dist> = scenario
        .arrivals
        .iter()
        .map(|a| {
            a.patience
                .as_ref()
                .map_or(never.clone(), |p| p.compressed(factor))
        })
        .collect();

    let mut callers = StdRng::seed_from_u64(sub_seed(seed, CALLERS));
    let origin = tokio::time::Instant::now();
    let started = Instant::now();
    let mut placed = 0u64;
    let mut reported = Instant::now();
    let report = |placed: u64, draining: bool, center: &Center, head: u64| LoadProgress {
        elapsed: started.elapsed(),
        placed,
        live: center.live_calls().len() as u64,
        events: head,
        draining,
    };
    while let Some(Reverse((when, n))) = timeline.pop() {
        if options.calls.is_some_and(|max| placed >= max)
            || options.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        tokio::time::sleep_until(origin + when).await;
        let stream = &scenario.arrivals[n];
        let mut pick: f64 = callers.random();
        let digits = stream
            .ivr
            .iter()
            .find(|(_, p)| {
                pick -= p;
                pick < 0.0
            })
            .map(|(d, _)| d.clone());
        net.place_call(CallerScript {
            number: stream.number.clone(),
            caller: format!("+1555{:07}", callers.random_range(0..10_000_000u32)),
            digits,
            patience: patience[n].clone(),
            talk: talk[n].clone(),
            callee_answers: true,
        })
        .await;
        placed += 1;
        if let Some(t) = next(&mut streams, n) {
            timeline.push(Reverse((Duration::from_secs_f64(t), n)));
        }
        if reported.elapsed() >= PROGRESS {
            reported = Instant::now();
            progress(report(placed, false, &center, log.head().await?));
        }
    }
    let placing = started.elapsed();
    let drain_until = Instant::now() + options.drain;
    loop {
        let now = report(placed, true, &center, log.head().await?);
        progress(now);
        if now.live == 0 || Instant::now() >= drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed();
    let live_at_end = center.live_calls().len() as u64;
    let routing = center.routing_latency().summary();
    center.stop().await;
    // After the stop: what the actors wrote as they stopped counts too.
    let events = log.head().await?;
    Ok(LoadSummary {
        placed,
        ended: placed - live_at_end.min(placed),
        live_at_end,
        events,
        wall,
        placing,
        offered_per_sec,
        routing,
        appends: appends.summary(),
        peak_rss_kib: peak_rss_kib(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_center_s_own_durations_are_compressed_like_the_traffic() {
        let scenario = Scenario::parse(
            "[[queues]]\nid = \"q\"\nstrategy = \"longest_idle\"\nwrap_up = \"30s\"\nmax_wait = \"10m\"\n[[arrivals]]\nqueue = \"q\"\ncalls = [10]\ntalk = { exponential = \"3m\" }\n",
            "t.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let center = scenario.center.compressed(100.0);
        let q = &center.queues[0];
        assert_eq!(q.wrap_up, Duration::from_millis(300));
        assert_eq!(q.max_wait, Some(Duration::from_secs(6)));
        assert_eq!(q.ring_timeout, scenario.center.queues[0].ring_timeout);
    }

    #[test]
    fn peak_memory_is_read_from_proc() {
        if std::path::Path::new("/proc/self/status").exists() {
            let kib = peak_rss_kib().unwrap_or(0);
            assert!(kib > 1000, "{kib} KiB");
        }
    }
}
