//! Post-call surveys through the binary: the README's "CSAT by agent" and "IVR containment
//! by day" queries, run by `hotline sql` over a small known history written to a log,
//! answer the figures computed by hand below.

use hotline_events::{
    AgentId, CallId, Event, FlowExit, IvrEvent, NewEvent, QueueId, StreamName, SurveyEvent,
    Timestamp,
};
use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};

use crate::{hotline, stderr, stdout};

/// README.md, "Post-call surveys": CSAT by agent.
const CSAT_BY_AGENT: &str = "SELECT agent, count(*) AS rated,
  sum(CASE WHEN answer IN ('4', '5') THEN 1 ELSE 0 END) AS satisfied,
  round(avg(CASE WHEN answer IN ('4', '5') THEN 1.0 ELSE 0.0 END), 3) AS csat
  FROM surveys WHERE csat GROUP BY agent ORDER BY agent";

/// README.md, "IVR flows": containment by day.
const CONTAINMENT_BY_DAY: &str = "SELECT CAST(occurred_at AS DATE) AS day, count(*) AS runs,
  sum(CASE WHEN data LIKE '%\"kind\":\"hang_up\"%' THEN 1 ELSE 0 END) AS contained,
  sum(CASE WHEN data LIKE '%\"kind\":\"abandoned\"%' THEN 1 ELSE 0 END) AS abandoned
  FROM events WHERE type = 'flow_exited' GROUP BY 1 ORDER BY 1";

/// One survey of the history: the agent, its answers (question, keys), and whether it was
/// completed (else abandoned).
type Survey = (AgentId, Vec<(&'static str, &'static str)>, bool);

