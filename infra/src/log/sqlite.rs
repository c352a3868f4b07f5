//! The embedded event log: one SQLite file (`events.sqlite` in the data directory), in WAL
//! mode, written by one thread.
//!
//! **Group commit.** Appenders encode their events on their own tasks and send them to the
//! writer thread; the writer takes every request waiting, checks versions, chains hashes
//! and inserts them in one transaction and commits once. The WAL is then synced by a
//! thread beside it (see `syncer`), while the writer goes on with the next group; only
//! after that sync is each appender answered and the new head published, and readers of
//! this log see nothing past that head. Throughput grows with concurrency while every
//! append still returns only once durable. A request rejected for its version is answered
//! at once and writes nothing; if the transaction fails, every request in it fails and the
//! writer's state is rolled back with it. The WAL is copied into the database file by a
//! checkpointer thread beside the writer (see `Checkpointer`), not inside a commit.
//!
//! **Deferred commits** ([`Durability::Deferred`], for virtual-clock runs): an append is
//! placed (its version checked, its positions given) on the appender's thread and answered
//! at once; a writer thread hashes and writes the placed appends behind it and commits
//! every [`DEFER_MAX_EVENTS`] events, [`DEFER_MAX_AGE`] or when idle for [`DEFER_IDLE`].
//! Reads through the log see every answered append: they first wait for the writer to
//! commit it (see `deferred`).
//!
//! **Layout.** Events are kept in position order only; a stream is read back from its row
//! in `streams` through each event's link to the stream's previous event (see `SCHEMA`).
//!
//! **One writer.** A lock file (`events.lock`) keeps a second process from writing the
//! same log; readers (`log tail`, `audit`) open the file read-only beside it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hotline_events::hash::Chained;
use hotline_events::{Decoded, Event, Hash, MessageId, NewEvent, Recorded, StreamName, Timestamp};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tokio::sync::{oneshot, watch};

use super::{Appended, EventLog, ExpectedVersion, LogError, Subscription};

mod deferred;
mod syncer;

/// `PRAGMA application_id`: "HOTL", so that other SQLite files are told apart.
const APPLICATION_ID: i64 = 0x484F_544C;
/// `PRAGMA user_version`: the layout of the file. Bump with a migration.
const FORMAT: i64 = 1;
/// The page size of a new log. Each commit writes every page it touched to the WAL, with
/// one `pwrite` for each page and one for its frame header: at 4 KiB, a group of 128 events
/// took 11 pages and `pwrite` a fifth of the writer's time; 16 KiB pages hold it in 3.
/// (Existing files keep the size they were made with.)
const PAGE_SIZE: u32 = 16 * 1024;
/// The writer remembers at most about this many streams, and each reader as many names: a
/// center makes a few streams per call, so remembering every one would grow a long-running
/// server's memory by about 100 bytes per stream for good. Past it the memory starts over
/// and a stream not in it is looked up in the file (by its name's index, or its id's). Not
/// for [`Durability::Deferred`]'s writer: a simulation of a million calls ran 10 % slower
/// looking up each new stream, for 140 MiB.
const MAX_CACHED_STREAMS: usize = if cfg!(test) { 64 } else { 1 << 18 };
/// At most this many events go into one group commit.
const MAX_GROUP_EVENTS: usize = 8192;
/// With deferred commits, a transaction is committed once it holds this many events…
const DEFER_MAX_EVENTS: usize = 8192;
/// …or has been open this long…
const DEFER_MAX_AGE: Duration = Duration::from_millis(50);
/// …or no request came for this long.
const DEFER_IDLE: Duration = Duration::from_millis(1);

/// Events are stored in position order and nothing else is indexed per event: a per-stream
/// B-tree index gets one insert per event at a different place for every stream, so a group
/// commit touching 200 streams dirtied 200 index pages (4 KiB each in the WAL, for 200-byte
/// events) and ran at a fifth of the speed of the same inserts without it. A stream is
/// found instead through its row in `streams` (rewritten once per append; the rows of the
/// streams being written share a few pages) and read back through each event's `previous`,
/// the position of the stream's event before it.
const SCHEMA: &str = "
CREATE TABLE streams (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL UNIQUE,
    version  INTEGER NOT NULL,
    last     INTEGER NOT NULL
) STRICT;
CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    stream      INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    previous    INTEGER,
    type        TEXT    NOT NULL,
    schema      INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    ids         BLOB    NOT NULL,
    data        TEXT    NOT NULL,
    chain       BLOB    NOT NULL
) STRICT;
";

// `ids`: a flags byte (1: a correlation id follows, 2: a causation id follows), the event's
// id, then those ids, 16 bytes each. `chain`: the predecessor's hash, then the event's own,
// 32 bytes each. Each is one column rather than five because a scan pays for every column
// it reads (a third of its time went to reading 12 columns one call at a time).

/// The columns [`to_recorded`] reads, in its order; `previous` comes last.
/// Pages of at least twice this many events are read in two halves at once.
const SPLIT_READ_AT_LEAST: usize = 512;
/// Bytes of the file a read connection maps (SQLite caps it at its own compile-time limit).
const READ_MMAP: u64 = 1 << 40;
/// A range of positions rather than `LIMIT ?`: SQLite marks a statement whose LIMIT is a
/// bound parameter as expired whenever that parameter is bound again, so every page would
/// parse and plan the statement anew. Positions have no gaps, so the range is the page.
const READ_ALL: &str = "SELECT position, stream, version, type, schema, occurred_at, ids, data, chain \
                        FROM events WHERE position BETWEEN ?1 AND ?2 ORDER BY position";
/// [`READ_ALL`] for folds ([`to_decoded`]): without the ids, the chain and the version.
const READ_DECODED: &str = "SELECT position, stream, type, schema, occurred_at, data \
                            FROM events WHERE position BETWEEN ?1 AND ?2 ORDER BY position";
const READ_ONE: &str = "SELECT position, stream, version, type, schema, occurred_at, ids, data, chain, \
                        previous FROM events WHERE position = ?1";
const FIND_STREAM: &str = "SELECT id, version, last FROM streams WHERE name = ?1";
const STREAM_NAME: &str = "SELECT name FROM streams WHERE id = ?1";
/// How many rows one INSERT statement writes, largest first: a group's rows go in as few
/// statements as these sizes allow. Each statement costs a step, a reset, a cursor opened
/// and positioned at the end of the table, on top of its rows.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// INSERT statements of events and of stream rows, `CHUNKS[i]` rows each.
///
/// `OR ROLLBACK`: any failure rolls the whole transaction back, which the writer does
/// anyway. A statement that could fail alone would make SQLite keep a statement journal
/// (a copy of every page it touches, to undo just that statement).
struct Inserts {
    events: [String; CHUNKS.len()],
    streams: [String; CHUNKS.len()],
}

impl Inserts {
    fn new() -> Self {
        let rows = |n: usize, width: usize| {
            let row = format!("({})", vec!["?"; width].join(", "));
            vec![row; n].join(", ")
        };
        Self {
            events: CHUNKS.map(|n| {
                format!(
                    "INSERT OR ROLLBACK INTO events (position, stream, version, previous, type, schema, \
                     occurred_at, ids, data, chain) VALUES {}",
                    rows(n, 10)
                )
            }),
            // A row of a known stream (same id) takes the ON CONFLICT branch, so one statement
            // writes new and known streams alike; of two rows of one stream the later wins.
            streams: CHUNKS.map(|n| {
                format!(
                    "INSERT OR ROLLBACK INTO streams (id, name, version, last) VALUES {} \
                     ON CONFLICT (id) DO UPDATE SET version = excluded.version, last = excluded.last",
                    rows(n, 4)
                )
            }),
        }
    }
}

