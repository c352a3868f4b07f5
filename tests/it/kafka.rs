//! The Kafka event log end to end, against a real broker (tansu on loopback): a simulation
//! on Kafka equals the same seed on SQLite, `log copy` both ways, `audit verify` on the
//! topic, and a third-party client (Python's confluent-kafka) reading the topic.

use std::path::Path;
use std::process::{Command, Output};

use hotline_infra::conformance::broker::Broker;

use crate::{all_events, demo, hotline, stderr, stdout};

/// `hotline --data-dir DIR --log URL ARGS…`.
fn on_log(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut all = vec!["--log", url];
    all.extend_from_slice(args);
    hotline(dir, &all)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        stderr(out),
        stdout(out)
    );
    stdout(out)
}

/// A short morning: one queue, 5 agents, an hour of about 40 calls.
const SCENARIO: &str = r#"
[scenario]
name = "kafka check"
seed = 11
interval = "1h"
drain = "30m"

[[queues]]
id = "support"
strategy = "longest_idle"
wrap_up = "5s"
service_level = { threshold = "20s", target = 80 }

[[arrivals]]
queue = "support"
calls = [40]
talk = { exponential = "3m" }
patience = { exponential = "2m" }

[[agent_groups]]
name = "team"
count = 5
queues = ["support"]
"#;

#[test]
fn a_simulation_on_kafka_equals_the_same_seed_on_sqlite() {
    let broker = Broker::start();
    let url = format!("kafka://{}/simulation", broker.bootstrap());
    let scenario_dir = tempfile::tempdir().unwrap();
    let scenario = scenario_dir.path().join("small.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let scenario = scenario.to_str().unwrap();

    let on_sqlite = tempfile::tempdir().unwrap();
    let on_kafka = tempfile::tempdir().unwrap();
    let report_sqlite = ok(&hotline(on_sqlite.path(), &["simulate", scenario]));
    let report_kafka = ok(&on_log(on_kafka.path(), &url, &["simulate", scenario]));
    // The same figures (wall time, memory and the data directory aside).
    let figures = |report: &str| -> Vec<String> {
        report
            .lines()
            .filter(|l| {
                !l.contains(" simulated in ")
                    && !l.starts_with("memory:")
                    && !l.starts_with("The day is in the log")
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(figures(&report_kafka), figures(&report_sqlite));
    assert!(
        !hotline_infra::SqliteLog::file_in(on_kafka.path()).exists(),
        "the Kafka run wrote no embedded log"
    );

    for query in [
        "SELECT * FROM calls ORDER BY 1",
        "SELECT * FROM agent_states ORDER BY 1, 2",
        "SELECT * FROM queue_intervals ORDER BY 1, 2",
    ] {
        let a = ok(&hotline(
            on_sqlite.path(),
            &["sql", query, "--format", "json"],
        ));
        let b = ok(&on_log(
            on_kafka.path(),
            &url,
            &["sql", query, "--format", "json"],
        ));
        assert!(a.starts_with("[{"), "{query} has rows");
        assert_eq!(b, a, "{query}");
    }
    // Same seed, same events, same positions: the very same hash chain.
    let last_hash = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("last hash: "))
            .map(|l| l[11..75].to_owned())
            .unwrap_or_else(|| panic!("{text}"))
    };
    let verify_sqlite = ok(&hotline(on_sqlite.path(), &["audit", "verify"]));
    let verify_kafka = ok(&on_log(on_kafka.path(), &url, &["audit", "verify"]));
    assert!(verify_kafka.contains(&url), "{verify_kafka}");
    assert_eq!(last_hash(&verify_kafka), last_hash(&verify_sqlite));
}

/// A throw-away Python venv with confluent-kafka from PyPI (its wheel bundles a current
/// librdkafka).
fn python_with_confluent_kafka(dir: &Path) -> std::path::PathBuf {
    let venv = dir.join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 -m venv (the test needs Python 3 with venv)");
    assert!(made.status.success(), "{}", stderr(&made));
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "confluent-kafka==2.*"])
        .output()
        .expect("pip");
    assert!(
        pip.status.success(),
        "pip install confluent-kafka: {}",
        stderr(&pip)
    );
    venv.join("bin/python")
}

