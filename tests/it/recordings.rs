//! Call recordings through the binary: `hotline serve` with a recording policy and key
//! records a call taken at the desk; the API lists it and hands the WAV only to the roles
//! allowed, each fetch an event first; `hotline recordings purge` deletes it after its
//! retention and the index says so; a policy without a key refuses to start.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{ADMIN, http, json_of, serve_with_env, token, wait_for_state};
use crate::{all_events, hotline, stderr, stdout};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// The sample center with every sales call recorded.
fn recording_center(dir: &Path) -> String {
    let demo =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    let path = dir.join("center.toml");
    std::fs::write(
        &path,
        format!(
            "{demo}\n[recording]\nretention_days = 30\n\n[[recording.queues]]\nqueue = \"sales\"\nrecord = \"all\"\nconsent_prompt = true\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn recordings(port: u16, token: &str) -> Vec<Value> {
    let (status, body) = http(port, "GET", "/api/recordings", Some(token), None);
    assert_eq!(status, 200, "{body}");
    json_of(&body).as_array().unwrap().clone()
}

/// The raw HTTP answer's body bytes after the headers (the fetch is not chunked: one body).
fn fetch(port: u16, call: &str, token: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET /api/recordings/{call} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[split..].to_vec())
}

#[test]
fn a_recorded_call_is_listed_fetched_by_allowed_roles_only_and_purged_after_retention() {
    let dir = tempfile::tempdir().unwrap();
    let config = recording_center(dir.path());
    let data = dir.path().join("data");
    let env = [("HOTLINE_RECORDING_KEY", KEY)];
    let server = serve_with_env(&data, &["--config", &config], &env);
    let port = server.port;

    // Ada takes a call at her desk, talks about two seconds, hangs up.
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
    act(r#"{"action": "accept"}"#);
    wait_for_state(port, &ada, &me, "busy");
    // Card-number entry: the agent pauses the recording, then resumes it.
    let control = format!("/api/calls/{call}/recording");
    let (status, text) = http(
        port,
        "POST",
        &control,
        Some(&me),
        Some(r#"{"action": "pause", "reason": "card_entry"}"#),
    );
    assert_eq!(status, 200, "{text}");
    let (status, text) = http(
        port,
        "POST",
        &control,
        Some(&me),
        Some(r#"{"action": "pause"}"#),
    );
    assert_eq!(status, 409, "paused twice: {text}");
    let (status, text) = http(
        port,
        "POST",
        &control,
        Some(&me),
        Some(r#"{"action": "rewind"}"#),
    );
    assert_eq!(status, 400, "{text}");
    let analyst = token(port, "analyst", None);
    let (status, _) = http(
        port,
        "POST",
        &control,
        Some(&analyst),
        Some(r#"{"action": "resume"}"#),
    );
    assert_eq!(status, 403);
    let (status, text) = http(
        port,
        "POST",
        &control,
        Some(&me),
        Some(r#"{"action": "resume"}"#),
    );
    assert_eq!(status, 200, "{text}");
    std::thread::sleep(Duration::from_secs(2));
    let (status, text) = http(
        port,
        "POST",
        &format!("/api/calls/{call}/actions"),
        Some(&me),
        Some(r#"{"action": "hang_up"}"#),
    );
    assert_eq!(status, 200, "{text}");

    // The index shows it once the file is sealed.
    let supervisor = token(port, "supervisor", None);
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = loop {
        let rows = recordings(port, &supervisor);
        if let Some(row) = rows
            .iter()
            .find(|r| r["call"] == call.as_str() && r["status"] == "stored")
        {
            break row.clone();
        }
        assert!(Instant::now() < deadline, "never stored: {rows:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(row["queue"], "sales");
    assert_eq!(row["agent"], ada.as_str());
    assert_eq!(row["channels"], 2);
    assert_eq!(row["purged"], false);
    let duration_ms = row["duration_ms"].as_u64().unwrap();
    assert!((1_000..20_000).contains(&duration_ms), "{row}");

    // Agents and analysts are refused; supervisors and auditors get the WAV.
    let auditor = token(port, "auditor", None);
    for refused in [&me, &analyst] {
        let (status, body) = fetch(port, &call, refused);
        assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
        let (status, _) = http(port, "GET", "/api/recordings", Some(refused), None);
        assert_eq!(status, 403);
    }
    for allowed in [&supervisor, &auditor] {
        let (status, wav) = fetch(port, &call, allowed);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&wav));
        let reader = hound::WavReader::new(std::io::Cursor::new(&wav)).unwrap();
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 8_000, 16)
        );
        let secs = f64::from(reader.duration()) / 8_000.0;
        assert!(
            (secs * 1_000.0 - duration_ms as f64).abs() < 50.0,
            "{secs} s vs {duration_ms} ms"
        );
    }
    // The stored file is not a WAV; a damaged one is a clear error, not a crash.
    let key = row["storage_key"].as_str().unwrap();
    let path = data.join("recordings").join(key);
    let stored = std::fs::read(&path).unwrap();
    assert!(hound::WavReader::new(std::io::Cursor::new(&stored)).is_err());
    std::fs::write(&path, &stored[..30]).unwrap();
    let (status, body) = fetch(port, &call, &supervisor);
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, 500, "{text}");
    assert!(
        text.contains("is not a Hotline recording (it is truncated"),
        "{text}"
    );
    std::fs::write(&path, &stored).unwrap();
    let (status, _) = fetch(port, "not-a-call", &supervisor);
    assert_eq!(status, 400);
    let (status, _) = fetch(port, "0190c3d2-7b3a-7cc0-8000-000000000001", &supervisor);
    assert_eq!(status, 404);
    drop(server);

    // Each fetch past the role check was written down before the file was read.
    let fetched: Vec<Value> = all_events(&data)
        .iter()
        .filter(|e| e.event_type == "recording_fetched")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(fetched.len(), 3, "{fetched:?}");
    assert_eq!(fetched[0]["role"], "supervisor");
    assert_eq!(fetched[1]["role"], "auditor");
    assert_eq!(fetched[2]["role"], "supervisor");
    assert!(fetched.iter().all(|f| f["call"] == call.as_str()));

    // Within retention nothing goes; with retention 0 it does, and the index says so.
    let purge = |extra: &[&str], key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"));
        cmd.arg("--data-dir")
            .arg(&data)
            .args(["recordings", "purge"])
            .args(extra);
        cmd.env_remove("HOTLINE_DATA_DIR")
            .env_remove("HOTLINE_LOG_URL")
            .env_remove("HOTLINE_RECORDING_KEY");
        if let Some(k) = key {
            cmd.env("HOTLINE_RECORDING_KEY", k);
        }
        cmd.output().unwrap()
    };
    let out = purge(&["--config", &config], Some(KEY));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("purged 0 recording(s) older than 30 day(s); 1 kept"),
        "{}",
        stdout(&out)
    );
    let out = purge(&["--retention-days", "0"], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("HOTLINE_RECORDING_KEY is not set"),
        "{}",
        stderr(&out)
    );
    let out = purge(&["--retention-days", "0"], Some(KEY));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("purged 1 recording(s)"),
        "{}",
        stdout(&out)
    );
    assert!(!data.join("recordings").join(key).exists());

    let server = serve_with_env(&data, &["--config", &config], &env);
    let port = server.port;
    let rows = recordings(port, ADMIN);
    let row = rows.iter().find(|r| r["call"] == call.as_str()).unwrap();
    assert_eq!(row["purged"], true, "{row}");
    assert_eq!(row["status"], "purged");
    let (status, body) = fetch(port, &call, ADMIN);
    assert_eq!(status, 410, "{}", String::from_utf8_lossy(&body));
    let (status, text) = http(
        port,
        "POST",
        "/api/sql",
        Some(ADMIN),
        Some(&serde_json::json!({"sql": format!("SELECT purged, channels FROM recordings WHERE call = '{call}'")}).to_string()),
    );
    assert_eq!(status, 200, "{text}");
    assert_eq!(json_of(&text)["rows"][0]["purged"], true, "{text}");
}

#[test]
fn a_center_that_records_without_a_key_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = recording_center(dir.path());
    let out = hotline(
        &dir.path().join("data"),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--sql-listen",
            "off",
            "--config",
            &config,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("HOTLINE_RECORDING_KEY is not set"), "{err}");
    assert!(err.contains("openssl rand -hex 32"), "{err}");
}
