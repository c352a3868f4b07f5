//! `hotline simulate SCENARIO --load`: the scenario's traffic, time compressed, against the
//! live center on the event log (the data directory's, or the one `--log` names), with a progress bar, then the figures an
//! engineer sizes a deployment by: sustained calls and events per second, routing and
//! append latency (p50 / p99 / max) and peak memory.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use hotline_infra::{LatencySummary, LogTarget};
use hotline_simulations::load::{self, LoadOptions, LoadProgress};
use hotline_simulations::scenario::Scenario;
use indicatif::{ProgressBar, ProgressStyle};

pub async fn run(
    data_dir: &Path,
    target: Option<&LogTarget>,
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<ExitCode> {
    // Synced at each commit (or acknowledged by the brokers), as `hotline serve` opens it:
    // the figures are a deployment's.
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Write).await?;
    let head = log.head().await?;
    if head > 0 {
        bail!(
            "{} already holds {head} events; run the load into an empty data directory (--data-dir) or a new --log topic, so that its figures cover this run alone",
            crate::logs::describe(data_dir, target)
        );
    }
    let limit = match (options.calls, options.duration) {
        (Some(c), Some(d)) => format!("{c} calls or {} s", d.as_secs()),
        (Some(c), None) => format!("{c} calls"),
        (None, Some(d)) => format!("{} s", d.as_secs()),
        (None, None) => format!("{:.0} calls", scenario.expected_calls()),
    };
    say!(
        "{}: load run of {limit}, time compressed {}x, {} agents, seed {}",
        scenario.name,
        options.compress,
        scenario.center.agents.len(),
        scenario.seed
    )?;
    let bar = match options.calls {
        Some(c) => ProgressBar::new(c),
        None => ProgressBar::no_length(),
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos} calls placed {msg} [{elapsed_precise}]")
            .map_err(|e| anyhow!("{e}"))?,
    );
    let summary = load::load(scenario, log.clone(), *options, |p: LoadProgress| {
        bar.set_position(p.placed);
        let secs = p.elapsed.as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "({:.0}/s), {} in progress, {} events ({:.0}/s){}",
            p.placed as f64 / secs,
            p.live,
            p.events,
            p.events as f64 / secs,
            if p.draining { ", draining" } else { "" }
        ));
    })
    .await?;
    bar.finish_and_clear();
    log.close().await?;
    say!(
        "placed:     {} calls in {:.2} s ({:.0} calls/s; the compressed scenario offers {:.0} calls/s)",
        summary.placed,
        summary.placing.as_secs_f64(),
        summary.placed as f64 / summary.placing.as_secs_f64().max(1e-9),
        summary.offered_per_sec
    )?;
    say!(
        "sustained:  {:.0} calls/s, {:.0} events/s ({} calls ended and {} events written in {:.2} s{})",
        summary.calls_per_sec(),
        summary.events_per_sec(),
        summary.ended,
        summary.events,
        summary.wall.as_secs_f64(),
        if summary.live_at_end > 0 {
            format!("; {} still in progress at the end", summary.live_at_end)
        } else {
            String::new()
        }
    )?;
    say!("routing:    {}", latency(&summary.routing, "decisions"))?;
    say!("appends:    {}", latency(&summary.appends, "appends"))?;
    match summary.peak_rss_kib {
        Some(kib) => say!("memory:     peak RSS {:.1} MiB", kib as f64 / 1024.0)?,
        None => say!("memory:     peak RSS unknown (no /proc/self/status)")?,
    }
    say!(
        "\nThe run is in the log: hotline audit verify{} (replay, sql and log tail take the same flags)",
        rerun_flags(data_dir, target)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn latency(s: &LatencySummary, what: &str) -> String {
    format!(
        "p50 {}, p99 {}, max {} ({} {what})",
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        s.count
    )
}

/// The flags that point a later command at the log and data directory of this run.
pub(crate) fn rerun_flags(data_dir: &Path, target: Option<&LogTarget>) -> String {
    match target {
        Some(t) => format!(" --log {t} --data-dir {}", data_dir.display()),
        None => format!(" --data-dir {}", data_dir.display()),
    }
}
