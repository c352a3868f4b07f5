//! The simulated network's behaviour, on paused tokio time: what each report says and at
//! which virtual instant it comes.
#![allow(clippy::unwrap_used)]

use super::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn fixed(s: f64) -> Dist {
    Dist::Fixed { secs: s }
}

fn script(patience: f64, talk: f64) -> CallerScript {
    CallerScript {
        number: "+18005550100".into(),
        caller: "+15550001".into(),
        digits: None,
        patience: fixed(patience),
        talk: fixed(talk),
        callee_answers: true,
    }
}

/// An agent id that is the same in every run (`AgentId::generate` reads the clock).
fn agent(n: u64) -> AgentId {
    format!("00000000-0000-4000-8000-{n:012x}").parse().unwrap()
}

fn answering(delay: f64) -> AgentModel {
    AgentModel {
        answer_delay: fixed(delay),
        answer_probability: 1.0,
    }
}

/// The next report and the virtual time since `t0` it came at.
async fn next(rx: &mut mpsc::Receiver<NetworkReport>, t0: Instant) -> (Duration, NetworkReport) {
    let report = rx.recv().await.unwrap();
    (t0.elapsed(), report)
}

/// Nothing reported within a (virtual) day.
async fn assert_quiet(rx: &mut mpsc::Receiver<NetworkReport>) {
    let got = tokio::time::timeout(secs(86_400), rx.recv()).await;
    assert!(got.is_err(), "expected no report, got {got:?}");
}

/// Places a call and takes its Incoming report.
async fn arrive(
    net: &SimNetwork,
    rx: &mut mpsc::Receiver<NetworkReport>,
    script: CallerScript,
) -> CallId {
    let call = net.place_call(script).await;
    let incoming = rx.recv().await.unwrap();
    assert!(
        matches!(&incoming, NetworkReport::Incoming { call: c, number, caller }
            if *c == call && number == "+18005550100" && caller == "+15550001"),
        "{incoming:?}"
    );
    call
}

#[tokio::test(start_paused = true)]
async fn a_caller_whose_patience_runs_out_hangs_up_then() {
    let (net, mut rx) = SimNetwork::new(1, 16);
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    assert_eq!(net.stats().waiting, 1);
    net.answer(call).unwrap();
    net.play(call, "welcome").unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(30), NetworkReport::CallerHungUp { call })
    );
    let stats = net.stats();
    assert_eq!((stats.placed, stats.answered, stats.abandoned), (1, 1, 1));
    assert_eq!((stats.live, stats.waiting), (0, 0));
    assert_eq!(net.answer(call), Err(TelephonyError::UnknownCall(call)));
    assert_eq!(net.hang_up(call), Err(TelephonyError::UnknownCall(call)));
}

#[tokio::test(start_paused = true)]
async fn a_bridged_caller_talks_for_the_drawn_time_then_hangs_up() {
    let (net, mut rx) = SimNetwork::new(2, 16);
    let a = agent(1);
    net.add_agent(a, answering(1.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    tokio::time::sleep(secs(50)).await;
    net.bridge(call, a).unwrap();
    assert_eq!(net.stats().talking, 1);
    // Patience stopped at the bridge: no hang-up at 60 s.
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(150), NetworkReport::CallerHungUp { call })
    );
    let stats = net.stats();
    assert_eq!((stats.bridged, stats.completed, stats.abandoned), (1, 1, 0));
    assert_eq!((stats.live, stats.talking), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn time_on_hold_does_not_count_as_talk() {
    let (net, mut rx) = SimNetwork::new(3, 16);
    let a = agent(1);
    net.add_agent(a, answering(1.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    net.bridge(call, a).unwrap();
    tokio::time::sleep(secs(20)).await;
    net.hold(call).unwrap();
    net.hold(call).unwrap();
    assert_eq!(net.stats().on_hold, 1);
    // On hold far longer than the caller's patience: they stay.
    tokio::time::sleep(secs(300)).await;
    net.resume(call).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(400), NetworkReport::CallerHungUp { call })
    );
}

#[tokio::test(start_paused = true)]
async fn keyed_digits_are_reported_one_second_a_digit() {
    let (net, mut rx) = SimNetwork::new(4, 16);
    let t0 = Instant::now();
    let mut keying = script(60.0, 100.0);
    keying.digits = Some("42".into());
    let call = arrive(&net, &mut rx, keying).await;
    net.collect_digits(call, 4, secs(10)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (
            secs(2),
            NetworkReport::Digits {
                call,
                digits: "42".into()
            }
        )
    );
    net.collect_digits(call, 4, secs(10)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(12), NetworkReport::DigitsTimedOut { call })
    );
}

#[tokio::test(start_paused = true)]
async fn a_caller_with_nothing_to_key_times_out() {
    let (net, mut rx) = SimNetwork::new(5, 16);
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    net.collect_digits(call, 1, secs(8)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(8), NetworkReport::DigitsTimedOut { call })
    );
}

