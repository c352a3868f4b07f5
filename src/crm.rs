//! `hotline crm`: customers in the log. `import FILE` turns a CSV export of a business
//! system into customer events; `show PHONE` prints the screen pop an agent would see.
//!
//! An import keeps the good rows and reports each bad one as `FILE:LINE: column: what is
//! wrong`, so that a file with a few mistakes is not refused whole and the user can fix
//! just those lines and import again: a re-import finds each customer by its
//! `external_id` and writes only what changed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use hotline_events::{
    CustomerEvent, CustomerId, MessageId, NewEvent, StreamName, Timestamp, normalize_phone,
};
use hotline_infra::config::CenterConfig;
use hotline_infra::{Clock, EventLog, ExpectedVersion, LogTarget, SnapshotStore};
use hotline_projections::runner::Restored;
use hotline_projections::{
    CustomerProfile, Customers, Fact, Interaction, MetricRules, Name, Outcome, Projection,
    ReadModels, ScreenPop,
};
use tokio::task::JoinSet;

/// The sample center whose metric rules `hotline replay` uses without --config; the same
/// here, so that the snapshots it saves are the ones this command can use.
const SAMPLE: &str = include_str!("../config/demo.toml");

/// The columns of an import file, in the order the documentation gives them.
const COLUMNS: &str = "external_id,name,phone,email,address,tags";

/// How many customers are appended at once. The log's writer commits every waiting append
/// in one transaction and one disk sync, so appending concurrently turns one sync per
/// customer into one per batch.
const IN_FLIGHT: usize = 256;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Import customers from a CSV file with the header
    /// `external_id,name,phone,email,address,tags` (extra numbers in `phone2`, `phone3`…;
    /// tags separated by `;`). Bad rows are reported and left out; the good ones are kept.
    /// A row whose external_id is already known updates that customer.
    ///
    /// Exit status: 0 if rows were imported and none rejected, 1 if some were rejected
    /// (or there were none), 2 if the file cannot be read.
    Import {
        /// The CSV file (UTF-8; a byte-order mark is allowed).
        file: PathBuf,
    },
    /// Show the customer who has a phone number and their latest interactions, as the
    /// screen pop an agent sees. Exit status 1 if no customer has the number.
    Show {
        /// The number, with `+` and the country code (spaces and dashes are allowed).
        phone: String,
    },
}

pub async fn run(
    data_dir: &Path,
    target: Option<&LogTarget>,
    command: Command,
) -> Result<ExitCode> {
    match command {
        Command::Import { file } => import(data_dir, target, &file).await,
        Command::Show { phone } => show(data_dir, target, &phone).await,
    }
}

// ---------------------------------------------------------------------------------------
// Reading the file

/// A column of the import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    ExternalId,
    Name,
    /// `phone` is 1, `phone2` is 2…
    Phone(u32),
    Email,
    Address,
    Tags,
}

impl Column {
    fn parse(header: &str) -> Option<Self> {
        Some(match header {
            "external_id" => Column::ExternalId,
            "name" => Column::Name,
            "phone" => Column::Phone(1),
            "email" => Column::Email,
            "address" => Column::Address,
            "tags" => Column::Tags,
            other => {
                let n: u32 = other.strip_prefix("phone")?.parse().ok()?;
                if n < 2 || other.starts_with("phone0") {
                    return None;
                }
                Column::Phone(n)
            }
        })
    }
}

/// One good row: a customer as the file describes it. Empty cells are `None` or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    line: u64,
    external_id: Option<String>,
    name: String,
    /// E.164, each once, in column order.
    phones: Vec<String>,
    email: Option<String>,
    address: Option<String>,
    /// Each once, in the order given.
    tags: Vec<String>,
}

/// What a customer file holds.
type Parsed = crate::import_file::Parsed<Row>;

/// Reads an import file's bytes. `label` names the file in messages. Only a file that is
/// not an import file at all (empty, or a header that is not ours) is an error; a bad row
/// is a problem of that row.
fn parse(label: &str, bytes: &[u8]) -> Result<Parsed, String> {
    crate::import_file::parse(
        label,
        bytes,
        &format!("its first line must be the header {COLUMNS}"),
        parse_header,
        |line, columns, record| parse_row(line, columns, record).map(Some),
    )
}

