//! `hotline ivr check FLOW.toml`: validates an IVR flow file against the center's
//! configuration (its queues, skills and business hours) and the lookup sources this
//! build has, printing every problem by file, line and field, or a summary of the flow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::sync::Arc;

use anyhow::{Result, anyhow};
use hotline_actors::ivr::Flows;
use hotline_actors::ivr::lookup::Lookups;
use hotline_infra::config::CenterConfig;
use hotline_infra::config::flow::{Action, Flow};
use hotline_infra::lookup::LookupSource;
use hotline_infra::lookup::http::HttpLookup;
use hotline_projections::{CrmLookup, Views};

/// The sample center `hotline demo` runs: flows are checked against it unless --config says.
const SAMPLE: &str = include_str!("../config/demo.toml");

/// The lookup sources a flow may name: the customers read model (`crm`, which needs the
/// running projections to exist, hence named here) and `http`.
fn sources() -> Vec<String> {
    vec!["crm".to_owned(), HttpLookup.name().to_owned()]
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a flow file: exit 0 if it loads, 1 with every problem by file, line and
    /// field if not, 2 if a file cannot be read.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The flow file (see flows/example.toml).
    flow: PathBuf,
    /// The center whose queues, skills and hours the flow may name (see
    /// config/center.toml); without it, the built-in sample center.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Check(args) => check(&args),
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let center = match &args.config {
        Some(path) => CenterConfig::load(path).map_err(|e| anyhow!("{e}"))?,
        None => CenterConfig::parse(SAMPLE, "demo.toml")
            .map_err(|e| anyhow!("the built-in sample center: {e}"))?,
    };
    if !args.flow.is_file() {
        return Err(anyhow!(
            "{}: cannot read the flow: no such file; check the path",
            args.flow.display()
        ));
    }
    let sources = sources();
    let names: Vec<&str> = sources.iter().map(String::as_str).collect();
    match Flow::load(&args.flow, &center, &names) {
        Ok(flow) => {
            say!("{}", summary(&args.flow, &flow))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{}: {} problem{}; the flow would not load",
                args.flow.display(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// The flows the center's numbers name (`flow = "…"`, relative to `base`, the center
/// file's folder), checked against the center, with the lookup sources they may use. Every
/// problem of every flow is reported at once; none starts half-configured.
pub fn flows_of(center: &CenterConfig, base: &Path, views: Views) -> Result<Flows> {
    let sources = sources();
    let names: Vec<&str> = sources.iter().map(String::as_str).collect();
    let lookups = Lookups::default()
        .with(Arc::new(CrmLookup::new(views)))
        .with(Arc::new(HttpLookup));
    let mut flows = Flows::new(lookups);
    let mut problems = Vec::new();
    for number in &center.numbers {
        let Some(file) = &number.flow else { continue };
        let path = base.join(file);
        match Flow::load(&path, center, &names) {
            Ok(flow) => flows = flows.with(number.number.clone(), Arc::new(flow)),
            Err(errors) => problems.extend(
                errors
                    .iter()
                    .map(|e| format!("number {}: {e}", number.number)),
            ),
        }
    }
    for survey in &center.surveys {
        let path = base.join(&survey.flow);
        match Flow::load(&path, center, &names) {
            Ok(flow) => match &survey.csat {
                Some(node) if !flow.nodes.contains_key(node) => problems.push(format!(
                    "survey of {}: {}: csat names the node `{node}`, which the flow does not have; name the node that asks for the 1-5 rating",
                    survey.queue,
                    path.display()
                )),
                _ => {
                    flows = flows.with_survey(
                        survey.queue.clone(),
                        Arc::new(flow),
                        survey.csat.clone(),
                    )
                }
            },
            Err(errors) => problems.extend(
                errors
                    .iter()
                    .map(|e| format!("survey of {}: {e}", survey.queue)),
            ),
        }
    }
    if problems.is_empty() {
        Ok(flows)
    } else {
        Err(anyhow!(
            "{}\nthe center's IVR flows would not load; fix them (`hotline ivr check FLOW --config CENTER` checks one) and start again",
            problems.join("\n")
        ))
    }
}

/// One line: the flow, its nodes by type, and where callers can leave it.
fn summary(path: &Path, flow: &Flow) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut exits: Vec<String> = Vec::new();
    for node in flow.nodes.values() {
        *kinds.entry(node.kind().name()).or_default() += 1;
        let exit = match &node.action {
            Action::Transfer { queue, .. } => format!("queue {queue}"),
            Action::Voicemail { queue, agent: None } => format!("voicemail of {queue}"),
            Action::Voicemail {
                queue,
                agent: Some(login),
            } => format!("voicemail of agent {login} (for {queue})"),
            Action::Callback { queue, .. } => format!("callback from {queue}"),
            Action::HangUp => "hang up".to_owned(),
            _ => continue,
        };
        if !exits.contains(&exit) {
            exits.push(exit);
        }
    }
    exits.sort();
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(
        "{}: flow \"{}\" is valid: {} nodes from \"{}\" ({}); callers leave by {}",
        path.display(),
        flow.name,
        flow.nodes.len(),
        flow.start,
        kinds.join(", "),
        exits.join(", ")
    )
}
