//! `customers`: the CRM profile of each customer, found by customer id, by phone number
//! (E.164) or by the id the business system knows it by (`external_id`).
//!
//! Each profile also counts its stream's events (`version`), so that a writer that read
//! the profile here can append with the expected version and never overwrite a change it
//! did not see.

use hotline_events::{CustomerEvent, CustomerId, Event, Timestamp, normalize_phone};

use crate::fast_map::FastMap;
use crate::projection::{Checkpoint, Fact, Projection};
use crate::snapshot::Stored;

/// One customer as the CRM shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerProfile {
    pub id: CustomerId,
    pub name: String,
    /// E.164, in the order they were added.
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// In the order they were added, each once.
    pub tags: Vec<String>,
    pub external_id: Option<String>,
    pub registered_at: Timestamp,
    pub updated_at: Timestamp,
    /// The number of events in the customer's stream: the version to expect when
    /// appending to it.
    pub version: u64,
}

/// The `customers` read model.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Customers {
    checkpoint: Checkpoint,
    profiles: FastMap<CustomerId, CustomerProfile>,
    /// Customers by phone, in the order they took the number: a shared line (a family, a
    /// small office) belongs to several, and a lookup gives the latest.
    by_phone: FastMap<String, Vec<CustomerId>>,
    by_external_id: FastMap<String, CustomerId>,
}

impl Stored for Customers {
    const NAME: &'static str = "customers";
    const SCHEMA: u32 = 1;
    const USES_RULES: bool = false;
}

impl Customers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, id: CustomerId) -> Option<&CustomerProfile> {
        self.profiles.get(&id)
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Every profile, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &CustomerProfile> {
        self.profiles.values()
    }

    /// The customer who calls from `number`, normalised first (a caller id may come with
    /// spaces or dashes); the latest to take it if several share it.
    pub fn by_phone(&self, number: &str) -> Option<&CustomerProfile> {
        self.all_by_phone(number).last().copied()
    }

    /// Every customer who calls from `number`, in the order they took it.
    pub fn all_by_phone(&self, number: &str) -> Vec<&CustomerProfile> {
        let key = normalize_phone(number).unwrap_or_else(|_| number.to_owned());
        self.by_phone
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|id| self.profiles.get(id))
            .collect()
    }

    pub fn by_external_id(&self, external_id: &str) -> Option<&CustomerProfile> {
        self.by_external_id
            .get(external_id)
            .and_then(|id| self.profiles.get(id))
    }

    fn add_phone(&mut self, id: CustomerId, phone: &str) {
        let Some(p) = self.profiles.get_mut(&id) else {
            return;
        };
        if p.phones.iter().any(|x| x == phone) {
            return;
        }
        p.phones.push(phone.to_owned());
        self.by_phone.entry(phone.to_owned()).or_default().push(id);
    }

    fn remove_phone(&mut self, id: CustomerId, phone: &str) {
        let Some(p) = self.profiles.get_mut(&id) else {
            return;
        };
        p.phones.retain(|x| x != phone);
        if let Some(ids) = self.by_phone.get_mut(phone) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.by_phone.remove(phone);
            }
        }
    }

    fn set_external_id(&mut self, id: CustomerId, external_id: Option<&String>) {
        let Some(p) = self.profiles.get_mut(&id) else {
            return;
        };
        if let Some(old) = p.external_id.take()
            && self.by_external_id.get(&old) == Some(&id)
        {
            self.by_external_id.remove(&old);
        }
        p.external_id = external_id.cloned();
        if let Some(new) = external_id {
            self.by_external_id.insert(new.clone(), id);
        }
    }

    fn apply_customer(&mut self, id: CustomerId, at: Timestamp, event: &CustomerEvent) {
        match event {
            CustomerEvent::Registered {
                name,
                phones,
                email,
                address,
                tags,
                external_id,
            } => {
                if self.profiles.contains_key(&id) {
                    // `registered` starts a stream; a second one is not a fact we can use.
                    return;
                }
                self.profiles.insert(
                    id,
                    CustomerProfile {
                        id,
                        name: name.clone(),
                        phones: Vec::new(),
                        email: email.clone(),
                        address: address.clone(),
                        tags: Vec::new(),
                        external_id: None,
                        registered_at: at,
                        updated_at: at,
                        version: 0,
                    },
                );
                for phone in phones {
                    self.add_phone(id, phone);
                }
                for tag in tags {
                    self.tag(id, tag);
                }
                self.set_external_id(id, external_id.as_ref());
            }
            CustomerEvent::ProfileUpdated {
                name,
                email,
                address,
                external_id,
            } => {
                if let Some(p) = self.profiles.get_mut(&id) {
                    if let Some(name) = name {
                        p.name.clone_from(name);
                    }
                    if email.is_some() {
                        p.email.clone_from(email);
                    }
                    if address.is_some() {
                        p.address.clone_from(address);
                    }
                }
                if external_id.is_some() {
                    self.set_external_id(id, external_id.as_ref());
                }
            }
            CustomerEvent::PhoneAdded { phone } => self.add_phone(id, phone),
            CustomerEvent::PhoneRemoved { phone } => self.remove_phone(id, phone),
            CustomerEvent::Tagged { tag } => self.tag(id, tag),
            CustomerEvent::Untagged { tag } => {
                if let Some(p) = self.profiles.get_mut(&id) {
                    p.tags.retain(|t| t != tag);
                }
            }
        }
    }

    fn tag(&mut self, id: CustomerId, tag: &str) {
        if let Some(p) = self.profiles.get_mut(&id)
            && !p.tags.iter().any(|t| t == tag)
        {
            p.tags.push(tag.to_owned());
        }
    }
}

