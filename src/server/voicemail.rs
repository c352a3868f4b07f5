//! Voicemail over the API: the boxes a caller may read (`GET /api/voicemail`), a box's
//! messages (`GET /api/voicemail/{box}`), one message's audio decrypted as WAV
//! (`GET /api/voicemail/{box}/{call}`) and marking it handled
//! (`POST /api/voicemail/{box}/{call}/handled`).
//!
//! Who may read a box: supervisors and administrators read every box; an agent reads its
//! own box only (`agent:<its login>`), never a queue's (other people's messages, the
//! supervisor's to share out). Auditors and analysts are refused: they work on the record
//! and the figures, the `voicemails` table gives them the facts without the voices. Every
//! play is written to the log (`voicemail_played` on `access-YYYY-MM-DD`) before a byte of
//! audio is sent.

use std::collections::HashMap;
use std::convert::Infallible;

use hotline_actors::voicemail::{self, VoicemailError, message::MessageRejection};
use hotline_events::{AccessEvent, CallId, Event, NewEvent, StreamName};
use hotline_infra::config::{BoxOwner, VoicemailBox};
use hotline_infra::{ExpectedVersion, LogError, VaultError};
use hotline_projections::{VoicemailRow, VoicemailStatus};
use serde::Serialize;
use serde_json::json;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use super::api::allow;
use super::auth::{Principal, Role};
use super::reply::{ApiError, answer};
use super::{State, now};

use Role::{Administrator as Admin, Agent as AgentRole, Supervisor};

/// Roles that reach voicemail at all; an agent then only its own box.
pub const VOICEMAIL_ROLES: &[Role] = &[Admin, Supervisor, AgentRole];

/// The voicemail routes; `who` is the caller filter of [`super::api`].
pub fn routes<W>(state: State, who: W) -> BoxedFilter<(Response,)>
where
    W: Filter<Extract = (Option<Principal>,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let s = move || {
        let state = state.clone();
        warp::any().map(move || state.clone())
    };
    let boxes = warp::path!("api" / "voicemail")
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .map(|s: State, who| answer(boxes(&s, who)))
        .boxed();
    let list = warp::path!("api" / "voicemail" / String)
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and(warp::query::<HashMap<String, String>>())
        .map(|name: String, s: State, who, q: HashMap<String, String>| {
            answer(list(&s, who, &name, &q))
        })
        .boxed();
    let play = warp::path!("api" / "voicemail" / String / String)
        .and(warp::get())
        .and(s())
        .and(who.clone())
        .and_then(|name: String, id: String, s: State, who| async move {
            Ok::<_, Infallible>(match play(&s, who, &name, &id).await {
                Ok(response) => response,
                Err(e) => e.into_response(),
            })
        })
        .boxed();
    let handled = warp::path!("api" / "voicemail" / String / String / "handled")
        .and(warp::post())
        .and(s())
        .and(who)
        .and_then(|name: String, id: String, s: State, who| async move {
            Ok::<_, Infallible>(answer(handled(&s, who, &name, &id).await))
        })
        .boxed();
    boxes
        .or(list)
        .unify()
        .or(play)
        .unify()
        .or(handled)
        .unify()
        .boxed()
}

/// Whether `p` may read `mailbox`.
fn may_read(p: &Principal, mailbox: &VoicemailBox) -> bool {
    match (&p.role, &mailbox.owner) {
        (Admin | Supervisor, _) => true,
        (AgentRole, BoxOwner::Agent { id, .. }) => p.agent == Some(*id),
        _ => false,
    }
}

/// The box `name`, once the role is checked: a box the caller may not read is refused
/// whether or not it exists (an agent learns nothing about other boxes).
fn open_box<'a>(s: &'a State, p: &Principal, name: &str) -> Result<&'a VoicemailBox, ApiError> {
    let mailbox = s.config.voicemail.by_name(name);
    match mailbox {
        Some(b) if may_read(p, b) => Ok(b),
        Some(_) => Err(ApiError::forbidden("read another box's voicemail")),
        None if p.role == AgentRole => Err(ApiError::forbidden("read another box's voicemail")),
        None => Err(ApiError::not_found(format!(
            "no voicemail box `{name}`; boxes are named queue:<queue id> or agent:<login>, as [[voicemail.boxes]] in the center's file defines them"
        ))),
    }
}

#[derive(Serialize)]
struct BoxView {
    #[serde(rename = "box")]
    name: String,
    greeting: String,
    max_length_secs: u64,
    messages: usize,
    new: usize,
}

/// `GET /api/voicemail`: the boxes the caller may read, with their counts.
fn boxes(s: &State, who: Option<Principal>) -> Result<Vec<BoxView>, ApiError> {
    let p = allow(who, VOICEMAIL_ROLES, "read voicemail")?;
    let models = s.views.read();
    Ok(s.config
        .voicemail
        .boxes
        .iter()
        .filter(|b| may_read(&p, b))
        .map(|b| {
            let rows: Vec<&VoicemailRow> = models.voicemails.of_box(&b.name).collect();
            BoxView {
                name: b.name.clone(),
                greeting: b.greeting.clone(),
                max_length_secs: b.max_length.as_secs(),
                messages: rows.len(),
                new: rows
                    .iter()
                    .filter(|r| r.status == VoicemailStatus::New)
                    .count(),
            }
        })
        .collect())
}

