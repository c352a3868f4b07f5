//! The pure core of one call's recording (its lifecycle): where it stands (not started, running, paused,
//! stopped, purged) and what each command makes of it.

use hotline_events::{AgentId, CallId, QueueId, RecordingEvent, Timestamp};

use crate::decider::Decider;
use crate::store::Versioned;

/// Where a recording stands, with what later commands need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingState {
    pub version: u64,
    pub phase: RecordingPhase,
    pub storage_key: Option<String>,
    /// When it stopped: the retention period counts from here.
    pub stopped_at: Option<Timestamp>,
    /// When the current pause began, and the pauses before it.
    pub paused_since: Option<Timestamp>,
    pub paused_ms: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecordingPhase {
    #[default]
    NotStarted,
    Running,
    Paused,
    Stopped,
    Failed,
    Purged,
}

/// What may happen to a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingCommand {
    Start {
        call: CallId,
        queue: Option<QueueId>,
        agent: Option<AgentId>,
        storage_key: String,
        policy: String,
        consent_prompt: bool,
    },
    Pause {
        by: String,
        reason: String,
    },
    Resume {
        by: String,
    },
    /// The audio ended; the file holds `duration_ms` and took `bytes` on disk.
    Stop {
        duration_ms: u64,
        bytes: u64,
    },
    Fail {
        reason: String,
    },
    /// Delete the file: `retention` (how long files are kept, in ms) has passed since it
    /// stopped, or `force` (an administrator's request).
    Purge {
        by: String,
        retention_ms: u64,
        force: bool,
    },
}

/// Why a command does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingRejection {
    #[error("the call is already being recorded")]
    AlreadyStarted,
    #[error("the call is not being recorded")]
    NotRecording,
    #[error("the recording is already paused")]
    AlreadyPaused,
    #[error("the recording is not paused")]
    NotPaused,
    #[error("the recording is still running; it can be purged once it has stopped")]
    StillRunning,
    #[error("the recording is kept until {until}: its retention period is not over")]
    Retained { until: Timestamp },
    #[error("the recording was already purged")]
    AlreadyPurged,
}

/// The recording decider.
#[derive(Debug)]
pub struct Recording;

impl Versioned for RecordingState {
    fn version(&self) -> u64 {
        self.version
    }

    fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

impl Decider for Recording {
    type State = RecordingState;
    type Command = RecordingCommand;
    type Event = RecordingEvent;
    type Rejection = RecordingRejection;

    fn decide(
        state: &RecordingState,
        command: &RecordingCommand,
        now: Timestamp,
    ) -> Result<Vec<RecordingEvent>, RecordingRejection> {
        use RecordingPhase as P;
        use RecordingRejection as R;
        let live = matches!(state.phase, P::Running | P::Paused);
        Ok(match command {
            RecordingCommand::Start {
                call,
                queue,
                agent,
                storage_key,
                policy,
                consent_prompt,
            } => {
                if state.phase != P::NotStarted {
                    return Err(R::AlreadyStarted);
                }
                vec![RecordingEvent::Started {
                    call: *call,
                    queue: queue.clone(),
                    agent: *agent,
                    storage_key: storage_key.clone(),
                    channels: 2,
                    sample_rate: hotline_media::SAMPLE_RATE,
                    policy: policy.clone(),
                    consent_prompt: *consent_prompt,
                }]
            }
            RecordingCommand::Pause { by, reason } => match state.phase {
                P::Running => vec![RecordingEvent::Paused {
                    by: by.clone(),
                    reason: reason.clone(),
                }],
                P::Paused => return Err(R::AlreadyPaused),
                _ => return Err(R::NotRecording),
            },
            RecordingCommand::Resume { by } => match state.phase {
                P::Paused => vec![RecordingEvent::Resumed { by: by.clone() }],
                P::Running => return Err(R::NotPaused),
                _ => return Err(R::NotRecording),
            },
            RecordingCommand::Stop { duration_ms, bytes } => {
                if !live {
                    return Err(R::NotRecording);
                }
                let open_pause = state
                    .paused_since
                    .map_or(0, |since| now.as_millis().saturating_sub(since.as_millis()));
                vec![RecordingEvent::Stopped {
                    duration_ms: *duration_ms,
                    paused_ms: state.paused_ms + u64::try_from(open_pause).unwrap_or(0),
                    bytes: *bytes,
                }]
            }
            RecordingCommand::Fail { reason } => {
                if !live {
                    return Err(R::NotRecording);
                }
                vec![RecordingEvent::Failed {
                    reason: reason.clone(),
                }]
            }
            RecordingCommand::Purge {
                by,
                retention_ms,
                force,
            } => match (state.phase, state.stopped_at, &state.storage_key) {
                (P::Purged, ..) => return Err(R::AlreadyPurged),
                (P::Running | P::Paused, ..) => return Err(R::StillRunning),
                (P::NotStarted, ..) | (_, _, None) => return Err(R::NotRecording),
                (_, stopped, Some(key)) => {
                    if let Some(stopped) = stopped {
                        let until = stopped.plus_millis(*retention_ms);
                        if !force && now < until {
                            return Err(R::Retained { until });
                        }
                    }
                    vec![RecordingEvent::Purged {
                        storage_key: key.clone(),
                        by: by.clone(),
                    }]
                }
            },
        })
    }

