//! `hotline simulate`: a scenario's day into the log, its report, and its errors.

use std::path::Path;

use crate::{all_events, hotline, stderr, stdout};

fn scenario(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("simulations/scenarios")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn a_simulated_day_lands_in_the_log_and_is_reported_beside_erlang() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(
        dir.path(),
        &["simulate", &scenario("erlang-a.toml"), "--seed", "3"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Erlang A: 20 agents at 90 %: 1 queue, 20 agents"),
        "{text}"
    );
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("support "))
        .unwrap_or_else(|| panic!("{text}"))
        .split_whitespace()
        .collect();
    let offered: u64 = row[1].parse().unwrap();
    let answered: u64 = row[2].parse().unwrap();
    let abandoned: u64 = row[3].parse().unwrap();
    // 24 hours of 360 calls: 8640 ± 93 (Poisson), 5 sd either way.
    assert!((8175..=9105).contains(&offered), "{text}");
    assert_eq!(answered + abandoned, offered, "{text}");
    assert!(text.contains("team             20"), "{text}");
    assert!(
        text.contains("Erlang A, mean patience 120 s; 20 agents, 18.00 Erlangs"),
        "{text}"
    );
    for figure in ["P(wait)", "SL", "ASA", "abandonment", "occupancy"] {
        assert!(
            text.lines().any(|l| l.starts_with(figure)),
            "{figure}: {text}"
        );
    }
    // The log is a day like any other: every call has its stream, the chain holds.
    let events = all_events(dir.path());
    let calls = events.iter().filter(|e| e.event_type == "arrived").count() as u64;
    assert_eq!(calls, offered);
    let verify = hotline(dir.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn the_example_scenario_reports_each_queue_and_group() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["simulate", &scenario("example.toml")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "sales ", "support ", "billing ", "early ", "late ", "experts ",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
    }
    assert!(
        text.contains("Erlang's formulas do not apply: 3 queues"),
        "{text}"
    );
    // A second run into the same data would mix two days: refused, the log untouched.
    let again = hotline(dir.path(), &["simulate", &scenario("example.toml")]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("simulate into an empty data directory"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_bad_scenario_is_reported_by_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[[queues]]\nid = \"q\"\nstrategy = \"linear\"\n[[arrivals]]\nqueue = \"q\"\ncalls = [10]\ntalk = { exponential = \"three minutes\" }\n",
    )
    .unwrap();
    let out = hotline(
        &dir.path().join("data"),
        &["simulate", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "bad.toml:7:24: arrivals[0].talk.exponential: \"three minutes\" is not a duration"
        ),
        "{err}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created for a bad scenario"
    );
}

#[test]
fn two_runs_of_one_seed_write_the_same_log() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&a, &b] {
        let out = hotline(
            dir.path(),
            &["simulate", &scenario("example.toml"), "--seed", "11"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let tail =
        |dir: &tempfile::TempDir| stdout(&hotline(dir.path(), &["log", "tail", "--from", "1"]));
    let (first, second) = (tail(&a), tail(&b));
    assert!(
        first.lines().count() > 1000,
        "{} events",
        first.lines().count()
    );
    // Every event as the wire shows it: ids, times, data and hashes.
    assert!(first == second, "the two logs differ");
}

/// The number after `label` in `text` (commas and units left out).
fn figure(text: &str, label: &str) -> f64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    text[at + label.len()..]
        .trim_start()
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {text}"))
}

#[test]
fn a_load_run_drives_the_live_center_and_prints_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(
        dir.path(),
        &[
            "simulate",
            &scenario("erlang-a.toml"),
            "--load",
            "--compress",
            "2000",
            "--calls",
            "300",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "Erlang A: 20 agents at 90 %: load run of 300 calls, time compressed 2000x"
        ),
        "{text}"
    );
    assert_eq!(figure(&text, "placed:"), 300.0, "{text}");
    // 360 calls an hour, 2000 times faster.
    assert_eq!(
        figure(&text, "the compressed scenario offers"),
        200.0,
        "{text}"
    );
    let calls_per_sec = figure(&text, "sustained:");
    let events_per_sec = figure(&text, "calls/s,");
    assert!(calls_per_sec > 0.0 && calls_per_sec <= 1000.0, "{text}");
    // A call is at least arrived, queued, ended on its stream.
    assert!(events_per_sec >= 3.0 * calls_per_sec, "{text}");
    let ended = figure(&text, "events/s (");
    assert!(ended > 0.0 && ended <= 300.0, "{text}");
    for line in ["routing:", "appends:"] {
        let row = text
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("{line}: {text}"));
        let (p50, p99, max) = (figure(row, "p50"), figure(row, "p99"), figure(row, "max"));
        assert!(p50 > 0.0 && p50 <= p99 && p99 <= max, "{row}");
        assert!(max < 60_000.0, "{row}");
        assert!(figure(row, "ms (") >= 1.0, "{row}");
    }
    let mib = figure(&text, "peak RSS");
    assert!(mib > 1.0 && mib < 4096.0, "{text}");

    // The run is in the log like any day: every placed call arrived, the chain holds.
    let events = all_events(dir.path());
    let arrived = events.iter().filter(|e| e.event_type == "arrived").count();
    assert_eq!(arrived, 300);
    let written = figure(&text, "calls ended and");
    assert_eq!(written as usize, events.len(), "{text}");
    let verify = hotline(dir.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[test]
fn load_options_are_checked_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = hotline(
        &data,
        &[
            "simulate",
            &scenario("erlang-a.toml"),
            "--load",
            "--compress",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--compress 0: give a factor greater than zero"));
    assert!(!data.exists(), "nothing is created for bad options");
    let out = hotline(
        &data,
        &["simulate", &scenario("erlang-a.toml"), "--calls", "5"],
    );
    assert_eq!(out.status.code(), Some(2), "--calls needs --load");
}
