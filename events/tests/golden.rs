//! Golden files pin the public JSON form of every event: `type` and `schema` fields,
//! snake_case names, RFC 3339 UTC times. A change that alters a line here changes what
//! auditors and Kafka consumers read: bump the schema instead.
//!
//! To accept an intended change: `UPDATE_GOLDEN=1 cargo test -p hotline-events --test golden`.

#![allow(clippy::unwrap_used)]
use hotline_events::*;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    // Fixed v7-shaped ids so the golden files do not change from run to run.
    Uuid::from_u128(0x0190_c3d2_7b3a_7cc0_8000_0000_0000_0000 | n)
}

fn every_event() -> Vec<(StreamName, Event)> {
    let call = CallId::from_uuid(id(1));
    let agent = AgentId::from_uuid(id(2));
    let agent2 = AgentId::from_uuid(id(3));
    let campaign = CampaignId::from_uuid(id(4));
    let lead = LeadId::from_uuid(id(5));
    let sales = QueueId::new("sales").unwrap();
    let billing = QueueId::new("billing").unwrap();
    let spanish = SkillName::new("spanish").unwrap();
    let calls = [
        CallEvent::Arrived {
            number: "+18005550100".into(),
            caller: "+15555550123".into(),
            channel: Channel::Voice,
            customer: Some(CustomerId::from_uuid(id(6))),
        },
        CallEvent::IvrInput { digits: "2".into() },
        CallEvent::Queued {
            queue: sales.clone(),
            priority: 5,
            skills: vec![spanish.clone()],
        },
        CallEvent::Offered {
            agent,
            queue: sales.clone(),
            ring_timeout_ms: 15_000,
        },
        CallEvent::OfferMissed {
            agent,
            reason: OfferMissReason::NoAnswer,
        },
        CallEvent::Answered {
            agent: agent2,
            waited_ms: 42_250,
        },
        CallEvent::Held { by: agent2 },
        CallEvent::Resumed { by: agent2 },
        CallEvent::Transferred {
            kind: TransferKind::Warm,
            from: agent2,
            to: TransferTarget::Queue {
                queue: billing.clone(),
            },
            notes: Some("disputes the March invoice".into()),
        },
        CallEvent::Overflowed {
            from: sales.clone(),
            to: billing.clone(),
            reason: OverflowReason::WaitedTooLong,
        },
        CallEvent::Abandoned {
            queue: billing.clone(),
            waited_ms: 61_000,
        },
        CallEvent::Ended {
            by: Party::Caller,
            reason: EndReason::Abandoned,
        },
    ];
    let agents = [
        AgentEvent::LoggedIn {
            name: "Ada Lovelace".into(),
            extension: Some("2001".into()),
            skills: vec![Skill {
                name: spanish.clone(),
                level: 7,
            }],
            queues: vec![sales.clone()],
        },
        AgentEvent::Ready { by: None },
        AgentEvent::Reserved {
            call,
            queue: sales.clone(),
        },
        AgentEvent::Busy { call },
        AgentEvent::WrappingUp {
            call,
            limit_ms: 30_000,
        },
        AgentEvent::WrapUpCompleted {
            call,
            disposition: Some("resolved".into()),
            notes: None,
        },
        AgentEvent::NotReady {
            reason: "lunch".into(),
            by: None,
        },
        AgentEvent::SkillsChanged {
            skills: vec![Skill {
                name: spanish,
                level: 9,
            }],
            by: None,
        },
        AgentEvent::LoggedOut {
            reason: None,
            by: None,
        },
    ];
    let queue = [
        QueueEvent::CallWaiting {
            call,
            priority: 5,
            skills: vec![],
        },
        QueueEvent::PositionEstimated {
            call,
            position: 3,
            estimated_wait_ms: 95_000,
        },
        QueueEvent::AgentsSelected {
            call,
            agents: vec![agent, agent2],
            strategy: "ring_all".into(),
            tier: 0,
        },
        QueueEvent::CallbackRequested {
            call,
            number: "+15555550123".into(),
        },
        QueueEvent::CallbackDialed { call },
        QueueEvent::CallLeft { call },
    ];
    let campaigns = [
        CampaignEvent::Created {
            name: "Winter renewals".into(),
            dial_mode: DialMode::Predictive,
            max_abandon_rate: 0.03,
        },
        CampaignEvent::LeadsImported {
            source: "leads.csv".into(),
            accepted: 980,
            rejected: 20,
        },
        CampaignEvent::Started,
        CampaignEvent::AttemptDialed {
            lead,
            call,
            number: "+442071838750".into(),
            attempt: 1,
        },
        CampaignEvent::AttemptEnded {
            lead,
            call,
            outcome: AttemptOutcome::AnsweringMachine,
        },
        CampaignEvent::Paused,
        CampaignEvent::Completed,
    ];
    // Added with the inbound core; kept after the first set so its golden lines stand.
    let later_calls = [
        CallEvent::ConsultStarted {
            by: agent,
            to: TransferTarget::Agent { agent: agent2 },
        },
        CallEvent::ConsultCancelled { by: agent },
        CallEvent::ConferenceJoined {
            agent: agent2,
            by: agent,
        },
        CallEvent::ConferenceLeft { agent: agent2 },
        CallEvent::SentToVoicemail {
            queue: sales.clone(),
            reason: VoicemailReason::MaxWait,
        },
        CallEvent::CallbackRequested {
            queue: sales.clone(),
            number: "+15555550123".into(),
        },
        CallEvent::CallbackDialed {
            number: "+15555550123".into(),
        },
    ];
    let later_agents = [
        AgentEvent::OfferMissed {
            call,
            reason: OfferMissReason::NoAnswer,
        },
        AgentEvent::QueuesChanged {
            queues: vec![sales.clone(), billing.clone()],
            by: None,
        },
    ];
    let later_queue = [QueueEvent::CallOverflowed {
        call,
        to: billing.clone(),
        reason: OverflowReason::QueueTooLong,
    }];
    let mut all: Vec<(StreamName, Event)> = Vec::new();
    all.extend(calls.into_iter().map(|e| (call.stream(), e.into())));
    all.extend(agents.into_iter().map(|e| (agent.stream(), e.into())));
    all.extend(queue.into_iter().map(|e| (sales.stream(), e.into())));
    all.extend(campaigns.into_iter().map(|e| (campaign.stream(), e.into())));
    all.extend(later_calls.into_iter().map(|e| (call.stream(), e.into())));
    all.extend(later_agents.into_iter().map(|e| (agent.stream(), e.into())));
    all.extend(later_queue.into_iter().map(|e| (sales.stream(), e.into())));
    // Added with the CRM; after everything else so the lines above stand.
    let customer = CustomerId::from_uuid(id(6));
    let customers = [
        CustomerEvent::Registered {
            name: "Grace Hopper".into(),
            phones: vec!["+15555550123".into(), "+442071838750".into()],
            email: Some("grace@example.com".into()),
            address: Some("1 Navy Yard, Arlington VA".into()),
            tags: vec!["vip".into()],
            external_id: Some("CRM-0001".into()),
        },
        CustomerEvent::ProfileUpdated {
            name: None,
            email: Some("grace.hopper@example.com".into()),
            address: None,
            external_id: None,
        },
        CustomerEvent::PhoneAdded {
            phone: "+15555550199".into(),
        },
        CustomerEvent::PhoneRemoved {
            phone: "+442071838750".into(),
        },
        CustomerEvent::Tagged { tag: "gold".into() },
        CustomerEvent::Untagged { tag: "vip".into() },
    ];
    all.extend(customers.into_iter().map(|e| (customer.stream(), e.into())));
    // Added with the server's access log.
    let access = StreamName::parse("access-2026-11-22").unwrap();
    let reads = [
        AccessEvent::CustomerViewed {
            customer,
            by: "alice".into(),
            role: "agent".into(),
            via: "GET /api/customers/{id}".into(),
        },
        AccessEvent::RecordingFetched {
            call,
            by: "bob".into(),
            role: "supervisor".into(),
            via: "GET /api/recordings/{call}".into(),
        },
    ];
    all.extend(reads.into_iter().map(|e| (access.clone(), e.into())));
    // Added with agent administration over the API: the roster's events, and a
    // supervisor's hand on an agent (`by`).
    let agent3 = AgentId::from_uuid(id(7));
    let roster = [
        AgentEvent::Registered {
            login: "grace".into(),
            name: "Grace Hopper".into(),
            extension: Some("2002".into()),
            skills: vec![Skill {
                name: SkillName::new("english").unwrap(),
                level: 8,
            }],
            queues: vec![billing.clone()],
            by: "admin".into(),
        },
        AgentEvent::Renamed {
            name: "Rear Admiral Grace Hopper".into(),
            by: "admin".into(),
        },
        AgentEvent::Removed { by: "admin".into() },
    ];
    all.extend(roster.into_iter().map(|e| (agent3.stream(), e.into())));
    // Added with IVR flows: one run through a flow, every kind of step.
    let ivr = [
        IvrEvent::FlowStarted {
            flow: "main".into(),
            variables: [
                ("caller".to_owned(), "+15555550123".to_owned()),
                ("number".to_owned(), "+18005550100".to_owned()),
            ]
            .into(),
        },
        IvrEvent::NodeEntered {
            node: "main_menu".into(),
            kind: NodeKind::Menu,
        },
        IvrEvent::PromptPlayed {
            node: "main_menu".into(),
            prompt: "For your balance press 1, for an agent press 0.".into(),
        },
        IvrEvent::InputTimedOut {
            node: "main_menu".into(),
            attempt: 1,
        },
        IvrEvent::InvalidInput {
            node: "main_menu".into(),
            attempt: 2,
            reason: InvalidReason::NoSuchOption,
        },
        IvrEvent::DigitsCollected {
            node: "pin".into(),
            digits: None,
            length: 4,
        },
        IvrEvent::ConditionChecked {
            node: "open".into(),
            result: true,
        },
        IvrEvent::LookupDone {
            node: "balance".into(),
            source: "http".into(),
        },
        IvrEvent::LookupFailed {
            node: "customer".into(),
            source: "crm".into(),
            reason: "timed out after 2s".into(),
        },
        IvrEvent::VariableSet {
            name: "balance".into(),
            value: "42.50".into(),
        },
        IvrEvent::FlowExited {
            node: "to_billing".into(),
            exit: FlowExit::Queue {
                queue: billing.clone(),
                priority: 7,
                skills: vec![SkillName::new("spanish").unwrap()],
            },
        },
    ];
    all.extend(ivr.into_iter().map(|e| (call.ivr_stream(), e.into())));
    // Added with call recordings: one recording's life, on its own stream.
    let recording = StreamName::parse(&format!("recording-{call}")).unwrap();
    let recordings = [
        RecordingEvent::Started {
            call,
            queue: Some(sales.clone()),
            agent: Some(agent),
            storage_key: format!("2026/11/22/{call}.wav.enc"),
            channels: 2,
            sample_rate: 8000,
            policy: "all".into(),
            consent_prompt: true,
        },
        RecordingEvent::Paused {
            by: "alice".into(),
            reason: "card_entry".into(),
        },
        RecordingEvent::Resumed { by: "alice".into() },
        RecordingEvent::Stopped {
            duration_ms: 95_000,
            paused_ms: 12_000,
            bytes: 1_520_044,
        },
        RecordingEvent::Failed {
            reason: "the recordings directory is full".into(),
        },
        RecordingEvent::Purged {
            storage_key: format!("2026/11/22/{call}.wav.enc"),
            by: "retention".into(),
        },
    ];
    all.extend(
        recordings
            .into_iter()
            .map(|e| (recording.clone(), e.into())),
    );
    // Added with the campaign's core: rules, leads, the do-not-call list, retries,
    // appointments and dispositions.
    let later_campaign = [
        CampaignEvent::Configured(CampaignSettings::default()),
        CampaignEvent::LeadAdded {
            lead,
            phone: "+442071838750".into(),
            time_zones: vec!["Europe/London".into()],
            priority: 3,
            fields: [("plan".to_owned(), "gold".to_owned())].into(),
        },
        CampaignEvent::LeadEdited {
            lead,
            phone: None,
            time_zones: None,
            priority: Some(5),
            fields: None,
        },
        CampaignEvent::DoNotCallAdded {
            numbers: vec!["+15555550199".into()],
            source: "dnc.csv".into(),
        },
        CampaignEvent::DialBlocked {
            lead,
            number: "+442071838750".into(),
            reason: BlockReason::OutsideCallingHours,
        },
        CampaignEvent::RetryScheduled {
            lead,
            due: Timestamp::parse("2026-11-22T10:30:00.000Z").unwrap(),
        },
        CampaignEvent::CallbackScheduled {
            lead,
            at: Timestamp::parse("2026-11-23T14:00:00.000Z").unwrap(),
            agent: Some(agent),
        },
        CampaignEvent::Dispositioned {
            lead,
            call,
            disposition: "appointment".into(),
        },
        CampaignEvent::LeadClosed {
            lead,
            reason: CloseReason::Disposition,
        },
        CampaignEvent::LeadRemoved { lead },
        CampaignEvent::Resumed,
        CampaignEvent::Stopped,
    ];
    all.extend(
        later_campaign
            .into_iter()
            .map(|e| (campaign.stream(), e.into())),
    );
    // Added with voicemail: one message's life on its own stream, and its plays.
    let voicemail = StreamName::parse(&format!("voicemail-{call}")).unwrap();
    let voicemails = [
        VoicemailEvent::Left {
            mailbox: "queue:sales".into(),
            call,
            caller: "+15555550123".into(),
            queue: sales.clone(),
            duration_ms: 14_020,
            storage_key: format!("voicemail/2026/11/22/{call}.wav.enc"),
            bytes: 224_416,
        },
        VoicemailEvent::Handled { by: "bob".into() },
        VoicemailEvent::Purged {
            storage_key: format!("voicemail/2026/11/22/{call}.wav.enc"),
            by: "retention".into(),
        },
        VoicemailEvent::Lost {
            mailbox: "agent:alice".into(),
            call,
            caller: "+15555550123".into(),
            reason: "the network carries no audio".into(),
        },
    ];
    all.extend(
        voicemails
            .into_iter()
            .map(|e| (voicemail.clone(), e.into())),
    );
    all.push((
        StreamName::parse("access-2026-11-22").unwrap(),
        AccessEvent::VoicemailPlayed {
            call,
            mailbox: "queue:sales".into(),
            by: "bob".into(),
            role: "supervisor".into(),
            via: "GET /api/voicemail/{box}/{call}".into(),
        }
        .into(),
    ));
    // Added with post-call surveys: one call's survey on its own stream.
    let survey = StreamName::parse(&format!("survey-{call}")).unwrap();
    let surveys = [
        SurveyEvent::Started {
            call,
            agent,
            queue: sales.clone(),
            flow: "survey".into(),
            csat_question: Some("rate".into()),
        },
        SurveyEvent::InvalidAnswer {
            question: "rate".into(),
            attempt: 1,
            reason: InvalidReason::NoSuchOption,
        },
        SurveyEvent::Answered {
            question: "rate".into(),
            answer: "5".into(),
        },
        SurveyEvent::Completed { answers: 3 },
        SurveyEvent::Abandoned {
            question: "recommend".into(),
            answers: 1,
        },
    ];
    all.extend(surveys.into_iter().map(|e| (survey.clone(), e.into())));
    all
}

