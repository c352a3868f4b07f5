//! `hotline demo`: a morning of the sample center (`config/demo.toml`), run by the real
//! actors on the simulated phone network and a virtual clock, so hours pass in seconds;
//! then the live server on the same data, with synthetic callers on the wall clock, so
//! the wallboard moves and SQL has a morning of history to query. Everything lands in the
//! event log (the data directory's, or the one `--log` names); the morning's end verifies the chain and tells one
//! call's story. `--no-serve` stops after the morning.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hotline_actors::Center;
use hotline_actors::agent::AgentCommand;
use hotline_events::{CallEvent, EndReason, Event, Timestamp};
use hotline_infra::config::CenterConfig;
use hotline_infra::{Clock, EventLog, LogTarget, VirtualTimeLog};
use hotline_media::{AgentModel, Arrivals, CallerScript, Dist, SimNetwork};
use hotline_projections::{Boards, MetricRules, Projection};
use hotline_simulations::report::fold_log;
use hotline_simulations::run;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The sample center, built into the binary so the demo runs from any directory.
const SAMPLE: &str = include_str!("../config/demo.toml");

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// How many calls arrive during the morning.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    calls: u32,
    /// How long the morning lasts, in simulated minutes.
    #[arg(long, default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=10_080))]
    minutes: u32,
    /// The random seed: the same seed makes the same callers.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The center to run instead of the sample (see config/center.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Stop after the morning instead of going live.
    #[arg(long)]
    no_serve: bool,
    /// Where the live server listens after the morning.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Where the live server's PostgreSQL wire listens (`off` for none).
    #[arg(long, default_value = "127.0.0.1:5433")]
    sql_listen: String,
    /// Live calls per minute once the server runs.
    #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
    rate: f64,
}

pub async fn run(data_dir: &Path, target: Option<&LogTarget>, args: Args) -> Result<ExitCode> {
    let config = match &args.config {
        Some(path) => CenterConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => CenterConfig::parse(SAMPLE, "demo.toml")
            .map_err(|e| anyhow::anyhow!("the built-in sample center: {e}"))?,
    };
    if config.agents.is_empty() || config.numbers.is_empty() {
        bail!("the center needs at least one agent and one number to run a demo");
    }
    // Checked before the morning: found when going live, it came after all of it.
    if !args.no_serve && !crate::server::traffic::rate_ok(args.rate) {
        bail!(
            "--rate {}: give live calls per minute, more than 0 and at most {} (or --no-serve)",
            args.rate,
            crate::server::traffic::MAX_PER_MINUTE
        );
    }
    // Resolved once: the morning and the live server after it run on the same log.
    let target = crate::logs::chosen(target, &config, args.config.as_deref());
    let target = target.as_ref();
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Replayable).await?;
    let head_before = log.head().await?;
    let Some(start) = morning_start(log.as_ref(), head_before, &args).await? else {
        // A morning already written up to now: straight to the live server.
        log.close().await?;
        say!("the log already holds today's morning; going live")?;
        return go_live(data_dir, target, &args).await;
    };
    let config_for_report = config.clone();
    let wall = Instant::now();
    // The virtual clock needs a runtime of its own: one thread, time paused. Its ids are
    // seeded like its callers (mixed with the head, as the network's seed is, so that a
    // second demo on the same data writes other ids).
    let morning = {
        let log = log.clone();
        let id_seed = run::sub_seed(args.seed, head_before);
        let args = args.clone();
        tokio::task::spawn_blocking(move || {
            run::on_virtual_clock(id_seed, morning(config, log, &args, head_before, start))
        })
        .await???
    };
    let elapsed = wall.elapsed();
    let head = log.head().await?;
    let written = head - head_before;
    say!(
        "{} calls: {} answered, {} abandoned, {} to voicemail, {} other ends; {} still live",
        morning.placed,
        morning.answered,
        morning.abandoned,
        morning.voicemail,
        morning.other,
        morning.live
    )?;
    say!(
        "{} simulated minutes in {:.2} s: {} events written ({:.0} events/s)",
        morning.minutes,
        elapsed.as_secs_f64(),
        written,
        written as f64 / elapsed.as_secs_f64().max(1e-9)
    )?;
    queue_report(log.as_ref(), &config_for_report).await?;
    let report = log.verify().await?;
    match &report.first_break {
        None => say!(
            "hash chain verified: {} events, head {}",
            report.events_checked,
            hex_prefix(&report.last_hash.to_string())
        )?,
        Some(b) => bail!("the chain breaks at position {}: {}", b.position, b.problem),
    }
    log.close().await?;
    if let Some(call) = morning.story {
        say!("\nOne call's story (hotline audit history {call}):")?;
        crate::audit::history(data_dir, target, &call).await?;
    }
    // Each command carries the flags: a bare `hotline audit verify` would check
    // ./hotline-data, not this morning.
    let flags = crate::load::rerun_flags(data_dir, target);
    say!("\nRead it all back: hotline log tail{flags}   and   hotline audit verify{flags}")?;
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    go_live(data_dir, target, &args).await
}

