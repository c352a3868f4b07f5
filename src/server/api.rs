//! The routes and their handlers. Each handler first checks the caller's role (a missing
//! or unknown token is 401, a role without the right 403), then validates the whole
//! request before it acts, so a bad request changes nothing.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::stream;
use hotline_actors::CommandError;
use hotline_actors::agent::{AgentCommand, Forced};
use hotline_actors::call::CallCommand;
use hotline_actors::roster::Entry;
use hotline_events::{
    AccessEvent, AgentId, CallId, CustomerId, Event, NewEvent, QueueId, StreamName, TransferTarget,
    normalize_phone,
};
use hotline_infra::ExpectedVersion;
use serde::{Deserialize, Serialize};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::auth::{Principal, Role};
use super::reply::{ApiError, answer, created, parse_body};
use super::{State, admin, feed, metrics, now, pages};

use Role::{Administrator as Admin, Agent as AgentRole, Analyst, Auditor, Supervisor};

/// Roles that see the boards and the feed.
const BOARD_ROLES: &[Role] = &[Admin, Supervisor, Analyst];
const SQL_ROLES: &[Role] = &[Admin, Analyst, Auditor];
const ALL_ROLES: &[Role] = &[Admin, Supervisor, AgentRole, Analyst, Auditor];

/// The caller, from `Authorization: Bearer` or, for pages and EventSource (which cannot
/// set headers), a `token` query parameter.
fn who(state: State) -> impl Filter<Extract = (Option<Principal>,), Error = Rejection> + Clone {
    warp::header::optional::<String>("authorization")
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .map(move |header: Option<String>, query: String| {
            let token = header
                .as_deref()
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(|t| t.trim().to_owned())
                .or_else(|| {
                    query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("token=").map(str::to_owned))
                });
            token.and_then(|t| state.tokens.check(&t))
        })
}

/// The caller, if their role is one of `roles`.
pub fn allow(who: Option<Principal>, roles: &[Role], what: &str) -> Result<Principal, ApiError> {
    let p = who.ok_or_else(ApiError::unauthorized)?;
    if roles.contains(&p.role) {
        Ok(p)
    } else {
        Err(ApiError::forbidden(what))
    }
}

