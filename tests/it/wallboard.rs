//! The wallboard in a real browser: Debian's headless Chromium, driven through
//! `chromedriver` (the `chromium-driver` package) over plain WebDriver HTTP, loads
//! `/wallboard#token=…` while `hotline serve --demo-traffic 240` runs, reads the numbers
//! the page shows, checks that they move and that they agree with `/api/boards`, and
//! saves a 1920×1080 screenshot to `target/test-artifacts/wallboard.png`.
//!
//! Why chromedriver and not `chromium --headless --dump-dom`: the page fills itself from
//! the `/api/feed` event stream after the load event, so `--dump-dom` and `--screenshot`
//! catch the empty template; `--virtual-time-budget` would wait for it, but virtual time
//! does not advance while a request is open, and the event stream never ends.
//!
//! How close the page must be to the API: each document carries the log `position` it
//! includes, and the page writes it to `<body data-position>`. One event of the log moves
//! any one count of one queue (waiting, offered, answered, abandoned) by at most one, so
//! a count on the page and the same count in a later `/api/boards` document differ by at
//! most the number of events between the two positions; the counts that only grow are
//! also never ahead of the later document. Rates (SL, abandon %) over `n` counted calls
//! move by at most that number of events over `n`, plus one point of rounding.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{dechunk, json_of, serve};

const INSTALL: &str = "the wallboard test needs Debian's Chromium and its driver: \
     `apt-get install -y chromium chromium-driver` (.ci/run installs them)";

/// One HTTP/1.1 request with an optional JSON body; the status and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    timeout: Duration,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect to 127.0.0.1:{port}: {e}"));
    s.set_read_timeout(Some(timeout)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.map(Value::to_string).unwrap_or_default();
    if method != "GET" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).unwrap();
    // Read by Content-Length: chromedriver keeps the connection open despite `close`.
    let mut reader = BufReader::new(s);
    let mut head = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status from {method} {path}: {head:?}"));
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok());
    let mut raw = Vec::new();
    match length {
        Some(n) => {
            raw.resize(n, 0);
            reader
                .read_exact(&mut raw)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        }
        None => {
            let _ = reader.read_to_end(&mut raw);
        }
    }
    let rest = String::from_utf8_lossy(&raw).into_owned();
    let body = if lower.contains("transfer-encoding: chunked") {
        dechunk(&rest)
    } else {
        rest
    };
    (status, body)
}

