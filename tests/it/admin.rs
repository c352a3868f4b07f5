//! Agent administration and supervisors' hands on agents, through the real binary: an
//! agent registered over the API logs in and takes a call, a supervisor's move changes
//! routing at once, a logged-in agent is not removed, the roster survives a restart, bad
//! requests name their field and change nothing; and the wallboard's campaign tiles.

use std::time::Duration;

use hotline_events::{
    AttemptOutcome, CallId, CampaignEvent, CampaignId, DialMode, LeadId, NewEvent, Timestamp,
};
use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};
use serde_json::{Value, json};

use crate::all_events;
use crate::serve::{ADMIN, Server, http, json_of, serve, token, wait_for_state};

/// Stops a server as Ctrl-C does and waits for it: the log is closed when this returns.
fn stop(mut server: Server) {
    server.interrupt();
}

fn send(port: u16, method: &str, path: &str, tok: &str, body: Value) -> (u16, Value) {
    let body = body.to_string();
    let (status, text) = http(port, method, path, Some(tok), Some(&body));
    let v = if text.trim().is_empty() {
        Value::Null
    } else {
        json_of(&text)
    };
    (status, v)
}

fn agents(port: u16) -> Vec<Value> {
    let (status, text) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    assert_eq!(status, 200, "{text}");
    json_of(&text).as_array().unwrap().clone()
}

fn place_call(port: u16, digits: &str) -> String {
    let (status, v) = send(
        port,
        "POST",
        "/api/calls",
        ADMIN,
        json!({"number": "+18005550100", "caller": "+15555550123", "digits": digits}),
    );
    assert_eq!(status, 200, "{v}");
    v["call"].as_str().unwrap().to_owned()
}

