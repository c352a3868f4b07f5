//! Agent administration and supervisors' hands on agents, over the API. Administrators
//! register, edit and remove agents (`POST /api/agents`, `PATCH` and `DELETE
//! /api/agents/{id}`); supervisors and administrators force an agent's state and change
//! its queues and skills (`PUT /api/agents/{id}/state|queues|skills`).
//!
//! Each request is checked whole here (the role, then every field against the center's
//! skills and queues) and then becomes one command to the agent's actor, whose events are
//! appended together or not at all: a bad request changes nothing. The events name the
//! token's holder (`by`), and the running router sees the change at once because the agent
//! reports itself after every durable change.

use hotline_actors::agent::{AgentCommand, Forced, Profile};
use hotline_actors::roster::Entry;
use hotline_events::{AgentId, QueueId, Skill, SkillName};
use hotline_infra::config::AgentConfig;
use hotline_media::AgentModel;
use serde::Deserialize;
use warp::http::StatusCode;

use super::State;
use super::api::{AgentInfo, allow, center_error, info_of, parse_agent};
use super::auth::{Principal, Role};
use super::reply::{ApiError, parse_body};

use Role::{Administrator as Admin, Supervisor};

/// A skill as a request gives it. The level is read as any integer so that a level out
/// of range is reported by field rather than as a JSON type error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillRequest {
    name: String,
    level: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgent {
    login: String,
    name: String,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    skills: Vec<SkillRequest>,
    #[serde(default)]
    queues: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentEdit {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    skills: Option<Vec<SkillRequest>>,
    #[serde(default)]
    queues: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForceState {
    /// `ready`, `not_ready` or `logged_out`.
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueuesRequest {
    queues: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkillsRequest {
    skills: Vec<SkillRequest>,
}

/// A login: 1 to 64 of lowercase letters, digits, `.`, `_` and `-`, starting with a
/// letter, so that it reads the same in a URL, a file and a log line.
fn check_login(login: &str) -> Result<(), ApiError> {
    let mut chars = login.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && login.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_field(
            "login",
            format!(
                "{login:?} is not a login: 1 to 64 lowercase letters, digits, `.`, `_` or `-`, \
                 starting with a letter"
            ),
        ))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_field(
            "name",
            "a name of 1 to 100 characters is needed",
        ));
    }
    Ok(name.to_owned())
}

/// The skills of a request, each one of the center's, with a level from 1 to 10, once.
pub fn skills_of(s: &State, req: &[SkillRequest]) -> Result<Vec<Skill>, ApiError> {
    let mut out: Vec<Skill> = Vec::new();
    for (i, k) in req.iter().enumerate() {
        let known = SkillName::new(&k.name)
            .ok()
            .filter(|n| s.config.skills.contains(n));
        let Some(name) = known else {
            let all: Vec<&str> = s.config.skills.iter().map(SkillName::as_str).collect();
            return Err(ApiError::bad_field(
                &format!("skills[{i}].name"),
                format!(
                    "no skill {:?} in this center; its skills are {}",
                    k.name,
                    all.join(", ")
                ),
            ));
        };
        let level = u8::try_from(k.level)
            .ok()
            .filter(|l| (1..=10).contains(l))
            .ok_or_else(|| {
                ApiError::bad_field(
                    &format!("skills[{i}].level"),
                    format!("level {} of {name}: levels go from 1 to 10", k.level),
                )
            })?;
        if out.iter().any(|o| o.name == name) {
            return Err(ApiError::bad_field(
                &format!("skills[{i}].name"),
                format!("skill {name} is listed twice"),
            ));
        }
        out.push(Skill { name, level });
    }
    Ok(out)
}

/// The queues of a request, each one of the center's, once.
pub fn queues_of(s: &State, req: &[String]) -> Result<Vec<QueueId>, ApiError> {
    let mut out: Vec<QueueId> = Vec::new();
    for (i, q) in req.iter().enumerate() {
        let Some(id) = QueueId::new(q)
            .ok()
            .filter(|id| s.config.queue(id).is_some())
        else {
            let all: Vec<&str> = s.config.queues.iter().map(|q| q.id.as_str()).collect();
            return Err(ApiError::bad_field(
                &format!("queues[{i}]"),
                format!(
                    "no queue {q:?} in this center; its queues are {}",
                    all.join(", ")
                ),
            ));
        };
        if out.contains(&id) {
            return Err(ApiError::bad_field(
                &format!("queues[{i}]"),
                format!("queue {id} is listed twice"),
            ));
        }
        out.push(id);
    }
    Ok(out)
}

/// The agent the path names, on the roster.
fn listed(s: &State, id: &str) -> Result<Entry, ApiError> {
    let agent = parse_agent(id)?;
    s.roster
        .get(agent)
        .ok_or_else(|| ApiError::not_found(format!("no agent {agent} on this center's roster")))
}

async fn run(s: &State, agent: AgentId, cmd: AgentCommand) -> Result<(), ApiError> {
    let center = s.center.read().await;
    let center = center
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping"))?;
    center.agent(agent, cmd).await.map_err(center_error)
}

fn after(s: &State, agent: AgentId) -> Result<AgentInfo, ApiError> {
    s.roster
        .get(agent)
        .map(|e| info_of(s, &e))
        .ok_or_else(|| ApiError::not_found(format!("agent {agent} is no longer on the roster")))
}

/// `POST /api/agents`: registers an agent; its id follows from its login, as for the
/// agents of the center's file.
pub async fn create(s: &State, who: Option<Principal>, body: &[u8]) -> Result<AgentInfo, ApiError> {
    let p = allow(who, &[Admin], "register agents")?;
    let req: NewAgent = parse_body(body)?;
    check_login(&req.login)?;
    let name = check_name(&req.name)?;
    let extension = match req.extension.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) if e.len() <= 16 => Some(e.to_owned()),
        Some(_) => {
            return Err(ApiError::bad_field(
                "extension",
                "an extension has at most 16 characters",
            ));
        }
    };
    let skills = skills_of(s, &req.skills)?;
    let queues = queues_of(s, &req.queues)?;
    if let Some(other) = s.roster.by_login(&req.login) {
        let mut e = ApiError::conflict(format!(
            "login {:?} is taken by agent {} ({})",
            req.login, other.id, other.profile.name
        ));
        e.field = Some("login".into());
        return Err(e);
    }
    let agent = AgentConfig::derived_id(&req.login);
    // The desk's phone rings until the person accepts, as for the file's agents.
    s.network.add_agent(agent, AgentModel::by_hand());
    let profile = Profile {
        login: req.login.clone(),
        name,
        extension,
        skills,
        queues,
    };
    {
        let center = s.center.read().await;
        let center = center.as_ref().ok_or_else(|| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping")
        })?;
        center
            .register_agent(agent, profile, p.name.clone())
            .await
            .map_err(|e| {
                // Refused by the agent's stream: the same login was registered meanwhile.
                let mut e = center_error(e);
                if e.status == StatusCode::CONFLICT {
                    e.field = Some("login".into());
                }
                e
            })?;
    }
    after(s, agent)
}

