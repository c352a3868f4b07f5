//! Voicemail through the binary: `hotline serve` with voicemail boxes and a key; a caller
//! nobody answers reaches the queue's maximum wait and leaves a message; the API lists and
//! plays it to the roles allowed (each play an event first), marks it handled once; an
//! agent reads its own box and no other; every voicemail route is in the OpenAPI document.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::all_events;
use crate::serve::{ADMIN, http, json_of, serve_with_env, token};

const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// The sample center with sales waiting 2 s at most, a box for sales and one for Ada.
fn voicemail_center(dir: &Path) -> String {
    let demo =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap();
    let demo = demo.replacen("max_wait = \"6m\"", "max_wait = \"2s\"", 1);
    let path = dir.join("center.toml");
    std::fs::write(
        &path,
        format!(
            "{demo}\n[voicemail]\nretention_days = 30\n\n[[voicemail.boxes]]\nqueue = \"sales\"\ngreeting = \"sales-after-hours\"\nmax_length = \"60s\"\n\n[[voicemail.boxes]]\nagent = \"ada\"\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// The raw HTTP answer's status and body bytes.
fn get_bytes(port: u16, path: &str, token: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
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
fn a_message_left_after_the_maximum_wait_is_listed_played_and_handled_by_allowed_roles_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = voicemail_center(dir.path());
    let data = dir.path().join("data");
    let server = serve_with_env(
        &data,
        &["--config", &config],
        &[("HOTLINE_RECORDING_KEY", KEY)],
    );
    let port = server.port;

    // Nobody is logged in: after 2 s in sales the caller leaves a 3 s message.
    let (status, text) = http(
        port,
        "POST",
        "/api/calls",
        Some(ADMIN),
        Some(r#"{"number": "+18005550100", "caller": "+15555550123", "digits": "1", "talk_s": 3}"#),
    );
    assert_eq!(status, 200, "{text}");
    let call = json_of(&text)["call"].as_str().unwrap().to_owned();
    let supervisor = token(port, "supervisor", None);
    let deadline = Instant::now() + Duration::from_secs(30);
    let message: Value = loop {
        let (status, body) = http(
            port,
            "GET",
            "/api/voicemail/queue:sales",
            Some(&supervisor),
            None,
        );
        assert_eq!(status, 200, "{body}");
        if let Some(m) = json_of(&body).as_array().and_then(|a| a.first().cloned()) {
            break m;
        }
        assert!(Instant::now() < deadline, "no message was left");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(message["call"], call.as_str());
    assert_eq!(message["mailbox"], "queue:sales");
    assert_eq!(message["caller"], "+15555550123");
    assert_eq!(message["status"], "new");
    let duration_ms = message["duration_ms"].as_u64().unwrap();
    assert!((2_500..=3_500).contains(&duration_ms), "{message}");

    // The boxes each role sees.
    let (_, body) = http(port, "GET", "/api/agents", Some(ADMIN), None);
    let ada = json_of(&body)
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == "ada")
        .map(|a| a["agent"].as_str().unwrap().to_owned())
        .unwrap();
    let me = token(port, "agent", Some(&ada));
    let (status, body) = http(port, "GET", "/api/voicemail", Some(&supervisor), None);
    assert_eq!(status, 200, "{body}");
    let boxes = json_of(&body);
    assert_eq!(boxes.as_array().unwrap().len(), 2, "{body}");
    assert_eq!(boxes[0]["box"], "queue:sales");
    assert_eq!(
        (boxes[0]["messages"].as_u64(), boxes[0]["new"].as_u64()),
        (Some(1), Some(1))
    );
    let (status, body) = http(port, "GET", "/api/voicemail", Some(&me), None);
    assert_eq!(status, 200, "{body}");
    let mine = json_of(&body);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{body}");
    assert_eq!(mine[0]["box"], "agent:ada");
    let (status, body) = http(port, "GET", "/api/voicemail/agent:ada", Some(&me), None);
    assert_eq!((status, json_of(&body)), (200, serde_json::json!([])));

    // An agent reads no queue's box (existing or not); auditors and analysts none at all.
    let play = format!("/api/voicemail/queue:sales/{call}");
    let handled = format!("/api/voicemail/queue:sales/{call}/handled");
    let auditor = token(port, "auditor", None);
    let analyst = token(port, "analyst", None);
    for refused in [&me, &auditor, &analyst] {
        for path in [
            "/api/voicemail/queue:sales",
            "/api/voicemail/queue:nope",
            &play,
        ] {
            let (status, body) = get_bytes(port, path, refused);
            assert_eq!(status, 403, "{path}: {}", String::from_utf8_lossy(&body));
        }
        let (status, body) = http(port, "POST", &handled, Some(refused), Some(""));
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = http(
        port,
        "GET",
        "/api/voicemail/queue:nope",
        Some(&supervisor),
        None,
    );
    assert_eq!(status, 404, "{body}");
    assert!(
        json_of(&body)["error"]
            .as_str()
            .unwrap()
            .contains("queue:<queue id>"),
        "{body}"
    );
    let (status, body) = http(
        port,
        "GET",
        "/api/voicemail/queue:sales?status=old",
        Some(&supervisor),
        None,
    );
    assert_eq!(
        (status, json_of(&body)["field"].as_str()),
        (400, Some("status")),
        "{body}"
    );
    let (status, body) = http(
        port,
        "GET",
        "/api/voicemail/queue:sales/not-a-call",
        Some(&supervisor),
        None,
    );
    assert_eq!(
        (status, json_of(&body)["field"].as_str()),
        (400, Some("call")),
        "{body}"
    );

    // A supervisor plays it: a two-channel 8 kHz WAV of the message, the caller on the left.
    let (status, wav) = get_bytes(port, &play, &supervisor);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&wav));
    let mut reader = hound::WavReader::new(std::io::Cursor::new(&wav)).unwrap();
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
    let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    let left = samples.iter().step_by(2).filter(|s| **s != 0).count();
    let right = samples
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|s| **s != 0)
        .count();
    assert!(
        left > samples.len() / 4 && right == 0,
        "left {left}, right {right}"
    );
    let events = all_events(&data);
    let played = events
        .iter()
        .filter(|r| r.event_type == "voicemail_played" && r.data.contains(&call))
        .count();
    assert_eq!(played, 1, "the play is an event");
    let left_events = events
        .iter()
        .filter(|r| r.stream.as_str() == format!("voicemail-{call}") && r.event_type == "left")
        .count();
    assert_eq!(left_events, 1);

    // Handled once, by the supervisor; a second time is a conflict naming who did it.
    let (status, body) = http(port, "POST", &handled, Some(&supervisor), Some(""));
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(port, "POST", &handled, Some(ADMIN), Some(""));
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("test supervisor"), "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = http(
            port,
            "GET",
            "/api/voicemail/queue:sales?status=handled",
            Some(&supervisor),
            None,
        );
        let rows = json_of(&body);
        if let Some(row) = rows.as_array().and_then(|a| a.first()) {
            assert_eq!(row["handled_by"], "test supervisor", "{row}");
            break;
        }
        assert!(Instant::now() < deadline, "never handled: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The SQL table says the same.
    let (status, body) = http(
        port,
        "POST",
        "/api/sql",
        Some(ADMIN),
        Some(r#"{"sql": "SELECT mailbox, status, handled_by FROM voicemails"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let rows = &json_of(&body)["rows"];
    assert_eq!(
        rows[0],
        serde_json::json!({"mailbox": "queue:sales", "status": "handled", "handled_by": "test supervisor"}),
        "{body}"
    );

    // Every voicemail route is documented.
    let (_, text) = http(port, "GET", "/api/openapi.json", None, None);
    let doc = json_of(&text);
    for (method, path) in [
        ("get", "/api/voicemail"),
        ("get", "/api/voicemail/{box}"),
        ("get", "/api/voicemail/{box}/{call}"),
        ("post", "/api/voicemail/{box}/{call}/handled"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[test]
fn boxes_without_a_key_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = voicemail_center(dir.path());
    let out = crate::hotline(
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
    let err = crate::stderr(&out);
    assert!(
        err.contains("[[voicemail.boxes]]") && err.contains("HOTLINE_RECORDING_KEY"),
        "{err}"
    );
}
