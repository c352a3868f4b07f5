//! `interactions`: every contact of a customer, newest first, and the screen pop an agent
//! sees when a customer calls. For now the contacts are calls; chats, emails and the
//! other channels add theirs here as they arrive.
//!
//! A call belongs to the customer it names on `arrived` (the IVR or the dialer knew who
//! it was); a call that names nobody belongs to whoever has its caller number. That second
//! match is made when asked, against the customers as they are then, not when the call
//! is folded: a customer imported after calling in is still shown those calls, and a
//! number that moved to another customer takes its history along. The figures of each
//! call (queue, agent, outcome, duration) are those of the `calls` model, read when asked,
//! so the two never disagree.

use hotline_events::{
    AgentId, CallEvent, CallId, Channel, CustomerId, Event, QueueId, Timestamp, normalize_phone,
};

use crate::calls::{Calls, Outcome};
use crate::customers::{CustomerProfile, Customers};
use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};
use crate::snapshot::Stored;

/// How many interactions a screen pop shows.
pub const SCREEN_POP_RECENT: usize = 5;

/// One contact as the index holds it: enough to order contacts and find their rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Contact {
    /// The log position of its first event: the tie-break between equal start times.
    position: u64,
    started_at: Timestamp,
    channel: Channel,
    call: CallId,
}

/// The `interactions` read model: an index of contacts by customer and by number.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Interactions {
    checkpoint: Checkpoint,
    /// Contacts that named their customer.
    by_customer: FastMap<CustomerId, Vec<Contact>>,
    /// Contacts that did not, by the caller's number (E.164 when it normalises, else as
    /// it came).
    by_number: FastMap<String, Vec<Contact>>,
}

impl Stored for Interactions {
    const NAME: &'static str = "interactions";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

/// One contact of a customer, as the CRM and the agent's desktop show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub channel: Channel,
    pub call: CallId,
    pub started_at: Timestamp,
    /// The number the customer called from.
    pub from: String,
    /// The queue it was in last.
    pub queue: Option<QueueId>,
    /// The agent who had it last.
    pub agent: Option<AgentId>,
    /// `None` while it lasts.
    pub outcome: Option<Outcome>,
    /// From arrival to end; `None` while it lasts.
    pub duration_ms: Option<u64>,
    pub disposition: Option<String>,
}

/// What the agent's desktop shows when a customer calls: who it is and what happened last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenPop {
    pub customer: CustomerProfile,
    /// The latest [`SCREEN_POP_RECENT`] interactions, newest first.
    pub recent: Vec<Interaction>,
}

impl Interactions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every interaction of `customer`, newest first; `calls` gives each call's figures.
    pub fn of(&self, customer: &CustomerProfile, calls: &Calls) -> Vec<Interaction> {
        let mut contacts: Vec<Contact> = self
            .by_customer
            .get(&customer.id)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        for phone in &customer.phones {
            contacts.extend(self.by_number.get(phone).into_iter().flatten().copied());
        }
        contacts.sort_by_key(|c| std::cmp::Reverse((c.started_at, c.position)));
        contacts.dedup_by_key(|c| c.call);
        contacts.iter().map(|c| interaction(c, calls)).collect()
    }

    fn arrived(&mut self, contact: Contact, caller: &str, customer: Option<CustomerId>) {
        let list = match customer {
            Some(id) => self.by_customer.entry(id).or_default(),
            None => {
                let key = normalize_phone(caller).unwrap_or_else(|_| caller.to_owned());
                self.by_number.entry(key).or_default()
            }
        };
        list.push(contact);
    }
}

/// The screen pop for a call from `caller`: the customer who has the number (normalised
/// first) and their latest interactions; `None` for a number no customer has.
pub fn screen_pop(
    customers: &Customers,
    interactions: &Interactions,
    calls: &Calls,
    caller: &str,
) -> Option<ScreenPop> {
    let customer = customers.by_phone(caller)?;
    let mut recent = interactions.of(customer, calls);
    recent.truncate(SCREEN_POP_RECENT);
    Some(ScreenPop {
        customer: customer.clone(),
        recent,
    })
}

