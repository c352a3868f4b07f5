//! `/metrics` in the Prometheus text format, and the one measurement the server takes
//! itself: the latency of every append, through [`TimedLog`], a wrapper of the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use hotline_events::{NewEvent, Recorded, StreamName};
use hotline_infra::{Appended, EventLog, ExpectedVersion, LogError, Subscription, VerifyReport};
use hotline_projections::Views;

/// Append latencies: count, sum and max, in microseconds.
#[derive(Debug, Default)]
pub struct AppendStats {
    count: AtomicU64,
    sum_us: AtomicU64,
    max_us: AtomicU64,
}

/// The log, timing each append.
#[derive(Debug)]
pub struct TimedLog {
    inner: Arc<dyn EventLog>,
    pub stats: Arc<AppendStats>,
}

impl TimedLog {
    pub fn new(inner: Arc<dyn EventLog>) -> Self {
        Self {
            inner,
            stats: Arc::default(),
        }
    }
}

#[async_trait]
impl EventLog for TimedLog {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, LogError> {
        let started = Instant::now();
        let result = self.inner.append(stream, expected, events).await;
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats.count.fetch_add(1, Ordering::Relaxed);
        self.stats.sum_us.fetch_add(us, Ordering::Relaxed);
        self.stats.max_us.fetch_max(us, Ordering::Relaxed);
        result
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
    ) -> Result<Vec<Recorded>, LogError> {
        self.inner.read_stream(stream, from_version).await
    }

    async fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<Recorded>, LogError> {
        self.inner.read_all(from_position, max).await
    }

    async fn head(&self) -> Result<u64, LogError> {
        self.inner.head().await
    }

    fn subscribe(&self, from_position: u64) -> Subscription {
        self.inner.subscribe(from_position)
    }

    async fn verify(&self) -> Result<VerifyReport, LogError> {
        self.inner.verify().await
    }

    async fn close(&self) -> Result<(), LogError> {
        self.inner.close().await
    }
}

/// Writes one metric family's header.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    use std::fmt::Write;
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Renders the metrics. `boards` is the feed's latest document.
pub fn render(
    boards: &super::feed::Boards,
    head: u64,
    views: &Views,
    appends: &AppendStats,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    family(
        &mut out,
        "hotline_queue_waiting",
        "gauge",
        "Calls waiting in the queue now.",
    );
    for q in &boards.queues {
        let _ = writeln!(
            out,
            "hotline_queue_waiting{{queue=\"{}\"}} {}",
            q.queue, q.waiting
        );
    }
    family(
        &mut out,
        "hotline_queue_calls_today",
        "gauge",
        "Calls of the queue today, by what became of them.",
    );
    for q in &boards.queues {
        for (what, n) in [
            ("offered", q.offered),
            ("answered", q.answered),
            ("abandoned", q.abandoned),
            ("short_abandoned", q.short_abandons),
        ] {
            let _ = writeln!(
                out,
                "hotline_queue_calls_today{{queue=\"{}\",outcome=\"{what}\"}} {n}",
                q.queue
            );
        }
    }
    family(
        &mut out,
        "hotline_queue_service_level",
        "gauge",
        "Share of calls answered within the threshold today (0 to 1).",
    );
    for q in &boards.queues {
        if let Some(sl) = q.service_level {
            let _ = writeln!(
                out,
                "hotline_queue_service_level{{queue=\"{}\"}} {sl}",
                q.queue
            );
        }
    }
    family(
        &mut out,
        "hotline_agents",
        "gauge",
        "Logged-in agents by state.",
    );
    for state in ["available", "not_ready", "reserved", "busy", "wrapping_up"] {
        let n = boards
            .agents
            .iter()
            .filter(|a| a.state == Some(state))
            .count();
        let _ = writeln!(out, "hotline_agents{{state=\"{state}\"}} {n}");
    }
    let position = views.position();
    family(
        &mut out,
        "hotline_log_head",
        "gauge",
        "The log's last position.",
    );
    let _ = writeln!(out, "hotline_log_head {head}");
    family(
        &mut out,
        "hotline_projection_lag_events",
        "gauge",
        "Events appended but not yet folded into the boards.",
    );
    let _ = writeln!(
        out,
        "hotline_projection_lag_events {}",
        head.saturating_sub(position)
    );
    family(
        &mut out,
        "hotline_append_seconds",
        "summary",
        "Durable appends by this server and their latency.",
    );
    let count = appends.count.load(Ordering::Relaxed);
    let sum = appends.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
    let max = appends.max_us.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "hotline_append_seconds_count {count}");
    let _ = writeln!(out, "hotline_append_seconds_sum {sum}");
    family(
        &mut out,
        "hotline_append_seconds_max",
        "gauge",
        "The slowest append since start.",
    );
    let _ = writeln!(out, "hotline_append_seconds_max {max}");
    out
}
