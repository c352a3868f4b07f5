//! `hotline demo`: the sample center on the real actors, and what it reports.

use crate::{hotline, stdout};

#[test]
fn the_demo_reports_each_queue_and_its_numbers_agree_with_the_calls() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(
        dir.path(),
        &["demo", "--no-serve", "--calls", "60", "--minutes", "30"],
    );
    assert!(out.status.success());
    let text = stdout(&out);
    let first = text.lines().next().unwrap();
    // "60 calls: A answered, B abandoned, …"
    let answered: u32 = first
        .split(": ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|l| !l.starts_with("today"))
        .skip(1)
        .take_while(|l| !l.starts_with("agents:"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let queues: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(queues, ["sales", "support", "billing"], "{text}");
    let answered_in_queues: u32 = rows.iter().map(|r| r[2].parse::<u32>().unwrap()).sum();
    assert_eq!(answered_in_queues, answered, "{text}");
    assert!(text.contains("agents: 24 logged in"), "{text}");
    assert!(text.contains("hash chain verified"), "{text}");
    // The way back to this morning names its data directory on each command: copied as
    // printed, `audit verify` checks this log, not ./hotline-data.
    let flags = format!("--data-dir {}", dir.path().display());
    let hint = text
        .lines()
        .find(|l| l.starts_with("Read it all back"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        hint.contains(&format!("hotline log tail {flags}"))
            && hint.contains(&format!("hotline audit verify {flags}"))
            && !hint.contains('|'),
        "{hint}"
    );
}
