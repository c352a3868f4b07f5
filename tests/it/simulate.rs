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
