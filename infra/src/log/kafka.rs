//! The Kafka backend of the [`EventLog`]: one topic, partitioned by stream name.
//!
//! Each event is one record: the stream name as its key (so a stream stays in one
//! partition, in order, the one the Java client's default partitioner picks for that key), the event's public JSON
//! form ([`Recorded`], the same line `hotline log tail` prints) as its value, and `type`,
//! `schema`, `version`, `append_end` (the last position of its append) and `log_prev` (the
//! hash of the event before it in the log) as headers, so any Kafka client reads the topic
//! without this project's code.
//!
//! The hash chains run **per partition**: an event's `prev_hash` is the hash of the event
//! before it in its partition (the zero hash for a partition's first), so one partition's
//! consumer verifies it alone ([`chains`]). The global position, contiguous across
//! partitions, is still the one writer's. The producer is idempotent with `acks=all`; an
//! append returns once the broker acknowledged every record of it *and* of every append
//! before it.
//!
//! Kafka has no per-key read and no order across partitions, so the process that opens
//! the log rebuilds a local [`Index`] from the whole topic (a Kafka Streams-style state
//! store) and serves `read_stream`, `read_all`, subscriptions and the expected-version
//! check from it. The global position and the hash chain are assigned by the one writing
//! process and carried in each record; see `ARCHITECTURE.md` for what that means with
//! several processes.

mod chains;
mod index;
mod partition;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hotline_events::{Event, Hash, NewEvent, Recorded, StreamName};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;

use self::index::{Candidate, Index};
use crate::log::target::KafkaTarget;
use crate::log::{
    Appended, ChainBreak, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport,
};

/// How long a metadata or watermark request may take before the broker counts as away.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an append may wait for the broker (librdkafka retries within it, so a broker
/// restarting meanwhile only delays appends).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long reading the topic at open may go without a record before the broker counts
/// as stuck. Not a limit on the whole read: a long topic takes as long as it takes (on
/// tansu 0.6, the test broker, reading is quadratic in the topic's records), and the read
/// says how far it got every [`REBUILD_PROGRESS`].
const REBUILD_STALL: Duration = Duration::from_secs(120);
/// How often a long read of the topic at open says how far it got.
const REBUILD_PROGRESS: Duration = Duration::from_secs(30);
/// The rebuild's socket timeout. librdkafka drops a connection whose request got no
/// answer in time and asks the same again, so a fetch answer slower than this is never
/// received and the read stops moving for good. tansu 0.6 spends milliseconds per record
/// building a fetch answer (a scan of every stored header for each record), and answered
/// a simulated day's first fetch in over 10 s (the other clients' timeout) on a loaded
/// machine. librdkafka's own default.
const REBUILD_SOCKET_TIMEOUT: Duration = Duration::from_secs(60);
/// The most one fetch answer of the rebuild may hold (librdkafka's default is 50 MiB;
/// tansu 0.6 caps it at 5 MiB and ignores the per-partition limit): keeps a slow broker's
/// answer well inside [`REBUILD_SOCKET_TIMEOUT`]. Not below librdkafka's
/// `message.max.bytes` (1,000,000), which it requires, and above any record a producer with
/// that default writes, which tansu would otherwise never answer with.
const REBUILD_FETCH_BYTES: u32 = 1024 * 1024;

/// An event log on one Kafka topic. Clones share the log.
#[derive(Clone)]
pub struct KafkaLog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("target", &self.inner.target)
            .field("writer", &self.inner.producer.is_some())
            .finish_non_exhaustive()
    }
}

struct Inner {
    target: KafkaTarget,
    /// `None` when opened read-only.
    producer: Option<FutureProducer>,
    /// What the next append builds on, including appends still in flight.
    writer: tokio::sync::Mutex<Writer>,
    shared: Arc<Shared>,
    /// Records of the topic that are not JSON events (partition, offset, why).
    unreadable: Vec<(i32, i64, String)>,
    /// The first record without a `log_prev` header (partition, offset): written by an
    /// earlier hotline, which chained the whole topic as one.
    earlier: Option<(i32, i64)>,
    closed: AtomicBool,
}

