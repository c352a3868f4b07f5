//! `hotline sql`: SQL over the read models and the Parquet history, read-only. One query
//! printed as a table, CSV or JSON; or `--listen ADDR`, the PostgreSQL wire protocol for
//! psql and BI tools, following the live log until Ctrl-C.
//!
//! The models are restored from the runner's snapshots and caught up with the log first,
//! and closed days are archived to Parquet, so the answer covers the log up to its head.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::json::ArrayWriter;
use datafusion::arrow::util::pretty::pretty_format_batches;
use hotline_events::Timestamp;
use hotline_infra::config::CenterConfig;
use hotline_infra::{EventLog, SqliteLog};
use hotline_projections::sql::history::History;
use hotline_projections::sql::reports::REPORTS;
use hotline_projections::sql::wire::WireServer;
use hotline_projections::sql::{Analytics, Now, Sources, TABLES};
use hotline_projections::{Runner, Views};

/// The sample center whose metric rules apply without --config.
const SAMPLE: &str = include_str!("../config/demo.toml");

/// How often `--listen` moves closed days to the Parquet history.
const ARCHIVE_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// RFC 4180 CSV with a header line, for spreadsheets.
    Csv,
    /// One JSON array of objects, for programs.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One statement: SELECT, WITH, EXPLAIN or SHOW. Writes are refused.
    #[arg(required_unless_present_any = ["listen", "tables"], conflicts_with = "listen")]
    query: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Serve the PostgreSQL wire protocol here instead (e.g. 127.0.0.1:5433), until Ctrl-C.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// List the tables and the standard reports.
    #[arg(long, conflicts_with_all = ["query", "listen"])]
    tables: bool,
    /// The center whose service-level thresholds and time zone the tables use (see
    /// config/center.toml); without it, those of the center that last ran on the data
    /// directory (as its snapshots record them), else the built-in sample center's.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub async fn run(
    data_dir: &Path,
    target: Option<&hotline_infra::LogTarget>,
    args: Args,
) -> Result<ExitCode> {
    if args.tables {
        list_tables()?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = match &args.config {
        Some(path) => CenterConfig::load(path).map_err(|e| anyhow!("{e}"))?,
        None => CenterConfig::parse(SAMPLE, "demo.toml")
            .map_err(|e| anyhow!("the built-in sample center: {e}"))?,
    };
    let target = crate::logs::chosen(target, &config, args.config.as_deref());
    let target = target.as_ref();
    if target.is_none() && !SqliteLog::file_in(data_dir).is_file() {
        bail!(
            "no event log in {} (run `hotline demo` first, or give --data-dir)",
            data_dir.display()
        );
    }
    // The projections' snapshots and history stay in the data directory, whichever log.
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Read).await?;
    let store = crate::logs::snapshots(data_dir, target, log.as_ref()).await?;
    let rules = crate::logs::rules_for(args.config.is_some(), &config, &store);
    let zone = rules.time_zone;
    let runner = Runner::start(log.clone(), store, rules).await?;
    let views = runner.views();
    let head = log.head().await?;
    views.wait_for(head).await?;
    let history = History::open(data_dir)?;
    let last = last_event_time(log.as_ref(), head).await?;
    archive(&history, &views, zone, last).await?;

    let result = match args.listen {
        Some(addr) => {
            let now: Now = Arc::new(|| Timestamp::from_datetime(chrono::Utc::now()));
            let sources = Sources {
                views: views.clone(),
                log: log.clone(),
                zone,
                now,
                history: Some(history.clone()),
            };
            listen(sources, addr, history, log).await
        }
        None => {
            let now: Now = Arc::new(move || last);
            let sources = Sources {
                views: views.clone(),
                log: log.clone(),
                zone,
                now,
                history: Some(history),
            };
            let query = args.query.unwrap_or_default();
            one_query(sources, &query, args.format).await
        }
    };
    runner.stop().await?;
    result
}

async fn one_query(sources: Sources, query: &str, format: Format) -> Result<ExitCode> {
    let analytics = Analytics::new(sources).await?;
    // The message alone: DataFusion's already holds its causes, so the error chain that
    // `{:#}` would add printed the same sentence three times.
    let answer = analytics.query(query).await.map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => {
            // No rows may come as no batch at all: the header still says what was asked.
            let empty = [RecordBatch::new_empty(answer.schema.clone())];
            let batches = if answer.batches.is_empty() {
                &empty[..]
            } else {
                &answer.batches[..]
            };
            let text = pretty_format_batches(batches)?;
            writeln!(out, "{text}")?;
            let n = answer.rows();
            writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })?;
        }
        Format::Csv => {
            let mut writer = WriterBuilder::new().with_header(true).build(&mut out);
            if answer.batches.is_empty() {
                writer.write(&RecordBatch::new_empty(answer.schema.clone()))?;
            }
            for batch in &answer.batches {
                writer.write(batch)?;
            }
        }
        Format::Json => {
            let mut writer = ArrayWriter::new(&mut out);
            for batch in &answer.batches {
                writer.write(batch)?;
            }
            writer.finish()?;
            drop(writer);
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn listen(
    sources: Sources,
    addr: SocketAddr,
    history: History,
    log: Arc<dyn EventLog>,
) -> Result<ExitCode> {
    let zone = sources.zone;
    let views = sources.views.clone();
    let analytics = Analytics::new(sources).await?;
    // The message alone: its I/O cause is in it already.
    let server = WireServer::start(&analytics, addr)
        .await
        .map_err(|e| anyhow!("--listen {e}; give another address"))?;
    let bound = server.addr();
    let mut interrupt = crate::interrupt::Interrupt::listen()?;
    say!(
        "PostgreSQL wire protocol on {bound} (read-only): psql -h {} -p {}",
        bound.ip(),
        bound.port()
    )?;
    std::io::stdout().flush()?;
    let mut tick = tokio::time::interval(ARCHIVE_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            signal = interrupt.wait() => {
                signal?;
                break;
            }
            _ = tick.tick() => {
                let head = log.head().await?;
                let last = last_event_time(log.as_ref(), head).await?;
                if let Err(e) = archive(&history, &views, zone, last).await {
                    tracing::warn!("archiving closed days to Parquet: {e:#}");
                }
            }
        }
    }
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Moves the closed days to Parquet, off the async threads.
async fn archive(
    history: &History,
    views: &Views,
    zone: chrono_tz::Tz,
    now: Timestamp,
) -> Result<()> {
    let history = history.clone();
    let views = views.clone();
    let report = tokio::task::spawn_blocking(move || {
        let models = views.read();
        history.archive(&models, zone, now)
    })
    .await??;
    if !report.days.is_empty() {
        tracing::info!(
            days = report.days.len(),
            calls = report.calls,
            intervals = report.intervals,
            "archived closed days to Parquet"
        );
    }
    Ok(())
}

/// The time of the log's last event (the epoch for an empty log).
async fn last_event_time(log: &dyn EventLog, head: u64) -> Result<Timestamp> {
    if head == 0 {
        return Ok(Timestamp::from_millis(0));
    }
    let events = log.read_all(head, 1).await?;
    Ok(events
        .first()
        .map(|e| e.occurred_at)
        .unwrap_or(Timestamp::from_millis(0)))
}

fn list_tables() -> Result<()> {
    say!("tables:")?;
    for (name, what) in TABLES {
        say!("  {name:<26} {what}")?;
    }
    say!("reports (views):")?;
    for (name, what, _) in REPORTS {
        say!("  {name:<26} {what}")?;
    }
    Ok(())
}