/// A handle on the embedded log; clones share it.
#[derive(Debug, Clone)]
pub struct SqliteLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// The writer thread's requests (every mode but deferred commits).
    writer: Option<std::sync::mpsc::Sender<Request>>,
    /// [`Durability::Deferred`]: where appenders place their events for the writer thread.
    deferred: Option<Arc<deferred::Deferred>>,
    readers: Mutex<Vec<Reader>>,
    head: watch::Sender<u64>,
    /// The writer's thread.
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The single-writer lock, held until `close`.
    lock: Mutex<Option<File>>,
}

/// A read connection with the names of the streams it has met: a stream's id and name never
/// change once committed, so each is looked up (and validated) once per connection, not per
/// event read.
#[derive(Debug)]
struct Reader {
    conn: Connection,
    names: HashMap<i64, Named>,
}

/// A stream as its readers meet it: its name, and its id as a UUID if it is one, parsed
/// once per stream rather than by every fold of every event.
#[derive(Debug, Clone)]
struct Named {
    name: StreamName,
    entity: Option<uuid::Uuid>,
}

impl Reader {
    fn open(path: &Path) -> Result<Self, LogError> {
        Ok(Self {
            conn: open_reader(path)?,
            names: HashMap::new(),
        })
    }
}

/// An event encoded by its appender, ready for the writer.
#[derive(Debug)]
struct Row {
    event_type: String,
    schema: u16,
    data: String,
    occurred_at: Timestamp,
    event_id: MessageId,
    correlation_id: Option<MessageId>,
    causation_id: Option<MessageId>,
}

/// What one append asks the writer to do.
#[derive(Debug)]
struct Batch {
    stream: StreamName,
    expected: ExpectedVersion,
    rows: Vec<Row>,
}

/// One appender's request, waiting for its group commit.
#[derive(Debug)]
struct Pending {
    batch: Batch,
    reply: oneshot::Sender<Answer>,
}

/// The writer's answer. The batch goes back with it so that its memory is freed on the
/// appender's thread: freed on the writer's, it contended for the allocator's lock with the
/// appenders allocating the next batches (a tenth of the writer's time at 256x1).
#[derive(Debug)]
struct Answer {
    result: Result<Appended, LogError>,
    batch: Batch,
}

#[derive(Debug)]
enum Request {
    Append(Pending),
    Close(oneshot::Sender<()>),
}

/// How much an append waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Each commit is synced (`synchronous=FULL`): an append that returned survives a
    /// power cut. What a live center uses.
    #[default]
    EveryCommit,
    /// Commits are synced at checkpoints only (`synchronous=NORMAL` in WAL mode): a power
    /// cut may lose the latest appends, but never damages the log or its chain. For
    /// simulations, which append one event at a time and can simply be run again: a sync
    /// per commit would bound them to the disk's sync rate (a few hundred a second here).
    Checkpoints,
    /// [`Durability::Checkpoints`], and an append is answered before it is written: it is
    /// placed in memory (its version checked, its positions given), and a writer thread
    /// writes it behind, keeping one transaction open and committing it every few thousand
    /// events or milliseconds, or when idle. Reads through this log still see every
    /// answered append. A crash loses what was not committed yet, and a failed write fails
    /// the log (every later request), since the appends it held were answered and acted on.
    /// For virtual-clock runs ([`VirtualTimeLog`](crate::VirtualTimeLog)), which append one
    /// event at a time and are run again rather than recovered: a commit per append writes
    /// a few 16 KiB pages to the WAL for a few hundred bytes of events.
    Deferred,
}

impl SqliteLog {
    /// The log file inside a data directory.
    pub fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join("events.sqlite")
    }

    /// Opens the log in `data_dir` for appending, creating both if needed; every commit
    /// is synced to the disk.
    pub fn open(data_dir: &Path) -> Result<Self, LogError> {
        Self::open_with(data_dir, Durability::EveryCommit)
    }

    /// [`SqliteLog::open`] with a choice of how much an append waits for the disk.
    pub fn open_with(data_dir: &Path, durability: Durability) -> Result<Self, LogError> {
        let dir_err = |reason| LogError::DataDir {
            path: data_dir.to_owned(),
            reason,
        };
        crate::data_dir::prepare(data_dir).map_err(dir_err)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join("events.lock"))
            .map_err(dir_err)?;
        if lock.try_lock().is_err() {
            return Err(LogError::Locked {
                path: data_dir.to_owned(),
            });
        }
        let path = Self::file_in(data_dir);
        // The connection is used by the writer's thread alone: SQLite's own mutex on it
        // would be taken and released on every call, a twentieth of the writer's time.
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_a_log(&path, e))?;
        prepare_for_writing(&conn, &path, durability)?;
        conn.set_prepared_statement_cache_capacity(32);
        let checkpointer = Checkpointer::start(&path)?;
        let (head, last_hash) = last_event(&conn, &path)?;
        let next_stream_id = next_stream_id(&conn).map_err(|e| not_a_log(&path, e))?;
        let (head_tx, _) = watch::channel(head);
        let syncer = if durability == Durability::EveryCommit {
            // Set up (and synced) with `synchronous=FULL`; from here the syncer makes
            // each commit durable beside the writer.
            conn.execute_batch("PRAGMA synchronous = NORMAL;")
                .map_err(|e| not_a_log(&path, e))?;
            Some(syncer::Syncer::start(&path, head_tx.clone())?)
        } else {
            None
        };
        let deferred = durability == Durability::Deferred;
        let writer = Writer {
            open: None,
            failed: None,
            path: path.clone(),
            conn,
            places: Places::new(head, next_stream_id, !deferred),
            last_hash,
            head_tx: head_tx.clone(),
            checkpointer,
            inserts: Inserts::new(),
            syncer,
        };
        let spawn_error = |e: std::io::Error| LogError::Storage {
            path: path.clone(),
            detail: e.to_string(),
        };
        let (tx, deferred, thread) = if deferred {
            let (deferred, thread) = deferred::Deferred::start(writer).map_err(spawn_error)?;
            (None, Some(deferred), thread)
        } else {
            let (tx, rx) = std::sync::mpsc::channel();
            let thread = std::thread::Builder::new()
                .name("hotline-log-writer".into())
                .spawn(move || writer.run(rx))
                .map_err(spawn_error)?;
            (Some(tx), None, thread)
        };
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: tx,
                deferred,
                readers: Mutex::new(Vec::new()),
                head: head_tx,
                writer_thread: Mutex::new(Some(thread)),
                lock: Mutex::new(Some(lock)),
            }),
        })
    }

    /// Opens an existing log for reading only, beside a process that may be writing it.
    /// Creates nothing; a missing log is [`LogError::Missing`].
    pub fn open_read_only(data_dir: &Path) -> Result<Self, LogError> {
        let path = Self::file_in(data_dir);
        if !path.is_file() {
            return Err(LogError::Missing { path });
        }
        let reader = Reader::open(&path)?;
        check_header(&reader.conn, &path)?;
        let (head, _) = last_event(&reader.conn, &path)?;
        let (head_tx, _) = watch::channel(head);
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: None,
                deferred: None,
                readers: Mutex::new(vec![reader]),
                head: head_tx,
                writer_thread: Mutex::new(None),
                lock: Mutex::new(None),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// With deferred commits, waits until the writer has committed every append answered
    /// so far, so that a reader's connection sees them; otherwise nothing to do.
    async fn flush(&self) -> Result<(), LogError> {
        let Some(deferred) = &self.inner.deferred else {
            return Ok(());
        };
        let mut committed = self.inner.head.subscribe();
        let target = deferred.flush(&self.inner.path)?;
        // The writer publishes each commit's head, and wakes this up if it fails.
        let _ = committed
            .wait_for(|&head| head >= target || deferred.failed())
            .await;
        deferred.check(&self.inner.path)
    }

    /// The head this process's readers may see when it writes the log through the writer
    /// thread: commits past it are not synced yet (see `syncer`). `None` otherwise (a
    /// read-only log sees what the writing process committed).
    fn durable_head(&self) -> Option<u64> {
        self.inner
            .writer
            .as_ref()
            .map(|_| *self.inner.head.borrow())
    }

    /// Up to `max` events from `from_position`, read by `page` (as [`read_all`] or
    /// [`read_decoded`]), never past the synced head.
    async fn read_pages<T: Send + 'static>(
        &self,
        from_position: u64,
        max: usize,
        page: Page<T>,
    ) -> Result<Vec<T>, LogError> {
        self.flush().await?;
        // Positions start at 1: a page from 0 is the page from 1 (the halves below count on it).
        let from_position = from_position.max(1);
        let max = match self.durable_head() {
            Some(head) if from_position > head => return Ok(Vec::new()),
            Some(head) => max.min(usize::try_from(head - from_position + 1).unwrap_or(max)),
            None => max,
        };
        if max < 2 * SPLIT_READ_AT_LEAST {
            return self
                .with_reader(move |reader, path| page(reader, path, from_position, max, max))
                .await;
        }
        // A long page is read as two halves on two connections at once: decoding rows is
        // CPU-bound, and positions have no gaps, so the second half starts exactly
        // `first` positions on.
        let first = max / 2;
        let second_from = from_position.saturating_add(first as u64);
        let (front, back) = tokio::join!(
            // The front half's vector holds the back half too: no second move of the rows.
            self.with_reader(move |reader, path| page(reader, path, from_position, first, max)),
            self.with_reader(move |reader, path| {
                page(reader, path, second_from, max - first, max - first)
            }),
        );
        let mut front = front?;
        // A short first half ends at the head it saw; a commit that landed meanwhile may
        // show in the second half, which would leave a hole: the caller reads it next time.
        if front.len() == first {
            front.extend(back?);
        }
        Ok(front)
    }

    async fn with_reader<T, F>(&self, f: F) -> Result<T, LogError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Reader, &Path) -> Result<T, LogError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().ok().and_then(|mut pool| pool.pop());
            let mut reader = match pooled {
                Some(reader) => reader,
                None => Reader::open(&inner.path)?,
            };
            let result = f(&mut reader, &inner.path);
            if let Ok(mut pool) = inner.readers.lock() {
                pool.push(reader);
            }
            result
        })
        .await
        .map_err(|e| LogError::Storage {
            path: self.inner.path.clone(),
            detail: format!("reader failed: {e}"),
        })?
    }
}

