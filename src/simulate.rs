//! `hotline simulate SCENARIO`: a scenario's day through the production actors on a
//! virtual clock, into the log of the data directory, then its report per queue and per
//! agent group, with Erlang's figures beside when the scenario meets their assumptions.
//! With `--load`, the scenario's traffic, time compressed, against the live wall-clock
//! center on the real log instead ([`hotline_simulations::load`]), and its throughput,
//! latencies and memory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use hotline_simulations::erlang::{Evaluation, Model};
use hotline_simulations::load::LoadOptions;
use hotline_simulations::report::Report;
use hotline_simulations::run::{self, Progress};
use hotline_simulations::scenario::Scenario;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (see simulations/scenarios/example.toml).
    scenario: PathBuf,
    /// Run with this seed instead of the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// A load run: drive the live center (wall clock, the event log synced at each commit
    /// or acknowledged by the brokers, as `hotline serve` runs it) with the scenario's
    /// traffic as fast as it goes, and report calls and events per second, routing and
    /// append latency, memory.
    #[arg(long)]
    load: bool,
    /// With --load: divide every duration of the traffic (arrival gaps, talk, patience,
    /// answer delays, wrap-up) by this, so the center carries the scenario's load at FACTOR
    /// times its call rate. Raise it until the sustained rate stops following.
    #[arg(
        long,
        value_name = "FACTOR",
        default_value_t = 100.0,
        requires = "load"
    )]
    compress: f64,
    /// With --load: stop placing calls after this many (the scenario's arrivals repeat).
    #[arg(long, requires = "load", value_parser = clap::value_parser!(u64).range(1..))]
    calls: Option<u64>,
    /// With --load: stop placing calls after this many wall seconds.
    #[arg(long, value_name = "SECONDS", requires = "load", value_parser = clap::value_parser!(u64).range(1..))]
    duration: Option<u64>,
}

pub async fn run(
    data_dir: &Path,
    target: Option<&hotline_infra::LogTarget>,
    args: Args,
) -> Result<ExitCode> {
    let mut scenario = Scenario::load(&args.scenario).map_err(|e| anyhow!("{e}"))?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if args.load {
        return crate::load::run(data_dir, target, &scenario, &args.load_options(&scenario)?).await;
    }
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Replayable).await?;
    let head = log.head().await?;
    if head > 0 {
        bail!(
            "{} already holds {head} events; simulate into an empty data directory (--data-dir) or a new --log topic, so that the report covers this run alone",
            crate::logs::describe(data_dir, target)
        );
    }
    say!(
        "{}: {} queue{}, {} agents, {:.0} calls expected over {} (seed {})",
        scenario.name,
        scenario.center.queues.len(),
        if scenario.center.queues.len() == 1 {
            ""
        } else {
            "s"
        },
        scenario.center.agents.len(),
        scenario.expected_calls(),
        hours(scenario.arrival_window()),
        scenario.seed
    )?;
    let bar = ProgressBar::new(scenario.length().as_secs());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} simulated {msg} [{elapsed_precise}]")
            .map_err(|e| anyhow!("{e}"))?,
    );
    let wall = Instant::now();
    let summary = {
        let scenario = scenario.clone();
        let log = log.clone();
        let bar = bar.clone();
        tokio::task::spawn_blocking(move || {
            run::run(&scenario, log, |p: Progress| {
                bar.set_position(p.simulated.as_secs());
                bar.set_message(format!(
                    "{} of {}: {} calls placed, {} in progress",
                    hours(p.simulated),
                    hours(p.length),
                    p.placed,
                    p.live
                ));
            })
        })
        .await??
    };
    bar.finish_and_clear();
    let elapsed = wall.elapsed().as_secs_f64().max(1e-9);
    // The run's own peak, before the report folds every call of the log into memory.
    let run_peak = hotline_simulations::load::peak_rss_kib();
    let report = Report::from_log(log.as_ref(), &scenario).await?;
    say!(
        "{} simulated in {:.2} s: {} calls ({:.0} calls/s), {} events written ({:.0} events/s){}",
        hours(summary.simulated),
        elapsed,
        summary.placed,
        summary.placed as f64 / elapsed,
        report.events,
        report.events as f64 / elapsed,
        if summary.live_at_end > 0 {
            format!(
                "; {} calls still in progress at the end",
                summary.live_at_end
            )
        } else {
            String::new()
        }
    )?;
    if let (Some(run), Some(all)) = (run_peak, hotline_simulations::load::peak_rss_kib()) {
        // The fold reads the log through SQLite's memory map: those pages count in the
        // resident set but are the page cache's, which the kernel drops under pressure.
        let mapped = hotline_simulations::load::file_rss_kib()
            .map(|kib| {
                format!(
                    " ({:.1} MiB of it mapped files, mostly the log read through its memory map)",
                    kib as f64 / 1024.0
                )
            })
            .unwrap_or_default();
        say!(
            "memory: peak RSS {:.1} MiB during the run, {:.1} MiB with the report's fold of the log{mapped}",
            run as f64 / 1024.0,
            all as f64 / 1024.0
        )?;
    }
    print_report(&report)?;
    log.close().await?;
    say!(
        "\nThe day is in the log: hotline audit verify{} (replay, sql and log tail take the same flags)",
        crate::load::rerun_flags(data_dir, target)
    )?;
    Ok(ExitCode::SUCCESS)
}

