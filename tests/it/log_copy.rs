//! `hotline log copy` between embedded logs: a resumed copy checks the whole prefix the
//! target holds, not only its last event.

use hotline_events::{Event, NewEvent, OpaqueEvent, Recorded, Unreadable};
use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};

use crate::{all_events, demo, hotline, stderr, stdout};

/// Writes `events` into a new embedded log in `dir`, as a copy would, the data of the
/// first one changed.
fn write_with_first_altered(dir: &std::path::Path, events: &[Recorded]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = SqliteLog::open(dir).unwrap();
        for (i, r) in events.iter().enumerate() {
            let data = if i == 0 {
                r.data.replacen('"', "\"x_", 1)
            } else {
                r.data.clone()
            };
            let appended = log
                .append(
                    &r.stream,
                    ExpectedVersion::Exact(r.version - 1),
                    vec![NewEvent {
                        event: Event::Opaque(OpaqueEvent {
                            event_type: r.event_type.clone(),
                            schema: r.schema,
                            data,
                            why: Unreadable::UnknownCategory,
                        }),
                        event_id: r.event_id,
                        occurred_at: r.occurred_at,
                        correlation_id: r.correlation_id,
                        causation_id: r.causation_id,
                    }],
                )
                .await
                .unwrap();
            assert_eq!(appended.first_position, r.position);
        }
        log.close().await.unwrap();
    });
}

#[test]
fn a_resumed_copy_refuses_a_target_whose_prefix_differs_before_its_last_event() {
    let source = demo(4);
    let events = all_events(source.path());
    assert!(events.len() > 10);
    let target = tempfile::tempdir().unwrap();
    write_with_first_altered(target.path(), &events[..10]);
    let before = all_events(target.path());
    let out = hotline(
        target.path(),
        &[
            "log",
            "copy",
            "--from",
            &format!("sqlite://{}", source.path().display()),
            "--to",
            &format!("sqlite://{}", target.path().display()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("differ from position 1"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(all_events(target.path()), before, "the target is untouched");
}

/// `log copy` names its logs with --from and --to: a typed --log is refused, an exported
/// HOTLINE_LOG_URL (the shell's usual log) is not in its way.
#[test]
fn log_copy_refuses_a_typed_log_but_not_an_exported_one() {
    let source = demo(2);
    let target = tempfile::tempdir().unwrap();
    let from = format!("sqlite://{}", source.path().display());
    let to = format!("sqlite://{}", target.path().display());
    let copy = |log_flag: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"));
        cmd.env_remove("HOTLINE_DATA_DIR")
            .env("HOTLINE_LOG_URL", "kafka://127.0.0.1:1/elsewhere");
        if log_flag {
            cmd.args(["--log", "kafka://127.0.0.1:1/elsewhere"]);
        }
        cmd.args(["log", "copy", "--from", &from, "--to", &to])
            .output()
            .unwrap()
    };
    let typed = copy(true);
    assert_eq!(typed.status.code(), Some(2), "{}", stdout(&typed));
    assert!(stderr(&typed).contains("drop --log"), "{}", stderr(&typed));
    let exported = copy(false);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(all_events(target.path()), all_events(source.path()));
}