/// Builds the log a writer would build from `events`, as JSON lines.
fn record(events: &[(StreamName, Event)]) -> Vec<Recorded> {
    let mut prev = Hash::ZERO;
    let mut versions = std::collections::HashMap::<StreamName, u64>::new();
    let start = Timestamp::parse("2026-11-22T09:30:00.250Z").unwrap();
    events
        .iter()
        .enumerate()
        .map(|(i, (stream, event))| {
            let enc = event.encode().unwrap();
            let version = versions
                .entry(stream.clone())
                .and_modify(|v| *v += 1)
                .or_insert(1);
            let mut r = Recorded {
                position: i as u64 + 1,
                stream: stream.clone(),
                version: *version,
                event_type: enc.event_type,
                schema: enc.schema,
                occurred_at: start.plus_millis(i as u64 * 1_500),
                event_id: MessageId::from_uuid(id(1000 + i as u128)),
                correlation_id: Some(MessageId::from_uuid(id(999))),
                causation_id: (i > 0).then(|| MessageId::from_uuid(id(1000 + i as u128 - 1))),
                prev_hash: prev,
                hash: Hash::ZERO,
                data: enc.data,
            };
            r.hash = r.chained().hash(&prev);
            prev = r.hash;
            r
        })
        .collect()
}

#[test]
fn the_wire_form_of_every_event_is_pinned() {
    let events = every_event();
    let lines: String = record(&events)
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/events.jsonl");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &lines).unwrap();
    }
    let golden = std::fs::read_to_string(path).unwrap();
    for (n, (want, got)) in golden.lines().zip(lines.lines()).enumerate() {
        assert_eq!(got, want, "line {} of events.jsonl differs", n + 1);
    }
    assert_eq!(
        golden.lines().count(),
        lines.lines().count(),
        "number of golden events"
    );
}

