//! The events of one CRM customer (stream `customer-<id>`), and what a phone number in them
//! looks like (E.164).
//!
//! Phones are stored normalised (`+` and digits only) because they are the key a caller
//! is found by: the number a call arrives from is normalised the same way and compared
//! as text.

use serde::{Deserialize, Serialize};

/// What happens to one customer's profile. The stream's first event is `registered`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerEvent {
    /// A customer entered the CRM (created by an agent or imported). `phones` are E.164.
    Registered {
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        phones: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        /// The customer's key in the business system the record came from, so that a
        /// later import updates this customer instead of adding another.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
    },
    /// Some fields changed; a field left out did not. (Clearing a field is not an event
    /// yet: nothing needs it so far.)
    ProfileUpdated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
    },
    /// One more number the customer calls from (E.164).
    PhoneAdded {
        phone: String,
    },
    PhoneRemoved {
        phone: String,
    },
    Tagged {
        tag: String,
    },
    Untagged {
        tag: String,
    },
}

impl CustomerEvent {
    /// See [`crate::CallEvent::SCHEMA`].
    pub const SCHEMA: u16 = 1;
}

/// Why a phone number is not usable as an E.164 number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error(
        "`{0}` has no country code: write it in international form, with `+` and the country code (such as +15555550123)"
    )]
    NoCountryCode(String),
    #[error(
        "`{0}` is not a phone number: after `+`, use 8 to 15 digits (spaces, dashes, dots and parentheses are allowed)"
    )]
    NotANumber(String),
}

/// The E.164 form of `text`: `+` and 8 to 15 digits, once spaces, dashes, dots and
/// parentheses are removed (`+1 (555) 555-0123` is `+15555550123`).
///
/// This is a shape check, not a numbering-plan check: it does not know country codes or
/// national lengths, and it cannot add a country code to a national number, so such a
/// number is refused with the advice to write it in full. A real phone-number library
/// comes with the outbound (dialer) work, which needs one for calling-hour time zones.
pub fn normalize_phone(text: &str) -> Result<String, PhoneError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let kept: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let Some(digits) = kept.strip_prefix('+') else {
        return Err(
            if kept.chars().all(|c| c.is_ascii_digit()) && !kept.is_empty() {
                PhoneError::NoCountryCode(trimmed.to_owned())
            } else {
                PhoneError::NotANumber(trimmed.to_owned())
            },
        );
    };
    if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(kept)
    } else {
        Err(PhoneError::NotANumber(trimmed.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_e164() {
        for (given, want) in [
            ("+15555550123", "+15555550123"),
            (" +1 (555) 555-0123 ", "+15555550123"),
            ("+44.20.7183.8750", "+442071838750"),
            ("+12345678", "+12345678"),
        ] {
            assert_eq!(normalize_phone(given).as_deref(), Ok(want), "{given:?}");
        }
    }

    #[test]
    fn a_number_without_country_code_or_of_the_wrong_shape_is_refused() {
        assert_eq!(
            normalize_phone("555-0123"),
            Err(PhoneError::NoCountryCode("555-0123".into()))
        );
        assert!(
            normalize_phone("5550123")
                .unwrap_err()
                .to_string()
                .contains("country code")
        );
        for bad in [
            "+1234567",
            "+1234567890123456",
            "+1555x0123",
            "call me",
            "+",
        ] {
            assert!(
                matches!(normalize_phone(bad), Err(PhoneError::NotANumber(_))),
                "{bad:?}"
            );
        }
        assert_eq!(normalize_phone("  "), Err(PhoneError::Empty));
    }

    #[test]
    fn customer_events_round_trip_and_an_unknown_type_is_kept_opaque() {
        use crate::event::{Event, Unreadable};
        let e = Event::Customer(CustomerEvent::Tagged { tag: "vip".into() });
        let enc = e.encode().unwrap();
        assert_eq!(
            (enc.event_type.as_str(), enc.data.as_str()),
            ("tagged", r#"{"tag":"vip"}"#)
        );
        assert_eq!(Event::decode("customer", "tagged", 1, &enc.data), e);
        let merged = Event::decode("customer", "merged", 1, r#"{"into":"x"}"#);
        assert!(
            matches!(&merged, Event::Opaque(o) if o.why == Unreadable::UnknownType),
            "{merged:?}"
        );
        assert!(e.check_stream("call").is_err());
    }
}