/// What the follower thread of a read-only log shares with the log.
struct Shared {
    index: RwLock<Index>,
    head: watch::Sender<u64>,
    /// Set when a delivery failed: later positions were built on it, so the log stops.
    failed: Mutex<Option<String>>,
    stop: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct Writer {
    next_position: u64,
    /// The hash of the log's last event (the next event's `log_prev`).
    last_hash: Hash,
    /// The hash of each partition's last event (what its next event chains on).
    partition_heads: HashMap<i32, Hash>,
    /// The topic's partitions when the log was opened: streams are spread over these.
    partitions: i32,
    versions: HashMap<StreamName, u64>,
}

impl KafkaLog {
    /// Opens the topic for writing, creating it if it does not exist, and rebuilds the
    /// index from it. One process writes a topic (see `ARCHITECTURE.md`).
    pub async fn open(target: &KafkaTarget) -> Result<Self, LogError> {
        let producer: FutureProducer = client_config(target)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "1")
            .set(
                "message.timeout.ms",
                DELIVERY_TIMEOUT.as_millis().to_string(),
            )
            .set("queue.buffering.max.messages", "1000000")
            .create()
            .map_err(|e| broker_error(target, &e))?;
        ensure_topic(target).await?;
        Self::start(target, Some(producer), false).await
    }

    /// Opens the topic to read: the index as the topic is now, kept up to date by a
    /// follower thread, so `subscribe` sees another process's appends.
    pub async fn open_read_only(target: &KafkaTarget) -> Result<Self, LogError> {
        Self::start(target, None, true).await
    }

    async fn start(
        target: &KafkaTarget,
        producer: Option<FutureProducer>,
        follow: bool,
    ) -> Result<Self, LogError> {
        let t = target.clone();
        let must_exist = producer.is_none();
        let Rebuilt {
            index,
            unreadable,
            consumer,
            partitions,
            earlier,
        } = tokio::task::spawn_blocking(move || rebuild(&t, must_exist))
            .await
            .map_err(|e| storage(target, &format!("the index rebuild stopped: {e}")))??;
        // Its records chain across the topic, which this build neither verifies nor
        // extends: appending would mix the two schemes in one topic.
        if producer.is_some()
            && let Some(at) = earlier
        {
            return Err(storage(target, &earlier_build(target, at)));
        }
        let head = index.head();
        let writer = Writer {
            next_position: head + 1,
            last_hash: index.last_hash(),
            partition_heads: index.partition_heads(),
            // The broker's count once the topic exists; the target's for a topic that was
            // just created and is not in the metadata yet.
            partitions: i32::try_from(partitions)
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or(target.partitions),
            versions: index.versions(),
        };
        if index.stray() > 0 {
            tracing::info!(
                "{target}: {} records past the log's end belong to no whole append (an unacknowledged tail of a stopped writer); they are left out",
                index.stray()
            );
        }
        let shared = Arc::new(Shared {
            index: RwLock::new(index),
            head: watch::Sender::new(head),
            failed: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        if follow {
            let (shared, target) = (shared.clone(), target.clone());
            std::thread::spawn(move || follow_topic(&target, &consumer, &shared));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                target: target.clone(),
                producer,
                writer: tokio::sync::Mutex::new(writer),
                shared,
                unreadable,
                earlier,
                closed: AtomicBool::new(false),
            }),
        })
    }

    pub fn target(&self) -> &KafkaTarget {
        &self.inner.target
    }

    /// Where the event at `position` is in the topic: (partition, offset).
    pub fn location(&self, position: u64) -> Option<(i32, i64)> {
        self.read_index(|i| i.location(position))
    }

    fn read_index<T>(&self, f: impl FnOnce(&Index) -> T) -> T {
        let index = self
            .inner
            .shared
            .index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&index)
    }

    fn failure(&self) -> Option<String> {
        self.inner.shared.failed()
    }

    fn fail(&self, detail: String) -> LogError {
        self.inner.shared.fail(detail.clone());
        storage(&self.inner.target, &detail)
    }
}

impl Shared {
    fn failed(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn fail(&self, detail: String) {
        self.failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(detail);
        // Wake every append waiting for its turn: it is not coming.
        self.head.send_modify(|_| {});
    }

    /// Offers records and publishes the new head.
    fn offer(&self, candidates: impl IntoIterator<Item = Candidate>) {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for c in candidates {
            index.offer(c);
        }
        let head = index.advance();
        drop(index);
        self.head.send_if_modified(|h| {
            let moved = *h != head;
            *h = head;
            moved
        });
    }
}

fn client_config(target: &KafkaTarget) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &target.bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("log_level", "3");
    config
}