#[async_trait]
impl EventLog for SqliteLog {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError> {
        if self.inner.writer.is_none() && self.inner.deferred.is_none() {
            return Err(LogError::ReadOnly);
        }
        if events.is_empty() {
            return Err(LogError::EmptyBatch(stream.clone()));
        }
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            e.event.check_stream(stream.category())?;
            let (event_type, schema, data) = match e.event {
                // An opaque event's stored form is its own fields: moved, not copied.
                Event::Opaque(o) => (o.event_type, o.schema, o.data),
                event => {
                    let enc = event.encode()?;
                    (enc.event_type, enc.schema, enc.data)
                }
            };
            rows.push(Row {
                event_type,
                schema,
                data,
                occurred_at: e.occurred_at,
                event_id: e.event_id,
                correlation_id: e.correlation_id,
                causation_id: e.causation_id,
            });
        }
        if let Some(deferred) = &self.inner.deferred {
            return deferred.append(&self.inner.path, stream, expected, rows);
        }
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            batch: Batch {
                stream: stream.clone(),
                expected,
                rows,
            },
            reply,
        };
        let writer = self.inner.writer.as_ref().ok_or(LogError::ReadOnly)?;
        writer
            .send(Request::Append(pending))
            .map_err(|_| LogError::Closed)?;
        let Answer { result, batch } = answer.await.map_err(|_| LogError::Closed)?;
        drop(batch);
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError> {
        if let Some(deferred) = &self.inner.deferred {
            // Every call reads its new stream once as it starts: answered from memory.
            if !deferred.has_events(&self.inner.path, stream)? {
                return Ok(Vec::new());
            }
            self.flush().await?;
        }
        let stream = stream.clone();
        let mut events = self
            .with_reader(move |reader, path| read_stream(&reader.conn, path, &stream, from_version))
            .await?;
        if let Some(head) = self.durable_head() {
            // Commits past the head are not synced yet: the newest events, if any.
            let synced = events.partition_point(|e| e.position <= head);
            events.truncate(synced);
        }
        Ok(events)
    }

    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError> {
        self.read_pages(from_position, max, read_all).await
    }

    async fn read_decoded(&self, from_position: u64, max: usize) -> Result<Vec<Decoded>, LogError> {
        self.read_pages(from_position, max, read_decoded).await
    }

    async fn head(&self) -> Result<u64, LogError> {
        if self.inner.writer.is_some() || self.inner.deferred.is_some() {
            self.flush().await?;
            return Ok(*self.inner.head.borrow());
        }
        self.with_reader(|reader, path| last_event(&reader.conn, path).map(|(head, _)| head))
            .await
    }

    fn subscribe(&self, from_position: u64) -> Subscription {
        // Appends by this process wake the feed at once; another process's are polled for.
        let poll = if self.inner.writer.is_some() || self.inner.deferred.is_some() {
            Duration::from_secs(1)
        } else {
            Duration::from_millis(200)
        };
        Subscription::follow(
            self.clone(),
            from_position,
            self.inner.head.subscribe(),
            poll,
        )
    }

    async fn close(&self) -> Result<(), LogError> {
        if let Some(deferred) = &self.inner.deferred {
            // The writer thread writes and commits what it was given, then ends.
            deferred.close();
        } else if let Some(writer) = &self.inner.writer {
            let (done, wait) = oneshot::channel();
            if writer.send(Request::Close(done)).is_ok() {
                let _ = wait.await;
            }
        } else {
            return Ok(());
        }
        let thread = self
            .inner
            .writer_thread
            .lock()
            .ok()
            .and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        if let Ok(mut lock) = self.inner.lock.lock() {
            lock.take();
        }
        Ok(())
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path)
            .field("head", &self.places.head)
            .finish_non_exhaustive()
    }
}

/// The single writer: owns the write connection and the chain's last hash.
struct Writer {
    path: PathBuf,
    conn: Connection,
    /// Where the log ends. With deferred commits the appenders place their events
    /// themselves (see `deferred`), and only the head here is kept: what was written.
    places: Places,
    last_hash: Hash,
    head_tx: watch::Sender<u64>,
    checkpointer: Checkpointer,
    inserts: Inserts,
    /// [`Durability::Deferred`]: since when a transaction is open, and how many events it holds.
    open: Option<(Instant, usize)>,
    /// Why a deferred write or commit failed: the log takes nothing more.
    failed: Option<String>,
    /// [`Durability::EveryCommit`]: syncs each commit and then answers its appends.
    syncer: Option<syncer::Syncer>,
}

