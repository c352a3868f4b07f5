//! The `EventLog` port: an append-only, totally ordered, hash-chained log of events,
//! partitioned into streams with optimistic concurrency.
//!
//! Contract every backend keeps (checked by [`crate::conformance`]):
//! - `append` is atomic (all events of the call or none) and durable when it returns;
//! - positions run from 1 without gaps; each stream's versions run from 1 without gaps;
//! - a wrong expected version is [`LogError::Conflict`], never an overwrite;
//! - a subscription delivers every position from its start, in order, exactly once,
//!   across the hand-over from catch-up to live.

#[cfg(feature = "kafka")]
pub mod kafka;
pub mod sqlite;
pub mod target;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use hotline_events::{CodecError, Decoded, Hash, NewEvent, Recorded, StreamName};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

/// What the appender believes the stream's version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the version is (for streams with one writer by construction).
    Any,
    /// The stream must be at exactly this version; 0 means it must not exist yet.
    Exact(u64),
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first_position: u64,
    pub last_position: u64,
    /// The stream's version after the append.
    pub version: u64,
}

/// What can go wrong with a log. Every message says what failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(
        "version conflict on {stream}: expected version {expected}, but the stream is at {actual}"
    )]
    Conflict {
        stream: StreamName,
        expected: u64,
        actual: u64,
    },
    #[error("nothing to append to {0}: the batch is empty")]
    EmptyBatch(StreamName),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error(
        "no event log at {}: start one with `hotline demo` (or `hotline serve`), or point --data-dir / HOTLINE_DATA_DIR at an existing data directory",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error(
        "{} was written by a newer Hotline (log format {found}; this build reads formats up to {supported}): upgrade hotline; the file was not changed",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "{} is not a Hotline event log, or it is damaged ({detail}): restore it from a backup or point --data-dir elsewhere; the file was not changed",
        path.display()
    )]
    NotALog { path: PathBuf, detail: String },
    #[error(
        "cannot use the data directory {}: {reason}; choose a writable directory with --data-dir or HOTLINE_DATA_DIR",
        path.display()
    )]
    DataDir {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error(
        "another process is writing to the event log in {}: stop it first, or use a read-only command (log tail, audit)",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error("event {position} of {} cannot be read ({detail}): run `hotline audit verify`", path.display())]
    Corrupt {
        path: PathBuf,
        position: u64,
        detail: String,
    },
    #[error("the event log at {} failed: {detail}", path.display())]
    Storage { path: PathBuf, detail: String },
    #[error(
        "the Kafka event log {target} failed: {detail}; check that the broker runs and is reachable, then run the command again"
    )]
    Kafka { target: String, detail: String },
    #[error("the event log is open read-only: appends need a command that owns the log")]
    ReadOnly,
    #[error("the event log is closed")]
    Closed,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub position: u64,
    pub problem: String,
}

/// The result of walking the whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: u64,
    pub head: u64,
    /// The hash of the last good event: an auditor can note it and check later that the
    /// log still extends it.
    pub last_hash: Hash,
    /// On a log chained per partition (Kafka), each partition's last good hash, by
    /// partition: `last_hash` then covers one partition only, and an auditor notes these.
    /// Empty for a log that is one chain.
    pub partition_hashes: Vec<(i32, Hash)>,
    pub first_break: Option<ChainBreak>,
}

#[async_trait]
pub trait EventLog: Send + Sync + std::fmt::Debug {
    /// Appends `events` to `stream` if it is at `expected`; all or none, durable on return.
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError>;

    /// The events of one stream from `from_version` (1 for all), in order.
    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError>;

    /// Up to `max` events from `from_position` (1 for the start), in order.
    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError>;

    /// [`EventLog::read_all`] decoded, for folds, which need neither the ids nor the hashes.
    /// A backend that decodes as it reads overrides it to skip copying each event's text.
    async fn read_decoded(&self, from_position: u64, max: usize) -> Result<Vec<Decoded>, LogError> {
        let page = self.read_all(from_position, max).await?;
        Ok(page.iter().map(Decoded::of).collect())
    }

    /// The position of the last event (0 for an empty log).
    async fn head(&self) -> Result<u64, LogError>;

    /// Every event from `from_position` on: the history first, then new events as they are
    /// appended, in order, with no gap and no duplicate.
    fn subscribe(&self, from_position: u64) -> Subscription;

    /// Walks the whole chain and reports the first event whose hash, predecessor, position
    /// or version does not hold.
    async fn verify(&self) -> Result<VerifyReport, LogError> {
        walk_chain(self).await
    }

