//! `/metrics` in the Prometheus text format, and the latencies the server measures
//! itself: of every append (infra's [`TimedLog`](hotline_infra::TimedLog) around the log)
//! and of every routing decision (the center's router records it).

use std::sync::Arc;

use hotline_infra::{LatencyHistogram, LatencySummary};
use hotline_projections::Views;

/// The latency histograms `/metrics` reads.
#[derive(Debug, Default)]
pub struct Latencies {
    /// Durable appends by this server (the writers' view: waiting for the group commit
    /// included).
    pub appends: Arc<LatencyHistogram>,
    /// From a routing decision becoming due to it being durable and acted on.
    pub routing: Arc<LatencyHistogram>,
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
    latencies: &Latencies,
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
    summary(
        &mut out,
        "hotline_append_seconds",
        "Durable appends by this server and their latency.",
        &latencies.appends.summary(),
    );
    summary(
        &mut out,
        "hotline_routing_latency_seconds",
        "From a routing decision becoming due (a call queued, an agent free) to it being durable and acted on.",
        &latencies.routing.summary(),
    );
    out
}

/// A latency as a summary (p50, p90, p99, sum and count since start), and its maximum as
/// a gauge beside it.
fn summary(out: &mut String, name: &str, help: &str, s: &LatencySummary) {
    use std::fmt::Write;
    family(out, name, "summary", help);
    for (q, v) in [("0.5", s.p50), ("0.9", s.p90), ("0.99", s.p99)] {
        let _ = writeln!(out, "{name}{{quantile=\"{q}\"}} {}", v.as_secs_f64());
    }
    let _ = writeln!(out, "{name}_sum {}", s.sum.as_secs_f64());
    let _ = writeln!(out, "{name}_count {}", s.count);
    family(
        out,
        &format!("{name}_max"),
        "gauge",
        "The slowest since start, in seconds.",
    );
    let _ = writeln!(out, "{name}_max {}", s.max.as_secs_f64());
}