/// Where the log ends, as its writer knows it: the head and the streams it has met.
/// Placing an append (checking its expected version, numbering its events) needs nothing
/// else, but a look-up in the file for a stream not met yet.
#[derive(Debug)]
struct Places {
    head: u64,
    streams: HashMap<String, StreamState>,
    /// True when `streams` knows every stream (the log was empty when opened), so a
    /// stream missing from it is new and needs no look-up.
    complete: bool,
    next_stream_id: i64,
    /// Forgets the streams past [`MAX_CACHED_STREAMS`]: every log but a deferred one.
    bounded: bool,
}

/// A stream's row in `streams`, as the writer last wrote it.
#[derive(Debug, Clone, Copy)]
struct StreamState {
    id: i64,
    version: u64,
    /// The position of its last event.
    last: u64,
}

/// Where an accepted append's events go.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// The stream's id in `streams`.
    id: i64,
    /// The position of the stream's event before the append's first (0: none).
    before: u64,
    appended: Appended,
}

/// An accepted append, as the writer writes it.
struct Slot<'a> {
    stream: &'a str,
    rows: &'a [Row],
    place: Place,
}

impl Places {
    fn new(head: u64, next_stream_id: i64, bounded: bool) -> Self {
        Self {
            head,
            streams: HashMap::new(),
            complete: head == 0,
            next_stream_id,
            bounded,
        }
    }

    /// Checks `expected` against `stream` and places `events` events after the head; a
    /// version conflict is `Ok(Err(_))` and places nothing. `file` looks up a stream not
    /// met yet (unused once `complete`).
    fn place(
        &mut self,
        file: Option<&Connection>,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: usize,
    ) -> Result<Result<Place, LogError>, rusqlite::Error> {
        // Most streams remembered are ones that ended (a call's, an IVR walk's): they are in
        // the file. A deferred log belongs to a run that ends (a simulation): it keeps them
        // all, as forgetting would cost each new stream a look-up in the file.
        if self.bounded && self.streams.len() >= MAX_CACHED_STREAMS {
            self.streams.clear();
            self.complete = false;
        }
        let known = self.known(file, stream.as_str())?;
        let current = known.map_or(0, |s| s.version);
        if let ExpectedVersion::Exact(v) = expected
            && v != current
        {
            return Ok(Err(LogError::Conflict {
                stream: stream.clone(),
                expected: v,
                actual: current,
            }));
        }
        let mut state = known.unwrap_or_else(|| {
            self.next_stream_id += 1;
            StreamState {
                id: self.next_stream_id - 1,
                version: 0,
                last: 0,
            }
        });
        let before = state.last;
        let first_position = self.head + 1;
        self.head += events as u64;
        state.version += events as u64;
        state.last = self.head;
        match self.streams.get_mut(stream.as_str()) {
            Some(known) => *known = state,
            None => {
                self.streams.insert(stream.as_str().to_owned(), state);
            }
        }
        Ok(Ok(Place {
            id: state.id,
            before,
            appended: Appended {
                first_position,
                last_position: self.head,
                version: state.version,
            },
        }))
    }

    /// What is known of `stream`, from the file the first time; `None` for a new stream.
    fn known(
        &mut self,
        file: Option<&Connection>,
        stream: &str,
    ) -> Result<Option<StreamState>, rusqlite::Error> {
        if let Some(state) = self.streams.get(stream) {
            return Ok(Some(*state));
        }
        let Some(conn) = file.filter(|_| !self.complete) else {
            return Ok(None);
        };
        let found = conn
            .prepare_cached(FIND_STREAM)?
            .query_row([stream], |r| {
                Ok(StreamState {
                    id: r.get(0)?,
                    version: from_sql(r.get(1)?),
                    last: from_sql(r.get(2)?),
                })
            })
            .optional()?;
        if let Some(state) = found {
            self.streams.insert(stream.to_owned(), state);
        }
        Ok(found)
    }
}