fn agent(n: u128) -> AgentId {
    AgentId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

#[test]
fn csat_by_agent_and_containment_by_day_answer_the_hand_computed_figures() {
    let dir = tempfile::tempdir().unwrap();
    let sales = QueueId::new("sales").unwrap();
    let (a, b) = (agent(1), agent(2));
    // Surveys: (agent, answers to "rate" (the CSAT question) and others, how it ended).
    // Agent 1: rated 5, 4 and 2 (one call also answered "recommend", not CSAT): 2 of 3.
    // Agent 2: rated 3 and 5, and one caller hung up before rating: 1 of 2.
    let surveys: Vec<Survey> = vec![
        (a, vec![("rate", "5"), ("recommend", "1")], true),
        (a, vec![("rate", "4")], true),
        (a, vec![("rate", "2")], true),
        (b, vec![("rate", "3")], true),
        (b, vec![("rate", "5"), ("recommend", "2")], true),
        (b, vec![], false),
    ];
    // IVR runs: day 1 a self-served caller, one queued, one hung up; day 2 two self-served.
    let runs = [
        ("2026-11-24T09:00:00.000Z", FlowExit::HangUp),
        (
            "2026-11-24T10:00:00.000Z",
            FlowExit::Queue {
                queue: sales.clone(),
                priority: 0,
                skills: vec![],
            },
        ),
        ("2026-11-24T11:00:00.000Z", FlowExit::Abandoned),
        ("2026-11-25T09:00:00.000Z", FlowExit::HangUp),
        ("2026-11-25T09:30:00.000Z", FlowExit::HangUp),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = SqliteLog::open(dir.path()).unwrap();
        let t = at("2026-11-24T12:00:00.000Z");
        for (agent, answers, completed) in &surveys {
            let call = CallId::generate();
            let mut events = vec![SurveyEvent::Started {
                call,
                agent: *agent,
                queue: sales.clone(),
                flow: "survey".into(),
                csat_question: Some("rate".into()),
            }];
            for (question, answer) in answers {
                events.push(SurveyEvent::Answered {
                    question: (*question).into(),
                    answer: (*answer).into(),
                });
            }
            events.push(if *completed {
                SurveyEvent::Completed {
                    answers: answers.len() as u32,
                }
            } else {
                SurveyEvent::Abandoned {
                    question: "rate".into(),
                    answers: 0,
                }
            });
            let stream = StreamName::parse(&format!("survey-{call}")).unwrap();
            let batch = events
                .into_iter()
                .map(|e| NewEvent::new(Event::Survey(e), t))
                .collect();
            log.append(&stream, ExpectedVersion::Exact(0), batch)
                .await
                .unwrap();
        }
        for (when, exit) in runs {
            let exited = IvrEvent::FlowExited {
                node: "menu".into(),
                exit,
            };
            log.append(
                &CallId::generate().ivr_stream(),
                ExpectedVersion::Exact(0),
                vec![NewEvent::new(Event::Ivr(exited), at(when))],
            )
            .await
            .unwrap();
        }
        log.close().await.unwrap();
    });

    let out = hotline(dir.path(), &["sql", "--format", "csv", CSAT_BY_AGENT]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("agent,rated,satisfied,csat\n{a},3,2,0.667\n{b},2,1,0.5\n")
    );
    // The standard report says the same, per day.
    let out = hotline(
        dir.path(),
        &[
            "sql",
            "--format",
            "csv",
            "SELECT agent, day, rated, satisfied, round(csat, 3) AS csat FROM csat_by_agent ORDER BY agent",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "agent,day,rated,satisfied,csat\n{a},2026-11-24,3,2,0.667\n{b},2026-11-24,2,1,0.5\n"
        )
    );
    let out = hotline(
        dir.path(),
        &[
            "sql",
            "--format",
            "csv",
            "SELECT queue, rated, satisfied, round(csat, 3) AS csat FROM csat_by_queue",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "queue,rated,satisfied,csat\nsales,5,3,0.6\n");

    let out = hotline(dir.path(), &["sql", "--format", "csv", CONTAINMENT_BY_DAY]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "day,runs,contained,abandoned\n2026-11-24,3,1,1\n2026-11-25,2,2,0\n"
    );
}

/// The sample center with `flows/survey.toml` after sales calls, CSAT on `csat`.
fn survey_center(dir: &std::path::Path, csat: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = std::fs::read_to_string(root.join("config/demo.toml")).unwrap();
    let flow = root.join("flows/survey.toml");
    let path = dir.join("center.toml");
    std::fs::write(
        &path,
        format!(
            "{demo}\n[[surveys]]\nqueue = \"sales\"\nflow = \"{}\"\ncsat = \"{csat}\"\n",
            flow.display()
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_caller_answers_the_survey_after_the_agent_hangs_up_at_the_desk() {
    use std::time::{Duration, Instant};

    use crate::serve::{ADMIN, http, json_of, serve, token, wait_for_state};

    let dir = tempfile::tempdir().unwrap();
    let config = survey_center(dir.path(), "rate");
    let server = serve(&dir.path().join("data"), &["--config", &config]);
    let port = server.port;
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let ada = json_of(&body)[0]["agent"].as_str().unwrap().to_owned();
    let me = token(port, "agent", Some(&ada));
    let act = |body: &str| {
        let (status, text) = http(
            port,
            "POST",
            &format!("/api/agents/{ada}/actions"),
            Some(&me),
            Some(body),
        );
        assert_eq!(status, 200, "{body}: {text}");
    };
    act(r#"{"action": "log_in"}"#);
    act(r#"{"action": "ready"}"#);
    wait_for_state(port, &ada, &me, "available");
    // 1 for sales in the number's menu; then 5 (rating), 1 (would recommend), 42.
    let (status, text) = http(
        port,
        "POST",
        "/api/calls",
        Some(ADMIN),
        Some(
            r#"{"number": "+18005550100", "caller": "+15555550123", "digits": "15142", "patience_s": 60}"#,
        ),
    );
    assert_eq!(status, 200, "{text}");
    let call = json_of(&text)["call"].as_str().unwrap().to_owned();
    wait_for_state(port, &ada, &me, "reserved");
    act(r#"{"action": "accept"}"#);
    wait_for_state(port, &ada, &me, "busy");
    let (status, text) = http(
        port,
        "POST",
        &format!("/api/calls/{call}/actions"),
        Some(&me),
        Some(r#"{"action": "hang_up"}"#),
    );
    assert_eq!(status, 200, "{text}");
    let analyst = token(port, "analyst", None);
    let sql = r#"{"sql": "SELECT question, answer, csat, survey_status FROM surveys ORDER BY answered_at"}"#;
    let deadline = Instant::now() + Duration::from_secs(40);
    let rows = loop {
        let (status, body) = http(port, "POST", "/api/sql", Some(&analyst), Some(sql));
        assert_eq!(status, 200, "{body}");
        let v = json_of(&body);
        let rows = v["rows"].as_array().unwrap().clone();
        if rows.len() == 3 && rows[2]["survey_status"] == "completed" {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "the survey did not complete: {body}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let got: Vec<(String, String, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["question"].as_str().unwrap().to_owned(),
                r["answer"].as_str().unwrap().to_owned(),
                r["csat"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("rate".to_owned(), "5".to_owned(), true),
            ("recommend".to_owned(), "1".to_owned(), false),
            ("reason".to_owned(), "42".to_owned(), false),
        ]
    );
    let (_, body) = http(
        port,
        "POST",
        "/api/sql",
        Some(&analyst),
        Some(r#"{"sql": "SELECT agent, rated, csat FROM csat_by_agent"}"#),
    );
    let v = json_of(&body);
    assert_eq!(v["rows"][0]["agent"], ada.as_str(), "{body}");
    assert_eq!(
        (
            v["rows"][0]["rated"].as_i64(),
            v["rows"][0]["csat"].as_f64()
        ),
        (Some(1), Some(1.0))
    );
}

#[test]
fn a_survey_whose_csat_node_is_missing_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = survey_center(dir.path(), "stars");
    let out = hotline(
        &dir.path().join("data"),
        &[
            "serve",
            "--config",
            &config,
            "--listen",
            "127.0.0.1:0",
            "--sql-listen",
            "off",
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("survey of sales") && err.contains("`stars`"),
        "{err}"
    );
}