#[tokio::test(start_paused = true)]
async fn an_agent_answers_a_ring_after_its_delay() {
    let (net, mut rx) = SimNetwork::new(6, 16);
    let a = agent(1);
    net.add_agent(a, answering(5.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    net.ring_agent(call, a, secs(20)).unwrap();
    net.ring_agent(call, a, secs(20)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(5), NetworkReport::AgentAnswered { call, agent: a })
    );
    net.bridge(call, a).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(105), NetworkReport::CallerHungUp { call })
    );
    let stats = net.stats();
    assert_eq!((stats.rings, stats.ring_answers), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn stop_ringing_cancels_the_answer() {
    let (net, mut rx) = SimNetwork::new(7, 16);
    let a = agent(1);
    net.add_agent(a, answering(5.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    net.ring_agent(call, a, secs(20)).unwrap();
    tokio::time::sleep(secs(3)).await;
    net.stop_ringing(call, a).unwrap();
    net.stop_ringing(call, a).unwrap();
    // No AgentAnswered at 5 s: the next report is the caller giving up.
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(60), NetworkReport::CallerHungUp { call })
    );
}

#[tokio::test(start_paused = true)]
async fn a_caller_who_hangs_up_first_is_never_answered() {
    let (net, mut rx) = SimNetwork::new(8, 16);
    let a = agent(1);
    net.add_agent(a, answering(10.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(5.0, 100.0)).await;
    net.ring_agent(call, a, secs(20)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(5), NetworkReport::CallerHungUp { call })
    );
    assert_quiet(&mut rx).await;
}

#[tokio::test(start_paused = true)]
async fn a_ring_answered_too_late_rings_out() {
    let (net, mut rx) = SimNetwork::new(9, 16);
    let a = agent(1);
    net.add_agent(a, answering(25.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
    net.ring_agent(call, a, secs(20)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(60), NetworkReport::CallerHungUp { call })
    );
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_never_answers_declines_some_rings_and_lets_the_rest_ring_out() {
    let (net, mut rx) = SimNetwork::new(10, 1024);
    let a = agent(1);
    net.add_agent(
        a,
        AgentModel {
            answer_delay: fixed(2.0),
            answer_probability: 0.0,
        },
    );
    let mut calls = Vec::new();
    for _ in 0..200 {
        let call = arrive(&net, &mut rx, script(60.0, 100.0)).await;
        net.ring_agent(call, a, secs(20)).unwrap();
        calls.push(call);
    }
    let mut declined = 0;
    for _ in 0..400 {
        match rx.recv().await.unwrap() {
            NetworkReport::AgentDeclined { agent, .. } if agent == a => declined += 1,
            NetworkReport::CallerHungUp { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
        if net.stats().live == 0 && net.stats().ring_declines == declined {
            break;
        }
    }
    // A quarter of 200 rings: 50, with a standard deviation of about 6.
    assert!((25..=75).contains(&declined), "{declined} declines");
    let stats = net.stats();
    assert_eq!(
        (stats.rings, stats.ring_answers, stats.abandoned),
        (200, 0, 200)
    );
}

#[tokio::test(start_paused = true)]
async fn a_dial_back_is_answered_and_then_talks() {
    let (net, mut rx) = SimNetwork::new(11, 16);
    let a = agent(1);
    net.add_agent(a, answering(1.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    assert_eq!(
        net.originate(call, "+15550001"),
        Err(TelephonyError::CallInProgress(call))
    );
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(30), NetworkReport::CallerHungUp { call })
    );
    net.originate(call, "+15550001").unwrap();
    assert_eq!(net.stats().dialing, 1);
    assert_eq!(net.bridge(call, a), Err(TelephonyError::StillDialing(call)));
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(36), NetworkReport::CalleeAnswered { call })
    );
    net.bridge(call, a).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(136), NetworkReport::CallerHungUp { call })
    );
    let stats = net.stats();
    assert_eq!(
        (stats.dials, stats.dial_answers, stats.completed),
        (1, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_dial_back_to_a_caller_who_does_not_pick_up_fails() {
    let (net, mut rx) = SimNetwork::new(12, 16);
    let t0 = Instant::now();
    let mut shy = script(30.0, 100.0);
    shy.callee_answers = false;
    let call = arrive(&net, &mut rx, shy).await;
    net.hang_up(call).unwrap();
    net.originate(call, "+15550001").unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (
            secs(25),
            NetworkReport::DialFailed {
                call,
                reason: DialFailure::NoAnswer
            }
        )
    );
    let other = CallId::generate();
    net.originate(other, "+15559999").unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (
            secs(27),
            NetworkReport::DialFailed {
                call: other,
                reason: DialFailure::Failed
            }
        )
    );
    assert_eq!(net.stats().dial_failures, 2);
    assert_eq!(net.stats().live, 0);
}

#[tokio::test(start_paused = true)]
async fn hang_up_ends_the_call_quietly() {
    let (net, mut rx) = SimNetwork::new(13, 16);
    let a = agent(1);
    net.add_agent(a, answering(5.0));
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    net.ring_agent(call, a, secs(20)).unwrap();
    net.collect_digits(call, 1, secs(10)).unwrap();
    net.hang_up(call).unwrap();
    assert_quiet(&mut rx).await;
    let stats = net.stats();
    assert_eq!(
        (stats.ended_by_system, stats.live, stats.waiting),
        (1, 0, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_conference_keeps_the_others_when_one_agent_drops() {
    let (net, mut rx) = SimNetwork::new(14, 16);
    let (a, b) = (agent(1), agent(2));
    net.add_agent(a, answering(1.0));
    net.add_agent(b, answering(1.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    assert_eq!(
        net.conference(call, b),
        Err(TelephonyError::NotConnected(call))
    );
    net.bridge(call, a).unwrap();
    assert_eq!(
        net.bridge(call, b),
        Err(TelephonyError::AlreadyBridged { call, agent: a })
    );
    net.hold(call).unwrap();
    net.ring_agent(call, b, secs(20)).unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(1), NetworkReport::AgentAnswered { call, agent: b })
    );
    net.conference(call, b).unwrap();
    assert_eq!(net.stats().talking, 1);
    net.drop_agent(call, a).unwrap();
    assert_eq!(
        net.drop_agent(call, a),
        Err(TelephonyError::AgentNotOnCall { call, agent: a })
    );
    // On hold for 1 s of the 100 s conversation.
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(101), NetworkReport::CallerHungUp { call })
    );
}

#[tokio::test(start_paused = true)]
async fn an_agent_hanging_up_leaves_the_caller_waiting_again() {
    let (net, mut rx) = SimNetwork::new(15, 16);
    let a = agent(1);
    net.add_agent(a, answering(1.0));
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    net.bridge(call, a).unwrap();
    tokio::time::sleep(secs(10)).await;
    net.agent_hangs_up(call, a).await.unwrap();
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(10), NetworkReport::AgentHungUp { call, agent: a })
    );
    assert_eq!(net.stats().waiting, 1);
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(40), NetworkReport::CallerHungUp { call })
    );
}

