//! `hotline ivr check`: the documented example passes against the example center; a
//! broken flow is every problem by file, line and field (exit 1); a missing file is one
//! line (exit 2).

use std::path::Path;

use crate::{hotline, stderr, stdout};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

#[test]
fn the_example_flow_checks_against_the_example_center() {
    let dir = tempfile::tempdir().unwrap();
    let flow = repo("flows/example.toml");
    let out = hotline(
        dir.path(),
        &[
            "ivr",
            "check",
            &flow,
            "--config",
            &repo("config/center.toml"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("flow \"main\" is valid:") && text.contains("from \"welcome\""),
        "{text}"
    );
    assert!(
        text.contains(
            "callback from sales, hang up, queue sales, queue support, voicemail of sales"
        ),
        "{text}"
    );
}

#[test]
fn a_broken_flow_is_every_problem_by_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"[flow]
name = "bad"
start = "menu"

[nodes.menu]
type = "menu"
prompt = "Press 1."
options = { "1" = "salse" }
on_failure = "agent"

[nodes.agent]
type = "transfer"
queue = "nowhere"
"#,
    )
    .unwrap();
    let out = hotline(dir.path(), &["ivr", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let file = path.display();
    assert!(
        err.contains(&format!(
            "{file}:8:19: nodes.menu.options.1: no node `salse` in this flow"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:13:9: nodes.agent.queue: no queue `nowhere` in the center's configuration"
        )),
        "{err}"
    );
    assert!(err.contains("2 problems; the flow would not load"), "{err}");

    let out = hotline(dir.path(), &["ivr", "check", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing.toml: cannot read the flow"),
        "{}",
        stderr(&out)
    );
}

/// Three calls walk the example flow through the engine onto a real log: one served by
/// the balance self-service, one that hangs up at the main menu, one that asks for an
/// agent. SQL over the `events` table then answers containment by day and drop-off per
/// node, as README.md shows.
#[test]
fn sql_answers_containment_by_day_and_drop_off_per_node() {
    use std::sync::Arc;

    use hotline_actors::ivr::run::FlowRun;
    use hotline_actors::ivr::{Facts, FlowEngine, IvrCommand};
    use hotline_events::{CallId, NewEvent, Timestamp};
    use hotline_infra::config::CenterConfig;
    use hotline_infra::config::flow::Flow;
    use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};

    let center = CenterConfig::load(Path::new(&repo("config/center.toml"))).unwrap();
    let flow = Flow::load(
        Path::new(&repo("flows/example.toml")),
        &center,
        &["crm", "http"],
    )
    .unwrap();
    let engine = FlowEngine::new(Arc::new(flow));
    let digits = |d: &str| IvrCommand::Digits { digits: d.into() };
    let unknown_caller = IvrCommand::LookupFailed {
        reason: "not found: no customer with phone +15555550001".into(),
    };
    let calls = [
        vec![
            digits("1"),
            digits("12345674"),
            digits("4321"),
            IvrCommand::LookupAnswered {
                fields: [("balance".to_owned(), "42.50".to_owned())].into(),
            },
        ],
        vec![IvrCommand::CallerHangUp],
        vec![digits("0")],
    ];
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = SqliteLog::open(dir.path()).unwrap();
        // A Tuesday, 10:00 in Paris: the office of config/center.toml is open.
        let mut now = Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap();
        for commands in &calls {
            let mut run = FlowRun::new(engine.clone());
            let start = IvrCommand::Start {
                variables: [("caller".to_owned(), "+15555550001".to_owned())].into(),
            };
            let mut events = Vec::new();
            for c in std::iter::once(&start)
                .chain([&unknown_caller])
                .chain(commands)
            {
                for e in run.handle(c, &Facts::default(), now).unwrap() {
                    events.push(NewEvent::new(e, now));
                }
                now = now.plus_millis(4_000);
            }
            assert!(run.exit().is_some(), "{:?}", run.state());
            log.append(
                &CallId::generate().ivr_stream(),
                ExpectedVersion::Exact(0),
                events,
            )
            .await
            .unwrap();
        }
        log.close().await.unwrap();
    });
    let containment = "SELECT CAST(occurred_at AS DATE) AS day, count(*) AS runs, \
        sum(CASE WHEN data LIKE '%\"kind\":\"hang_up\"%' THEN 1 ELSE 0 END) AS contained, \
        sum(CASE WHEN data LIKE '%\"kind\":\"abandoned\"%' THEN 1 ELSE 0 END) AS abandoned \
        FROM events WHERE type = 'flow_exited' GROUP BY 1 ORDER BY 1";
    let out = hotline(dir.path(), &["sql", "--format", "csv", containment]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "day,runs,contained,abandoned\n2026-11-24,3,1,1\n"
    );
    let drop_off = "SELECT regexp_match(data, '\"node\":\"([^\"]*)\"')[1] AS node, \
        count(*) AS callers FROM events WHERE type = 'node_entered' GROUP BY 1 \
        HAVING count(*) > 1 ORDER BY 2 DESC, 1";
    let out = hotline(dir.path(), &["sql", "--format", "csv", drop_off]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "node,callers\nhours,3\nmain_menu,3\nvip,3\nwelcome,3\nwho,3\n"
    );
    let hung_up_at = "SELECT regexp_match(data, '\"node\":\"([^\"]*)\"')[1] AS node, \
        count(*) AS hung_up FROM events WHERE type = 'flow_exited' \
        AND data LIKE '%\"kind\":\"abandoned\"%' GROUP BY 1";
    let out = hotline(dir.path(), &["sql", "--format", "csv", hung_up_at]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "node,hung_up\nmain_menu,1\n");
}

