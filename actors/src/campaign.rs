//! An outbound campaign: its rules, its lead list and do-not-call list, and the life of
//! each lead (dialed, retried, called back at an appointment, dispositioned, closed).
//! A pure core: the actor shell and the tests drive it; `pacing.rs` says how many lines
//! to dial, `next.rs` which lead comes next.
//!
//! The rules a campaign keeps:
//! - a number on the do-not-call list is never dialed: adding it closes the open leads
//!   that have it, a lead cannot be added with it, and a dial checks it once more at the
//!   moment of dialing (`dial_blocked`, and the lead is closed);
//! - a lead is never dialed outside the calling hours in its own time zone (every zone
//!   its number may be in), checked at the moment of dialing (`dial_blocked`);
//! - a lead has at most one attempt in flight; after each outcome the campaign's retry
//!   rule for it schedules the next attempt or closes the lead, and a connected call waits
//!   for the agent's disposition, which closes, recycles or books an appointment;
//! - the rules change only while the campaign is not dialing (before its start or
//!   paused); `stopped` and `completed` are final.

pub mod actor;
pub mod hours;
pub mod lead;
pub mod next;
pub mod pacing;
pub mod settings;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hotline_events::{
    AgentId, AttemptOutcome, BlockReason, CallId, CampaignEvent, CampaignSettings, CloseReason,
    DialMode, DispositionEffect, LeadId, Timestamp, normalize_phone,
};

use crate::decider::Decider;
pub use lead::{Lead, LeadStatus};
pub use next::NextDial;

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing happened yet.
    #[default]
    New,
    /// Created: rules and leads can be set up; nothing is dialed.
    Draft,
    Running,
    Paused,
    /// Ended by an operator. Final.
    Stopped,
    /// Every lead was worked through. Final.
    Completed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::New => "not created",
            Status::Draft => "not started",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
            Status::Completed => "completed",
        }
    }

    fn is_final(self) -> bool {
        matches!(self, Status::Stopped | Status::Completed)
    }
}

/// The fold of a campaign's stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CampaignState {
    /// Events folded so far: the expected version of the next append.
    pub version: u64,
    pub status: Status,
    pub name: String,
    pub settings: CampaignSettings,
    pub leads: BTreeMap<LeadId, Lead>,
    /// Numbers (E.164) never to dial.
    pub do_not_call: BTreeSet<String>,
    /// The lead that has each number, among the leads on the list.
    phones: HashMap<String, LeadId>,
    /// Leads added so far: each lead's place in the import order.
    added: u64,
}

impl CampaignState {
    /// The lead on the list with this number.
    pub fn lead_with_phone(&self, phone: &str) -> Option<LeadId> {
        self.phones.get(phone).copied()
    }

    /// Leads not yet closed (waiting, booked, dialing or awaiting a disposition).
    pub fn open_leads(&self) -> usize {
        self.leads.values().filter(|l| l.is_open()).count()
    }

    /// Attempts in flight (dialed, not ended).
    pub fn in_flight(&self) -> usize {
        self.leads
            .values()
            .filter(|l| matches!(l.status, LeadStatus::Dialing { .. }))
            .count()
    }

    fn lead(&self, id: LeadId) -> Result<&Lead, CampaignRejection> {
        self.leads
            .get(&id)
            .ok_or(CampaignRejection::UnknownLead(id))
    }
}

