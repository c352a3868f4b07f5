//! `hotline replay` and the projection runner on real demo logs: an incremental run from
//! the snapshots equals a rebuild from position 0, and bad names are told apart.

use std::path::Path;
use std::sync::Arc;

use hotline_infra::config::CenterConfig;
use hotline_infra::{EventLog, SnapshotStore, SqliteLog};
use hotline_projections::runner::{Restored, rebuild};
use hotline_projections::{MetricRules, Name, ReadModels, Runner};

use crate::{hotline, stderr, stdout};

/// The rules `hotline replay` uses without --config: the sample center's.
fn sample_rules() -> MetricRules {
    let config = CenterConfig::parse(include_str!("../../config/demo.toml"), "demo.toml").unwrap();
    MetricRules::from_config(&config)
}

fn run_demo(dir: &Path, calls: u32, seed: u32) {
    let out = hotline(
        dir,
        &[
            "demo",
            "--no-serve",
            "--calls",
            &calls.to_string(),
            "--minutes",
            "60",
            "--seed",
            &seed.to_string(),
        ],
    );
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
}

/// Runs `hotline replay ARGS…`; checks its one line and returns the events it replayed.
fn replay(dir: &Path, args: &[&str], into: &str) -> u64 {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    let out = hotline(dir, &all);
    assert!(out.status.success(), "replay failed: {}", stderr(&out));
    let line = stdout(&out);
    let rest = line
        .strip_prefix("replayed ")
        .unwrap_or_else(|| panic!("{line}"));
    let (n, rest) = rest.split_once(" events into ").unwrap();
    assert!(rest.starts_with(&format!("{into} in ")), "{line}");
    assert!(rest.trim_end().ends_with(" events/s)"), "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    n.parse().unwrap()
}

fn head(dir: &Path) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        SqliteLog::open_read_only(dir)
            .unwrap()
            .head()
            .await
            .unwrap()
    })
}

fn saved(dir: &Path) -> ReadModels {
    let store = SnapshotStore::open(dir).unwrap();
    ReadModels::from_snapshots(&store, &sample_rules()).unwrap()
}

/// Saves snapshots of every projection rebuilt from position 1 to `until`.
fn save_rebuilt_until(dir: &Path, until: u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (models, folded) = rt.block_on(async {
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open_read_only(dir).unwrap());
        rebuild(log, &sample_rules(), &Name::ALL, until, |_| {})
            .await
            .unwrap()
    });
    assert_eq!(folded, until);
    let store = SnapshotStore::open(dir).unwrap();
    models.save(&store, &sample_rules(), &Name::ALL).unwrap();
}

/// Starts the runner on `dir`'s snapshots, lets it catch up to the head and stops it (which
/// saves); returns what it restored.
fn run_runner(dir: &Path) -> Vec<(Name, Restored)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = SqliteLog::open_read_only(dir).unwrap();
        let head = log.head().await.unwrap();
        let log: Arc<dyn EventLog> = Arc::new(log);
        let store = SnapshotStore::open(dir).unwrap();
        let runner = Runner::start(log, store, sample_rules()).await.unwrap();
        let restored = runner.restored().to_vec();
        runner.views().wait_for(head).await.unwrap();
        runner.stop().await.unwrap();
        restored
    })
}

const ALL: &str = "calls, agent_states, queue_intervals, boards, customers, interactions, campaign_attempts, recordings, voicemails, surveys";

