//! Voicemail end to end in the actors: a caller sent to a box (by the queue's maximum wait,
//! or by a flow's `voicemail` node) speaks on the simulated network; the message is sealed
//! in the vault as a WAV file, announced by `left`, handled once, and purged after its
//! retention period; on a real SQLite log and a paused clock.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hotline_actors::ivr::Flows;
use hotline_actors::ivr::lookup::Lookups;
use hotline_actors::recorder::purge::PurgeReport;
use hotline_actors::retention::{Retention, sweep};
use hotline_actors::voicemail::message::MessageRejection;
use hotline_actors::voicemail::purge::purge;
use hotline_actors::voicemail::{self, VoicemailError, stream_of};
use hotline_actors::{Center, Recorder};
use hotline_events::{
    AgentId, CallEvent, CallId, EndReason, Event, Party, QueueId, Timestamp, VoicemailEvent,
    VoicemailReason,
};
use hotline_infra::config::flow::Flow;
use hotline_infra::config::{
    AgentConfig, BoxOwner, CenterConfig, NumberConfig, QueueConfig, RouterSettings, Strategy,
    Tiers, VoicemailBox, VoicemailConfig,
};
use hotline_infra::{
    Clock, Durability, EventLog, RecordingKey, SqliteLog, Vault, VaultError, VirtualTimeLog,
};
use hotline_media::{CallerScript, Dist, SimNetwork, wav};

const NUMBER: &str = "+18005550100";
const FLOW_NUMBER: &str = "+18005550199";

fn sales() -> QueueId {
    QueueId::new("sales").unwrap()
}

fn ada() -> AgentId {
    AgentConfig::derived_id("ada")
}

/// Sales waits 30 s at most, then voicemail; nobody is logged in, so every caller gets
/// there. The queue's box keeps 60 s at most; Ada's 20 s.
fn config() -> CenterConfig {
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
            max_wait: Some(Duration::from_secs(30)),
            hours: None,
            service_level_threshold: Duration::from_secs(20),
            service_level_target: 80,
            callback: false,
            default_handle_time: Duration::from_secs(120),
        }],
        agents: vec![AgentConfig {
            id: ada(),
            login: "ada".into(),
            name: "Ada".into(),
            extension: None,
            skills: vec![],
            queues: vec![sales()],
            weight: 1,
        }],
        numbers: vec![
            NumberConfig {
                number: NUMBER.into(),
                queue: sales(),
                menu: vec![],
                priority: 0,
                flow: None,
            },
            NumberConfig {
                number: FLOW_NUMBER.into(),
                queue: sales(),
                menu: vec![],
                priority: 0,
                flow: None,
            },
        ],
        hours: vec![],
        recording: Default::default(),
        voicemail: VoicemailConfig {
            boxes: vec![
                VoicemailBox {
                    name: "queue:sales".into(),
                    owner: BoxOwner::Queue(sales()),
                    greeting: "sales-greeting".into(),
                    max_length: Duration::from_secs(60),
                },
                VoicemailBox {
                    name: "agent:ada".into(),
                    owner: BoxOwner::Agent {
                        id: ada(),
                        login: "ada".into(),
                    },
                    greeting: "ada-greeting".into(),
                    max_length: Duration::from_secs(20),
                },
            ],
            retention: Duration::from_secs(7 * 86_400),
        },
        surveys: vec![],
    }
}

/// A flow that sends every caller straight to Ada's box.
const FLOW: &str = r#"
[flow]
name = "for-ada"
start = "leave"

[nodes.leave]
type = "voicemail"
prompt = "Ada is away. Please leave a message."
queue = "sales"
agent = "ada"
"#;

struct Run {
    center: Center,
    net: SimNetwork,
    log: Arc<dyn EventLog>,
    vault: Vault,
    dir: tempfile::TempDir,
}

async fn start() -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let vault = Vault::open(dir.path(), &RecordingKey::from_bytes([42; 32])).unwrap();
    let (net, reports) = SimNetwork::new(11, 4096);
    let config = config();
    let flow = Flow::parse(FLOW, "for-ada.toml", &config, &[]).unwrap();
    let flows = Flows::new(Lookups::default()).with(FLOW_NUMBER, Arc::new(flow));
    let center = Center::start_recording(
        config,
        flows,
        Recorder::new(vault.clone()),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        11,
    )
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

/// A caller whose message lasts `talk` seconds.
fn caller(number: &str, talk: f64) -> CallerScript {
    CallerScript {
        number: number.into(),
        caller: "+15555550123".into(),
        digits: None,
        patience: Dist::Fixed { secs: 300.0 },
        talk: Dist::Fixed { secs: talk },
        callee_answers: true,
    }
}

async fn message_events(log: &dyn EventLog, call: CallId) -> Vec<VoicemailEvent> {
    log.read_stream(&stream_of(call), 1)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Voicemail(e) => Some(e),
            _ => None,
        })
        .collect()
}

