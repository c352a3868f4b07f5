//! Benchmarks of the embedded event log (`SqliteLog`) against the disk's own limit: durable
//! appends per second, the latency of one append, and the `read_all` scan rate.
//!
//! Run: `cargo bench -p hotline-infra --bench log` (about 3 minutes on 2 cores, after the
//! release build). Everything is written under the system temp directory (`$TMPDIR`, else
//! `/tmp`), so the log and the raw baseline share one disk. Two parts, in one run:
//!
//! 1. **criterion** (per-element throughput with confidence intervals; `target/criterion`):
//!    - `append/{A}x{B}`: A tasks (1, 16, 256), each appending batches of B probe events
//!      (1 or 64, ~200 bytes of data each) to its own stream with `ExpectedVersion::Any`, on a
//!      fresh log; an element is one event made durable (the append returned). Each
//!      appender builds its events (`conformance::probe`, a fresh id each) as a real caller
//!      would, so that work, on the same 2 cores, is part of the figure.
//!    - `scan/read_all`: reads a pre-filled log of 200,000 events from position 1 in pages
//!      of 4096; an element is one event read and decoded.
//!    - `raw_disk/records`: 200-byte records appended to a plain file, one `write` plus one
//!      `fdatasync` (`File::sync_data`) per batch of 256: the records/s the disk can make
//!      durable at best, the "raw limit".
//!    - `raw_disk/syncs`: one 200-byte write plus one `fdatasync` each: syncs/s, the bound of
//!      a lone appender that waits for each append.
//! 2. **summary** (plain table on stdout): figures from this run's own timed repetitions
//!    (5 interleaved rounds of 2 s per figure, median reported, min–max shown for spread):
//!    - events/s per (appenders, batch), and as a ratio of the raw limit ("0.42x raw");
//!    - appends/s (calls returned), and as a ratio of raw syncs/s;
//!    - p50 / p99 / max latency of one append (from the call to its durable return, event
//!      construction excluded), each the median over the rounds; the goal is read at 256
//!      appenders × 1 event;
//!    - scan events/s;
//!    - PASS / MISS against each goal: ≥ 250,000 events/s at 256 × 1, p99 < 5 ms at 256 × 1,
//!      scan ≥ 2,000,000 events/s.
//!
//! `HOTLINE_BENCH=criterion` runs part 1 only, `HOTLINE_BENCH=summary` part 2 only;
//! `HOTLINE_BENCH=profile:256x1` (any AxB, or `profile:scan`) runs one figure alone for 10 s,
//! for a profiler to watch. Under
//! `cargo test` (no `--bench` argument) each criterion benchmark runs once as a smoke test
//! and the summary is skipped.

#![allow(clippy::unwrap_used)] // a benchmark: any failure should abort the run loudly

use std::fs::File;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use hotline_infra::conformance::{probe, stream};
use hotline_infra::{EventLog, ExpectedVersion, SqliteLog};
use tempfile::TempDir;
use tokio::runtime::Runtime;

const APPENDERS: [usize; 3] = [1, 16, 256];
const BATCHES: [usize; 2] = [1, 64];
/// Bytes per raw record, about the data of one probe event.
const RECORD: usize = 200;
/// Raw records per `fdatasync` for the raw limit.
const RAW_BATCH: usize = 256;
const SCAN_EVENTS: u64 = 200_000;
const PAGE: usize = 4096;
/// Rounds of the summary; each figure is the median over them.
const ROUNDS: usize = 5;
/// How long each timed run of the summary lasts.
const RUN_TIME: Duration = Duration::from_secs(2);

const GOAL_EVENTS: f64 = 250_000.0;
const GOAL_P99: Duration = Duration::from_millis(5);
const GOAL_SCAN: f64 = 2_000_000.0;

/// When a timed run stops.
#[derive(Debug, Clone, Copy)]
enum Until {
    /// After this many appends (or raw syncs) per appender.
    Count(u64),
    /// Once this much time has passed; each appender finishes the append it is in.
    Elapsed(Duration),
}

impl Until {
    fn done(self, n: u64, start: Instant) -> bool {
        match self {
            Until::Count(count) => n >= count,
            Until::Elapsed(time) => start.elapsed() >= time,
        }
    }
}

/// What one timed run did.
#[derive(Debug)]
struct Run {
    /// Events (or raw records) made durable, or read.
    events: u64,
    /// Calls that returned: appends, raw syncs, or pages read.
    calls: u64,
    elapsed: Duration,
    /// The latency of every append, sorted.
    latencies: Vec<Duration>,
}

impl Run {
    fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }

    fn calls_per_sec(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile of the append latencies.
    fn latency(&self, q: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.latencies[rank - 1]
    }
}

