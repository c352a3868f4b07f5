//! The call recorder: when an agent answers, the center's policy decides whether the call
//! is recorded; if so, a task per call writes `started` to the stream `recording-<call id>`,
//! listens to the call's audio on the telephony port, keeps both parties in two channels
//! (not while paused), and when the call ends seals the WAV file in the [`Vault`] and
//! writes `stopped` with its duration. [`Recorder::pause`] and [`Recorder::resume`] are the
//! commands a desk or a supervisor gives around card-number entry.
//!
//! The task is the recording stream's one writer while the call lasts; afterwards only the
//! purge ([`purge`]) appends to it, with the expected version. The decisions are the pure
//! core's ([`lifecycle`]); the task appends them, then acts.
//!
//! A recording in progress when the process stops is lost: the audio was only in memory,
//! never on disk unencrypted. The next start marks it `failed` ([`recover`]), as the task
//! does itself when it fails or panics, so no recording stays `recording` for ever.

pub mod lifecycle;
pub mod policy;
pub mod purge;
pub mod recover;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hotline_events::{AgentId, CallId, Event, QueueId, RecordingEvent, StreamName, Timestamp};
use hotline_infra::{EventLog, LogError, Vault};
use hotline_media::wav::StereoRecording;
use tokio::sync::{mpsc, oneshot};

use crate::center::Services;
use crate::store;
use lifecycle::{Recording, RecordingCommand, RecordingPhase, RecordingRejection, RecordingState};

/// The prompt a caller hears first when the policy asks for consent.
pub const CONSENT_PROMPT: &str = "recording-consent";

/// The stream of `call`'s recording.
pub fn stream_of(call: CallId) -> StreamName {
    StreamName::parse(&format!("recording-{call}"))
        .expect("`recording-` and a call id make a valid stream name")
}

/// Why a recording command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error("{0}")]
    Rejected(#[from] RecordingRejection),
    #[error("call {0} is not being recorded")]
    NotRecording(CallId),
    #[error("writing the recording's event: {0}")]
    Log(#[from] LogError),
    #[error("the recording's task has ended")]
    Gone,
    #[error("the recording's task crashed: {0}")]
    Crashed(String),
}

/// Records calls into a vault; the default records nothing.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    vault: Vault,
    /// The recordings in progress, by call: where their task takes commands.
    live: Mutex<HashMap<CallId, mpsc::UnboundedSender<Control>>>,
}

#[derive(Debug)]
enum Control {
    Pause {
        by: String,
        reason: String,
        reply: oneshot::Sender<Result<(), RecorderError>>,
    },
    Resume {
        by: String,
        reply: oneshot::Sender<Result<(), RecorderError>>,
    },
}

impl Recorder {
    /// A recorder that stores into `vault`.
    pub fn new(vault: Vault) -> Recorder {
        Recorder {
            inner: Some(Arc::new(Inner {
                vault,
                live: Mutex::new(HashMap::new()),
            })),
        }
    }

    pub fn vault(&self) -> Option<&Vault> {
        self.inner.as_ref().map(|i| &i.vault)
    }

    /// An agent answered `call` from `queue` (for `campaign`, by name, when it is an
    /// outbound campaign's call: its rule wins): record it if the policy says so (once per
    /// call: a transfer's second answer goes on in the same recording).
    pub fn call_answered(
        &self,
        services: &Services,
        call: CallId,
        queue: Option<QueueId>,
        campaign: Option<&str>,
        agent: AgentId,
    ) {
        let rule = services.config.recording.rule(queue.as_ref(), campaign);
        if !policy::chooses(rule.record, call) {
            return;
        }
        let Some(inner) = &self.inner else {
            tracing::warn!(%call, "the policy records this call, but the center has no recording vault");
            return;
        };
        let (sender, controls) = mpsc::unbounded_channel();
        {
            let mut live = inner.live.lock().unwrap_or_else(PoisonError::into_inner);
            if live.contains_key(&call) {
                return;
            }
            live.insert(call, sender);
        }
        let start = RecordingCommand::Start {
            call,
            queue,
            agent: Some(agent),
            storage_key: String::new(),
            policy: rule.record.name(),
            consent_prompt: rule.consent_prompt,
        };
        tokio::spawn(record(
            inner.clone(),
            services.clone(),
            call,
            start,
            controls,
        ));
    }

    /// Pause `call`'s recording (card-number entry): nothing is written until resumed.
    pub async fn pause(&self, call: CallId, by: &str, reason: &str) -> Result<(), RecorderError> {
        let (reply, answer) = oneshot::channel();
        self.send(
            call,
            Control::Pause {
                by: by.to_owned(),
                reason: reason.to_owned(),
                reply,
            },
        )?;
        answer.await.map_err(|_| RecorderError::Gone)?
    }

    pub async fn resume(&self, call: CallId, by: &str) -> Result<(), RecorderError> {
        let (reply, answer) = oneshot::channel();
        self.send(
            call,
            Control::Resume {
                by: by.to_owned(),
                reply,
            },
        )?;
        answer.await.map_err(|_| RecorderError::Gone)?
    }

    /// Whether `call` is being recorded by this process now.
    pub fn is_recording(&self, call: CallId) -> bool {
        self.inner.as_ref().is_some_and(|i| {
            i.live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&call)
        })
    }

    fn send(&self, call: CallId, control: Control) -> Result<(), RecorderError> {
        let inner = self
            .inner
            .as_ref()
            .ok_or(RecorderError::NotRecording(call))?;
        let live = inner.live.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = live.get(&call).ok_or(RecorderError::NotRecording(call))?;
        sender
            .send(control)
            .map_err(|_| RecorderError::NotRecording(call))
    }
}

