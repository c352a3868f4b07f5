//! Call recordings end to end in the actors: the simulated network's audio, the policy, the
//! recorder writing an encrypted two-channel WAV, pause and resume, and the retention purge,
//! on a real SQLite log and a paused clock.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hotline_actors::recorder::purge::{PurgeReport, purge};
use hotline_actors::recorder::stream_of;
use hotline_actors::retention::{Retention, sweep};
use hotline_actors::{Center, Recorder};
use hotline_events::{AgentId, CallId, Event, QueueId, RecordingEvent, Skill, Timestamp};
use hotline_infra::config::{
    AgentConfig, CenterConfig, NumberConfig, QueueConfig, Record, RecordingConfig, RecordingRule,
    RouterSettings, Strategy, Tiers,
};
use hotline_infra::{
    Clock, Durability, EventLog, RecordingKey, SqliteLog, Vault, VaultError, VirtualTimeLog,
};
use hotline_media::wav;
use hotline_media::{AgentModel, CallerScript, Dist, SimNetwork};

const NUMBER: &str = "+18005550100";

fn sales() -> QueueId {
    QueueId::new("sales").unwrap()
}

fn agent() -> AgentId {
    AgentId::from_uuid(uuid::Uuid::from_u128(0xA000))
}

fn config(record: Record) -> CenterConfig {
    CenterConfig {
        log: None,
        router: RouterSettings::default(),
        skills: vec![],
        queues: vec![QueueConfig {
            id: sales(),
            name: "Sales".into(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(5),
            skills: vec![],
            tiers: Tiers::default(),
            overflow: vec![],
            max_wait: None,
            hours: None,
            service_level_threshold: Duration::from_secs(20),
            service_level_target: 80,
            callback: false,
            default_handle_time: Duration::from_secs(120),
        }],
        agents: vec![AgentConfig {
            id: agent(),
            login: "ada".into(),
            name: "Ada".into(),
            extension: None,
            skills: vec![],
            queues: vec![sales()],
            weight: 1,
        }],
        numbers: vec![NumberConfig {
            number: NUMBER.into(),
            queue: sales(),
            menu: vec![],
            priority: 0,
            flow: None,
        }],
        hours: vec![],
        recording: RecordingConfig {
            queues: vec![(
                sales(),
                RecordingRule {
                    record,
                    consent_prompt: true,
                },
            )],
            retention: Duration::from_secs(30 * 86_400),
            ..RecordingConfig::default()
        },
        voicemail: Default::default(),
        surveys: vec![],
    }
}

struct Run {
    center: Center,
    net: SimNetwork,
    log: Arc<dyn EventLog>,
    vault: Vault,
    dir: tempfile::TempDir,
}

fn key() -> RecordingKey {
    RecordingKey::from_bytes([42; 32])
}

async fn start(record: Record) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let vault = Vault::open(dir.path(), &key()).unwrap();
    let (net, reports) = SimNetwork::new(7, 4096);
    let config = config(record);
    net.add_agent(
        agent(),
        AgentModel {
            answer_delay: Dist::Fixed { secs: 2.0 },
            answer_probability: 1.0,
        },
    );
    let center = Center::start_recording(
        config,
        Default::default(),
        Recorder::new(vault.clone()),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        7,
    )
    .await
    .unwrap();
    center
        .agent(
            agent(),
            hotline_actors::agent::AgentCommand::LogIn {
                name: "Ada".into(),
                extension: None,
                skills: Vec::<Skill>::new(),
                queues: vec![sales()],
            },
        )
        .await
        .unwrap();
    center
        .agent(agent(), hotline_actors::agent::AgentCommand::Ready)
        .await
        .unwrap();
    Run {
        center,
        net,
        log,
        vault,
        dir,
    }
}

fn caller(talk: f64) -> CallerScript {
    CallerScript {
        number: NUMBER.into(),
        caller: "+15555550123".into(),
        digits: None,
        patience: Dist::Fixed { secs: 300.0 },
        talk: Dist::Fixed { secs: talk },
        callee_answers: true,
    }
}

