//! `hotline sql`: queries over a demo morning in the three output formats, the read-only
//! guard, and the PostgreSQL wire protocol driven by the real `psql` client.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{all_events, demo, hotline, stderr, stdout};

#[test]
fn a_query_answers_as_a_table_as_csv_and_as_json_and_agrees_with_the_log() {
    let dir = demo(40);
    let arrived = all_events(dir.path())
        .iter()
        .filter(|e| e.event_type == "arrived")
        .count();

    let out = hotline(
        dir.path(),
        &[
            "sql",
            "SELECT count(*) AS calls FROM calls",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("calls\n{arrived}\n"));

    let out = hotline(
        dir.path(),
        &[
            "sql",
            "SELECT queue, offered, answered FROM queue_summary ORDER BY queue",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let queues: Vec<&str> = rows.iter().filter_map(|r| r["queue"].as_str()).collect();
    assert!(!queues.is_empty(), "{}", stdout(&out));
    let offered: u64 = rows.iter().filter_map(|r| r["offered"].as_u64()).sum();
    assert!(offered > 0 && offered as usize <= arrived * 2, "{rows:?}");

    // The raw log is a table too.
    let out = hotline(
        dir.path(),
        &[
            "sql",
            "SELECT count(*) AS n FROM events WHERE type = 'arrived'",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("| {arrived} ")), "{text}");
    assert!(text.contains("(1 row)"), "{text}");
}

#[test]
fn a_write_is_refused_with_a_clear_error() {
    let dir = demo(5);
    for sql in ["DROP TABLE calls", "INSERT INTO calls SELECT * FROM calls"] {
        let out = hotline(dir.path(), &["sql", sql]);
        assert!(!out.status.success(), "{sql}");
        let err = stderr(&out);
        assert!(err.contains("read-only"), "{sql}: {err}");
    }
    let out = hotline(dir.path(), &["sql", "SELECT nothing FROM nowhere"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
    // A mistake is said once, on one line (DataFusion's message already holds its cause).
    for (sql, needle) in [
        (
            "SELECT * FROM nosuch",
            "table 'datafusion.public.nosuch' not found",
        ),
        ("SELECT 1/0", "Divide by zero"),
    ] {
        let out = hotline(dir.path(), &["sql", sql]);
        assert_eq!(out.status.code(), Some(2), "{sql}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{sql}: {err}");
        assert_eq!(err.matches(needle).count(), 1, "{sql}: {err}");
    }
}

/// The center file whose rules (Paris time) are not the sample's (UTC).
const CENTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/center.toml");

/// A demo's data directory whose snapshots were rebuilt under `center`'s rules.
fn demo_folded_under(center: &str) -> tempfile::TempDir {
    let dir = demo(5);
    let out = hotline(dir.path(), &["replay", "--config", center]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

/// A query that matches nothing still shows its columns (it printed `++` over `++`),
/// and a warning on stderr is plain text when stderr is not a terminal.
#[test]
fn an_empty_answer_shows_its_columns_and_warnings_have_no_escape_codes() {
    let dir = demo_folded_under(CENTER);
    // Under the sample center's rules, the snapshots folded under center.toml's are
    // rebuilt, with a warning.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml");
    let out = hotline(
        dir.path(),
        &[
            "sql",
            "--config",
            sample,
            "SELECT queue, offered FROM queue_summary WHERE offered < 0",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.contains("| queue") && l.contains("| offered")),
        "{text}"
    );
    assert!(text.contains("(0 rows)"), "{text}");
    let err = stderr(&out);
    assert!(err.contains("WARN"), "the rebuild is said: {err}");
    assert!(!err.contains('\u{1b}'), "escape codes in {err:?}");
}

/// Without --config, `sql` folds under the rules the data directory's snapshots were
/// folded under (the center that ran there), not the sample's: the snapshots are used as
/// they are, and the figures are that center's.
#[test]
fn without_a_center_file_sql_uses_the_rules_the_snapshots_were_folded_under() {
    let dir = demo_folded_under(CENTER);
    let query =
        "SELECT queue, offered, answered_within_threshold FROM queue_summary ORDER BY queue";
    let with_file = hotline(
        dir.path(),
        &["sql", "--config", CENTER, "--format", "csv", query],
    );
    assert!(with_file.status.success(), "{}", stderr(&with_file));
    let without = hotline(dir.path(), &["sql", "--format", "csv", query]);
    assert!(without.status.success(), "{}", stderr(&without));
    let err = stderr(&without);
    assert!(!err.contains("discarded"), "no snapshot rebuilt: {err}");
    assert_eq!(stdout(&without), stdout(&with_file));
    // The sample's rules are others (its time zone is UTC, center.toml's Paris): under
    // them the snapshots are discarded, so the silence above is the stored rules' doing.
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml");
    let under_sample = hotline(
        dir.path(),
        &["sql", "--config", sample, "--format", "csv", query],
    );
    assert!(under_sample.status.success(), "{}", stderr(&under_sample));
    assert!(
        stderr(&under_sample).contains("discarded"),
        "{}",
        stderr(&under_sample)
    );
}

#[test]
fn the_tables_and_reports_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(dir.path(), &["sql", "--tables"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for name in [
        "calls",
        "agent_states",
        "queue_intervals",
        "events",
        "service_level_by_interval",
        "agent_performance",
    ] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
}

/// `hotline sql --listen` on a free port; stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Server, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--data-dir")
        .arg(dir)
        .args(["sql", "--listen", "127.0.0.1:0"])
        .env_remove("HOTLINE_DATA_DIR")
        .env_remove("HOTLINE_LOG_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start hotline sql --listen");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    // "PostgreSQL wire protocol on 127.0.0.1:PORT (read-only): psql -h ... -p PORT"
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (server, port)
}

fn psql(port: u16, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args([
            "-U", "analyst", "-d", "hotline", "-X", "-A", "-t", "-c", sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run psql ({e}): install the PostgreSQL client \
                 (apt-get install postgresql-client; .ci/run does it)"
            )
        })
}

#[test]
fn psql_queries_the_center_and_cannot_write() {
    let dir = demo(30);
    let (_server, port) = serve(dir.path());
    let mut out = psql(port, "SELECT count(*) FROM calls");
    for _ in 0..50 {
        if out.status.success() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        out = psql(port, "SELECT count(*) FROM calls");
    }
    assert!(out.status.success(), "psql: {}", stderr(&out));
    let calls: usize = stdout(&out).trim().parse().unwrap();
    let arrived = all_events(dir.path())
        .iter()
        .filter(|e| e.event_type == "arrived")
        .count();
    assert_eq!(calls, arrived);

    let out = psql(
        port,
        "SELECT queue, service_level FROM queue_summary ORDER BY queue",
    );
    assert!(out.status.success(), "psql: {}", stderr(&out));
    assert!(stdout(&out).contains("sales|"), "{}", stdout(&out));

    // psql's own catalog queries work: \dt lists the tables.
    let out = psql(port, "\\dt");
    assert!(out.status.success(), "psql \\dt: {}", stderr(&out));
    assert!(stdout(&out).contains("calls"), "{}", stdout(&out));

    for sql in [
        "DELETE FROM calls",
        "CREATE TABLE stolen AS SELECT * FROM customers",
        "DROP VIEW calls",
    ] {
        let out = psql(port, sql);
        assert!(!out.status.success(), "{sql} was not refused");
        assert!(
            stderr(&out).contains("read-only"),
            "{sql}: {}",
            stderr(&out)
        );
    }
    // Still whole after the attempts.
    let out = psql(port, "SELECT count(*) FROM calls");
    assert_eq!(stdout(&out).trim().parse::<usize>().unwrap(), arrived);
}