    /// Finishes pending appends and releases the log.
    async fn close(&self) -> Result<(), LogError>;
}

/// Walks the chain of `log` from position 1 (the default `verify`).
pub(crate) async fn walk_chain<L: EventLog + ?Sized>(log: &L) -> Result<VerifyReport, LogError> {
    let head = log.head().await?;
    let mut checker = ChainChecker::default();
    let mut next = 1;
    while next <= head && checker.first_break.is_none() {
        let batch = match log.read_all(next, 4096).await {
            Ok(batch) => batch,
            Err(LogError::Corrupt {
                position, detail, ..
            }) => {
                checker.broken(position, format!("unreadable: {detail}"));
                break;
            }
            Err(e) => return Err(e),
        };
        if batch.is_empty() {
            checker.broken(next, "missing: the log ends before its head".to_owned());
            break;
        }
        for r in &batch {
            if r.position > head || !checker.check(r) {
                break;
            }
        }
        next = batch.last().map_or(head + 1, |r| r.position + 1);
    }
    Ok(VerifyReport {
        events_checked: checker.checked,
        head,
        last_hash: checker.last_hash,
        partition_hashes: Vec::new(),
        first_break: checker.first_break,
    })
}

/// Follows a chain event by event.
#[derive(Debug, Default)]
struct ChainChecker {
    checked: u64,
    last_hash: Hash,
    versions: HashMap<StreamName, u64>,
    first_break: Option<ChainBreak>,
}

impl ChainChecker {
    fn broken(&mut self, position: u64, problem: String) {
        self.first_break
            .get_or_insert(ChainBreak { position, problem });
    }

    fn check(&mut self, r: &Recorded) -> bool {
        let expected_position = self.checked + 1;
        let expected_version = self.versions.get(&r.stream).copied().unwrap_or(0) + 1;
        let problem = if r.position != expected_position {
            Some(format!(
                "expected position {expected_position}, found {}",
                r.position
            ))
        } else if r.prev_hash != self.last_hash {
            Some("its predecessor hash does not match the previous event's hash".to_owned())
        } else if !r.hash_is_valid() {
            Some("its hash does not match its content: the event was altered".to_owned())
        } else if r.version != expected_version {
            Some(format!(
                "{} should be at version {expected_version}, found {}",
                r.stream, r.version
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.broken(expected_position, problem);
            return false;
        }
        self.checked += 1;
        self.last_hash = r.hash;
        self.versions.insert(r.stream.clone(), r.version);
        true
    }
}

/// A live feed of the log from a position on. Dropping it stops the feed.
#[derive(Debug)]
pub struct Subscription {
    rx: mpsc::Receiver<Result<Vec<Recorded>, LogError>>,
    buffered: VecDeque<Recorded>,
    task: AbortHandle,
}

impl Subscription {
    /// Reads `log` in batches from `from`; at the head, waits for `head` to move (or, for
    /// appends by another process, for `poll` to pass) and reads again. Reading by
    /// position after the last one delivered makes the hand-over gap- and duplicate-free:
    /// a single writer commits positions in order, so none can appear behind the head.
    pub fn follow<L>(log: L, from: u64, mut head: watch::Receiver<u64>, poll: Duration) -> Self
    where
        L: EventLog + 'static,
    {
        let (tx, rx) = mpsc::channel(4);
        let task = tokio::spawn(async move {
            let mut next = from.max(1);
            loop {
                head.borrow_and_update();
                match log.read_all(next, 2048).await {
                    Ok(batch) if !batch.is_empty() => {
                        next = batch.last().map_or(next, |r| r.position + 1);
                        if tx.send(Ok(batch)).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {
                        tokio::select! {
                            changed = head.changed() => {
                                if changed.is_err() {
                                    // The writer is gone: only polling can see more.
                                    tokio::time::sleep(poll).await;
                                }
                            }
                            () = tokio::time::sleep(poll) => {}
                            () = tx.closed() => return,
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        });
        Self {
            rx,
            buffered: VecDeque::new(),
            task: task.abort_handle(),
        }
    }

    /// The next event; `None` only once the log is closed. An error ends the feed.
    pub async fn next(&mut self) -> Option<Result<Recorded, LogError>> {
        loop {
            if let Some(r) = self.buffered.pop_front() {
                return Some(Ok(r));
            }
            match self.rx.recv().await? {
                Ok(batch) => self.buffered.extend(batch),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}
