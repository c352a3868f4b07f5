//! The SQL history benchmark of the projections issue: N synthetic calls (10 million by
//! default) spread over two months, stored as the Parquet history (`calls` and
//! `queue_intervals`, one folder per day), then the service-level-by-interval report for
//! one month, timed over several runs; the median is the figure.
//!
//! Two forms of the report are timed: the standard view (`service_level_by_interval`,
//! over the interval aggregates the projection keeps) and the same figures computed from
//! the raw `calls` rows of the month (a scan of about 5 million rows), which is what an
//! analyst's ad-hoc report costs.
//!
//! `HOTLINE_BENCH_CALLS` sets N; `HOTLINE_BENCH_DIR` keeps the generated history in that
//! folder (generated once, reused by later runs) instead of a temporary one.
//!
//! `cargo bench -p hotline-projections --bench sql_history`

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use chrono_tz::Tz;
use hotline_events::{AgentId, CallId, Channel, EndReason, Party, QueueId, Timestamp};
use hotline_infra::{EventLog, SqliteLog};
use hotline_projections::queue_intervals::{INTERVAL_MS, IntervalRow, interval_start};
use hotline_projections::sql::history::{Archived, History};
use hotline_projections::sql::{Analytics, Now, Sources, tables};
use hotline_projections::{CallRow, MetricRules, Outcome, QueueCounts, ReadModels, Views};

const QUEUES: [&str; 4] = ["sales", "support", "billing", "retention"];
const DAYS: i64 = 61;
const THRESHOLD_MS: u64 = 20_000;
const RUNS: usize = 7;

/// A small deterministic generator (xorshift), so the history is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Exponential with this mean.
    fn exp(&mut self, mean: f64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (-(1.0 - u).ln() * mean) as u64
    }
}

fn day_start(day: i64) -> Timestamp {
    let date = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Duration::days(day);
    Timestamp::from_datetime(date.and_hms_opt(0, 0, 0).unwrap().and_utc())
}

