//! Makes the writer's commits durable on a thread beside it.
//!
//! With `synchronous=FULL` the writer thread synced the WAL inside each commit and could do
//! nothing else meanwhile: at 256 appenders it spent about 40 % of its time waiting for
//! the disk, while the appenders of the next group waited for it. Now the writer commits
//! without a sync (`synchronous=NORMAL`), hands the group's answers here and goes on with
//! the next group; this thread syncs the WAL (`fdatasync`), which covers every commit made
//! before the call, then publishes the new head and answers. So an append still returns
//! only once its events are on the disk, and the log's readers in this process see only
//! what is ([`SqliteLog`](super::SqliteLog) clamps its reads to the published head).
//!
//! SQLite still keeps the file consistent by itself: in WAL mode with `synchronous=NORMAL`
//! a power cut can only lose the latest commits, whole, never damage the file, and a
//! checkpoint syncs the WAL before copying it. What this thread adds is the durability of
//! each answered append. If a sync fails, nothing said about the pages it covered can be
//! trusted (the kernel may have dropped them), so the log fails for good: the waiting
//! appends and every later one get the error, and the head stops where it was.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use super::{Answer, LogError};

/// A committed group: the head after it, and the answers that wait for its sync.
pub(super) struct Committed {
    pub head: u64,
    pub answers: Vec<(oneshot::Sender<Answer>, Answer)>,
}

pub(super) struct Syncer {
    tx: Option<mpsc::Sender<Committed>>,
    thread: Option<JoinHandle<()>>,
    /// Why a sync failed, once one has.
    failed: Arc<OnceLock<String>>,
}

impl Syncer {
    /// Starts the thread that syncs the WAL of the log at `path` and publishes heads on
    /// `head`.
    pub fn start(path: &Path, head: watch::Sender<u64>) -> Result<Self, LogError> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
        let failed = Arc::new(OnceLock::new());
        let (tx, rx) = mpsc::channel();
        let shared = failed.clone();
        let thread = std::thread::Builder::new()
            .name("hotline-log-sync".into())
            .spawn(move || run(&wal, &dir, &head, &rx, &shared))
            .map_err(|e| LogError::Storage {
                path: path.to_owned(),
                detail: format!("cannot start the log's sync thread: {e}"),
            })?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
            failed,
        })
    }

    /// Why the log failed, if a sync did.
    pub fn failure(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// Queues a committed group's answers until the WAL is synced.
    pub fn committed(&self, group: Committed) {
        if let Some(tx) = &self.tx {
            // The thread ends only once `tx` is dropped, so the send cannot fail.
            let _ = tx.send(group);
        }
    }

    /// Syncs and answers everything queued, then ends the thread.
    pub fn stop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    wal: &Path,
    dir: &Path,
    head: &watch::Sender<u64>,
    rx: &mpsc::Receiver<Committed>,
    failed: &OnceLock<String>,
) {
    let mut file: Option<File> = None;
    while let Ok(first) = rx.recv() {
        // One sync covers every commit queued so far.
        let mut groups = vec![first];
        groups.extend(rx.try_iter());
        let synced = match failed.get() {
            Some(why) => Err(why.clone()),
            None => sync(&mut file, wal, dir).map_err(|e| {
                let why = format!(
                    "syncing {} to the disk failed ({e}); appends since the last sync may be lost and the log takes nothing more: check the disk, then reopen the log",
                    wal.display()
                );
                tracing::error!(wal = %wal.display(), error = %e, "syncing the log failed; the log takes nothing more");
                failed.get_or_init(|| why).clone()
            }),
        };
        match synced {
            Ok(()) => {
                if let Some(last) = groups.last() {
                    head.send_replace(last.head);
                }
                for group in groups {
                    for (reply, answer) in group.answers {
                        let _ = reply.send(answer);
                    }
                }
            }
            Err(why) => {
                for group in groups {
                    for (reply, Answer { batch, .. }) in group.answers {
                        let _ = reply.send(Answer {
                            result: Err(LogError::Storage {
                                path: wal.to_owned(),
                                detail: why.clone(),
                            }),
                            batch,
                        });
                    }
                }
            }
        }
    }
}

/// Syncs the WAL's data; the first time, opens it and syncs its directory too, since a
/// WAL created by this log's first commit is reachable only once its entry is on disk.
fn sync(file: &mut Option<File>, wal: &Path, dir: &Path) -> std::io::Result<()> {
    if file.is_none() {
        let opened = OpenOptions::new().read(true).write(true).open(wal)?;
        File::open(dir)?.sync_all()?;
        *file = Some(opened);
    }
    match file {
        Some(f) => f.sync_data(),
        None => Ok(()),
    }
}
