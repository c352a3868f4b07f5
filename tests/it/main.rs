//! End-to-end tests through the `hotline` binary, as a user runs it.

#![allow(clippy::unwrap_used)]

mod admin;
mod audit;
mod bad_input;
mod campaign;
mod campaign_api;
mod crm;
mod demo;
mod erlang;
mod ivr;
#[cfg(feature = "kafka")]
mod kafka;
mod log_copy;
mod recordings;
mod replay;
mod serve;
mod simulate;
mod sql;
mod survey;
mod tail;
mod voicemail;
mod wallboard;

use std::path::Path;
use std::process::{Command, Output};

use hotline_events::Recorded;

/// Runs `hotline --data-dir DIR ARGS…`.
pub fn hotline(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("HOTLINE_DATA_DIR")
        .env_remove("HOTLINE_LOG_URL")
        .output()
        .expect("run hotline")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A data directory holding a demo morning of `calls` calls.
pub fn demo(calls: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = hotline(
        dir.path(),
        &[
            "demo",
            "--no-serve",
            "--calls",
            &calls.to_string(),
            "--minutes",
            "20",
        ],
    );
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    dir
}

/// Every event of the log, through `log tail --from 1`.
pub fn all_events(dir: &Path) -> Vec<Recorded> {
    let out = hotline(dir, &["log", "tail", "--from", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