/// Today's figures per queue and for the agents, folded from the log by the same
/// projections the wallboards use.
async fn queue_report(log: &dyn EventLog, config: &CenterConfig) -> Result<()> {
    let mut boards = Boards::new(MetricRules::from_config(config));
    let (_, last) = fold_log(log, |fact| boards.apply(fact)).await?;
    let Some(now) = last else { return Ok(()) };
    let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.0} %", v * 100.0));
    let secs = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.0} s", v / 1000.0));
    say!(
        "\n{:<10} {:>8} {:>8} {:>9} {:>6} {:>9} {:>7} {:>7}",
        "today",
        "offered",
        "answered",
        "abandoned",
        "short",
        "SL",
        "ASA",
        "AHT"
    )?;
    for q in &config.queues {
        let b = boards.queue(&q.id, now);
        say!(
            "{:<10} {:>8} {:>8} {:>9} {:>6} {:>9} {:>7} {:>7}",
            q.id.as_str(),
            b.today.offered,
            b.today.answered,
            b.today.abandoned,
            b.today.short_abandons,
            format!(
                "{} <{}s",
                pct(b.service_level),
                q.service_level_threshold.as_secs()
            ),
            secs(b.asa_ms),
            secs(b.aht_ms)
        )?;
    }
    let agents = boards.agents(now);
    let occupancy: Vec<f64> = agents.iter().filter_map(|a| a.occupancy_today).collect();
    if !occupancy.is_empty() {
        let calls: Vec<u32> = agents.iter().map(|a| a.calls_today).collect();
        say!(
            "agents: {} logged in, occupancy {:.0} % on average, {} to {} calls each",
            agents.len(),
            occupancy.iter().sum::<f64>() / occupancy.len() as f64 * 100.0,
            calls.iter().min().copied().unwrap_or(0),
            calls.iter().max().copied().unwrap_or(0)
        )?;
    }
    Ok(())
}

fn hex_prefix(s: &str) -> &str {
    s.get(..16).unwrap_or(s)
}

struct Morning {
    placed: u32,
    answered: u32,
    abandoned: u32,
    voicemail: u32,
    other: u32,
    live: usize,
    minutes: u32,
    story: Option<String>,
}

/// When the morning starts: 08:00 UTC today, after the log's last event if it holds one.
/// Before going live the morning must also end (with its 30 minutes of draining) before
/// now, so that the live events come after it: it starts earlier if it can, and there is
/// none (`None`) if the log's history already reaches too close to now.
async fn morning_start(log: &dyn EventLog, head: u64, args: &Args) -> Result<Option<Timestamp>> {
    let mut start = Timestamp::from_datetime(
        chrono::Utc::now()
            .date_naive()
            .and_hms_opt(8, 0, 0)
            .context("08:00 exists every day")?
            .and_utc(),
    );
    let mut earliest = Timestamp::from_millis(i64::MIN / 2);
    if head > 0
        && let Some(last) = log.read_all(head, 1).await?.first()
    {
        earliest = last.occurred_at.plus_millis(60_000);
        start = start.max(earliest);
    }
    if args.no_serve {
        return Ok(Some(start));
    }
    let length_ms = (u64::from(args.minutes) + 31) * 60_000;
    let now = Timestamp::from_datetime(chrono::Utc::now());
    let latest = Timestamp::from_millis(now.as_millis() - length_ms as i64);
    let start = start.min(latest);
    Ok((start >= earliest).then_some(start))
}

