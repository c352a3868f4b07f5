//! The Kafka event log end to end, against a real broker (tansu on loopback): a simulation
//! on Kafka equals the same seed on SQLite, `log copy` both ways, `audit verify` on the
//! topic, a third-party client (Python's confluent-kafka) reading the topic and checking a
//! partition's chain alone, and the live center (`serve`), `replay`, `demo`, `crm` and
//! `campaign` on a topic, chosen by `--log` or the center file's `log` key.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hotline_events::Recorded;
use hotline_infra::conformance::broker::Broker;

use crate::serve::{ADMIN, http, json_of, serve};
use crate::{all_events, demo, hotline, stderr, stdout};

/// The events as JSON without their hashes, which each backend computes along its own
/// chain (SQLite one chain, Kafka one per partition).
fn without_hashes(events: &[Recorded]) -> Vec<serde_json::Value> {
    events
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap();
            let fields = v.as_object_mut().unwrap();
            assert!(fields.remove("prev_hash").is_some() && fields.remove("hash").is_some());
            v
        })
        .collect()
}

/// Every event of the log `url` names, through `log tail --from 1`.
fn events_on(dir: &Path, url: &str) -> Vec<Recorded> {
    ok(&on_log(dir, url, &["log", "tail", "--from", "1"]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

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
    // Same seed, same events at the same positions; the hashes are each log's own (one
    // chain on SQLite, one per partition on Kafka), and each log's chains verify.
    let on_sqlite_events = all_events(on_sqlite.path());
    let on_kafka_events = events_on(on_kafka.path(), &url);
    assert!(on_sqlite_events.len() > 100, "a simulated hour of events");
    assert_eq!(
        without_hashes(&on_kafka_events),
        without_hashes(&on_sqlite_events)
    );
    let verify_sqlite = ok(&hotline(on_sqlite.path(), &["audit", "verify"]));
    let verify_kafka = ok(&on_log(on_kafka.path(), &url, &["audit", "verify"]));
    assert!(verify_kafka.contains(&url), "{verify_kafka}");
    let verified = format!("ok: {} events verified", on_sqlite_events.len());
    assert!(verify_sqlite.starts_with(&verified), "{verify_sqlite}");
    assert!(verify_kafka.starts_with(&verified), "{verify_kafka}");
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
        "partition": m.partition(),
        "offset": m.offset(),
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
    // A partition read alone verifies its links: each record's predecessor hash is the
    // hash of the record before it in the partition, the first one's the zero hash.
    seen.sort_by_key(|r| (r["partition"].as_i64(), r["offset"].as_i64()));
    let zero = "0".repeat(64);
    let mut partitions = 0;
    for (i, record) in seen.iter().enumerate() {
        let first_of_partition = i == 0 || seen[i - 1]["partition"] != record["partition"];
        let expected = if first_of_partition {
            partitions += 1;
            zero.as_str()
        } else {
            seen[i - 1]["value"]["hash"].as_str().unwrap()
        };
        assert_eq!(
            record["value"]["prev_hash"].as_str().unwrap(),
            expected,
            "partition {} offset {}",
            record["partition"],
            record["offset"]
        );
    }
    assert_eq!(
        partitions, 3,
        "the history is spread over the three partitions"
    );
    seen.sort_by_key(|r| r["value"]["position"].as_u64());
    let values: Vec<serde_json::Value> = seen.iter().map(|r| r["value"].clone()).collect();
    let values: Vec<Recorded> = values
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    assert_eq!(without_hashes(&values), without_hashes(&events));
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
    }

    // Back into an empty data directory: the same log, event for event.
    let back = tempfile::tempdir().unwrap();
    let to = format!("sqlite://{}", back.path().display());
    ok(&hotline(
        back.path(),
        &["log", "copy", "--from", &url, "--to", &to],
    ));
    // Hashes too: the embedded log chains it as the original did.
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
    // One chain per partition, so one last hash per partition to note.
    for partition in 0..3 {
        assert!(
            verify.contains(&format!("  partition {partition}: ")),
            "{verify}"
        );
    }
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

/// A read of a topic the broker does not have (a mistyped name) is an error naming it,
/// not an empty log (which `replay` would save as empty snapshots).
#[test]
fn reading_a_topic_the_broker_does_not_have_names_it() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("kafka://{}/no-such-topic", broker.bootstrap());
    for args in [&["audit", "verify"][..], &["replay"][..]] {
        let out = on_log(dir.path(), &url, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!(
                "no topic no-such-topic on broker {}",
                broker.bootstrap()
            )),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// The sample center with `log = URL` at the top: the center file chooses the log.
fn center_file_on(dir: &Path, url: &str) -> String {
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    let path = dir.join("center.toml");
    std::fs::write(&path, format!("log = \"{url}\"\n{sample}")).unwrap();
    path.to_str().unwrap().to_owned()
}

fn calls_over_api(port: u16) -> u64 {
    let (status, text) = http(
        port,
        "POST",
        "/api/sql",
        Some(ADMIN),
        Some(r#"{"sql": "SELECT count(*) AS n FROM calls"}"#),
    );
    assert_eq!(status, 200, "{text}");
    json_of(&text)["rows"][0]["n"].as_u64().unwrap()
}

/// The number of the first line `N events…` of `text` after `prefix`.
fn count_after(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix)?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `{prefix}N` in {text}"))
}

/// `hotline serve --config FILE` whose file says `log = "kafka://…"`: the live center runs
/// on the topic (demo traffic makes calls, `/api/sql` sees them), writes no embedded log,
/// and after it stops `sql`, `audit verify` and `replay` on the topic, from other data
/// directories, read what it wrote.
#[test]
fn serve_runs_the_live_center_on_the_kafka_log_its_center_file_names() {
    let broker = Broker::start();
    let url = format!("kafka://{}/center", broker.bootstrap());
    let files = tempfile::tempdir().unwrap();
    let config = center_file_on(files.path(), &url);
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &["--config", &config, "--demo-traffic", "600"]);
    let banner = server.out.join("");
    assert!(banner.contains(&format!("event log:   {url}")), "{banner}");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut calls = calls_over_api(server.port);
    while calls < 3 {
        assert!(Instant::now() < deadline, "no calls in 90 s on Kafka");
        std::thread::sleep(Duration::from_millis(500));
        calls = calls_over_api(server.port);
    }
    server.interrupt();
    assert!(
        !hotline_infra::SqliteLog::file_in(dir.path()).exists(),
        "the center wrote no embedded log"
    );

    // Read back from the topic alone.
    let elsewhere = tempfile::tempdir().unwrap();
    let rows = ok(&on_log(
        elsewhere.path(),
        &url,
        &["sql", "SELECT count(*) AS n FROM calls", "--format", "json"],
    ));
    let rows: serde_json::Value = serde_json::from_str(&rows).unwrap();
    assert!(rows[0]["n"].as_u64().unwrap() >= calls, "{rows}");
    let verify = ok(&on_log(elsewhere.path(), &url, &["audit", "verify"]));
    let head = count_after(&verify, "ok: ");
    assert!(head > calls * 3, "{verify}");
    let fresh = tempfile::tempdir().unwrap();
    let replayed = ok(&on_log(fresh.path(), &url, &["replay"]));
    assert_eq!(count_after(&replayed, "replayed "), head, "{replayed}");
    assert!(
        !hotline_infra::SqliteLog::file_in(fresh.path()).exists(),
        "replay read the topic, not a data directory's log"
    );
}

/// `--log` on the command line wins over the file's `log`: the file names a broker that
/// is not there, and the server runs on the flag's topic.
#[test]
fn the_command_line_log_wins_over_the_center_files() {
    let broker = Broker::start();
    let url = format!("kafka://{}/from-flag", broker.bootstrap());
    let files = tempfile::tempdir().unwrap();
    let config = center_file_on(files.path(), "kafka://127.0.0.1:9/nowhere");
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path(), &["--config", &config, "--log", &url]);
    let banner = server.out.join("");
    assert!(banner.contains(&format!("event log:   {url}")), "{banner}");
    server.interrupt();
}

/// The other commands that write or read the log run on a topic too: a demo morning, a
/// customer import and its screen pop, a campaign created and listed; `log copy` refuses
/// `--log`, which it would not use.
#[test]
fn demo_crm_and_campaign_run_on_a_kafka_log() {
    let broker = Broker::start();
    let url = format!("kafka://{}/commands", broker.bootstrap());
    let dir = tempfile::tempdir().unwrap();
    let morning = ok(&on_log(
        dir.path(),
        &url,
        &["demo", "--no-serve", "--calls", "6", "--minutes", "20"],
    ));
    assert!(morning.contains("hash chain verified"), "{morning}");
    assert!(morning.contains(&format!("--log {url}")), "{morning}");

    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "external_id,name,phone,email,address,tags\nC1,Grace Hopper,+15555550123,,,\n",
    )
    .unwrap();
    let imported = ok(&on_log(
        dir.path(),
        &url,
        &["crm", "import", customers.to_str().unwrap()],
    ));
    assert!(imported.starts_with("imported 1 customers"), "{imported}");
    let pop = ok(&on_log(dir.path(), &url, &["crm", "show", "+15555550123"]));
    assert!(pop.contains("Grace Hopper"), "{pop}");

    ok(&on_log(dir.path(), &url, &["campaign", "create", "Spring"]));
    let list = ok(&on_log(dir.path(), &url, &["campaign", "list"]));
    assert!(list.contains("Spring"), "{list}");

    assert!(
        !hotline_infra::SqliteLog::file_in(dir.path()).exists(),
        "nothing went to an embedded log"
    );
    let events = events_on(dir.path(), &url);
    assert!(events.iter().any(|r| r.stream.category() == "customer"));
    assert!(events.iter().any(|r| r.stream.category() == "campaign"));
    ok(&on_log(dir.path(), &url, &["audit", "verify"]));

    let refused = on_log(
        dir.path(),
        &url,
        &["log", "copy", "--from", &url, "--to", "sqlite://x"],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("name their logs themselves"),
        "{}",
        stderr(&refused)
    );
}