impl Writer {
    /// The writer thread's loop (every mode but [`Durability::Deferred`]: see `deferred`).
    fn run(mut self, rx: std::sync::mpsc::Receiver<Request>) {
        let mut closing = None;
        while closing.is_none() {
            let Ok(first) = rx.recv() else { break };
            let mut group = Vec::new();
            let mut events = 0;
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Append(pending) => {
                        events += pending.batch.rows.len();
                        group.push(pending);
                    }
                    // Answered after the appends sent before it.
                    Request::Close(done) => {
                        closing = Some(done);
                        break;
                    }
                }
                if events < MAX_GROUP_EVENTS {
                    next = rx.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.commit_group(group);
            }
            self.finish_checkpoint();
        }
        self.shut_down();
        if let Some(done) = closing {
            let _ = done.send(());
        }
    }

    /// Finishes a checkpoint the checkpointer asked for. It cannot finish inside a write
    /// transaction: only between two.
    fn finish_checkpoint(&mut self) {
        if self.open.is_none() && self.checkpointer.flags.finish.swap(false, Ordering::AcqRel) {
            // What the checkpointer left is small now: copying it here lets the next
            // transaction start the WAL over.
            if let Err(e) = checkpoint(&self.conn) {
                tracing::warn!(path = %self.path.display(), error = %e, "checkpoint failed; the WAL grows until one succeeds");
            }
        }
    }

    /// Commits what is open and leaves the log one self-contained file at rest.
    fn shut_down(mut self) {
        if let Some(mut syncer) = self.syncer.take() {
            syncer.stop();
        }
        if let Err(e) = self.commit_open() {
            tracing::error!(path = %self.path.display(), error = %e, "the last deferred commit failed");
        }
        self.checkpointer.stop();
        // Fold the WAL into the main file so the log is one self-contained file at rest.
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// Commits the open deferred transaction, if any, and publishes the head; a failure
    /// fails the log for good.
    fn commit_open(&mut self) -> Result<(), LogError> {
        if let Some(why) = &self.failed {
            return Err(deferred::failure(&self.path, why));
        }
        if self.open.is_none() {
            return Ok(());
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                self.open = None;
                self.checkpointer.committed();
                self.head_tx.send_replace(self.places.head);
                Ok(())
            }
            Err(e) => {
                self.fail(&e);
                Err(deferred::failure(&self.path, &e.to_string()))
            }
        }
    }

    /// A deferred write or commit failed: what is open is rolled back, and with it appends
    /// already answered, so the log takes nothing more.
    fn fail(&mut self, e: &rusqlite::Error) {
        let _ = self.conn.execute_batch("ROLLBACK");
        self.open = None;
        tracing::error!(path = %self.path.display(), error = %e, "a deferred write failed; the log takes nothing more");
        self.failed = Some(e.to_string());
    }

    /// Writes appends placed by their appenders (deferred commits) into the open
    /// transaction, opening one if needed.
    fn write_placed(&mut self, slots: &[Slot<'_>]) -> Result<(), rusqlite::Error> {
        let Some(last) = slots.last() else {
            return Ok(());
        };
        if self.open.is_none() {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        let (_, held) = self.open.get_or_insert((Instant::now(), 0));
        *held += slots.iter().map(|s| s.rows.len()).sum::<usize>();
        self.write_slots(slots)?;
        self.places.head = last.place.appended.last_position;
        Ok(())
    }

    /// Whether the open deferred transaction is due for its commit by its size or age.
    fn commit_due(&self) -> bool {
        self.open.is_some_and(|(since, held)| {
            held >= DEFER_MAX_EVENTS || since.elapsed() >= DEFER_MAX_AGE
        })
    }

    fn commit_group(&mut self, group: Vec<Pending>) {
        if let Some(why) = self.syncer.as_ref().and_then(|s| s.failure()) {
            for Pending { batch, reply } in group {
                let _ = reply.send(Answer {
                    result: Err(LogError::Storage {
                        path: self.path.clone(),
                        detail: why.to_owned(),
                    }),
                    batch,
                });
            }
            return;
        }
        let start = (self.places.head, self.last_hash, self.places.next_stream_id);
        let mut group = group.into_iter();
        let mut accepted: Vec<(Pending, Place)> = Vec::with_capacity(group.len());
        let mut failed = None;
        let result = self.write_group(&mut group, &mut accepted, &mut failed);
        match result {
            Ok(()) => {
                self.checkpointer.committed();
                let answers = accepted
                    .into_iter()
                    .map(|(Pending { batch, reply }, place)| {
                        let answer = Answer {
                            result: Ok(place.appended),
                            batch,
                        };
                        (reply, answer)
                    });
                match &self.syncer {
                    Some(syncer) => syncer.committed(syncer::Committed {
                        head: self.places.head,
                        answers: answers.collect(),
                    }),
                    None => {
                        self.head_tx.send_replace(self.places.head);
                        for (reply, answer) in answers {
                            let _ = reply.send(answer);
                        }
                    }
                }
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                (self.places.head, self.last_hash, self.places.next_stream_id) = start;
                // What the group changed is forgotten; the file says what is committed.
                self.places.streams.clear();
                self.places.complete = false;
                tracing::error!(path = %self.path.display(), error = %e, "group commit failed; its appends were rejected");
                let written = accepted.into_iter().map(|(pending, _)| pending);
                for Pending { batch, reply } in written.chain(failed).chain(group) {
                    let _ = reply.send(Answer {
                        result: Err(LogError::Storage {
                            path: self.path.clone(),
                            detail: e.to_string(),
                        }),
                        batch,
                    });
                }
            }
        }
    }

    /// Writes the requests of `group` in one transaction, moving each to `accepted` or
    /// answering it at once with a version conflict; on an error, the request being looked
    /// at is left in `failed` and the rest in `group`.
    ///
    /// First every request is checked and placed, then all rows are hashed and written in
    /// as few statements as [`CHUNKS`] allows.
    fn write_group(
        &mut self,
        group: &mut std::vec::IntoIter<Pending>,
        accepted: &mut Vec<(Pending, Place)>,
        failed: &mut Option<Pending>,
    ) -> Result<(), rusqlite::Error> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        for pending in group {
            let Batch {
                stream,
                expected,
                rows,
            } = &pending.batch;
            match self
                .places
                .place(Some(&self.conn), stream, *expected, rows.len())
            {
                Ok(Ok(place)) => accepted.push((pending, place)),
                Ok(Err(conflict)) => {
                    let Pending { batch, reply } = pending;
                    let _ = reply.send(Answer {
                        result: Err(conflict),
                        batch,
                    });
                }
                Err(e) => {
                    *failed = Some(pending);
                    return Err(e);
                }
            }
        }
        let slots: Vec<Slot<'_>> = accepted
            .iter()
            .map(|(pending, place)| Slot {
                stream: pending.batch.stream.as_str(),
                rows: &pending.batch.rows,
                place: *place,
            })
            .collect();
        self.write_slots(&slots)?;
        self.conn.execute_batch("COMMIT")
    }

    /// Hashes the rows of `slots` onto the chain and inserts them and their streams' rows.
    fn write_slots(&mut self, slots: &[Slot<'_>]) -> Result<(), rusqlite::Error> {
        let mut chains: Vec<[u8; 64]> = Vec::with_capacity(slots.len());
        for slot in slots {
            let appended = slot.place.appended;
            let first_version = appended.version + 1 - slot.rows.len() as u64;
            for (k, row) in slot.rows.iter().enumerate() {
                let chained = Chained {
                    position: appended.first_position + k as u64,
                    stream: slot.stream,
                    version: first_version + k as u64,
                    event_type: &row.event_type,
                    schema: row.schema,
                    occurred_at: row.occurred_at,
                    event_id: row.event_id,
                    correlation_id: row.correlation_id,
                    causation_id: row.causation_id,
                    data: &row.data,
                };
                let hash = chained.hash(&self.last_hash);
                let mut chain = [0; 64];
                chain[..32].copy_from_slice(&self.last_hash.0);
                chain[32..].copy_from_slice(&hash.0);
                chains.push(chain);
                self.last_hash = hash;
            }
        }
        self.write_events(slots, &chains)?;
        self.write_streams(slots)
    }

    fn write_events(&self, slots: &[Slot<'_>], chains: &[[u8; 64]]) -> Result<(), rusqlite::Error> {
        let mut events = slots
            .iter()
            .flat_map(|slot| {
                let Place {
                    id,
                    before,
                    appended,
                } = slot.place;
                let first_version = appended.version + 1 - slot.rows.len() as u64;
                slot.rows.iter().enumerate().map(move |(k, row)| {
                    let k = k as u64;
                    let previous = if k == 0 {
                        before
                    } else {
                        appended.first_position + k - 1
                    };
                    (
                        appended.first_position + k,
                        id,
                        first_version + k,
                        previous,
                        row,
                    )
                })
            })
            .zip(chains);
        let mut left = chains.len();
        while left > 0 {
            let size = CHUNKS
                .iter()
                .position(|&n| n <= left)
                .unwrap_or(CHUNKS.len() - 1);
            let mut stmt = self.conn.prepare_cached(&self.inserts.events[size])?;
            let mut at = 1;
            for ((position, id, version, previous, row), chain) in
                events.by_ref().take(CHUNKS[size])
            {
                let ids = Ids::encode(row.event_id, row.correlation_id, row.causation_id);
                stmt.raw_bind_parameter(at, to_sql(position))?;
                stmt.raw_bind_parameter(at + 1, id)?;
                stmt.raw_bind_parameter(at + 2, to_sql(version))?;
                stmt.raw_bind_parameter(at + 3, (previous != 0).then_some(to_sql(previous)))?;
                stmt.raw_bind_parameter(at + 4, &row.event_type)?;
                stmt.raw_bind_parameter(at + 5, row.schema)?;
                stmt.raw_bind_parameter(at + 6, row.occurred_at.as_millis())?;
                stmt.raw_bind_parameter(at + 7, ids.as_slice())?;
                stmt.raw_bind_parameter(at + 8, &row.data)?;
                stmt.raw_bind_parameter(at + 9, chain.as_slice())?;
                at += 10;
            }
            stmt.raw_execute()?;
            left -= CHUNKS[size];
        }
        Ok(())
    }

    /// Writes each touched stream's row as the group leaves it.
    fn write_streams(&self, slots: &[Slot<'_>]) -> Result<(), rusqlite::Error> {
        let mut rows = slots.iter();
        let mut left = slots.len();
        while left > 0 {
            let size = CHUNKS
                .iter()
                .position(|&n| n <= left)
                .unwrap_or(CHUNKS.len() - 1);
            let mut stmt = self.conn.prepare_cached(&self.inserts.streams[size])?;
            let mut at = 1;
            for slot in rows.by_ref().take(CHUNKS[size]) {
                stmt.raw_bind_parameter(at, slot.place.id)?;
                stmt.raw_bind_parameter(at + 1, slot.stream)?;
                stmt.raw_bind_parameter(at + 2, to_sql(slot.place.appended.version))?;
                stmt.raw_bind_parameter(at + 3, to_sql(slot.place.appended.last_position))?;
                at += 4;
            }
            stmt.raw_execute()?;
            left -= CHUNKS[size];
        }
        Ok(())
    }
}

fn next_stream_id(conn: &Connection) -> Result<i64, rusqlite::Error> {
    let max: Option<i64> = conn.query_row("SELECT MAX(id) FROM streams", [], |r| r.get(0))?;
    Ok(max.unwrap_or(0) + 1)
}

/// Copies the WAL into the database file on its own thread and connection, so that the
/// writer's commits never wait for it. SQLite's automatic checkpoint runs inside the commit
/// that crosses 1000 WAL pages: it copies them and syncs the database file, and every
/// appender of that group (and of the groups queued behind it) waits the several
/// milliseconds that takes. Here the copying is done beside the writer; only the WAL's
/// restart needs the writer, because SQLite starts the WAL over only when a write
/// transaction begins with every frame copied. So once the WAL is long and the checkpointer
/// has caught up to within a few frames, it asks the writer to copy that small rest between
/// two groups.
struct Checkpointer {
    flags: Arc<CheckpointFlags>,
    /// Wakes the checkpointer; dropped to stop it.
    nudge: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct CheckpointFlags {
    /// Set when the writer should finish a checkpoint between two groups.
    finish: AtomicBool,
    /// Set while the checkpointer sleeps until the next commit.
    idle: AtomicBool,
}

impl Checkpointer {
    /// How often the WAL is copied while it is short.
    const INTERVAL: Duration = Duration::from_millis(10);
    /// A WAL this long is started over.
    const RESTART_BYTES: i64 = 16 << 20;
    /// The writer finishes once less than this came in during the last pass.
    const FINISH_BYTES: i64 = 1 << 20;

    fn start(path: &Path) -> Result<Self, LogError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_a_log(path, e))?;
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| not_a_log(path, e))?;
        let page_size = page_size.max(512);
        let flags = Arc::new(CheckpointFlags::default());
        let (nudge, nudged) = std::sync::mpsc::channel();
        let shared = flags.clone();
        let file = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("hotline-log-checkpoint".into())
            .spawn(move || Self::run(&conn, &file, page_size, &shared, &nudged))
            .map_err(|e| LogError::Storage {
                path: path.to_owned(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            flags,
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Called after each commit.
    fn committed(&self) {
        if self.flags.idle.swap(false, Ordering::AcqRel)
            && let Some(nudge) = &self.nudge
        {
            let _ = nudge.send(());
        }
    }

    fn run(
        conn: &Connection,
        path: &Path,
        page_size: i64,
        flags: &CheckpointFlags,
        nudged: &std::sync::mpsc::Receiver<()>,
    ) {
        use std::sync::mpsc::RecvTimeoutError;
        let mut last = 0;
        let mut wait = Some(Self::INTERVAL);
        loop {
            let woken = match wait {
                Some(wait) => nudged.recv_timeout(wait),
                None => nudged.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            if let Err(RecvTimeoutError::Disconnected) = woken {
                return;
            }
            let pages = match checkpoint(conn) {
                Ok(pages) => pages,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "checkpoint failed; the WAL grows until one succeeds");
                    0
                }
            };
            wait = Some(Self::INTERVAL);
            if pages * page_size >= Self::RESTART_BYTES {
                if (pages - last) * page_size < Self::FINISH_BYTES {
                    flags.finish.store(true, Ordering::Release);
                } else {
                    // Catch up pass after pass until what comes in during one is small.
                    wait = Some(Duration::ZERO);
                }
            } else if pages == last {
                // Nothing was committed since the last pass: sleep until something is.
                flags.idle.store(true, Ordering::Release);
                wait = None;
            }
            last = pages;
        }
    }

    fn stop(&mut self) {
        self.nudge.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A passive checkpoint (copies what it can without waiting for anyone); returns the
/// length of the WAL in pages.
fn checkpoint(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

fn to_sql(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_sql(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn not_a_log(path: &Path, e: rusqlite::Error) -> LogError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
            ) =>
        {
            LogError::NotALog {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::PermissionDenied
                    | rusqlite::ErrorCode::ReadOnly
            ) =>
        {
            LogError::DataDir {
                path: path.parent().unwrap_or(path).to_owned(),
                reason: std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string()),
            }
        }
        _ => LogError::Storage {
            path: path.to_owned(),
            detail: e.to_string(),
        },
    }
}

fn open_reader(path: &Path) -> Result<Connection, LogError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_a_log(path, e))?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| not_a_log(path, e))?;
    // Scans (replays, catch-ups) read the file front to back: mapped pages are read in
    // place instead of copied through the kernel into SQLite's cache first. The WAL is
    // not mapped, so a reader still sees only committed transactions.
    conn.execute_batch(&format!("PRAGMA mmap_size = {READ_MMAP};"))
        .map_err(|e| not_a_log(path, e))?;
    Ok(conn)
}

/// Checks that the file is a Hotline log this build can read; says which it is.
fn check_header(conn: &Connection, path: &Path) -> Result<bool, LogError> {
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_a_log(path, e))?;
    let format: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| not_a_log(path, e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| not_a_log(path, e))?;
    if app == 0 && format == 0 && tables == 0 {
        return Ok(false); // a new, empty file
    }
    if app != APPLICATION_ID {
        return Err(LogError::NotALog {
            path: path.to_owned(),
            detail: "it is a SQLite database of another application".into(),
        });
    }
    if format > FORMAT {
        return Err(LogError::NewerFormat {
            path: path.to_owned(),
            found: format,
            supported: FORMAT,
        });
    }
    // Format 1 was redefined before any release; a file of its first layout has no
    // `streams` and cannot be read by this build.
    let layout: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('events', 'streams')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| not_a_log(path, e))?;
    if layout != 2 {
        return Err(LogError::NotALog {
            path: path.to_owned(),
            detail: "its tables are not those of a Hotline log".into(),
        });
    }
    Ok(true)
}

fn prepare_for_writing(
    conn: &Connection,
    path: &Path,
    durability: Durability,
) -> Result<(), LogError> {
    let storage = |e: rusqlite::Error| not_a_log(path, e);
    conn.busy_timeout(Duration::from_secs(5)).map_err(storage)?;
    let existing = check_header(conn, path)?;
    if !existing {
        // Only possible before the first write, which turning WAL on is.
        conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))
            .map_err(storage)?;
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(storage)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(LogError::Storage {
            path: path.to_owned(),
            detail: format!("cannot use WAL (got {mode})"),
        });
    }
    let synchronous = match durability {
        Durability::EveryCommit => "FULL",
        Durability::Checkpoints | Durability::Deferred => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA wal_autocheckpoint = 0;"
    ))
    .map_err(storage)?;
    if !existing {
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT}; COMMIT;"
        ))
        .map_err(storage)?;
    }
    Ok(())
}