/// What an operator, an import, the dialer or an agent asks of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub enum CampaignCommand {
    Create {
        name: String,
        settings: CampaignSettings,
    },
    Configure {
        settings: CampaignSettings,
    },
    Start,
    Pause,
    Resume,
    Stop,
    /// Ends a campaign whose every lead is closed.
    Complete,
    /// `phone` must already be E.164 (the edge normalises it with the numbering plan);
    /// `time_zones` are IANA names.
    AddLead {
        lead: LeadId,
        phone: String,
        time_zones: Vec<String>,
        priority: u8,
        fields: BTreeMap<String, String>,
    },
    EditLead {
        lead: LeadId,
        phone: Option<String>,
        time_zones: Option<Vec<String>>,
        priority: Option<u8>,
        fields: Option<BTreeMap<String, String>>,
    },
    RemoveLead {
        lead: LeadId,
    },
    AddDoNotCall {
        numbers: Vec<String>,
        source: String,
    },
    /// The summary of an import whose rows were added one by one.
    RecordImport {
        source: String,
        accepted: u32,
        rejected: u32,
    },
    /// Dial `lead` now on `call`, for `agent` (the previewing agent, or the agent of an
    /// appointment); the do-not-call list and the calling hours are checked here.
    Dial {
        lead: LeadId,
        call: CallId,
        agent: Option<AgentId>,
    },
    EndAttempt {
        lead: LeadId,
        call: CallId,
        outcome: AttemptOutcome,
    },
    /// The agent's disposition of a connected call; `callback` (when, and for whom) with
    /// a disposition whose effect is `callback`.
    Disposition {
        lead: LeadId,
        call: CallId,
        disposition: String,
        callback: Option<(Timestamp, Option<AgentId>)>,
    },
}

