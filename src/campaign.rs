//! `hotline campaign`: outbound campaigns in the log. `create` a campaign (rules from a
//! TOML file), `import` its lead list from CSV, add numbers to its do-not-call list,
//! `start` / `pause` / `resume` / `stop` it, and `show` where it stands and which lead the
//! dialer would call now.
//!
//! Every change goes through the campaign's pure core (`hotline_actors::campaign`), the
//! same decisions the campaign actor makes, and is appended to the campaign's stream with
//! the version it was decided on, so a concurrent writer is a conflict, not a lost update.
//! An import keeps the good rows and reports each bad one as `FILE:LINE: column: what is
//! wrong`, so that a file with a few mistakes is not refused whole.

pub(crate) mod leads_file;
mod nanp;
pub(crate) mod phone;
mod settings_file;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use hotline_actors::campaign::{
    Campaign, CampaignCommand, CampaignRejection, CampaignState, LeadStatus,
};
use hotline_actors::decider::Decider;
use hotline_events::{
    CampaignEvent, CampaignId, CampaignSettings, CloseReason, DialMode, Event, LeadId, MessageId,
    NewEvent, Timestamp,
};
use hotline_infra::{Clock, EventLog, ExpectedVersion, LogTarget};
use phonenumber::country::Id as Region;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a campaign. Its rules come from --settings (see config/campaign.toml) or are
    /// the defaults: predictive, 3 % abandon limit, 08:00 to 21:00 in each lead's zone.
    Create {
        /// The campaign's name (the other commands find it by this name or its id); may
        /// be left out when the settings file names it.
        name: Option<String>,
        /// A TOML file with the campaign's rules.
        #[arg(long)]
        settings: Option<PathBuf>,
        /// The dial mode, over the file's.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
    },
    /// Import leads from a CSV file whose header names the columns: `phone` (required),
    /// `time_zone` and `priority` (0 to 9) optional, any other column a custom field for the
    /// agent's screen. Bad rows are reported and left out; the good ones are kept.
    ///
    /// Exit status: 0 if rows were imported and none rejected, 1 if some were rejected
    /// (or there were none), 2 if the file or the campaign cannot be read.
    Import {
        /// The campaign's name or id.
        campaign: String,
        /// The CSV file (UTF-8; a byte-order mark is allowed).
        file: PathBuf,
        /// The country (ISO code such as US or GB) of numbers written without `+` and
        /// a country code.
        #[arg(long)]
        region: Option<String>,
    },
    /// Add numbers to the campaign's do-not-call list: a text file, one number per line
    /// (a `phone` header line and `#` comments are skipped). Open leads with these numbers
    /// are closed; they are never dialed. Exit status as for import.
    Dnc {
        campaign: String,
        file: PathBuf,
        #[arg(long)]
        region: Option<String>,
    },
    /// Start dialing (the campaign needs leads).
    Start { campaign: String },
    /// Stop dialing for now (no new line is dialed); the rules can be changed while paused.
    Pause { campaign: String },
    /// Dial again after a pause.
    Resume { campaign: String },
    /// End the campaign for good.
    Stop { campaign: String },
    /// Where a campaign stands: its rules, its leads by state, and the lead the dialer
    /// would call now.
    Show { campaign: String },
    /// Every campaign: id, name, status, open leads.
    List,
}

/// A dial mode on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    Preview,
    Progressive,
    Predictive,
}

impl From<Mode> for DialMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Preview => DialMode::Preview,
            Mode::Progressive => DialMode::Progressive,
            Mode::Predictive => DialMode::Predictive,
        }
    }
}

pub async fn run(
    data_dir: &Path,
    target: Option<&LogTarget>,
    command: Command,
) -> Result<ExitCode> {
    // Reading commands open the log beside a running writer (`hotline serve`).
    let access = match command {
        Command::Show { .. } | Command::List => crate::logs::Access::Read,
        _ => crate::logs::Access::Write,
    };
    let log = crate::logs::open(data_dir, target, access).await?;
    let log = log.as_ref();
    let result = match command {
        Command::Create {
            name,
            settings,
            mode,
        } => create(log, name, settings.as_deref(), mode).await,
        Command::Import {
            campaign,
            file,
            region,
        } => import(log, &campaign, &file, region.as_deref()).await,
        Command::Dnc {
            campaign,
            file,
            region,
        } => dnc(log, &campaign, &file, region.as_deref()).await,
        Command::Start { campaign } => lifecycle(log, &campaign, CampaignCommand::Start).await,
        Command::Pause { campaign } => lifecycle(log, &campaign, CampaignCommand::Pause).await,
        Command::Resume { campaign } => lifecycle(log, &campaign, CampaignCommand::Resume).await,
        Command::Stop { campaign } => lifecycle(log, &campaign, CampaignCommand::Stop).await,
        Command::Show { campaign } => show(log, &campaign).await,
        Command::List => list(log).await,
    };
    let closed = log.close().await;
    let code = result?;
    closed?;
    Ok(code)
}