impl Args {
    fn load_options(&self, scenario: &Scenario) -> Result<LoadOptions> {
        if !(self.compress.is_finite() && self.compress > 0.0) {
            bail!(
                "--compress {}: give a factor greater than zero (100 runs a 3-minute call in 1.8 s)",
                self.compress
            );
        }
        // The scenario's drain, compressed, within reason for a run someone waits for.
        let drain = Duration::from_secs_f64(scenario.drain.as_secs_f64() / self.compress)
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        Ok(LoadOptions {
            compress: self.compress,
            calls: self.calls,
            duration: self.duration.map(Duration::from_secs),
            drain,
        })
    }
}

pub(crate) fn hours(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}h{:02}m", s / 3600, s / 60 % 60)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.1} s"))
}

fn print_report(report: &Report) -> Result<()> {
    say!(
        "\n{:<12} {:>8} {:>8} {:>9} {:>6} {:>13} {:>8} {:>8} {:>9}",
        "queue",
        "offered",
        "answered",
        "abandoned",
        "short",
        "SL",
        "ASA",
        "AHT",
        "occupancy"
    )?;
    for q in &report.queues {
        let c = &q.counts;
        say!(
            "{:<12} {:>8} {:>8} {:>9} {:>6} {:>13} {:>8} {:>8} {:>9}",
            q.queue.as_str(),
            c.offered,
            c.answered,
            c.abandoned,
            c.short_abandons,
            format!("{} <{}s", pct(c.service_level()), q.threshold.as_secs()),
            secs(c.asa_secs()),
            secs(c.aht_secs()),
            pct(q.time.occupancy())
        )?;
    }
    say!(
        "\n{:<12} {:>6} {:>8} {:>9} {:>8}",
        "agent group",
        "agents",
        "answered",
        "occupancy",
        "breaks"
    )?;
    for g in &report.groups {
        say!(
            "{:<12} {:>6} {:>8} {:>9} {:>8}",
            g.name,
            g.agents,
            g.answered,
            pct(g.time.occupancy()),
            hours(Duration::from_millis(g.time.break_ms))
        )?;
    }
    match (&report.erlang, &report.not_erlang) {
        (Some((setup, predicted)), _) => {
            let Some((c, time)) = &report.steady else {
                return Ok(());
            };
            let name = match setup.model {
                Model::ErlangC => "Erlang C".to_owned(),
                Model::ErlangA { patience_secs } => {
                    format!("Erlang A, mean patience {patience_secs:.0} s")
                }
            };
            say!(
                "\nThe scenario meets Erlang's assumptions ({name}; {} agents, {:.2} Erlangs):",
                setup.agents,
                setup.load.offered_load()
            )?;
            say!("{:<14} {:>10} {:>10}", "", "simulated", "analytic")?;
            let f = match predicted {
                Ok(Evaluation::Stable(f)) => Some(*f),
                Ok(Evaluation::Unstable { .. }) => {
                    say!("(Erlang C: the load exceeds the agents, the queue grows without bound)")?;
                    None
                }
                Err(e) => {
                    say!("(Erlang: {e})")?;
                    None
                }
            };
            let rows: [(&str, Option<f64>, Option<f64>, bool); 5] = [
                ("P(wait)", c.p_wait(), f.map(|f| f.p_wait), true),
                ("SL", c.service_level(), f.map(|f| f.service_level), true),
                ("ASA", c.asa_secs(), f.map(|f| f.asa_secs), false),
                (
                    "abandonment",
                    c.abandonment(),
                    f.map(|f| f.abandonment),
                    true,
                ),
                ("occupancy", time.occupancy(), f.map(|f| f.occupancy), true),
            ];
            for (label, sim, analytic, share) in rows {
                let show = |v| if share { pct(v) } else { secs(v) };
                say!("{:<14} {:>10} {:>10}", label, show(sim), show(analytic))?;
            }
            say!(
                "(simulated: the {} calls that arrived after a warm-up of a tenth of the arrivals, until they stopped; one run's figures vary, more calls narrow them)",
                c.offered
            )?;
        }
        (None, Some(why)) => say!("\nErlang's formulas do not apply: {why}.")?,
        (None, None) => {}
    }
    Ok(())
}