/// `GET /api/voicemail/{box}[?status=new|handled|lost|purged]`, newest first.
fn list(
    s: &State,
    who: Option<Principal>,
    name: &str,
    q: &HashMap<String, String>,
) -> Result<Vec<VoicemailRow>, ApiError> {
    let p = allow(who, VOICEMAIL_ROLES, "read voicemail")?;
    for key in q.keys() {
        if !matches!(key.as_str(), "status" | "token") {
            return Err(ApiError::bad_field(
                key,
                "unknown filter; filter by status (new, handled, lost, purged)",
            ));
        }
    }
    let status = match q.get("status").map(String::as_str) {
        None => None,
        Some("new") => Some(VoicemailStatus::New),
        Some("handled") => Some(VoicemailStatus::Handled),
        Some("lost") => Some(VoicemailStatus::Lost),
        Some("purged") => Some(VoicemailStatus::Purged),
        Some(other) => {
            return Err(ApiError::bad_field(
                "status",
                format!("{other:?} is not a status; write new, handled, lost or purged"),
            ));
        }
    };
    let mailbox = open_box(s, &p, name)?;
    let models = s.views.read();
    Ok(models
        .voicemails
        .of_box(&mailbox.name)
        .filter(|r| status.is_none_or(|want| r.status == want))
        .cloned()
        .collect())
}

fn parse_call(id: &str) -> Result<CallId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad_field("call", format!("{id:?} is not a call id")))
}

/// The message `id` of the box `name`, for `p`.
fn message(s: &State, p: &Principal, name: &str, id: &str) -> Result<VoicemailRow, ApiError> {
    let mailbox = open_box(s, p, name)?;
    let call = parse_call(id)?;
    s.views
        .read()
        .voicemails
        .get(call)
        .filter(|r| r.mailbox == mailbox.name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("box {name} has no message from call {call}")))
}

/// `GET /api/voicemail/{box}/{call}`: the decrypted WAV file.
async fn play(
    s: &State,
    who: Option<Principal>,
    name: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let p = allow(who, VOICEMAIL_ROLES, "read voicemail")?;
    let row = message(s, &p, name, id)?;
    let key = match (row.status, &row.storage_key) {
        (VoicemailStatus::Purged, _) => {
            return Err(ApiError::new(
                StatusCode::GONE,
                format!(
                    "the message of call {} was purged at the end of its retention period",
                    row.call
                ),
            ));
        }
        (VoicemailStatus::Lost, _) | (_, None) => {
            return Err(ApiError::not_found(format!(
                "the message of call {} was lost; nothing was stored",
                row.call
            )));
        }
        (_, Some(key)) => key.clone(),
    };
    let vault = s.vault.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no recording key (HOTLINE_RECORDING_KEY), so messages cannot be read",
        )
    })?;
    // The play is in the history before the audio leaves.
    log_play(s, &p, row.call, &row.mailbox).await?;
    let wav = tokio::task::spawn_blocking(move || vault.get(&key))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            VaultError::NotFound(_) => ApiError::new(StatusCode::GONE, e.to_string()),
            other => ApiError::internal(other),
        })?;
    let mut response = warp::reply::with_header(wav, "content-type", "audio/wav").into_response();
    if let Ok(value) = format!("attachment; filename=\"voicemail-{}.wav\"", row.call).parse() {
        response.headers_mut().insert("content-disposition", value);
    }
    Ok(response)
}

async fn log_play(s: &State, p: &Principal, call: CallId, mailbox: &str) -> Result<(), ApiError> {
    let day = chrono::Utc::now().format("%Y-%m-%d");
    let stream = StreamName::parse(&format!("access-{day}")).map_err(ApiError::internal)?;
    let event = NewEvent::new(
        Event::Access(AccessEvent::VoicemailPlayed {
            call,
            mailbox: mailbox.to_owned(),
            by: p.name.clone(),
            role: p.role.to_string(),
            via: "GET /api/voicemail/{box}/{call}".to_owned(),
        }),
        now(),
    );
    s.log
        .append(&stream, ExpectedVersion::Any, vec![event])
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

/// `POST /api/voicemail/{box}/{call}/handled`: the caller dealt with the message.
async fn handled(
    s: &State,
    who: Option<Principal>,
    name: &str,
    id: &str,
) -> Result<serde_json::Value, ApiError> {
    let p = allow(who, VOICEMAIL_ROLES, "handle voicemail")?;
    let row = message(s, &p, name, id)?;
    match voicemail::handle(s.log.as_ref(), row.call, &p.name, now()).await {
        Ok(()) => Ok(json!({"ok": true, "call": row.call.to_string(), "handled_by": p.name})),
        Err(VoicemailError::Rejected(MessageRejection::AlreadyHandled { by })) => Err(
            ApiError::conflict(format!("the message was already handled by {by}")),
        ),
        Err(VoicemailError::Rejected(e)) => Err(ApiError::conflict(e.to_string())),
        Err(VoicemailError::Log(LogError::Conflict { .. })) => Err(ApiError::conflict(
            "the message changed at the same moment (handled or purged by someone else); read it again",
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}
