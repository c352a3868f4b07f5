//! `hotline serve`: the live center. One process runs the actors, the projection runner
//! and the HTTP server (warp: REST under `/api`, the board feed, the wallboard and agent
//! pages, `/metrics`) on the event log (the data directory's, or the one `--log` or the
//! center file's `log` key names), and the PostgreSQL wire beside it.
//!
//! Every endpoint checks the caller's role ([`auth`]) before it does anything; an agent
//! token reaches only its own agent and calls. Shutdown (Ctrl-C) stops accepting, stops
//! the actors, saves the projections' snapshots and closes the log.

pub mod admin;
pub mod api;
pub mod auth;
pub mod campaigns;
pub mod feed;
pub mod metrics;
mod pages;
pub mod recordings;
pub mod reply;
pub mod traffic;
pub mod voicemail;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use hotline_actors::Center;
use hotline_events::Timestamp;
use hotline_infra::config::CenterConfig;
use hotline_infra::{Clock, EventLog, LogTarget, TimedLog};
use hotline_media::{AgentModel, SimNetwork};
use hotline_projections::sql::history::History;
use hotline_projections::sql::wire::WireServer;
use hotline_projections::sql::{Analytics, Now, Sources};
use hotline_projections::{MetricRules, Runner, Views};
use tokio::net::TcpListener;
use tokio::sync::{RwLock, watch};

use crate::server::auth::{Principal, Role, Tokens};
use crate::server::metrics::Latencies;

/// The sample center, when no --config is given.
const SAMPLE: &str = include_str!("../../config/demo.toml");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the HTTP server listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the PostgreSQL wire listens; `off` for none.
    #[arg(long, default_value = "127.0.0.1:5433")]
    pub sql_listen: String,
    /// The center to run (see config/center.toml); without it, the built-in sample center.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Also run synthetic callers on the simulated network, this many calls per minute
    /// (the sample's agents answer them): a live demo.
    #[arg(long, value_name = "CALLS_PER_MINUTE", allow_negative_numbers = true)]
    pub demo_traffic: Option<f64>,
    /// Run the demo traffic this many times faster than real time: the callers' talk and
    /// patience, the simulated agents' answer delays and the queues' own durations (wrap-up,
    /// maximum wait) are divided by it, so calls turn over and routing decisions come this
    /// many times more often (a load for benchmarks). Needs `--demo-traffic`.
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub demo_compress: f64,
    /// The seed of the simulated network and callers.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The center's number a campaign's answered lines arrive on: its queue's agents take
    /// them. Without it, the center's first number.
    #[arg(long, value_name = "E164")]
    pub campaign_number: Option<String>,
}

/// What the handlers share.
pub struct Inner {
    pub center: RwLock<Option<Center>>,
    pub views: Views,
    pub analytics: Analytics,
    pub config: Arc<CenterConfig>,
    pub tokens: Tokens,
    pub log: Arc<dyn EventLog>,
    /// The append and routing latencies `/metrics` reports (named for the first, which
    /// was alone here once).
    pub appends: Arc<Latencies>,
    /// The boards, rebuilt by `feed::publish`: the feed, `/api/boards`, the agents'
    /// boards and `/metrics` all read this one copy.
    pub boards: watch::Receiver<Arc<feed::Published>>,
    pub network: SimNetwork,
    /// The agents on the roster (the file's and those registered over the API), as the
    /// center's agent actors keep it.
    pub roster: hotline_actors::roster::Roster,
    /// Where recordings are, when a recording key was given.
    pub vault: Option<hotline_infra::Vault>,
    /// The number campaigns' answered lines arrive on (see [`Args::campaign_number`]).
    pub campaign_number: String,
}

pub type State = Arc<Inner>;

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now())
}

/// Makes sure an administrator token exists: `HOTLINE_ADMIN_TOKEN` if set, else a new one,
/// printed once (it is stored only as a hash).
fn first_administrator(tokens: &Tokens) -> Result<Option<String>> {
    if let Ok(given) = std::env::var("HOTLINE_ADMIN_TOKEN") {
        if tokens.check(&given).is_none() {
            tokens.add(
                &given,
                Principal {
                    name: "admin".into(),
                    role: Role::Administrator,
                    agent: None,
                },
            )?;
        }
        return Ok(None);
    }
    if tokens.has_administrator() {
        return Ok(None);
    }
    tokens
        .issue(Principal {
            name: "admin".into(),
            role: Role::Administrator,
            agent: None,
        })
        .map(Some)
}