#[test]
fn an_agent_registered_over_the_api_works_is_moved_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (status, hedy) = send(
        port,
        "POST",
        "/api/agents",
        ADMIN,
        json!({"login": "katherine", "name": "Hedy Lamarr", "extension": "2101",
               "skills": [{"name": "billing", "level": 7}], "queues": ["billing"]}),
    );
    assert_eq!(status, 201, "{hedy}");
    assert_eq!(hedy["source"], "api");
    assert_eq!(hedy["skills"], json!([{"name": "billing", "level": 7}]));
    let id = hedy["agent"].as_str().unwrap().to_owned();
    assert!(agents(port).iter().any(|a| a["agent"] == id.as_str()));

    // She logs in with her own token and takes a billing call (IVR digit 3).
    let me = token(port, "agent", Some(&id));
    let act = |body: Value| {
        let (status, v) = send(
            port,
            "POST",
            &format!("/api/agents/{id}/actions"),
            &me,
            body,
        );
        assert_eq!(status, 200, "{v}");
        v
    };
    act(json!({"action": "log_in"}));
    act(json!({"action": "ready"}));
    wait_for_state(port, &id, &me, "available");
    let call = place_call(port, "3");
    wait_for_state(port, &id, &me, "reserved");
    assert_eq!(act(json!({"action": "accept"}))["call"], call.as_str());
    wait_for_state(port, &id, &me, "busy");
    let (status, v) = send(
        port,
        "POST",
        &format!("/api/calls/{call}/actions"),
        &me,
        json!({"action": "hang_up"}),
    );
    assert_eq!(status, 200, "{v}");
    wait_for_state(port, &id, &me, "wrapping_up");
    act(json!({"action": "wrap_up", "disposition": "resolved"}));
    wait_for_state(port, &id, &me, "available");

    // A sales call (digit 1) waits: nobody logged in takes sales. The supervisor moves her
    // to sales, and the waiting call rings at her at once.
    let boss = token(port, "supervisor", None);
    let _sales_call = place_call(port, "1");
    std::thread::sleep(Duration::from_millis(1500));
    wait_for_state(port, &id, &me, "available");
    let path = format!("/api/agents/{id}/queues");
    let (status, v) = send(
        port,
        "PUT",
        &path,
        &boss,
        json!({"queues": ["sales", "billing"]}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["queues"], json!(["sales", "billing"]));
    wait_for_state(port, &id, &me, "reserved");

    // Not removed while logged in: 409, saying why.
    let (status, v) = send(
        port,
        "DELETE",
        &format!("/api/agents/{id}"),
        ADMIN,
        json!(null),
    );
    assert_eq!(status, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("logged in"), "{v}");

    // Skills and a rename; then a second agent, logged in, forced out, and removed.
    let (status, v) = send(
        port,
        "PUT",
        &format!("/api/agents/{id}/skills"),
        &boss,
        json!({"skills": [{"name": "billing", "level": 9}, {"name": "spanish", "level": 4}]}),
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = send(
        port,
        "PATCH",
        &format!("/api/agents/{id}"),
        ADMIN,
        json!({"name": "Hedy K. Lamarr"}),
    );
    assert_eq!(
        (status, v["name"].as_str()),
        (200, Some("Hedy K. Lamarr")),
        "{v}"
    );
    let (status, linus) = send(
        port,
        "POST",
        "/api/agents",
        ADMIN,
        json!({"login": "linus", "name": "Linus", "queues": ["support"],
               "skills": [{"name": "tech", "level": 5}]}),
    );
    assert_eq!(status, 201, "{linus}");
    let linus = linus["agent"].as_str().unwrap().to_owned();
    let (status, v) = send(
        port,
        "POST",
        &format!("/api/agents/{linus}/actions"),
        &boss,
        json!({"action": "log_in"}),
    );
    assert_eq!(status, 200, "{v}");
    let state = format!("/api/agents/{linus}/state");
    let (status, v) = send(
        port,
        "PUT",
        &state,
        &boss,
        json!({"state": "not_ready", "reason": "meeting"}),
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = send(port, "PUT", &state, &boss, json!({"state": "logged_out"}));
    assert_eq!(status, 200, "{v}");
    let (status, v) = send(
        port,
        "DELETE",
        &format!("/api/agents/{linus}"),
        ADMIN,
        json!(null),
    );
    assert_eq!(status, 200, "{v}");
    assert!(!agents(port).iter().any(|a| a["agent"] == linus.as_str()));
    let (status, v) = send(
        port,
        "POST",
        &format!("/api/agents/{linus}/actions"),
        &boss,
        json!({"action": "log_in"}),
    );
    assert_eq!(status, 404, "a removed agent cannot log in: {v}");

    // Restart: Hedy is on the roster with her edits, and logs in; Linus is not.
    stop(server);
    let events = all_events(dir.path());
    let of = |t: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e.event_type == t)
            .map(|e| e.data.clone())
            .collect()
    };
    assert!(
        of("registered")
            .iter()
            .any(|d| d.contains("\"by\":\"admin\"") && d.contains("katherine"))
    );
    assert!(
        of("queues_changed")
            .iter()
            .any(|d| d.contains("\"by\":\"test supervisor\""))
    );
    assert!(
        of("not_ready")
            .iter()
            .any(|d| d.contains("\"reason\":\"meeting\",\"by\":\"test supervisor\""))
    );
    assert!(
        of("logged_out")
            .iter()
            .any(|d| d.contains("\"by\":\"test supervisor\""))
    );
    assert_eq!(of("removed").len(), 1);
    assert_eq!(of("renamed").len(), 1);

    let server = serve(dir.path(), &[]);
    let port = server.port;
    let roster = agents(port);
    let hedy = roster
        .iter()
        .find(|a| a["agent"] == id.as_str())
        .unwrap_or_else(|| panic!("Hedy is gone after a restart: {roster:?}"));
    assert_eq!(hedy["name"], "Hedy K. Lamarr");
    assert_eq!(hedy["queues"], json!(["sales", "billing"]));
    assert_eq!(
        hedy["skills"],
        json!([{"name": "billing", "level": 9}, {"name": "spanish", "level": 4}])
    );
    assert!(!roster.iter().any(|a| a["agent"] == linus.as_str()));
    // Her call was cut by the restart (system_restart); she is still logged in, on the
    // roster, and her token still works.
    let (status, v) = send(port, "GET", &format!("/api/agents/{id}"), &me, json!(null));
    assert_eq!(status, 200, "{v}");
    // Registering her login again is refused, naming the field.
    let (status, v) = send(
        port,
        "POST",
        "/api/agents",
        ADMIN,
        json!({"login": "katherine", "name": "Another Hedy"}),
    );
    assert_eq!((status, v["field"].as_str()), (409, Some("login")), "{v}");
}

