//! The writer of a log with deferred commits ([`Durability::Deferred`]): an appender
//! places its events and is answered at once; a thread of its own hashes and writes them
//! behind it.
//!
//! A virtual-clock run appends one event at a time, on one thread, and waits for each
//! answer. Written on that thread, the inserts, the hash chain and the commits were half
//! of a simulation's time while the machine's other core sat idle. Placing an append needs
//! only what the log holds in memory (the head, each stream's version and last position),
//! so the appender places it, a version conflict is still answered at once, and its rows
//! go into a queue; the writer thread takes the queue whole (so its rows go into
//! multi-row inserts) and commits every [`DEFER_MAX_EVENTS`](super::DEFER_MAX_EVENTS)
//! events, [`DEFER_MAX_AGE`](super::DEFER_MAX_AGE),
//! when idle for [`DEFER_IDLE`], or when a reader asks. What is written does not depend on
//! how the queue was cut: positions and versions are fixed when placed, and the chain
//! follows positions.
//!
//! **Reads see every answered append**: a read first waits until the writer has committed
//! every placed append (`SqliteLog::flush`). A stream the placer knows to be empty (every
//! call's, read as its actor starts) is answered without the file.
//!
//! **Failures**: appends were answered and acted on before they were written, so a failed
//! write or commit fails the log for good: every later request is refused.
//!
//! [`Durability::Deferred`]: super::Durability::Deferred

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use hotline_events::StreamName;
use rusqlite::Connection;

use super::{
    Appended, DEFER_IDLE, ExpectedVersion, LogError, Place, Places, Row, Slot, Writer, open_reader,
    storage,
};

/// The writer is woken once this many events wait (it also looks every [`DEFER_IDLE`]):
/// enough for its inserts to be mostly of 64 rows.
const WAKE_AT_EVENTS: usize = if cfg!(test) { 16 } else { 1024 };
/// An appender waits once this many events wait for the writer, so that a writer slower
/// than its appenders holds memory to a bound (at a few hundred bytes an event).
const MAX_QUEUED_EVENTS: usize = if cfg!(test) { 64 } else { 1 << 16 };

/// What appenders and the writer thread share.
#[derive(Debug)]
pub(super) struct Deferred {
    front: Mutex<Front>,
    /// Wakes the writer: work is due (see [`Front::due`]).
    work: Condvar,
    /// Wakes appenders waiting for room in the queue.
    room: Condvar,
    /// Set once a write or commit failed, for waiters that do not hold the lock.
    failed: AtomicBool,
}

/// The appenders' side of the log, under one lock.
#[derive(Debug)]
struct Front {
    places: Places,
    /// Looks up the streams the file held when it was opened (`None` if it was empty): the
    /// placer remembers every stream it met since, and those are all in the file.
    file: Option<Connection>,
    /// Appends placed and answered, not yet taken by the writer.
    queue: Vec<Queued>,
    queued_events: usize,
    /// The head a reader waits to see committed.
    flush_to: u64,
    writer_waiting: bool,
    appenders_waiting: usize,
    closing: bool,
    failed: Option<String>,
}

/// An append placed by its appender, waiting for the writer.
#[derive(Debug)]
struct Queued {
    stream: StreamName,
    rows: Vec<Row>,
    place: Place,
}

impl Front {
    /// Whether the writer should go on without waiting.
    fn due(&self, committed: u64) -> bool {
        self.queued_events >= WAKE_AT_EVENTS || self.flush_to > committed || self.closing
    }
}

/// Why a deferred log takes nothing more.
pub(super) fn failure(path: &Path, why: &str) -> LogError {
    LogError::Storage {
        path: path.to_owned(),
        detail: format!(
            "a deferred write failed ({why}); the appends it held are lost and the log takes nothing more"
        ),
    }
}

/// A thread panicked while holding the appenders' side of the log.
fn poisoned(path: &Path) -> LogError {
    LogError::Storage {
        path: path.to_owned(),
        detail: "the log's writer failed while writing; reopen the log".into(),
    }
}