fn broker_error(target: &KafkaTarget, e: &dyn std::fmt::Display) -> LogError {
    LogError::Kafka {
        target: target.to_string(),
        detail: e.to_string(),
    }
}

fn storage(target: &KafkaTarget, detail: &str) -> LogError {
    LogError::Kafka {
        target: target.to_string(),
        detail: detail.to_owned(),
    }
}

/// Creates the topic with the target's partitions if the broker does not have it, kept
/// forever (`retention.ms=-1`): the log is the system of record, and a broker's default
/// retention (7 days on Kafka) would delete its start, after which nothing can verify it
/// and a writer would start again at position 1. An existing topic is taken as it is;
/// [`rebuild`] refuses it once its start was deleted. (tansu 0.6, the test broker, stores
/// the setting and deletes nothing unless a topic also sets `cleanup.policy`, which this
/// does not.)
async fn ensure_topic(target: &KafkaTarget) -> Result<(), LogError> {
    let admin: AdminClient<DefaultClientContext> = client_config(target)
        .create()
        .map_err(|e| broker_error(target, &e))?;
    let topic = NewTopic::new(&target.topic, target.partitions, TopicReplication::Fixed(1))
        .set("retention.ms", "-1")
        .set("retention.bytes", "-1");
    let results = admin
        .create_topics(
            [&topic],
            &AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT)),
        )
        .await
        .map_err(|e| broker_error(target, &e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => {
                return Err(storage(target, &format!("creating the topic: {code}")));
            }
        }
    }
    Ok(())
}

