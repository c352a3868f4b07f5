//! Call recordings over the API: the index (`GET /api/recordings`), one recording's audio
//! decrypted as WAV (`GET /api/recordings/{call}`), and pausing or resuming a call's
//! recording around card-number entry (`POST /api/calls/{call}/recording`).
//!
//! Who may listen: supervisors (quality reviews), auditors (disputes, compliance) and
//! administrators (they issue every role's tokens, so refusing them would protect nothing).
//! Agents and analysts are refused: an agent's own calls hold other people's card numbers
//! and voices, and analysts work on figures, not conversations. Every fetch is written to
//! the log (`recording_fetched` on `access-YYYY-MM-DD`) before a byte of audio is sent.

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use hotline_actors::recorder::RecorderError;
use hotline_events::{AccessEvent, CallId, Event, NewEvent, StreamName};
use hotline_infra::{ExpectedVersion, VaultError};
use hotline_projections::{RecordingRow, RecordingStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::api::allow;
use super::auth::{Principal, Role};
use super::reply::{ApiError, answer, parse_body};
use super::{State, now};

use Role::{Administrator as Admin, Agent as AgentRole, Auditor, Supervisor};

/// Roles that list and fetch recordings.
pub const LISTEN_ROLES: &[Role] = &[Admin, Supervisor, Auditor];

/// The recordings routes; `who` is the caller filter of [`super::api`].
pub fn routes<W>(state: State, who: W) -> BoxedFilter<(Response,)>
where
    W: Filter<Extract = (Option<Principal>,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let s = move || {
        let state = state.clone();
        warp::any().map(move || state.clone())
    };
    let list = warp::path!("api" / "recordings")
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and(warp::query::<HashMap<String, String>>())
        .map(|s: State, who, q: HashMap<String, String>| answer(list(&s, who, &q)))
        .boxed();
    let fetch = warp::path!("api" / "recordings" / String)
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and_then(|id: String, s: State, who| async move {
            Ok::<_, Infallible>(match fetch(&s, who, &id).await {
                Ok(response) => response,
                Err(e) => e.into_response(),
            })
        })
        .boxed();
    let control = warp::path!("api" / "calls" / String / "recording")
        .and(warp::post())
        .and(s())
        .and(who)
        .and(warp::body::content_length_limit(1 << 16).and(warp::body::bytes()))
        .and_then(|id: String, s: State, who, body: Bytes| async move {
            Ok::<_, Infallible>(answer(control(&s, who, &id, &body).await))
        })
        .boxed();
    list.or(fetch).unify().or(control).unify().boxed()
}

/// One row of the index, as the API shows it.
#[derive(Serialize)]
struct RecordingView {
    call: String,
    agent: Option<String>,
    queue: Option<String>,
    started_at: hotline_events::Timestamp,
    stopped_at: Option<hotline_events::Timestamp>,
    duration_ms: Option<u64>,
    paused_ms: u64,
    channels: u16,
    consent_prompt: bool,
    outcome: Option<String>,
    status: RecordingStatus,
    purged: bool,
    purged_at: Option<hotline_events::Timestamp>,
    storage_key: String,
}

fn view(r: &RecordingRow) -> RecordingView {
    RecordingView {
        call: r.call.to_string(),
        agent: r.agent.map(|a| a.to_string()),
        queue: r.queue.as_ref().map(|q| q.as_str().to_owned()),
        started_at: r.started_at,
        stopped_at: r.stopped_at,
        duration_ms: r.duration_ms,
        paused_ms: r.paused_ms,
        channels: r.channels,
        consent_prompt: r.consent_prompt,
        outcome: r
            .outcome
            .and_then(|o| serde_json::to_value(o).ok())
            .and_then(|v| v.as_str().map(str::to_owned)),
        status: r.status,
        purged: r.purged(),
        purged_at: r.purged_at,
        storage_key: r.storage_key.clone(),
    }
}

/// `GET /api/recordings[?queue=..&agent=..&call=..]`, newest first.
fn list(
    s: &State,
    who: Option<Principal>,
    q: &HashMap<String, String>,
) -> Result<Vec<RecordingView>, ApiError> {
    allow(who, LISTEN_ROLES, "list recordings")?;
    for key in q.keys() {
        if !matches!(key.as_str(), "queue" | "agent" | "call" | "token") {
            return Err(ApiError::bad_field(
                key,
                "unknown filter; filter by queue, agent or call",
            ));
        }
    }
    let models = s.views.read();
    let keep = |r: &&RecordingRow| {
        q.get("queue")
            .is_none_or(|want| r.queue.as_ref().is_some_and(|x| x.as_str() == want))
            && q.get("agent")
                .is_none_or(|want| r.agent.is_some_and(|a| &a.to_string() == want))
            && q.get("call").is_none_or(|want| &r.call.to_string() == want)
    };
    Ok(models
        .recordings
        .rows()
        .iter()
        .rev()
        .filter(keep)
        .map(view)
        .collect())
}

fn parse_call(id: &str) -> Result<CallId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_field("call", format!("{id:?} is not a call id")))
}