/// A log on its own temporary directory, removed on drop.
struct Fresh {
    log: SqliteLog,
    _dir: TempDir,
}

fn fresh_log() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let log = SqliteLog::open(dir.path()).unwrap();
    Fresh { log, _dir: dir }
}

fn close(rt: &Runtime, fresh: Fresh) {
    rt.block_on(fresh.log.close()).unwrap();
}

/// `appenders` concurrent tasks, each appending batches of `batch` new probe events to its
/// own stream until `until`. Latency is timed around `append` alone.
async fn append_run(log: &SqliteLog, appenders: usize, batch: usize, until: Until) -> Run {
    let start = Instant::now();
    let tasks: Vec<_> = (0..appenders)
        .map(|a| {
            let log = log.clone();
            tokio::spawn(async move {
                let stream = stream(&format!("a{a}"));
                let mut latencies = Vec::new();
                let mut n = 0;
                while !until.done(n, start) {
                    let events = (0..batch)
                        .map(|i| probe(&format!(r#""a":{a},"n":{n},"i":{i}"#)))
                        .collect();
                    let sent = Instant::now();
                    log.append(&stream, ExpectedVersion::Any, events)
                        .await
                        .unwrap();
                    latencies.push(sent.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let calls = latencies.len() as u64;
    Run {
        events: calls * batch as u64,
        calls,
        elapsed,
        latencies,
    }
}

/// Appends `per_sync` records of 200 bytes to a new plain file with one write and one
/// `fdatasync` per batch, until `until` (counted in syncs).
fn raw_run(per_sync: usize, until: Until) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut file = File::create(dir.path().join("raw")).unwrap();
    let mut record = [b'x'; RECORD];
    record[RECORD - 1] = b'\n';
    let batch = record.repeat(per_sync);
    let start = Instant::now();
    let mut syncs = 0;
    while !until.done(syncs, start) {
        file.write_all(&batch).unwrap();
        file.sync_data().unwrap();
        syncs += 1;
    }
    let elapsed = start.elapsed();
    Run {
        events: syncs * per_sync as u64,
        calls: syncs,
        elapsed,
        latencies: Vec::new(),
    }
}

/// A log holding `events` probe events, appended in batches of 4096 over 64 streams.
fn filled_log(rt: &Runtime, events: u64) -> Fresh {
    let fresh = fresh_log();
    rt.block_on(async {
        let mut written = 0;
        let mut k = 0;
        while written < events {
            let size = (events - written).min(PAGE as u64);
            let batch = (0..size)
                .map(|i| probe(&format!(r#""k":{k},"i":{i}"#)))
                .collect();
            fresh
                .log
                .append(
                    &stream(&format!("s{}", k % 64)),
                    ExpectedVersion::Any,
                    batch,
                )
                .await
                .unwrap();
            written += size;
            k += 1;
        }
    });
    fresh
}

/// Reads the whole log from position 1 in pages of 4096.
async fn scan_run(log: &SqliteLog) -> Run {
    let start = Instant::now();
    let (mut next, mut events, mut pages) = (1, 0, 0);
    loop {
        let page = log.read_all(next, PAGE).await.unwrap();
        let Some(last) = page.last() else { break };
        next = last.position + 1;
        events += page.len() as u64;
        pages += 1;
    }
    Run {
        events,
        calls: pages,
        elapsed: start.elapsed(),
        latencies: Vec::new(),
    }
}

fn criterion_part(rt: &Runtime, scan_events: u64) {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let mut group = c.benchmark_group("append");
    group.sampling_mode(SamplingMode::Flat);
    for appenders in APPENDERS {
        for batch in BATCHES {
            group.throughput(Throughput::Elements((appenders * batch) as u64));
            let id = BenchmarkId::from_parameter(format!("{appenders}x{batch}"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let fresh = fresh_log();
                    let run = rt.block_on(append_run(
                        &fresh.log,
                        appenders,
                        batch,
                        Until::Count(iters),
                    ));
                    close(rt, fresh);
                    run.elapsed
                });
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("scan");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(scan_events));
    let mut filled = None;
    group.bench_function("read_all", |b| {
        let filled = filled.get_or_insert_with(|| filled_log(rt, scan_events));
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(scan_run(&filled.log)).elapsed)
                .sum()
        });
    });
    group.finish();
    if let Some(filled) = filled {
        close(rt, filled);
    }

    let mut group = c.benchmark_group("raw_disk");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(RAW_BATCH as u64));
    group.bench_function("records", |b| {
        b.iter_custom(|iters| raw_run(RAW_BATCH, Until::Count(iters)).elapsed);
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("syncs", |b| {
        b.iter_custom(|iters| raw_run(1, Until::Count(iters)).elapsed);
    });
    group.finish();

    c.final_summary();
}

/// The median of each figure over the rounds, with the spread of the rate.
#[derive(Debug, Default)]
struct Figures {
    events_per_sec: Vec<f64>,
    calls_per_sec: Vec<f64>,
    p50: Vec<Duration>,
    p99: Vec<Duration>,
    max: Vec<Duration>,
    calls: Vec<u64>,
}

impl Figures {
    fn add(&mut self, run: &Run) {
        self.events_per_sec.push(run.events_per_sec());
        self.calls_per_sec.push(run.calls_per_sec());
        self.p50.push(run.latency(0.50));
        self.p99.push(run.latency(0.99));
        self.max.push(run.latency(1.0));
        self.calls.push(run.calls);
    }

    fn events(&self) -> f64 {
        median(&self.events_per_sec)
    }

    fn calls(&self) -> f64 {
        median(&self.calls_per_sec)
    }

    fn spread(&self) -> String {
        let lo = self.events_per_sec.iter().copied().fold(f64::MAX, f64::min);
        let hi = self.events_per_sec.iter().copied().fold(0.0, f64::max);
        format!("{}–{}", thousands(lo), thousands(hi))
    }
}

fn median<T: Copy + PartialOrd>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    sorted[sorted.len() / 2]
}

fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A ratio to a limit, with a third decimal below 0.1 so that small ones do not read 0.
fn ratio(r: f64) -> String {
    if r < 0.1 {
        format!("{r:.3}x")
    } else {
        format!("{r:.2}x")
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

fn summary_part(rt: &Runtime) {
    let started = Instant::now();
    println!();
    println!(
        "== summary: {ROUNDS} interleaved rounds of {:.1} s per figure, median reported; disk under {} ==",
        RUN_TIME.as_secs_f64(),
        std::env::temp_dir().display()
    );
    let filled = filled_log(rt, SCAN_EVENTS);
    let mut raw = Figures::default();
    let mut syncs = Figures::default();
    let mut scans = Figures::default();
    let mut appends: Vec<((usize, usize), Figures)> = APPENDERS
        .iter()
        .flat_map(|&a| BATCHES.iter().map(move |&b| ((a, b), Figures::default())))
        .collect();
    for round in 1..=ROUNDS {
        eprintln!("summary: round {round} of {ROUNDS}");
        raw.add(&raw_run(RAW_BATCH, Until::Elapsed(RUN_TIME)));
        syncs.add(&raw_run(1, Until::Elapsed(RUN_TIME)));
        for ((appenders, batch), figures) in &mut appends {
            let fresh = fresh_log();
            let run = rt.block_on(append_run(
                &fresh.log,
                *appenders,
                *batch,
                Until::Elapsed(RUN_TIME),
            ));
            close(rt, fresh);
            figures.add(&run);
        }
        scans.add(&rt.block_on(scan_run(&filled.log)));
    }
    close(rt, filled);

    let raw_limit = raw.events();
    let sync_limit = syncs.calls();
    println!(
        "raw limit: {} records/s (200 B records, one fdatasync per {RAW_BATCH}; runs {})",
        thousands(raw_limit),
        raw.spread()
    );
    println!(
        "raw syncs: {} syncs/s (one 200 B write + fdatasync each; runs {})",
        thousands(sync_limit),
        syncs.spread()
    );
    println!();
    println!(
        "{:>9} {:>5} {:>11} {:>10} {:>23} {:>10} {:>12} {:>9} {:>9} {:>9}",
        "appenders",
        "batch",
        "events/s",
        "vs raw",
        "events/s runs min–max",
        "appends/s",
        "vs syncs",
        "p50",
        "p99",
        "max"
    );
    for ((appenders, batch), f) in &appends {
        println!(
            "{appenders:>9} {batch:>5} {:>11} {:>10} {:>23} {:>10} {:>12} {:>9} {:>9} {:>9}",
            thousands(f.events()),
            format!("{} raw", ratio(f.events() / raw_limit)),
            f.spread(),
            thousands(f.calls()),
            format!("{} syncs", ratio(f.calls() / sync_limit)),
            ms(median(&f.p50)),
            ms(median(&f.p99)),
            ms(median(&f.max)),
        );
    }
    let headline = appends
        .iter()
        .find(|((a, b), _)| (*a, *b) == (256, 1))
        .map(|(_, f)| f)
        .unwrap();
    let (events, p50, p99) = (
        headline.events(),
        median(&headline.p50),
        median(&headline.p99),
    );
    let worst = headline.max.iter().max().copied().unwrap_or_default();
    println!();
    println!(
        "append latency, 256 appenders x 1 event: p50 {}, p99 {}, max {} (median of rounds; worst single append {}; {} appends per round)",
        ms(p50),
        ms(p99),
        ms(median(&headline.max)),
        ms(worst),
        thousands(median(&headline.calls) as f64),
    );
    let scan = scans.events();
    println!(
        "scan: {} events/s (read_all of {} events in pages of {PAGE}, {} per scan; runs {})",
        thousands(scan),
        thousands(SCAN_EVENTS as f64),
        ms(median(
            &scans
                .events_per_sec
                .iter()
                .map(|r| Duration::from_secs_f64(SCAN_EVENTS as f64 / r))
                .collect::<Vec<_>>()
        )),
        scans.spread()
    );
    println!();
    println!(
        "{}  256 appenders x 1 event: {} events/s ({} raw), goal >= {}",
        verdict(events >= GOAL_EVENTS),
        thousands(events),
        ratio(events / raw_limit),
        thousands(GOAL_EVENTS)
    );
    println!(
        "{}  p99 append latency at 256 x 1: {}, goal < {}",
        verdict(p99 < GOAL_P99),
        ms(p99),
        ms(GOAL_P99)
    );
    println!(
        "{}  scan: {} events/s, goal >= {}",
        verdict(scan >= GOAL_SCAN),
        thousands(scan),
        thousands(GOAL_SCAN)
    );
    println!("(summary took {:.0} s)", started.elapsed().as_secs_f64());
}

/// One figure alone for 10 s, to run under a profiler: `profile:scan` or
/// `profile:{appenders}x{batch}` (such as `profile:256x1`).
fn profile_part(rt: &Runtime, what: &str) {
    const PROFILE_TIME: Duration = Duration::from_secs(10);
    if what == "scan" {
        let filled = filled_log(rt, SCAN_EVENTS);
        let started = Instant::now();
        let mut figures = Figures::default();
        let before = thread_cpu().values().sum::<Duration>();
        while started.elapsed() < PROFILE_TIME {
            figures.add(&rt.block_on(scan_run(&filled.log)));
        }
        let spent = thread_cpu().values().sum::<Duration>() - before;
        close(rt, filled);
        let events = SCAN_EVENTS as f64 * figures.events_per_sec.len() as f64;
        println!(
            "scan: {} events/s (runs {}); CPU per event {:.3} us",
            thousands(figures.events()),
            figures.spread(),
            spent.as_secs_f64() * 1e6 / events
        );
        return;
    }
    let (appenders, batch) = what
        .split_once('x')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .unwrap_or_else(|| panic!("HOTLINE_BENCH=profile:{what}: expected scan or AxB"));
    let fresh = fresh_log();
    let before = thread_cpu();
    let run = rt.block_on(append_run(
        &fresh.log,
        appenders,
        batch,
        Until::Elapsed(PROFILE_TIME),
    ));
    let after = thread_cpu();
    close(rt, fresh);
    let per_event = |prefix: &str| {
        let sum = |cpu: &std::collections::HashMap<String, Duration>| {
            cpu.iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .map(|(_, spent)| *spent)
                .sum::<Duration>()
        };
        let spent = sum(&after) - sum(&before);
        format!("{:.2} us", spent.as_secs_f64() * 1e6 / run.events as f64)
    };
    println!(
        "{appenders}x{batch}: {} events/s, {} appends/s, p50 {}, p99 {}, max {}; CPU per event: writer {}, log threads {}, tokio {}",
        thousands(run.events_per_sec()),
        thousands(run.calls_per_sec()),
        ms(run.latency(0.5)),
        ms(run.latency(0.99)),
        ms(run.latency(1.0)),
        per_event("hotline-log-wri"),
        per_event("hotline-log"),
        per_event("tokio-rt-worker"),
    );
}

/// CPU time (user + system) so far of this process's threads, summed by thread name (Linux
/// truncates names to 15 bytes), from `/proc/self/task` (Linux only; empty elsewhere).
fn thread_cpu() -> std::collections::HashMap<String, Duration> {
    let mut out = std::collections::HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ... utime stime: fields 14 and 15, counted after the ")".
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, n)| n).to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // Linux reports in clock ticks of 1/100 s.
        let spent = Duration::from_millis((ticks(11) + ticks(12)) * 10);
        *out.entry(name).or_default() += spent;
    }
    out
}

fn main() {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"));
    let part = std::env::var("HOTLINE_BENCH").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if part != "summary" && !part.starts_with("profile:") {
        // A smoke test (`cargo test`) scans a small log.
        let scan_events = if benchmarking { SCAN_EVENTS } else { 10_000 };
        criterion_part(&rt, scan_events);
    }
    if let Some(what) = part.strip_prefix("profile:") {
        profile_part(&rt, what);
    } else if benchmarking && part != "criterion" {
        summary_part(&rt);
    }
    if benchmarking {
        println!("(bench run took {:.0} s)", started.elapsed().as_secs_f64());
    }
}