impl Deferred {
    /// Starts the writer thread on `writer`, whose head and streams the appenders now keep.
    pub(super) fn start(mut writer: Writer) -> std::io::Result<(Arc<Self>, JoinHandle<()>)> {
        let file = if writer.places.complete {
            None
        } else {
            Some(open_reader(&writer.path).map_err(|e| std::io::Error::other(e.to_string()))?)
        };
        let kept = Places::new(writer.places.head, writer.places.next_stream_id, false);
        let places = std::mem::replace(&mut writer.places, kept);
        let shared = Arc::new(Self {
            front: Mutex::new(Front {
                places,
                file,
                queue: Vec::new(),
                queued_events: 0,
                flush_to: 0,
                writer_waiting: false,
                appenders_waiting: 0,
                closing: false,
                failed: None,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            failed: AtomicBool::new(false),
        });
        let thread = std::thread::Builder::new()
            .name("hotline-log-writer".into())
            .spawn({
                let shared = shared.clone();
                move || shared.write(writer)
            })?;
        Ok((shared, thread))
    }

    fn lock(&self, path: &Path) -> Result<MutexGuard<'_, Front>, LogError> {
        self.front.lock().map_err(|_| poisoned(path))
    }

    /// Refuses anything once the log failed or is closing.
    fn usable(front: &Front, path: &Path) -> Result<(), LogError> {
        if let Some(why) = &front.failed {
            return Err(failure(path, why));
        }
        if front.closing {
            return Err(LogError::Closed);
        }
        Ok(())
    }

    /// Places an append and queues it for the writer; answered at once.
    pub(super) fn append(
        &self,
        path: &Path,
        stream: &StreamName,
        expected: ExpectedVersion,
        rows: Vec<Row>,
    ) -> Result<Appended, LogError> {
        let mut front = self.lock(path)?;
        while front.queued_events >= MAX_QUEUED_EVENTS && front.failed.is_none() {
            front.appenders_waiting += 1;
            front = self.room.wait(front).map_err(|_| poisoned(path))?;
            front.appenders_waiting -= 1;
        }
        Self::usable(&front, path)?;
        let Front { places, file, .. } = &mut *front;
        let place = places
            .place(file.as_ref(), stream, expected, rows.len())
            .map_err(|e| storage(path, e))??;
        front.queued_events += rows.len();
        front.queue.push(Queued {
            stream: stream.clone(),
            rows,
            place,
        });
        // A futex wake per append would cost more than the insert: the writer is woken
        // for a full batch only, and otherwise looks every `DEFER_IDLE`.
        if front.writer_waiting && front.queued_events >= WAKE_AT_EVENTS {
            self.work.notify_one();
        }
        Ok(place.appended)
    }

    /// Whether `stream` has any event, appended or placed.
    pub(super) fn has_events(&self, path: &Path, stream: &StreamName) -> Result<bool, LogError> {
        let mut front = self.lock(path)?;
        Self::usable(&front, path)?;
        let Front { places, file, .. } = &mut *front;
        let known = places
            .known(file.as_ref(), stream.as_str())
            .map_err(|e| storage(path, e))?;
        Ok(known.is_some_and(|s| s.version > 0))
    }

    /// Asks the writer to commit every append placed so far; the head to wait for.
    pub(super) fn flush(&self, path: &Path) -> Result<u64, LogError> {
        let mut front = self.lock(path)?;
        Self::usable(&front, path)?;
        let head = front.places.head;
        if front.flush_to < head {
            front.flush_to = head;
            self.work.notify_one();
        }
        Ok(head)
    }

    pub(super) fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The log's failure, if any, as an error.
    pub(super) fn check(&self, path: &Path) -> Result<(), LogError> {
        if !self.failed() {
            return Ok(());
        }
        let front = self.lock(path)?;
        match &front.failed {
            Some(why) => Err(failure(path, why)),
            None => Ok(()),
        }
    }

    /// Tells the writer to write and commit what it was given and end; appends from now
    /// on are refused.
    pub(super) fn close(&self) {
        if let Ok(mut front) = self.front.lock() {
            front.closing = true;
        }
        self.work.notify_one();
        self.room.notify_all();
    }

    /// The writer thread: takes the queue whole, writes it into the open transaction, and
    /// commits when due. Ends on close (or once the log's last handle is dropped), having
    /// committed and checkpointed, or after a failure.
    fn write(self: Arc<Self>, mut writer: Writer) {
        let mut taken: Vec<Queued> = Vec::new();
        let mut committed = writer.places.head;
        loop {
            let (closing, flush_to) = {
                let Ok(mut front) = self.front.lock() else {
                    return;
                };
                if !front.due(committed) {
                    front.writer_waiting = true;
                    front = match self.work.wait_timeout(front, DEFER_IDLE) {
                        Ok((front, _)) => front,
                        Err(_) => return,
                    };
                    front.writer_waiting = false;
                }
                std::mem::swap(&mut front.queue, &mut taken);
                front.queued_events = 0;
                if front.appenders_waiting > 0 {
                    self.room.notify_all();
                }
                // With no handle on the log left but this thread's, nobody can close it.
                let orphaned = Arc::strong_count(&self) == 1;
                (front.closing || orphaned, front.flush_to)
            };
            let idle = taken.is_empty();
            let slots: Vec<Slot<'_>> = taken
                .iter()
                .map(|q| Slot {
                    stream: q.stream.as_str(),
                    rows: &q.rows,
                    place: q.place,
                })
                .collect();
            let written = writer.write_placed(&slots);
            drop(slots);
            taken.clear();
            let ok = match written {
                Err(e) => {
                    writer.fail(&e);
                    false
                }
                Ok(()) if idle || closing || flush_to > committed || writer.commit_due() => {
                    writer.commit_open().is_ok()
                }
                Ok(()) => true,
            };
            if !ok {
                self.fail(&writer);
                return;
            }
            if writer.open.is_none() {
                committed = writer.places.head;
                writer.finish_checkpoint();
            }
            if closing {
                writer.shut_down();
                return;
            }
        }
    }

    /// Records the writer's failure and wakes everyone waiting on it.
    fn fail(&self, writer: &Writer) {
        let why = writer.failed.clone().unwrap_or_default();
        if let Ok(mut front) = self.front.lock() {
            front.failed = Some(why);
            front.queue.clear();
        }
        self.failed.store(true, Ordering::Release);
        self.room.notify_all();
        // Readers wait on the head: a change wakes them to see the failure.
        writer.head_tx.send_modify(|_| {});
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::{Durability, SqliteLog};
    use crate::log::{EventLog, ExpectedVersion};
    use hotline_events::{NewEvent, StreamName};

    fn probe(n: usize) -> NewEvent {
        super::super::tests::probe(&format!("\"n\":{n}"))
    }

    /// Appenders that outrun the writer wait for room (64 events in tests) and lose
    /// nothing: every append lands where it was placed, chained.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appenders_past_the_queue_bound_wait_and_every_append_lands() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                tokio::spawn(async move {
                    let stream = StreamName::parse(&format!("probe-{t}")).unwrap();
                    let mut placed = Vec::new();
                    for v in 0..500 {
                        let a = log
                            .append(&stream, ExpectedVersion::Exact(v), vec![probe(v as usize)])
                            .await
                            .unwrap();
                        placed.push(a.first_position);
                    }
                    (stream, placed)
                })
            })
            .collect();
        for task in tasks {
            let (stream, placed) = task.await.unwrap();
            let read = log.read_stream(&stream, 1).await.unwrap();
            let positions: Vec<u64> = read.iter().map(|r| r.position).collect();
            assert_eq!(positions, placed, "{stream}");
        }
        assert_eq!(log.head().await.unwrap(), 2_000);
        assert_eq!(log.verify().await.unwrap().first_break, None);
        log.close().await.unwrap();
    }

    /// A stream never appended to is answered from memory, and one whose events still
    /// wait for the writer is read whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn streams_are_read_whole_before_their_events_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap();
        let stream = StreamName::parse("probe-read").unwrap();
        let empty = StreamName::parse("probe-empty").unwrap();
        for v in 0..3 {
            log.append(&stream, ExpectedVersion::Exact(v), vec![probe(v as usize)])
                .await
                .unwrap();
            assert_eq!(
                log.read_stream(&stream, 1).await.unwrap().len(),
                v as usize + 1
            );
            assert!(log.read_stream(&empty, 1).await.unwrap().is_empty());
        }
        log.close().await.unwrap();
        // Reopened on a log that holds streams: those are found in the file.
        let log = SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap();
        assert_eq!(log.read_stream(&stream, 2).await.unwrap().len(), 2);
        assert!(log.read_stream(&empty, 1).await.unwrap().is_empty());
        let conflict = log
            .append(&stream, ExpectedVersion::Exact(0), vec![probe(9)])
            .await;
        assert!(conflict.is_err(), "{conflict:?}");
        log.close().await.unwrap();
    }

    /// A log dropped without `close` is still committed by its writer, which then shuts
    /// down as `close` would.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_log_dropped_without_close_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let log = SqliteLog::open_with(dir.path(), Durability::Deferred).unwrap();
        let stream = StreamName::parse("probe-dropped").unwrap();
        for v in 0..10 {
            log.append(&stream, ExpectedVersion::Exact(v), vec![probe(v as usize)])
                .await
                .unwrap();
        }
        drop(log);
        // Its shut-down empties the WAL into the file.
        let wal = dir.path().join("events.sqlite-wal");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer never shut down"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let reader = SqliteLog::open_read_only(dir.path()).unwrap();
        assert_eq!(reader.head().await.unwrap(), 10);
    }
}
