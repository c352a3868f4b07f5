//! Outbound campaigns over the API: create and configure a campaign, start / pause /
//! resume / stop its dialer, show it with its board figures, and work its lead list (add,
//! edit, remove a lead; import a CSV body, bad rows reported by line and left out).
//!
//! Every change goes to the campaign's actor (started for each campaign of the log when the
//! server starts, and for a new one when it is created), the one writer of its stream, so
//! the API and the dialer never race. Each request is checked whole before anything is
//! sent: a bad body is a 400 naming the field, and nothing is half-done.
//!
//! Roles: administrators and supervisors run campaigns and their lists; analysts may read
//! them (the figures are theirs to study); agents and auditors may not (auditors read the
//! compliance view over SQL).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use bytes::Bytes;
use hotline_actors::Center;
use hotline_actors::campaign::actor::CampaignRun;
use hotline_actors::campaign::{Campaign, CampaignCommand, CampaignState, LeadStatus, settings};
use hotline_actors::decider::Decider;
use hotline_events::{CampaignId, CampaignSettings, LeadId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::api::{allow, center_error, may_act_as, parse_agent};
use super::auth::{Principal, Role};
use super::reply::{ApiError, answer, created, parse_body};
use super::{State, now};
use crate::campaign::{leads_file, phone};
use phonenumber::country::Id;

use Role::{Administrator as Admin, Agent as AgentRole, Analyst, Supervisor};

/// Roles that run campaigns and change their lists.
pub const RUN_ROLES: &[Role] = &[Admin, Supervisor];
/// Roles that read campaigns.
pub const READ_ROLES: &[Role] = &[Admin, Supervisor, Analyst];
/// Roles that preview, dial and disposition leads: an agent for itself, supervisors and
/// administrators for any agent.
pub const DESK_ROLES: &[Role] = &[Admin, Supervisor, AgentRole];

/// How the dialer of a campaign reaches the center: the number its answered lines arrive
/// on, and that number's queue (the campaign's agents).
pub fn run_of(
    config: &hotline_infra::config::CenterConfig,
    campaign: CampaignId,
    number: &str,
) -> Option<CampaignRun> {
    let n = config.number(number)?;
    Some(CampaignRun {
        campaign,
        number: n.number.clone(),
        queue: n.queue.clone(),
        ring_timeout_ms: 15_000,
    })
}

/// The campaigns routes; `who` is the caller filter of [`super::api`].
pub fn routes<W>(state: State, who: W) -> BoxedFilter<(Response,)>
where
    W: Filter<Extract = (Option<Principal>,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let s = move || {
        let state = state.clone();
        warp::any().map(move || state.clone())
    };
    let body = || warp::body::content_length_limit(1 << 16).and(warp::body::bytes());
    let list = warp::path!("api" / "campaigns")
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and_then(|s: State, who| async move { Ok::<_, Infallible>(answer(list(&s, who).await)) })
        .boxed();
    let create = warp::path!("api" / "campaigns")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(|s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(created(create(&s, who, &body).await))
        })
        .boxed();
    let show = warp::path!("api" / "campaigns" / String)
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and_then(|id: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(show(&s, who, &id).await))
        })
        .boxed();
    let configure = warp::path!("api" / "campaigns" / String / "settings")
        .and(warp::put())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(configure(&s, who, &id, &body).await))
        })
        .boxed();
    let action = warp::path!("api" / "campaigns" / String / "actions")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(action(&s, who, &id, &body).await))
        })
        .boxed();
    let lead_add = warp::path!("api" / "campaigns" / String / "leads")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(created(lead_add(&s, who, &id, &body).await))
        })
        .boxed();
    let import = warp::path!("api" / "campaigns" / String / "leads" / "import")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::body::content_length_limit(64 << 20).and(warp::body::bytes()))
        .and_then(
            |id: String, s: State, who, query: HashMap<String, String>, body: Bytes| async move {
                let region = query.get("region").map(String::as_str);
                Ok::<_, Infallible>(answer(import(&s, who, &id, region, &body).await))
            },
        )
        .boxed();
    let lead_edit = warp::path!("api" / "campaigns" / String / "leads" / String)
        .and(warp::patch())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(
            |id: String, lead: String, s: State, who, body: Bytes| async move {
                Ok::<_, Infallible>(answer(lead_edit(&s, who, &id, &lead, &body).await))
            },
        )
        .boxed();
    let lead_remove = warp::path!("api" / "campaigns" / String / "leads" / String)
        .and(warp::delete())
        .and(s())
        .and(who.clone())
        .and_then(|id: String, lead: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(lead_remove(&s, who, &id, &lead).await))
        })
        .boxed();
    let preview = warp::path!("api" / "campaigns" / String / "preview")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(preview(&s, who, &id, &body).await))
        })
        .boxed();
    let dial = warp::path!("api" / "campaigns" / String / "leads" / String / "dial")
        .and(warp::post())
        .and(s())
        .and(who.clone())
        .and(body())
        .and_then(
            |id: String, lead: String, s: State, who, body: Bytes| async move {
                Ok::<_, Infallible>(answer(dial(&s, who, &id, &lead, &body).await))
            },
        )
        .boxed();
    let disposition = warp::path!("api" / "campaigns" / String / "leads" / String / "disposition")
        .and(warp::post())
        .and(s())
        .and(who)
        .and(body())
        .and_then(
            |id: String, lead: String, s: State, who, body: Bytes| async move {
                Ok::<_, Infallible>(answer(disposition(&s, who, &id, &lead, &body).await))
            },
        )
        .boxed();
    list.or(create)
        .unify()
        .or(preview)
        .unify()
        .or(dial)
        .unify()
        .or(disposition)
        .unify()
        .or(configure)
        .unify()
        .or(action)
        .unify()
        .or(import)
        .unify()
        .or(lead_add)
        .unify()
        .or(lead_edit)
        .unify()
        .or(lead_remove)
        .unify()
        .or(show)
        .unify()
        .boxed()
}