/// Why a campaign command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignRejection {
    #[error("the campaign does not exist")]
    NotCreated,
    #[error("the campaign already exists")]
    AlreadyCreated,
    #[error("the campaign is {0}: nothing more can change")]
    Final(&'static str),
    #[error("the campaign is {0}, not running")]
    NotRunning(&'static str),
    #[error("the campaign is {0}, not paused")]
    NotPaused(&'static str),
    #[error("the campaign is {0}: start it from its draft, or resume it")]
    CannotStart(&'static str),
    #[error("the campaign is dialing: pause it before changing its rules")]
    Dialing,
    #[error("the campaign has no lead to dial: import leads first")]
    NoLeads,
    #[error("{0} leads are still open: stop the campaign instead, or let them finish")]
    LeadsOpen(usize),
    #[error("the campaign needs a name")]
    NoName,
    #[error("{field}: {problem}")]
    BadSettings { field: String, problem: String },
    #[error("no lead {0} in this campaign")]
    UnknownLead(LeadId),
    #[error("lead {0} is already in this campaign")]
    DuplicateLead(LeadId),
    #[error("{phone} is already lead {lead} of this campaign")]
    DuplicatePhone { phone: String, lead: LeadId },
    #[error("`{0}` is not an E.164 number (`+` and the country code, digits only)")]
    NotE164(String),
    #[error("{0} is on the do-not-call list")]
    OnDoNotCall(String),
    #[error("a lead needs at least one time zone")]
    NoTimeZone,
    #[error("`{0}` is not an IANA time zone (such as America/New_York)")]
    UnknownTimeZone(String),
    #[error("lead {0} has an attempt in flight or waiting for its disposition")]
    LeadBusy(LeadId),
    #[error("lead {0} is closed")]
    LeadClosed(LeadId),
    #[error("lead {lead} is not due before {due}")]
    NotDue { lead: LeadId, due: Timestamp },
    #[error("lead {lead}'s appointment is for agent {agent} until {until}")]
    AnotherAgentsCallback {
        lead: LeadId,
        agent: AgentId,
        until: Timestamp,
    },
    #[error("a preview campaign dials for an agent who saw the lead: name the agent")]
    PreviewNeedsAgent,
    #[error("lead {lead} has no attempt on call {call} in flight")]
    NoSuchAttempt { lead: LeadId, call: CallId },
    #[error("lead {lead} has no connected call {call} waiting for a disposition")]
    NotConnected { lead: LeadId, call: CallId },
    #[error("`{0}` is not one of the campaign's dispositions")]
    UnknownDisposition(String),
    #[error("the disposition `{0}` books an appointment: give its time")]
    CallbackNeedsTime(String),
    #[error("the disposition `{0}` does not book an appointment: give no time")]
    NotACallback(String),
    #[error("an appointment must be in the future")]
    CallbackInThePast,
    #[error("{0}")]
    CallbackOutsideHours(hours::Outside),
}

/// The campaign's pure core.
#[derive(Debug)]
pub struct Campaign;

impl Decider for Campaign {
    type State = CampaignState;
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Rejection = CampaignRejection;

    fn decide(
        s: &CampaignState,
        command: &CampaignCommand,
        now: Timestamp,
    ) -> Result<Vec<CampaignEvent>, CampaignRejection> {
        use CampaignCommand as C;
        use CampaignRejection as R;
        match (s.status, command) {
            (Status::New, C::Create { .. }) => {}
            (Status::New, _) => return Err(R::NotCreated),
            (_, C::Create { .. }) => return Err(R::AlreadyCreated),
            (status, _) if status.is_final() => return Err(R::Final(status.label())),
            _ => {}
        }
        Ok(match command {
            C::Create { name, settings } => {
                let name = name.trim();
                if name.is_empty() {
                    return Err(R::NoName);
                }
                settings::validate(settings)?;
                vec![
                    CampaignEvent::Created {
                        name: name.to_owned(),
                        dial_mode: settings.dial_mode,
                        max_abandon_rate: settings.max_abandon_rate,
                    },
                    CampaignEvent::Configured(settings.clone()),
                ]
            }
            C::Configure { settings } => {
                if s.status == Status::Running {
                    return Err(R::Dialing);
                }
                settings::validate(settings)?;
                vec![CampaignEvent::Configured(settings.clone())]
            }
            C::Start => {
                if s.status != Status::Draft {
                    return Err(R::CannotStart(s.status.label()));
                }
                if s.open_leads() == 0 {
                    return Err(R::NoLeads);
                }
                vec![CampaignEvent::Started]
            }
            C::Pause => {
                if s.status != Status::Running {
                    return Err(R::NotRunning(s.status.label()));
                }
                vec![CampaignEvent::Paused]
            }
            C::Resume => {
                if s.status != Status::Paused {
                    return Err(R::NotPaused(s.status.label()));
                }
                vec![CampaignEvent::Resumed]
            }
            C::Stop => vec![CampaignEvent::Stopped],
            C::Complete => match s.open_leads() {
                0 => vec![CampaignEvent::Completed],
                open => return Err(R::LeadsOpen(open)),
            },
            C::AddLead {
                lead,
                phone,
                time_zones,
                priority,
                fields,
            } => {
                if s.leads.contains_key(lead) {
                    return Err(R::DuplicateLead(*lead));
                }
                check_phone(s, phone, None)?;
                lead::check_zones(time_zones)?;
                vec![CampaignEvent::LeadAdded {
                    lead: *lead,
                    phone: phone.clone(),
                    time_zones: time_zones.clone(),
                    priority: *priority,
                    fields: fields.clone(),
                }]
            }
            C::EditLead {
                lead,
                phone,
                time_zones,
                priority,
                fields,
            } => {
                editable(s.lead(*lead)?)?;
                if let Some(phone) = phone {
                    check_phone(s, phone, Some(*lead))?;
                }
                if let Some(zones) = time_zones {
                    lead::check_zones(zones)?;
                }
                vec![CampaignEvent::LeadEdited {
                    lead: *lead,
                    phone: phone.clone(),
                    time_zones: time_zones.clone(),
                    priority: *priority,
                    fields: fields.clone(),
                }]
            }
            C::RemoveLead { lead } => {
                let l = s.lead(*lead)?;
                if matches!(
                    l.status,
                    LeadStatus::Dialing { .. } | LeadStatus::Connected { .. }
                ) {
                    return Err(R::LeadBusy(*lead));
                }
                vec![CampaignEvent::LeadRemoved { lead: *lead }]
            }
            C::AddDoNotCall { numbers, source } => {
                let mut new: Vec<String> = Vec::new();
                for n in numbers {
                    if !is_e164(n) {
                        return Err(R::NotE164(n.clone()));
                    }
                    if !s.do_not_call.contains(n) && !new.contains(n) {
                        new.push(n.clone());
                    }
                }
                if new.is_empty() {
                    return Ok(Vec::new());
                }
                // The leads with these numbers can never be dialed: close them now, so
                // the list shows what is left to work (one in flight ends first).
                let closed = new
                    .iter()
                    .filter_map(|n| s.lead_with_phone(n))
                    .filter(|id| {
                        s.leads.get(id).is_some_and(|l| {
                            matches!(
                                l.status,
                                LeadStatus::Waiting { .. } | LeadStatus::Callback { .. }
                            )
                        })
                    });
                let mut events = vec![CampaignEvent::DoNotCallAdded {
                    numbers: new.clone(),
                    source: source.clone(),
                }];
                events.extend(closed.map(|lead| CampaignEvent::LeadClosed {
                    lead,
                    reason: CloseReason::DoNotCall,
                }));
                events
            }
            C::RecordImport {
                source,
                accepted,
                rejected,
            } => vec![CampaignEvent::LeadsImported {
                source: source.clone(),
                accepted: *accepted,
                rejected: *rejected,
            }],
            C::Dial { lead, call, agent } => dial(s, *lead, *call, *agent, now)?,
            C::EndAttempt {
                lead,
                call,
                outcome,
            } => {
                let l = s.lead(*lead)?;
                if l.status != (LeadStatus::Dialing { call: *call }) {
                    return Err(R::NoSuchAttempt {
                        lead: *lead,
                        call: *call,
                    });
                }
                let mut events = vec![CampaignEvent::AttemptEnded {
                    lead: *lead,
                    call: *call,
                    outcome: *outcome,
                }];
                if *outcome != AttemptOutcome::Connected {
                    events.push(after_attempt(s, l, *outcome, now));
                }
                events
            }
            C::Disposition {
                lead,
                call,
                disposition,
                callback,
            } => {
                let l = s.lead(*lead)?;
                if l.status != (LeadStatus::Connected { call: *call }) {
                    return Err(R::NotConnected {
                        lead: *lead,
                        call: *call,
                    });
                }
                let rule = s
                    .settings
                    .dispositions
                    .iter()
                    .find(|d| d.name == *disposition)
                    .ok_or_else(|| R::UnknownDisposition(disposition.clone()))?;
                let then = match (rule.effect, callback) {
                    (DispositionEffect::Callback, None) => {
                        return Err(R::CallbackNeedsTime(disposition.clone()));
                    }
                    (DispositionEffect::Callback, Some((at, agent))) => {
                        if *at <= now {
                            return Err(R::CallbackInThePast);
                        }
                        hours::check(&s.settings.calling_hours, &l.time_zones, *at)
                            .map_err(R::CallbackOutsideHours)?;
                        CampaignEvent::CallbackScheduled {
                            lead: *lead,
                            at: *at,
                            agent: *agent,
                        }
                    }
                    (_, Some(_)) => return Err(R::NotACallback(disposition.clone())),
                    (DispositionEffect::Close, None) => CampaignEvent::LeadClosed {
                        lead: *lead,
                        reason: CloseReason::Disposition,
                    },
                    (DispositionEffect::Recycle, None) => CampaignEvent::RetryScheduled {
                        lead: *lead,
                        due: now.plus_millis(rule.delay_ms.unwrap_or(0)),
                    },
                };
                vec![
                    CampaignEvent::Dispositioned {
                        lead: *lead,
                        call: *call,
                        disposition: disposition.clone(),
                    },
                    then,
                ]
            }
        })
    }

    fn evolve(mut s: CampaignState, event: &CampaignEvent, at: Timestamp) -> CampaignState {
        s.version += 1;
        match event {
            CampaignEvent::Created {
                name,
                dial_mode,
                max_abandon_rate,
            } => {
                s.status = Status::Draft;
                s.name = name.clone();
                s.settings.dial_mode = *dial_mode;
                s.settings.max_abandon_rate = *max_abandon_rate;
            }
            CampaignEvent::Configured(settings) => s.settings = settings.clone(),
            CampaignEvent::Started | CampaignEvent::Resumed => s.status = Status::Running,
            CampaignEvent::Paused => s.status = Status::Paused,
            CampaignEvent::Stopped => s.status = Status::Stopped,
            CampaignEvent::Completed => s.status = Status::Completed,
            CampaignEvent::LeadsImported { .. }
            | CampaignEvent::DialBlocked { .. }
            | CampaignEvent::Dispositioned { .. } => {}
            CampaignEvent::LeadAdded {
                lead,
                phone,
                time_zones,
                priority,
                fields,
            } => {
                s.added += 1;
                s.phones.insert(phone.clone(), *lead);
                s.leads.insert(
                    *lead,
                    Lead {
                        id: *lead,
                        phone: phone.clone(),
                        time_zones: time_zones.clone(),
                        priority: *priority,
                        fields: fields.clone(),
                        attempts: 0,
                        order: s.added,
                        status: LeadStatus::Waiting {
                            due: at,
                            retry: false,
                        },
                    },
                );
            }
            CampaignEvent::LeadEdited {
                lead,
                phone,
                time_zones,
                priority,
                fields,
            } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    if let Some(phone) = phone {
                        s.phones.remove(&l.phone);
                        s.phones.insert(phone.clone(), *lead);
                        l.phone = phone.clone();
                    }
                    if let Some(zones) = time_zones {
                        l.time_zones = zones.clone();
                    }
                    if let Some(p) = priority {
                        l.priority = *p;
                    }
                    if let Some(f) = fields {
                        l.fields = f.clone();
                    }
                }
            }
            CampaignEvent::LeadRemoved { lead } => {
                if let Some(l) = s.leads.remove(lead) {
                    s.phones.remove(&l.phone);
                }
            }
            CampaignEvent::DoNotCallAdded { numbers, .. } => {
                s.do_not_call.extend(numbers.iter().cloned());
            }
            CampaignEvent::AttemptDialed {
                lead,
                call,
                attempt,
                ..
            } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    l.attempts = *attempt;
                    l.status = LeadStatus::Dialing { call: *call };
                }
            }
            CampaignEvent::AttemptEnded {
                lead,
                call,
                outcome,
            } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    // The retry or the closing that the core decides with it follows; an
                    // ended attempt alone (an older history) leaves the lead due at once.
                    l.status = if *outcome == AttemptOutcome::Connected {
                        LeadStatus::Connected { call: *call }
                    } else {
                        LeadStatus::Waiting {
                            due: at,
                            retry: true,
                        }
                    };
                }
            }
            CampaignEvent::RetryScheduled { lead, due } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    l.status = LeadStatus::Waiting {
                        due: *due,
                        retry: true,
                    };
                }
            }
            CampaignEvent::CallbackScheduled { lead, at, agent } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    l.status = LeadStatus::Callback {
                        at: *at,
                        agent: *agent,
                    };
                }
            }
            CampaignEvent::LeadClosed { lead, reason } => {
                if let Some(l) = s.leads.get_mut(lead) {
                    l.status = LeadStatus::Closed(*reason);
                }
            }
        }
        s
    }
}

