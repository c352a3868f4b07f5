//! The campaign actor with the center on a real log, the simulated network and a paused
//! clock: preview dialing (the agent sees the lead, dials it, and the answered call comes
//! to that agent), a lead outside its calling hours never offered, a do-not-call number
//! never dialed, an answering machine retried by the campaign's rule, and the campaign's
//! recording rule applied to its answered calls.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hotline_actors::agent::{AgentCommand, Profile};
use hotline_actors::campaign::actor::CampaignRun;
use hotline_actors::campaign::{CampaignCommand, Lead, LeadStatus};
use hotline_actors::recorder::stream_of;
use hotline_actors::{Center, Recorder};
use hotline_events::{
    AgentId, AttemptOutcome, CallEvent, CallId, CampaignEvent, CampaignId, CampaignSettings,
    DialMode, Event, LeadId, QueueId, RecordingEvent, StreamName, Timestamp,
};
use hotline_infra::config::{
    AgentConfig, CenterConfig, NumberConfig, QueueConfig, Record, RecordingConfig, RecordingRule,
    RouterSettings, Strategy, Tiers,
};
use hotline_infra::{Clock, Durability, EventLog, RecordingKey, SqliteLog, Vault, VirtualTimeLog};
use hotline_media::{AgentModel, Dist, OutboundScript, SimNetwork};

const NUMBER: &str = "+18005550300";

fn outbound() -> QueueId {
    QueueId::new("outbound").unwrap()
}

fn agent_id(n: u128) -> AgentId {
    AgentId::from_uuid(uuid::Uuid::from_u128(0xB000 + n))
}

