//! The simulator against Erlang C and A: scenarios that meet the formulas' assumptions,
//! run through the production actors on the virtual clock, must agree with them within
//! their statistical error. And a seed must write the same log twice, byte for byte.
//!
//! How the tolerance is derived (batch means): the first tenth of the arrival window is
//! dropped (the center starts empty, which biases waits down); the calls of the rest are
//! split by arrival time into 20 consecutive batches; each batch gives one value of each
//! figure (P(wait), SL, ASA, abandonment). Batches this long are close to independent, so
//! the mean of the 20 values has a standard error of their standard deviation over √20,
//! and the test accepts the analytic value within a two-sided 99.9 % Student interval:
//! t(0.9995, 19 df) = 3.88 standard errors. Each test's seed is fixed, so a run passes or
//! fails the same way every time; the interval says how far off the simulator may be
//! before a test notices.
//!
//! Each test is sized for a debug build (CI: the three take about 80 s together on two
//! cores); their intervals are wide (a few points of SL, seconds of ASA). The heavy
//! variants, marked `#[ignore]`, run ten times as many calls and narrow the intervals
//! about threefold: `cargo test -p hotline-simulations --test accuracy -- --ignored`
//! (`--release` for speed). Measured in a debug build, 370 calls/s: 50 agents at 95 % with
//! patience, 54,603 steady calls: P(wait) 0.337 ± 0.014 against 0.343, SL 0.887 ± 0.009
//! against 0.879, ASA 4.36 ± 0.27 s against 4.57 s, abandonment 0.0385 ± 0.0021 against
//! 0.0406; 10 agents at 70 % (Erlang C), 36,192 calls: P(wait) 0.230 ± 0.010 against
//! 0.222, SL 0.832 ± 0.010 against 0.841, ASA 13.7 ± 1.3 s against 13.3 s.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hotline_infra::{Durability, EventLog, SqliteLog};
use hotline_projections::{CallRow, Calls, MetricRules, Projection};
use hotline_simulations::erlang::{self, Figures, Load, Model};
use hotline_simulations::report::{QueueCounts, Report, fold_log};
use hotline_simulations::run;
use hotline_simulations::scenario::Scenario;

/// t(0.9995, 19): the two-sided 99.9 % quantile of Student's t with 19 degrees of freedom.
const T_999_19: f64 = 3.883;
const BATCHES: usize = 20;
const AHT_SECS: f64 = 180.0;

/// A one-queue scenario of `agents` agents at `load` (offered Erlangs over agents) that
/// offers about `calls` calls, in hourly intervals.
fn scenario(agents: u32, load: f64, patience_secs: Option<f64>, calls: f64, seed: u64) -> Scenario {
    let per_hour = load * f64::from(agents) * 3600.0 / AHT_SECS;
    let hours = (calls / per_hour).ceil().max(1.0) as usize;
    let counts = vec![format!("{per_hour}"); hours].join(", ");
    let patience = patience_secs
        .map(|p| {
            format!(
                "patience = {{ exponential = \"{}ms\" }}\n",
                (p * 1000.0) as u64
            )
        })
        .unwrap_or_default();
    let text = format!(
        "[scenario]\nseed = {seed}\ninterval = \"1h\"\ndrain = \"4h\"\n\
         [[queues]]\nid = \"q\"\nstrategy = \"longest_idle\"\nwrap_up = \"0s\"\n\
         service_level = {{ threshold = \"20s\", target = 80 }}\n\
         [[arrivals]]\nqueue = \"q\"\ncalls = [{counts}]\ntalk = {{ exponential = \"{AHT_SECS}s\" }}\n{patience}\
         [[agent_groups]]\nname = \"team\"\ncount = {agents}\nqueues = [\"q\"]\n"
    );
    match Scenario::parse(&text, "accuracy.toml") {
        Ok(s) => s,
        Err(e) => panic!("{e}\n{text}"),
    }
}

/// Runs `scenario` into a fresh log and returns its report and every call's row.
fn simulate(scenario: &Scenario) -> (Report, Vec<CallRow>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> =
        Arc::new(SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap());
    let summary = run::run(scenario, log.clone(), |_| {}).unwrap();
    assert_eq!(summary.live_at_end, 0, "every call ends within the drain");
    let report = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let report = Report::from_log(log.as_ref(), scenario).await.unwrap();
            let mut calls = Calls::new(MetricRules::from_config(&scenario.center));
            fold_log(log.as_ref(), |fact| calls.apply(fact))
                .await
                .unwrap();
            log.close().await.unwrap();
            (report, calls.rows().to_vec())
        });
    (report.0, report.1, dir)
}

