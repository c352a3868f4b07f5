//! `hotline serve`: the real binary on a free port, driven over HTTP as a browser or a
//! script would: the role matrix, bad requests, the board feed under demo traffic, the
//! access log of customer reads, and a clean stop on Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{all_events, hotline, stderr};

pub(crate) const ADMIN: &str = "hl_test_administrator_token_0123456789";

/// A running `hotline serve`, stopped (killed) when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) out: Vec<String>,
}

impl Server {
    /// Stops the server as Ctrl-C does and waits for its clean exit: the log is closed
    /// when this returns.
    pub(crate) fn interrupt(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "hotline serve did not stop on Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(dir: &Path, extra: &[&str]) -> Server {
    serve_with_env(dir, extra, &[])
}

/// [`serve`] with more environment variables (a recording key).
pub(crate) fn serve_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--sql-listen", "off"];
    args.extend_from_slice(extra);
    start(dir, &args, env)
}

/// Starts `hotline ARGS` and reads its output down to the server's banner.
fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("HOTLINE_DATA_DIR")
        .env_remove("HOTLINE_LOG_URL")
        .env_remove("HOTLINE_RECORDING_KEY")
        .envs(env.iter().copied())
        .env("HOTLINE_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start hotline serve");
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::new();
    let mut line = String::new();
    // Down to "Hotline is serving on http://127.0.0.1:PORT" (a demo's morning comes first).
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "no banner: {out:?}"
        );
        if line.starts_with("Hotline is serving on") {
            break;
        }
        out.push(line.clone());
    }
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    out.push(line.clone());
    // The rest of the banner (URLs, tokens), down to its last line.
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        out.push(line.clone());
        if line.starts_with("Ctrl-C stops it") {
            break;
        }
    }
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
    });
    Server { child, port, out }
}

/// One HTTP/1.1 request; the status and the body (JSON when it parses).
pub(crate) fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    (status, body)
}

pub(crate) fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub(crate) fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub(crate) fn token(port: u16, role: &str, agent: Option<&str>) -> String {
    let mut req = json!({"role": role, "name": format!("test {role}")});
    if let Some(a) = agent {
        req["agent"] = json!(a);
    }
    let (status, body) = http(
        port,
        "POST",
        "/api/tokens",
        Some(ADMIN),
        Some(&req.to_string()),
    );
    assert_eq!(status, 200, "{body}");
    json_of(&body)["token"].as_str().unwrap().to_owned()
}

