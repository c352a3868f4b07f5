//! `hotline replay`: forgets the projections' snapshots and rebuilds them from position 0,
//! as an auditor would, then saves them, so that the next runner starts from there.
//!
//! It reads the log read-only (beside a running writer, if any; the data directory's, or
//! the one `--log` names) and rebuilds up to the head as it was at the start. The
//! snapshots go to the data directory whichever log. The rate it reports is that of the
//! rebuild itself (reading, decoding and folding), without the final save.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hotline_infra::LogTarget;
use hotline_infra::config::CenterConfig;
use hotline_projections::Name;
use hotline_projections::runner::rebuild;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The sample center `hotline demo` runs, whose thresholds apply unless --config says.
const SAMPLE: &str = include_str!("../config/demo.toml");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rebuild only this projection: calls, agent_states, queue_intervals, boards,
    /// customers, interactions, campaign_attempts, recordings, voicemails or surveys.
    #[arg(long, value_name = "NAME")]
    projection: Option<String>,
    /// The center whose service-level thresholds the metrics use (see config/center.toml);
    /// without it, those of the center that last ran on the data directory (as its
    /// snapshots record them), else the built-in sample center's.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub async fn run(data_dir: &Path, target: Option<&LogTarget>, args: Args) -> Result<ExitCode> {
    // Parsed here rather than by clap, so that a wrong name is one line naming the valid ones.
    let names = match &args.projection {
        Some(name) => vec![name.parse::<Name>()?],
        None => Name::ALL.to_vec(),
    };
    let config = match &args.config {
        Some(path) => CenterConfig::load(path).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => CenterConfig::parse(SAMPLE, "demo.toml")
            .map_err(|e| anyhow::anyhow!("the built-in sample center: {e}"))?,
    };
    let target = crate::logs::chosen(target, &config, args.config.as_deref());
    let log = crate::logs::open(data_dir, target.as_ref(), crate::logs::Access::Read).await?;
    let store = crate::logs::snapshots(data_dir, target.as_ref(), log.as_ref()).await?;
    // Read before the snapshots that hold them are dropped.
    let rules = crate::logs::rules_for(args.config.is_some(), &config, &store);
    // Dropped first: if the rebuild is interrupted, the next runner rebuilds too instead of
    // trusting what the user asked to throw away.
    for name in &names {
        store.drop(name.as_str())?;
    }
    let head = log.head().await?;

    let bar = ProgressBar::with_draw_target(Some(head), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:40}] {human_pos}/{human_len} events  {per_sec}  ETA {eta}",
        )
        .context("the progress bar's template")?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    let started = Instant::now();
    let (models, folded) = rebuild(log, &rules, &names, head, |p| bar.set_position(p)).await?;
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    models
        .save(&store, &rules, &names)
        .with_context(|| format!("saving the snapshots in {}", store.path().display()))?;
    say!(
        "replayed {folded} events into {} in {elapsed:.2} s ({:.0} events/s)",
        Name::listed(&names),
        folded as f64 / elapsed.max(1e-9)
    )?;
    Ok(ExitCode::SUCCESS)
}