pub async fn run(
    data_dir: &Path,
    target: Option<&LogTarget>,
    args: Args,
) -> Result<std::process::ExitCode> {
    let config = match &args.config {
        Some(path) => CenterConfig::load(path).map_err(|e| anyhow!("{e}"))?,
        None => CenterConfig::parse(SAMPLE, "demo.toml")
            .map_err(|e| anyhow!("the built-in sample center: {e}"))?,
    };
    let compress = args.demo_compress;
    if !(compress.is_finite() && compress > 0.0) {
        bail!("--demo-compress {compress}: give a factor greater than zero (1 is real time)");
    }
    // Checked before anything starts: found by the traffic itself, after the banner, it
    // stopped a server that had just said it was serving.
    if let Some(rate) = args.demo_traffic
        && !traffic::rate_ok(rate)
    {
        bail!(
            "--demo-traffic {rate}: give calls per minute, more than 0 and at most {} (--rate for hotline demo)",
            traffic::MAX_PER_MINUTE
        );
    }
    let config = match args.demo_traffic {
        Some(_) if compress != 1.0 => config.compressed(compress),
        Some(_) => config,
        None if compress != 1.0 => {
            bail!("--demo-compress compresses the demo's traffic: give --demo-traffic too")
        }
        None => config,
    };
    // Bound before the log is opened: an address in use leaves no data directory or log
    // behind, and a client that connects while the center starts waits for it.
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        anyhow!(
            "--listen {}: {e}; give another address (port 0 picks a free one)",
            args.listen
        )
    })?;
    // The SQL address and the campaign number too: a start they refuse writes nothing.
    let wire_listener = match args.sql_listen.as_str() {
        "off" => None,
        addr => {
            let addr: SocketAddr = addr
                .parse()
                .map_err(|e| anyhow!("--sql-listen {addr:?}: {e} (an address, or `off`)"))?;
            // The message alone: its I/O cause is in it already.
            let listener = WireServer::bind(addr).await.map_err(|e| {
                anyhow!("--sql-listen {e}; give another address, or `off` for none")
            })?;
            Some(listener)
        }
    };
    let campaign_number = match &args.campaign_number {
        Some(n) if config.number(n).is_some() => n.clone(),
        Some(n) => {
            return Err(anyhow!(
                "--campaign-number {n} is not one of the center's numbers: give one of its [[numbers]]"
            ));
        }
        None => config
            .numbers
            .first()
            .map(|n| n.number.clone())
            .unwrap_or_default(),
    };
    let vault = crate::recordings::vault_for(data_dir, &config)?;
    let rules = MetricRules::from_config(&config);
    let zone = rules.time_zone;
    let target = crate::logs::chosen(target, &config, args.config.as_deref());
    let opened = crate::logs::open(data_dir, target.as_ref(), crate::logs::Access::Write).await?;
    // The data directory keeps the rest (tokens, snapshots, history) whichever log.
    std::fs::create_dir_all(data_dir).with_context(|| {
        format!(
            "creating the data directory {} (use --data-dir or HOTLINE_DATA_DIR for another place)",
            data_dir.display()
        )
    })?;
    let timed = TimedLog::new(opened);
    let appends = timed.appends();
    let log: Arc<dyn EventLog> = Arc::new(timed);
    let tokens = Tokens::open(data_dir)?;

    let store = crate::logs::snapshots(data_dir, target.as_ref(), log.as_ref()).await?;
    let runner = Runner::start(log.clone(), store, rules).await?;
    let views = runner.views();
    let history = History::open(data_dir)?;
    let analytics = Analytics::new(Sources {
        views: views.clone(),
        log: log.clone(),
        zone,
        now: Arc::new(now) as Now,
        history: Some(history.clone()),
    })
    .await?;

    let (network, reports) = SimNetwork::new(args.seed, 65_536);
    // Every agent's phone rings at the desk until the person accepts (or it times out);
    // the demo's simulated agents get models of their own.
    for a in &config.agents {
        network.add_agent(a.id, AgentModel::by_hand());
    }
    let base = match &args.config {
        Some(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    let flows = crate::ivr::flows_of(&config, &base, views.clone())?;
    let config = Arc::new(config);
    let recorder = vault
        .clone()
        .map(hotline_actors::Recorder::new)
        .unwrap_or_default();
    let center = Center::start_recording(
        (*config).clone(),
        flows,
        recorder,
        log.clone(),
        Arc::new(network.clone()),
        reports,
        Clock::system(),
        args.seed,
    )
    .await?;
    // The dialers of the campaigns in the log: they pick up where their streams stand.
    // Numbers a campaign dials behave as a typical list on the simulated network.
    network.set_outbound(hotline_media::OutboundScript::default());
    // The campaigns of the log, from the projection once it has folded the head: a second
    // read of the whole log at every start would only repeat it.
    views.wait_for(log.head().await?).await?;
    let in_log: Vec<_> = (views.read().campaign_attempts.campaigns().iter())
        .map(|c| c.campaign)
        .collect();
    for id in in_log {
        match campaigns::run_of(&config, id, &campaign_number) {
            Some(run) => {
                center.start_campaign(run).await?;
            }
            None => tracing::warn!(campaign = %id, "no campaign number: its dialer is not started"),
        }
    }
    // Expired recordings and voicemail messages go at start and every hour after.
    let purge = vault.clone().map(|vault| {
        crate::recordings::purge_every_hour(
            log.clone(),
            vault,
            config.recording.retention,
            config.voicemail.retention,
        )
    });
    let roster = center.services().roster.clone();
    // Agents registered over the API before this start get a desk phone too.
    for e in roster.list().iter().filter(|e| !e.from_config) {
        network.add_agent(e.id, AgentModel::by_hand());
    }
    let latencies = Arc::new(Latencies {
        appends,
        routing: center.routing_latency(),
    });
    let boards = feed::publish(views.clone(), config.clone(), zone, now);
    let state: State = Arc::new(Inner {
        center: RwLock::new(Some(center)),
        views: views.clone(),
        analytics: analytics.clone(),
        config: config.clone(),
        tokens,
        log: log.clone(),
        appends: latencies,
        boards,
        network: network.clone(),
        roster,
        vault,
        campaign_number,
    });

    let bound = listener.local_addr()?;
    let wire = match wire_listener {
        None => None,
        Some(listener) => Some(
            WireServer::serve(&analytics, listener).map_err(|e| anyhow!("--sql-listen: {e}"))?,
        ),
    };
    // Issued only now that every check of the start has passed: a token issued by a start
    // that then failed (an address in use, a bad --campaign-number) was kept as a hash
    // and never shown, and no later start printed one, locking the administrator out.
    let new_admin = first_administrator(&state.tokens)?;
    say!("Hotline is serving on http://{bound}")?;
    say!("  wallboard:   http://{bound}/wallboard")?;
    say!("  agent desk:  http://{bound}/agent")?;
    say!("  API:         http://{bound}/api/openapi.json")?;
    say!(
        "  event log:   {}",
        crate::logs::describe(data_dir, target.as_ref())
    )?;
    if let Some(w) = &wire {
        let a = w.addr();
        say!("  SQL:         psql -h {} -p {}", a.ip(), a.port())?;
    }
    if let Some(token) = &new_admin {
        say!("administrator token (shown once; keep it): {token}")?;
    }
    let demo = match args.demo_traffic {
        Some(per_minute) => {
            let tokens = traffic::demo_tokens(&state)?;
            say!("supervisor token (wallboard): {}", tokens.supervisor)?;
            say!("agent token ({}): {}", tokens.agent_name, tokens.agent)?;
            say!(
                "open http://{bound}/wallboard#token={} to watch",
                tokens.supervisor
            )?;
            Some(traffic::start(state.clone(), per_minute, compress, args.seed).await?)
        }
        None => None,
    };
    // From before the line that says so: a Ctrl-C right after it must stop us cleanly.
    let mut interrupt = crate::interrupt::Interrupt::listen()?;
    say!("Ctrl-C stops it.")?;
    std::io::Write::flush(&mut std::io::stdout())?;

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let routes = api::routes(state.clone());
    let server = tokio::spawn(
        warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                let _ = stop_rx.await;
            })
            .run(),
    );
    interrupt.wait().await?;
    tracing::info!("stopping");
    if let Some(demo) = demo {
        demo.abort();
    }
    if let Some(purge) = purge {
        purge.abort();
    }
    let _ = stop_tx.send(());
    // Feed clients may hold their streams open; the server stops waiting for them soon.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), server).await;
    if let Some(w) = wire {
        w.stop().await;
    }
    if let Some(center) = state.center.write().await.take() {
        center.stop().await;
    }
    runner.stop().await?;
    log.close().await?;
    say!("stopped: snapshots saved, log closed")?;
    Ok(std::process::ExitCode::SUCCESS)
}