fn config() -> CenterConfig {
    CenterConfig {
        log: None,
        router: RouterSettings::default(),
        skills: vec![],
        queues: vec![QueueConfig {
            id: outbound(),
            name: "Outbound".into(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(10),
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
        agents: (0..2)
            .map(|n| AgentConfig {
                id: agent_id(n),
                login: format!("agent{n}"),
                name: format!("Agent {n}"),
                extension: None,
                skills: vec![],
                queues: vec![outbound()],
                weight: 1,
            })
            .collect(),
        numbers: vec![NumberConfig {
            number: NUMBER.into(),
            queue: outbound(),
            menu: vec![],
            priority: 0,
            flow: None,
        }],
        hours: vec![],
        recording: Default::default(),
        voicemail: Default::default(),
        surveys: vec![],
    }
}

/// 10:00 in New York, midnight in Tokyo.
fn start_time() -> Timestamp {
    Timestamp::parse("2026-12-01T15:00:00.000Z").unwrap()
}

struct Run {
    center: Center,
    log: Arc<dyn EventLog>,
    campaign: CampaignId,
    _dir: tempfile::TempDir,
}

/// A running campaign of `mode` with the given leads (phone, zone); only the first agent
/// is logged in and ready.
async fn run(mode: DialMode, script: OutboundScript, leads: &[(&str, &str)]) -> Run {
    run_recording(mode, script, leads, RecordingConfig::default()).await
}

/// [`run`] with a recording policy (and a vault for the recordings).
async fn run_recording(
    mode: DialMode,
    script: OutboundScript,
    leads: &[(&str, &str)],
    recording: RecordingConfig,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(VirtualTimeLog::new(Arc::new(
        SqliteLog::open_with(dir.path(), Durability::Checkpoints).unwrap(),
    )));
    let vault = Vault::open(dir.path(), &RecordingKey::from_bytes([7; 32])).unwrap();
    let config = CenterConfig {
        recording,
        ..config()
    };
    let (net, reports) = SimNetwork::new(11, 4096);
    let model = AgentModel {
        answer_delay: Dist::Fixed { secs: 0.5 },
        answer_probability: 1.0,
    };
    for a in &config.agents {
        net.add_agent(a.id, model.clone());
    }
    net.set_outbound(script);
    let center = Center::start_recording(
        config.clone(),
        Default::default(),
        Recorder::new(vault),
        log.clone(),
        Arc::new(net),
        reports,
        Clock::starting_at(start_time()),
        11,
    )
    .await
    .unwrap();
    let a = &config.agents[0];
    let login = AgentCommand::log_in(&Profile::of_config(a));
    center.agent(a.id, login).await.unwrap();
    center.agent(a.id, AgentCommand::Ready).await.unwrap();
    let campaign = CampaignId::generate();
    center
        .start_campaign(CampaignRun {
            campaign,
            number: NUMBER.into(),
            queue: outbound(),
            ring_timeout_ms: 15_000,
        })
        .await
        .unwrap();
    let settings = CampaignSettings {
        dial_mode: mode,
        ..CampaignSettings::default()
    };
    let create = CampaignCommand::Create {
        name: "test".into(),
        settings,
    };
    center.campaign(campaign, create).await.unwrap();
    for (phone, zone) in leads {
        let add = CampaignCommand::AddLead {
            lead: LeadId::generate(),
            phone: (*phone).into(),
            time_zones: vec![(*zone).into()],
            priority: 0,
            fields: BTreeMap::new(),
        };
        center.campaign(campaign, add).await.unwrap();
    }
    let dnc = CampaignCommand::AddDoNotCall {
        numbers: vec!["+12125550199".into()],
        source: "test".into(),
    };
    center.campaign(campaign, dnc).await.unwrap();
    center
        .campaign(campaign, CampaignCommand::Start)
        .await
        .unwrap();
    Run {
        center,
        log,
        campaign,
        _dir: dir,
    }
}

fn person() -> OutboundScript {
    OutboundScript {
        person: 1.0,
        machine: 0.0,
        busy: 0.0,
        time_to_answer: Dist::Fixed { secs: 8.0 },
        patience: Dist::Fixed { secs: 30.0 },
        talk: Dist::Fixed { secs: 60.0 },
        amd_accuracy: 1.0,
        ..OutboundScript::default()
    }
}

/// `agent` previews the campaign's next lead and dials it: the lead and its call.
async fn preview_and_dial(run: &Run, agent: AgentId) -> (Lead, CallId) {
    let lead = run
        .center
        .preview(run.campaign, agent)
        .await
        .unwrap()
        .expect("a lead to preview");
    let call = run
        .center
        .dial_preview(run.campaign, agent, lead.id)
        .await
        .unwrap();
    (lead, call)
}

/// The first event of `stream` that `pick` picks something from.
async fn first_in<T>(
    run: &Run,
    stream: &StreamName,
    pick: impl Fn(Event) -> Option<T>,
) -> Option<T> {
    run.log
        .read_stream(stream, 1)
        .await
        .unwrap()
        .into_iter()
        .find_map(|r| pick(r.event()))
}

/// The agent who answered `call`, as its stream says.
async fn answered_by(run: &Run, call: CallId) -> Option<AgentId> {
    first_in(run, &call.stream(), |e| match e {
        Event::Call(CallEvent::Answered { agent, .. }) => Some(agent),
        _ => None,
    })
    .await
}

async fn campaign_events(run: &Run) -> Vec<CampaignEvent> {
    run.log
        .read_stream(&run.campaign.stream(), 1)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Campaign(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_previewed_lead_is_dialed_by_its_agent_and_answered_at_that_agents_phone() {
    let leads = [
        ("+12125550101", "America/New_York"),
        ("+81312345678", "Asia/Tokyo"),
        ("+12125550199", "America/New_York"),
    ];
    let run = run(DialMode::Preview, person(), &leads).await;
    let agent = agent_id(0);
    // Preview dials nothing by itself.
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        !campaign_events(&run)
            .await
            .iter()
            .any(|e| matches!(e, CampaignEvent::AttemptDialed { .. }))
    );
    // The agent sees the New York lead: Tokyo is at midnight, the third is on the list.
    let (lead, call) = preview_and_dial(&run, agent).await;
    assert_eq!(lead.phone, "+12125550101");
    // It rings 8 s, AMD listens 1.5 s, the agent picks up after 0.5 s.
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(answered_by(&run, call).await, Some(agent));
    let events = campaign_events(&run).await;
    assert!(events.contains(&CampaignEvent::AttemptEnded {
        lead: lead.id,
        call,
        outcome: AttemptOutcome::Connected,
    }));
    // Nothing else is left to preview now; the dialed lead waits for its disposition.
    assert_eq!(run.center.preview(run.campaign, agent).await.unwrap(), None);
    let state = run.center.campaign_state(run.campaign).await.unwrap();
    assert_eq!(state.leads[&lead.id].status, LeadStatus::Connected { call });
    // The disposition closes it.
    let disposition = CampaignCommand::Disposition {
        lead: lead.id,
        call,
        disposition: "sale".into(),
        callback: None,
    };
    run.center
        .campaign(run.campaign, disposition)
        .await
        .unwrap();
    let state = run.center.campaign_state(run.campaign).await.unwrap();
    assert!(!state.leads[&lead.id].is_open());
}

#[tokio::test(start_paused = true)]
async fn a_machine_is_retried_by_the_rule_and_the_dialer_keeps_its_windows() {
    let machine = OutboundScript {
        person: 0.0,
        machine: 1.0,
        ..person()
    };
    let leads = [
        ("+12125550101", "America/New_York"),
        ("+81312345678", "Asia/Tokyo"),
        ("+12125550199", "America/New_York"),
    ];
    let run = run(DialMode::Progressive, machine, &leads).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let events = campaign_events(&run).await;
    let dialed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            CampaignEvent::AttemptDialed { number, .. } => Some(number.as_str()),
            _ => None,
        })
        .collect();
    // One free agent, one line: New York only (Tokyo sleeps, the third is on the list).
    assert_eq!(dialed, ["+12125550101"]);
    let ended = events.iter().find_map(|e| match e {
        CampaignEvent::AttemptEnded { outcome, .. } => Some(*outcome),
        _ => None,
    });
    assert_eq!(ended, Some(AttemptOutcome::AnsweringMachine));
    // The default rule: a machine is dialed again four hours later.
    let retry = events.iter().find_map(|e| match e {
        CampaignEvent::RetryScheduled { due, .. } => Some(*due),
        _ => None,
    });
    let due = retry.unwrap();
    assert!(due > start_time().plus_millis(4 * 3_600_000), "{due}");
    assert!(
        due < start_time().plus_millis(4 * 3_600_000 + 60_000),
        "{due}"
    );
}

/// The rule of the campaign (by its name) wins over the queue's for its answered calls,
/// both ways: recorded where the queue says none, and not where the queue says all.
#[tokio::test(start_paused = true)]
async fn a_campaigns_recording_rule_wins_over_its_queues_for_its_calls() {
    let rule = |record| RecordingRule {
        record,
        consent_prompt: false,
    };
    for (queue_rule, campaign_rule, recorded) in [
        (Record::None, Record::All, true),
        (Record::All, Record::None, false),
    ] {
        let recording = RecordingConfig {
            queues: vec![(outbound(), rule(queue_rule))],
            campaigns: vec![("test".into(), rule(campaign_rule))],
            ..RecordingConfig::default()
        };
        let leads = [("+12125550101", "America/New_York")];
        let run = run_recording(DialMode::Preview, person(), &leads, recording).await;
        let agent = agent_id(0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (_, call) = preview_and_dial(&run, agent).await;
        // It rings 8 s, AMD listens 1.5 s, the agent picks up after 0.5 s, they talk 60 s.
        tokio::time::sleep(Duration::from_secs(120)).await;
        assert_eq!(answered_by(&run, call).await, Some(agent));
        let started = first_in(&run, &stream_of(call), |e| match e {
            Event::Recording(RecordingEvent::Started { policy, .. }) => Some(policy),
            _ => None,
        })
        .await;
        let expected = recorded.then(|| "all".to_owned());
        assert_eq!(
            started, expected,
            "queue {queue_rule:?}, campaign {campaign_rule:?}"
        );
    }
}
