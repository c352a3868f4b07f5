//! The Kafka log against a real broker (tansu, started per test on loopback): the
//! conformance suite, unchanged, and what only a networked log has (the broker restarting
//! in the middle of appends).

#![cfg(feature = "kafka")]
#![allow(clippy::unwrap_used)]
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hotline_infra::conformance::broker::Broker;
use hotline_infra::conformance::{self, Harness, probe, stream};
use hotline_infra::{EventLog, ExpectedVersion, KafkaLog, KafkaTarget};

/// Set in the child process of the killed-writer check: `HOST:PORT/TOPIC` to write.
const CRASH_WRITER_TARGET: &str = "HOTLINE_TEST_KAFKA_CRASH_WRITER";

struct Kafka {
    broker: Mutex<Broker>,
    target: KafkaTarget,
}

impl Kafka {
    fn new() -> Self {
        let broker = Broker::start();
        let target = broker.target("conformance");
        Self {
            broker: Mutex::new(broker),
            target,
        }
    }
}

#[async_trait]
impl Harness for Kafka {
    type Log = KafkaLog;

    async fn open(&self) -> KafkaLog {
        KafkaLog::open(&self.target)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Alters one digit of the event's data where the broker stores it (its SQLite file),
    /// with the broker stopped, as someone with access to the broker's disk could.
    fn tamper(&self, position: u64) {
        let mut broker = self.broker.lock().unwrap();
        broker.stop();
        let db = rusqlite::Connection::open(broker.storage_file()).unwrap();
        let (rowid, mut value): (i64, Vec<u8>) = db
            .query_row(
                "SELECT rowid, v FROM record WHERE CAST(v AS TEXT) LIKE ?1",
                [format!(r#"{{"position":{position},%"#)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("the event's record in the broker's storage");
        let data = value
            .windows(8)
            .position(|w| w == br#""data":{"#)
            .expect("the record holds the event's data");
        let digit = value[data..]
            .iter()
            .position(u8::is_ascii_digit)
            .map(|at| data + at)
            .expect("a digit in the data");
        value[digit] = if value[digit] == b'9' {
            b'0'
        } else {
            value[digit] + 1
        };
        db.execute(
            "UPDATE record SET v = ?1 WHERE rowid = ?2",
            rusqlite::params![value, rowid],
        )
        .unwrap();
        drop(db);
        broker.restart();
    }

    fn spawn_writer(&self) -> Child {
        Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "killed_process_leaves_no_partial_batch",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                CRASH_WRITER_TARGET,
                format!("{}/{}", self.target.bootstrap, self.target.topic),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer process")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering() {
    conformance::ordering(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoded_reads_match_whole_reads() {
    conformance::decoded_reads_match_whole_reads(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_conflicts() {
    conformance::version_conflicts(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_then_live() {
    conformance::catch_up_then_live(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_across_reopen() {
    conformance::durable_across_reopen(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tamper_is_detected() {
    conformance::tamper_is_detected(&Kafka::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_process_leaves_no_partial_batch() {
    // In the child process this same test is the writer that gets killed.
    if let Some(target) = std::env::var_os(CRASH_WRITER_TARGET) {
        let target = target.to_string_lossy();
        let (bootstrap, topic) = target.split_once('/').unwrap();
        let target = KafkaTarget {
            bootstrap: bootstrap.to_owned(),
            topic: topic.to_owned(),
            partitions: 3,
        };
        let log = KafkaLog::open(&target)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        conformance::crash_writer(&log).await;
    }
    conformance::killed_process_leaves_no_partial_batch(&Kafka::new()).await;
}

/// The broker is killed and started again while four writers append: no append fails
/// (the producer retries across the restart), appends go on, and after reopening every
/// acknowledged event is in the log exactly once, in each stream's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_in_the_middle_of_appends_loses_and_repeats_nothing() {
    let mut broker = Broker::start();
    let target = broker.target("restart");
    let log = KafkaLog::open(&target).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let (log, stop) = (log.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0u64.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let event = probe(&format!(r#""w":{w},"i":{i}"#));
                    log.append(
                        &stream(&format!("r{w}")),
                        ExpectedVersion::Exact(i),
                        vec![event],
                    )
                    .await
                    .unwrap_or_else(|e| panic!("writer {w}, append {i}: {e}"));
                    acknowledged.push(i);
                }
                acknowledged
            })
        })
        .collect();
    let wait_for_head = |at_least: u64| {
        let log = log.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while log.head().await.unwrap() < at_least {
                assert!(
                    Instant::now() < deadline,
                    "appends stalled below {at_least}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for_head(200).await;
    tokio::task::block_in_place(|| broker.restart());
    let at_restart = log.head().await.unwrap();
    wait_for_head(at_restart + 200).await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = HashMap::new();
    for (w, task) in writers.into_iter().enumerate() {
        acknowledged.insert(format!("probe-r{w}"), task.await.unwrap());
    }
    log.close().await.unwrap();
    drop(log);

    let log = KafkaLog::open(&target).await.unwrap();
    let mut total = 0;
    for (name, appended) in &acknowledged {
        let events = log
            .read_stream(&hotline_events::StreamName::parse(name).unwrap(), 1)
            .await
            .unwrap();
        let seen: Vec<u64> = events
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(&r.data).unwrap();
                v["i"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(
            &seen, appended,
            "{name}: each acknowledged event once, in order"
        );
        total += seen.len() as u64;
    }
    assert_eq!(log.head().await.unwrap(), total);
    let report = log.verify().await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (total, None));
    // And the log goes on.
    let next = log
        .append(
            &stream("after"),
            ExpectedVersion::Exact(0),
            vec![probe(r#""n":1"#)],
        )
        .await
        .unwrap();
    assert_eq!(next.first_position, total + 1);
    log.close().await.unwrap();
}

/// A read-only open follows the topic: another log's appends reach its subscription.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_log_follows_the_writer() {
    let broker = Broker::start();
    let target = broker.target("follow");
    let writer = KafkaLog::open(&target).await.unwrap();
    writer
        .append(
            &stream("a"),
            ExpectedVersion::Exact(0),
            vec![probe(r#""n":1"#)],
        )
        .await
        .unwrap();
    let reader = KafkaLog::open_read_only(&target).await.unwrap();
    assert_eq!(reader.head().await.unwrap(), 1);
    let mut feed = reader.subscribe(1);
    writer
        .append(
            &stream("a"),
            ExpectedVersion::Exact(1),
            vec![probe(r#""n":2"#)],
        )
        .await
        .unwrap();
    for expected in 1..=2 {
        let r = tokio::time::timeout(Duration::from_secs(20), feed.next())
            .await
            .expect("the reader sees the writer's appends")
            .unwrap()
            .unwrap();
        assert_eq!(r.position, expected);
    }
    let refused = reader
        .append(&stream("a"), ExpectedVersion::Any, vec![probe(r#""n":3"#)])
        .await;
    assert!(
        matches!(refused, Err(hotline_infra::LogError::ReadOnly)),
        "{refused:?}"
    );
    writer.close().await.unwrap();
}

/// Each partition is a chain of its own: read partition by partition in offset order, an
/// event's predecessor hash is the hash of the one before it there (the zero hash for the
/// first) and its hash matches its content, with no other partition needed. An event
/// altered where the broker stores it is named by `verify` with its partition, and the
/// events before it verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_partition_chains_alone_and_an_altered_record_is_named_with_its_partition() {
    let kafka = Kafka::new();
    let log = kafka.open().await;
    for i in 1..=60u64 {
        log.append(
            &stream(&format!("p{}", i % 7)),
            ExpectedVersion::Any,
            vec![probe(&format!(r#""nonce":{}"#, 8_000_000 + i))],
        )
        .await
        .unwrap();
    }
    let all = log.read_all(1, 100).await.unwrap();
    let mut by_partition: std::collections::BTreeMap<i32, Vec<(i64, &hotline_events::Recorded)>> =
        Default::default();
    for r in &all {
        let (partition, offset) = log.location(r.position).unwrap();
        by_partition.entry(partition).or_default().push((offset, r));
    }
    assert_eq!(by_partition.len(), 3, "7 streams over the 3 partitions");
    for (partition, mut records) in by_partition {
        records.sort_by_key(|(offset, _)| *offset);
        let mut prev = hotline_events::Hash::ZERO;
        for (offset, r) in records {
            assert_eq!(r.prev_hash, prev, "partition {partition} offset {offset}");
            assert!(r.hash_is_valid(), "partition {partition} offset {offset}");
            prev = r.hash;
        }
    }
    // Where position 37 is in the topic.
    let (partition, offset) = log.location(37).unwrap();
    assert_eq!(log.verify().await.unwrap().first_break, None);
    log.close().await.unwrap();
    drop(log);

    kafka.tamper(37);
    let log = kafka.open().await;
    let report = log.verify().await.unwrap();
    let broken = report.first_break.expect("the altered event is found");
    assert_eq!(broken.position, 37, "{}", broken.problem);
    assert!(
        broken
            .problem
            .contains(&format!("partition {partition}, offset {offset}")),
        "{}",
        broken.problem
    );
    assert!(broken.problem.contains("altered"), "{}", broken.problem);
    assert_eq!(report.events_checked, 36);
    log.close().await.unwrap();
}

/// A topic whose start was deleted (retention, or by hand) has lost the history the log
/// verifies and positions follow on from: opening it is refused, naming the partition,
/// rather than showing a log that starts again at position 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_whose_start_was_deleted_is_refused() {
    let kafka = Kafka::new();
    let log = kafka.open().await;
    for i in 1..=3u64 {
        log.append(
            &stream("gone"),
            ExpectedVersion::Any,
            vec![probe(&format!(r#""nonce":{i}"#))],
        )
        .await
        .unwrap();
    }
    let (partition, _) = log.location(1).unwrap();
    log.close().await.unwrap();
    drop(log);
    {
        let mut broker = kafka.broker.lock().unwrap();
        broker.stop();
        let db = rusqlite::Connection::open(broker.storage_file()).unwrap();
        let retention: String = db
            .query_row(
                "SELECT value FROM topic_configuration WHERE name = 'retention.ms'",
                [],
                |r| r.get(0),
            )
            .expect("the topic was created with a retention");
        assert_eq!(retention, "-1", "the topic is kept forever");
        let deleted = db
            .execute(
                "DELETE FROM record WHERE CAST(v AS TEXT) LIKE '{\"position\":1,%'",
                [],
            )
            .unwrap();
        assert_eq!(deleted, 1);
        drop(db);
        broker.restart();
    }
    for read_only in [false, true] {
        let opened = if read_only {
            KafkaLog::open_read_only(&kafka.target).await
        } else {
            KafkaLog::open(&kafka.target).await
        };
        let Err(e) = opened else {
            panic!("a topic without its start was opened (read-only: {read_only})")
        };
        let e = e.to_string();
        assert!(
            e.contains(&format!("partition {partition} starts at offset 1")),
            "{e}"
        );
        assert!(e.contains("deleted"), "{e}");
    }
}

/// A topic an earlier hotline wrote (one chain across the topic, records without the
/// `log_prev` header) is not called altered: verify says which build wrote it and how to
/// move it, and opening it to write is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_an_earlier_build_wrote_is_named_and_not_extended() {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{FutureProducer, FutureRecord};

    let kafka = Kafka::new();
    let log = kafka.open().await;
    log.append(
        &stream("old"),
        ExpectedVersion::Any,
        vec![probe(r#""n":1"#)],
    )
    .await
    .unwrap();
    let event = log.read_all(1, 1).await.unwrap().remove(0);
    log.close().await.unwrap();
    // The same event as the earlier build wrote it: the JSON, no headers.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.target.bootstrap)
        .create()
        .unwrap();
    let old = KafkaTarget {
        topic: "written-by-an-earlier-build".into(),
        ..kafka.target.clone()
    };
    // Created (empty) as any topic is; then the earlier build's record.
    KafkaLog::open(&old).await.unwrap().close().await.unwrap();
    let value = serde_json::to_vec(&event).unwrap();
    producer
        .send(
            FutureRecord::to(&old.topic)
                .key(event.stream.as_str())
                .payload(&value),
            Duration::from_secs(10),
        )
        .await
        .unwrap();

    let read = KafkaLog::open_read_only(&old).await.unwrap();
    let e = read.verify().await.unwrap_err().to_string();
    assert!(e.contains("earlier hotline"), "{e}");
    assert!(e.contains("log copy"), "{e}");
    let Err(e) = KafkaLog::open(&old).await else {
        panic!("a topic of an earlier build was opened to write")
    };
    assert!(e.to_string().contains("earlier hotline"), "{e}");
}

/// A broker slow to build its fetch answers is waited for. tansu 0.6 took over 10 s (the
/// clients' socket timeout then) to answer the first fetch of a simulated day on a loaded
/// machine; librdkafka dropped the connection at the timeout and asked the same again, so
/// opening the topic never got past its first records and gave up after 300 s. Here a
/// proxy in front of the broker holds every answer with records back for 15 s: the read
/// still ends, in one slow fetch.
#[test]
fn a_broker_slow_to_answer_fetches_is_waited_for() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let broker = Broker::start_advertising(Some(proxy.local_addr().unwrap().port()));
    hold_back_big_answers(proxy, broker.listen_addr(), Duration::from_secs(15));
    let target = broker.target("slow-fetches");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let writer = KafkaLog::open(&target).await.unwrap();
        for n in 0..6 {
            let events = (0..50)
                .map(|i| probe(&format!(r#""n":{}"#, n * 50 + i)))
                .collect();
            writer
                .append(&stream("a"), ExpectedVersion::Any, events)
                .await
                .unwrap();
        }
        writer.close().await.unwrap();
    });

    let started = Instant::now();
    // On a thread of its own, so a read that never ends fails the check at the time
    // limit (below the rebuild's own 120 s without a record) instead of holding it.
    let (done, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let head = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let reader = KafkaLog::open_read_only(&target).await?;
            reader.head().await
        });
        let _ = done.send(head);
    });
    let head = read
        .recv_timeout(Duration::from_secs(100))
        .expect("reading the topic ends while the broker answers fetches in 15 s")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(head, 300);
    assert!(
        started.elapsed() >= Duration::from_secs(15),
        "the proxy held the fetch answer back ({:?})",
        started.elapsed()
    );
}

/// Forwards connections from `listener` to `broker`, holding back each answer of the
/// broker over 16 KiB (one with records: the metadata, offsets and produce answers are
/// smaller) for `delay`. Kafka frames every answer with its size (4 bytes, big-endian).
fn hold_back_big_answers(listener: TcpListener, broker: SocketAddr, delay: Duration) {
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(broker) else {
                continue;
            };
            let (mut from_client, mut to_server) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_server);
                let _ = to_server.shutdown(Shutdown::Both);
            });
            std::thread::spawn(move || {
                let (mut from_server, mut to_client) = (server, client);
                loop {
                    let mut size = [0_u8; 4];
                    if from_server.read_exact(&mut size).is_err() {
                        break;
                    }
                    let mut answer = vec![0; u32::from_be_bytes(size) as usize];
                    if from_server.read_exact(&mut answer).is_err() {
                        break;
                    }
                    if answer.len() > 16 * 1024 {
                        std::thread::sleep(delay);
                    }
                    if to_client
                        .write_all(&size)
                        .and_then(|()| to_client.write_all(&answer))
                        .is_err()
                    {
                        break;
                    }
                }
                let _ = to_client.shutdown(Shutdown::Both);
            });
        }
    });
}