#[tokio::test(start_paused = true)]
async fn commands_on_unknown_calls_agents_or_a_closed_network_are_refused() {
    let (net, mut rx) = SimNetwork::new(16, 16);
    let ghost = CallId::generate();
    let nobody = agent(99);
    assert_eq!(net.answer(ghost), Err(TelephonyError::UnknownCall(ghost)));
    assert_eq!(
        net.ring_agent(ghost, nobody, secs(1)),
        Err(TelephonyError::UnknownCall(ghost))
    );
    let call = arrive(&net, &mut rx, script(30.0, 100.0)).await;
    assert_eq!(
        net.ring_agent(call, nobody, secs(1)),
        Err(TelephonyError::UnknownAgent(nobody))
    );
    assert_eq!(
        net.bridge(call, nobody),
        Err(TelephonyError::UnknownAgent(nobody))
    );
    assert_eq!(net.hold(call), Err(TelephonyError::NotConnected(call)));
    assert_eq!(
        net.caller_hangs_up(ghost).await,
        Err(TelephonyError::UnknownCall(ghost))
    );
    drop(rx);
    assert_eq!(net.answer(call), Err(TelephonyError::Closed));
    assert_eq!(net.caller_hangs_up(call).await, Err(TelephonyError::Closed));
}

#[test]
fn scripts_and_models_name_the_bad_field() {
    let mut bad = script(30.0, 100.0);
    bad.talk = Dist::Exponential { mean_secs: -1.0 };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "talk: exponential mean_secs is -1: it must not be negative"
    );
    let model = AgentModel {
        answer_delay: fixed(1.0),
        answer_probability: f64::NAN,
    };
    assert_eq!(
        model.validate().unwrap_err().to_string(),
        "answer_probability is NaN: it must be a probability, from 0 to 1"
    );
    assert_eq!(script(30.0, 100.0).validate(), Ok(()));
}