/// The storage key of a recording started at `at`: `YYYY/MM/DD/<call>.wav.enc`, so a day's
/// files sit together and a purge walks few directories.
pub fn storage_key(call: CallId, at: Timestamp) -> String {
    let day = at.to_string();
    let day = day.get(..10).unwrap_or("unknown").replace('-', "/");
    format!("{day}/{call}.wav.enc")
}

/// One recording's task: start, listen, seal, stop.
async fn record(
    inner: Arc<Inner>,
    services: Services,
    call: CallId,
    mut start: RecordingCommand,
    mut controls: mpsc::UnboundedReceiver<Control>,
) {
    let log = services.log.clone();
    // In a task of its own, so that a panic while recording is a failure to write down
    // (below) rather than a recording left running for ever.
    let task = {
        let (inner, services) = (inner.clone(), services.clone());
        tokio::spawn(async move { run(&inner, &services, call, &mut start, &mut controls).await })
    };
    let result = match task.await {
        Ok(result) => result,
        Err(e) => Err(RecorderError::Crashed(e.to_string())),
    };
    inner
        .live
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&call);
    if let Err(error) = result {
        tracing::warn!(%call, %error, "the call's recording failed");
        // Best effort: say so on the stream, if it is still open.
        if let Ok(mut rec) = Shell::load(log.as_ref(), call).await {
            let reason = error.to_string();
            let _ = rec
                .apply(log.as_ref(), &RecordingCommand::Fail { reason }, &services)
                .await;
        }
    }
}

async fn run(
    inner: &Inner,
    services: &Services,
    call: CallId,
    start: &mut RecordingCommand,
    controls: &mut mpsc::UnboundedReceiver<Control>,
) -> Result<(), RecorderError> {
    let log = services.log.as_ref();
    let mut rec = Shell::load(log, call).await?;
    if rec.state.phase != RecordingPhase::NotStarted {
        // Recorded before (a restarted call actor answered again): one recording per call.
        return Ok(());
    }
    let now = services.clock.now();
    let consent = if let RecordingCommand::Start {
        storage_key,
        consent_prompt,
        ..
    } = start
    {
        *storage_key = self::storage_key(call, now);
        *consent_prompt
    } else {
        false
    };
    rec.apply(log, start, services).await?;
    let tel = &services.telephony;
    if consent && let Err(error) = tel.play(call, CONSENT_PROMPT) {
        tracing::debug!(%call, %error, "telephony refused the consent prompt");
    }
    let mut audio = match tel.audio(call) {
        Ok(audio) => audio,
        Err(error) => {
            rec.apply(
                log,
                &RecordingCommand::Fail {
                    reason: error.to_string(),
                },
                services,
            )
            .await?;
            return Ok(());
        }
    };
    let mut wav = StereoRecording::new();
    let mut commands_open = true;
    loop {
        tokio::select! {
            biased;
            control = controls.recv(), if commands_open => {
                let Some(control) = control else {
                    commands_open = false;
                    continue;
                };
                let (command, reply) = match control {
                    Control::Pause { by, reason, reply } => (RecordingCommand::Pause { by, reason }, reply),
                    Control::Resume { by, reply } => (RecordingCommand::Resume { by }, reply),
                };
                let _ = reply.send(rec.apply(log, &command, services).await);
            }
            frame = audio.recv() => match frame {
                Some(frame) => {
                    if rec.state.phase == RecordingPhase::Running {
                        wav.push(&frame);
                    }
                }
                None => break,
            },
        }
    }
    // The call is over: commands from now on find no recording.
    controls.close();
    while let Ok(control) = controls.try_recv() {
        let reply = match control {
            Control::Pause { reply, .. } | Control::Resume { reply, .. } => reply,
        };
        let _ = reply.send(Err(RecorderError::NotRecording(call)));
    }
    let duration_ms = u64::try_from(wav.duration().as_millis()).unwrap_or(u64::MAX);
    let key = rec.state.storage_key.clone().unwrap_or_default();
    let vault = inner.vault.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let bytes = wav.finish().map_err(|e| e.to_string())?;
        vault.put(&key, &bytes).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let command = match stored {
        Ok(bytes) => RecordingCommand::Stop { duration_ms, bytes },
        Err(reason) => RecordingCommand::Fail { reason },
    };
    rec.apply(log, &command, services).await?;
    Ok(())
}

/// A recording's state and its appends.
struct Shell {
    stream: StreamName,
    state: RecordingState,
}

impl Shell {
    async fn load(log: &dyn EventLog, call: CallId) -> Result<Shell, LogError> {
        let stream = stream_of(call);
        let state = store::load::<Recording>(log, &stream, typed).await?;
        Ok(Shell { stream, state })
    }

    /// Decide, append, evolve.
    async fn apply(
        &mut self,
        log: &dyn EventLog,
        command: &RecordingCommand,
        services: &Services,
    ) -> Result<(), RecorderError> {
        let now = services.clock.now();
        store::decide_and_record::<Recording>(log, &self.stream, &mut self.state, command, now)
            .await??;
        Ok(())
    }
}

/// The recording events of a stream's records.
pub(crate) fn typed(event: Event) -> Option<RecordingEvent> {
    match event {
        Event::Recording(e) => Some(e),
        _ => None,
    }
}