async fn call_events(log: &dyn EventLog, call: CallId) -> Vec<CallEvent> {
    log.read_stream(&call.stream(), 1)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Call(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn energy(samples: &[i16]) -> f64 {
    samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64
}

#[tokio::test(start_paused = true)]
async fn after_the_maximum_wait_the_callers_message_is_sealed_in_the_queues_box() {
    let run = start().await;
    let call = run.net.place_call(caller(NUMBER, 12.0)).await;
    tokio::time::sleep(Duration::from_secs(120)).await;

    let calls = call_events(run.log.as_ref(), call).await;
    assert!(
        calls.contains(&CallEvent::SentToVoicemail {
            queue: sales(),
            reason: VoicemailReason::MaxWait,
        }),
        "{calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&CallEvent::Ended {
            by: Party::Caller,
            reason: EndReason::Voicemail,
        })
    );
    let events = message_events(run.log.as_ref(), call).await;
    let [
        VoicemailEvent::Left {
            mailbox,
            call: of,
            caller,
            queue,
            duration_ms,
            storage_key,
            bytes,
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!((mailbox.as_str(), *of), ("queue:sales", call));
    assert_eq!((caller.as_str(), queue), ("+15555550123", &sales()));
    // The caller spoke for 12 s, and hung up.
    assert!((11_960..=12_040).contains(duration_ms), "{duration_ms} ms");
    assert!(
        storage_key.starts_with("voicemail/2026/11/24/") && storage_key.ends_with(".wav.enc"),
        "{storage_key}"
    );

    // Sealed on disk; with the key, a WAV of the caller's voice on the left channel.
    let on_disk = std::fs::read(run.dir.path().join("recordings").join(storage_key)).unwrap();
    assert_eq!(on_disk.len() as u64, *bytes);
    assert!(wav::read(&on_disk).is_err(), "plain WAV on disk");
    let wrong = Vault::open(run.dir.path(), &RecordingKey::from_bytes([7; 32])).unwrap();
    assert!(matches!(
        wrong.get(storage_key),
        Err(VaultError::Decrypt(_))
    ));
    let info = wav::read(&run.vault.get(storage_key).unwrap()).unwrap();
    assert_eq!((info.channels, info.sample_rate), (2, 8_000));
    assert!((11_960..=12_040).contains(&(info.duration().as_millis() as u64)));
    assert!(
        energy(&info.channel_samples[0]) > 1_000_000.0,
        "the caller speaks"
    );
    assert_eq!(energy(&info.channel_samples[1]), 0.0, "nobody answers");
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_flows_voicemail_node_reaches_the_agents_box_which_cuts_at_its_maximum_length() {
    let run = start().await;
    // The caller would talk for 200 s; Ada's box keeps 20.
    let call = run.net.place_call(caller(FLOW_NUMBER, 200.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;

    let calls = call_events(run.log.as_ref(), call).await;
    assert!(
        calls.contains(&CallEvent::SentToVoicemail {
            queue: sales(),
            reason: VoicemailReason::Flow,
        }),
        "{calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&CallEvent::Ended {
            by: Party::System,
            reason: EndReason::Voicemail,
        }),
        "the box's maximum length ends the call"
    );
    let events = message_events(run.log.as_ref(), call).await;
    let [
        VoicemailEvent::Left {
            mailbox,
            duration_ms,
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(mailbox, "agent:ada");
    assert!((19_900..=20_100).contains(duration_ms), "{duration_ms} ms");
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_message_is_handled_once_then_purged_after_its_retention() {
    let run = start().await;
    let call = run.net.place_call(caller(NUMBER, 5.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let log = run.log.as_ref();
    let state = voicemail::load(log, call).await.unwrap();
    let key = state.storage_key.clone().unwrap();
    let left_at = state.left_at.unwrap();

    voicemail::handle(log, call, "bob", left_at.plus_millis(1_000))
        .await
        .unwrap();
    let again = voicemail::handle(log, call, "carol", left_at.plus_millis(2_000)).await;
    assert!(
        matches!(&again, Err(VoicemailError::Rejected(MessageRejection::AlreadyHandled { by })) if by == "bob"),
        "{again:?}"
    );
    let never = voicemail::handle(log, CallId::generate(), "bob", left_at).await;
    assert!(matches!(
        never,
        Err(VoicemailError::Rejected(MessageRejection::NoMessage))
    ));

    let retention = Duration::from_secs(7 * 86_400);
    let early = purge(
        log,
        &run.vault,
        left_at.plus_millis(86_400_000),
        retention,
        "retention",
    )
    .await
    .unwrap();
    assert_eq!((early.purged.len(), early.kept), (0, 1));
    assert!(run.vault.get(&key).is_ok());
    // The hourly sweep (recordings and messages from one read of the log) finds it too.
    let late = left_at.plus_millis(7 * 86_400_000);
    let both = Retention {
        recordings: Duration::from_secs(90 * 86_400),
        messages: retention,
    };
    let swept = sweep(log, &run.vault, late, both, "retention")
        .await
        .unwrap();
    assert_eq!(swept.recordings, PurgeReport::default());
    let report = swept.messages;
    assert_eq!(report.purged, vec![(call, key.clone())]);
    assert!(matches!(run.vault.get(&key), Err(VaultError::NotFound(_))));
    let events = message_events(log, call).await;
    assert_eq!(
        events.last(),
        Some(&VoicemailEvent::Purged {
            storage_key: key,
            by: "retention".into(),
        })
    );
    run.center.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_queue_without_a_box_keeps_no_message() {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let vault = Vault::open(dir.path(), &RecordingKey::from_bytes([42; 32])).unwrap();
    let (net, reports) = SimNetwork::new(3, 4096);
    let mut config = config();
    config.voicemail = VoicemailConfig::default();
    let center = Center::start_recording(
        config,
        Default::default(),
        Recorder::new(vault),
        log.clone(),
        Arc::new(net.clone()),
        reports,
        Clock::starting_at(Timestamp::parse("2026-11-24T09:00:00.000Z").unwrap()),
        3,
    )
    .await
    .unwrap();
    let call = net.place_call(caller(NUMBER, 5.0)).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let calls = call_events(log.as_ref(), call).await;
    assert!(
        matches!(
            calls.last(),
            Some(CallEvent::Ended {
                reason: EndReason::Voicemail,
                ..
            })
        ),
        "{calls:?}"
    );
    assert!(message_events(log.as_ref(), call).await.is_empty());
    center.stop().await;
}