/// The partitions of the topic. A metadata error for the topic (a broker still electing a
/// leader, a topic just created) is asked again a few times; if it stays, a topic that
/// must exist (a read: an empty log there would be a mistyped name shown as an empty
/// history) is an error, and one the caller just created counts as empty.
fn partitions(
    target: &KafkaTarget,
    consumer: &BaseConsumer,
    must_exist: bool,
) -> Result<Vec<i32>, LogError> {
    const ATTEMPTS: u32 = 5;
    let mut last_error = String::from("the broker does not list it");
    for attempt in 1..=ATTEMPTS {
        let metadata = consumer
            .fetch_metadata(Some(&target.topic), REQUEST_TIMEOUT)
            .map_err(|e| broker_error(target, &e))?;
        match metadata.topics().iter().find(|t| t.name() == target.topic) {
            Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                return Ok(t.partitions().iter().map(|p| p.id()).collect());
            }
            Some(t) => {
                if let Some(e) = t.error() {
                    last_error = format!("{:?}", RDKafkaErrorCode::from(e));
                }
            }
            None => {}
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    if must_exist {
        Err(storage(
            target,
            &format!(
                "no topic {} on broker {} ({last_error}): check the topic's name (a writing command such as `hotline serve` creates it)",
                target.topic, target.bootstrap
            ),
        ))
    } else {
        Ok(Vec::new())
    }
}

/// What [`rebuild`] read of the topic.
struct Rebuilt {
    index: Index,
    /// Records that are no events (partition, offset, why).
    unreadable: Vec<(i32, i64, String)>,
    /// Positioned at the end of every partition, to follow on from.
    consumer: BaseConsumer,
    /// How many partitions the topic has (0 if it does not exist yet).
    partitions: usize,
    /// The first record an earlier build wrote, if any (partition, offset).
    earlier: Option<(i32, i64)>,
}

/// What to say about a topic an earlier hotline wrote (one hash chain across the topic,
/// no `log_prev` header).
fn earlier_build(target: &KafkaTarget, (partition, offset): (i32, i64)) -> String {
    format!(
        "the record at partition {partition}, offset {offset} has no log_prev header: {target} was written by an earlier hotline with one chain across the topic, which this one neither verifies nor extends; `hotline log copy --from {target} --to kafka://HOST:PORT/NEW_TOPIC` copies it to a new topic (chained per partition)"
    )
}

/// Reads every partition from its start to its end as of now into a new index. A topic
/// that `must_exist` (a read-only open) and is not on the broker is an error.
fn rebuild(target: &KafkaTarget, must_exist: bool) -> Result<Rebuilt, LogError> {
    let consumer: BaseConsumer = client_config(target)
        .set("group.id", format!("hotline-index-{}", target.topic))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.max.bytes", REBUILD_FETCH_BYTES.to_string())
        .set(
            "socket.timeout.ms",
            REBUILD_SOCKET_TIMEOUT.as_millis().to_string(),
        )
        .create()
        .map_err(|e| broker_error(target, &e))?;
    let mut index = Index::default();
    let mut unreadable = Vec::new();
    let partitions = partitions(target, &consumer, must_exist)?;
    let mut earlier = None;
    if partitions.is_empty() {
        return Ok(Rebuilt {
            index,
            unreadable,
            consumer,
            partitions: 0,
            earlier,
        });
    }
    let mut list = TopicPartitionList::new();
    let mut ends = HashMap::new();
    for p in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(&target.topic, *p, REQUEST_TIMEOUT)
            .map_err(|e| broker_error(target, &e))?;
        if low > 0 {
            return Err(storage(
                target,
                &format!(
                    "partition {p} starts at offset {low}: the records before it were deleted (the topic's retention, or records deleted by hand), so the log's history is gone and it can be neither verified nor extended; restore the topic, or start a new one (hotline creates its topics with retention.ms=-1)"
                ),
            ));
        }
        if high > 0 {
            ends.insert(*p, high);
        }
        list.add_partition_offset(&target.topic, *p, Offset::Beginning)
            .map_err(|e| broker_error(target, &e))?;
    }
    consumer
        .assign(&list)
        .map_err(|e| broker_error(target, &e))?;
    let total: i64 = ends.values().sum();
    let started = Instant::now();
    let (mut read, mut last_record, mut last_said) = (0_i64, started, started);
    let mut batch = Vec::new();
    while !ends.is_empty() {
        let now = Instant::now();
        if now.duration_since(last_record) > REBUILD_STALL {
            return Err(storage(
                target,
                &format!(
                    "reading the topic to rebuild the index stopped: no record for {} s, after {read} of its {total} records in {} s (the broker is stuck or overloaded: see its CPU and log)",
                    REBUILD_STALL.as_secs(),
                    started.elapsed().as_secs()
                ),
            ));
        }
        if now.duration_since(last_said) >= REBUILD_PROGRESS {
            last_said = now;
            tracing::warn!(
                "{target}: reading the topic to rebuild the index: {read} of {total} records in {} s",
                started.elapsed().as_secs()
            );
        }
        let Some(message) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        last_record = Instant::now();
        read += 1;
        let message = message.map_err(|e| broker_error(target, &e))?;
        let (partition, offset) = (message.partition(), message.offset());
        match candidate(&message) {
            Ok(c) => {
                let has_log_prev = message
                    .headers()
                    .is_some_and(|h| h.iter().any(|h| h.key == "log_prev"));
                if !has_log_prev && earlier.is_none() {
                    earlier = Some((partition, offset));
                }
                batch.push(c);
            }
            Err(why) => unreadable.push((partition, offset, why)),
        }
        if ends.get(&partition).is_some_and(|end| offset + 1 >= *end) {
            ends.remove(&partition);
        }
        if batch.len() >= 4096 {
            batch.drain(..).for_each(|c| index.offer(c));
            index.advance();
        }
    }
    batch.into_iter().for_each(|c| index.offer(c));
    index.advance();
    Ok(Rebuilt {
        index,
        unreadable,
        consumer,
        partitions: partitions.len(),
        earlier,
    })
}

/// Keeps a read-only log's index up to date with the topic until the log is dropped.
fn follow_topic(target: &KafkaTarget, consumer: &BaseConsumer, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        let mut batch = Vec::new();
        while let Some(message) = consumer.poll(Duration::from_millis(100)) {
            match message {
                Ok(m) => match candidate(&m) {
                    Ok(c) => batch.push(c),
                    Err(why) => tracing::warn!(
                        "{target}: partition {} offset {} is not an event: {why}",
                        m.partition(),
                        m.offset()
                    ),
                },
                Err(e) => tracing::warn!("{target}: reading the topic: {e}"),
            }
            if batch.len() >= 4096 || shared.stop.load(Ordering::SeqCst) {
                break;
            }
        }
        if !batch.is_empty() {
            shared.offer(batch);
        }
    }
}

