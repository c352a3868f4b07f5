//! `hotline log tail`: JSON lines, filters, and following a live log.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotline_events::Recorded;

use crate::{all_events, demo, hotline, stderr, stdout};

#[test]
fn the_whole_log_reads_back_in_order_with_an_intact_chain() {
    let dir = demo(20);
    let events = all_events(dir.path());
    assert!(events.len() > 100);
    for (i, r) in events.iter().enumerate() {
        assert_eq!(r.position, i as u64 + 1);
        assert!(r.hash_is_valid(), "event {}", r.position);
        assert!(
            !matches!(r.event(), hotline_events::Event::Opaque(_)),
            "event {} decodes",
            r.position
        );
    }
    assert!(events.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    // Without --from: the last ten.
    let last = stdout(&hotline(dir.path(), &["log", "tail"]));
    let last: Vec<Recorded> = last
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(last, events[events.len() - 10..]);
}

#[test]
fn a_stream_filter_shows_only_that_stream() {
    let dir = demo(10);
    let events = all_events(dir.path());
    let agent = events
        .iter()
        .find(|r| r.stream.category() == "agent")
        .unwrap()
        .stream
        .clone();
    let out = stdout(&hotline(
        dir.path(),
        &["log", "tail", "--stream", agent.as_str(), "--from", "1"],
    ));
    let mine: Vec<Recorded> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<&Recorded> = events.iter().filter(|r| r.stream == agent).collect();
    assert_eq!(mine.iter().collect::<Vec<_>>(), expected);
    // A mistyped stream printed nothing and exited 0, like an empty history: now it says
    // so on stderr and exits 1, as `audit history` does.
    let out = hotline(dir.path(), &["log", "tail", "--stream", "queue-salse"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).starts_with("queue-salse has no events: check the name"),
        "{}",
        stderr(&out)
    );
    // Past the end of a stream that has events is only empty.
    let out = hotline(
        dir.path(),
        &[
            "log",
            "tail",
            "--stream",
            agent.as_str(),
            "--from",
            "100000",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn follow_prints_events_appended_by_another_process() {
    let dir = demo(5);
    let head = all_events(dir.path()).len() as u64;
    let mut tail = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["log", "tail", "--follow"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(tail.stdout.take().unwrap()).lines();
    // Another process appends while the tail follows.
    let more = hotline(
        dir.path(),
        &["demo", "--no-serve", "--calls", "5", "--minutes", "10"],
    );
    if !more.status.success() {
        // Not left running behind a failed test.
        let _ = tail.kill();
        let _ = tail.wait();
        panic!("the second demo failed: {}", crate::stderr(&more));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    for line in lines {
        let r: Recorded = serde_json::from_str(&line.unwrap()).unwrap();
        seen.push(r.position);
        if r.position > head + 10 || Instant::now() > deadline {
            break;
        }
    }
    tail.kill().unwrap();
    let _ = tail.wait();
    assert!(
        seen.iter().any(|p| *p > head + 10),
        "new events were printed: {seen:?}"
    );
    assert!(
        seen.windows(2).all(|w| w[1] == w[0] + 1),
        "in order, no gap: {seen:?}"
    );
}