#[test]
fn the_golden_lines_read_back_as_the_same_events() {
    let golden = include_str!("golden/events.jsonl");
    let expected = every_event();
    for (line, (stream, event)) in golden.lines().zip(&expected) {
        let r: Recorded = serde_json::from_str(line).unwrap();
        assert_eq!(&r.stream, stream);
        assert_eq!(&r.event(), event, "{line}");
        assert!(r.hash_is_valid(), "hash of {line}");
        // Written again, byte for byte the same.
        assert_eq!(serde_json::to_string(&r).unwrap(), line);
    }
}

#[test]
fn every_variant_has_a_golden_line() {
    // A new variant without a golden line fails here: add it to every_event().
    let types: std::collections::BTreeSet<String> = every_event()
        .iter()
        .map(|(s, e)| format!("{}/{}", s.category(), e.encode().unwrap().event_type))
        .collect();
    assert_eq!(types.len(), every_event().len(), "each variant once");
    let counts = [
        ("call", 19),
        ("agent", 14),
        ("queue", 7),
        ("campaign", 19),
        ("customer", 6),
        ("access", 3),
        ("ivr", 11),
        ("recording", 6),
        ("voicemail", 4),
        ("survey", 5),
    ];
    for (category, n) in counts {
        assert_eq!(
            types
                .iter()
                .filter(|t| t.starts_with(&format!("{category}/")))
                .count(),
            n,
            "{category}"
        );
    }
}