/// Mean and standard error of the batch values.
fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[track_caller]
fn check(agents: u32, load: f64, patience_secs: Option<f64>, calls: f64, seed: u64) {
    let s = scenario(agents, load, patience_secs, calls, seed);
    let setup = s.erlang().unwrap();
    let model = match patience_secs {
        Some(p) => Model::erlang_a(p).unwrap(),
        None => Model::ErlangC,
    };
    assert_eq!(setup.model, model);
    let analytic: Figures = *erlang::evaluate(
        model,
        Load::new(load * f64::from(agents) / AHT_SECS, AHT_SECS).unwrap(),
        agents,
        20.0,
    )
    .unwrap()
    .figures()
    .unwrap();
    let (_report, calls, _dir) = simulate(&s);

    // Calls in arrival order, after the warm-up.
    let warm_up = s.start.to_utc() + s.arrival_window() / 10;
    let mut rows: Vec<&CallRow> = calls
        .iter()
        .filter(|r| r.arrived_at.is_some_and(|t| t.to_datetime() >= warm_up))
        .collect();
    rows.sort_by_key(|r| r.arrived_at);
    let per_batch = rows.len() / BATCHES;
    assert!(per_batch >= 50, "too few calls: {}", rows.len());
    let queue = &setup.queue;
    let batches: Vec<QueueCounts> = rows
        .chunks(per_batch)
        .take(BATCHES)
        .map(|b| QueueCounts::tally(queue, std::time::Duration::from_secs(20), b.iter().copied()))
        .collect();
    let figure = |f: fn(&QueueCounts) -> Option<f64>| -> Vec<f64> {
        batches.iter().map(|b| f(b).unwrap_or(0.0)).collect()
    };
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for (name, values, expected) in [
        ("P(wait)", figure(QueueCounts::p_wait), analytic.p_wait),
        (
            "SL",
            figure(QueueCounts::service_level),
            analytic.service_level,
        ),
        ("ASA", figure(QueueCounts::asa_secs), analytic.asa_secs),
        (
            "abandonment",
            figure(QueueCounts::abandonment),
            analytic.abandonment,
        ),
    ] {
        let (mean, error) = mean_and_error(&values);
        // Erlang C's abandonment is exactly zero, and so is every batch's: nothing to
        // estimate, the values must simply agree.
        let tolerance = (T_999_19 * error).max(1e-9);
        let line = format!(
            "{name}: simulated {mean:.4} ± {error:.4} (s.e.), Erlang {expected:.4}, allowed ± {tolerance:.4}"
        );
        if (mean - expected).abs() > tolerance {
            failures.push(line.clone());
        }
        lines.push(line);
    }
    println!(
        "{agents} agents at {:.0} %{}: {} calls after warm-up\n  {}",
        load * 100.0,
        patience_secs.map_or(String::new(), |p| format!(", patience {p} s")),
        rows.len(),
        lines.join("\n  ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn erlang_c_10_agents_at_70_percent() {
    check(10, 0.70, None, 4_000.0, 11);
}

#[test]
fn erlang_a_50_agents_at_95_percent() {
    check(50, 0.95, Some(120.0), 6_000.0, 12);
}

#[test]
fn erlang_a_200_agents_at_98_percent() {
    check(200, 0.98, Some(120.0), 10_000.0, 13);
}

#[test]
#[ignore = "heavy: 40,000 calls, about 2 minutes in a debug build"]
fn heavy_erlang_c_10_agents_at_70_percent() {
    check(10, 0.70, None, 40_000.0, 21);
}

#[test]
#[ignore = "heavy: 60,000 calls, about 3 minutes in a debug build"]
fn heavy_erlang_c_50_agents_at_90_percent() {
    check(50, 0.90, None, 60_000.0, 22);
}

#[test]
#[ignore = "heavy: 60,000 calls, about 3 minutes in a debug build"]
fn heavy_erlang_a_50_agents_at_95_percent() {
    check(50, 0.95, Some(120.0), 60_000.0, 23);
}

#[test]
#[ignore = "heavy: 200,000 calls, about 10 minutes in a debug build"]
fn heavy_erlang_a_200_agents_at_98_percent() {
    check(200, 0.98, Some(120.0), 200_000.0, 24);
}

/// Every row of the events and streams tables, as text.
fn dump(dir: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(dir.join("events.sqlite")).unwrap();
    let mut rows = Vec::new();
    for query in [
        "SELECT position, stream, version, previous, type, schema, occurred_at, hex(ids), data, hex(chain) FROM events ORDER BY position",
        "SELECT id, name, version, last, '', '', '', '', '', '' FROM streams ORDER BY id",
    ] {
        let mut stmt = db.prepare(query).unwrap();
        let mut out = stmt.query([]).unwrap();
        while let Some(row) = out.next().unwrap() {
            let cells: Vec<String> = (0..10)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(cells.join("|"));
        }
    }
    rows
}

#[test]
fn one_seed_writes_the_same_log_byte_for_byte() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/example.toml");
    let mut s = Scenario::load(&path).unwrap();
    // A shorter day of the example: every feature (IVR, shifts, breaks, slow agents).
    for a in &mut s.arrivals {
        a.calls_per_interval.iter_mut().for_each(|c| *c /= 3.0);
    }
    let (first, _, a) = simulate(&s);
    let (second, _, b) = simulate(&s);
    assert!(first.events > 500, "{} events", first.events);
    assert_eq!(first.events, second.events);
    let (a, b) = (dump(a.path()), dump(b.path()));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    s.seed += 1;
    let (_, _, c) = simulate(&s);
    assert_ne!(dump(c.path()), a, "another seed, another day");
}
