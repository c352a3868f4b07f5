//! The embedded SQLite log: the conformance suite, then what only a file-backed log has
//! (bad directories, foreign and newer files, a second writer).

#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use async_trait::async_trait;
use hotline_infra::conformance::{self, Harness, probe, stream};
use hotline_infra::{Durability, EventLog, ExpectedVersion, LogError, SqliteLog};

/// Set in the child process of the killed-writer check: the data directory to write.
const CRASH_WRITER_DIR: &str = "HOTLINE_TEST_CRASH_WRITER_DIR";

struct Sqlite {
    dir: tempfile::TempDir,
    durability: Durability,
}

impl Sqlite {
    fn new() -> Self {
        Self::with(Durability::EveryCommit)
    }

    fn with(durability: Durability) -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            durability,
        }
    }
}

#[async_trait]
impl Harness for Sqlite {
    type Log = SqliteLog;

    async fn open(&self) -> SqliteLog {
        SqliteLog::open_with(self.dir.path(), self.durability).unwrap_or_else(|e| panic!("{e}"))
    }

    fn tamper(&self, position: u64) {
        let file = SqliteLog::file_in(self.dir.path());
        // Find the event's stored bytes with a plain read, then flip one in the file itself.
        let data: String = rusqlite::Connection::open(&file)
            .and_then(|c| {
                c.query_row(
                    "SELECT data FROM events WHERE position = ?1",
                    [position as i64],
                    |r| r.get(0),
                )
            })
            .expect("read the event to alter");
        let mut bytes = std::fs::read(&file).expect("read the log file");
        // SQLite leaves stale copies of cells in the free space of pages it rebalanced, so
        // every copy is altered: one of them is the live one.
        let copies: Vec<usize> = bytes
            .windows(data.len())
            .enumerate()
            .filter(|(_, w)| *w == data.as_bytes())
            .map(|(at, _)| at)
            .collect();
        assert!(!copies.is_empty(), "the event's data is in the file");
        for at in copies {
            bytes[at + 12] ^= 0x01;
        }
        std::fs::write(&file, bytes).expect("write the altered file");
    }

    fn spawn_writer(&self) -> Child {
        Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "killed_process_leaves_no_partial_batch",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_WRITER_DIR, self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the writer process")
    }
}