/// One day's calls, between 08:00 and 20:00, and their interval aggregates.
fn generate_day(day: i64, calls: u64, rng: &mut Rng) -> (Vec<CallRow>, Vec<IntervalRow>) {
    let start = day_start(day).as_millis() + 8 * 3_600_000;
    let agents: Vec<AgentId> = (0..50)
        .map(|i| format!("00000000-0000-7000-a000-{i:012}").parse().unwrap())
        .collect();
    let mut rows = Vec::with_capacity(calls as usize);
    let mut counts: HashMap<(usize, i64), QueueCounts> = HashMap::new();
    for n in 0..calls {
        let arrived = Timestamp::from_millis(start + rng.below(12 * 3_600_000) as i64);
        let queued = arrived.plus_millis(5_000 + rng.below(20_000));
        let q = rng.below(QUEUES.len() as u64) as usize;
        let queue = QueueId::new(QUEUES[q]).unwrap();
        let wait = rng.exp(25_000.0);
        let abandons = rng.below(100) < 6;
        let id: CallId = format!("00000000-0000-7000-8000-{:06}{:06}", day, n)
            .parse()
            .unwrap();
        let mut row = CallRow::new(id);
        row.number = "+18005550100".into();
        row.caller = "+15555550123".into();
        row.channel = Some(Channel::Voice);
        row.first_queue = Some(queue.clone());
        row.last_queue = Some(queue.clone());
        row.arrived_at = Some(arrived);
        row.queued_at = Some(queued);
        row.wait_ms = wait;
        let c = counts
            .entry((q, interval_start(queued).as_millis()))
            .or_default();
        c.offered += 1;
        if abandons {
            let ended = queued.plus_millis(wait);
            row.ended_at = Some(ended);
            row.end_reason = Some(EndReason::Abandoned);
            row.ended_by = Some(Party::Caller);
            if wait < 5_000 {
                row.outcome = Some(Outcome::ShortAbandon);
                c.short_abandons += 1;
            } else {
                row.outcome = Some(Outcome::Abandoned);
                c.abandoned += 1;
            }
            c.abandon_wait_ms += wait;
        } else {
            let answered = queued.plus_millis(wait);
            let talk = rng.exp(180_000.0);
            let wrap = 10_000 + rng.below(30_000);
            row.agents = vec![agents[rng.below(50) as usize]];
            row.first_offered_at = Some(answered);
            row.answered_at = Some(answered);
            row.ended_at = Some(answered.plus_millis(talk));
            row.talk_ms = talk;
            row.wrap_ms = wrap;
            row.outcome = Some(Outcome::Answered);
            row.end_reason = Some(EndReason::Completed);
            row.ended_by = Some(Party::Caller);
            c.answered += 1;
            c.answer_wait_ms += wait;
            if wait <= THRESHOLD_MS {
                c.answered_within_threshold += 1;
            }
            c.handled += 1;
            c.handle_ms += talk + wrap;
        }
        rows.push(row);
    }
    let mut intervals: Vec<IntervalRow> = counts
        .into_iter()
        .map(|((q, start), counts)| IntervalRow {
            queue: QueueId::new(QUEUES[q]).unwrap(),
            start: Timestamp::from_millis(start),
            counts,
        })
        .collect();
    intervals.sort_by_key(|r| (r.queue.as_str().to_owned(), r.start));
    (rows, intervals)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this as a quick check.
    let quick = !std::env::args().any(|a| a == "--bench");
    let calls: u64 = std::env::var("HOTLINE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 10_000_000 });
    let kept = std::env::var("HOTLINE_BENCH_DIR").ok().map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_owned());
    let marker = dir.join(format!("generated-{calls}"));
    let history = History::open(&dir).unwrap();
    if !marker.is_file() {
        let started = Instant::now();
        let per_day = calls / DAYS as u64;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut written = 0u64;
        for day in 0..DAYS {
            let n = if day == DAYS - 1 {
                calls - written
            } else {
                per_day
            };
            let (rows, intervals) = generate_day(day, n, &mut rng);
            written += n;
            let d = tables::day_of(day_start(day), Tz::UTC);
            let batch = tables::calls_batch(&rows, Tz::UTC, false).unwrap();
            history.write_day(Archived::Calls, d, &batch).unwrap();
            let batch = tables::queue_intervals_batch(&intervals, Tz::UTC, false).unwrap();
            history
                .write_day(Archived::QueueIntervals, d, &batch)
                .unwrap();
        }
        std::fs::write(&marker, b"").unwrap();
        println!(
            "generated {calls} calls over {DAYS} days as Parquet in {:.1} s ({})",
            started.elapsed().as_secs_f64(),
            dir.display()
        );
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let log_dir = tempfile::tempdir().unwrap();
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(log_dir.path()).unwrap());
        let now: Now = Arc::new(|| Timestamp::from_millis(0));
        let analytics = Analytics::new(Sources {
            views: Views::fixed(ReadModels::new(&MetricRules::default())),
            log,
            zone: Tz::UTC,
            now,
            history: Some(History::open(&dir).unwrap()),
        })
        .await
        .unwrap();
        let month = "day BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'";
        let reports = [
            (
                "service_level_by_interval view, one month",
                format!(
                    "SELECT * FROM service_level_by_interval WHERE {month} \
                     ORDER BY queue, interval_start"
                ),
            ),
            (
                "the same from the raw calls rows, one month",
                format!(
                    "SELECT first_queue AS queue,
                            date_bin(INTERVAL '15 minutes', queued_at) AS interval_start,
                            count(*) AS offered,
                            sum(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
                            CAST(sum(CASE WHEN answered_at IS NOT NULL AND wait_ms <= {THRESHOLD_MS}
                                          THEN 1 ELSE 0 END) AS DOUBLE)
                              / NULLIF(count(*) - sum(CASE WHEN outcome = 'short_abandon'
                                                           THEN 1 ELSE 0 END), 0)
                              AS service_level,
                            avg(CASE WHEN answered_at IS NOT NULL THEN wait_ms END) / 1000.0 AS asa_s
                     FROM calls WHERE {month}
                     GROUP BY 1, 2 ORDER BY 1, 2"
                ),
            ),
        ];
        let total = analytics
            .query("SELECT count(*) AS n FROM calls")
            .await
            .unwrap();
        let n = tables_count(&total);
        assert_eq!(n, calls as i64, "every generated call is in the history");
        for (what, sql) in &reports {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..if quick { 1 } else { RUNS } {
                let started = Instant::now();
                let answer = analytics.query(sql).await.unwrap();
                times.push(started.elapsed());
                rows = answer.rows();
            }
            let m = median(times.clone());
            println!(
                "{what}: median {:.1} ms over {} runs (min {:.1}, max {:.1}), {rows} rows, \
                 history of {n} calls",
                m.as_secs_f64() * 1e3,
                times.len(),
                times.iter().min().unwrap().as_secs_f64() * 1e3,
                times.iter().max().unwrap().as_secs_f64() * 1e3,
            );
            assert!(rows > 0, "{what}: the month has intervals");
            assert!(rows as i64 <= 31 * 4 * (12 * 3_600_000 / INTERVAL_MS + 2));
        }
    });
    drop(temp);
}

fn tables_count(answer: &hotline_projections::sql::Answer) -> i64 {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    answer.batches[0]
        .column(0)
        .as_primitive::<Int64Type>()
        .value(0)
}