#[test]
fn call_ids_increase_as_calls_are_placed_and_repeat_for_a_seed() {
    let mut rng = StdRng::seed_from_u64(17);
    let ids: Vec<CallId> = (1..=50).map(|n| call_id(n, &mut rng)).collect();
    let id = ids[0].to_string();
    assert!(id.starts_with("00000000-0001-8"), "{id}");
    assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let again = call_id(1, &mut StdRng::seed_from_u64(17));
    assert_eq!(ids[0], again);
    assert_ne!(ids[0], call_id(1, &mut StdRng::seed_from_u64(18)));
}

/// A small contact center on the simulated network: arrivals, an IVR menu, two agents
/// rung in turn, and a queue. Returns every report with its virtual time, in order.
fn run_morning(seed: u64) -> Vec<(Duration, NetworkReport)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (net, mut rx) = SimNetwork::new(seed, 8);
        let agents = [agent(1), agent(2), agent(3)];
        for (i, a) in agents.iter().enumerate() {
            net.add_agent(
                *a,
                AgentModel {
                    answer_delay: Dist::Exponential {
                        mean_secs: 2.0 + i as f64,
                    },
                    answer_probability: 0.8,
                },
            );
        }
        let t0 = Instant::now();
        let driver = net.clone();
        tokio::spawn(async move {
            let mut arrivals = Arrivals::new(1.0 / 20.0, seed).unwrap();
            for i in 0..150 {
                tokio::time::sleep(arrivals.next().unwrap()).await;
                driver
                    .place_call(CallerScript {
                        number: "+18005550100".into(),
                        caller: format!("+1555{i:07}"),
                        digits: (i % 3 != 0).then(|| "1".into()),
                        patience: Dist::Exponential { mean_secs: 90.0 },
                        talk: Dist::LogNormal {
                            mean_secs: 60.0,
                            sd_secs: 30.0,
                        },
                        callee_answers: true,
                    })
                    .await;
            }
        });
        // The switchboard: free agents, calls waiting for one, who rings or talks on what.
        let mut free: Vec<AgentId> = agents.to_vec();
        let mut queue: Vec<CallId> = Vec::new();
        let mut busy: Vec<(CallId, AgentId)> = Vec::new();
        let mut log = Vec::new();
        while let Ok(Some(report)) = tokio::time::timeout(secs(3600), rx.recv()).await {
            log.push((t0.elapsed(), report.clone()));
            let call = report.call();
            match report {
                // A command may meet a caller who has just hung up, whose report is still
                // on its way: the refusal is part of the run, like everything else.
                NetworkReport::Incoming { .. } => {
                    let _ = net.answer(call);
                    let _ = net.collect_digits(call, 1, secs(5));
                }
                NetworkReport::Digits { .. } | NetworkReport::DigitsTimedOut { .. } => {
                    queue.push(call)
                }
                NetworkReport::AgentAnswered { agent, .. } => {
                    let _ = net.bridge(call, agent);
                }
                NetworkReport::AgentDeclined { agent, .. } => {
                    busy.retain(|(_, a)| *a != agent);
                    free.push(agent);
                    queue.insert(0, call);
                }
                NetworkReport::CallerHungUp { .. } => {
                    queue.retain(|c| *c != call);
                    for (_, a) in busy.iter().filter(|(c, _)| *c == call) {
                        free.push(*a);
                    }
                    busy.retain(|(c, _)| *c != call);
                }
                other => panic!("unexpected {other:?}"),
            }
            while !free.is_empty() && !queue.is_empty() {
                let (call, agent) = (queue.remove(0), free.remove(0));
                // A ring that rings out keeps the agent until the caller gives up: crude,
                // but deterministic, which is what this test is about.
                match net.ring_agent(call, agent, secs(15)) {
                    Ok(()) => busy.push((call, agent)),
                    Err(_) => free.insert(0, agent),
                }
            }
        }
        log
    })
}