    fn evolve(mut state: RecordingState, event: &RecordingEvent, at: Timestamp) -> RecordingState {
        state.version += 1;
        match event {
            RecordingEvent::Started { storage_key, .. } => {
                state.phase = RecordingPhase::Running;
                state.storage_key = Some(storage_key.clone());
            }
            RecordingEvent::Paused { .. } => {
                state.phase = RecordingPhase::Paused;
                state.paused_since = Some(at);
            }
            RecordingEvent::Resumed { .. } => {
                state.phase = RecordingPhase::Running;
                if let Some(since) = state.paused_since.take() {
                    let ms = at.as_millis().saturating_sub(since.as_millis());
                    state.paused_ms += u64::try_from(ms).unwrap_or(0);
                }
            }
            RecordingEvent::Stopped { paused_ms, .. } => {
                state.phase = RecordingPhase::Stopped;
                state.stopped_at = Some(at);
                state.paused_since = None;
                state.paused_ms = *paused_ms;
            }
            RecordingEvent::Failed { .. } => {
                state.phase = RecordingPhase::Failed;
                state.stopped_at = Some(at);
            }
            RecordingEvent::Purged { .. } => state.phase = RecordingPhase::Purged,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::spec::{at, given};

    fn started() -> RecordingEvent {
        RecordingEvent::Started {
            call: call(),
            queue: None,
            agent: None,
            storage_key: "k.wav.enc".into(),
            channels: 2,
            sample_rate: 8_000,
            policy: "all".into(),
            consent_prompt: false,
        }
    }

    fn call() -> CallId {
        CallId::from_uuid(uuid::Uuid::from_u128(1))
    }

    fn stopped() -> RecordingEvent {
        RecordingEvent::Stopped {
            duration_ms: 60_000,
            paused_ms: 0,
            bytes: 960_072,
        }
    }

    fn purge(days: u64, force: bool) -> RecordingCommand {
        RecordingCommand::Purge {
            by: "retention".into(),
            retention_ms: days * 86_400_000,
            force,
        }
    }

    #[test]
    fn a_paused_stretch_is_counted_when_the_recording_stops() {
        // Started at 0 s, paused at 1 s, resumed at 2 s: stopping at 10 s counts 1 s paused.
        given::<Recording>([
            started(),
            RecordingEvent::Paused {
                by: "alice".into(),
                reason: "card_entry".into(),
            },
            RecordingEvent::Resumed { by: "alice".into() },
        ])
        .at(at(10))
        .when(RecordingCommand::Stop {
            duration_ms: 9_000,
            bytes: 10,
        })
        .then([RecordingEvent::Stopped {
            duration_ms: 9_000,
            paused_ms: 1_000,
            bytes: 10,
        }]);
    }

    #[test]
    fn a_recording_pauses_once_and_resumes_only_when_paused() {
        let pause = || RecordingCommand::Pause {
            by: "alice".into(),
            reason: "card_entry".into(),
        };
        given::<Recording>([
            started(),
            RecordingEvent::Paused {
                by: "alice".into(),
                reason: "card_entry".into(),
            },
        ])
        .when(pause())
        .then_err(RecordingRejection::AlreadyPaused);
        given::<Recording>([started()])
            .when(RecordingCommand::Resume { by: "alice".into() })
            .then_err(RecordingRejection::NotPaused);
        given::<Recording>([])
            .when(pause())
            .then_err(RecordingRejection::NotRecording);
        given::<Recording>([started(), stopped()])
            .when(pause())
            .then_err(RecordingRejection::NotRecording);
    }

    #[test]
    fn a_call_is_recorded_once() {
        given::<Recording>([started()])
            .when(RecordingCommand::Start {
                call: call(),
                queue: None,
                agent: None,
                storage_key: "other".into(),
                policy: "all".into(),
                consent_prompt: false,
            })
            .then_err(RecordingRejection::AlreadyStarted);
    }

    #[test]
    fn a_recording_is_purged_only_after_its_retention_period() {
        // Stopped at t0 + 1 s; kept 30 days.
        let kept = given::<Recording>([started(), stopped()]);
        let until = at(1).plus_millis(30 * 86_400_000);
        kept.at(at(86_400))
            .when(purge(30, false))
            .then_err(RecordingRejection::Retained { until });
        given::<Recording>([started(), stopped()])
            .at(until)
            .when(purge(30, false))
            .then([RecordingEvent::Purged {
                storage_key: "k.wav.enc".into(),
                by: "retention".into(),
            }]);
        given::<Recording>([started(), stopped()])
            .when(purge(30, true))
            .then([RecordingEvent::Purged {
                storage_key: "k.wav.enc".into(),
                by: "retention".into(),
            }]);
    }

    #[test]
    fn a_running_or_purged_recording_is_not_purged() {
        given::<Recording>([started()])
            .when(purge(0, true))
            .then_err(RecordingRejection::StillRunning);
        let purged = RecordingEvent::Purged {
            storage_key: "k.wav.enc".into(),
            by: "retention".into(),
        };
        given::<Recording>([started(), stopped(), purged])
            .when(purge(0, true))
            .then_err(RecordingRejection::AlreadyPurged);
    }
}