fn stopping() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping")
}

fn parse_campaign(id: &str) -> Result<CampaignId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::not_found(format!(
            "`{id}` is not a campaign id: GET /api/campaigns lists them"
        ))
    })
}

fn parse_lead(id: &str) -> Result<LeadId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::not_found(format!(
            "`{id}` is not a lead id: GET the campaign lists its leads"
        ))
    })
}

/// The campaign's state from its actor, or 404.
async fn state_of(center: &Center, campaign: CampaignId) -> Result<CampaignState, ApiError> {
    center
        .campaign_state(campaign)
        .await
        .filter(|s| s.version > 0)
        .ok_or_else(|| ApiError::not_found(format!("no campaign {campaign} on this center")))
}

/// A rejection of the campaign's core as an answer: rules and values the caller sent are
/// 400 naming the field, the campaign's state 409.
fn rejected(r: &hotline_actors::campaign::CampaignRejection) -> ApiError {
    use hotline_actors::campaign::CampaignRejection as R;
    match r {
        R::BadSettings { field, problem } => {
            ApiError::bad_field(&format!("settings.{field}"), format!("{field}: {problem}"))
        }
        R::NoName => ApiError::bad_field("name", r.to_string()),
        R::NotE164(_) => ApiError::bad_field("phone", r.to_string()),
        R::NoTimeZone | R::UnknownTimeZone(_) => ApiError::bad_field("time_zones", r.to_string()),
        R::UnknownLead(_) => ApiError::not_found(r.to_string()),
        R::UnknownDisposition(_) => ApiError::bad_field("disposition", r.to_string()),
        R::CallbackNeedsTime(_)
        | R::NotACallback(_)
        | R::CallbackInThePast
        | R::CallbackOutsideHours(_) => ApiError::bad_field("callback_at", r.to_string()),
        _ => ApiError::conflict(r.to_string()),
    }
}

/// Checks `cmd` against the campaign's state with the pure core (so a bad request names
/// its field and sends nothing), then runs it on the campaign's actor.
async fn run(
    center: &Center,
    campaign: CampaignId,
    state: &CampaignState,
    cmd: CampaignCommand,
) -> Result<(), ApiError> {
    Campaign::decide(state, &cmd, now()).map_err(|r| rejected(&r))?;
    center.campaign(campaign, cmd).await.map_err(center_error)
}