fn interaction(c: &Contact, calls: &Calls) -> Interaction {
    let row = calls.get(c.call);
    Interaction {
        channel: c.channel,
        call: c.call,
        started_at: c.started_at,
        from: row.map(|r| r.caller.clone()).unwrap_or_default(),
        queue: row.and_then(|r| r.last_queue.clone()),
        agent: row.and_then(|r| r.agents.last().copied()),
        outcome: row.and_then(|r| r.outcome),
        duration_ms: row.and_then(|r| {
            let (arrived, ended) = (r.arrived_at?, r.ended_at?);
            Some(ended.millis_since(arrived))
        }),
        disposition: row.and_then(|r| r.disposition.clone()),
    }
}

impl Projection for Interactions {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) {
            return;
        }
        if let Event::Call(CallEvent::Arrived {
            caller,
            channel,
            customer,
            ..
        }) = fact.event
            && let Some(call) = fact.id(CallId::from_uuid)
        {
            let contact = Contact {
                position: fact.position,
                started_at: fact.occurred_at,
                channel: *channel,
                call,
            };
            self.arrived(contact, caller, *customer);
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    use hotline_events::{CustomerEvent, EndReason, Party};

    use super::*;
    use crate::MetricRules;
    use crate::history::{A1, A2, History, agent, call, q, t};

    fn customer(n: u32) -> CustomerId {
        format!("00000000-0000-7000-c000-{n:012}").parse().unwrap()
    }

    fn arrive(h: &mut History, c: CallId, at: &str, caller: &str, who: Option<CustomerId>) {
        h.call(
            c,
            t(at),
            CallEvent::Arrived {
                number: "+18005550100".into(),
                caller: caller.into(),
                channel: Channel::Voice,
                customer: who,
            },
        );
    }

    /// Grace (two phones) registered at 08:00; call 1 at 09:00 from her first phone
    /// (answered by agent 1 in sales, 5 minutes); call 2 at 10:00 naming her, from a
    /// withheld number (abandoned in support); call 3 at 11:00 from an unknown number.
    fn day() -> History {
        let g = customer(1);
        let mut h = History::default();
        h.push(
            g.stream(),
            t("08:00:00"),
            CustomerEvent::Registered {
                name: "Grace Hopper".into(),
                phones: vec!["+15555550123".into(), "+442071838750".into()],
                email: None,
                address: None,
                tags: vec![],
                external_id: None,
            },
        );
        let (c1, c2, c3) = (call(1), call(2), call(3));
        arrive(&mut h, c1, "09:00:00", "+1 555 555 0123", None);
        h.queue(c1, t("09:00:01"), "sales")
            .offer(c1, t("09:00:02"), agent(A1), "sales")
            .answer(c1, t("09:00:05"), agent(A1), 4_000)
            .end(c1, t("09:05:00"), Party::Caller, EndReason::Completed)
            .wrap(agent(A1), c1, t("09:05:00"), t("09:05:30"), Some("sale"));
        arrive(&mut h, c2, "10:00:00", "anonymous", Some(g));
        h.queue(c2, t("10:00:01"), "support").call(
            c2,
            t("10:01:01"),
            CallEvent::Abandoned {
                queue: q("support"),
                waited_ms: 60_000,
            },
        );
        h.end(c2, t("10:01:01"), Party::Caller, EndReason::Abandoned);
        arrive(&mut h, c3, "11:00:00", "+15555550000", None);
        h.queue(c3, t("11:00:01"), "sales")
            .offer(c3, t("11:00:02"), agent(A2), "sales")
            .answer(c3, t("11:00:03"), agent(A2), 2_000);
        h
    }

    fn fold(h: &History) -> (Customers, Interactions, Calls) {
        let (mut cu, mut i, mut ca) = (
            Customers::new(),
            Interactions::new(),
            Calls::new(MetricRules::default()),
        );
        h.fold(&mut cu);
        h.fold(&mut i);
        h.fold(&mut ca);
        (cu, i, ca)
    }

    #[test]
    fn a_customers_calls_come_newest_first_by_id_or_by_number() {
        let (customers, interactions, calls) = fold(&day());
        let grace = customers.get(customer(1)).unwrap();
        let rows = interactions.of(grace, &calls);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        let (newest, oldest) = (&rows[0], &rows[1]);
        assert_eq!(newest.call, call(2), "named her: matched by id");
        assert_eq!(newest.started_at, t("10:00:00"));
        assert_eq!(newest.queue, Some(q("support")));
        assert_eq!(newest.agent, None);
        assert_eq!(newest.outcome, Some(Outcome::Abandoned));
        assert_eq!(newest.duration_ms, Some(61_000));
        assert_eq!(
            oldest.call,
            call(1),
            "from her phone, spaced: matched by number"
        );
        assert_eq!(oldest.channel, Channel::Voice);
        assert_eq!(oldest.from, "+1 555 555 0123");
        assert_eq!(
            (oldest.queue.clone(), oldest.agent, oldest.outcome),
            (Some(q("sales")), Some(agent(A1)), Some(Outcome::Answered))
        );
        assert_eq!(oldest.duration_ms, Some(300_000));
        assert_eq!(oldest.disposition.as_deref(), Some("sale"));
    }

    #[test]
    fn the_screen_pop_finds_the_customer_by_either_phone() {
        let (customers, interactions, calls) = fold(&day());
        for number in ["+15555550123", "+44 20 7183 8750"] {
            let pop = screen_pop(&customers, &interactions, &calls, number).unwrap();
            assert_eq!(pop.customer.name, "Grace Hopper");
            let order: Vec<_> = pop.recent.iter().map(|i| i.call).collect();
            assert_eq!(order, [call(2), call(1)]);
        }
    }

    #[test]
    fn a_call_from_an_unknown_number_has_no_customer() {
        let (customers, interactions, calls) = fold(&day());
        assert!(screen_pop(&customers, &interactions, &calls, "+15555550000").is_none());
        assert!(screen_pop(&customers, &interactions, &calls, "anonymous").is_none());
        // ... and a live call shows without outcome or duration once its number is known.
        let mut h = day();
        h.push(
            customer(2).stream(),
            t("11:30:00"),
            CustomerEvent::Registered {
                name: "Howard Aiken".into(),
                phones: vec!["+15555550000".into()],
                email: None,
                address: None,
                tags: vec![],
                external_id: None,
            },
        );
        let (customers, interactions, calls) = fold(&h);
        let pop = screen_pop(&customers, &interactions, &calls, "+15555550000").unwrap();
        assert_eq!(pop.recent.len(), 1, "the call before the import is shown");
        assert_eq!(
            (pop.recent[0].outcome, pop.recent[0].duration_ms),
            (None, None)
        );
    }

    #[test]
    fn the_screen_pop_shows_the_last_five() {
        let g = customer(1);
        let mut h = day();
        for n in 0..7u32 {
            arrive(
                &mut h,
                call(100 + n),
                &format!("12:0{n}:00"),
                "+15555550123",
                None,
            );
        }
        let (customers, interactions, calls) = fold(&h);
        assert_eq!(interactions.of(customers.get(g).unwrap(), &calls).len(), 9);
        let pop = screen_pop(&customers, &interactions, &calls, "+15555550123").unwrap();
        let order: Vec<_> = pop.recent.iter().map(|i| i.call).collect();
        assert_eq!(order, [106, 105, 104, 103, 102].map(call));
        // Idempotent by position.
        let mut again = interactions.clone();
        h.fold(&mut again);
        assert_eq!(again, interactions);
        // And its snapshot reads back as the same state.
        let rules = MetricRules::default();
        let stored = hotline_infra::StoredSnapshot {
            position: interactions.position(),
            schema: Interactions::SCHEMA,
            bytes: crate::snapshot::encode(&interactions, &rules).unwrap(),
        };
        assert_eq!(
            crate::snapshot::decode::<Interactions>(&stored, &rules),
            Ok(interactions)
        );
    }
}