fn with_state(state: State) -> impl Filter<Extract = (State,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// Every route.
pub fn routes(state: State) -> BoxedFilter<(Response,)> {
    let s = || with_state(state.clone());
    let w = || who(state.clone());
    let get = warp::get;
    let post = warp::post;
    let body = || warp::body::content_length_limit(1 << 20).and(warp::body::bytes());

    let health = warp::path!("healthz")
        .and(get())
        .map(|| warp::reply::json(&json!({"ok": true})).into_response())
        .boxed();
    let openapi = warp::path!("api" / "openapi.json")
        .and(get())
        .map(|| {
            warp::reply::with_header(pages::OPENAPI, "content-type", "application/json")
                .into_response()
        })
        .boxed();
    let me = warp::path!("api" / "me")
        .and(get())
        .and(w())
        .map(|who| answer(allow(who, ALL_ROLES, "read this")))
        .boxed();
    let queues = warp::path!("api" / "queues")
        .and(get())
        .and(s())
        .and(w())
        .map(|s: State, who| answer(allow(who, ALL_ROLES, "list queues").map(|_| queue_list(&s))))
        .boxed();
    let boards = warp::path!("api" / "boards")
        .and(get())
        .and(s())
        .and(w())
        .map(
            |s: State, who| match allow(who, BOARD_ROLES, "see the boards") {
                Ok(_) => {
                    let published = s.boards.borrow().clone();
                    warp::reply::with_header(
                        published.json.clone(),
                        "content-type",
                        "application/json",
                    )
                    .into_response()
                }
                Err(e) => e.into_response(),
            },
        )
        .boxed();
    let feed = warp::path!("api" / "feed")
        .and(get())
        .and(s())
        .and(w())
        .map(
            |s: State, who| match allow(who, BOARD_ROLES, "follow the boards") {
                Ok(_) => feed_stream(&s),
                Err(e) => e.into_response(),
            },
        )
        .boxed();
    let agents = warp::path!("api" / "agents")
        .and(get())
        .and(s())
        .and(w())
        .map(|s: State, who| {
            answer(allow(who, &[Admin, Supervisor], "list agents").map(|_| agent_list(&s, None)))
        })
        .boxed();
    let agent = warp::path!("api" / "agents" / String)
        .and(get())
        .and(s())
        .and(w())
        .map(|id: String, s: State, who| answer(agent_one(&s, who, &id)))
        .boxed();
    let agent_create = warp::path!("api" / "agents")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(created(admin::create(&s, who, &body).await))
        })
        .boxed();
    let agent_edit = warp::path!("api" / "agents" / String)
        .and(warp::patch())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(admin::edit(&s, who, &id, &body).await))
        })
        .boxed();
    let agent_remove = warp::path!("api" / "agents" / String)
        .and(warp::delete())
        .and(s())
        .and(w())
        .and_then(|id: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(admin::remove(&s, who, &id).await))
        })
        .boxed();
    let agent_state = warp::path!("api" / "agents" / String / "state")
        .and(warp::put())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(admin::force_state(&s, who, &id, &body).await))
        })
        .boxed();
    let agent_queues = warp::path!("api" / "agents" / String / "queues")
        .and(warp::put())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(admin::move_queues(&s, who, &id, &body).await))
        })
        .boxed();
    let agent_skills = warp::path!("api" / "agents" / String / "skills")
        .and(warp::put())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(admin::change_skills(&s, who, &id, &body).await))
        })
        .boxed();
    let agent_action = warp::path!("api" / "agents" / String / "actions")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(agent_action(&s, who, &id, &body).await))
        })
        .boxed();
    let calls = warp::path!("api" / "calls")
        .and(get())
        .and(s())
        .and(w())
        .map(|s: State, who| answer(call_list(&s, who)))
        .boxed();
    let place = warp::path!("api" / "calls")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(place_call(&s, who, &body).await))
        })
        .boxed();
    let call = warp::path!("api" / "calls" / String)
        .and(get())
        .and(s())
        .and(w())
        .and_then(|id: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(call_history(&s, who, &id).await))
        })
        .boxed();
    let call_action = warp::path!("api" / "calls" / String / "actions")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(call_action(&s, who, &id, &body).await))
        })
        .boxed();
    let customers = warp::path!("api" / "customers")
        .and(get())
        .and(s())
        .and(w())
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .and_then(
            |s: State, who, q: std::collections::HashMap<String, String>| async move {
                Ok::<_, Infallible>(answer(customer_search(&s, who, &q).await))
            },
        )
        .boxed();
    let customer = warp::path!("api" / "customers" / String)
        .and(get())
        .and(s())
        .and(w())
        .and_then(|id: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(customer_view(&s, who, &id).await))
        })
        .boxed();
    let sql = warp::path!("api" / "sql")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .and_then(|s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(sql(&s, who, &body).await)
        })
        .boxed();
    let tokens = warp::path!("api" / "tokens")
        .and(post())
        .and(s())
        .and(w())
        .and(body())
        .map(|s: State, who, body: Bytes| answer(issue_token(&s, who, &body)))
        .boxed();
    let metrics = warp::path!("metrics")
        .and(get())
        .and(s())
        .and(w())
        .and_then(|s: State, who| async move {
            Ok::<_, Infallible>(match allow(who, &[Admin, Supervisor], "read the metrics") {
                Ok(_) => metrics_text(&s).await,
                Err(e) => e.into_response(),
            })
        })
        .boxed();
    let wallboard = warp::path!("wallboard")
        .and(get())
        .map(|| warp::reply::html(pages::WALLBOARD).into_response())
        .boxed();
    let desk = warp::path!("agent")
        .and(get())
        .map(|| warp::reply::html(pages::AGENT).into_response())
        .boxed();
    let recordings = super::recordings::routes(state.clone(), w());
    let voicemail = super::voicemail::routes(state.clone(), w());
    let campaigns = super::campaigns::routes(state.clone(), w());
    let root = warp::path::end()
        .and(get())
        .map(|| warp::redirect::found(warp::http::Uri::from_static("/wallboard")).into_response())
        .boxed();

    health
        .or(openapi)
        .unify()
        .or(me)
        .unify()
        .or(queues)
        .unify()
        .or(boards)
        .unify()
        .or(feed)
        .unify()
        .or(agents)
        .unify()
        .or(agent_create)
        .unify()
        .or(agent_edit)
        .unify()
        .or(agent_remove)
        .unify()
        .or(agent_state)
        .unify()
        .or(agent_queues)
        .unify()
        .or(agent_skills)
        .unify()
        .or(agent_action)
        .unify()
        .or(agent)
        .unify()
        .or(calls)
        .unify()
        .or(place)
        .unify()
        .or(call_action)
        .unify()
        .or(call)
        .unify()
        .or(customers)
        .unify()
        .or(customer)
        .unify()
        .or(recordings)
        .unify()
        .or(voicemail)
        .unify()
        .or(campaigns)
        .unify()
        .or(sql)
        .unify()
        .or(tokens)
        .unify()
        .or(metrics)
        .unify()
        .or(wallboard)
        .unify()
        .or(desk)
        .unify()
        .or(root)
        .unify()
        .recover(|r: Rejection| async move { Ok::<_, Infallible>(rejected(r)) })
        .unify()
        .boxed()
}

