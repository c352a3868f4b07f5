//! The `crm` lookup source for IVR flows: a customer's profile from the `customers` read
//! model, found by phone number or by the business system's id, so a flow can greet a
//! known caller by name or send tagged VIPs to a priority line.
//!
//! It reads the live model through [`Views`], so a customer imported a moment ago is found;
//! it only reads (the IVR is the customer's own call, not a person viewing the record).

use hotline_infra::lookup::{Fields, LookupError, LookupSource};

use crate::customers::CustomerProfile;
use crate::runner::Views;

/// Customer profiles for flows' `source = "crm"` lookups.
#[derive(Debug, Clone)]
pub struct CrmLookup {
    views: Views,
}

impl CrmLookup {
    pub fn new(views: Views) -> Self {
        Self { views }
    }
}

#[async_trait::async_trait]
impl LookupSource for CrmLookup {
    fn name(&self) -> &str {
        "crm"
    }

    /// Params: `external_id`, or else `phone` (any formatting of an E.164 number). Fields:
    /// `id`, `name`, `external_id`, `email`, `phone` (the first), `tags` (comma-separated)
    /// and `vip` (`true` when tagged `vip`); empty text for what the profile lacks.
    async fn lookup(&self, params: &Fields) -> Result<Fields, LookupError> {
        let given = |key: &str| params.get(key).filter(|v| !v.trim().is_empty());
        let models = self.views.read();
        let customers = &models.customers;
        let profile = match (given("external_id"), given("phone")) {
            (Some(id), _) => customers.by_external_id(id).ok_or_else(|| {
                LookupError::NotFound(format!("no customer with external id {id}"))
            })?,
            (None, Some(phone)) => customers
                .by_phone(phone)
                .ok_or_else(|| LookupError::NotFound(format!("no customer with phone {phone}")))?,
            (None, None) => return Err(LookupError::MissingParameter("phone".into())),
        };
        Ok(fields(profile))
    }
}

fn fields(p: &CustomerProfile) -> Fields {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        ("id", p.id.to_string()),
        ("name", p.name.clone()),
        ("external_id", text(&p.external_id)),
        ("email", text(&p.email)),
        ("phone", p.phones.first().cloned().unwrap_or_default()),
        ("tags", p.tags.join(",")),
        ("vip", p.tags.iter().any(|t| t == "vip").to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{History, t};
    use crate::rules::MetricRules;
    use crate::runner::ReadModels;
    use hotline_events::{CustomerEvent, CustomerId};

    fn views() -> (CustomerId, Views) {
        let c: CustomerId = "00000000-0000-7000-c000-000000000001".parse().unwrap();
        let mut h = History::default();
        h.push(
            c.stream(),
            t("08:00:00"),
            CustomerEvent::Registered {
                name: "Grace Hopper".into(),
                phones: vec!["+15555550123".into()],
                email: None,
                address: None,
                tags: vec!["gold".into(), "vip".into()],
                external_id: Some("CRM-1".into()),
            },
        );
        let mut models = ReadModels::new(&MetricRules::default());
        h.fold(&mut models.customers);
        (c, Views::fixed(models))
    }

    fn params(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[tokio::test]
    async fn a_caller_is_found_by_phone_or_external_id() {
        let (c, views) = views();
        let crm = CrmLookup::new(views);
        let by_phone = crm
            .lookup(&params(&[("phone", "+1 (555) 555-0123")]))
            .await
            .unwrap();
        assert_eq!(by_phone["id"], c.to_string());
        assert_eq!(by_phone["name"], "Grace Hopper");
        assert_eq!(by_phone["tags"], "gold,vip");
        assert_eq!(by_phone["vip"], "true");
        assert_eq!(by_phone["email"], "");
        let by_id = crm
            .lookup(&params(&[("external_id", "CRM-1"), ("phone", "")]))
            .await
            .unwrap();
        assert_eq!(by_id, by_phone);
    }

    #[tokio::test]
    async fn an_unknown_caller_or_no_key_is_a_failure() {
        let (_, views) = views();
        let crm = CrmLookup::new(views);
        assert_eq!(
            crm.lookup(&params(&[("phone", "+15555550000")])).await,
            Err(LookupError::NotFound(
                "no customer with phone +15555550000".into()
            ))
        );
        assert_eq!(
            crm.lookup(&params(&[("phone", " ")])).await,
            Err(LookupError::MissingParameter("phone".into()))
        );
    }
}