#[test]
fn an_incremental_run_from_snapshots_equals_a_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    run_demo(dir, 1000, 1);
    let first = head(dir);
    // Snapshots cut in the middle of the morning, with calls and wrap-ups in progress.
    let cut = first / 2 + 17;
    save_rebuilt_until(dir, cut);
    let restored = run_runner(dir);
    assert!(
        restored.iter().all(|(_, r)| *r == Restored::At(cut)),
        "{restored:?}"
    );
    assert!(saved(dir).calls.rows().len() >= 1000);

    // More of the log: the runner catches up from the snapshots it saved at `first`.
    run_demo(dir, 1000, 2);
    let second = head(dir);
    assert!(second > first);
    let restored = run_runner(dir);
    assert!(
        restored.iter().all(|(_, r)| *r == Restored::At(first)),
        "{restored:?}"
    );
    let incremental = saved(dir);
    assert!(incremental.calls.rows().len() >= 2000);

    // The same log rebuilt from position 0.
    assert_eq!(replay(dir, &[], ALL), second);
    let full = saved(dir);
    assert!(
        incremental == full,
        "the incremental run differs from a rebuild"
    );

    // One projection alone; the others' snapshots are left as they were.
    assert_eq!(replay(dir, &["--projection", "boards"], "boards"), second);
    assert!(saved(dir) == full);

    // A snapshot stamped with an older layout is discarded and rebuilt, not misread.
    let db = rusqlite::Connection::open(SnapshotStore::file_in(dir)).unwrap();
    db.execute("UPDATE snapshots SET schema = 0 WHERE name = 'calls'", [])
        .unwrap();
    drop(db);
    let restored = run_runner(dir);
    assert!(
        matches!(&restored[0], (Name::Calls, Restored::Discarded(why)) if why.contains("layout 0")),
        "{restored:?}"
    );
    assert!(saved(dir) == full, "rebuilt after discarding");
}

#[test]
fn an_unknown_projection_is_one_line_naming_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    run_demo(dir.path(), 5, 1);
    let out = hotline(dir.path(), &["replay", "--projection", "call"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no projection is named \"call\"; the projections are calls, agent_states, queue_intervals, boards, customers, interactions, campaign_attempts, recordings, voicemails, surveys\n"
    );
    assert!(stdout(&out).is_empty());
    assert!(
        SnapshotStore::open(dir.path())
            .unwrap()
            .list()
            .unwrap()
            .is_empty(),
        "nothing was dropped or saved"
    );
}

#[test]
fn replay_without_a_log_says_where_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["replay"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no event log at"), "{}", stderr(&out));
}

/// A center file's `log` key is honoured by every command that takes `--config`: `demo`
/// writes its morning there (not to the data directory), and `replay` reads it from there.
#[test]
fn demo_and_replay_use_the_log_their_center_file_names() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let center = files.path().join("center.toml");
    std::fs::write(
        &center,
        format!(
            "log = \"sqlite://elsewhere\"\n{}",
            include_str!("../../config/demo.toml")
        ),
    )
    .unwrap();
    let center = center.to_str().unwrap();
    let out = hotline(
        data.path(),
        &[
            "demo",
            "--no-serve",
            "--config",
            center,
            "--calls",
            "20",
            "--minutes",
            "60",
            "--seed",
            "3",
        ],
    );
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    let elsewhere = files.path().join("elsewhere");
    assert!(
        !SqliteLog::file_in(data.path()).exists(),
        "the demo wrote to the data directory's log, not the file's"
    );
    let written = head(&elsewhere);
    assert!(written > 0, "nothing in the file's log");
    assert_eq!(replay(data.path(), &["--config", center], ALL), written);
    // Without the file, replay looks in the (empty) data directory.
    let out = hotline(data.path(), &["replay"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Snapshots are a cache of one log: a data directory pointed at another log drops them
/// with a warning (and folds that log), and keeps them while the log stays the same.
#[test]
fn snapshots_of_another_log_are_dropped_with_a_warning() {
    let data = tempfile::tempdir().unwrap();
    run_demo(data.path(), 10, 1);
    replay(data.path(), &[], ALL);
    let other = tempfile::tempdir().unwrap();
    run_demo(other.path(), 10, 2);
    let query = ["sql", "SELECT count(*) AS n FROM calls"];
    // The same log: the snapshots are used.
    let same = hotline(data.path(), &query);
    assert!(same.status.success(), "{}", stderr(&same));
    assert!(!stderr(&same).contains("dropped"), "{}", stderr(&same));
    // Another log in the same data directory: dropped, then rebuilt from that log.
    let url = format!("sqlite://{}", other.path().display());
    let mut args = vec!["--log", url.as_str()];
    args.extend_from_slice(&query);
    let moved = hotline(data.path(), &args);
    assert!(moved.status.success(), "{}", stderr(&moved));
    assert!(
        stderr(&moved).contains("projection snapshots")
            && stderr(&moved).contains("were not made from"),
        "{}",
        stderr(&moved)
    );
    let expected = hotline(other.path(), &query);
    assert_eq!(stdout(&moved), stdout(&expected));
    // Now they are that log's: no warning again.
    let again = hotline(data.path(), &args);
    assert!(!stderr(&again).contains("dropped"), "{}", stderr(&again));
}