/// What warp itself rejects (no route, wrong method, a body too large), as JSON.
fn rejected(r: Rejection) -> Response {
    let (status, message) = if r.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "no such endpoint; see /api/openapi.json".to_owned(),
        )
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "this endpoint does not take that method; see /api/openapi.json".to_owned(),
        )
    } else if r.find::<warp::reject::PayloadTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than 1 MiB".to_owned(),
        )
    } else if let Some(e) = r.find::<warp::reject::InvalidQuery>() {
        (StatusCode::BAD_REQUEST, format!("the query string: {e}"))
    } else {
        (StatusCode::BAD_REQUEST, format!("{r:?}"))
    };
    ApiError::new(status, message).into_response()
}

#[derive(Serialize)]
struct QueueInfo {
    queue: String,
    name: String,
    strategy: String,
    sl_threshold_s: f64,
    sl_target: f64,
    skills: Vec<String>,
}

fn queue_list(s: &State) -> Vec<QueueInfo> {
    s.config
        .queues
        .iter()
        .map(|q| QueueInfo {
            queue: q.id.as_str().to_owned(),
            name: q.name.clone(),
            strategy: q.strategy.name().to_owned(),
            sl_threshold_s: q.service_level_threshold.as_secs_f64(),
            sl_target: f64::from(q.service_level_target) / 100.0,
            skills: q.skills.iter().map(|k| k.to_string()).collect(),
        })
        .collect()
}

#[derive(Serialize)]
pub(crate) struct SkillInfo {
    name: String,
    level: u8,
}

/// An agent on the roster, with its live board.
#[derive(Serialize)]
pub(crate) struct AgentInfo {
    agent: String,
    login: String,
    name: String,
    extension: Option<String>,
    skills: Vec<SkillInfo>,
    queues: Vec<String>,
    /// `config` (the center's file) or `api` (registered by an administrator).
    source: &'static str,
    /// The live board: state, time in it, calls today.
    board: Option<feed::AgentTile>,
}