#[derive(Serialize)]
struct CampaignView {
    campaign: String,
    name: String,
    status: &'static str,
    dial_mode: hotline_events::DialMode,
    leads: usize,
    open_leads: usize,
    lines_in_flight: usize,
    /// Dials, answers, abandons since the campaign began, from the `campaign_attempts`
    /// read model (what the wallboard's tile shows for today).
    board: Board,
}

#[derive(Serialize, Default)]
struct Board {
    dialed: u32,
    answered_by_person: u32,
    machines: u32,
    abandoned: u32,
    abandon_rate: Option<f64>,
    max_abandon_rate: f64,
    /// Lines dialed per person who answered.
    dial_ratio: Option<f64>,
    /// The agents of the campaign's queue: free now, and staffed (logged in).
    agents_free: u32,
    agents_staffed: u32,
}

fn status_label(s: &CampaignState) -> &'static str {
    use hotline_actors::campaign::Status;
    match s.status {
        Status::New => "new",
        Status::Draft => "created",
        Status::Running => "running",
        Status::Paused => "paused",
        Status::Stopped => "stopped",
        Status::Completed => "completed",
    }
}

fn view(s: &State, campaign: CampaignId, st: &CampaignState) -> CampaignView {
    let models = s.views.read();
    let summary = models
        .campaign_attempts
        .summaries(|r| r.campaign == campaign)
        .into_iter()
        .find(|c| c.campaign == campaign);
    let mut board = Board {
        max_abandon_rate: st.settings.max_abandon_rate,
        ..Board::default()
    };
    if let Some(c) = summary {
        board.dialed = c.dialed;
        board.answered_by_person = c.answered_by_person;
        board.machines = c.machines;
        board.abandoned = c.abandoned;
        board.abandon_rate = c.abandon_rate();
        board.dial_ratio = (c.answered_by_person > 0)
            .then(|| f64::from(c.dialed) / f64::from(c.answered_by_person));
    }
    if let Some(run) = run_of(&s.config, campaign, &s.campaign_number) {
        let now = now();
        let boards = &models.boards;
        let a = boards.queue(&run.queue, now).agents;
        board.agents_free = a.available;
        board.agents_staffed = a.available + a.not_ready + a.reserved + a.busy + a.wrapping_up;
    }
    CampaignView {
        campaign: campaign.to_string(),
        name: st.name.clone(),
        status: status_label(st),
        dial_mode: st.settings.dial_mode,
        leads: st.leads.len(),
        open_leads: st.open_leads(),
        lines_in_flight: st.in_flight(),
        board,
    }
}