/// `PATCH /api/agents/{id}`: name, skills and queues, each optional.
pub async fn edit(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<AgentInfo, ApiError> {
    let p = allow(who, &[Admin], "edit agents")?;
    let entry = listed(s, id)?;
    let req: AgentEdit = parse_body(body)?;
    if req.name.is_none() && req.skills.is_none() && req.queues.is_none() {
        return Err(ApiError::bad_field(
            "name",
            "nothing to change: give name, skills or queues",
        ));
    }
    let name = req.name.as_deref().map(check_name).transpose()?;
    let skills = req.skills.as_deref().map(|k| skills_of(s, k)).transpose()?;
    let queues = req.queues.as_deref().map(|q| queues_of(s, q)).transpose()?;
    let cmd = AgentCommand::Edit {
        name,
        skills,
        queues,
        by: p.name.clone(),
    };
    run(s, entry.id, cmd).await?;
    after(s, entry.id)
}

/// `DELETE /api/agents/{id}`: a logged-out agent leaves the roster.
pub async fn remove(
    s: &State,
    who: Option<Principal>,
    id: &str,
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, &[Admin], "remove agents")?;
    let entry = listed(s, id)?;
    run(s, entry.id, AgentCommand::Remove { by: p.name.clone() }).await?;
    Ok(serde_json::json!({"ok": true, "removed": entry.id.to_string()}))
}

/// `PUT /api/agents/{id}/state`: a supervisor makes the agent ready, not ready (with a
/// reason) or logs it out.
pub async fn force_state(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, &[Admin, Supervisor], "force agent states")?;
    let entry = listed(s, id)?;
    let req: ForceState = parse_body(body)?;
    let to = match (req.state.as_str(), req.reason) {
        ("ready", None) => Forced::Ready,
        ("logged_out", None) => Forced::LogOut,
        ("not_ready", Some(reason)) if !reason.trim().is_empty() && reason.trim().len() <= 64 => {
            Forced::NotReady {
                reason: reason.trim().to_owned(),
            }
        }
        ("not_ready", _) => {
            return Err(ApiError::bad_field(
                "reason",
                "not_ready needs a reason code of 1 to 64 characters (lunch, meeting...)",
            ));
        }
        ("ready" | "logged_out", Some(_)) => {
            return Err(ApiError::bad_field(
                "reason",
                "only not_ready takes a reason",
            ));
        }
        (other, _) => {
            return Err(ApiError::bad_field(
                "state",
                format!("{other:?} is not a state to force: ready, not_ready or logged_out"),
            ));
        }
    };
    run(
        s,
        entry.id,
        AgentCommand::Force {
            to,
            by: p.name.clone(),
        },
    )
    .await?;
    Ok(serde_json::json!({"ok": true}))
}

/// `PUT /api/agents/{id}/queues`: moves the agent to these queues (now and at later
/// logins).
pub async fn move_queues(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<AgentInfo, ApiError> {
    let p = allow(who, &[Admin, Supervisor], "move agents between queues")?;
    let entry = listed(s, id)?;
    let req: QueuesRequest = parse_body(body)?;
    let queues = queues_of(s, &req.queues)?;
    let cmd = AgentCommand::Edit {
        name: None,
        skills: None,
        queues: Some(queues),
        by: p.name.clone(),
    };
    run(s, entry.id, cmd).await?;
    after(s, entry.id)
}

/// `PUT /api/agents/{id}/skills`: the agent's skills and levels from now on.
pub async fn change_skills(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<AgentInfo, ApiError> {
    let p = allow(who, &[Admin, Supervisor], "change agents' skills")?;
    let entry = listed(s, id)?;
    let req: SkillsRequest = parse_body(body)?;
    let skills = skills_of(s, &req.skills)?;
    let cmd = AgentCommand::Edit {
        name: None,
        skills: Some(skills),
        queues: None,
        by: p.name.clone(),
    };
    run(s, entry.id, cmd).await?;
    after(s, entry.id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_login_is_a_lowercase_word() {
        assert!(check_login("grace.hopper-2").is_ok());
        for bad in ["", "Grace", "2grace", "grace hopper", &"g".repeat(65)] {
            let e = check_login(bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("login"), "{bad:?}");
        }
    }
}
