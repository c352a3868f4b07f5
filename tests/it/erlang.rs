//! `hotline erlang`: the staffing calculator as a planner runs it, and its bad input.

use std::path::Path;

use crate::{hotline, stderr, stdout};

/// The calculator touches no data directory; any path will do.
fn erlang(args: &[&str]) -> std::process::Output {
    let mut all = vec!["erlang"];
    all.extend_from_slice(args);
    hotline(Path::new("unused-data-dir"), &all)
}

#[test]
fn evaluates_agents_with_erlang_c() {
    // A = 24 Erlangs on 26 agents: C = 0.59668, SL(20 s) 0.49492, ASA 71.60 s (plain Python).
    let out = erlang(&[
        "--calls-per-hour",
        "360",
        "--aht",
        "240s",
        "--agents",
        "26",
        "--sl",
        "80/20s",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "offered load 24.00 Erlangs, Erlang C",
        "probability of waiting  59.7 %",
        "service level           49.5 % of offered calls answered within 20 s",
        "ASA                     71.6 s",
        "occupancy               92.3 %",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(!text.contains("abandonment"), "{text}");
}

#[test]
fn patience_switches_to_erlang_a_with_abandonment() {
    // Mandelbaum & Zeltyn: P(W>0) 0.31371, P(Ab) 0.05847; SL 0.82347, ASA 6.254 s (mpmath).
    let out = erlang(&[
        "--calls-per-hour",
        "360",
        "--aht",
        "4m",
        "--agents",
        "26",
        "--patience",
        "2m",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "Erlang A (mean patience 120 s)",
        "probability of waiting  31.4 %",
        "service level           82.3 %",
        "ASA                     6.3 s",
        "abandonment             5.8 % of offered calls (21.0 calls/hour)",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
}

#[test]
fn finds_the_agents_for_a_target_with_a_table_around_them() {
    // 200 calls an hour of 180 s: 13 agents give 79.6 % within 20 s, 14 give 88.8 %.
    let out = erlang(&[
        "--calls-per-hour",
        "200",
        "--aht",
        "3m",
        "--target",
        "80/20s",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("agents needed for 80 % within 20 s: 14"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("agents  P(wait)"))
        .skip(1)
        .collect();
    let agents: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.split_whitespace().next())
        .collect();
    assert_eq!(agents, ["12", "13", "14*", "15", "16", "17"], "{text}");
    assert!(
        rows[1].contains("79.6 %") && rows[2].contains("88.8 %"),
        "{text}"
    );
}

#[test]
fn an_abandonment_ceiling_can_need_more_agents() {
    // SL alone: 26 agents (82.3 %); P(Ab) ≤ 5 %: 27 (26 agents abandon 5.85 %).
    let base = [
        "--calls-per-hour",
        "360",
        "--aht",
        "240s",
        "--target",
        "80/20s",
        "--patience",
        "120s",
    ];
    let out = erlang(&base);
    assert!(stdout(&out).contains(": 26\n"), "{}", stdout(&out));
    let mut capped = base.to_vec();
    capped.extend(["--max-abandon", "5%"]);
    let out = erlang(&capped);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("abandonment at most 5 %: 27"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn too_few_agents_for_erlang_c_is_reported_as_unstable() {
    let out = erlang(&["--calls-per-hour", "360", "--aht", "240s", "--agents", "24"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("24 agents: unstable"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_thousand_agents_answer_at_once() {
    let out = erlang(&[
        "--calls-per-hour",
        "36000",
        "--aht",
        "360s",
        "--target",
        "80/20s",
        "--patience",
        "3m",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("offered load 3600.00 Erlangs"));
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--calls-per-hour", "lots", "--aht", "240s", "--agents", "3"],
            "--calls-per-hour: \"lots\" is not a number",
        ),
        (
            &["--calls-per-hour", "-5", "--aht", "240s", "--agents", "3"],
            "--calls-per-hour",
        ),
        (
            &["--calls-per-hour", "360", "--aht", "240", "--agents", "3"],
            "--aht: \"240\" is not a duration",
        ),
        (
            &["--calls-per-hour", "360", "--aht", "0s", "--agents", "3"],
            "the handle time must be more than zero",
        ),
        (
            &["--calls-per-hour", "360", "--aht", "240s", "--agents", "0"],
            "the number of agents must be between 1 and",
        ),
        (
            &["--calls-per-hour", "360", "--aht", "240s", "--agents", "x"],
            "--agents: \"x\" is not a whole number",
        ),
        (
            &[
                "--calls-per-hour",
                "360",
                "--aht",
                "240s",
                "--target",
                "120/20s",
            ],
            "--target: \"120/20s\" is not a service level",
        ),
        (
            &["--calls-per-hour", "360", "--aht", "240s"],
            "say --agents N",
        ),
        (
            &[
                "--calls-per-hour",
                "360",
                "--aht",
                "240s",
                "--target",
                "80/20s",
                "--max-abandon",
                "5%",
            ],
            "--max-abandon needs --patience",
        ),
        (
            &[
                "--calls-per-hour",
                "360",
                "--aht",
                "240s",
                "--agents",
                "30",
                "--patience",
                "0s",
            ],
            "the patience must be more than zero",
        ),
        (
            &["--calls-per-hour", "1e12", "--aht", "1h", "--agents", "30"],
            "offered load",
        ),
    ];
    for (args, needle) in cases {
        let out = erlang(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}