#[test]
fn an_event_from_a_newer_writer_passes_through_unchanged() {
    let golden = include_str!("golden/from_the_future.jsonl");
    for line in golden.lines() {
        let r: Recorded = serde_json::from_str(line).unwrap();
        let event = r.event();
        assert!(matches!(event, Event::Opaque(_)), "{event:?}");
        let again = event.encode().unwrap();
        assert_eq!(
            (again.event_type.as_str(), again.schema, again.data.as_str()),
            (r.event_type.as_str(), r.schema, r.data.as_str())
        );
        assert_eq!(serde_json::to_string(&r).unwrap(), line);
    }
}

#[test]
fn a_supervisors_name_rides_on_state_events_and_is_absent_otherwise() {
    let forced = Event::Agent(AgentEvent::NotReady {
        reason: "meeting".into(),
        by: Some("boss".into()),
    });
    let enc = forced.encode().unwrap();
    assert_eq!(enc.data, r#"{"reason":"meeting","by":"boss"}"#);
    assert_eq!(Event::decode("agent", "not_ready", 1, &enc.data), forced);
    let own = Event::Agent(AgentEvent::Ready { by: None });
    assert_eq!(own.encode().unwrap().data, "{}");
    assert_eq!(Event::decode("agent", "ready", 1, "{}"), own);
}

#[test]
fn a_logout_by_the_system_carries_its_reason_and_an_older_logout_reads_without_one() {
    // A start that finds an agent left logged in by a stopped process logs it out with
    // a reason code; no person did it, so there is no `by`.
    let lost = Event::Agent(AgentEvent::LoggedOut {
        reason: Some("system_restart".into()),
        by: None,
    });
    let enc = lost.encode().unwrap();
    assert_eq!(
        (enc.event_type.as_str(), enc.schema, enc.data.as_str()),
        ("logged_out", 1, r#"{"reason":"system_restart"}"#)
    );
    assert_eq!(Event::decode("agent", "logged_out", 1, &enc.data), lost);
    // Lines written before the field existed (the golden line is one) read as before.
    let by_hand = Event::Agent(AgentEvent::LoggedOut {
        reason: None,
        by: Some("boss".into()),
    });
    assert_eq!(by_hand.encode().unwrap().data, r#"{"by":"boss"}"#);
    assert_eq!(
        Event::decode("agent", "logged_out", 1, r#"{"by":"boss"}"#),
        by_hand
    );
}