#[test]
fn the_same_seed_gives_the_same_reports_at_the_same_times() {
    let first = run_morning(42);
    let second = run_morning(42);
    assert!(first.len() > 400, "{} reports", first.len());
    assert!(
        first
            .iter()
            .any(|(_, r)| matches!(r, NetworkReport::AgentDeclined { .. }))
    );
    assert!(
        first
            .iter()
            .any(|(_, r)| matches!(r, NetworkReport::DigitsTimedOut { .. }))
    );
    assert_eq!(first, second);
    assert_ne!(first, run_morning(43));
}

/// A hundred thousand callers waiting at once, then all giving up.
#[tokio::test(start_paused = true)]
async fn a_hundred_thousand_concurrent_calls() {
    const CALLS: u64 = 100_000;
    let (net, mut rx) = SimNetwork::new(18, 1024);
    let counter = tokio::spawn(async move {
        let mut hung_up = 0;
        while let Some(report) = rx.recv().await {
            if matches!(report, NetworkReport::CallerHungUp { .. }) {
                hung_up += 1;
                if hung_up == CALLS {
                    break;
                }
            }
        }
        hung_up
    });
    for _ in 0..CALLS {
        net.place_call(CallerScript {
            number: "+18005550100".into(),
            caller: "+15550001".into(),
            digits: None,
            patience: fixed(600.0),
            talk: fixed(60.0),
            callee_answers: false,
        })
        .await;
    }
    let stats = net.stats();
    assert_eq!((stats.live, stats.waiting), (CALLS, CALLS));
    assert_eq!(counter.await.unwrap(), CALLS);
    assert_eq!(net.stats().abandoned, CALLS);
    assert_eq!(net.stats().live, 0);
}

#[tokio::test(start_paused = true)]
async fn a_person_picks_up_a_phone_whose_model_never_answers() {
    let (net, mut rx) = SimNetwork::new(9, 16);
    let a = agent(1);
    net.add_agent(a, AgentModel::by_hand());
    let t0 = Instant::now();
    let call = arrive(&net, &mut rx, script(600.0, 100.0)).await;
    assert_eq!(
        net.pick_up(call, a),
        Err(TelephonyError::AgentNotOnCall { call, agent: a }),
        "nothing rings yet"
    );
    net.ring_agent(call, a, secs(30)).unwrap();
    tokio::time::sleep(secs(4)).await;
    net.pick_up(call, a).unwrap();
    assert!(net.pick_up(call, a).is_err(), "picked up already");
    assert_eq!(
        next(&mut rx, t0).await,
        (secs(4), NetworkReport::AgentAnswered { call, agent: a })
    );
}

#[tokio::test(start_paused = true)]
async fn a_campaign_dial_follows_its_lead_script() {
    let (net, mut rx) = SimNetwork::new(13, 16);
    let a = agent(1);
    net.add_agent(a, answering(1.0));
    let person = OutboundScript {
        person: 1.0,
        machine: 0.0,
        busy: 0.0,
        time_to_answer: fixed(8.0),
        patience: fixed(5.0),
        talk: fixed(60.0),
        amd_accuracy: 1.0,
        ..OutboundScript::default()
    };
    let machine = OutboundScript {
        person: 0.0,
        machine: 1.0,
        ..person.clone()
    };
    net.add_lead("+12125550101", person);
    net.set_outbound(machine);
    let t0 = Instant::now();
    let (p, m) = (CallId::generate(), CallId::generate());
    net.originate(p, "+12125550101").unwrap();
    net.originate(m, "+12125550102").unwrap();
    // AMD listens 1.5 s after the answer before it reports.
    assert_eq!(
        next(&mut rx, t0).await,
        (
            Duration::from_millis(9_500),
            NetworkReport::CalleeAnswered { call: p }
        )
    );
    assert_eq!(
        next(&mut rx, t0).await,
        (
            Duration::from_millis(9_500),
            NetworkReport::DialFailed {
                call: m,
                reason: DialFailure::AnsweringMachine
            }
        )
    );
    // Nobody speaks to the person: they hang up after their patience.
    assert_eq!(
        next(&mut rx, t0).await,
        (
            Duration::from_millis(14_500),
            NetworkReport::CallerHungUp { call: p }
        )
    );
}
