//! Bad data directories and files: one clear line on stderr, no panic, nothing lost.

use crate::{demo, hotline, stderr};

fn assert_one_clear_line(err: &str, needle: &str) {
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn a_data_directory_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, b"keep me").unwrap();
    let out = hotline(&file, &["demo", "--no-serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_clear_line(&stderr(&out), "--data-dir or HOTLINE_DATA_DIR");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn a_corrupt_log_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.sqlite");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 253) as u8).collect();
    std::fs::write(&file, &garbage).unwrap();
    for args in [
        &["audit", "verify"][..],
        &["log", "tail"],
        &["demo", "--no-serve"],
    ] {
        let out = hotline(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_one_clear_line(&stderr(&out), "restore it from a backup");
    }
    assert_eq!(std::fs::read(&file).unwrap(), garbage);
}

#[test]
fn a_log_from_a_newer_hotline_is_refused_and_nothing_written_is_lost() {
    let dir = demo(5);
    let file = dir.path().join("events.sqlite");
    let conn = rusqlite::Connection::open(&file).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    conn.execute_batch("PRAGMA user_version = 2;").unwrap();
    drop(conn);
    let before = std::fs::read(&file).unwrap();
    for args in [&["audit", "verify"][..], &["demo", "--no-serve"]] {
        let out = hotline(dir.path(), args);
        assert_eq!(out.status.code(), Some(2));
        assert_one_clear_line(&stderr(&out), "upgrade hotline");
    }
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file was not touched"
    );
    let conn = rusqlite::Connection::open(&file).unwrap();
    let after: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, count);
}

#[test]
fn a_missing_log_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(&dir.path().join("empty"), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_clear_line(&stderr(&out), "hotline demo");
    assert!(
        !dir.path().join("empty").exists(),
        "a read command creates nothing"
    );
}

#[test]
fn a_bad_stream_name_is_explained() {
    let dir = demo(2);
    let out = hotline(dir.path(), &["log", "tail", "--stream", "Calls 42"]);
    assert_eq!(out.status.code(), Some(2));
    assert_one_clear_line(&stderr(&out), "not a valid stream name");
}
