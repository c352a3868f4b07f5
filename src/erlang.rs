//! `hotline erlang`: staffing questions answered by Erlang C, or Erlang A with `--patience`.
//!
//! Two questions: what do N agents achieve under this load (`--agents`), and how many agents
//! meet a target (`--target`). The figures and their definitions are those of
//! `hotline_simulations::erlang`: the service level is the share of offered calls answered
//! within the threshold, ASA the mean wait of answered calls.
//!
//! Every value is read as text and parsed here rather than by clap, so that a mistake is one
//! line naming the option and what to write (exit 2), like the rest of `hotline`.

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use hotline_infra::config::parse_duration;
use hotline_simulations::erlang::{self, Evaluation, Figures, Load, Model, Target};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Calls offered per hour, such as 360 or 12.5.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    calls_per_hour: String,
    /// Average handle time (talk, hold and wrap-up), such as 240s or 4m.
    #[arg(long, value_name = "DURATION")]
    aht: String,
    /// Evaluate this many agents.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    agents: Option<String>,
    /// The service level reported with --agents, as PERCENT/THRESHOLD: 80/20s.
    #[arg(long, value_name = "PCT/DURATION", default_value = "80/20s")]
    sl: String,
    /// Find the fewest agents answering PERCENT of offered calls within THRESHOLD: 80/20s.
    #[arg(long, value_name = "PCT/DURATION")]
    target: Option<String>,
    /// Mean caller patience: use Erlang A (callers hang up) instead of Erlang C.
    #[arg(long, value_name = "DURATION")]
    patience: Option<String>,
    /// With --target: the largest share of offered calls that may hang up, such as 5%.
    #[arg(long, value_name = "PCT")]
    max_abandon: Option<String>,
    /// With --target: the longest acceptable ASA, such as 30s.
    #[arg(long, value_name = "DURATION")]
    max_asa: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let calls_per_hour = number("--calls-per-hour", &args.calls_per_hour)?;
    let aht = seconds("--aht", &args.aht)?;
    let load = Load::new(calls_per_hour / 3600.0, aht).context("--calls-per-hour / --aht")?;
    let model = match &args.patience {
        Some(p) => Model::erlang_a(seconds("--patience", p)?).context("--patience")?,
        None => Model::ErlangC,
    };
    match (&args.agents, &args.target) {
        (Some(_), Some(_)) => bail!(
            "--agents and --target ask different questions: --agents evaluates a staffing, --target finds one"
        ),
        (None, None) => bail!(
            "say --agents N to evaluate a staffing, or --target 80/20s to find the agents needed"
        ),
        (Some(agents), None) => {
            if args.max_abandon.is_some() || args.max_asa.is_some() {
                bail!("--max-abandon and --max-asa go with --target");
            }
            let agents: u32 = agents.trim().parse().map_err(|_| {
                anyhow!("--agents: \"{agents}\" is not a whole number of agents, such as 26")
            })?;
            let (_, threshold) = service_level("--sl", &args.sl)?;
            let evaluation = erlang::evaluate(model, load, agents, threshold)?;
            header(calls_per_hour, load, model)?;
            match evaluation {
                Evaluation::Stable(f) => figures(&f, threshold, load)?,
                Evaluation::Unstable { agents, .. } => say!(
                    "{agents} agents: unstable, the queue grows without end (Erlang C needs more agents than the {:.2} Erlangs offered)",
                    load.offered_load()
                )?,
            }
        }
        (None, Some(target)) => {
            let (level, threshold) = service_level("--target", target)?;
            let max_abandonment = args
                .max_abandon
                .as_deref()
                .map(|m| percent("--max-abandon", m))
                .transpose()?;
            if max_abandonment.is_some() && model == Model::ErlangC {
                bail!("--max-abandon needs --patience: Erlang C has no abandonment");
            }
            let max_asa_secs = args
                .max_asa
                .as_deref()
                .map(|m| seconds("--max-asa", m))
                .transpose()?;
            let target = Target {
                service_level: level,
                threshold_secs: threshold,
                max_asa_secs,
                max_abandonment,
            };
            let found = erlang::staff(model, load, &target)?;
            header(calls_per_hour, load, model)?;
            let mut wanted = format!("{} % within {}", trim(level * 100.0), secs(threshold));
            if let Some(asa) = max_asa_secs {
                wanted += &format!(", ASA at most {}", secs(asa));
            }
            if let Some(ab) = max_abandonment {
                wanted += &format!(", abandonment at most {} %", trim(ab * 100.0));
            }
            say!("agents needed for {wanted}: {}", found.agents)?;
            figures(&found, threshold, load)?;
            table(model, load, found.agents, threshold)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn header(calls_per_hour: f64, load: Load, model: Model) -> Result<()> {
    say!(
        "{} calls/hour, AHT {}: offered load {:.2} Erlangs, {}",
        trim(calls_per_hour),
        secs(load.handle_secs()),
        load.offered_load(),
        describe(model)
    )?;
    Ok(())
}

fn figures(f: &Figures, threshold: f64, load: Load) -> Result<()> {
    say!("{} agents:", f.agents)?;
    say!("  probability of waiting  {}", pct(f.p_wait))?;
    say!(
        "  service level           {} of offered calls answered within {}",
        pct(f.service_level),
        secs(threshold)
    )?;
    say!(
        "  ASA                     {:.1} s (mean wait of answered calls)",
        f.asa_secs
    )?;
    if f.abandonment > 0.0 {
        say!(
            "  abandonment             {} of offered calls ({:.1} calls/hour)",
            pct(f.abandonment),
            f.abandonment * load.arrivals_per_sec() * 3600.0
        )?;
    }
    say!("  occupancy               {}", pct(f.occupancy))?;
    Ok(())
}

/// c−2 … c+3 agents around the answer, to show what one agent more or less changes.
fn table(model: Model, load: Load, agents: u32, threshold: f64) -> Result<()> {
    let with_abandon = matches!(model, Model::ErlangA { .. });
    let sl_head = format!("SL {}", secs(threshold));
    say!()?;
    if with_abandon {
        say!("agents  P(wait)  {sl_head:>9}  ASA (s)  abandon  occupancy")?;
    } else {
        say!("agents  P(wait)  {sl_head:>9}  ASA (s)  occupancy")?;
    }
    for c in agents.saturating_sub(2).max(1)..=agents.saturating_add(3) {
        let Ok(evaluation) = erlang::evaluate(model, load, c, threshold) else {
            continue;
        };
        let mark = if c == agents { "*" } else { " " };
        match evaluation {
            Evaluation::Stable(f) if with_abandon => say!(
                "{c:>5}{mark}  {:>7}  {:>9}  {:>7.1}  {:>7}  {:>9}",
                pct(f.p_wait),
                pct(f.service_level),
                f.asa_secs,
                pct(f.abandonment),
                pct(f.occupancy)
            )?,
            Evaluation::Stable(f) => say!(
                "{c:>5}{mark}  {:>7}  {:>9}  {:>7.1}  {:>9}",
                pct(f.p_wait),
                pct(f.service_level),
                f.asa_secs,
                pct(f.occupancy)
            )?,
            Evaluation::Unstable { .. } => say!("{c:>5}{mark}  unstable (agents ≤ load)")?,
        }
    }
    Ok(())
}

fn describe(model: Model) -> String {
    match model {
        Model::ErlangC => "Erlang C (callers never hang up)".to_owned(),
        Model::ErlangA { patience_secs } => {
            format!("Erlang A (mean patience {})", secs(patience_secs))
        }
    }
}

fn number(option: &str, text: &str) -> Result<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| anyhow!("{option}: \"{text}\" is not a number of zero or more, such as 360"))
}