async fn list(s: &State, who: Option<Principal>) -> Result<Vec<CampaignView>, ApiError> {
    allow(who, READ_ROLES, "read campaigns")?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let mut ids = center.services().directory.campaigns();
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        if let Ok(st) = state_of(center, id).await {
            out.push(view(s, id, &st));
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct ShowView {
    #[serde(flatten)]
    campaign: CampaignView,
    settings: CampaignSettings,
    leads: Vec<LeadView>,
}

#[derive(Serialize)]
struct LeadView {
    lead: String,
    phone: String,
    time_zones: Vec<String>,
    priority: u8,
    fields: BTreeMap<String, String>,
    attempts: u32,
    status: String,
}

async fn show(s: &State, who: Option<Principal>, id: &str) -> Result<ShowView, ApiError> {
    allow(who, READ_ROLES, "read campaigns")?;
    let campaign = parse_campaign(id)?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    let leads = st
        .leads
        .values()
        .map(|l| LeadView {
            lead: l.id.to_string(),
            phone: l.phone.clone(),
            time_zones: l.time_zones.clone(),
            priority: l.priority,
            fields: l.fields.clone(),
            attempts: l.attempts,
            status: match l.status {
                LeadStatus::Waiting { due, .. } => format!("waiting from {due}"),
                LeadStatus::Callback { at, .. } => format!("appointment at {at}"),
                LeadStatus::Dialing { .. } => "dialing".into(),
                LeadStatus::Connected { .. } => "awaiting disposition".into(),
                LeadStatus::Closed(reason) => format!("closed ({reason:?})").to_lowercase(),
            },
        })
        .collect();
    Ok(ShowView {
        campaign: view(s, campaign, &st),
        settings: st.settings.clone(),
        leads,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    /// The rules, whole; the defaults when left out.
    #[serde(default)]
    settings: Option<CampaignSettings>,
}

async fn create(
    s: &State,
    who: Option<Principal>,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "create campaigns")?;
    let req: CreateBody = parse_body(body)?;
    let settings = req.settings.unwrap_or_default();
    let cmd = CampaignCommand::Create {
        name: req.name,
        settings,
    };
    // Checked before the actor exists: a refused campaign leaves nothing behind.
    Campaign::decide(&CampaignState::default(), &cmd, now()).map_err(|r| rejected(&r))?;
    let campaign = CampaignId::generate();
    let run = run_of(&s.config, campaign, &s.campaign_number).ok_or_else(|| {
        ApiError::conflict(format!(
            "the campaign number {} is not one of this center's numbers: start the server with --campaign-number",
            s.campaign_number
        ))
    })?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    center
        .start_campaign(run)
        .await
        .map_err(ApiError::internal)?;
    center.campaign(campaign, cmd).await.map_err(center_error)?;
    Ok(json!({ "campaign": campaign.to_string() }))
}

async fn configure(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "configure campaigns")?;
    let campaign = parse_campaign(id)?;
    let settings: CampaignSettings = parse_body(body)?;
    settings::validate(&settings).map_err(|r| rejected(&r))?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    run(
        center,
        campaign,
        &st,
        CampaignCommand::Configure { settings },
    )
    .await?;
    Ok(json!({ "campaign": campaign.to_string(), "configured": true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    action: Action,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Action {
    Start,
    Pause,
    Resume,
    Stop,
}

async fn action(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "start, pause, resume or stop campaigns")?;
    let campaign = parse_campaign(id)?;
    let req: ActionBody = parse_body(body)?;
    let cmd = match req.action {
        Action::Start => CampaignCommand::Start,
        Action::Pause => CampaignCommand::Pause,
        Action::Resume => CampaignCommand::Resume,
        Action::Stop => CampaignCommand::Stop,
    };
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    run(center, campaign, &st, cmd).await?;
    let st = state_of(center, campaign).await?;
    Ok(json!({ "campaign": campaign.to_string(), "status": status_label(&st) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadBody {
    phone: String,
    /// IANA zones; from the number when left out.
    #[serde(default)]
    time_zones: Option<Vec<String>>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

/// The number in E.164 and its zones (given, or from the number), or a 400 naming the field.
fn number_and_zones(
    text: &str,
    zones: Option<Vec<String>>,
) -> Result<(String, Vec<String>), ApiError> {
    let number = phone::normalize(text, None, None).map_err(|e| ApiError::bad_field("phone", e))?;
    let zones = match zones {
        Some(z) => z,
        None => {
            let derived: Vec<String> = phone::zones_of_number(&number)
                .iter()
                .map(|z| (*z).to_owned())
                .collect();
            if derived.is_empty() {
                return Err(ApiError::bad_field(
                    "time_zones",
                    format!(
                        "the time zone of {} is not known from its number: give time_zones (such as [\"Asia/Jakarta\"])",
                        number.e164
                    ),
                ));
            }
            derived
        }
    };
    Ok((number.e164, zones))
}

fn check_priority(p: Option<u8>) -> Result<Option<u8>, ApiError> {
    match p {
        Some(p) if p > leads_file::MAX_PRIORITY => Err(ApiError::bad_field(
            "priority",
            format!(
                "{p} is not a priority from 0 to {} (higher is dialed first)",
                leads_file::MAX_PRIORITY
            ),
        )),
        p => Ok(p),
    }
}

async fn lead_add(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "change lead lists")?;
    let campaign = parse_campaign(id)?;
    let req: LeadBody = parse_body(body)?;
    let (phone, time_zones) = number_and_zones(&req.phone, req.time_zones)?;
    let priority = check_priority(req.priority)?.unwrap_or(0);
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    let lead = LeadId::generate();
    let cmd = CampaignCommand::AddLead {
        lead,
        phone: phone.clone(),
        time_zones: time_zones.clone(),
        priority,
        fields: req.fields,
    };
    run(center, campaign, &st, cmd).await?;
    Ok(json!({ "lead": lead.to_string(), "phone": phone, "time_zones": time_zones }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadEdit {
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    time_zones: Option<Vec<String>>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(default)]
    fields: Option<BTreeMap<String, String>>,
}

async fn lead_edit(
    s: &State,
    who: Option<Principal>,
    id: &str,
    lead: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "change lead lists")?;
    let campaign = parse_campaign(id)?;
    let lead = parse_lead(lead)?;
    let req: LeadEdit = parse_body(body)?;
    let (phone, time_zones) = match req.phone {
        Some(text) => {
            let (p, z) = number_and_zones(&text, req.time_zones)?;
            (Some(p), Some(z))
        }
        None => (None, req.time_zones),
    };
    let priority = check_priority(req.priority)?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    let cmd = CampaignCommand::EditLead {
        lead,
        phone,
        time_zones,
        priority,
        fields: req.fields,
    };
    run(center, campaign, &st, cmd).await?;
    Ok(json!({ "lead": lead.to_string(), "edited": true }))
}

async fn lead_remove(
    s: &State,
    who: Option<Principal>,
    id: &str,
    lead: &str,
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "change lead lists")?;
    let campaign = parse_campaign(id)?;
    let lead = parse_lead(lead)?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    run(center, campaign, &st, CampaignCommand::RemoveLead { lead }).await?;
    Ok(json!({ "lead": lead.to_string(), "removed": true }))
}

/// A CSV body (the `hotline campaign import` format): the good rows become leads, each bad
/// one is reported by line and left out. A body that is not a lead list at all (no phone
/// column, not CSV) is refused whole. `?region=US` is `--region`: the country of the
/// numbers written without a country code.
async fn import(
    s: &State,
    who: Option<Principal>,
    id: &str,
    region: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, RUN_ROLES, "import lead lists")?;
    let campaign = parse_campaign(id)?;
    let region = region
        .map(|text| {
            text.trim().to_ascii_uppercase().parse::<Id>().map_err(|_| {
                ApiError::bad_field(
                    "region",
                    format!(
                        "`{text}` is not a country code; give an ISO 3166 code such as US, GB or FR"
                    ),
                )
            })
        })
        .transpose()?;
    let parsed = leads_file::parse("body", body, region, Some("?region= (such as ?region=US)"))
        .map_err(|e| ApiError::bad_field("body", e))?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let mut st = state_of(center, campaign).await?;
    let mut problems: Vec<String> = parsed.problems.clone();
    // Rows, not problems: a row may have several problems (the command line counts so too).
    let mut rejected = parsed.rejected;
    let mut accepted = 0u32;
    for row in parsed.rows {
        let cmd = CampaignCommand::AddLead {
            lead: LeadId::generate(),
            phone: row.phone.clone(),
            time_zones: row.time_zones.clone(),
            priority: row.priority,
            fields: row.fields.clone(),
        };
        // A row the campaign refuses (a number already listed or on the do-not-call list)
        // is reported like a malformed one.
        match Campaign::decide(&st, &cmd, now()) {
            Ok(events) => {
                center.campaign(campaign, cmd).await.map_err(center_error)?;
                for e in &events {
                    st = Campaign::evolve(st, e, now());
                }
                accepted += 1;
            }
            Err(r) => {
                problems.push(format!("body:{}: phone: {r}", row.line));
                rejected += 1;
            }
        }
    }
    let rejected = u32::try_from(rejected).unwrap_or(u32::MAX);
    let record = CampaignCommand::RecordImport {
        source: "api".into(),
        accepted,
        rejected,
    };
    center
        .campaign(campaign, record)
        .await
        .map_err(center_error)?;
    Ok(json!({ "accepted": accepted, "rejected": rejected, "problems": problems }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForAgent {
    /// The agent acting; an agent token acts as its own agent and may leave it out.
    #[serde(default)]
    agent: Option<String>,
}

/// The agent a desk request acts for: the token's own agent, or the one named by a
/// supervisor or administrator.
fn acting_agent(p: &Principal, named: Option<&str>) -> Result<hotline_events::AgentId, ApiError> {
    let agent = match (named, p.agent) {
        (Some(id), _) => parse_agent(id)?,
        (None, Some(own)) => own,
        (None, None) => {
            return Err(ApiError::bad_field(
                "agent",
                "name the agent the lead is for (\"agent\": its id)",
            ));
        }
    };
    may_act_as(p, agent)?;
    Ok(agent)
}

/// Preview mode: the lead the agent would dial next (`{"lead": null}` when none is due).
async fn preview(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, DESK_ROLES, "preview leads")?;
    let campaign = parse_campaign(id)?;
    let req: ForAgent = if body.is_empty() {
        ForAgent { agent: None }
    } else {
        parse_body(body)?
    };
    let agent = acting_agent(&p, req.agent.as_deref())?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let lead = center
        .preview(campaign, agent)
        .await
        .map_err(center_error)?;
    Ok(match lead {
        Some(l) => json!({"lead": {
            "lead": l.id.to_string(), "phone": l.phone, "time_zones": l.time_zones,
            "priority": l.priority, "fields": l.fields, "attempts": l.attempts,
        }}),
        None => json!({ "lead": null }),
    })
}

/// Preview mode: the agent dials the lead it saw; answers with the call placed.
async fn dial(
    s: &State,
    who: Option<Principal>,
    id: &str,
    lead: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, DESK_ROLES, "dial leads")?;
    let campaign = parse_campaign(id)?;
    let lead = parse_lead(lead)?;
    let req: ForAgent = if body.is_empty() {
        ForAgent { agent: None }
    } else {
        parse_body(body)?
    };
    let agent = acting_agent(&p, req.agent.as_deref())?;
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let call = center
        .dial_preview(campaign, agent, lead)
        .await
        .map_err(center_error)?;
    Ok(json!({ "call": call.to_string() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DispositionBody {
    call: String,
    disposition: String,
    /// For a disposition that books an appointment: when (RFC 3339).
    #[serde(default)]
    callback_at: Option<String>,
    /// The appointment's agent: the one acting unless `anyone` is true.
    #[serde(default)]
    anyone: bool,
    #[serde(default)]
    agent: Option<String>,
}

/// The agent's disposition of a connected call: closes the lead, recycles it, or books an
/// appointment (for this agent unless `anyone`).
async fn disposition(
    s: &State,
    who: Option<Principal>,
    id: &str,
    lead: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, DESK_ROLES, "disposition calls")?;
    let campaign = parse_campaign(id)?;
    let lead = parse_lead(lead)?;
    let req: DispositionBody = parse_body(body)?;
    let agent = acting_agent(&p, req.agent.as_deref())?;
    let call: hotline_events::CallId = req
        .call
        .parse()
        .map_err(|_| ApiError::bad_field("call", format!("{:?} is not a call id", req.call)))?;
    let callback = match req.callback_at.as_deref() {
        None => None,
        Some(text) => {
            let at = hotline_events::Timestamp::parse(text).map_err(|_| {
                ApiError::bad_field(
                    "callback_at",
                    format!("`{text}` is not a time: write RFC 3339, such as 2026-12-02T15:30:00Z"),
                )
            })?;
            Some((at, (!req.anyone).then_some(agent)))
        }
    };
    let center = s.center.read().await;
    let center = center.as_ref().ok_or_else(stopping)?;
    let st = state_of(center, campaign).await?;
    let cmd = CampaignCommand::Disposition {
        lead,
        call,
        disposition: req.disposition,
        callback,
    };
    run(center, campaign, &st, cmd).await?;
    Ok(json!({ "lead": lead.to_string(), "dispositioned": true }))
}