pub(crate) fn info_of(s: &State, e: &Entry) -> AgentInfo {
    let published = s.boards.borrow().clone();
    let id = e.id.to_string();
    let board = published
        .boards
        .agents
        .iter()
        .find(|t| t.agent == id)
        .cloned();
    AgentInfo {
        agent: id,
        login: e.profile.login.clone(),
        name: e.profile.name.clone(),
        extension: e.profile.extension.clone(),
        skills: e
            .profile
            .skills
            .iter()
            .map(|k| SkillInfo {
                name: k.name.to_string(),
                level: k.level,
            })
            .collect(),
        queues: e
            .profile
            .queues
            .iter()
            .map(|q| q.as_str().to_owned())
            .collect(),
        source: if e.from_config { "config" } else { "api" },
        board,
    }
}

fn agent_list(s: &State, only: Option<AgentId>) -> Vec<AgentInfo> {
    s.roster
        .list()
        .iter()
        .filter(|e| only.is_none_or(|o| o == e.id))
        .map(|e| info_of(s, e))
        .collect()
}

pub(crate) fn parse_agent(id: &str) -> Result<AgentId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_field("agent", format!("{id:?} is not an agent id (a UUID)")))
}

fn parse_call(id: &str) -> Result<CallId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_field("call", format!("{id:?} is not a call id (a UUID)")))
}

/// An agent token may act on its own agent only; supervisors and administrators on any.
pub(crate) fn may_act_as(p: &Principal, agent: AgentId) -> Result<(), ApiError> {
    match p.role {
        Admin | Supervisor => Ok(()),
        AgentRole if p.agent == Some(agent) => Ok(()),
        _ => Err(ApiError::forbidden("act for this agent")),
    }
}

fn agent_one(s: &State, who: Option<Principal>, id: &str) -> Result<AgentInfo, ApiError> {
    let p = allow(who, &[Admin, Supervisor, AgentRole], "see agents")?;
    let agent = parse_agent(id)?;
    may_act_as(&p, agent)?;
    agent_list(s, Some(agent))
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("no agent {agent} in this center")))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum AgentAction {
    // Empty braces, not unit variants: serde's deny_unknown_fields checks only
    // struct-like variants of an internally tagged enum.
    LogIn {},
    LogOut {},
    Ready {},
    /// Pick up the call ringing at the agent.
    Accept {},
    NotReady {
        reason: String,
    },
    WrapUp {
        #[serde(default)]
        disposition: Option<String>,
        #[serde(default)]
        notes: Option<String>,
    },
    ChangeQueues {
        queues: Vec<String>,
    },
}

pub(crate) fn center_error(e: CommandError) -> ApiError {
    match e {
        CommandError::Rejected(why) => ApiError::conflict(why),
        CommandError::NotFound(what) => ApiError::not_found(format!("no such {what}")),
        CommandError::Stopped => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping")
        }
    }
}