// ---------------------------------------------------------------------------------------
// Finding and loading campaigns

/// Every campaign in the log, with its name, in the order they were created.
async fn campaigns(log: &dyn EventLog) -> Result<Vec<(CampaignId, String)>> {
    let mut found = Vec::new();
    let head = log.head().await?;
    let mut next = 1;
    while next <= head {
        let batch = log.read_all(next, 4096).await?;
        let Some(last) = batch.last() else { break };
        next = last.position + 1;
        for r in batch
            .iter()
            .filter(|r| r.stream.category() == "campaign" && r.event_type == "created")
        {
            if let (Ok(id), Event::Campaign(CampaignEvent::Created { name, .. })) =
                (r.stream.id().parse::<CampaignId>(), r.event())
            {
                found.push((id, name));
            }
        }
    }
    Ok(found)
}

/// The campaign `which` names: its id, or its name.
async fn find(log: &dyn EventLog, which: &str) -> Result<CampaignId> {
    let all = campaigns(log).await?;
    if let Ok(id) = which.parse::<CampaignId>()
        && all.iter().any(|(c, _)| *c == id)
    {
        return Ok(id);
    }
    let named: Vec<CampaignId> = all
        .iter()
        .filter(|(_, name)| name == which)
        .map(|(id, _)| *id)
        .collect();
    match named.as_slice() {
        [id] => Ok(*id),
        [] => bail!("no campaign named or numbered `{which}`; `hotline campaign list` shows them"),
        several => bail!(
            "{} campaigns are named `{which}`: give the id of one ({})",
            several.len(),
            several
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The campaign's state from its stream. Events this build cannot read are skipped but
/// counted, so the version is the stream's.
async fn load(log: &dyn EventLog, id: CampaignId) -> Result<CampaignState> {
    let records = log.read_stream(&id.stream(), 1).await?;
    let mut state = CampaignState::default();
    for r in &records {
        if let Event::Campaign(e) = r.event() {
            state = Campaign::evolve(state, &e, r.occurred_at);
        }
    }
    state.version = records.last().map_or(0, |r| r.version);
    Ok(state)
}

/// Appends `events` decided on `state` (at `now`), all or none, under one correlation id.
async fn append(
    log: &dyn EventLog,
    id: CampaignId,
    state: &CampaignState,
    events: Vec<CampaignEvent>,
    now: Timestamp,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let correlation = MessageId::generate();
    let events = events
        .into_iter()
        .map(|e| NewEvent::new(e, now).correlated(correlation))
        .collect();
    log.append(&id.stream(), ExpectedVersion::Exact(state.version), events)
        .await
        .with_context(|| format!("appending to {}", id.stream()))?;
    Ok(())
}

/// Decides `command` on `state` and folds what it decided into it, for a run of
/// commands appended together; a refused command leaves `state` as it was.
fn apply(
    state: &mut CampaignState,
    command: &CampaignCommand,
    now: Timestamp,
    out: &mut Vec<CampaignEvent>,
) -> std::result::Result<(), CampaignRejection> {
    let events = Campaign::decide(state, command, now)?;
    for e in &events {
        *state = Campaign::evolve(std::mem::take(state), e, now);
    }
    out.extend(events);
    Ok(())
}

fn region(text: Option<&str>) -> Result<Option<Region>> {
    text.map(|t| {
        t.trim().to_ascii_uppercase().parse::<Region>().map_err(|_| {
            anyhow!("--region: `{t}` is not a country code; give an ISO 3166 code such as US, GB or FR")
        })
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------
// The commands

async fn create(
    log: &dyn EventLog,
    name: Option<String>,
    settings: Option<&Path>,
    mode: Option<Mode>,
) -> Result<ExitCode> {
    let (file_name, mut rules) = match settings {
        Some(path) => {
            let label = path.display().to_string();
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {label}"))?;
            settings_file::parse(&label, &text).map_err(|e| anyhow!(e))?
        }
        None => (None, CampaignSettings::default()),
    };
    if let Some(mode) = mode {
        rules.dial_mode = mode.into();
    }
    let Some(name) = name.or(file_name) else {
        bail!(
            "the campaign needs a name: give it after `create`, or as `name` in the settings file"
        );
    };
    let name = name.trim().to_owned();
    if let Some((id, _)) = campaigns(log).await?.into_iter().find(|(_, n)| *n == name) {
        bail!("a campaign named `{name}` already exists ({id}): choose another name");
    }
    let id = CampaignId::generate();
    let state = CampaignState::default();
    let now = Clock::system().now();
    let command = CampaignCommand::Create {
        name: name.clone(),
        settings: rules.clone(),
    };
    let events = Campaign::decide(&state, &command, now).map_err(|r| anyhow!("{r}"))?;
    append(log, id, &state, events, now).await?;
    say!("created campaign \"{name}\" ({id}): {}", describe(&rules))?;
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &CampaignSettings) -> String {
    let mode = match s.dial_mode {
        DialMode::Preview => "preview",
        DialMode::Progressive => "progressive",
        DialMode::Predictive => "predictive",
    };
    format!(
        "{mode}, abandon limit {} %, calling hours {} to {} in each lead's time zone",
        s.max_abandon_rate * 100.0,
        s.calling_hours.from,
        s.calling_hours.to
    )
}

async fn import(
    log: &dyn EventLog,
    which: &str,
    file: &Path,
    region_text: Option<&str>,
) -> Result<ExitCode> {
    let region = region(region_text)?;
    let label = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {label}"))?;
    let parsed =
        leads_file::parse(&label, &bytes, region, Some("--region")).map_err(|why| anyhow!(why))?;
    let id = find(log, which).await?;
    let mut state = load(log, id).await?;
    let start = state.clone();
    let now = Clock::system().now();
    let mut problems = parsed.problems;
    let mut rejected = parsed.rejected;
    let mut events = Vec::new();
    let mut accepted = 0u32;
    for row in &parsed.rows {
        let command = CampaignCommand::AddLead {
            lead: LeadId::generate(),
            phone: row.phone.clone(),
            time_zones: row.time_zones.clone(),
            priority: row.priority,
            fields: row.fields.clone(),
        };
        match apply(&mut state, &command, now, &mut events) {
            Ok(()) => accepted += 1,
            Err(rejection @ CampaignRejection::Final(_)) => {
                bail!("campaign `{which}`: {rejection}")
            }
            Err(rejection) => {
                problems.push(format!("{label}:{}: phone: {rejection}", row.line));
                rejected += 1;
            }
        }
    }
    problems.sort_by_key(|p| line_of(p));
    for problem in &problems {
        eprintln!("{problem}");
    }
    if parsed.rows.is_empty() && rejected == 0 {
        eprintln!("{label}: there are no lead rows after the header");
    }
    if accepted > 0 {
        let summary = CampaignCommand::RecordImport {
            source: file
                .file_name()
                .map_or(label.clone(), |f| f.to_string_lossy().into_owned()),
            accepted,
            rejected: u32::try_from(rejected).unwrap_or(u32::MAX),
        };
        if let Err(r) = apply(&mut state, &summary, now, &mut events) {
            bail!("campaign `{which}`: {r}");
        }
        append(log, id, &start, events, now).await?;
    }
    say!(
        "imported {accepted} leads into \"{}\", {rejected} rows rejected",
        start.name
    )?;
    Ok(if rejected == 0 && accepted > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The line number in `FILE:LINE: …`, to print the problems in the file's order.
fn line_of(problem: &str) -> u64 {
    problem
        .rsplit_once(".csv:")
        .map_or(problem, |(_, rest)| rest)
        .split(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn dnc(
    log: &dyn EventLog,
    which: &str,
    file: &Path,
    region_text: Option<&str>,
) -> Result<ExitCode> {
    let region = region(region_text)?;
    let label = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {label} (UTF-8 text, one number per line)"))?;
    let mut numbers = Vec::new();
    let mut rejected = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty()
            || line.starts_with('#')
            || (i == 0 && line.eq_ignore_ascii_case("phone"))
        {
            continue;
        }
        match phone::normalize(line, region, Some("--region")) {
            Ok(n) => numbers.push(n.e164),
            Err(why) => {
                eprintln!("{label}:{}: {why}", i + 1);
                rejected += 1;
            }
        }
    }
    let id = find(log, which).await?;
    let state = load(log, id).await?;
    let before = state.do_not_call.len();
    let open_before = state.open_leads();
    let now = Clock::system().now();
    let command = CampaignCommand::AddDoNotCall {
        numbers: numbers.clone(),
        source: file
            .file_name()
            .map_or(label.clone(), |f| f.to_string_lossy().into_owned()),
    };
    let mut events = Vec::new();
    let mut after = state.clone();
    if let Err(r) = apply(&mut after, &command, now, &mut events) {
        bail!("campaign `{which}`: {r}");
    }
    append(log, id, &state, events, now).await?;
    let added = after.do_not_call.len() - before;
    say!(
        "added {added} numbers to the do-not-call list of \"{}\" ({} already there), closed {} leads, {rejected} lines rejected",
        state.name,
        numbers.len() - added,
        open_before - after.open_leads()
    )?;
    Ok(if rejected == 0 && !numbers.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn lifecycle(log: &dyn EventLog, which: &str, command: CampaignCommand) -> Result<ExitCode> {
    let id = find(log, which).await?;
    let state = load(log, id).await?;
    let now = Clock::system().now();
    match Campaign::decide(&state, &command, now) {
        Ok(events) => {
            append(log, id, &state, events, now).await?;
            let after = load(log, id).await?;
            say!("campaign \"{}\" is {}", after.name, status(&after))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(rejection) => {
            eprintln!("campaign \"{}\": {rejection}", state.name);
            Ok(ExitCode::from(1))
        }
    }
}

fn status(s: &CampaignState) -> &'static str {
    use hotline_actors::campaign::Status;
    match s.status {
        Status::New => "not created",
        Status::Draft => "not started",
        Status::Running => "running",
        Status::Paused => "paused",
        Status::Stopped => "stopped",
        Status::Completed => "completed",
    }
}

async fn show(log: &dyn EventLog, which: &str) -> Result<ExitCode> {
    let id = find(log, which).await?;
    let s = load(log, id).await?;
    let now = Clock::system().now();
    say!("{}", render(id, &s, now))?;
    Ok(ExitCode::SUCCESS)
}

/// The campaign as `show` prints it.
fn render(id: CampaignId, s: &CampaignState, now: Timestamp) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "campaign \"{}\" ({id}): {}", s.name, status(s));
    let _ = writeln!(out, "rules: {}", describe(&s.settings));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for lead in s.leads.values() {
        let key = match lead.status {
            LeadStatus::Waiting { due, .. } if due <= now => "due now",
            LeadStatus::Waiting { .. } => "waiting for a retry",
            LeadStatus::Callback { .. } => "appointments",
            LeadStatus::Dialing { .. } => "dialing",
            LeadStatus::Connected { .. } => "awaiting disposition",
            LeadStatus::Closed(CloseReason::Disposition) => "closed by disposition",
            LeadStatus::Closed(CloseReason::AttemptsExhausted) => "closed, attempts used up",
            LeadStatus::Closed(CloseReason::DoNotCall) => "closed, do not call",
        };
        *counts.entry(key).or_default() += 1;
    }
    let by_state = counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "leads: {} ({}); do-not-call list: {} numbers",
        s.leads.len(),
        if by_state.is_empty() {
            "none"
        } else {
            &by_state
        },
        s.do_not_call.len()
    );
    match s.next_lead(now, &[]) {
        Some(next) => {
            if let Some(lead) = s.leads.get(&next.lead) {
                let fields = lead
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = write!(
                    out,
                    "next lead now: {} (priority {}, {}) {fields}",
                    lead.phone,
                    lead.priority,
                    lead.time_zones.join(" / ")
                );
            }
        }
        None => {
            let _ = write!(
                out,
                "next lead now: none{}",
                match s.next_due(now) {
                    Some(t) => format!(" (the next falls due at {t})"),
                    None if s.open_leads() > 0 =>
                        " (the due leads are outside their calling hours now)".to_owned(),
                    None => String::new(),
                }
            );
        }
    }
    out
}

async fn list(log: &dyn EventLog) -> Result<ExitCode> {
    let all = campaigns(log).await?;
    if all.is_empty() {
        say!("no campaigns; create one with `hotline campaign create NAME`")?;
    }
    for (id, name) in all {
        let s = load(log, id).await?;
        say!(
            "{id}  {name}  {}  {} open leads of {}",
            status(&s),
            s.open_leads(),
            s.leads.len()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