async fn recording_events(log: &dyn EventLog, call: CallId) -> Vec<RecordingEvent> {
    log.read_stream(&stream_of(call), 1)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Recording(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn storage_key(events: &[RecordingEvent]) -> String {
    match &events[0] {
        RecordingEvent::Started { storage_key, .. } => storage_key.clone(),
        other => panic!("the first event is {other:?}"),
    }
}

fn energy(samples: &[i16]) -> f64 {
    samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64
}

#[tokio::test(start_paused = true)]
async fn a_recorded_call_decodes_to_its_talk_time_in_two_channels_and_is_sealed() {
    let run = start(Record::All).await;
    let call = run.net.place_call(caller(30.0)).await;
    tokio::time::sleep(Duration::from_secs(120)).await;

    let events = recording_events(run.log.as_ref(), call).await;
    assert_eq!(events.len(), 2, "{events:?}");
    let RecordingEvent::Started {
        call: of,
        queue,
        agent: by,
        channels,
        sample_rate,
        policy,
        consent_prompt,
        ..
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        (*of, queue.clone(), *by),
        (call, Some(sales()), Some(agent()))
    );
    assert_eq!((*channels, *sample_rate), (2, 8_000));
    assert_eq!((policy.as_str(), *consent_prompt), ("all", true));
    let RecordingEvent::Stopped {
        duration_ms,
        paused_ms,
        bytes,
    } = events[1]
    else {
        panic!("{events:?}")
    };
    assert!((29_960..=30_040).contains(&duration_ms), "{duration_ms} ms");
    assert_eq!(paused_ms, 0);

    // The file: encrypted on disk, a two-channel 8 kHz WAV of the talk time once opened.
    let key = storage_key(&events);
    assert!(
        key.starts_with("2026/11/24/") && key.ends_with(".wav.enc"),
        "{key}"
    );
    let on_disk = std::fs::read(run.dir.path().join("recordings").join(&key)).unwrap();
    assert_eq!(on_disk.len() as u64, bytes);
    assert!(
        !on_disk.windows(4).any(|w| w == b"RIFF" || w == b"WAVE"),
        "plain WAV on disk"
    );
    assert!(
        wav::read(&on_disk).is_err(),
        "the stored bytes are not a WAV file"
    );
    let wrong = Vault::open(run.dir.path(), &RecordingKey::from_bytes([7; 32])).unwrap();
    assert!(matches!(wrong.get(&key), Err(VaultError::Decrypt(_))));

    let info = wav::read(&run.vault.get(&key).unwrap()).unwrap();
    assert_eq!(
        (info.channels, info.sample_rate, info.bits_per_sample),
        (2, 8_000, 16)
    );
    let secs = info.duration().as_secs_f64();
    assert!((29.96..=30.04).contains(&secs), "{secs} s of audio");
    // Both parties are heard, each on its own channel: the caller's first turn is on the
    // left only, the agent's answer on the right only.
    let (left, right) = (&info.channel_samples[0], &info.channel_samples[1]);
    assert!(energy(&left[..8_000]) > 1e6 && energy(&right[..8_000]) == 0.0);
    assert!(energy(&right[16_000..24_000]) > 1e6 && energy(&left[16_000..24_000]) == 0.0);
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn card_number_entry_is_left_out_of_the_recording() {
    let run = start(Record::All).await;
    let call = run.net.place_call(caller(40.0)).await;
    // Answered 2 s in: pause 10 s into the talk, resume 10 s later.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let recorder = run.center.services().recorder.clone();
    assert!(recorder.is_recording(call));
    recorder.pause(call, "ada", "card_entry").await.unwrap();
    let again = recorder.pause(call, "ada", "card_entry").await.unwrap_err();
    assert!(again.to_string().contains("already paused"), "{again}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    recorder.resume(call, "ada").await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;

    let events = recording_events(run.log.as_ref(), call).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            RecordingEvent::Started { .. } => "started",
            RecordingEvent::Paused { .. } => "paused",
            RecordingEvent::Resumed { .. } => "resumed",
            RecordingEvent::Stopped { .. } => "stopped",
            RecordingEvent::Failed { .. } => "failed",
            RecordingEvent::Purged { .. } => "purged",
        })
        .collect();
    assert_eq!(kinds, ["started", "paused", "resumed", "stopped"]);
    let RecordingEvent::Stopped {
        duration_ms,
        paused_ms,
        ..
    } = events[3]
    else {
        unreachable!()
    };
    assert_eq!(paused_ms, 10_000);
    assert!((29_960..=30_040).contains(&duration_ms), "{duration_ms} ms");
    let info = wav::read(&run.vault.get(&storage_key(&events)).unwrap()).unwrap();
    assert!((29.96..=30.04).contains(&info.duration().as_secs_f64()));
    // Once the call is over, there is nothing left to pause.
    assert!(recorder.pause(call, "ada", "card_entry").await.is_err());
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_whose_policy_is_none_is_not_recorded() {
    let run = start(Record::None).await;
    let call = run.net.place_call(caller(20.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(recording_events(run.log.as_ref(), call).await.is_empty());
    assert!(!run.dir.path().join("recordings/2026").exists());
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn after_the_retention_period_the_file_is_purged_and_the_stream_says_so() {
    let run = start(Record::All).await;
    let call = run.net.place_call(caller(10.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let events = recording_events(run.log.as_ref(), call).await;
    let key = storage_key(&events);
    assert!(run.vault.contains(&key));
    let log = run.log.as_ref();
    let retention = Duration::from_secs(30 * 86_400);
    let stopped = Timestamp::parse("2026-11-24T09:00:12.000Z").unwrap();

    // A day later: kept.
    let report = purge(
        log,
        &run.vault,
        stopped.plus_millis(86_400_000),
        retention,
        "retention",
    )
    .await
    .unwrap();
    assert_eq!((report.purged.len(), report.kept), (0, 1));
    assert!(run.vault.contains(&key));

    // Thirty-one days later, by the hourly sweep (recordings and messages from one read of
    // the log): gone, and the stream says so, once.
    let later = stopped.plus_millis(31 * 86_400_000);
    let both = Retention {
        recordings: retention,
        messages: Duration::from_secs(30 * 86_400),
    };
    let swept = sweep(log, &run.vault, later, both, "retention")
        .await
        .unwrap();
    assert_eq!(swept.messages, PurgeReport::default());
    let report = swept.recordings;
    assert_eq!(report.purged, vec![(call, key.clone())]);
    assert!(!run.vault.contains(&key));
    assert!(matches!(run.vault.get(&key), Err(VaultError::NotFound(_))));
    let events = recording_events(log, call).await;
    assert_eq!(
        events.last(),
        Some(&RecordingEvent::Purged {
            storage_key: key,
            by: "retention".into()
        })
    );
    let again = purge(log, &run.vault, later, retention, "retention")
        .await
        .unwrap();
    assert_eq!((again.purged.len(), again.kept), (0, 0));
    assert_eq!(recording_events(log, call).await.len(), events.len());
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_recording_the_last_process_left_running_is_marked_failed_at_the_next_start() {
    use hotline_actors::recorder::recover::STOPPED_WHILE_RECORDING;
    use hotline_events::NewEvent;
    use hotline_infra::ExpectedVersion;
    let dir = tempfile::tempdir().unwrap();
    let call = CallId::generate();
    let t0 = Timestamp::parse("2026-11-24T08:00:00.000Z").unwrap();
    {
        // A process started recording, then died: the stream holds `started` alone.
        let log = SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap();
        let started = RecordingEvent::Started {
            call,
            queue: Some(sales()),
            agent: Some(agent()),
            storage_key: format!("2026/11/24/{call}.wav.enc"),
            channels: 2,
            sample_rate: 8_000,
            policy: "all".into(),
            consent_prompt: false,
        };
        log.append(
            &stream_of(call),
            ExpectedVersion::Exact(0),
            vec![NewEvent::new(Event::Recording(started), t0)],
        )
        .await
        .unwrap();
        log.close().await.unwrap();
    }
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let vault = Vault::open(dir.path(), &key()).unwrap();
    let (net, reports) = SimNetwork::new(7, 4096);
    let center = Center::start_recording(
        config(Record::All),
        Default::default(),
        Recorder::new(vault),
        log.clone(),
        Arc::new(net),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        7,
    )
    .await
    .unwrap();
    let events = recording_events(log.as_ref(), call).await;
    assert_eq!(
        events.last(),
        Some(&RecordingEvent::Failed {
            reason: STOPPED_WHILE_RECORDING.into()
        }),
        "{events:?}"
    );
    center.stop().await;
    // Once only: a second start finds it failed already.
    let (net, reports) = SimNetwork::new(7, 4096);
    let center = Center::start_recording(
        config(Record::All),
        Default::default(),
        Recorder::new(Vault::open(dir.path(), &key()).unwrap()),
        log.clone(),
        Arc::new(net),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T10:00:00.000Z").unwrap()),
        7,
    )
    .await
    .unwrap();
    assert_eq!(recording_events(log.as_ref(), call).await.len(), 2);
    center.stop().await;
}