async fn agent_action(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, &[Admin, Supervisor, AgentRole], "change agent states")?;
    let agent = parse_agent(id)?;
    may_act_as(&p, agent)?;
    let action: AgentAction = parse_body(body)?;
    let entry = s
        .roster
        .get(agent)
        .ok_or_else(|| ApiError::not_found(format!("no agent {agent} on this center's roster")))?;
    // A supervisor's or administrator's hand on another agent is recorded with their name.
    let by = (p.role != AgentRole).then(|| p.name.clone());
    let center = s.center.read().await;
    let center = center
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping"))?;
    let command = match action {
        // The roster's profile: the file's, with what administrators changed since.
        AgentAction::LogIn {} => AgentCommand::log_in(&entry.profile),
        AgentAction::LogOut {} => match by {
            Some(by) => AgentCommand::Force {
                to: Forced::LogOut,
                by,
            },
            None => AgentCommand::LogOut,
        },
        AgentAction::Ready {} => match by {
            Some(by) => AgentCommand::Force {
                to: Forced::Ready,
                by,
            },
            None => AgentCommand::Ready,
        },
        AgentAction::Accept {} => {
            let state = center.agent_state(agent).await;
            let call = match state.map(|st| st.presence) {
                Some(hotline_actors::agent::Presence::Reserved { call, .. }) => call,
                _ => return Err(ApiError::conflict("no call is ringing at this agent")),
            };
            s.network
                .pick_up(call, agent)
                .map_err(|e| ApiError::conflict(e.to_string()))?;
            return Ok(json!({"ok": true, "call": call.to_string()}));
        }
        AgentAction::NotReady { reason } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() || reason.len() > 64 {
                return Err(ApiError::bad_field(
                    "reason",
                    "a reason code of 1 to 64 characters is needed (lunch, training...)",
                ));
            }
            match by {
                Some(by) => AgentCommand::Force {
                    to: Forced::NotReady { reason },
                    by,
                },
                None => AgentCommand::NotReady { reason },
            }
        }
        AgentAction::WrapUp { disposition, notes } => {
            let state = center.agent_state(agent).await;
            let call = match state.map(|st| st.presence) {
                Some(hotline_actors::agent::Presence::WrappingUp { call, .. }) => call,
                _ => return Err(ApiError::conflict("the agent is not wrapping up a call")),
            };
            AgentCommand::CompleteWrapUp {
                call,
                disposition,
                notes,
            }
        }
        AgentAction::ChangeQueues { queues } => {
            if p.role == AgentRole {
                return Err(ApiError::forbidden("move agents between queues"));
            }
            AgentCommand::Edit {
                name: None,
                skills: None,
                queues: Some(admin::queues_of(s, &queues)?),
                by: p.name.clone(),
            }
        }
    };
    center.agent(agent, command).await.map_err(center_error)?;
    Ok(json!({"ok": true}))
}

#[derive(Serialize)]
struct LiveCall {
    call: String,
    caller: String,
    number: String,
    queue: Option<String>,
    agents: Vec<String>,
    arrived_at: Option<hotline_events::Timestamp>,
    answered_at: Option<hotline_events::Timestamp>,
}

fn call_list(s: &State, who: Option<Principal>) -> Result<Vec<LiveCall>, ApiError> {
    let p = allow(who, &[Admin, Supervisor, AgentRole], "list calls")?;
    let models = s.views.read();
    Ok(models
        .calls
        .rows()
        .iter()
        .filter(|r| r.outcome.is_none())
        .filter(|r| p.role != AgentRole || p.agent.is_some_and(|a| r.agents.contains(&a)))
        .map(|r| LiveCall {
            call: r.call.to_string(),
            caller: r.caller.clone(),
            number: r.number.clone(),
            queue: r.last_queue.as_ref().map(|q| q.as_str().to_owned()),
            agents: r.agents.iter().map(ToString::to_string).collect(),
            arrived_at: r.arrived_at,
            answered_at: r.answered_at,
        })
        .collect())
}

