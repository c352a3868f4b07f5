//! The campaign's core as given-when-then tables: its life, its leads, which lead comes
//! next, the checks at the moment of dialing, retries, appointments and dispositions.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use hotline_events::{
    AgentId, AttemptOutcome, BlockReason, CallId, CampaignEvent as E, CampaignSettings, ClockTime,
    CloseReason, DialMode, LeadId, Timestamp,
};
use uuid::Uuid;

use super::hours::Outside;
use super::*;
use crate::decider::spec::{at, given, t0};

fn lead(n: u128) -> LeadId {
    LeadId::from_uuid(Uuid::from_u128(n))
}
fn call(n: u128) -> CallId {
    CallId::from_uuid(Uuid::from_u128(0x100 + n))
}
fn agent(n: u128) -> AgentId {
    AgentId::from_uuid(Uuid::from_u128(0x200 + n))
}
fn phone(n: u128) -> String {
    format!("+4420718387{n:02}")
}
const MIN: u64 = 60_000;

fn created_with(settings: CampaignSettings) -> Vec<E> {
    vec![
        E::Created {
            name: "Winter renewals".into(),
            dial_mode: settings.dial_mode,
            max_abandon_rate: settings.max_abandon_rate,
        },
        E::Configured(settings),
    ]
}
fn created() -> Vec<E> {
    created_with(CampaignSettings::default())
}
/// A lead in London (09:00 local at the tests' start, inside the default 08:00-21:00).
fn added(n: u128, priority: u8) -> E {
    added_in(n, priority, "Europe/London")
}
fn added_in(n: u128, priority: u8, zone: &str) -> E {
    E::LeadAdded {
        lead: lead(n),
        phone: phone(n),
        time_zones: vec![zone.into()],
        priority,
        fields: BTreeMap::new(),
    }
}
/// Created, with these leads, started.
fn running(leads: impl IntoIterator<Item = E>) -> Vec<E> {
    let mut h = created();
    h.extend(leads);
    h.push(E::Started);
    h
}
fn dialed(n: u128, c: u128, attempt: u32) -> E {
    E::AttemptDialed {
        lead: lead(n),
        call: call(c),
        number: phone(n),
        attempt,
    }
}
fn ended(n: u128, c: u128, outcome: AttemptOutcome) -> E {
    E::AttemptEnded {
        lead: lead(n),
        call: call(c),
        outcome,
    }
}
fn with(mut h: Vec<E>, more: impl IntoIterator<Item = E>) -> Vec<E> {
    h.extend(more);
    h
}
fn add_lead(n: u128, phone: &str, zone: &str) -> CampaignCommand {
    CampaignCommand::AddLead {
        lead: lead(n),
        phone: phone.into(),
        time_zones: vec![zone.into()],
        priority: 0,
        fields: BTreeMap::new(),
    }
}
fn dial(n: u128, c: u128) -> CampaignCommand {
    CampaignCommand::Dial {
        lead: lead(n),
        call: call(c),
        agent: None,
    }
}
fn disposition(n: u128, c: u128, name: &str) -> CampaignCommand {
    CampaignCommand::Disposition {
        lead: lead(n),
        call: call(c),
        disposition: name.into(),
        callback: None,
    }
}

// ---------------------------------------------------------------------------------------
// Its life

#[test]
fn a_campaign_is_created_with_its_rules() {
    let settings = CampaignSettings {
        dial_mode: DialMode::Progressive,
        ..CampaignSettings::default()
    };
    let s = given::<Campaign>([])
        .when(CampaignCommand::Create {
            name: " Winter renewals ".into(),
            settings: settings.clone(),
        })
        .then(created_with(settings.clone()));
    assert_eq!(s.status, Status::Draft);
    assert_eq!(s.settings, settings);
    given::<Campaign>(created())
        .when(CampaignCommand::Create {
            name: "again".into(),
            settings,
        })
        .then_err(CampaignRejection::AlreadyCreated);
}

