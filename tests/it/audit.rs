//! `hotline audit verify` and `hotline audit history`.

use crate::{all_events, demo, hotline, stdout};

#[test]
fn verify_passes_on_an_intact_log_and_names_the_position_of_one_altered_byte() {
    let dir = demo(40);
    let ok = hotline(dir.path(), &["audit", "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).starts_with("ok: "), "{}", stdout(&ok));

    // Alter one byte of an event in the middle whose stored data is unique in the file.
    let file = dir.path().join("events.sqlite");
    let mut bytes = std::fs::read(&file).unwrap();
    let events = all_events(dir.path());
    let target = events[events.len() / 2..]
        .iter()
        .find(|r| {
            r.data.len() > 30
                && bytes
                    .windows(r.data.len())
                    .filter(|w| *w == r.data.as_bytes())
                    .count()
                    == 1
        })
        .expect("an event with unique data");
    let at = bytes
        .windows(target.data.len())
        .position(|w| w == target.data.as_bytes())
        .unwrap();
    bytes[at + target.data.len() / 2] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();

    let broken = hotline(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let report = stdout(&broken);
    assert!(
        report.contains(&format!(
            "breaks at position {} ({}",
            target.position, target.stream
        )),
        "{report}"
    );
    // The history of that stream flags the altered event.
    let history = hotline(dir.path(), &["audit", "history", target.stream.as_str()]);
    assert!(stdout(&history).contains("ALTERED"), "{}", stdout(&history));
}

#[test]
fn history_tells_a_calls_story_in_order() {
    let dir = demo(30);
    let events = all_events(dir.path());
    // A call that went through the IVR menu and was answered.
    let has = |stream: &hotline_events::StreamName, t: &str| {
        events
            .iter()
            .any(|r| &r.stream == stream && r.event_type == t)
    };
    let call = events
        .iter()
        .filter(|r| r.event_type == "answered")
        .map(|r| r.stream.clone())
        .find(|s| has(s, "ivr_input"))
        .expect("an answered call that keyed digits");
    let out = hotline(dir.path(), &["audit", "history", call.as_str()]);
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(&format!("{call}: ")), "{text}");
    let types: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(3).unwrap())
        .collect();
    let story: Vec<&str> = types
        .iter()
        .copied()
        .filter(|t| !["offer_missed", "held", "resumed"].contains(t))
        .collect();
    assert_eq!(story.first(), Some(&"arrived"), "{text}");
    assert_eq!(&story[1..3], &["ivr_input", "queued"], "{text}");
    assert_eq!(story.last(), Some(&"ended"), "{text}");
    assert!(story.contains(&"answered"), "{text}");
    // Versions count up from 1 and times never go back.
    let versions: Vec<String> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap().to_owned())
        .collect();
    assert_eq!(
        versions,
        (1..=versions.len())
            .map(|v| format!("#{v}"))
            .collect::<Vec<_>>()
    );
    let times: Vec<String> = lines[1..].iter().map(|l| l[..23].to_owned()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert!(
        lines[1].contains("caller=+1555"),
        "key fields are shown: {}",
        lines[1]
    );
}

#[test]
fn history_of_an_unknown_stream_says_so() {
    let dir = demo(3);
    let out = hotline(
        dir.path(),
        &[
            "audit",
            "history",
            "call-0190c3d2-7b3a-7cc0-8000-000000000001",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("has no events"), "{}", stdout(&out));
}
