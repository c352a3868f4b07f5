//! Voicemail: a caller sent to a box leaves a message, which is sealed in the recordings
//! [`Vault`] and announced by `left` on the stream `voicemail-<call id>`.
//!
//! When the call actor's `sent_to_voicemail` is durable it plays the box's greeting, turns
//! recording on (on the simulated network the caller then speaks their message) and calls
//! [`take_message`], which runs one task per message: it listens to the call's audio until
//! the call ends (the caller hangs up, or the call actor ends the call at the box's
//! maximum length), writes the WAV file (the recordings' code: the caller on the left
//! channel), seals it and appends `left`. The task is the stream's writer while the call
//! lasts; afterwards [`handle`] (the API's "mark handled") and [`purge::purge`] append with
//! the expected version, so two at once cannot both succeed.
//!
//! Like a recording, a message in progress when the process stops is lost: its audio was
//! only in memory, never on disk unencrypted.

pub mod message;
pub mod purge;

use hotline_events::{CallId, Event, QueueId, StreamName, Timestamp, VoicemailEvent};
use hotline_infra::config::VoicemailBox;
use hotline_infra::{EventLog, LogError};
use hotline_media::wav::StereoRecording;

use crate::center::Services;
use crate::decider::Decider;
use crate::store;
use message::{Message, MessageCommand, MessageRejection, MessageState};

/// The stream of the message `call` left.
pub fn stream_of(call: CallId) -> StreamName {
    StreamName::parse(&format!("voicemail-{call}"))
        .expect("`voicemail-` and a call id make a valid stream name")
}

/// Where the message `call` left at `at` is stored: `voicemail/YYYY/MM/DD/<call>.wav.enc`,
/// beside the recordings and apart from them (their purge never touches it).
pub fn storage_key(call: CallId, at: Timestamp) -> String {
    format!("voicemail/{}", crate::recorder::storage_key(call, at))
}

/// Why a voicemail command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum VoicemailError {
    #[error("{0}")]
    Rejected(#[from] MessageRejection),
    #[error("writing the message's event: {0}")]
    Log(#[from] LogError),
}

/// The caller of `call` (from `caller`, for `queue`) reached `mailbox`: keep their message.
/// Without a vault (the center has no recordings key) the message is `lost`, with why.
pub fn take_message(
    services: &Services,
    call: CallId,
    mailbox: &VoicemailBox,
    caller: String,
    queue: QueueId,
) {
    let services = services.clone();
    let mailbox = mailbox.name.clone();
    tokio::spawn(async move {
        if let Err(error) = record(&services, call, mailbox, caller, queue).await {
            tracing::warn!(%call, %error, "the call's voicemail message was not kept");
        }
    });
}

async fn record(
    services: &Services,
    call: CallId,
    mailbox: String,
    caller: String,
    queue: QueueId,
) -> Result<(), VoicemailError> {
    let log = services.log.as_ref();
    let stream = stream_of(call);
    let state = load(log, call).await?;
    if state.phase != message::MessagePhase::None {
        // A restarted call actor sent the call to voicemail again: one message per call.
        return Ok(());
    }
    let lose = |reason: String| MessageCommand::Lose {
        mailbox: mailbox.clone(),
        call,
        caller: caller.clone(),
        reason,
    };
    let Some(vault) = services.recorder.vault().cloned() else {
        let command = lose("the center has no recordings key to seal messages with".into());
        return apply(log, &stream, &state, &command, services.clock.now()).await;
    };
    let mut audio = match services.telephony.audio(call) {
        Ok(audio) => audio,
        Err(error) => {
            let command = lose(error.to_string());
            return apply(log, &stream, &state, &command, services.clock.now()).await;
        }
    };
    let started = services.clock.now();
    let mut wav = StereoRecording::new();
    while let Some(frame) = audio.recv().await {
        wav.push(&frame);
    }
    let duration_ms = u64::try_from(wav.duration().as_millis()).unwrap_or(u64::MAX);
    let key = storage_key(call, started);
    let sealed_key = key.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let bytes = wav.finish().map_err(|e| e.to_string())?;
        vault.put(&sealed_key, &bytes).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let command = match stored {
        Ok(bytes) => MessageCommand::Leave {
            mailbox: mailbox.clone(),
            call,
            caller: caller.clone(),
            queue,
            duration_ms,
            storage_key: key,
            bytes,
        },
        Err(reason) => lose(reason),
    };
    apply(log, &stream, &state, &command, services.clock.now()).await
}

/// The message `call` left, folded from its stream.
pub async fn load(log: &dyn EventLog, call: CallId) -> Result<MessageState, LogError> {
    store::load::<Message>(log, &stream_of(call), typed).await
}

/// Marks the message `call` left as handled by `by`.
pub async fn handle(
    log: &dyn EventLog,
    call: CallId,
    by: &str,
    now: Timestamp,
) -> Result<(), VoicemailError> {
    let state = load(log, call).await?;
    let command = MessageCommand::Handle { by: by.to_owned() };
    apply(log, &stream_of(call), &state, &command, now).await
}

/// Decide and append with the expected version.
async fn apply(
    log: &dyn EventLog,
    stream: &StreamName,
    state: &MessageState,
    command: &MessageCommand,
    now: Timestamp,
) -> Result<(), VoicemailError> {
    let events = Message::decide(state, command, now)?;
    store::append(log, stream, state.version, &events, now).await?;
    Ok(())
}

/// The voicemail events of a stream's records.
pub(crate) fn typed(event: Event) -> Option<VoicemailEvent> {
    match event {
        Event::Voicemail(e) => Some(e),
        _ => None,
    }
}