fn parse_header(header: &csv::ByteRecord) -> Result<Vec<Column>, String> {
    let mut columns = Vec::with_capacity(header.len());
    for field in header {
        let text = std::str::from_utf8(field)
            .map_err(|_| format!("is not UTF-8 text; the first line must be {COLUMNS}"))?;
        let name = text.trim().to_ascii_lowercase();
        let column = Column::parse(&name).ok_or_else(|| {
            format!(
                "unknown column `{}`; the columns are {COLUMNS} (and phone2, phone3… for more numbers)",
                name.chars().take(40).collect::<String>()
            )
        })?;
        if columns.contains(&column) {
            return Err(format!("the column `{name}` appears twice"));
        }
        columns.push(column);
    }
    for (needed, name) in [(Column::Name, "name"), (Column::Phone(1), "phone")] {
        if !columns.contains(&needed) {
            return Err(format!(
                "there is no `{name}` column; the first line must be {COLUMNS}"
            ));
        }
    }
    Ok(columns)
}

/// The row, or each of its problems as (column, what is wrong).
fn parse_row(
    line: u64,
    columns: &[Column],
    record: &csv::ByteRecord,
) -> Result<Row, Vec<(String, String)>> {
    if record.len() != columns.len() {
        return Err(vec![(
            "row".to_owned(),
            format!(
                "has {} fields, the header has {} (put a field that holds a comma in double quotes)",
                record.len(),
                columns.len()
            ),
        )]);
    }
    let mut problems = Vec::new();
    let mut row = Row {
        line,
        external_id: None,
        name: String::new(),
        phones: Vec::new(),
        email: None,
        address: None,
        tags: Vec::new(),
    };
    let mut phones: Vec<(u32, String)> = Vec::new();
    for (&column, field) in columns.iter().zip(record) {
        let Ok(text) = std::str::from_utf8(field) else {
            problems.push((
                column_name(column),
                "is not valid UTF-8 text (save the file as UTF-8)".to_owned(),
            ));
            continue;
        };
        let text = text.trim();
        let given = (!text.is_empty()).then(|| text.to_owned());
        match column {
            Column::ExternalId => row.external_id = given,
            Column::Name => match given {
                Some(name) => row.name = name,
                None => problems.push((
                    column_name(column),
                    "is empty: every customer needs a name".to_owned(),
                )),
            },
            Column::Phone(n) => {
                if given.is_some() {
                    match normalize_phone(text) {
                        Ok(phone) => phones.push((n, phone)),
                        Err(e) => problems.push((column_name(column), e.to_string())),
                    }
                }
            }
            Column::Email => match &given {
                Some(email) if !looks_like_email(email) => problems.push((
                    column_name(column),
                    format!("`{email}` is not an email address such as name@example.com"),
                )),
                _ => row.email = given,
            },
            Column::Address => row.address = given,
            Column::Tags => {
                for tag in text.split(';').map(str::trim).filter(|t| !t.is_empty()) {
                    if !row.tags.iter().any(|t| t == tag) {
                        row.tags.push(tag.to_owned());
                    }
                }
            }
        }
    }
    phones.sort_by_key(|(n, _)| *n);
    for (_, phone) in phones {
        if !row.phones.contains(&phone) {
            row.phones.push(phone);
        }
    }
    if problems.is_empty() {
        Ok(row)
    } else {
        Err(problems)
    }
}

fn column_name(column: Column) -> String {
    match column {
        Column::ExternalId => "external_id".to_owned(),
        Column::Name => "name".to_owned(),
        Column::Phone(1) => "phone".to_owned(),
        Column::Phone(n) => format!("phone{n}"),
        Column::Email => "email".to_owned(),
        Column::Address => "address".to_owned(),
        Column::Tags => "tags".to_owned(),
    }
}

/// The shape of an address, not its existence: one `@` with something before it, and a
/// domain with a dot inside it; no spaces. Mail servers are the only real check.
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

// ---------------------------------------------------------------------------------------
// Deciding what to write

/// What is known of a customer while planning: stored, or planned earlier in the file.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    phones: Vec<String>,
    email: Option<String>,
    address: Option<String>,
    tags: Vec<String>,
}