/// The example center with the example flow on its first number.
fn center_with_flow(dir: &Path, flow: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo("config/center.toml")).unwrap();
    let number = "number = \"+18005550100\"\n";
    assert!(text.contains(number));
    let text = text.replacen(number, &format!("{number}flow = \"{flow}\"\n"), 1);
    let path = dir.join("center.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_number_with_a_flow_runs_it_for_its_callers_on_the_server() {
    use crate::serve::{ADMIN, http, json_of, serve};
    let dir = tempfile::tempdir().unwrap();
    let center = center_with_flow(dir.path(), &repo("flows/example.toml"));
    let server = serve(dir.path(), &["--config", center.to_str().unwrap()]);
    let (status, text) = http(
        server.port,
        "POST",
        "/api/calls",
        Some(ADMIN),
        Some(r#"{"number": "+18005550100", "caller": "+15555550123", "digits": "1"}"#),
    );
    assert_eq!(status, 200, "{text}");
    let call = json_of(&text)["call"].as_str().unwrap().to_owned();
    // The flow's steps are events of the call's `ivr-` stream, readable with SQL.
    let query = format!(
        r#"{{"sql": "SELECT type FROM events WHERE stream = 'ivr-{call}' ORDER BY position"}}"#
    );
    let mut types = Vec::new();
    for _ in 0..100 {
        let (status, text) = http(server.port, "POST", "/api/sql", Some(ADMIN), Some(&query));
        assert_eq!(status, 200, "{text}");
        types = json_of(&text)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap_or_default().to_owned())
            .collect();
        if types.len() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        types.first().map(String::as_str),
        Some("flow_started"),
        "{types:?}"
    );
    assert!(types.iter().any(|t| t == "prompt_played"), "{types:?}");
}

#[test]
fn a_number_whose_flow_will_not_load_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let center = center_with_flow(dir.path(), "no-such-flow.toml");
    let out = hotline(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--sql-listen",
            "off",
            "--config",
            center.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.contains("number +18005550100") && text.contains("no-such-flow.toml"),
        "{text}"
    );
    assert!(text.contains("hotline ivr check"), "{text}");
}