fn last_event(conn: &Connection, path: &Path) -> Result<(u64, Hash), LogError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT position, chain FROM events ORDER BY position DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| not_a_log(path, e))?;
    match row {
        None => Ok((0, Hash::ZERO)),
        Some((position, hash)) => {
            let position = from_sql(position);
            let own = hash.get(32..).and_then(Hash::from_slice);
            let hash = own.ok_or_else(|| LogError::Corrupt {
                path: path.to_owned(),
                position,
                detail: "its hashes are malformed".into(),
            })?;
            Ok((position, hash))
        }
    }
}

/// A reader of one page: up to `max` events from `from_position`, in a vector with room for
/// `capacity` (the two halves of a long page share the first half's vector).
type Page<T> = fn(&mut Reader, &Path, u64, usize, usize) -> Result<Vec<T>, LogError>;

/// A page of whole events ([`READ_ALL`]).
fn read_all(
    reader: &mut Reader,
    path: &Path,
    from_position: u64,
    max: usize,
    capacity: usize,
) -> Result<Vec<Recorded>, LogError> {
    read_range(
        reader,
        path,
        READ_ALL,
        from_position,
        max,
        capacity,
        |row, named| to_recorded(row, path, named.name.clone()),
    )
}

/// A page of decoded events ([`READ_DECODED`]), decoded from the text SQLite holds.
fn read_decoded(
    reader: &mut Reader,
    path: &Path,
    from_position: u64,
    max: usize,
    capacity: usize,
) -> Result<Vec<Decoded>, LogError> {
    read_range(
        reader,
        path,
        READ_DECODED,
        from_position,
        max,
        capacity,
        |row, named| to_decoded(row, path, named),
    )
}