/// `GET /api/recordings/{call}`: the decrypted WAV file.
async fn fetch(s: &State, who: Option<Principal>, id: &str) -> Result<Response, ApiError> {
    let p = allow(who, LISTEN_ROLES, "fetch recordings")?;
    let call = parse_call(id)?;
    let row = s
        .views
        .read()
        .recordings
        .get(call)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("call {call} has no recording")))?;
    match row.status {
        RecordingStatus::Purged => {
            return Err(ApiError::new(
                StatusCode::GONE,
                format!(
                    "the recording of call {call} was purged at the end of its retention period"
                ),
            ));
        }
        RecordingStatus::Recording | RecordingStatus::Paused => {
            return Err(ApiError::conflict(format!(
                "call {call} is still being recorded; fetch it once the call has ended"
            )));
        }
        RecordingStatus::Failed => {
            return Err(ApiError::not_found(format!(
                "the recording of call {call} failed; nothing was stored"
            )));
        }
        RecordingStatus::Stored => {}
    }
    let vault = s.vault.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no recording key (HOTLINE_RECORDING_KEY), so recordings cannot be read",
        )
    })?;
    // The read is in the history before the audio leaves.
    log_fetch(s, &p, call).await?;
    let key = row.storage_key.clone();
    let wav = tokio::task::spawn_blocking(move || vault.get(&key))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            VaultError::NotFound(_) => ApiError::new(StatusCode::GONE, e.to_string()),
            other => ApiError::internal(other),
        })?;
    let mut response = warp::reply::with_header(wav, "content-type", "audio/wav").into_response();
    if let Ok(value) = format!("attachment; filename=\"{call}.wav\"").parse() {
        response.headers_mut().insert("content-disposition", value);
    }
    Ok(response)
}

async fn log_fetch(s: &State, p: &Principal, call: CallId) -> Result<(), ApiError> {
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let stream = StreamName::parse(&format!("access-{day}")).map_err(ApiError::internal)?;
    let event = NewEvent::new(
        Event::Access(AccessEvent::RecordingFetched {
            call,
            by: p.name.clone(),
            role: p.role.to_string(),
            via: "GET /api/recordings/{call}".to_owned(),
        }),
        now(),
    );
    s.log
        .append(&stream, ExpectedVersion::Any, vec![event])
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Control {
    action: ControlAction,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ControlAction {
    Pause,
    Resume,
}

/// `POST /api/calls/{call}/recording` `{"action": "pause", "reason": "card_entry"}` or
/// `{"action": "resume"}`: the agent on the call, a supervisor or an administrator.
async fn control(
    s: &State,
    who: Option<Principal>,
    id: &str,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    let p = allow(
        who,
        &[Admin, Supervisor, AgentRole],
        "pause or resume recordings",
    )?;
    let call = parse_call(id)?;
    let control: Control = parse_body(body)?;
    if p.role == AgentRole {
        let on_call = s
            .views
            .read()
            .calls
            .get(call)
            .is_some_and(|r| p.agent.is_some_and(|a| r.agents.contains(&a)));
        if !on_call {
            return Err(ApiError::forbidden(
                "control the recording of another agent's call",
            ));
        }
    }
    let center = s.center.read().await;
    let center = center
        .as_ref()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the center is stopping"))?;
    let recorder = &center.services().recorder;
    let result = match control.action {
        ControlAction::Pause => {
            let reason = control.reason.unwrap_or_else(|| "card_entry".to_owned());
            if reason.trim().is_empty() || reason.len() > 100 {
                return Err(ApiError::bad_field(
                    "reason",
                    "give a short reason, such as card_entry",
                ));
            }
            recorder.pause(call, &p.name, &reason).await
        }
        ControlAction::Resume => recorder.resume(call, &p.name).await,
    };
    match result {
        Ok(()) => Ok(json!({"ok": true})),
        Err(
            e @ (RecorderError::NotRecording(_) | RecorderError::Rejected(_) | RecorderError::Gone),
        ) => Err(ApiError::conflict(e.to_string())),
        Err(e) => Err(ApiError::internal(e)),
    }
}