/// The events to append to one customer's stream.
#[derive(Debug)]
struct Plan {
    stream: StreamName,
    /// The stream's version now (0 for a new customer).
    expected: u64,
    known: Known,
    events: Vec<CustomerEvent>,
}

/// The plans for `rows`, against the customers already in the log; and how many rows
/// matched a known customer.
fn plan(rows: &[Row], stored: &Customers) -> (Vec<Plan>, usize) {
    let mut plans: Vec<Plan> = Vec::new();
    let mut by_external: HashMap<String, usize> = HashMap::new();
    let mut updated = 0;
    for row in rows {
        let existing = row.external_id.as_ref().and_then(|ext| {
            by_external.get(ext).copied().or_else(|| {
                let profile = stored.by_external_id(ext)?;
                plans.push(Plan {
                    stream: profile.id.stream(),
                    expected: profile.version,
                    known: known(profile),
                    events: Vec::new(),
                });
                by_external.insert(ext.clone(), plans.len() - 1);
                Some(plans.len() - 1)
            })
        });
        match existing {
            Some(i) => {
                updated += 1;
                let p = &mut plans[i];
                p.events.extend(changes(&p.known, row));
                p.known = merge(&p.known, row);
            }
            None => {
                let id = CustomerId::generate();
                plans.push(Plan {
                    stream: id.stream(),
                    expected: 0,
                    known: merge(
                        &Known {
                            name: String::new(),
                            phones: vec![],
                            email: None,
                            address: None,
                            tags: vec![],
                        },
                        row,
                    ),
                    events: vec![CustomerEvent::Registered {
                        name: row.name.clone(),
                        phones: row.phones.clone(),
                        email: row.email.clone(),
                        address: row.address.clone(),
                        tags: row.tags.clone(),
                        external_id: row.external_id.clone(),
                    }],
                });
                if let Some(ext) = &row.external_id {
                    by_external.insert(ext.clone(), plans.len() - 1);
                }
            }
        }
    }
    (plans, updated)
}

fn known(p: &CustomerProfile) -> Known {
    Known {
        name: p.name.clone(),
        phones: p.phones.clone(),
        email: p.email.clone(),
        address: p.address.clone(),
        tags: p.tags.clone(),
    }
}

/// The customer once `row` is applied: a filled cell replaces what is known (the phones
/// and the tags as a whole), an empty one leaves it, since `profile_updated` cannot clear
/// a field and an export that leaves a column blank should not erase what agents entered.
fn merge(k: &Known, row: &Row) -> Known {
    Known {
        name: row.name.clone(),
        phones: if row.phones.is_empty() {
            k.phones.clone()
        } else {
            row.phones.clone()
        },
        email: row.email.clone().or_else(|| k.email.clone()),
        address: row.address.clone().or_else(|| k.address.clone()),
        tags: if row.tags.is_empty() {
            k.tags.clone()
        } else {
            row.tags.clone()
        },
    }
}

/// The events that take a known customer to what `row` says; none if nothing changed.
fn changes(k: &Known, row: &Row) -> Vec<CustomerEvent> {
    let new = merge(k, row);
    let mut events = Vec::new();
    let differs = |a: &Option<String>, b: &Option<String>| (a != b).then(|| b.clone()).flatten();
    let name = (new.name != k.name).then(|| new.name.clone());
    let email = differs(&k.email, &new.email);
    let address = differs(&k.address, &new.address);
    if name.is_some() || email.is_some() || address.is_some() {
        events.push(CustomerEvent::ProfileUpdated {
            name,
            email,
            address,
            external_id: None,
        });
    }
    for phone in new.phones.iter().filter(|p| !k.phones.contains(p)) {
        events.push(CustomerEvent::PhoneAdded {
            phone: phone.clone(),
        });
    }
    for phone in k.phones.iter().filter(|p| !new.phones.contains(p)) {
        events.push(CustomerEvent::PhoneRemoved {
            phone: phone.clone(),
        });
    }
    for tag in new.tags.iter().filter(|t| !k.tags.contains(t)) {
        events.push(CustomerEvent::Tagged { tag: tag.clone() });
    }
    for tag in k.tags.iter().filter(|t| !new.tags.contains(t)) {
        events.push(CustomerEvent::Untagged { tag: tag.clone() });
    }
    events
}

