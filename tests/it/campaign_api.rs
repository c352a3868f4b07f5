//! The campaigns API of `hotline serve`: a campaign created, its list worked (a lead added,
//! edited, removed; a CSV imported with a bad row reported by line), its dialer started and
//! paused, every bad body a 4xx naming the field with nothing changed, each endpoint's
//! roles, and the campaigns of the log running again after a restart.

use serde_json::{Value, json};

use crate::serve::{ADMIN, http, json_of, serve, token};

fn call(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let (status, text) = http(port, method, path, Some(ADMIN), body);
    let value = if text.trim().is_empty() {
        Value::Null
    } else {
        json_of(&text)
    };
    (status, value)
}

#[test]
fn a_campaign_is_created_its_list_worked_and_its_dialer_started_and_paused() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;

    // Bad bodies: 400 naming the field, and no campaign appears.
    let (status, e) = call(port, "POST", "/api/campaigns", Some(r#"{"name": " "}"#));
    assert_eq!((status, e["field"].as_str()), (400, Some("name")), "{e}");
    let (status, e) = call(
        port,
        "POST",
        "/api/campaigns",
        Some(r#"{"name": "x", "colour": "red"}"#),
    );
    assert_eq!((status, e["field"].as_str()), (400, Some("colour")), "{e}");
    let mut settings = json!({
        "dial_mode": "progressive",
        "max_abandon_rate": 0.5,
        "calling_hours": {"from": "08:00", "to": "21:00"},
        "retries": [{"outcome": "busy", "delay_ms": 600000, "max_attempts": 3}],
        "dispositions": [{"name": "sale", "effect": "close"}],
        "callback_grace_ms": 900000
    });
    let body = json!({"name": "Winter", "settings": settings}).to_string();
    let (status, e) = call(port, "POST", "/api/campaigns", Some(&body));
    assert_eq!(
        (status, e["field"].as_str()),
        (400, Some("settings.max_abandon_rate")),
        "{e}"
    );
    let (_, list) = call(port, "GET", "/api/campaigns", None);
    assert_eq!(list, json!([]));

    settings["max_abandon_rate"] = json!(0.03);
    let body = json!({"name": "Winter", "settings": settings}).to_string();
    let (status, created) = call(port, "POST", "/api/campaigns", Some(&body));
    assert_eq!(status, 201, "{created}");
    let id = created["campaign"].as_str().unwrap().to_owned();
    let base = format!("/api/campaigns/{id}");

    // Leads: the number checked and placed in its zone by its area code.
    let leads = format!("{base}/leads");
    let (status, e) = call(port, "POST", &leads, Some(r#"{"phone": "212 555"}"#));
    assert_eq!((status, e["field"].as_str()), (400, Some("phone")), "{e}");
    let (status, lead) = call(
        port,
        "POST",
        &leads,
        Some(r#"{"phone": "+1 213 555 0100"}"#),
    );
    assert_eq!(status, 201, "{lead}");
    assert_eq!(lead["phone"], "+12135550100");
    assert_eq!(lead["time_zones"], json!(["America/Los_Angeles"]));
    let (status, e) = call(port, "POST", &leads, Some(r#"{"phone": "+12135550100"}"#));
    assert_eq!(status, 409, "the same number twice: {e}");
    let lead_path = format!("{leads}/{}", lead["lead"].as_str().unwrap());
    let (status, e) = call(port, "PATCH", &lead_path, Some(r#"{"priority": 12}"#));
    assert_eq!(
        (status, e["field"].as_str()),
        (400, Some("priority")),
        "{e}"
    );
    let (status, e) = call(port, "PATCH", &lead_path, Some(r#"{"priority": 5}"#));
    assert_eq!(status, 200, "{e}");

    // A CSV body: good rows kept, the bad one reported by its line.
    let csv =
        "phone,priority,name\n+1 312 555 0101,2,Ada\nnot a number,,Bob\n+44 20 7183 8750,,Cy\n";
    let (status, text) = http(
        port,
        "POST",
        &format!("{leads}/import"),
        Some(ADMIN),
        Some(csv),
    );
    assert_eq!(status, 200, "{text}");
    let imported = json_of(&text);
    assert_eq!(
        (imported["accepted"].as_u64(), imported["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        imported["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("body:3: phone"),
        "{imported}"
    );
    let (status, e) = http(
        port,
        "POST",
        &format!("{leads}/import"),
        Some(ADMIN),
        Some("name\nAda\n"),
    );
    assert_eq!(status, 400, "a body with no phone column: {e}");
    assert_eq!(json_of(&e)["field"], "body");

    let (status, e) = call(port, "DELETE", &lead_path, None);
    assert_eq!(status, 200, "{e}");
    let (status, shown) = call(port, "GET", &base, None);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["leads"].as_array().unwrap().len(), 2, "{shown}");
    assert_eq!(shown["status"], "created");
    assert_eq!(shown["settings"]["dial_mode"], "progressive");

    // The dialer: started, paused (the rules change only then), not started twice.
    let actions = format!("{base}/actions");
    let (status, e) = call(port, "POST", &actions, Some(r#"{"action": "launch"}"#));
    assert_eq!(status, 400, "{e}");
    let (status, a) = call(port, "POST", &actions, Some(r#"{"action": "start"}"#));
    assert_eq!(
        (status, a["status"].as_str()),
        (200, Some("running")),
        "{a}"
    );
    let body = settings.to_string();
    let (status, e) = call(port, "PUT", &format!("{base}/settings"), Some(&body));
    assert_eq!(status, 409, "rules change only while not dialing: {e}");
    let (status, a) = call(port, "POST", &actions, Some(r#"{"action": "pause"}"#));
    assert_eq!((status, a["status"].as_str()), (200, Some("paused")), "{a}");
    let (status, e) = call(port, "PUT", &format!("{base}/settings"), Some(&body));
    assert_eq!(status, 200, "{e}");
    let (status, e) = call(port, "POST", &actions, Some(r#"{"action": "start"}"#));
    assert_eq!(status, 409, "{e}");
    let (status, list) = call(port, "GET", "/api/campaigns", None);
    assert_eq!(status, 200);
    assert_eq!(list[0]["campaign"], id.as_str());
    assert!(list[0]["board"]["dialed"].is_u64(), "{list}");
    drop(server);

    // A restart runs the campaigns of the log again, where their streams left them.
    let server = serve(dir.path(), &[]);
    let (status, shown) = call(server.port, "GET", &base, None);
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["status"], "paused");
    let (status, a) = call(
        server.port,
        "POST",
        &format!("{base}/actions"),
        Some(r#"{"action": "stop"}"#),
    );
    assert_eq!(
        (status, a["status"].as_str()),
        (200, Some("stopped")),
        "{a}"
    );
}

#[test]
fn campaign_endpoints_answer_each_role() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let a1 = json_of(&body)[0]["agent"].as_str().unwrap().to_owned();
    let tokens = [
        ("administrator", ADMIN.to_owned()),
        ("supervisor", token(port, "supervisor", None)),
        ("agent", token(port, "agent", Some(&a1))),
        ("analyst", token(port, "analyst", None)),
        ("auditor", token(port, "auditor", None)),
    ];
    let (_, created) = call(port, "POST", "/api/campaigns", Some(r#"{"name": "Roles"}"#));
    let id = created["campaign"].as_str().unwrap().to_owned();
    let base = format!("/api/campaigns/{id}");
    let (_, lead) = call(
        port,
        "POST",
        &format!("{base}/leads"),
        Some(r#"{"phone": "+12125550142"}"#),
    );
    let lead = format!("{base}/leads/{}", lead["lead"].as_str().unwrap());
    let settings = json!({
        "dial_mode": "predictive", "max_abandon_rate": 0.03,
        "calling_hours": {"from": "09:00", "to": "20:00"}, "retries": [],
        "dispositions": [{"name": "sale", "effect": "close"}], "callback_grace_ms": 60000
    })
    .to_string();
    let leads = format!("{base}/leads");
    let import = format!("{base}/leads/import");
    let settings_path = format!("{base}/settings");
    let actions = format!("{base}/actions");
    let run = [true, true, false, false, false];
    let read = [true, true, false, true, false];
    let cases: Vec<(&str, &str, Option<&str>, [bool; 5])> = vec![
        ("GET", "/api/campaigns", None, read),
        (
            "POST",
            "/api/campaigns",
            Some(r#"{"name": "Another"}"#),
            run,
        ),
        ("GET", &base, None, read),
        ("PUT", &settings_path, Some(&settings), run),
        ("POST", &actions, Some(r#"{"action": "pause"}"#), run),
        ("POST", &leads, Some(r#"{"phone": "+12125550143"}"#), run),
        ("POST", &import, Some("phone\n+12125550144\n"), run),
        ("PATCH", &lead, Some(r#"{"priority": 4}"#), run),
    ];
    for (method, path, body, allowed) in &cases {
        let (status, text) = http(port, method, path, None, *body);
        assert_eq!(status, 401, "{method} {path} without a token: {text}");
        for ((role, tok), ok) in tokens.iter().zip(allowed) {
            let (status, text) = http(port, method, path, Some(tok), *body);
            // Allowed: done, or refused by the campaign's rules (409: not running, the
            // number already listed), never 401 or 403.
            let expected: &[u16] = if *ok { &[200, 201, 409] } else { &[403] };
            assert!(
                expected.contains(&status),
                "{method} {path} as {role}: {status} {text}"
            );
        }
    }
    // Removing: the forbidden roles first, then the allowed one that removes it.
    for (role, tok) in &tokens[2..] {
        let (status, text) = http(port, "DELETE", &lead, Some(tok), None);
        assert_eq!(status, 403, "DELETE as {role}: {text}");
    }
    let (status, text) = http(port, "DELETE", &lead, Some(&tokens[1].1), None);
    assert_eq!(status, 200, "DELETE as supervisor: {text}");
    // Every campaign endpoint is in the OpenAPI document, with its method.
    let (_, text) = http(port, "GET", "/api/openapi.json", None, None);
    let doc = json_of(&text);
    let lead_id = lead.rsplit('/').next().unwrap();
    for (method, path) in cases
        .iter()
        .map(|(m, p, _, _)| (*m, *p))
        .chain([("DELETE", lead.as_str())])
    {
        let template = path.replace(lead_id, "{lead}").replace(&id, "{campaign}");
        assert!(
            doc["paths"][&template][method.to_lowercase()].is_object(),
            "{method} {template} is not in /api/openapi.json"
        );
    }
}

#[test]
fn an_agent_previews_a_lead_dials_it_and_dispositions_only_a_connected_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let agents = json_of(&body);
    let a1 = agents[0]["agent"].as_str().unwrap().to_owned();
    let a2 = agents[1]["agent"].as_str().unwrap().to_owned();
    let agent = token(port, "agent", Some(&a1));
    let analyst = token(port, "analyst", None);
    // Calling hours all day, so the test passes whatever the time in New York.
    let body = json!({"name": "Preview", "settings": {
        "dial_mode": "preview", "max_abandon_rate": 0.03,
        "calling_hours": {"from": "00:00", "to": "24:00"}, "retries": [],
        "dispositions": [{"name": "sale", "effect": "close"}], "callback_grace_ms": 60000
    }})
    .to_string();
    let (status, created) = call(port, "POST", "/api/campaigns", Some(&body));
    assert_eq!(status, 201, "{created}");
    let base = format!("/api/campaigns/{}", created["campaign"].as_str().unwrap());
    let (_, lead) = call(
        port,
        "POST",
        &format!("{base}/leads"),
        Some(r#"{"phone": "+12125550101"}"#),
    );
    let lead_id = lead["lead"].as_str().unwrap().to_owned();
    call(
        port,
        "POST",
        &format!("{base}/actions"),
        Some(r#"{"action": "start"}"#),
    );

    let preview = format!("{base}/preview");
    let (status, text) = http(port, "POST", &preview, Some(&analyst), Some("{}"));
    assert_eq!(status, 403, "{text}");
    let other = json!({"agent": a2}).to_string();
    let (status, text) = http(port, "POST", &preview, Some(&agent), Some(&other));
    assert_eq!(status, 403, "an agent previews for itself only: {text}");
    let (status, text) = http(port, "POST", &preview, Some(ADMIN), Some("{}"));
    assert_eq!(
        (status, json_of(&text)["field"].as_str()),
        (400, Some("agent")),
        "{text}"
    );
    let (status, text) = http(port, "POST", &preview, Some(&agent), Some("{}"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(json_of(&text)["lead"]["lead"], lead_id.as_str(), "{text}");

    let dial = format!("{base}/leads/{lead_id}/dial");
    let (status, text) = http(port, "POST", &dial, Some(&agent), Some("{}"));
    assert_eq!(status, 200, "{text}");
    let call_id = json_of(&text)["call"].as_str().unwrap().to_owned();
    let (status, text) = http(port, "POST", &dial, Some(&agent), Some("{}"));
    assert_eq!(
        status, 409,
        "a lead with a line in flight is not dialed twice: {text}"
    );

    let disposition = format!("{base}/leads/{lead_id}/disposition");
    let (status, text) = http(
        port,
        "POST",
        &disposition,
        Some(&agent),
        Some(r#"{"call": "nope", "disposition": "sale"}"#),
    );
    assert_eq!(
        (status, json_of(&text)["field"].as_str()),
        (400, Some("call")),
        "{text}"
    );
    let body = json!({"call": call_id, "disposition": "sale"}).to_string();
    let (status, text) = http(port, "POST", &disposition, Some(&agent), Some(&body));
    assert_eq!(
        status, 409,
        "the call is still ringing, not connected: {text}"
    );
    // Every desk endpoint is in the OpenAPI document.
    let (_, text) = http(port, "GET", "/api/openapi.json", None, None);
    let doc = json_of(&text);
    for path in [
        "/api/campaigns/{campaign}/preview",
        "/api/campaigns/{campaign}/leads/{lead}/dial",
        "/api/campaigns/{campaign}/leads/{lead}/disposition",
    ] {
        assert!(doc["paths"][path]["post"].is_object(), "{path}");
    }
}

/// A list of national numbers: the API's import takes the country as `?region=`, as the
/// command line's does as `--region`, and a number without a country code says how to
/// give it there (never the command line's flag, which an API client has no way to pass).
#[test]
fn an_imported_list_of_national_numbers_takes_its_country_as_region() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (status, created) = call(port, "POST", "/api/campaigns", Some(r#"{"name": "US"}"#));
    assert_eq!(status, 201, "{created}");
    let leads = format!(
        "/api/campaigns/{}/leads",
        created["campaign"].as_str().unwrap()
    );
    let import = format!("{leads}/import");
    let csv = "phone,name\n(212) 555-2368,Grace\n";

    let (status, text) = http(port, "POST", &import, Some(ADMIN), Some(csv));
    assert_eq!(status, 200, "{text}");
    let answer = json_of(&text);
    assert_eq!(answer["rejected"], 1, "{answer}");
    let problem = answer["problems"][0].as_str().unwrap();
    assert!(
        problem.starts_with("body:2: phone:")
            && problem.contains("?region=")
            && !problem.contains("--region"),
        "{problem}"
    );

    let (status, text) = http(
        port,
        "POST",
        &format!("{import}?region=XX1"),
        Some(ADMIN),
        Some(csv),
    );
    assert_eq!(status, 400, "{text}");
    assert_eq!(json_of(&text)["field"], "region", "{text}");

    let (status, text) = http(
        port,
        "POST",
        &format!("{import}?region=us"),
        Some(ADMIN),
        Some(csv),
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(json_of(&text)["accepted"], 1, "{text}");
    let (_, shown) = call(port, "GET", &leads.replace("/leads", ""), None);
    let phones: Vec<&str> = shown["leads"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["phone"].as_str())
        .collect();
    assert_eq!(phones, ["+12125552368"], "{shown}");

    // One lead at a time takes international numbers only: the refusal says so alone.
    let (status, e) = call(port, "POST", &leads, Some(r#"{"phone": "(312) 555-0101"}"#));
    assert_eq!((status, e["field"].as_str()), (400, Some("phone")), "{e}");
    let error = e["error"].as_str().unwrap();
    assert!(
        error.contains("no country code") && !error.contains("--region"),
        "{error}"
    );
}