#[test]
fn bad_agent_requests_are_4xx_naming_the_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let ada = agents(port)[0]["agent"].as_str().unwrap().to_owned();
    let head_before = all_events(dir.path()).len();
    let ok = |extra: Value| {
        let mut v = json!({"login": "katherine", "name": "Hedy", "queues": ["billing"],
                           "skills": [{"name": "billing", "level": 5}]});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases: Vec<(&str, String, Value, u16, Option<&str>)> = vec![
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"skills": [{"name": "juggling", "level": 5}]})),
            400,
            Some("skills[0].name"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"skills": [{"name": "billing", "level": 0}]})),
            400,
            Some("skills[0].level"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"skills": [{"name": "billing", "level": 11}]})),
            400,
            Some("skills[0].level"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"skills": [{"name": "billing", "level": 300}]})),
            400,
            Some("skills[0].level"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(
                json!({"skills": [{"name": "billing", "level": 2}, {"name": "billing", "level": 3}]}),
            ),
            400,
            Some("skills[1].name"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"queues": ["billing", "nowhere"]})),
            400,
            Some("queues[1]"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"login": "Hedy Lamarr"})),
            400,
            Some("login"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"login": "ada"})),
            409,
            Some("login"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"name": "  "})),
            400,
            Some("name"),
        ),
        (
            "POST",
            "/api/agents".into(),
            ok(json!({"colour": "red"})),
            400,
            Some("colour"),
        ),
        (
            "POST",
            "/api/agents".into(),
            json!({"name": "Hedy"}),
            400,
            Some("login"),
        ),
        (
            "PATCH",
            format!("/api/agents/{ada}"),
            json!({}),
            400,
            Some("name"),
        ),
        (
            "PATCH",
            format!("/api/agents/{ada}"),
            json!({"queues": ["nowhere"]}),
            400,
            Some("queues[0]"),
        ),
        (
            "PATCH",
            format!("/api/agents/{ada}"),
            json!({"skills": [{"name": "tech", "level": -1}]}),
            400,
            Some("skills[0].level"),
        ),
        (
            "PATCH",
            "/api/agents/not-a-uuid".into(),
            json!({"name": "X"}),
            400,
            Some("agent"),
        ),
        (
            "PATCH",
            "/api/agents/0190c3d2-7b3a-7cc0-8000-000000000099".into(),
            json!({"name": "X"}),
            404,
            None,
        ),
        (
            "DELETE",
            "/api/agents/0190c3d2-7b3a-7cc0-8000-000000000099".into(),
            json!(null),
            404,
            None,
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/state"),
            json!({"state": "dancing"}),
            400,
            Some("state"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/state"),
            json!({"state": "not_ready"}),
            400,
            Some("reason"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/state"),
            json!({"state": "ready", "reason": "x"}),
            400,
            Some("reason"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/state"),
            json!({"state": "ready"}),
            409,
            None,
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/queues"),
            json!({"queues": ["sales", "sales"]}),
            400,
            Some("queues[1]"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/queues"),
            json!({}),
            400,
            Some("queues"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/skills"),
            json!({"skills": [{"name": "tech"}]}),
            400,
            // Missing, named by its path like the values checked after parsing.
            Some("skills[0].level"),
        ),
        (
            "PUT",
            format!("/api/agents/{ada}/skills"),
            json!({"skills": [{"name": "tech", "level": "high"}]}),
            400,
            None,
        ),
    ];
    for (method, path, body, status, field) in &cases {
        let (got, v) = send(port, method, path, ADMIN, body.clone());
        assert_eq!(got, *status, "{method} {path} {body}: {v}");
        assert!(v["error"].is_string(), "{v}");
        if let Some(f) = field {
            assert_eq!(v["field"].as_str(), Some(*f), "{method} {path} {body}: {v}");
        }
    }
    // Nothing was written by any of it, and the roster is as the file says.
    assert!(!agents(port).iter().any(|a| a["login"] == "katherine"));
    drop(server);
    assert_eq!(all_events(dir.path()).len(), head_before);
}

/// Appends `events` to one campaign's stream, with the server stopped (one writer).
fn append_campaign(dir: &std::path::Path, campaign: CampaignId, events: Vec<CampaignEvent>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = SqliteLog::open(dir).unwrap();
        let now = Timestamp::from_datetime(chrono::Utc::now());
        let batch = events.into_iter().map(|e| NewEvent::new(e, now)).collect();
        log.append(&campaign.stream(), ExpectedVersion::Any, batch)
            .await
            .unwrap();
        log.close().await.unwrap();
    });
}

/// A running campaign with seven dials today: three connected, one abandoned, one
/// machine, one unanswered, one in flight. Appended with the server stopped.
pub(crate) fn sample_campaign(dir: &std::path::Path) -> CampaignId {
    let campaign = CampaignId::from_uuid(uuid::Uuid::now_v7());
    let mut events = vec![
        CampaignEvent::Created {
            name: "Winter renewals".into(),
            dial_mode: DialMode::Predictive,
            max_abandon_rate: 0.03,
        },
        CampaignEvent::Started,
    ];
    let outcomes = [
        Some(AttemptOutcome::Connected),
        Some(AttemptOutcome::Connected),
        Some(AttemptOutcome::Connected),
        Some(AttemptOutcome::Abandoned),
        Some(AttemptOutcome::AnsweringMachine),
        Some(AttemptOutcome::NoAnswer),
        None,
    ];
    for (n, outcome) in outcomes.into_iter().enumerate() {
        let lead = LeadId::from_uuid(uuid::Uuid::now_v7());
        let call = CallId::from_uuid(uuid::Uuid::now_v7());
        events.push(CampaignEvent::AttemptDialed {
            lead,
            call,
            number: format!("+4420718387{n:02}"),
            attempt: 1,
        });
        if let Some(outcome) = outcome {
            events.push(CampaignEvent::AttemptEnded {
                lead,
                call,
                outcome,
            });
        }
    }
    append_campaign(dir, campaign, events);
    campaign
}

#[test]
fn the_boards_carry_a_tile_per_campaign_from_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    // No campaigns: no tiles (the wallboard hides the row).
    let server = serve(dir.path(), &[]);
    let (status, text) = http(server.port, "GET", "/api/boards", Some(ADMIN), None);
    assert_eq!(status, 200, "{text}");
    assert_eq!(json_of(&text)["campaigns"], json!([]));
    stop(server);

    let campaign = sample_campaign(dir.path());

    let server = serve(dir.path(), &[]);
    let (status, text) = http(server.port, "GET", "/api/boards", Some(ADMIN), None);
    assert_eq!(status, 200, "{text}");
    let tiles = json_of(&text)["campaigns"].clone();
    assert_eq!(tiles.as_array().map(Vec::len), Some(1), "{tiles}");
    let t = &tiles[0];
    assert_eq!(t["campaign"], campaign.to_string().as_str());
    assert_eq!(t["name"], "Winter renewals");
    assert_eq!(t["status"], "running");
    assert_eq!(
        [
            &t["dialed"],
            &t["answered_by_person"],
            &t["machines"],
            &t["abandoned"],
            &t["in_flight"]
        ],
        [&json!(7), &json!(4), &json!(1), &json!(1), &json!(1)],
        "{t}"
    );
    assert_eq!(
        t["abandon_rate"],
        json!(0.25),
        "abandoned over answered by a person: {t}"
    );
    assert_eq!(t["max_abandon_rate"], json!(0.03));
    // The wallboard page draws campaign tiles from the same document.
    let (status, page) = http(server.port, "GET", "/wallboard", None, None);
    assert_eq!(status, 200);
    assert!(
        page.contains("b.campaigns") && page.contains("data-campaign"),
        "{page}"
    );
}