// ---------------------------------------------------------------------------------------
// The commands

async fn import(data_dir: &Path, target: Option<&LogTarget>, file: &Path) -> Result<ExitCode> {
    let label = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {label}"))?;
    let parsed = parse(&label, &bytes).map_err(|why| anyhow!(why))?;
    for problem in &parsed.problems {
        eprintln!("{problem}");
    }
    if parsed.rows.is_empty() && parsed.rejected == 0 {
        eprintln!("{label}: there are no customer rows after the header");
    }

    let mut updated = 0;
    if !parsed.rows.is_empty() {
        let log = crate::logs::open(data_dir, target, crate::logs::Access::Write).await?;
        let result = write(&log, &parsed.rows).await;
        let closed = log.close().await;
        updated = result?;
        closed?;
    }
    say!(
        "imported {} customers ({updated} updated), {} rows rejected",
        parsed.rows.len(),
        parsed.rejected
    )?;
    Ok(if parsed.rejected == 0 && !parsed.rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Appends the rows' events; returns how many rows updated a known customer.
async fn write(log: &Arc<dyn EventLog>, rows: &[Row]) -> Result<usize> {
    let mut stored = Customers::new();
    let head = log.head().await?;
    let mut next = 1;
    while next <= head {
        let batch = log.read_all(next, 4096).await?;
        let Some(last) = batch.last() else { break };
        next = last.position + 1;
        for r in batch.iter().filter(|r| r.stream.category() == "customer") {
            stored.apply(&Fact::new(r, &r.event()));
        }
    }
    let (plans, updated) = plan(rows, &stored);

    // One correlation id for the whole import: `audit history` of any customer then shows
    // which import wrote it, and all its events can be found together.
    let import = MessageId::generate();
    let now = Clock::system().now();
    let mut pending = plans.into_iter().filter(|p| !p.events.is_empty());
    loop {
        let mut in_flight = JoinSet::new();
        for p in pending.by_ref().take(IN_FLIGHT) {
            let log = log.clone();
            in_flight.spawn(async move {
                let events = events_at(p.events, now, import);
                log.append(&p.stream, ExpectedVersion::Exact(p.expected), events)
                    .await
                    .with_context(|| format!("appending to {}", p.stream))
            });
        }
        if in_flight.is_empty() {
            break;
        }
        while let Some(done) = in_flight.join_next().await {
            done.context("an append task failed")??;
        }
    }
    Ok(updated)
}

fn events_at(events: Vec<CustomerEvent>, at: Timestamp, import: MessageId) -> Vec<NewEvent> {
    events
        .into_iter()
        .map(|e| NewEvent::new(e, at).correlated(import))
        .collect()
}

async fn show(data_dir: &Path, target: Option<&LogTarget>, phone: &str) -> Result<ExitCode> {
    let number = normalize_phone(phone).context("the phone number to show")?;
    let models = fold_for_show(data_dir, target).await?;
    match models.screen_pop(&number) {
        None => say!("no customer with phone {number}")?,
        Some(pop) => {
            say!("{}", render(&pop))?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    Ok(ExitCode::from(1))
}

/// The models a screen pop reads, from the runner's snapshots if there are usable ones,
/// caught up with the log. Creates nothing: this is a read command.
async fn fold_for_show(data_dir: &Path, target: Option<&LogTarget>) -> Result<ReadModels> {
    const NEEDED: [Name; 3] = [Name::Calls, Name::Customers, Name::Interactions];
    let config = CenterConfig::parse(SAMPLE, "demo.toml")
        .map_err(|e| anyhow!("the built-in sample center: {e}"))?;
    let rules = MetricRules::from_config(&config);
    let log = crate::logs::open(data_dir, target, crate::logs::Access::Read).await?;
    let mut models = ReadModels::new(&rules);
    if SnapshotStore::file_in(data_dir).is_file() {
        // A snapshot is a cache: if it cannot be used, the log has everything.
        if let Ok(store) = crate::logs::snapshots(data_dir, target, log.as_ref()).await
            && let Ok((loaded, restored)) = ReadModels::load(&store, &rules)
        {
            let usable = restored.iter().all(|(n, r)| {
                !NEEDED.contains(n) || matches!(r, Restored::At(_) | Restored::Empty)
            });
            if usable {
                models = loaded;
            }
        }
    }
    let from = NEEDED
        .iter()
        .map(|&n| models.position(n))
        .min()
        .unwrap_or(0);
    let head = log.head().await?;
    let mut next = from + 1;
    while next <= head {
        let batch = log.read_decoded(next, 4096).await?;
        let Some(last) = batch.last() else { break };
        next = last.position + 1;
        for d in &batch {
            models.apply_to(&NEEDED, &Fact::decoded(d));
        }
    }
    Ok(models)
}

fn render(pop: &ScreenPop) -> String {
    let c = &pop.customer;
    let mut out = format!("{} (customer {})\n", c.name, c.id);
    let mut field = |name: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(out, "  {name:<12} {value}");
        }
    };
    field("phones:", &c.phones.join(", "));
    field("email:", c.email.as_deref().unwrap_or_default());
    field("address:", c.address.as_deref().unwrap_or_default());
    field("tags:", &c.tags.join(", "));
    field("external id:", c.external_id.as_deref().unwrap_or_default());
    if pop.recent.is_empty() {
        out.push_str("no interactions yet");
    } else {
        out.push_str("recent interactions, newest first:");
        for i in &pop.recent {
            let _ = write!(out, "\n  {}", interaction_line(i));
        }
    }
    out
}

fn interaction_line(i: &Interaction) -> String {
    let time = i.started_at.to_datetime().format("%Y-%m-%d %H:%M:%S UTC");
    let channel = format!("{:?}", i.channel).to_lowercase();
    let queue = i.queue.as_ref().map_or("-".to_owned(), ToString::to_string);
    let outcome = i.outcome.map_or("in progress", outcome_name);
    let duration = i.duration_ms.map_or("-".to_owned(), |ms| {
        let s = ms / 1000;
        format!("{}m {:02}s", s / 60, s % 60)
    });
    let mut line = format!("{time}  {channel:<5}  {queue:<10}  {outcome:<13}  {duration:>8}");
    if let Some(agent) = i.agent {
        let _ = write!(line, "  agent {agent}");
    }
    if let Some(d) = &i.disposition {
        let _ = write!(line, "  ({d})");
    }
    line
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Answered => "answered",
        Outcome::Abandoned => "abandoned",
        Outcome::ShortAbandon => "short abandon",
        Outcome::IvrHangUp => "ivr hang-up",
        Outcome::Voicemail => "voicemail",
        Outcome::Callback => "callback",
        Outcome::SelfService => "self-service",
        Outcome::Closed => "closed",
        Outcome::TransferredOut => "transferred",
        Outcome::Failed => "failed",
        Outcome::SystemRestart => "restart",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Parsed {
        parse("c.csv", text.as_bytes()).unwrap()
    }

    #[test]
    fn a_good_row_is_normalised() {
        let p = rows(
            "external_id,name,phone,email,address,tags,phone2\n\
             A1, Grace Hopper ,+1 (555) 555-0123,grace@example.com,\"1 Navy Yard, Arlington\",vip; gold;vip,+44 20 7183 8750\n",
        );
        assert_eq!(p.problems, Vec::<String>::new());
        assert_eq!(
            p.rows,
            [Row {
                line: 2,
                external_id: Some("A1".into()),
                name: "Grace Hopper".into(),
                phones: vec!["+15555550123".into(), "+442071838750".into()],
                email: Some("grace@example.com".into()),
                address: Some("1 Navy Yard, Arlington".into()),
                tags: vec!["vip".into(), "gold".into()],
            }]
        );
    }

    #[test]
    fn each_problem_of_a_bad_row_names_its_line_and_column() {
        let p = rows(
            "external_id,name,phone,email,address,tags\n\
             A1,,5555550123,grace@,x,\n\
             A2,Ok,+15555550124,,,\n\
             A3,Short\n",
        );
        assert_eq!(
            p.problems,
            [
                "c.csv:2: name: is empty: every customer needs a name",
                "c.csv:2: phone: `5555550123` has no country code: write it in international form, with `+` and the country code (such as +15555550123)",
                "c.csv:2: email: `grace@` is not an email address such as name@example.com",
                "c.csv:4: row: has 2 fields, the header has 6 (put a field that holds a comma in double quotes)",
            ]
        );
        assert_eq!((p.rows.len(), p.rejected), (1, 2));
    }

    #[test]
    fn files_that_are_not_import_files_are_refused_whole() {
        assert!(
            parse("c.csv", b"")
                .unwrap_err()
                .contains("the file is empty")
        );
        assert!(
            parse("c.csv", b"\xEF\xBB\xBF")
                .unwrap_err()
                .contains("empty")
        );
        let err = parse("c.csv", b"id,nom\n1,x\n").unwrap_err();
        assert!(
            err.starts_with("c.csv:1: header: unknown column `id`"),
            "{err}"
        );
        let err = parse("c.csv", b"name,email\n").unwrap_err();
        assert!(err.contains("no `phone` column"), "{err}");
        assert!(parse("c.csv", b"name,phone,name\n").is_err());
        // A BOM before the header is not part of the first column's name.
        let p = parse("c.csv", b"\xEF\xBB\xBFname,phone\nAda,+15555550123\n").unwrap();
        assert_eq!(p.rows.len(), 1);
        // A header alone is a file with nothing to import.
        let p = parse("c.csv", b"name,phone\n").unwrap();
        assert_eq!((p.rows.len(), p.rejected), (0, 0));
    }

    #[test]
    fn bytes_that_are_not_utf8_reject_their_row_only() {
        let p = parse(
            "c.csv",
            b"name,phone,address\nAda,+15555550123,Caf\xe9 Street\nBob,+15555550124,\n",
        )
        .unwrap();
        assert_eq!(
            p.problems,
            ["c.csv:2: address: is not valid UTF-8 text (save the file as UTF-8)"]
        );
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 7u32;
        for len in [1usize, 2, 17, 300, 5_000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = parse("g.bin", &bytes);
            let mut with_header = b"name,phone\n".to_vec();
            with_header.extend_from_slice(&bytes);
            let p = parse("g.bin", &with_header).unwrap();
            assert!(p.problems.len() >= p.rejected, "each rejected row says why");
        }
    }

    fn row(ext: &str, name: &str, phones: &[&str], tags: &[&str]) -> Row {
        Row {
            line: 2,
            external_id: Some(ext.into()),
            name: name.into(),
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            email: None,
            address: None,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn a_known_external_id_updates_only_what_changed() {
        let first = [row("A1", "Ada", &["+15555550123"], &["vip"])];
        let (plans, updated) = plan(&first, &Customers::new());
        assert_eq!((plans.len(), updated), (1, 0));
        assert!(matches!(
            plans[0].events[..],
            [CustomerEvent::Registered { .. }]
        ));
        // The same row twice in one file: the second changes nothing.
        let twice = [first[0].clone(), first[0].clone()];
        let (plans, updated) = plan(&twice, &Customers::new());
        assert_eq!((plans.len(), plans[0].events.len(), updated), (1, 1, 1));

        let k = merge(&known_empty(), &first[0]);
        let changed = row("A1", "Ada L.", &["+15555550124"], &[]);
        assert_eq!(
            changes(&k, &changed),
            [
                CustomerEvent::ProfileUpdated {
                    name: Some("Ada L.".into()),
                    email: None,
                    address: None,
                    external_id: None
                },
                CustomerEvent::PhoneAdded {
                    phone: "+15555550124".into()
                },
                CustomerEvent::PhoneRemoved {
                    phone: "+15555550123".into()
                },
            ],
            "empty tags leave the tags"
        );
        assert_eq!(changes(&k, &first[0]), []);
    }

    fn known_empty() -> Known {
        Known {
            name: String::new(),
            phones: vec![],
            email: None,
            address: None,
            tags: vec![],
        }
    }

    #[test]
    fn emails_are_checked_for_shape_only() {
        for good in ["a@b.co", "first.last+tag@mail.example.org"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in [
            "a", "@b.co", "a@b", "a@@b.co", "a b@c.de", "a@.com", "a@com.",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