/// Whether `text` is already in E.164 form (what the import's numbering-plan check gives).
fn is_e164(text: &str) -> bool {
    normalize_phone(text).is_ok_and(|n| n == text)
}

fn check_phone(
    s: &CampaignState,
    phone: &str,
    editing: Option<LeadId>,
) -> Result<(), CampaignRejection> {
    if !is_e164(phone) {
        return Err(CampaignRejection::NotE164(phone.to_owned()));
    }
    if s.do_not_call.contains(phone) {
        return Err(CampaignRejection::OnDoNotCall(phone.to_owned()));
    }
    match s.lead_with_phone(phone) {
        Some(lead) if Some(lead) != editing => Err(CampaignRejection::DuplicatePhone {
            phone: phone.to_owned(),
            lead,
        }),
        _ => Ok(()),
    }
}

/// A lead's data may change while it waits, not while it is on a call or closed.
fn editable(l: &Lead) -> Result<(), CampaignRejection> {
    match l.status {
        LeadStatus::Dialing { .. } | LeadStatus::Connected { .. } => {
            Err(CampaignRejection::LeadBusy(l.id))
        }
        LeadStatus::Closed(_) => Err(CampaignRejection::LeadClosed(l.id)),
        LeadStatus::Waiting { .. } | LeadStatus::Callback { .. } => Ok(()),
    }
}