const READER: &str = r#"
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "third-party", "enable.auto.commit": False})
md = c.list_topics(topic, timeout=10)
parts = md.topics[topic].partitions
ends = {}
for p in parts:
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    if hi > lo:
        ends[p] = hi
c.assign([TopicPartition(topic, p, 0) for p in parts])
while ends:
    m = c.poll(10)
    if m is None:
        sys.exit("timed out reading " + topic)
    if m.error():
        sys.exit(str(m.error()))
    print(json.dumps({
        "key": m.key().decode(),
        "headers": {k: v.decode() for k, v in (m.headers() or [])},
        "value": json.loads(m.value()),
    }))
    if m.offset() + 1 >= ends.get(m.partition(), 0):
        ends.pop(m.partition(), None)
c.close()
"#;

const GARBAGE: &str = r#"
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
p.produce(sys.argv[2], key=b"call-x", value=b"not an event")
p.flush(10)
"#;

#[test]
fn a_history_copied_to_kafka_is_read_by_a_third_party_client_and_copied_back() {
    let broker = Broker::start();
    let url = format!("kafka://{}/history", broker.bootstrap());
    let source = demo(6);
    let events = all_events(source.path());
    let from = format!("sqlite://{}", source.path().display());
    let copied = ok(&hotline(
        source.path(),
        &["log", "copy", "--from", &from, "--to", &url],
    ));
    assert!(
        copied.starts_with(&format!("copied {} events", events.len())),
        "{copied}"
    );
    // Again: the target holds the whole history, nothing to add.
    let again = ok(&hotline(
        source.path(),
        &["log", "copy", "--from", &from, "--to", &url],
    ));
    assert!(again.contains("copied 0 events"), "{again}");

    // Python's confluent-kafka reads the topic: keys, headers, the public JSON.
    let work = tempfile::tempdir().unwrap();
    let python = python_with_confluent_kafka(work.path());
    let read = Command::new(&python)
        .args(["-c", READER, &broker.bootstrap(), "history"])
        .output()
        .unwrap();
    let lines = ok(&read);
    let mut seen: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(seen.len(), events.len(), "every event is a record");
    seen.sort_by_key(|r| r["value"]["position"].as_u64());
    for (record, event) in seen.iter().zip(&events) {
        assert_eq!(record["key"], event.stream.as_str());
        assert_eq!(record["headers"]["type"], event.event_type.as_str());
        assert_eq!(
            record["headers"]["schema"],
            event.schema.to_string().as_str()
        );
        assert_eq!(
            record["headers"]["version"],
            event.version.to_string().as_str()
        );
        assert_eq!(record["value"], serde_json::to_value(event).unwrap());
    }

    // Back into an empty data directory: the same log, event for event.
    let back = tempfile::tempdir().unwrap();
    let to = format!("sqlite://{}", back.path().display());
    ok(&hotline(
        back.path(),
        &["log", "copy", "--from", &url, "--to", &to],
    ));
    assert_eq!(all_events(back.path()), events);
    // A non-empty target that is not this history is refused.
    let other = demo(2);
    let refused = hotline(
        other.path(),
        &[
            "log",
            "copy",
            "--from",
            &url,
            "--to",
            &format!("sqlite://{}", other.path().display()),
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("copy into an empty log"),
        "{}",
        stderr(&refused)
    );

    // audit verify on the topic: intact; then a foreign record on the topic is named.
    let verify = ok(&on_log(back.path(), &url, &["audit", "verify"]));
    assert!(
        verify.starts_with(&format!("ok: {} events verified", events.len())),
        "{verify}"
    );
    let garbage = Command::new(&python)
        .args(["-c", GARBAGE, &broker.bootstrap(), "history"])
        .output()
        .unwrap();
    ok(&garbage);
    let verify = on_log(back.path(), &url, &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    assert!(
        stdout(&verify).contains("unreadable"),
        "{}",
        stdout(&verify)
    );
}

#[test]
fn a_kafka_url_that_cannot_be_used_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = on_log(
        dir.path(),
        "kafka://localhost/history",
        &["audit", "verify"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the broker has no :PORT"),
        "{}",
        stderr(&out)
    );
}