async fn call_history(
    s: &State,
    who: Option<Principal>,
    id: &str,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let p = allow(
        who,
        &[Admin, Supervisor, AgentRole, Auditor],
        "read call histories",
    )?;
    let call = parse_call(id)?;
    if p.role == AgentRole {
        let handled = s
            .views
            .read()
            .calls
            .get(call)
            .is_some_and(|r| p.agent.is_some_and(|a| r.agents.contains(&a)));
        if !handled {
            return Err(ApiError::forbidden("read a call it did not handle"));
        }
    }
    let events = s
        .log
        .read_stream(&call.stream(), 1)
        .await
        .map_err(ApiError::internal)?;
    if events.is_empty() {
        return Err(ApiError::not_found(format!("no call {call}")));
    }
    events
        .iter()
        .map(|r| serde_json::to_value(r).map_err(ApiError::internal))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceCall {
    /// The number dialed: one of the center's numbers.
    number: String,
    /// The caller's number.
    caller: String,
    /// What the caller keys in the IVR menu, if anything.
    #[serde(default)]
    digits: Option<String>,
    /// How long the caller waits before hanging up, and talks once connected (seconds).
    #[serde(default = "long_secs")]
    patience_s: f64,
    #[serde(default = "long_secs")]
    talk_s: f64,
}

fn long_secs() -> f64 {
    600.0
}

/// `POST /api/calls`: a simulated caller dials in, on the simulated network the server
/// runs on: how an engineer or a trainer puts a call through the live center.
async fn place_call(
    s: &State,
    who: Option<Principal>,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, &[Admin, Supervisor], "place test calls")?;
    let req: PlaceCall = parse_body(body)?;
    // Each duration is checked on its own, so that the refusal names the field given.
    let secs = |field: &str, secs: f64| {
        hotline_media::Dist::Fixed { secs }
            .validate()
            .map_err(|e| ApiError::bad_field(field, e.to_string().replacen("fixed secs", field, 1)))
    };
    secs("patience_s", req.patience_s)?;
    secs("talk_s", req.talk_s)?;
    if !s.config.numbers.iter().any(|n| n.number == req.number) {
        return Err(ApiError::bad_field(
            "number",
            format!("{} is not one of the center's numbers", req.number),
        ));
    }
    let caller =
        normalize_phone(&req.caller).map_err(|e| ApiError::bad_field("caller", e.to_string()))?;
    let script = hotline_media::CallerScript {
        number: req.number,
        caller,
        digits: req.digits,
        patience: hotline_media::Dist::Fixed {
            secs: req.patience_s,
        },
        talk: hotline_media::Dist::Fixed { secs: req.talk_s },
        callee_answers: true,
    };
    script
        .validate()
        .map_err(|e| ApiError::bad_field("body", e.to_string()))?;
    let call = s.network.place_call(script).await;
    Ok(json!({"call": call.to_string()}))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum CallAction {
    Hold {},
    Resume {},
    HangUp {},
    Transfer {
        #[serde(default)]
        queue: Option<String>,
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        notes: Option<String>,
    },
}

async fn call_action(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, &[Admin, Supervisor, AgentRole], "act on calls")?;
    let call = parse_call(id)?;
    let action: CallAction = parse_body(body)?;
    // Who acts: the agent of an agent token; a supervisor acts as the call's agent.
    let on_call = s
        .views
        .read()
        .calls
        .get(call)
        .map(|r| r.agents.last().copied());
    let by = match (p.role, on_call) {
        (AgentRole, _) => p.agent.ok_or_else(|| ApiError::forbidden("act on calls"))?,
        // A mistyped id is a missing call, not a call without an agent.
        (_, None) => return Err(ApiError::not_found(format!("no call {call}"))),
        (_, Some(agent)) => agent.ok_or_else(|| ApiError::conflict("no agent is on this call"))?,
    };
    let command = match action {
        CallAction::Hold {} => CallCommand::Hold { by },
        CallAction::Resume {} => CallCommand::Resume { by },
        CallAction::HangUp {} => CallCommand::AgentHangUp { agent: by },
        CallAction::Transfer {
            queue,
            agent,
            notes,
        } => {
            let to = match (queue, agent) {
                (Some(q), None) => TransferTarget::Queue {
                    queue: QueueId::new(&q)
                        .ok()
                        .filter(|id| s.config.queue(id).is_some())
                        .ok_or_else(|| ApiError::bad_field("queue", format!("no queue {q:?}")))?,
                },
                (None, Some(a)) => TransferTarget::Agent {
                    agent: parse_agent(&a)?,
                },
                _ => {
                    return Err(ApiError::bad_field(
                        "queue",
                        "a transfer names a queue or an agent (one of them)",
                    ));
                }
            };
            CallCommand::Transfer { by, to, notes }
        }
    };
    let center = s.center.read().await;
    let center = center
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping"))?;
    center.call(call, command).await.map_err(center_error)?;
    Ok(json!({"ok": true}))
}