/// A program on PATH, or the install hint.
fn on_path(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` is not on PATH: {INSTALL}"))
}

/// `chromedriver` on a free port with one headless Chromium session; the session is
/// closed (and the browser with it) and the driver killed when dropped.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(|| {
                http(
                    self.port,
                    "DELETE",
                    &path,
                    None,
                    None,
                    Duration::from_secs(20),
                )
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start() -> Browser {
        let chromium = on_path("chromium");
        let chromedriver = on_path("chromedriver");
        let mut driver = Command::new(&chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}; {INSTALL}", chromedriver.display()));
        // "ChromeDriver was started successfully on port 41234."
        let mut reader = BufReader::new(driver.stdout.take().unwrap());
        let mut line = String::new();
        let port = loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = driver.kill();
                panic!("chromedriver stopped before saying its port; {INSTALL}");
            }
            if let Some(rest) = line
                .trim()
                .strip_prefix("ChromeDriver was started successfully on port ")
            {
                break rest.trim_end_matches('.').parse::<u16>().unwrap();
            }
        };
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
        });
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
            _profile: profile,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--window-size=1920,1080",
                    format!("--user-data-dir={}", browser._profile.path().display()),
                ],
            },
        }}});
        // The first start of Chromium on a loaded machine can be slow or fail: retry.
        let mut last = String::new();
        for _ in 0..3 {
            let (status, body) = http(
                port,
                "POST",
                "/session",
                None,
                Some(&caps),
                Duration::from_secs(90),
            );
            if status == 200 {
                browser.session = json_of(&body)["value"]["sessionId"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                break;
            }
            last = body;
            std::thread::sleep(Duration::from_secs(1));
        }
        assert!(!browser.session.is_empty(), "no Chromium session: {last}");
        // The viewport of a wall screen, exactly (the window size includes no chrome
        // in headless mode, but be sure).
        browser.command(
            "goog/cdp/execute",
            json!({"cmd": "Emulation.setDeviceMetricsOverride",
                   "params": {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": false}}),
        );
        browser
    }

    fn command(&self, what: &str, body: Value) -> Value {
        let path = format!("/session/{}/{what}", self.session);
        let (status, text) = http(
            self.port,
            "POST",
            &path,
            None,
            Some(&body),
            Duration::from_secs(60),
        );
        assert_eq!(status, 200, "{what}: {text}");
        json_of(&text)["value"].take()
    }

    fn go(&self, url: &str) {
        self.command("url", json!({ "url": url }));
    }

    fn eval(&self, script: &str) -> Value {
        self.command("execute/sync", json!({"script": script, "args": []}))
    }

    fn screenshot(&self) -> Vec<u8> {
        let path = format!("/session/{}/screenshot", self.session);
        let (status, text) = http(self.port, "GET", &path, None, None, Duration::from_secs(60));
        assert_eq!(status, 200, "screenshot: {text}");
        base64(json_of(&text)["value"].as_str().unwrap())
    }
}

fn base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// What the page shows: the document's position and, per queue, each `data-k` text.
const READ_PAGE: &str = r#"
const tiles = [...document.querySelectorAll("[data-queue]")].map(t => {
  const k = {};
  t.querySelectorAll("[data-k]").forEach(e => { k[e.dataset.k] = e.textContent.trim(); });
  return [t.dataset.queue, k];
});
return {
  status: (document.getElementById("status") || {}).textContent,
  position: document.body.dataset.position ? Number(document.body.dataset.position) : null,
  queues: Object.fromEntries(tiles),
  campaigns: Object.fromEntries([...document.querySelectorAll("[data-campaign]")].map(t => {
    const k = {};
    t.querySelectorAll("[data-k]").forEach(e => { k[e.dataset.k] = e.textContent.trim(); });
    return [t.dataset.campaign, k];
  })),
  scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
  view: [innerWidth, innerHeight],
};
"#;

/// The leading number of a figure as shown ("12", "83 %", "45 s"); `None` for "–".
fn number(text: &str) -> Option<f64> {
    let n: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    n.parse().ok()
}

fn count(page: &Value, queue: &str, k: &str) -> u64 {
    let text = page["queues"][queue][k]
        .as_str()
        .unwrap_or_else(|| panic!("no {k} on the {queue} tile: {page}"));
    text.parse()
        .unwrap_or_else(|_| panic!("{queue} {k} is not a count: {text:?}"))
}

fn boards(port: u16, token: &str) -> Value {
    let (status, body) = http(
        port,
        "GET",
        "/api/boards",
        Some(token),
        None,
        Duration::from_secs(20),
    );
    assert_eq!(status, 200, "{body}");
    json_of(&body)
}

fn offered_total(page: &Value) -> u64 {
    page["queues"]
        .as_object()
        .unwrap()
        .keys()
        .map(|q| count(page, q, "offered"))
        .sum()
}

/// Waits until the page shows a document that includes `at_least` and at least
/// `offered` calls offered in all.
fn wait_for_page(browser: &Browser, at_least: u64, offered: u64, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = browser.eval(READ_PAGE);
        let fresh = page["position"].as_u64().is_some_and(|p| p >= at_least);
        if fresh && page["status"] == "live" && offered_total(&page) >= offered {
            return page;
        }
        assert!(Instant::now() < deadline, "{what}: the page shows {page}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Checks the page against a `/api/boards` document read after it (see the module doc).
fn agrees(page: &Value, api: &Value) {
    let p = page["position"].as_u64().unwrap();
    let a = api["position"].as_u64().unwrap();
    assert!(p <= a, "the page ({p}) is ahead of the API ({a})");
    let events = a - p;
    for q in api["queues"].as_array().unwrap() {
        let id = q["queue"].as_str().unwrap();
        for k in ["waiting", "offered", "answered"] {
            let shown = count(page, id, k);
            let now = q[k].as_u64().unwrap();
            assert!(
                shown.abs_diff(now) <= events,
                "{id} {k}: the page shows {shown}, the API {now}, {events} events apart"
            );
            if k != "waiting" {
                assert!(
                    shown <= now,
                    "{id} {k}: the page ({shown}) is ahead of the API ({now})"
                );
            }
        }
        // Agents by state: one event moves an agent out of one state and into another.
        for k in ["available", "busy", "wrapping_up", "reserved", "not_ready"] {
            let shown = count(page, id, &format!("agents_{k}"));
            let now = q["agents"][k].as_u64().unwrap();
            assert!(
                shown.abs_diff(now) <= events,
                "{id} agents {k}: the page shows {shown}, the API {now}, {events} events apart"
            );
        }
        // Rates over the calls counted (offered minus short abandons, at the page's time:
        // at least the API's count minus the events between).
        let counted = q["offered"].as_u64().unwrap() - q["short_abandons"].as_u64().unwrap();
        let n = counted.saturating_sub(events).max(1) as f64;
        let slack = 100.0 * events as f64 / n + 1.0;
        for (k, field) in [("sl", "service_level"), ("abandon", "abandon_rate")] {
            let text = page["queues"][id][k].as_str().unwrap();
            match (number(text), q[field].as_f64()) {
                (Some(shown), Some(rate)) => assert!(
                    (shown - 100.0 * rate).abs() <= slack,
                    "{id} {k}: the page shows {text}, the API {rate}, {events} events apart"
                ),
                (None, None) => {}
                // Not yet a rate on the page, one at the API: only if the page is older.
                (shown, rate) => assert!(
                    shown.is_none() && events > 0,
                    "{id} {k}: the page shows {text:?}, the API {rate:?}"
                ),
            }
        }
        for k in ["longest", "asa"] {
            let text = page["queues"][id][k].as_str().unwrap();
            assert!(
                text == "–" || text.ends_with(" s") || text.ends_with(" min"),
                "{id} {k}: {text:?}"
            );
        }
    }
}

#[test]
fn the_wallboard_in_chromium_moves_with_the_demo_and_matches_the_api() {
    let chromium = on_path("chromium");
    let version = Command::new(&chromium).arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "`chromium --version` failed ({version:?}); {INSTALL}"
    );
    on_path("chromedriver");

    let dir = tempfile::tempdir().unwrap();
    // An outbound campaign in the log, so the page shows its tile beside the queues.
    let campaign = crate::admin::sample_campaign(dir.path()).to_string();
    let server = serve(dir.path(), &["--demo-traffic", "240"]);
    let port = server.port;
    let banner = server.out.join("");
    let supervisor = banner
        .lines()
        .find_map(|l| l.strip_prefix("supervisor token (wallboard): "))
        .unwrap_or_else(|| panic!("{banner}"))
        .trim()
        .to_owned();
    let url = format!("http://127.0.0.1:{port}/wallboard#token={supervisor}");

    let browser = Browser::start();
    browser.go(&url);
    // The first load on a busy machine: if the feed has not filled the page in time, load
    // it once more before failing.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = browser.eval(READ_PAGE);
        if page["status"] == "live" {
            break;
        }
        if Instant::now() > deadline {
            browser.go(&url);
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }

    // First reading: calls have been offered; the API is read just after the page.
    let api0 = boards(port, &supervisor);
    let first = wait_for_page(&browser, 0, 3, "the first calls");
    let api1 = boards(port, &supervisor);
    agrees(&first, &api1);
    assert_eq!(
        first["queues"].as_object().unwrap().len(),
        api1["queues"].as_array().unwrap().len(),
        "one tile per queue"
    );

    // Some seconds on (at 240 calls a minute, four calls a second), the page has moved.
    std::thread::sleep(Duration::from_secs(4));
    let mark = boards(port, &supervisor);
    let second = wait_for_page(
        &browser,
        mark["position"].as_u64().unwrap(),
        offered_total(&first) + 1,
        "the page moving on",
    );
    let api2 = boards(port, &supervisor);
    agrees(&second, &api2);
    assert!(
        second["position"].as_u64() > first["position"].as_u64(),
        "the page moved on: {first} then {second}"
    );
    assert_ne!(first["queues"], second["queues"], "the figures changed");
    assert!(offered_total(&second) > offered_total(&first));
    eprintln!(
        "wallboard: API at {} then {}; first page at {}: {}; second page at {}: {}; API after: {}",
        api0["position"],
        api1["position"],
        first["position"],
        first["queues"],
        second["position"],
        second["queues"],
        api2["position"]
    );

    // The campaign's tile shows the API's figures.
    let tile = &second["campaigns"][&campaign];
    let api_tile = &api2["campaigns"][0];
    for k in [
        "dialed",
        "in_flight",
        "answered_by_person",
        "machines",
        "abandoned",
    ] {
        assert_eq!(
            tile[k].as_str().and_then(number),
            api_tile[k].as_f64(),
            "campaign {k}: page {tile}, API {api_tile}"
        );
    }
    assert_eq!(tile["abandon_rate"], "25 %", "{tile}");

    // The screenshot first, so that a failure below still leaves it to look at.
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let path = artifacts.join("wallboard.png");
    std::fs::write(&path, png).unwrap();
    eprintln!("wallboard: screenshot saved to {}", path.display());

    // A wall screen does not scroll: the whole board fits 1920×1080.
    assert_eq!(second["view"], json!([1920, 1080]), "{second}");
    let (w, h) = (second["scroll"][0].as_u64(), second["scroll"][1].as_u64());
    assert!(
        w <= Some(1920) && h <= Some(1080),
        "the wallboard needs scrolling at 1920×1080: {w:?}×{h:?}"
    );
}