/// Up to `max` rows of `query` (a range of positions, the stream's id second) from
/// `from_position`, each turned into a `T` by `event` with its stream.
fn read_range<T>(
    reader: &mut Reader,
    path: &Path,
    query: &str,
    from_position: u64,
    max: usize,
    capacity: usize,
    mut event: impl FnMut(&rusqlite::Row<'_>, &Named) -> Result<T, LogError>,
) -> Result<Vec<T>, LogError> {
    let Reader { conn, names } = reader;
    let mut stmt = conn.prepare_cached(query).map_err(|e| storage(path, e))?;
    let mut rows = stmt
        .query(params![
            to_sql(from_position),
            to_sql(from_position.saturating_add(max as u64).saturating_sub(1))
        ])
        .map_err(|e| storage(path, e))?;
    // The whole page at once (within reason): growing it moves every row read so far.
    let mut out: Vec<T> = Vec::with_capacity(capacity.min(32_768));
    // Events of one stream often come together: the previous one's stream is at hand.
    let mut current: Option<(i64, Named)> = None;
    while let Some(row) = rows.next().map_err(|e| storage(path, e))? {
        let id = row
            .get::<_, i64>(1)
            .map_err(|e| corrupt(path, position_of(row), format!("column 1: {e}")))?;
        if names.len() >= MAX_CACHED_STREAMS {
            names.clear();
        }
        let named = match current.take() {
            Some((last, named)) if last == id => named,
            _ => match names.get(&id) {
                Some(named) => named.clone(),
                None => {
                    let name = stream_name(conn, path, position_of(row), id)?;
                    let named = Named {
                        entity: name.entity(),
                        name,
                    };
                    names.insert(id, named.clone());
                    named
                }
            },
        };
        out.push(event(row, &named)?);
        current = Some((id, named));
    }
    Ok(out)
}

/// The name of the stream with `id`, which the event at `position` belongs to.
fn stream_name(
    conn: &Connection,
    path: &Path,
    position: u64,
    id: i64,
) -> Result<StreamName, LogError> {
    let name: Option<String> = conn
        .prepare_cached(STREAM_NAME)
        .and_then(|mut stmt| stmt.query_row([id], |r| r.get(0)).optional())
        .map_err(|e| corrupt(path, position, format!("its stream {id}: {e}")))?;
    let name = name.ok_or_else(|| corrupt(path, position, format!("no stream {id}")))?;
    StreamName::parse(&name).map_err(|e| corrupt(path, position, e.to_string()))
}

/// The events of `stream` from `from_version`: found from the stream's last event, each
/// leading to the one before it.
fn read_stream(
    conn: &Connection,
    path: &Path,
    stream: &StreamName,
    from_version: u64,
) -> Result<Vec<Recorded>, LogError> {
    let found: Option<(i64, i64, i64)> = conn
        .prepare_cached(FIND_STREAM)
        .and_then(|mut stmt| {
            stmt.query_row([stream.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(|e| storage(path, e))?;
    let Some((id, version, last)) = found else {
        return Ok(Vec::new());
    };
    let (version, from_version) = (from_sql(version), from_version.max(1));
    let mut out = Vec::with_capacity(
        usize::try_from(version.saturating_sub(from_version) + 1)
            .unwrap_or(0)
            .min(4096),
    );
    let mut stmt = conn
        .prepare_cached(READ_ONE)
        .map_err(|e| storage(path, e))?;
    let (mut position, mut expected) = (from_sql(last), version);
    while expected >= from_version {
        let mut rows = stmt
            .query([to_sql(position)])
            .map_err(|e| storage(path, e))?;
        let row = rows.next().map_err(|e| storage(path, e))?.ok_or_else(|| {
            corrupt(
                path,
                position,
                format!("{stream} version {expected} is missing"),
            )
        })?;
        let recorded = to_recorded(row, path, stream.clone())?;
        let in_stream = row.get::<_, i64>(1).is_ok_and(|s| s == id);
        if !in_stream || recorded.version != expected {
            return Err(corrupt(
                path,
                position,
                format!("expected {stream} version {expected} there"),
            ));
        }
        let previous: Option<i64> = row
            .get(9)
            .map_err(|e| corrupt(path, position, format!("column 9: {e}")))?;
        out.push(recorded);
        expected -= 1;
        match previous {
            Some(p) => position = from_sql(p),
            None if expected == 0 => break,
            None => {
                return Err(corrupt(
                    path,
                    position,
                    format!("{stream} version {expected} is not linked"),
                ));
            }
        }
    }
    out.reverse();
    Ok(out)
}

/// The `ids` column: flags, the event's id, its correlation and causation ids if any.
struct Ids;

impl Ids {
    const CORRELATION: u8 = 1;
    const CAUSATION: u8 = 2;

    /// The bytes, with their length.
    fn encode(
        event: MessageId,
        correlation: Option<MessageId>,
        causation: Option<MessageId>,
    ) -> IdBytes {
        let mut out = IdBytes {
            bytes: [0; 49],
            len: 17,
        };
        out.bytes[1..17].copy_from_slice(event.as_uuid().as_bytes());
        for (flag, id) in [
            (Self::CORRELATION, correlation),
            (Self::CAUSATION, causation),
        ] {
            if let Some(id) = id {
                out.bytes[0] |= flag;
                out.bytes[out.len..out.len + 16].copy_from_slice(id.as_uuid().as_bytes());
                out.len += 16;
            }
        }
        out
    }

    /// The event's id, its correlation and causation ids; `None` if malformed.
    #[allow(clippy::type_complexity)]
    fn decode(b: &[u8]) -> Option<(MessageId, Option<MessageId>, Option<MessageId>)> {
        let (&flags, mut rest) = b.split_first()?;
        if flags & !(Self::CORRELATION | Self::CAUSATION) != 0 {
            return None;
        }
        let mut take = || -> Option<MessageId> {
            let (id, tail) = rest.split_first_chunk::<16>()?;
            rest = tail;
            Some(MessageId::from_uuid(uuid::Uuid::from_bytes(*id)))
        };
        let event = take()?;
        let correlation = if flags & Self::CORRELATION != 0 {
            Some(take()?)
        } else {
            None
        };
        let causation = if flags & Self::CAUSATION != 0 {
            Some(take()?)
        } else {
            None
        };
        rest.is_empty().then_some((event, correlation, causation))
    }
}

struct IdBytes {
    bytes: [u8; 49],
    len: usize,
}

impl IdBytes {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn storage(path: &Path, e: rusqlite::Error) -> LogError {
    LogError::Storage {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

fn corrupt(path: &Path, position: u64, detail: String) -> LogError {
    LogError::Corrupt {
        path: path.to_owned(),
        position,
        detail,
    }
}

fn position_of(row: &rusqlite::Row<'_>) -> u64 {
    row.get::<_, i64>(0).map(from_sql).unwrap_or(0)
}

/// One row of [`READ_DECODED`]'s columns, of the stream `named`: the event decoded from the
/// text SQLite holds, never copied. Anything of the wrong type is [`LogError::Corrupt`]; an
/// event the decoder does not know is its opaque value, as with [`Recorded::event`].
fn to_decoded(row: &rusqlite::Row<'_>, path: &Path, named: &Named) -> Result<Decoded, LogError> {
    use rusqlite::types::ValueRef;
    let position = position_of(row);
    let corrupt = |detail: String| corrupt(path, position, detail);
    let value = |i: usize| {
        row.get_ref(i)
            .map_err(|e| corrupt(format!("column {i}: {e}")))
    };
    let text = |i: usize| -> Result<&str, LogError> {
        match value(i)? {
            ValueRef::Text(t) => {
                std::str::from_utf8(t).map_err(|e| corrupt(format!("column {i}: {e}")))
            }
            _ => Err(corrupt(format!("column {i} is not text"))),
        }
    };
    let int = |i: usize| -> Result<i64, LogError> {
        match value(i)? {
            ValueRef::Integer(v) => Ok(v),
            _ => Err(corrupt(format!("column {i} is not an integer"))),
        }
    };
    let schema = u16::try_from(int(3)?).map_err(|_| corrupt("schema out of range".into()))?;
    let occurred_at = Timestamp::from_millis(int(4)?);
    let event = Event::decode(named.name.category(), text(2)?, schema, text(5)?);
    Ok(Decoded {
        position,
        stream: named.name.clone(),
        entity: named.entity,
        occurred_at,
        event,
    })
}

/// One row of [`READ_ALL`]'s columns, of `stream`. Values are borrowed from SQLite and copied
/// once into the `Recorded`; anything of the wrong type or size is [`LogError::Corrupt`].
fn to_recorded(
    row: &rusqlite::Row<'_>,
    path: &Path,
    stream: StreamName,
) -> Result<Recorded, LogError> {
    use rusqlite::types::ValueRef;
    let position = position_of(row);
    let corrupt = |detail: String| corrupt(path, position, detail);
    let value = |i: usize| {
        row.get_ref(i)
            .map_err(|e| corrupt(format!("column {i}: {e}")))
    };
    let text = |i: usize| -> Result<String, LogError> {
        match value(i)? {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(str::to_owned)
                .map_err(|e| corrupt(format!("column {i}: {e}"))),
            _ => Err(corrupt(format!("column {i} is not text"))),
        }
    };
    let int = |i: usize| -> Result<i64, LogError> {
        match value(i)? {
            ValueRef::Integer(v) => Ok(v),
            _ => Err(corrupt(format!("column {i} is not an integer"))),
        }
    };
    let blob = |i: usize| -> Result<&[u8], LogError> {
        match value(i)? {
            ValueRef::Blob(b) => Ok(b),
            _ => Err(corrupt(format!("column {i} is not a blob"))),
        }
    };
    let (event_id, correlation_id, causation_id) =
        Ids::decode(blob(6)?).ok_or_else(|| corrupt("its ids are malformed".into()))?;
    let chain = blob(8)?;
    let (prev_hash, hash) = match (chain.get(..32), chain.get(32..)) {
        (Some(prev), Some(own)) => (Hash::from_slice(prev), Hash::from_slice(own)),
        _ => (None, None),
    };
    let (Some(prev_hash), Some(hash)) = (prev_hash, hash) else {
        return Err(corrupt("its hashes are malformed".into()));
    };
    Ok(Recorded {
        position,
        stream,
        version: from_sql(int(2)?),
        event_type: text(3)?,
        schema: u16::try_from(int(4)?).map_err(|_| corrupt("schema out of range".into()))?,
        occurred_at: Timestamp::from_millis(int(5)?),
        event_id,
        correlation_id,
        causation_id,
        data: text(7)?,
        prev_hash,
        hash,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hotline_events::{OpaqueEvent, Unreadable};

    fn stream(name: &str) -> StreamName {
        StreamName::parse(&format!("probe-{name}")).unwrap()
    }

    pub(super) fn probe(data: &str) -> NewEvent {
        let event = Event::Opaque(OpaqueEvent {
            event_type: "probe".into(),
            schema: 1,
            data: format!("{{{data}}}"),
            why: Unreadable::UnknownCategory,
        });
        NewEvent::new(event, Timestamp::from_millis(1_795_339_800_000))
    }

    /// Past [`MAX_CACHED_STREAMS`] (64 in tests) the writer of a synced log and the readers
    /// forget what they knew of streams: versions, conflicts, new streams and names still
    /// come out right, from the file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn streams_past_the_remembered_ones_are_found_in_the_file() {
        for durability in [Durability::EveryCommit, Durability::Deferred] {
            let dir = tempfile::tempdir().unwrap();
            let log = SqliteLog::open_with(dir.path(), durability).unwrap();
            let name = |n: usize| stream(&format!("s{n}"));
            for round in 0..2u64 {
                for n in 0..200 {
                    log.append(
                        &name(n),
                        ExpectedVersion::Exact(round),
                        vec![probe(r#""n":1"#)],
                    )
                    .await
                    .unwrap();
                }
            }
            let conflict = log
                .append(&name(5), ExpectedVersion::Exact(0), vec![probe(r#""n":2"#)])
                .await;
            assert!(
                matches!(conflict, Err(LogError::Conflict { actual: 2, .. })),
                "{conflict:?}"
            );
            let fresh = log
                .append(
                    &stream("fresh"),
                    ExpectedVersion::Exact(0),
                    vec![probe(r#""n":3"#)],
                )
                .await
                .unwrap();
            assert_eq!((fresh.first_position, fresh.version), (401, 1));
            let again = log
                .append(&name(0), ExpectedVersion::Exact(2), vec![probe(r#""n":4"#)])
                .await
                .unwrap();
            assert_eq!((again.first_position, again.version), (402, 3));
            let all = log.read_all(1, 1_000).await.unwrap();
            let names: Vec<String> = all.iter().map(|r| r.stream.to_string()).collect();
            let expected: Vec<String> = (0..2)
                .flat_map(|_| (0..200).map(|n| name(n).to_string()))
                .chain(["probe-fresh".to_owned(), "probe-s0".to_owned()])
                .collect();
            assert_eq!(names, expected);
            assert_eq!(log.read_stream(&name(0), 1).await.unwrap().len(), 3);
            assert_eq!(log.verify().await.unwrap().first_break, None);
            log.close().await.unwrap();
        }
    }
}
