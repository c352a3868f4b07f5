//! Benchmark of the wallboard feed under load: how late board updates reach 200 connected
//! clients, and what serving them costs routing.
//!
//! Run: `cargo bench --bench feed` (builds the release binary; then six runs of about 40 s
//! each).
//!
//! Each run starts the real `hotline serve` (release) on a fresh data directory with the
//! sample center under demo traffic at `HOTLINE_FEED_RATE` calls a minute (default 6,000:
//! 100 calls a second, far more than its agents can take, so calls queue), compressed
//! `HOTLINE_FEED_COMPRESS` times (default 50: talk, patience, answer delays and wrap-up
//! divided by it, so the agents turn over calls every second or two and routing decisions
//! keep coming, hundreds per run), lets it settle for 5 s, then measures for
//! `HOTLINE_FEED_SECS` (default 30). `HOTLINE_FEED_ROUNDS` (default 3) rounds, each of two
//! runs:
//! 1. with no feed client;
//! 2. with `HOTLINE_FEED_CLIENTS` (default 200) clients reading `GET /api/feed` (server-sent
//!    events) over their own TCP connections.
//!
//! It prints, per run, the routing-decision latency the server measured (`/metrics`:
//! `hotline_routing_latency_seconds`, p50 / p99 / max over the run) and, for the second,
//! the feed's delivery latency: from the moment the boards were sampled (`at`, the first
//! field of every update) to the client holding the whole update, p50 / p99 / max over
//! every update every client received during the measurement. Goals: delivery p99 under
//! 250 ms, routing latency no worse with the clients than without beyond the runs' noise:
//! the median over the rounds with clients is compared with the spread of the runs
//! without.
//!
//! Under `cargo test` (no `--bench` argument) it does nothing.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream as StdTcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN: &str = "hl_bench_administrator_token_0123456789";
const SETTLE: Duration = Duration::from_secs(5);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(rate: u64, compress: u64) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--sql-listen", "off"])
        .args(["--demo-traffic", &rate.to_string()])
        .args(["--demo-compress", &compress.to_string()])
        .env("HOTLINE_ADMIN_TOKEN", ADMIN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server stopped before its banner")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Hotline is serving on http://127.0.0.1:") {
            break rest
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .unwrap();
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        port,
        _dir: dir,
    }
}

/// `name{quantile="q"}` and `name_max` from the server's `/metrics`, in milliseconds.
fn routing_latency(port: u16) -> (f64, f64, f64, u64) {
    let mut s = StdTcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let name = "hotline_routing_latency_seconds";
    let value = |key: &str| -> f64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(key)
                    .map(|v| v.trim().parse::<f64>().unwrap())
            })
            .unwrap_or_else(|| panic!("no {key} in /metrics:\n{text}"))
    };
    (
        value(&format!("{name}{{quantile=\"0.5\"}}")) * 1000.0,
        value(&format!("{name}{{quantile=\"0.99\"}}")) * 1000.0,
        value(&format!("{name}_max ")) * 1000.0,
        value(&format!("{name}_count ")) as u64,
    )
}

/// Reads the feed until `until`, recording each update's delivery latency (ms) once
/// `measure_from` has passed.
async fn client(port: u16, measure_from: Instant, until: Instant, out: Arc<Mutex<Vec<f64>>>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "GET /api/feed HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let marker = b"data:{\"at\":\"";
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    let mut mine = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let n = match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => n,
            Ok(Err(e)) => panic!("feed read: {e}"),
        };
        buf.extend_from_slice(&chunk[..n]);
        // Every complete update ("data:…\n\n") held now is delivered now.
        while let Some(start) = find(&buf, marker) {
            let Some(end) = find(&buf[start..], b"\n\n") else {
                break;
            };
            let at = &buf[start + marker.len()..];
            let at = std::str::from_utf8(&at[..at.iter().position(|&b| b == b'"').unwrap()])
                .unwrap()
                .to_owned();
            let sampled = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
            let late = chrono::Utc::now().signed_duration_since(sampled);
            if Instant::now() >= measure_from {
                mine.push(late.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0);
            }
            buf.drain(..start + end + 2);
        }
    }
    out.lock().unwrap().extend(mine);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(&v, 0.5)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let clients = env_or("HOTLINE_FEED_CLIENTS", 200) as usize;
    let secs = env_or("HOTLINE_FEED_SECS", 30);
    let rate = env_or("HOTLINE_FEED_RATE", 6_000);
    let compress = env_or("HOTLINE_FEED_COMPRESS", 50);
    let rounds = env_or("HOTLINE_FEED_ROUNDS", 3).max(1);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "feed benchmark: demo traffic {rate} calls/min compressed {compress}x, {secs} s measured after {} s; {rounds} rounds of a run without and a run with {clients} feed clients",
        SETTLE.as_secs()
    );
    // Routing p50 and p99 (ms) of each run, without and with clients.
    let mut routing: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut delivered = Vec::new();
    for round in 1..=rounds {
        for (i, n) in [0, clients].into_iter().enumerate() {
            let server = start(rate, compress);
            let started = Instant::now();
            let measure_from = started + SETTLE;
            let until = measure_from + Duration::from_secs(secs);
            let latencies = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<_> = (0..n)
                .map(|_| runtime.spawn(client(server.port, measure_from, until, latencies.clone())))
                .collect();
            std::thread::sleep(SETTLE);
            let before = routing_latency(server.port);
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
            let after = routing_latency(server.port);
            for t in tasks {
                runtime.block_on(t).unwrap();
            }
            let (p50, p99, max, count) = after;
            println!(
                "round {round}, {n:>3} clients: routing latency p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.1} ms over {count} decisions ({} during the measurement)",
                count - before.3
            );
            routing[i].push((p50, p99));
            if n > 0 {
                let mut l = std::mem::take(&mut *latencies.lock().unwrap());
                l.sort_by(f64::total_cmp);
                println!(
                    "                 feed delivery: {} updates to {n} clients, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    l.len(),
                    quantile(&l, 0.5),
                    quantile(&l, 0.99),
                    l.last().copied().unwrap_or(f64::NAN),
                );
                delivered.extend(l);
            }
        }
    }
    delivered.sort_by(f64::total_cmp);
    let p99 = quantile(&delivered, 0.99);
    println!(
        "feed delivery over all rounds: {} updates, p50 {:.1} ms, p99 {p99:.1} ms (goal p99 < 250 ms: {})",
        delivered.len(),
        quantile(&delivered, 0.5),
        if p99 < 250.0 { "PASS" } else { "MISS" }
    );
    let [without, with] = &routing;
    let spread = |runs: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
        let v: Vec<f64> = runs.iter().map(f).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (median(v), lo, hi)
    };
    for (what, f) in [
        ("p50", (|r: &(f64, f64)| r.0) as fn(&(f64, f64)) -> f64),
        ("p99", |r: &(f64, f64)| r.1),
    ] {
        let (a, alo, ahi) = spread(without, f);
        let (b, blo, bhi) = spread(with, f);
        println!(
            "routing {what}: without clients median {a:.3} ms (runs {alo:.3}-{ahi:.3}), with {clients} clients median {b:.3} ms (runs {blo:.3}-{bhi:.3}): {:+.0} %, {}",
            (b / a - 1.0) * 100.0,
            if b <= ahi {
                "within the runs' spread without clients (no measurable cost)"
            } else {
                "above every run without clients (a measurable cost)"
            }
        );
    }
}