/// Writes that `p` read `customer`: compliance wants every read of personal data in the
/// history. The read is answered only once that is durable.
async fn log_access(
    s: &State,
    p: &Principal,
    customer: CustomerId,
    via: &str,
) -> Result<(), ApiError> {
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let stream = StreamName::parse(&format!("access-{day}")).map_err(ApiError::internal)?;
    let event = NewEvent::new(
        Event::Access(AccessEvent::CustomerViewed {
            customer,
            by: p.name.clone(),
            role: p.role.to_string(),
            via: via.to_owned(),
        }),
        now(),
    );
    s.log
        .append(&stream, ExpectedVersion::Any, vec![event])
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

#[derive(Serialize)]
struct CustomerView {
    customer: String,
    name: String,
    phones: Vec<String>,
    email: Option<String>,
    tags: Vec<String>,
    external_id: Option<String>,
    interactions: Vec<InteractionView>,
}

#[derive(Serialize)]
struct InteractionView {
    call: String,
    started_at: hotline_events::Timestamp,
    from: String,
    queue: Option<String>,
    outcome: Option<String>,
    duration_s: Option<f64>,
    disposition: Option<String>,
}

fn view_of(models: &hotline_projections::ReadModels, id: CustomerId) -> Option<CustomerView> {
    let c = models.customers.get(id)?;
    let interactions = models
        .interactions
        .of(c, &models.calls)
        .into_iter()
        .map(|i| InteractionView {
            call: i.call.to_string(),
            started_at: i.started_at,
            from: i.from,
            queue: i.queue.map(|q| q.as_str().to_owned()),
            outcome: i
                .outcome
                .and_then(|o| serde_json::to_value(o).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            duration_s: i.duration_ms.map(|ms| ms as f64 / 1000.0),
            disposition: i.disposition,
        })
        .collect();
    Some(CustomerView {
        customer: c.id.to_string(),
        name: c.name.clone(),
        phones: c.phones.clone(),
        email: c.email.clone(),
        tags: c.tags.clone(),
        external_id: c.external_id.clone(),
        interactions,
    })
}

/// A query string decodes `+` as a space, so `?phone=+15555550123` typed as is (as the
/// documentation writes it) arrives as ` 15555550123`: a leading space before a digit is
/// that `+`. Written encoded (`%2B`) it is a `+` already.
fn plus_from_query(phone: &str) -> String {
    match phone.strip_prefix(' ') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("+{rest}"),
        _ => phone.to_owned(),
    }
}

async fn customer_search(
    s: &State,
    who: Option<Principal>,
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<CustomerView>, ApiError> {
    let p = allow(
        who,
        &[Admin, Supervisor, AgentRole],
        "read customer records",
    )?;
    let phone = q
        .get("phone")
        .ok_or_else(|| ApiError::bad_field("phone", "search by ?phone=+E164"))?;
    let phone = plus_from_query(phone);
    let phone = normalize_phone(&phone).map_err(|e| ApiError::bad_field("phone", e.to_string()))?;
    let found = s.views.read().customers.by_phone(&phone).map(|c| c.id);
    let Some(id) = found else {
        return Err(ApiError::not_found(format!(
            "no customer with phone {phone}"
        )));
    };
    log_access(s, &p, id, "GET /api/customers?phone").await?;
    Ok(view_of(&s.views.read(), id))
}

async fn customer_view(
    s: &State,
    who: Option<Principal>,
    id: &str,
) -> Result<CustomerView, ApiError> {
    let p = allow(
        who,
        &[Admin, Supervisor, AgentRole],
        "read customer records",
    )?;
    let id: CustomerId = id
        .parse()
        .map_err(|_| ApiError::bad_field("customer", format!("{id:?} is not a customer id")))?;
    if s.views.read().customers.get(id).is_none() {
        return Err(ApiError::not_found(format!("no customer {id}")));
    }
    log_access(s, &p, id, "GET /api/customers/{id}").await?;
    view_of(&s.views.read(), id).ok_or_else(|| ApiError::not_found(format!("no customer {id}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRequest {
    sql: String,
}

/// `POST /api/sql`: `{"sql": "..."}` → `{"columns": [...], "rows": [{...}]}`.
async fn sql(s: &State, who: Option<Principal>, body: &[u8]) -> Response {
    let result = async {
        allow(who, SQL_ROLES, "run SQL")?;
        let req: SqlRequest = parse_body(body)?;
        let answer = s.analytics.query(&req.sql).await.map_err(|e| match e {
            hotline_projections::sql::SqlError::Refused(r) => {
                ApiError::new(StatusCode::FORBIDDEN, r.to_string())
            }
            other => ApiError::bad_field("sql", other.to_string()),
        })?;
        let mut buf = Vec::new();
        {
            let mut writer = datafusion::arrow::json::ArrayWriter::new(&mut buf);
            for b in &answer.batches {
                writer.write(b).map_err(ApiError::internal)?;
            }
            writer.finish().map_err(ApiError::internal)?;
        }
        let rows: serde_json::Value = if buf.is_empty() {
            json!([])
        } else {
            serde_json::from_slice(&buf).map_err(ApiError::internal)?
        };
        let columns: Vec<&str> = answer
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        Ok::<_, ApiError>(json!({"columns": columns, "rows": rows}))
    }
    .await;
    answer(result)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    role: String,
    name: String,
    #[serde(default)]
    agent: Option<String>,
}

fn issue_token(
    s: &State,
    who: Option<Principal>,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    allow(who, &[Admin], "issue tokens")?;
    let req: TokenRequest = parse_body(body)?;
    let role: Role = req
        .role
        .parse()
        .map_err(|e: String| ApiError::bad_field("role", e))?;
    if req.name.trim().is_empty() {
        return Err(ApiError::bad_field("name", "a name says whose token it is"));
    }
    let agent = match (&req.agent, role) {
        (Some(a), AgentRole) => {
            let id = parse_agent(a)?;
            if s.roster.get(id).is_none() {
                return Err(ApiError::bad_field(
                    "agent",
                    format!("no agent {id} on this center's roster"),
                ));
            }
            Some(id)
        }
        (None, AgentRole) => {
            return Err(ApiError::bad_field(
                "agent",
                "an agent token names its agent",
            ));
        }
        (Some(_), _) => {
            return Err(ApiError::bad_field(
                "agent",
                "only agent tokens name an agent",
            ));
        }
        (None, _) => None,
    };
    let token = s
        .tokens
        .issue(Principal {
            name: req.name.trim().to_owned(),
            role,
            agent,
        })
        .map_err(ApiError::internal)?;
    Ok(json!({"token": token, "role": role}))
}

async fn metrics_text(s: &State) -> Response {
    let head = s.log.head().await.unwrap_or(0);
    let published = s.boards.borrow().clone();
    let text = metrics::render(&published.boards, head, &s.views, &s.appends);
    warp::reply::with_header(text, "content-type", "text/plain; version=0.0.4").into_response()
}

/// Server-sent events: the boards document whenever it changes, so at most every
/// [`feed::PERIOD`] (the publisher's pace), sent as soon as it is published; a slow
/// reader gets the latest, never a backlog (the stream is polled only when the connection
/// can take more, and then reads the newest boards).
fn feed_stream(s: &State) -> Response {
    let rx = s.boards.clone();
    let events = stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let published = rx.borrow_and_update().clone();
        let event = warp::sse::Event::default()
            .event("boards")
            .data(published.json.as_str());
        Some((Ok::<_, Infallible>(event), (rx, false)))
    });
    warp::sse::reply(warp::sse::keep_alive().stream(events)).into_response()
}