/// A record of the topic as a candidate event of the log.
fn candidate(message: &impl Message) -> Result<Candidate, String> {
    let value = message.payload().ok_or("the record has no value")?;
    let record: Recorded =
        serde_json::from_slice(value).map_err(|e| format!("not an event's JSON: {e}"))?;
    let header = |name: &str| {
        message.headers().and_then(|h| {
            h.iter()
                .find(|h| h.key == name)
                .and_then(|h| std::str::from_utf8(h.value?).ok().map(str::to_owned))
        })
    };
    let append_end = header("append_end")
        .and_then(|v| v.parse().ok())
        .unwrap_or(record.position);
    // A record without it (or with one that is no hash) follows no known history: it can
    // only join the log if its predecessor hash happens to be the log's last hash.
    let log_prev = header("log_prev")
        .and_then(|v| v.parse().ok())
        .unwrap_or(record.prev_hash);
    Ok(Candidate {
        record,
        log_prev,
        append_end,
        partition: message.partition(),
        offset: message.offset(),
    })
}

#[async_trait]
impl EventLog for KafkaLog {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return Err(LogError::Closed);
        }
        let producer = self.inner.producer.as_ref().ok_or(LogError::ReadOnly)?;
        if events.is_empty() {
            return Err(LogError::EmptyBatch(stream.clone()));
        }
        let mut encoded = Vec::with_capacity(events.len());
        for e in events {
            e.event.check_stream(stream.category())?;
            let (event_type, schema, data) = match e.event {
                Event::Opaque(o) => (o.event_type, o.schema, o.data),
                event => {
                    let enc = event.encode()?;
                    (enc.event_type, enc.schema, enc.data)
                }
            };
            encoded.push((
                e.event_id,
                e.occurred_at,
                e.correlation_id,
                e.causation_id,
                event_type,
                schema,
                data,
            ));
        }

        let mut writer = self.inner.writer.lock().await;
        if let Some(failure) = self.failure() {
            return Err(storage(&self.inner.target, &failure));
        }
        let actual = writer.versions.get(stream).copied().unwrap_or(0);
        if let ExpectedVersion::Exact(expected) = expected
            && expected != actual
        {
            return Err(LogError::Conflict {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
        let first = writer.next_position;
        let append_end = first + encoded.len() as u64 - 1;
        let partition = partition::partition_for(stream.as_str().as_bytes(), writer.partitions);
        // Chained in the partition; `log_prev` says where in the log each one goes.
        let mut prev = writer
            .partition_heads
            .get(&partition)
            .copied()
            .unwrap_or(Hash::ZERO);
        let log_prev = writer.last_hash;
        let mut records = Vec::with_capacity(encoded.len());
        for (i, (event_id, occurred_at, correlation_id, causation_id, event_type, schema, data)) in
            encoded.into_iter().enumerate()
        {
            let mut r = Recorded {
                position: first + i as u64,
                stream: stream.clone(),
                version: actual + i as u64 + 1,
                event_type,
                schema,
                occurred_at,
                event_id,
                correlation_id,
                causation_id,
                prev_hash: prev,
                hash: Hash::ZERO,
                data,
            };
            r.hash = r.chained().hash(&prev);
            prev = r.hash;
            records.push(r);
        }
        let mut deliveries = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            // The first follows the log's last event; the others, the one before them.
            let after = match i.checked_sub(1).and_then(|p| records.get(p)) {
                Some(before) => before.hash,
                None => log_prev,
            }
            .to_string();
            let value = serde_json::to_vec(r).map_err(|e| {
                self.fail(format!(
                    "event {} cannot be written as JSON: {e}",
                    r.position
                ))
            })?;
            let (version, schema, end) = (
                r.version.to_string(),
                r.schema.to_string(),
                append_end.to_string(),
            );
            let headers = OwnedHeaders::new_with_capacity(5)
                .insert(Header {
                    key: "type",
                    value: Some(r.event_type.as_str()),
                })
                .insert(Header {
                    key: "schema",
                    value: Some(schema.as_str()),
                })
                .insert(Header {
                    key: "version",
                    value: Some(version.as_str()),
                })
                .insert(Header {
                    key: "append_end",
                    value: Some(end.as_str()),
                })
                .insert(Header {
                    key: "log_prev",
                    value: Some(after.as_str()),
                });
            let record = FutureRecord::to(&self.inner.target.topic)
                .partition(partition)
                .key(stream.as_str())
                .payload(&value)
                .headers(headers);
            match producer.send_result(record) {
                Ok(delivery) => deliveries.push(delivery),
                // Records before this one may be on their way: the chain cannot go on
                // without them, so the log stops rather than leave a hole.
                Err((e, _)) => {
                    return Err(self.fail(format!("producing event {}: {e}", r.position)));
                }
            }
        }
        writer.next_position = append_end + 1;
        writer.last_hash = prev;
        writer.partition_heads.insert(partition, prev);
        writer
            .versions
            .insert(stream.clone(), actual + records.len() as u64);
        drop(writer);

        let mut acknowledged = Vec::with_capacity(records.len());
        let mut after = log_prev;
        for (record, delivery) in records.into_iter().zip(deliveries) {
            let log_prev = std::mem::replace(&mut after, record.hash);
            match delivery.await {
                Ok(Ok(d)) => acknowledged.push(Candidate {
                    record,
                    log_prev,
                    append_end,
                    partition: d.partition,
                    offset: d.offset,
                }),
                Ok(Err((e, _))) => {
                    return Err(self.fail(format!(
                        "the broker did not acknowledge event {}: {e}",
                        record.position
                    )));
                }
                Err(_) => return Err(self.fail("the producer was shut down".to_owned())),
            }
        }
        self.inner.shared.offer(acknowledged);
        // Answer only once every append before this one is acknowledged too.
        let mut head = self.inner.shared.head.subscribe();
        let shared = &self.inner.shared;
        let _ = head
            .wait_for(|h| *h >= append_end || shared.failed().is_some())
            .await;
        if *head.borrow() < append_end
            && let Some(failure) = self.failure()
        {
            return Err(storage(&self.inner.target, &failure));
        }
        Ok(Appended {
            first_position: first,
            last_position: append_end,
            version: actual + (append_end - first + 1),
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError> {
        Ok(self.read_index(|i| i.read_stream(stream, from_version)))
    }

    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError> {
        Ok(self.read_index(|i| i.read_all(from_position, max)))
    }

    async fn head(&self) -> Result<u64, LogError> {
        Ok(*self.inner.shared.head.borrow())
    }

    fn subscribe(&self, from_position: u64) -> Subscription {
        Subscription::follow(
            self.clone(),
            from_position,
            self.inner.shared.head.subscribe(),
            Duration::from_millis(200),
        )
    }

    /// Each partition's chain and the global positions ([`chains`]), then the topic's
    /// records that are not events at all: the index leaves those out, so without this a
    /// damaged record would only shorten the log.
    async fn verify(&self) -> Result<VerifyReport, LogError> {
        // Not "altered": another chaining scheme, which this build cannot check.
        if let Some(at) = self.inner.earlier {
            return Err(storage(
                &self.inner.target,
                &earlier_build(&self.inner.target, at),
            ));
        }
        let topic = self.inner.target.to_string();
        let (mut report, problem) = self.read_index(|i| {
            let (events, locations) = i.log();
            (chains::verify(events, locations, &topic), i.problem())
        });
        if report.first_break.is_none()
            && let Some(problem) = problem
        {
            report.events_checked = report.events_checked.min(problem.position - 1);
            report.first_break = Some(ChainBreak {
                position: problem.position,
                problem: format!("{} (topic {topic})", problem.detail),
            });
        }
        if report.first_break.is_none()
            && let Some((partition, offset, why)) = self.inner.unreadable.first()
        {
            report.first_break = Some(ChainBreak {
                position: report.head + 1,
                problem: format!(
                    "the record at partition {partition}, offset {offset} of {} is unreadable ({why}): the topic was altered",
                    self.inner.target
                ),
            });
        }
        Ok(report)
    }

    async fn close(&self) -> Result<(), LogError> {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.shared.stop.store(true, Ordering::SeqCst);
        if let Some(producer) = self.inner.producer.clone() {
            let target = self.inner.target.clone();
            tokio::task::spawn_blocking(move || producer.flush(DELIVERY_TIMEOUT))
                .await
                .map_err(|e| storage(&target, &e.to_string()))?
                .map_err(|e| broker_error(&target, &e))?;
        }
        Ok(())
    }
}