/// The live server on the demo's data, with synthetic callers.
async fn go_live(data_dir: &Path, target: Option<&LogTarget>, args: &Args) -> Result<ExitCode> {
    say!(
        "\nGoing live: the same center on the wall clock, {} calls a minute.",
        args.rate
    )?;
    crate::server::run(
        data_dir,
        target,
        crate::server::Args {
            listen: args.listen,
            sql_listen: args.sql_listen.clone(),
            config: args.config.clone(),
            demo_traffic: Some(args.rate),
            demo_compress: 1.0,
            seed: args.seed,
            campaign_number: None,
        },
    )
    .await
}

/// Runs the morning on a paused clock. On a log that already holds events, the morning
/// starts after the last of them and the network draws other call ids (its seed is mixed
/// with the log's head), so a second demo adds to the history instead of colliding with it.
async fn morning(
    config: CenterConfig,
    log: Arc<dyn EventLog>,
    args: &Args,
    head: u64,
    start: Timestamp,
) -> Result<Morning> {
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(log));
    let (net, reports) = SimNetwork::new(args.seed.wrapping_add(head), 65_536);
    let mut rng = StdRng::seed_from_u64(args.seed);
    for a in &config.agents {
        // Most agents answer within seconds; a few are slow or miss now and then.
        let model = AgentModel {
            answer_delay: Dist::LogNormal {
                mean_secs: rng.random_range(2.0..6.0),
                sd_secs: 2.0,
            },
            answer_probability: rng.random_range(0.9..1.0),
        };
        net.add_agent(a.id, model);
    }
    let center = Center::start(
        config.clone(),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(start),
        args.seed,
    )
    .await?;
    for a in &config.agents {
        // An agent already logged in (a second demo on the same data) just goes on.
        let _ = center.agent(a.id, run::log_in(a)).await;
        let _ = center.agent(a.id, AgentCommand::Ready).await;
    }

    let minutes = args.minutes;
    let rate = f64::from(args.calls) / (f64::from(minutes) * 60.0);
    let mut arrivals = Arrivals::new(rate, args.seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut placed = Vec::with_capacity(args.calls as usize);
    for _ in 0..args.calls {
        let gap = arrivals.next().unwrap_or(Duration::from_secs(1));
        tokio::time::sleep(gap).await;
        let number = &config.numbers[rng.random_range(0..config.numbers.len())];
        let digits = (!number.menu.is_empty()).then(|| {
            number.menu[rng.random_range(0..number.menu.len())]
                .0
                .clone()
        });
        let script = CallerScript {
            number: number.number.clone(),
            caller: format!("+1555{:07}", rng.random_range(0..10_000_000u32)),
            digits,
            patience: Dist::Exponential { mean_secs: 150.0 },
            talk: Dist::LogNormal {
                mean_secs: 240.0,
                sd_secs: 120.0,
            },
            callee_answers: rng.random_bool(0.8),
        };
        placed.push(net.place_call(script).await);
    }
    // Let the last calls finish.
    tokio::time::sleep(Duration::from_secs(30 * 60)).await;
    let live = center.live_calls().len();
    center.stop().await;

    let mut m = Morning {
        placed: args.calls,
        answered: 0,
        abandoned: 0,
        voicemail: 0,
        other: 0,
        live,
        minutes: minutes + 30,
        story: None,
    };
    for call in &placed {
        let history = log.read_stream(&call.stream(), 1).await?;
        let mut answered = false;
        let mut held_or_moved = false;
        for r in &history {
            match r.event() {
                Event::Call(CallEvent::Answered { .. }) => answered = true,
                Event::Call(CallEvent::OfferMissed { .. } | CallEvent::Overflowed { .. }) => {
                    held_or_moved = true
                }
                Event::Call(CallEvent::Ended { reason, .. }) => match reason {
                    EndReason::Completed if answered => m.answered += 1,
                    EndReason::Abandoned => m.abandoned += 1,
                    EndReason::Voicemail => m.voicemail += 1,
                    _ => m.other += 1,
                },
                _ => {}
            }
        }
        if m.story.is_none() && answered && held_or_moved {
            m.story = Some(call.stream().to_string());
        }
    }
    if m.story.is_none() {
        m.story = placed.first().map(|c| c.stream().to_string());
    }
    Ok(m)
}