#[test]
fn rules_that_make_no_sense_are_refused_naming_the_field() {
    let above_the_ceiling = CampaignSettings {
        max_abandon_rate: 0.05,
        ..CampaignSettings::default()
    };
    let mut empty_hours = CampaignSettings::default();
    empty_hours.calling_hours.to = ClockTime::parse("07:00").unwrap();
    let mut retried_connect = CampaignSettings::default();
    retried_connect.retries[1].outcome = AttemptOutcome::Connected;
    let mut recycle_without_delay = CampaignSettings::default();
    recycle_without_delay.dispositions[3].delay_ms = None;
    for (settings, field) in [
        (above_the_ceiling, "max_abandon_rate"),
        (empty_hours, "calling_hours"),
        (retried_connect, "retries[1].outcome"),
        (recycle_without_delay, "dispositions[3].delay"),
    ] {
        let result = Campaign::decide(
            &CampaignState::default(),
            &CampaignCommand::Create {
                name: "x".into(),
                settings,
            },
            t0(),
        );
        match result {
            Err(CampaignRejection::BadSettings { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    given::<Campaign>([])
        .when(CampaignCommand::Create {
            name: "  ".into(),
            settings: CampaignSettings::default(),
        })
        .then_err(CampaignRejection::NoName);
}

#[test]
fn a_campaign_starts_with_leads_pauses_resumes_and_stops_for_good() {
    given::<Campaign>(created())
        .when(CampaignCommand::Start)
        .then_err(CampaignRejection::NoLeads);
    let s = given::<Campaign>(with(created(), [added(1, 0)]))
        .when(CampaignCommand::Start)
        .then([E::Started]);
    assert_eq!(s.status, Status::Running);
    given::<Campaign>(running([added(1, 0)]))
        .when(CampaignCommand::Resume)
        .then_err(CampaignRejection::NotPaused("running"));
    given::<Campaign>(running([added(1, 0)]))
        .when(CampaignCommand::Pause)
        .then([E::Paused]);
    given::<Campaign>(with(running([added(1, 0)]), [E::Paused]))
        .when(CampaignCommand::Start)
        .then_err(CampaignRejection::CannotStart("paused"));
    given::<Campaign>(with(running([added(1, 0)]), [E::Paused]))
        .when(CampaignCommand::Resume)
        .then([E::Resumed]);
    given::<Campaign>(with(running([added(1, 0)]), [E::Paused]))
        .when(CampaignCommand::Stop)
        .then([E::Stopped]);
    given::<Campaign>(with(running([added(1, 0)]), [E::Stopped]))
        .when(add_lead(2, &phone(2), "Europe/London"))
        .then_err(CampaignRejection::Final("stopped"));
}

#[test]
fn the_rules_change_only_while_nothing_is_dialed() {
    let settings = CampaignSettings {
        max_abandon_rate: 0.02,
        ..CampaignSettings::default()
    };
    given::<Campaign>(running([added(1, 0)]))
        .when(CampaignCommand::Configure {
            settings: settings.clone(),
        })
        .then_err(CampaignRejection::Dialing);
    let s = given::<Campaign>(with(running([added(1, 0)]), [E::Paused]))
        .when(CampaignCommand::Configure {
            settings: settings.clone(),
        })
        .then([E::Configured(settings)]);
    assert_eq!(s.settings.max_abandon_rate, 0.02);
}

#[test]
fn a_campaign_completes_only_when_every_lead_is_closed() {
    given::<Campaign>(running([added(1, 0), added(2, 0)]))
        .when(CampaignCommand::Complete)
        .then_err(CampaignRejection::LeadsOpen(2));
    given::<Campaign>(with(
        running([added(1, 0)]),
        [E::LeadClosed {
            lead: lead(1),
            reason: CloseReason::Disposition,
        }],
    ))
    .when(CampaignCommand::Complete)
    .then([E::Completed]);
}

// ---------------------------------------------------------------------------------------
// Leads and the do-not-call list

#[test]
fn a_lead_is_added_edited_and_removed() {
    let s = given::<Campaign>(created())
        .when(add_lead(1, "+12125550100", "America/New_York"))
        .then([E::LeadAdded {
            lead: lead(1),
            phone: "+12125550100".into(),
            time_zones: vec!["America/New_York".into()],
            priority: 0,
            fields: BTreeMap::new(),
        }]);
    assert_eq!(s.lead_with_phone("+12125550100"), Some(lead(1)));
    let edit = CampaignCommand::EditLead {
        lead: lead(1),
        phone: Some("+12125550101".into()),
        time_zones: None,
        priority: Some(9),
        fields: Some([("plan".to_owned(), "gold".to_owned())].into()),
    };
    let h = with(created(), [added(1, 0)]);
    let s = given::<Campaign>(h.clone())
        .when(edit)
        .then([E::LeadEdited {
            lead: lead(1),
            phone: Some("+12125550101".into()),
            time_zones: None,
            priority: Some(9),
            fields: Some([("plan".to_owned(), "gold".to_owned())].into()),
        }]);
    assert_eq!(s.leads[&lead(1)].priority, 9);
    assert_eq!(s.lead_with_phone("+12125550101"), Some(lead(1)));
    assert_eq!(s.lead_with_phone(&phone(1)), None);
    let s = given::<Campaign>(h)
        .when(CampaignCommand::RemoveLead { lead: lead(1) })
        .then([E::LeadRemoved { lead: lead(1) }]);
    assert!(s.leads.is_empty());
    assert_eq!(s.lead_with_phone(&phone(1)), None);
}

#[test]
fn a_lead_needs_a_new_e164_number_and_a_known_time_zone() {
    let h = with(created(), [added(1, 0)]);
    given::<Campaign>(h.clone())
        .when(add_lead(2, &phone(1), "Europe/London"))
        .then_err(CampaignRejection::DuplicatePhone {
            phone: phone(1),
            lead: lead(1),
        });
    given::<Campaign>(h.clone())
        .when(add_lead(2, "020 7183 8750", "Europe/London"))
        .then_err(CampaignRejection::NotE164("020 7183 8750".into()));
    given::<Campaign>(h.clone())
        .when(add_lead(2, &phone(2), "Europe/Londres"))
        .then_err(CampaignRejection::UnknownTimeZone("Europe/Londres".into()));
    given::<Campaign>(h.clone())
        .when(add_lead(1, &phone(2), "Europe/London"))
        .then_err(CampaignRejection::DuplicateLead(lead(1)));
    given::<Campaign>(with(
        h,
        [E::DoNotCallAdded {
            numbers: vec![phone(2)],
            source: "dnc.csv".into(),
        }],
    ))
    .when(add_lead(2, &phone(2), "Europe/London"))
    .then_err(CampaignRejection::OnDoNotCall(phone(2)));
}

#[test]
fn a_lead_on_a_call_can_be_neither_edited_nor_removed() {
    let h = with(running([added(1, 0)]), [dialed(1, 1, 1)]);
    given::<Campaign>(h.clone())
        .when(CampaignCommand::RemoveLead { lead: lead(1) })
        .then_err(CampaignRejection::LeadBusy(lead(1)));
    given::<Campaign>(h)
        .when(CampaignCommand::EditLead {
            lead: lead(1),
            phone: None,
            time_zones: None,
            priority: Some(1),
            fields: None,
        })
        .then_err(CampaignRejection::LeadBusy(lead(1)));
}

#[test]
fn numbers_added_to_the_do_not_call_list_close_their_waiting_leads() {
    // Lead 2 is on a call: its attempt ends first (and its next dial is blocked).
    let h = with(
        running([added(1, 0), added(2, 0), added(3, 0)]),
        [dialed(2, 1, 1)],
    );
    let s = given::<Campaign>(h)
        .when(CampaignCommand::AddDoNotCall {
            numbers: vec![phone(1), phone(2), phone(1), "+15555550199".into()],
            source: "dnc.csv".into(),
        })
        .then([
            E::DoNotCallAdded {
                numbers: vec![phone(1), phone(2), "+15555550199".into()],
                source: "dnc.csv".into(),
            },
            E::LeadClosed {
                lead: lead(1),
                reason: CloseReason::DoNotCall,
            },
        ]);
    assert_eq!(s.open_leads(), 2);
    // Adding them again changes nothing.
    let again = Campaign::decide(
        &s,
        &CampaignCommand::AddDoNotCall {
            numbers: vec![phone(1)],
            source: "dnc.csv".into(),
        },
        at(60),
    );
    assert_eq!(again, Ok(vec![]));
}

// ---------------------------------------------------------------------------------------
// Which lead next

#[test]
fn higher_priority_first_then_due_retries_then_the_lists_order() {
    let h = running([added(1, 0), added(2, 5), added(3, 5), added(4, 0)]);
    let s = given::<Campaign>(h.clone()).state().clone();
    let now = at(10);
    assert_eq!(s.next_lead(now, &[]).map(|n| n.lead), Some(lead(2)));
    // Lead 3 was dialed, busy, and its retry is due: it goes before lead 2's first try.
    let s = given::<Campaign>(with(
        h,
        [
            dialed(3, 1, 1),
            ended(3, 1, AttemptOutcome::Busy),
            E::RetryScheduled {
                lead: lead(3),
                due: at(8),
            },
        ],
    ))
    .state()
    .clone();
    assert_eq!(s.next_lead(now, &[]).map(|n| n.lead), Some(lead(3)));
    // Before it is due, lead 2.
    assert_eq!(s.next_lead(at(7), &[]).map(|n| n.lead), Some(lead(2)));
    assert_eq!(s.next_due(at(7)), Some(at(8)));
}

#[test]
fn a_lead_outside_its_calling_hours_or_on_the_do_not_call_list_is_skipped() {
    // 09:00 UTC: 01:00 in Los Angeles.
    let h = running([
        added_in(1, 9, "America/Los_Angeles"),
        added(2, 0),
        added(3, 5),
    ]);
    let h = with(
        h,
        [E::DoNotCallAdded {
            numbers: vec![phone(3)],
            source: "operator".into(),
        }],
    );
    let s = given::<Campaign>(h).state().clone();
    assert_eq!(s.next_lead(at(10), &[]).map(|n| n.lead), Some(lead(2)));
    // 16:00 UTC is 08:00 in Los Angeles: its priority wins.
    let afternoon = Timestamp::parse("2026-11-24T16:00:00.000Z").unwrap();
    assert_eq!(s.next_lead(afternoon, &[]).map(|n| n.lead), Some(lead(1)));
    // 21:00 UTC is 21:00 in London: nobody is dialed there.
    let evening = Timestamp::parse("2026-11-24T21:00:00.000Z").unwrap();
    assert_eq!(s.next_lead(evening, &[]).map(|n| n.lead), Some(lead(1)));
}

#[test]
fn an_appointment_comes_first_at_its_time_for_its_agent_when_ready() {
    let callback_at = at(3600);
    let h = with(
        running([added(1, 0), added(2, 9)]),
        [
            dialed(1, 1, 1),
            ended(1, 1, AttemptOutcome::Connected),
            E::Dispositioned {
                lead: lead(1),
                call: call(1),
                disposition: "appointment".into(),
            },
            E::CallbackScheduled {
                lead: lead(1),
                at: callback_at,
                agent: Some(agent(7)),
            },
        ],
    );
    let s = given::<Campaign>(h.clone()).state().clone();
    // Not before its time.
    assert_eq!(
        s.next_lead(at(3599), &[agent(7)]).map(|n| n.lead),
        Some(lead(2))
    );
    // At its time, before a higher priority, for its agent.
    assert_eq!(
        s.next_lead(callback_at, &[agent(3), agent(7)]),
        Some(NextDial {
            lead: lead(1),
            agent: Some(agent(7)),
        })
    );
    // Its agent busy: it waits (the grace is 15 minutes) and others are dialed.
    assert_eq!(
        s.next_lead(callback_at, &[agent(3)]).map(|n| n.lead),
        Some(lead(2))
    );
    given::<Campaign>(h.clone())
        .at(callback_at)
        .when(CampaignCommand::Dial {
            lead: lead(1),
            call: call(2),
            agent: Some(agent(3)),
        })
        .then_err(CampaignRejection::AnotherAgentsCallback {
            lead: lead(1),
            agent: agent(7),
            until: callback_at.plus_millis(15 * MIN),
        });
    // After the grace, any agent takes it.
    let late = callback_at.plus_millis(15 * MIN);
    assert_eq!(
        s.next_lead(late, &[agent(3)]),
        Some(NextDial {
            lead: lead(1),
            agent: None,
        })
    );
    given::<Campaign>(h)
        .at(late)
        .when(dial(1, 2))
        .then([dialed(1, 2, 2)]);
}

// ---------------------------------------------------------------------------------------
// The moment of dialing

#[test]
fn a_due_lead_is_dialed_with_its_attempt_number() {
    let s = given::<Campaign>(running([added(1, 0)]))
        .when(dial(1, 1))
        .then([dialed(1, 1, 1)]);
    assert_eq!(s.in_flight(), 1);
    given::<Campaign>(with(running([added(1, 0)]), [dialed(1, 1, 1)]))
        .when(dial(1, 2))
        .then_err(CampaignRejection::LeadBusy(lead(1)));
    given::<Campaign>(with(running([added(1, 0)]), [E::Paused]))
        .when(dial(1, 1))
        .then_err(CampaignRejection::NotRunning("paused"));
}

#[test]
fn a_dial_outside_the_leads_calling_hours_is_blocked() {
    // 09:00 UTC is 01:00 in Los Angeles.
    given::<Campaign>(running([added_in(1, 0, "America/Los_Angeles")]))
        .when(dial(1, 1))
        .then([E::DialBlocked {
            lead: lead(1),
            number: phone(1),
            reason: BlockReason::OutsideCallingHours,
        }]);
}

#[test]
fn a_number_put_on_the_do_not_call_list_during_a_call_is_never_dialed_again() {
    let h = with(
        running([added(1, 0)]),
        [
            dialed(1, 1, 1),
            E::DoNotCallAdded {
                numbers: vec![phone(1)],
                source: "operator".into(),
            },
        ],
    );
    let s = given::<Campaign>(h.clone())
        .when(CampaignCommand::EndAttempt {
            lead: lead(1),
            call: call(1),
            outcome: AttemptOutcome::Busy,
        })
        .then([
            ended(1, 1, AttemptOutcome::Busy),
            E::RetryScheduled {
                lead: lead(1),
                due: at(6).plus_millis(10 * MIN),
            },
        ]);
    let later = at(6).plus_millis(10 * MIN);
    assert_eq!(s.next_lead(later, &[]), None, "the dialer skips it");
    let h = with(
        h,
        [
            ended(1, 1, AttemptOutcome::Busy),
            E::RetryScheduled {
                lead: lead(1),
                due: at(5),
            },
        ],
    );
    let s = given::<Campaign>(h).at(later).when(dial(1, 2)).then([
        E::DialBlocked {
            lead: lead(1),
            number: phone(1),
            reason: BlockReason::DoNotCall,
        },
        E::LeadClosed {
            lead: lead(1),
            reason: CloseReason::DoNotCall,
        },
    ]);
    assert_eq!(s.open_leads(), 0);
}

#[test]
fn a_preview_campaign_dials_for_the_agent_who_saw_the_lead() {
    let settings = CampaignSettings {
        dial_mode: DialMode::Preview,
        ..CampaignSettings::default()
    };
    let h = with(created_with(settings), [added(1, 0), E::Started]);
    given::<Campaign>(h.clone())
        .when(dial(1, 1))
        .then_err(CampaignRejection::PreviewNeedsAgent);
    given::<Campaign>(h)
        .when(CampaignCommand::Dial {
            lead: lead(1),
            call: call(1),
            agent: Some(agent(1)),
        })
        .then([dialed(1, 1, 1)]);
}

// ---------------------------------------------------------------------------------------
// Outcomes, retries and dispositions

#[test]
fn each_outcome_retries_after_its_delay_until_its_attempts_run_out() {
    // No answer: an hour later, at most 4 attempts.
    let h = with(running([added(1, 0)]), [dialed(1, 1, 3)]);
    let end = |outcome| CampaignCommand::EndAttempt {
        lead: lead(1),
        call: call(1),
        outcome,
    };
    given::<Campaign>(h.clone())
        .when(end(AttemptOutcome::NoAnswer))
        .then([
            ended(1, 1, AttemptOutcome::NoAnswer),
            E::RetryScheduled {
                lead: lead(1),
                due: at(5).plus_millis(60 * MIN),
            },
        ]);
    // Answering machine: at most 3 attempts; this was the third.
    let s = given::<Campaign>(h.clone())
        .when(end(AttemptOutcome::AnsweringMachine))
        .then([
            ended(1, 1, AttemptOutcome::AnsweringMachine),
            E::LeadClosed {
                lead: lead(1),
                reason: CloseReason::AttemptsExhausted,
            },
        ]);
    assert_eq!(s.open_leads(), 0);
    // A connected call waits for the agent's disposition.
    let s = given::<Campaign>(h.clone())
        .when(end(AttemptOutcome::Connected))
        .then([ended(1, 1, AttemptOutcome::Connected)]);
    assert_eq!(
        s.leads[&lead(1)].status,
        LeadStatus::Connected { call: call(1) }
    );
    given::<Campaign>(h)
        .when(CampaignCommand::EndAttempt {
            lead: lead(1),
            call: call(9),
            outcome: AttemptOutcome::Busy,
        })
        .then_err(CampaignRejection::NoSuchAttempt {
            lead: lead(1),
            call: call(9),
        });
}

#[test]
fn an_outcome_without_a_retry_rule_closes_the_lead() {
    let mut settings = CampaignSettings::default();
    settings
        .retries
        .retain(|r| r.outcome != AttemptOutcome::Failed);
    let h = with(
        created_with(settings),
        [added(1, 0), E::Started, dialed(1, 1, 1)],
    );
    given::<Campaign>(h)
        .when(CampaignCommand::EndAttempt {
            lead: lead(1),
            call: call(1),
            outcome: AttemptOutcome::Failed,
        })
        .then([
            ended(1, 1, AttemptOutcome::Failed),
            E::LeadClosed {
                lead: lead(1),
                reason: CloseReason::AttemptsExhausted,
            },
        ]);
}

fn connected() -> Vec<E> {
    with(
        running([added(1, 0)]),
        [dialed(1, 1, 1), ended(1, 1, AttemptOutcome::Connected)],
    )
}

#[test]
fn a_disposition_ends_or_recycles_its_lead() {
    given::<Campaign>(connected())
        .when(disposition(1, 1, "sale"))
        .then([
            E::Dispositioned {
                lead: lead(1),
                call: call(1),
                disposition: "sale".into(),
            },
            E::LeadClosed {
                lead: lead(1),
                reason: CloseReason::Disposition,
            },
        ]);
    given::<Campaign>(connected())
        .when(disposition(1, 1, "call_later"))
        .then([
            E::Dispositioned {
                lead: lead(1),
                call: call(1),
                disposition: "call_later".into(),
            },
            E::RetryScheduled {
                lead: lead(1),
                due: at(6).plus_millis(24 * 60 * MIN),
            },
        ]);
    given::<Campaign>(connected())
        .when(disposition(1, 1, "maybe"))
        .then_err(CampaignRejection::UnknownDisposition("maybe".into()));
    given::<Campaign>(running([added(1, 0)]))
        .when(disposition(1, 1, "sale"))
        .then_err(CampaignRejection::NotConnected {
            lead: lead(1),
            call: call(1),
        });
}

#[test]
fn an_appointment_is_booked_in_the_future_inside_the_leads_calling_hours() {
    let book = |when: Timestamp| CampaignCommand::Disposition {
        lead: lead(1),
        call: call(1),
        disposition: "appointment".into(),
        callback: Some((when, Some(agent(7)))),
    };
    // Tomorrow 14:00 UTC, 14:00 in London.
    let tomorrow = Timestamp::parse("2026-11-25T14:00:00.000Z").unwrap();
    given::<Campaign>(connected()).when(book(tomorrow)).then([
        E::Dispositioned {
            lead: lead(1),
            call: call(1),
            disposition: "appointment".into(),
        },
        E::CallbackScheduled {
            lead: lead(1),
            at: tomorrow,
            agent: Some(agent(7)),
        },
    ]);
    let night = Timestamp::parse("2026-11-25T22:30:00.000Z").unwrap();
    given::<Campaign>(connected()).when(book(night)).then_err(
        CampaignRejection::CallbackOutsideHours(Outside {
            zone: "Europe/London".into(),
            local: ClockTime::parse("22:30"),
            hours: CampaignSettings::default().calling_hours,
        }),
    );
    given::<Campaign>(connected())
        .when(book(at(1)))
        .then_err(CampaignRejection::CallbackInThePast);
    given::<Campaign>(connected())
        .when(disposition(1, 1, "appointment"))
        .then_err(CampaignRejection::CallbackNeedsTime("appointment".into()));
}