/// The dial of one lead, with the last checks: due, for the right agent, not on the
/// do-not-call list, inside the calling hours where the lead is.
fn dial(
    s: &CampaignState,
    lead: LeadId,
    call: CallId,
    agent: Option<AgentId>,
    now: Timestamp,
) -> Result<Vec<CampaignEvent>, CampaignRejection> {
    use CampaignRejection as R;
    if s.status != Status::Running {
        return Err(R::NotRunning(s.status.label()));
    }
    if s.settings.dial_mode == DialMode::Preview && agent.is_none() {
        return Err(R::PreviewNeedsAgent);
    }
    let l = s.lead(lead)?;
    match l.status {
        LeadStatus::Waiting { due, .. } if due > now => return Err(R::NotDue { lead, due }),
        LeadStatus::Callback { at, .. } if at > now => return Err(R::NotDue { lead, due: at }),
        LeadStatus::Callback {
            at,
            agent: Some(owner),
        } => {
            let until = at.plus_millis(s.settings.callback_grace_ms);
            if agent != Some(owner) && now < until {
                return Err(R::AnotherAgentsCallback {
                    lead,
                    agent: owner,
                    until,
                });
            }
        }
        LeadStatus::Waiting { .. } | LeadStatus::Callback { .. } => {}
        LeadStatus::Dialing { .. } | LeadStatus::Connected { .. } => {
            return Err(R::LeadBusy(lead));
        }
        LeadStatus::Closed(_) => return Err(R::LeadClosed(lead)),
    }
    let blocked = |reason| CampaignEvent::DialBlocked {
        lead,
        number: l.phone.clone(),
        reason,
    };
    if s.do_not_call.contains(&l.phone) {
        return Ok(vec![
            blocked(BlockReason::DoNotCall),
            CampaignEvent::LeadClosed {
                lead,
                reason: CloseReason::DoNotCall,
            },
        ]);
    }
    if hours::check(&s.settings.calling_hours, &l.time_zones, now).is_err() {
        return Ok(vec![blocked(BlockReason::OutsideCallingHours)]);
    }
    Ok(vec![CampaignEvent::AttemptDialed {
        lead,
        call,
        number: l.phone.clone(),
        attempt: l.attempts + 1,
    }])
}

/// After an attempt that reached no agent: the retry its outcome's rule allows, or the end.
fn after_attempt(
    s: &CampaignState,
    l: &Lead,
    outcome: AttemptOutcome,
    now: Timestamp,
) -> CampaignEvent {
    let lead = l.id;
    match s.settings.retries.iter().find(|r| r.outcome == outcome) {
        Some(rule) if l.attempts < rule.max_attempts => CampaignEvent::RetryScheduled {
            lead,
            due: now.plus_millis(rule.delay_ms),
        },
        _ => CampaignEvent::LeadClosed {
            lead,
            reason: CloseReason::AttemptsExhausted,
        },
    }
}