// Deferred commits answer appends before they commit: the same suite holds for them
// (reads see every answered append; close commits), all but the killed writer, whose
// uncommitted appends are lost by design.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_ordering() {
    conformance::ordering(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_decoded_reads_match_whole_reads() {
    conformance::decoded_reads_match_whole_reads(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_version_conflicts() {
    conformance::version_conflicts(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_catch_up_then_live() {
    conformance::catch_up_then_live(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_durable_across_reopen() {
    conformance::durable_across_reopen(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_tamper_is_detected() {
    conformance::tamper_is_detected(&Sqlite::with(Durability::Deferred)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_append_is_read_back_at_once_and_committed_soon() {
    let h = Sqlite::with(Durability::Deferred);
    let log = h.open().await;
    let s = stream("deferred");
    log.append(&s, ExpectedVersion::Exact(0), vec![probe(r#""n":1"#)])
        .await
        .unwrap();
    // A read waits for the writer to commit what was answered.
    assert_eq!(log.read_stream(&s, 1).await.unwrap().len(), 1);
    // Another connection sees it once the writer has been idle for a moment.
    let file = SqliteLog::file_in(h.dir.path());
    let count = || -> i64 {
        rusqlite::Connection::open(&file)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)))
            .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while count() == 0 {
        assert!(std::time::Instant::now() < deadline, "never committed");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    log.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering() {
    conformance::ordering(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoded_reads_match_whole_reads() {
    conformance::decoded_reads_match_whole_reads(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_conflicts() {
    conformance::version_conflicts(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_then_live() {
    conformance::catch_up_then_live(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_across_reopen() {
    conformance::durable_across_reopen(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tamper_is_detected() {
    conformance::tamper_is_detected(&Sqlite::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_process_leaves_no_partial_batch() {
    // In the child process this same test is the writer that gets killed.
    if let Some(dir) = std::env::var_os(CRASH_WRITER_DIR) {
        let log = SqliteLog::open(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
        conformance::crash_writer(&log).await;
    }
    conformance::killed_process_leaves_no_partial_batch(&Sqlite::new()).await;
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[tokio::test]
async fn a_data_directory_that_cannot_be_created_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let err = SqliteLog::open(&blocker.join("data")).unwrap_err();
    assert!(matches!(err, LogError::DataDir { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("not-a-dir/data") && msg.contains("--data-dir or HOTLINE_DATA_DIR"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteLog::file_in(dir.path());
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    for err in [
        SqliteLog::open(dir.path()).unwrap_err(),
        SqliteLog::open_read_only(dir.path()).unwrap_err(),
    ] {
        assert!(matches!(err, LogError::NotALog { .. }), "{err:?}");
        assert!(
            err.to_string().contains("restore it from a backup"),
            "{err}"
        );
    }
    assert_eq!(file_bytes(&file), garbage, "the file was not changed");
}

#[tokio::test]
async fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteLog::file_in(dir.path());
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER);")
        .unwrap();
    let err = SqliteLog::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("another application"), "{err}");
}

async fn log_with_events(dir: &Path, n: u64) -> PathBuf {
    let log = SqliteLog::open(dir).unwrap();
    for i in 0..n {
        log.append(
            &stream("kept"),
            ExpectedVersion::Exact(i),
            vec![probe(&format!(r#""i":{i}"#))],
        )
        .await
        .unwrap();
    }
    log.close().await.unwrap();
    SqliteLog::file_in(dir)
}

#[tokio::test]
async fn a_log_from_a_newer_format_is_refused_and_its_events_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = log_with_events(dir.path(), 5).await;
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("PRAGMA user_version = 9;")
        .unwrap();
    let before = file_bytes(&file);
    let err = SqliteLog::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            LogError::NewerFormat {
                found: 9,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade hotline"), "{err}");
    assert_eq!(file_bytes(&file), before, "the file was not changed");
    // Once a build that knows the format reads it (simulated by setting it back), all is there.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("PRAGMA user_version = 1;")
        .unwrap();
    let log = SqliteLog::open_read_only(dir.path()).unwrap();
    assert_eq!(log.read_stream(&stream("kept"), 1).await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_second_writer_is_refused_while_readers_are_welcome() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path()).unwrap();
    log.append(
        &stream("one"),
        ExpectedVersion::Any,
        vec![probe(r#""i":1"#)],
    )
    .await
    .unwrap();
    let err = SqliteLog::open(dir.path()).unwrap_err();
    assert!(matches!(err, LogError::Locked { .. }), "{err:?}");
    let reader = SqliteLog::open_read_only(dir.path()).unwrap();
    assert_eq!(reader.head().await.unwrap(), 1);
    let refused = reader
        .append(
            &stream("one"),
            ExpectedVersion::Any,
            vec![probe(r#""i":2"#)],
        )
        .await;
    assert!(matches!(refused, Err(LogError::ReadOnly)), "{refused:?}");
    // A reader in another "process" follows the writer's appends.
    let mut feed = reader.subscribe(1);
    log.append(
        &stream("one"),
        ExpectedVersion::Any,
        vec![probe(r#""i":3"#)],
    )
    .await
    .unwrap();
    for want in [1, 2] {
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), feed.next())
            .await
            .unwrap();
        assert_eq!(got.unwrap().unwrap().position, want);
    }
    log.close().await.unwrap();
    assert!(
        SqliteLog::open(dir.path()).is_ok(),
        "the lock is released on close"
    );
}

#[tokio::test]
async fn reading_a_missing_log_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteLog::open_read_only(&dir.path().join("nothing-here")).unwrap_err();
    assert!(
        err.to_string().contains("no event log at") && err.to_string().contains("hotline demo"),
        "{err}"
    );
}

#[tokio::test]
async fn an_event_is_refused_by_a_stream_of_another_category() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path()).unwrap();
    let call = hotline_events::CallEvent::IvrInput { digits: "1".into() };
    let event = hotline_events::NewEvent::new(call, hotline_events::Timestamp::from_millis(0));
    let agent = hotline_events::AgentId::generate().stream();
    let err = log
        .append(&agent, ExpectedVersion::Any, vec![event])
        .await
        .unwrap_err();
    assert!(matches!(err, LogError::Codec(_)), "{err:?}");
    assert_eq!(log.head().await.unwrap(), 0);
}

#[tokio::test]
async fn a_broken_link_between_the_events_of_a_stream_is_an_error_not_a_wrong_answer() {
    for alteration in [
        "UPDATE events SET previous = NULL WHERE position = 4",
        "UPDATE events SET previous = 2 WHERE position = 4",
        "UPDATE streams SET last = 4",
        "DELETE FROM events WHERE position = 3",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = log_with_events(dir.path(), 5).await;
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch(alteration)
            .unwrap();
        let log = SqliteLog::open_read_only(dir.path()).unwrap();
        let err = log.read_stream(&stream("kept"), 1).await.unwrap_err();
        assert!(
            matches!(err, LogError::Corrupt { .. }),
            "{alteration}: {err:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    log_with_events(dir.path(), 5).await;
    let log = SqliteLog::open_read_only(dir.path()).unwrap();
    let versions: Vec<u64> = log
        .read_stream(&stream("kept"), 2)
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, [2, 3, 4, 5]);
}

#[tokio::test]
async fn a_log_of_an_unreleased_layout_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteLog::file_in(dir.path());
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL);
             PRAGMA application_id = 1213158476; PRAGMA user_version = 1;",
        )
        .unwrap();
    let before = file_bytes(&file);
    let err = SqliteLog::open(dir.path()).unwrap_err();
    assert!(matches!(err, LogError::NotALog { .. }), "{err:?}");
    assert_eq!(file_bytes(&file), before, "the file was not changed");
}

#[tokio::test]
async fn correlation_and_causation_ids_come_back_as_they_were_appended() {
    use hotline_events::MessageId;
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path()).unwrap();
    let (a, b) = (MessageId::generate(), MessageId::generate());
    let events = vec![
        probe(r#""i":1"#),
        probe(r#""i":2"#).correlated(a),
        probe(r#""i":3"#).caused_by(b),
        probe(r#""i":4"#).correlated(a).caused_by(b),
    ];
    let sent: Vec<_> = events
        .iter()
        .map(|e| (e.event_id, e.correlation_id, e.causation_id))
        .collect();
    log.append(&stream("ids"), ExpectedVersion::Exact(0), events)
        .await
        .unwrap();
    log.close().await.unwrap();
    let log = SqliteLog::open_read_only(dir.path()).unwrap();
    for read in [
        log.read_all(1, 10).await.unwrap(),
        log.read_stream(&stream("ids"), 1).await.unwrap(),
    ] {
        let got: Vec<_> = read
            .iter()
            .map(|r| (r.event_id, r.correlation_id, r.causation_id))
            .collect();
        assert_eq!(got, sent);
    }
    assert_eq!(log.verify().await.unwrap().first_break, None);
}

#[tokio::test]
async fn a_long_page_read_in_two_halves_comes_back_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    log_with_events(dir.path(), 1_500).await;
    let log = SqliteLog::open(dir.path()).unwrap();
    // Long pages are read as two halves at once; short logs end inside either half.
    for (from, max, expected) in [
        (1, 1_500, 1_500),
        (1, 4_096, 1_500),
        (1, 1_024, 1_024),
        (200, 1_024, 1_024),
        (1_000, 1_024, 501),
        (1_400, 4_096, 101),
        (1_501, 4_096, 0),
    ] {
        let page = log.read_all(from, max).await.unwrap();
        assert_eq!(page.len(), expected, "from {from}, max {max}");
        for (i, r) in page.iter().enumerate() {
            assert_eq!(r.position, from + i as u64, "from {from}, max {max}");
        }
    }
    log.close().await.unwrap();
}

/// Commits are synced beside the writer, so SQLite shows a commit before it is durable;
/// this log's own reads must not: nothing past the published head, whose appends have all
/// been synced. Reading the head after the events makes a leak show as an event past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_the_writing_log_see_nothing_past_the_synced_head() {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path()).unwrap();
    let writers: Vec<_> = (0..64)
        .map(|w| {
            let log = log.clone();
            tokio::spawn(async move {
                let name = stream(&format!("w{w}"));
                for _ in 0..40 {
                    log.append(&name, ExpectedVersion::Any, vec![probe(r#""k":1"#)])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut reads = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        let all = log.read_all(1, 1_000_000).await.unwrap();
        let some = log
            .read_stream(&stream(&format!("w{}", reads % 64)), 1)
            .await
            .unwrap();
        let head = log.head().await.unwrap();
        for seen in all.last().into_iter().chain(some.last()) {
            assert!(
                seen.position <= head,
                "read {} past head {head}",
                seen.position
            );
        }
        assert_eq!(all.len() as u64, all.last().map_or(0, |e| e.position));
        reads += 1;
    }
    for w in writers {
        w.await.unwrap();
    }
    assert!(reads > 0);
    assert_eq!(log.read_all(1, 1_000_000).await.unwrap().len(), 64 * 40);
}