impl Projection for Customers {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn apply(&mut self, fact: &Fact<'_>) {
        if !self.checkpoint.advance(fact.position) || fact.stream.category() != "customer" {
            return;
        }
        let Some(id) = fact.id(CustomerId::from_uuid) else {
            return;
        };
        if let Event::Customer(e) = fact.event {
            self.apply_customer(id, fact.occurred_at, e);
        }
        // Every event of the stream counts for its version, even one this build cannot
        // read: the log counted it too.
        if let Some(p) = self.profiles.get_mut(&id) {
            p.version += 1;
            p.updated_at = fact.occurred_at;
        }
    }

    fn position(&self) -> u64 {
        self.checkpoint.position()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{History, t};

    pub(crate) fn customer(n: u32) -> CustomerId {
        format!("00000000-0000-7000-c000-{n:012}").parse().unwrap()
    }

    fn grace() -> CustomerEvent {
        CustomerEvent::Registered {
            name: "Grace Hopper".into(),
            phones: vec!["+15555550123".into(), "+442071838750".into()],
            email: Some("grace@example.com".into()),
            address: None,
            tags: vec!["vip".into()],
            external_id: Some("CRM-1".into()),
        }
    }

    #[test]
    fn a_customer_with_two_phones_is_found_by_either() {
        let c = customer(1);
        let mut h = History::default();
        h.push(c.stream(), t("08:00:00"), grace());
        let mut customers = Customers::new();
        h.fold(&mut customers);
        for number in ["+15555550123", "+44 20 7183 8750", "+1 (555) 555-0123"] {
            let p = customers.by_phone(number).unwrap();
            assert_eq!((p.id, p.name.as_str()), (c, "Grace Hopper"), "{number}");
        }
        assert_eq!(customers.by_external_id("CRM-1").unwrap().id, c);
        assert!(customers.by_phone("+15555550000").is_none());
        assert!(customers.by_phone("not a number").is_none());
        let p = customers.get(c).unwrap();
        assert_eq!(
            (p.version, p.registered_at, p.tags.clone()),
            (1, t("08:00:00"), vec!["vip".to_owned()])
        );
    }

    #[test]
    fn updates_change_the_profile_and_the_lookups() {
        let c = customer(1);
        let s = c.stream();
        let mut h = History::default();
        h.push(s.clone(), t("08:00:00"), grace())
            .push(
                s.clone(),
                t("08:01:00"),
                CustomerEvent::ProfileUpdated {
                    name: Some("Grace B. Hopper".into()),
                    email: None,
                    address: Some("1 Navy Yard".into()),
                    external_id: Some("CRM-9".into()),
                },
            )
            .push(
                s.clone(),
                t("08:02:00"),
                CustomerEvent::PhoneRemoved {
                    phone: "+442071838750".into(),
                },
            )
            .push(
                s.clone(),
                t("08:03:00"),
                CustomerEvent::PhoneAdded {
                    phone: "+15555550199".into(),
                },
            )
            .push(
                s.clone(),
                t("08:04:00"),
                CustomerEvent::Tagged { tag: "gold".into() },
            )
            .push(
                s,
                t("08:05:00"),
                CustomerEvent::Untagged { tag: "vip".into() },
            );
        let mut customers = Customers::new();
        h.fold(&mut customers);
        let p = customers.get(c).unwrap();
        assert_eq!(p.name, "Grace B. Hopper");
        assert_eq!(p.email.as_deref(), Some("grace@example.com"), "unchanged");
        assert_eq!(p.address.as_deref(), Some("1 Navy Yard"));
        assert_eq!(p.phones, ["+15555550123", "+15555550199"]);
        assert_eq!(p.tags, ["gold"]);
        assert_eq!((p.version, p.updated_at), (6, t("08:05:00")));
        assert!(customers.by_phone("+442071838750").is_none(), "removed");
        assert_eq!(customers.by_phone("+15555550199").unwrap().id, c);
        assert!(customers.by_external_id("CRM-1").is_none());
        assert_eq!(customers.by_external_id("CRM-9").unwrap().id, c);
    }

    #[test]
    fn a_shared_number_finds_the_latest_and_unreadable_events_still_count() {
        let (a, b) = (customer(1), customer(2));
        let mut h = History::default();
        h.push(a.stream(), t("08:00:00"), grace()).push(
            b.stream(),
            t("08:01:00"),
            CustomerEvent::Registered {
                name: "Howard Aiken".into(),
                phones: vec!["+15555550123".into()],
                email: None,
                address: None,
                tags: vec![],
                external_id: None,
            },
        );
        h.push(
            b.stream(),
            t("08:02:00"),
            Event::decode("customer", "merged", 1, "{}"),
        );
        let mut customers = Customers::new();
        h.fold(&mut customers);
        assert_eq!(customers.by_phone("+15555550123").unwrap().id, b);
        assert_eq!(customers.all_by_phone("+15555550123").len(), 2);
        assert_eq!(customers.get(b).unwrap().version, 2);
        // Applying again changes nothing.
        let before = customers.clone();
        h.fold(&mut customers);
        assert_eq!(customers, before);
        // And its snapshot reads back as the same state.
        let rules = crate::MetricRules::default();
        let stored = hotline_infra::StoredSnapshot {
            position: customers.position(),
            schema: Customers::SCHEMA,
            bytes: crate::snapshot::encode(&customers, &rules).unwrap(),
        };
        assert_eq!(
            crate::snapshot::decode::<Customers>(&stored, &rules),
            Ok(customers)
        );
    }
}