fn seconds(option: &str, text: &str) -> Result<f64> {
    parse_duration(text.trim())
        .map(|d| d.as_secs_f64())
        .map_err(|e| anyhow!("{option}: {e}"))
}

/// `"5%"` or `"5"`: a percentage, returned as a share.
fn percent(option: &str, text: &str) -> Result<f64> {
    let digits = text.trim().trim_end_matches('%').trim();
    digits
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0 && *p < 100.0)
        .map(|p| p / 100.0)
        .ok_or_else(|| {
            anyhow!("{option}: \"{text}\" is not a percentage between 0 and 100, such as 5%")
        })
}

/// `"80/20s"` (also `"80%/20s"`; a bare `"80/20"` means seconds, as the trade writes it).
fn service_level(option: &str, text: &str) -> Result<(f64, f64)> {
    let usage = || {
        anyhow!(
            "{option}: \"{text}\" is not a service level; write PERCENT/THRESHOLD, such as 80/20s (80 % of calls answered within 20 s)"
        )
    };
    let (level, threshold) = text.split_once('/').ok_or_else(usage)?;
    let level = percent(option, level).map_err(|_| usage())?;
    let threshold = threshold.trim();
    let threshold = if !threshold.is_empty() && threshold.bytes().all(|b| b.is_ascii_digit()) {
        threshold.parse::<f64>().map_err(|_| usage())?
    } else {
        seconds(option, threshold)?
    };
    Ok((level, threshold))
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn secs(seconds: f64) -> String {
    format!("{} s", trim(seconds))
}

/// A number without a useless `.0`: `360`, `12.5`.
fn trim(n: f64) -> String {
    let s = format!("{n:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