#[test]
fn every_endpoint_answers_each_role_as_the_matrix_says() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (status, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    assert_eq!(status, 200, "{body}");
    let agents = json_of(&body);
    let a1 = agents[0]["agent"].as_str().unwrap().to_owned();
    let a2 = agents[1]["agent"].as_str().unwrap().to_owned();
    let tokens = [
        ("administrator", ADMIN.to_owned()),
        ("supervisor", token(port, "supervisor", None)),
        ("agent", token(port, "agent", Some(&a1))),
        ("analyst", token(port, "analyst", None)),
        ("auditor", token(port, "auditor", None)),
    ];
    let sql = r#"{"sql": "SELECT count(*) AS n FROM calls"}"#;
    let not_ready = r#"{"action": "not_ready", "reason": "training"}"#;
    // (method, path, body, roles allowed: admin, supervisor, agent, analyst, auditor)
    let own = format!("/api/agents/{a1}");
    let other = format!("/api/agents/{a2}");
    let own_action = format!("/api/agents/{a1}/actions");
    let other_action = format!("/api/agents/{a2}/actions");
    // An agent for the administrator to remove (the others stay for the other cases).
    let (status, body) = http(
        port,
        "POST",
        "/api/agents",
        Some(ADMIN),
        Some(r#"{"login": "temp", "name": "Temp"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let temp = format!("/api/agents/{}", json_of(&body)["agent"].as_str().unwrap());
    let other_state = format!("/api/agents/{a2}/state");
    let other_queues = format!("/api/agents/{a2}/queues");
    let other_skills = format!("/api/agents/{a2}/skills");
    let cases: Vec<(&str, &str, Option<&str>, [bool; 5])> = vec![
        ("GET", "/api/me", None, [true, true, true, true, true]),
        ("GET", "/api/queues", None, [true, true, true, true, true]),
        ("GET", "/api/boards", None, [true, true, false, true, false]),
        (
            "GET",
            "/api/agents",
            None,
            [true, true, false, false, false],
        ),
        ("GET", &own, None, [true, true, true, false, false]),
        ("GET", &other, None, [true, true, false, false, false]),
        (
            "POST",
            &own_action,
            Some(r#"{"action": "log_in"}"#),
            [true, true, true, false, false],
        ),
        (
            "POST",
            &other_action,
            Some(not_ready),
            [true, true, false, false, false],
        ),
        (
            "POST",
            "/api/agents",
            Some(r#"{"login": "katherine", "name": "Katherine"}"#),
            [true, false, false, false, false],
        ),
        (
            "PATCH",
            &other,
            Some(r#"{"name": "Grace B. Hopper"}"#),
            [true, false, false, false, false],
        ),
        ("DELETE", &temp, None, [true, false, false, false, false]),
        (
            "PUT",
            &other_state,
            Some(r#"{"state": "not_ready", "reason": "meeting"}"#),
            [true, true, false, false, false],
        ),
        (
            "PUT",
            &other_queues,
            Some(r#"{"queues": ["support"]}"#),
            [true, true, false, false, false],
        ),
        (
            "PUT",
            &other_skills,
            Some(r#"{"skills": [{"name": "tech", "level": 4}]}"#),
            [true, true, false, false, false],
        ),
        ("GET", "/api/calls", None, [true, true, true, false, false]),
        (
            "GET",
            "/api/recordings",
            None,
            [true, true, false, false, true],
        ),
        (
            "GET",
            "/api/voicemail",
            None,
            [true, true, true, false, false],
        ),
        (
            "POST",
            "/api/sql",
            Some(sql),
            [true, false, false, true, true],
        ),
        ("GET", "/metrics", None, [true, true, false, false, false]),
        (
            "POST",
            "/api/tokens",
            Some(r#"{"role": "analyst", "name": "x"}"#),
            [true, false, false, false, false],
        ),
    ];
    for (method, path, body, allowed) in &cases {
        let (status, text) = http(port, method, path, None, *body);
        assert_eq!(status, 401, "{method} {path} without a token: {text}");
        for ((role, tok), ok) in tokens.iter().zip(allowed) {
            let (status, text) = http(port, method, path, Some(tok), *body);
            // Allowed: done (200), or refused by the agent's own rules (409: the other
            // agent is logged out, the agent is already logged in), never 401 or 403.
            let expected: &[u16] = if *ok { &[200, 201, 409] } else { &[403] };
            assert!(
                expected.contains(&status),
                "{method} {path} as {role}: {status} {text}"
            );
            if status >= 400 {
                assert!(json_of(&text)["error"].is_string(), "{text}");
            }
        }
    }
    // Every endpoint of the matrix is in the OpenAPI document, with its method.
    let (_, text) = http(port, "GET", "/api/openapi.json", None, None);
    let doc = json_of(&text);
    let temp_id = temp.rsplit('/').next().unwrap();
    for (method, path, _, _) in &cases {
        let template = path
            .replace(&a1, "{agent}")
            .replace(&a2, "{agent}")
            .replace(temp_id, "{agent}");
        assert!(
            doc["paths"][&template][method.to_lowercase()].is_object(),
            "{method} {template} is not in /api/openapi.json"
        );
    }
    let (status, text) = http(port, "GET", "/api/me", Some("hl_not_a_token_at_all"), None);
    assert_eq!(status, 401, "{text}");
    // Public documents.
    let (status, text) = http(port, "GET", "/api/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(json_of(&text)["paths"]["/api/sql"].is_object());
    let (status, text) = http(port, "GET", "/wallboard", None, None);
    assert_eq!(status, 200);
    assert!(text.contains("EventSource"), "{text}");
}

#[test]
fn bad_requests_are_4xx_naming_the_field_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let a1 = json_of(&body)[0]["agent"].as_str().unwrap().to_owned();
    let path = format!("/api/agents/{a1}/actions");
    let head_before = all_events(dir.path()).len();
    for (body, field) in [
        (r#"{"action": "not_ready"}"#, Some("reason")),
        (r#"{"action": "not_ready", "reason": "  "}"#, Some("reason")),
        (r#"{"action": "dance"}"#, None),
        (r#"{"action": "ready", "extra": 1}"#, Some("extra")),
        ("not json", None),
        (
            r#"{"action": "change_queues", "queues": ["nope"]}"#,
            Some("queues[0]"),
        ),
    ] {
        let (status, text) = http(port, "POST", &path, Some(ADMIN), Some(body));
        assert_eq!(status, 400, "{body}: {text}");
        let v = json_of(&text);
        assert!(v["error"].is_string(), "{text}");
        if let Some(f) = field {
            assert_eq!(v["field"], f, "{body}: {text}");
        }
    }
    // A value of the wrong type is named by its path in the body.
    for (method, path, body, field) in [
        (
            "PUT",
            format!("/api/agents/{a1}/skills"),
            r#"{"skills": "billing"}"#,
            "skills",
        ),
        (
            "PUT",
            format!("/api/agents/{a1}/skills"),
            r#"{"skills": [{"name": "billing", "level": "high"}]}"#,
            "skills[0].level",
        ),
        (
            "PATCH",
            format!("/api/agents/{a1}"),
            r#"{"name": 7}"#,
            "name",
        ),
    ] {
        let (status, text) = http(port, method, &path, Some(ADMIN), Some(body));
        assert_eq!(status, 400, "{body}: {text}");
        let v = json_of(&text);
        assert_eq!(v["field"], field, "{body}: {text}");
        assert!(v["error"].as_str().unwrap().contains(field), "{text}");
    }
    let (status, text) = http(
        port,
        "POST",
        "/api/agents/not-a-uuid/actions",
        Some(ADMIN),
        Some(r#"{"action":"ready"}"#),
    );
    assert_eq!(
        (status, json_of(&text)["field"].as_str()),
        (400, Some("agent")),
        "{text}"
    );
    let (status, _) = http(port, "GET", "/api/nothing-here", Some(ADMIN), None);
    assert_eq!(status, 404);
    // An action on a call that does not exist: 404 saying so (it said "no agent is on
    // this call", a 409, as if the call were there).
    let (status, text) = http(
        port,
        "POST",
        "/api/calls/00000000-0000-0000-0000-000000000000/actions",
        Some(ADMIN),
        Some(r#"{"action": "hang_up"}"#),
    );
    assert_eq!(status, 404, "{text}");
    assert!(
        json_of(&text)["error"]
            .as_str()
            .unwrap()
            .starts_with("no call "),
        "{text}"
    );
    // A test call's durations: each refusal names the field that was wrong.
    for (body, field) in [
        (
            r#"{"number": "+18005550100", "caller": "+15555550123", "talk_s": -3}"#,
            "talk_s",
        ),
        (
            r#"{"number": "+18005550100", "caller": "+15555550123", "patience_s": -1}"#,
            "patience_s",
        ),
    ] {
        let (status, text) = http(port, "POST", "/api/calls", Some(ADMIN), Some(body));
        assert_eq!(status, 400, "{body}: {text}");
        let v = json_of(&text);
        assert_eq!(v["field"], field, "{text}");
        assert!(v["error"].as_str().unwrap().starts_with(field), "{text}");
    }
    let (status, text) = http(
        port,
        "POST",
        "/api/sql",
        Some(ADMIN),
        Some(r#"{"sql": "DROP TABLE calls"}"#),
    );
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("read-only"), "{text}");
    // Nothing was written by any of it (the agent was never logged in).
    drop(server);
    assert_eq!(all_events(dir.path()).len(), head_before);
}

/// What a supervisor reads back is what the center file says: strategies by their
/// configuration names, and a refusal that says how to get past it.
#[test]
fn queues_show_their_strategies_as_the_center_file_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let port = server.port;
    let (status, body) = http(port, "GET", "/api/queues", Some(ADMIN), None);
    assert_eq!(status, 200, "{body}");
    let strategies: Vec<(String, String)> = json_of(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["queue"].as_str().unwrap().to_owned(),
                q["strategy"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // config/demo.toml: sales longest_idle, support skills, billing round_robin.
    let expected = [
        ("sales", "longest_idle"),
        ("support", "skills"),
        ("billing", "round_robin"),
    ]
    .map(|(q, s)| (q.to_owned(), s.to_owned()));
    assert_eq!(strategies, expected, "{body}");
    // Forcing the state of an agent who is not logged in: 409, saying what to do.
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let a1 = json_of(&body)[0]["agent"].as_str().unwrap().to_owned();
    let (status, text) = http(
        port,
        "PUT",
        &format!("/api/agents/{a1}/state"),
        Some(ADMIN),
        Some(r#"{"state": "not_ready", "reason": "meeting"}"#),
    );
    assert_eq!(status, 409, "{text}");
    let error = json_of(&text)["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("not logged in") && error.contains("log_in"),
        "{error}"
    );
}

/// An address already taken (another server, an earlier run still up): one line naming
/// the flag and what to do, the cause said once.
#[test]
fn a_listen_address_in_use_is_one_line_naming_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    // `sql` needs a log to serve: an empty one of its own (serve's refusals leave none).
    let with_log = tempfile::tempdir().unwrap();
    drop(hotline_infra::SqliteLog::open(with_log.path()).unwrap());
    for (args, flag) in [
        (
            vec!["serve", "--listen", addr.as_str(), "--sql-listen", "off"],
            "--listen",
        ),
        (
            vec![
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--sql-listen",
                addr.as_str(),
            ],
            "--sql-listen",
        ),
        (vec!["sql", "--listen", addr.as_str()], "--listen"),
    ] {
        let out = match args[0] {
            "sql" => hotline(with_log.path(), &args),
            _ => hotline(dir.path(), &args),
        };
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {flag} {addr}")) && err.contains("another address"),
            "{args:?}: {err}"
        );
        assert_eq!(err.matches("in use").count(), 1, "{args:?}: {err}");
        if args[0] == "serve" {
            // Refused before the log was opened: nothing is left behind.
            assert!(!dir.path().join("events.sqlite").exists(), "{args:?}");
        }
    }
}

/// A first start that fails (a wrong --campaign-number, an address in use) issued the
/// administrator token, kept its hash and never printed it: the next start printed none,
/// and the administrator was locked out. The token is issued once the start succeeds.
#[test]
fn a_failed_first_start_does_not_swallow_the_administrator_token() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hotline"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["serve", "--sql-listen", "off"])
            .args(args)
            .env_remove("HOTLINE_DATA_DIR")
            .env_remove("HOTLINE_LOG_URL")
            .env_remove("HOTLINE_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    for args in [
        &["--listen", "127.0.0.1:0", "--campaign-number", "+1999"][..],
        &["--listen", taken.as_str()],
    ] {
        let out = run(args).wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        // Both are refused before the log is opened.
        assert!(!dir.path().join("events.sqlite").exists(), "{args:?}");
    }
    let mut child = run(&["--listen", "127.0.0.1:0"]);
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.starts_with("Ctrl-C stops it") {
            break;
        }
        banner.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains("administrator token (shown once; keep it): hl_"),
        "{banner}"
    );
}

#[test]
fn demo_traffic_moves_the_boards_and_the_feed_pushes_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--demo-traffic", "240"]);
    let port = server.port;
    let banner = server.out.join("");
    assert!(banner.contains("/wallboard"), "{banner}");
    let supervisor = banner
        .lines()
        .find_map(|l| l.strip_prefix("supervisor token (wallboard): "))
        .unwrap_or_else(|| panic!("{banner}"))
        .trim()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = http(port, "GET", "/api/boards", Some(&supervisor), None);
        assert_eq!(status, 200, "{body}");
        let boards = json_of(&body);
        let offered: u64 = boards["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["offered"].as_u64().unwrap())
            .sum();
        if offered >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no calls offered in 60 s: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // The feed: server-sent events named `boards`, each a whole boards document.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET /api/feed?token={supervisor} HTTP/1.1\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut seen = Vec::new();
    let mut line = String::new();
    while seen.len() < 2 {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(data) = line.trim_end().strip_prefix("data:") {
            let doc = json_of(data.trim());
            seen.push(doc["position"].as_u64().unwrap());
        }
    }
    assert_eq!(seen.len(), 2, "two documents from the feed");
    assert!(seen[1] > seen[0], "the second document is newer: {seen:?}");

    let (status, text) = http(port, "GET", "/metrics", Some(ADMIN), None);
    assert_eq!(status, 200);
    assert!(
        text.contains("hotline_queue_waiting{queue=\"sales\"}"),
        "{text}"
    );
    assert!(text.contains("hotline_append_seconds_count"), "{text}");
}

#[test]
fn a_customer_read_is_an_event_and_ctrl_c_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "external_id,name,phone,email,address,tags\nC1,Ada Lovelace,+44 20 7946 0958,ada@example.com,,vip\n",
    )
    .unwrap();
    let out = hotline(dir.path(), &["crm", "import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut server = serve(dir.path(), &[]);
    let port = server.port;
    let (status, text) = http(
        port,
        "GET",
        "/api/customers?phone=%2B442079460958",
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 200, "{text}");
    let customer = json_of(&text);
    assert_eq!(customer["name"], "Ada Lovelace");
    // Typed unencoded, as the documentation writes it: the query string turns the `+`
    // into a space, which is still that `+` (it was refused as "no country code").
    let (status, text) = http(
        port,
        "GET",
        "/api/customers?phone=+442079460958",
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(json_of(&text)["customer"], customer["customer"]);
    let analyst = token(port, "analyst", None);
    let (status, _) = http(
        port,
        "GET",
        "/api/customers?phone=%2B442079460958",
        Some(&analyst),
        None,
    );
    assert_eq!(status, 403, "an analyst does not read customer records");

    // Ctrl-C: the server stops, saves and closes, and says so.
    server.interrupt();

    let reads: Vec<_> = all_events(dir.path())
        .into_iter()
        .filter(|e| e.event_type == "customer_viewed")
        .collect();
    assert_eq!(reads.len(), 2, "two reads, two events");
    assert!(reads[0].stream.as_str().starts_with("access-"));
    assert!(
        reads[0].data.contains("\"role\":\"administrator\""),
        "{}",
        reads[0].data
    );
    assert!(
        reads[0]
            .data
            .contains(customer["customer"].as_str().unwrap())
    );
}

/// The agent's board state, through the agent's own token.
pub(crate) fn state_of(port: u16, agent: &str, token: &str) -> Option<String> {
    let (status, body) = http(
        port,
        "GET",
        &format!("/api/agents/{agent}"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    json_of(&body)["board"]["state"].as_str().map(str::to_owned)
}

pub(crate) fn wait_for_state(port: u16, agent: &str, token: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(port, agent, token).as_deref() != Some(want) {
        assert!(Instant::now() < deadline, "the agent never got to {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_agent_takes_a_call_at_the_desk_from_ring_to_wrap_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
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
        json_of(&text)
    };
    act(r#"{"action": "log_in"}"#);
    act(r#"{"action": "ready"}"#);
    wait_for_state(port, &ada, &me, "available");
    // Ada is the only agent logged in: a call to sales rings at her desk.
    let (status, text) = http(
        port,
        "POST",
        "/api/calls",
        Some(ADMIN),
        Some(r#"{"number": "+18005550100", "caller": "+15555550123", "digits": "1"}"#),
    );
    assert_eq!(status, 200, "{text}");
    let call = json_of(&text)["call"].as_str().unwrap().to_owned();
    wait_for_state(port, &ada, &me, "reserved");
    let accepted = act(r#"{"action": "accept"}"#);
    assert_eq!(accepted["call"], call.as_str());
    wait_for_state(port, &ada, &me, "busy");
    let (status, text) = http(port, "GET", "/api/calls", Some(&me), None);
    assert_eq!(status, 200);
    assert_eq!(
        json_of(&text)[0]["call"],
        call.as_str(),
        "her call is listed"
    );
    let path = format!("/api/calls/{call}/actions");
    for action in ["hold", "resume", "hang_up"] {
        let (status, text) = http(
            port,
            "POST",
            &path,
            Some(&me),
            Some(&format!(r#"{{"action": "{action}"}}"#)),
        );
        assert_eq!(status, 200, "{action}: {text}");
    }
    wait_for_state(port, &ada, &me, "wrapping_up");
    act(r#"{"action": "wrap_up", "disposition": "resolved", "notes": "reset the router"}"#);
    wait_for_state(port, &ada, &me, "available");

    let (status, text) = http(port, "GET", &format!("/api/calls/{call}"), Some(&me), None);
    assert_eq!(status, 200, "{text}");
    let types: Vec<String> = json_of(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    for t in [
        "arrived", "queued", "offered", "answered", "held", "resumed", "ended",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
    let (status, text) = http(
        port,
        "POST",
        "/api/sql",
        Some(ADMIN),
        Some(&json!({"sql": format!("SELECT disposition, notes, hold_ms > 0 AS held FROM calls WHERE call = '{call}'")}).to_string()),
    );
    assert_eq!(status, 200, "{text}");
    let rows = json_of(&text)["rows"].clone();
    assert_eq!(rows[0]["disposition"], "resolved", "{rows}");
    assert_eq!(rows[0]["notes"], "reset the router", "{rows}");
}

#[test]
fn the_demo_writes_a_morning_then_goes_live() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(
        dir.path(),
        &[
            "demo",
            "--calls",
            "40",
            "--minutes",
            "10",
            "--listen",
            "127.0.0.1:0",
            "--sql-listen",
            "off",
            "--rate",
            "240",
        ],
        &[],
    );
    let port = server.port;
    let banner = server.out.join("");
    assert!(banner.contains("40 calls:"), "{banner}");
    assert!(banner.contains("hash chain verified"), "{banner}");
    assert!(banner.contains("/wallboard#token="), "{banner}");
    let count = |port| {
        let (status, text) = http(
            port,
            "POST",
            "/api/sql",
            Some(ADMIN),
            Some(r#"{"sql": "SELECT count(*) AS n FROM calls"}"#),
        );
        assert_eq!(status, 200, "{text}");
        json_of(&text)["rows"][0]["n"].as_u64().unwrap()
    };
    assert!(count(port) >= 40, "the morning's calls are there");
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(port) < 43 {
        assert!(Instant::now() < deadline, "no live calls in 60 s");
        std::thread::sleep(Duration::from_millis(500));
    }
    server.interrupt();
    let out = hotline(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The value of one sample line of a Prometheus text (`name value`, or `name{labels} value`).
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn metrics_show_the_routing_latency_moving_under_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &["--demo-traffic", "600"]);
    let port = server.port;
    let read = || {
        let (status, text) = http(port, "GET", "/metrics", Some(ADMIN), None);
        assert_eq!(status, 200, "{text}");
        text
    };
    let first = read();
    assert!(
        first.contains("# TYPE hotline_routing_latency_seconds summary"),
        "{first}"
    );
    let count = |text: &str| sample(text, "hotline_routing_latency_seconds_count");
    let before = count(&first).unwrap_or_else(|| panic!("{first}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let text = read();
        if count(&text).unwrap_or_else(|| panic!("{text}")) >= before + 3.0 {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no routing decisions in 60 s: {text}"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let p50 = sample(&text, "hotline_routing_latency_seconds{quantile=\"0.5\"}").unwrap();
    let p99 = sample(&text, "hotline_routing_latency_seconds{quantile=\"0.99\"}").unwrap();
    let max = sample(&text, "hotline_routing_latency_seconds_max").unwrap();
    let sum = sample(&text, "hotline_routing_latency_seconds_sum").unwrap();
    // A decision waits at least for one append to be durable, and far less than a second
    // on an idle center.
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= max, "{text}");
    assert!(sum > 0.0 && max < 5.0, "{text}");
    // The appends beside it: at least one per decision.
    let appends = sample(&text, "hotline_append_seconds_count").unwrap();
    assert!(appends >= count(&text).unwrap(), "{text}");
    assert!(sample(&text, "hotline_append_seconds{quantile=\"0.99\"}").unwrap() > 0.0);
}

#[test]
fn compressed_demo_traffic_turns_calls_over_many_times_faster() {
    // Real time: each of the sample's agents takes one call and is busy for about a minute
    // (talk and wrap-up), so about one decision per agent comes in the first 20 s (27 for
    // 24 agents here). Compressed 30 times, the same agents turn a call over every two
    // seconds or so (89 in 20 s here, on a debug build of a loaded machine).
    let dir = tempfile::tempdir().unwrap();
    let server = serve(
        dir.path(),
        &["--demo-traffic", "600", "--demo-compress", "30"],
    );
    let port = server.port;
    let agents = hotline_infra::config::CenterConfig::parse(
        include_str!("../../config/demo.toml"),
        "demo.toml",
    )
    .unwrap()
    .agents
    .len() as f64;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, text) = http(port, "GET", "/metrics", Some(ADMIN), None);
        assert_eq!(status, 200, "{text}");
        let decisions = sample(&text, "hotline_routing_latency_seconds_count").unwrap();
        if decisions >= 3.0 * agents {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{decisions} routing decisions in 30 s with {agents} agents: the traffic is not compressed"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_bad_demo_compression_is_refused_with_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            &["--demo-traffic", "60", "--demo-compress", "0"][..],
            "give a factor greater than zero",
        ),
        (&["--demo-compress", "5"], "give --demo-traffic too"),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--sql-listen", "off"];
        all.extend_from_slice(args);
        let out = crate::hotline(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = crate::stderr(&out);
        assert!(err.contains(needle) && !err.contains("panicked"), "{err}");
    }
}

/// A demo rate that is no rate: refused before anything runs, in one line. `-5` was
/// taken for a flag by the parser, `0` stopped the server after its banner, and
/// `demo --rate -1` ran the whole morning before failing.
#[test]
fn a_bad_demo_rate_is_refused_before_anything_runs() {
    for (args, needle) in [
        (
            &["serve", "--demo-traffic", "-5"][..],
            "--demo-traffic -5: give calls per minute",
        ),
        (
            &["serve", "--demo-traffic", "0"],
            "--demo-traffic 0: give calls per minute",
        ),
        (
            &["demo", "--rate", "-1"],
            "--rate -1: give live calls per minute",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--listen", "127.0.0.1:0", "--sql-listen", "off"]);
        let out = crate::hotline(dir.path(), &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = crate::stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: {needle}")),
            "{args:?}: {err}"
        );
        assert!(
            crate::stdout(&out).is_empty(),
            "nothing ran: {}",
            crate::stdout(&out)
        );
    }
}
