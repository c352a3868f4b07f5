//! Lead numbers: checked against libphonenumber's numbering plans (the `phonenumber`
//! crate), written in E.164, and placed in the time zones their calling hours are kept in.
//!
//! A North American number is placed by its area code ([`super::nanp`]: one zone, or the
//! few a straddling code may be in). Otherwise the numbering plan tells the country: a
//! country with one time zone gives it; a country with several gives all of them, and the
//! campaign then calls only when its hours hold in every one, which never calls anyone too
//! early or too late but shortens the day: a `time_zone` column names the zone exactly. A
//! country missing from the table is refused with that advice, never guessed.

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};

/// A number as the campaign keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadNumber {
    /// E.164: `+` and digits.
    pub e164: String,
    /// The region the number belongs to (ISO 3166 code such as `US`), if a geographic one.
    pub region: Option<Id>,
}

/// `text` as an E.164 number: international (`+44 20 7183 8750`, `0044…`), or national
/// when `region` says whose plan it follows (`020 7183 8750` with `GB`). `give_region`
/// is how the user names that country where the number came in (`--region` on the
/// command line, `?region=` on an API import; none where only international numbers are
/// taken): a number without a country code says it.
pub fn normalize(
    text: &str,
    region: Option<Id>,
    give_region: Option<&str>,
) -> Result<LeadNumber, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty: every lead needs a number".to_owned());
    }
    // Text without a digit is no number at all, whatever its country would be.
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not a phone number: write it with `+` and the country code, such as +12125552368"
        ));
    }
    // A number written with `+` names its own country, so the region must not apply:
    // given one, the parser reads the rest by that region's plan and strips its national
    // prefix (`+33 1 42…` with US loses the `1`, a valid French number refused).
    let region = if text.starts_with('+') { None } else { region };
    let number: PhoneNumber = phonenumber::parse(region, text).map_err(|e| match region {
        None if !text.starts_with('+') && !text.starts_with("00") => match give_region {
            Some(how) => format!(
                "`{text}` has no country code: write it with `+` and the country code, or give the country with {how}"
            ),
            None => format!("`{text}` has no country code: write it with `+` and the country code"),
        },
        _ => format!("`{text}` is not a phone number ({e})"),
    })?;
    if !phonenumber::is_valid(&number) {
        return Err(format!(
            "`{text}` is not a valid number in its numbering plan (a digit too many or too few, or a range that is not in service)"
        ));
    }
    Ok(LeadNumber {
        e164: number.format().mode(Mode::E164).to_string(),
        region: number.country().id(),
    })
}

/// The IANA zones `number` may be in: for a North American number, its area code's
/// ([`super::nanp`]); else, or for an area code the table does not know, every zone of its
/// country; empty if neither is known.
pub fn zones_of_number(number: &LeadNumber) -> Vec<&'static str> {
    if let Some(npa) = number
        .e164
        .strip_prefix("+1")
        .and_then(|rest| rest.get(..3))
        && let Some(zones) = super::nanp::zones(npa)
    {
        return zones;
    }
    number.region.map(zones_of).unwrap_or_default().to_vec()
}

/// The IANA zones a number of `region` may be in; empty if the table does not know it.
pub fn zones_of(region: Id) -> &'static [&'static str] {
    let code: &str = region.as_ref();
    ZONES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(&[], |(_, zones)| zones)
}

/// Region (ISO 3166) -> the zones its numbers may be in. The first five have several
/// (see the module's documentation); Spain and Portugal have their islands.
const ZONES: &[(&str, &[&str])] = &[
    (
        "US",
        &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/Anchorage",
            "Pacific/Honolulu",
        ],
    ),
    (
        "CA",
        &[
            "America/St_Johns",
            "America/Halifax",
            "America/Toronto",
            "America/Winnipeg",
            "America/Regina",
            "America/Edmonton",
            "America/Vancouver",
        ],
    ),
    (
        "AU",
        &[
            "Australia/Perth",
            "Australia/Darwin",
            "Australia/Adelaide",
            "Australia/Brisbane",
            "Australia/Sydney",
        ],
    ),
    (
        "BR",
        &[
            "America/Noronha",
            "America/Sao_Paulo",
            "America/Manaus",
            "America/Rio_Branco",
        ],
    ),
    (
        "MX",
        &[
            "America/Cancun",
            "America/Mexico_City",
            "America/Chihuahua",
            "America/Hermosillo",
            "America/Tijuana",
        ],
    ),
    ("AR", &["America/Argentina/Buenos_Aires"]),
    ("CL", &["America/Santiago", "Pacific/Easter"]),
    ("CO", &["America/Bogota"]),
    ("PE", &["America/Lima"]),
    ("VE", &["America/Caracas"]),
    ("PR", &["America/Puerto_Rico"]),
    ("JM", &["America/Jamaica"]),
    ("DO", &["America/Santo_Domingo"]),
    ("GB", &["Europe/London"]),
    ("IE", &["Europe/Dublin"]),
    ("FR", &["Europe/Paris"]),
    ("DE", &["Europe/Berlin"]),
    ("ES", &["Europe/Madrid", "Atlantic/Canary"]),
    ("PT", &["Europe/Lisbon", "Atlantic/Azores"]),
    ("IT", &["Europe/Rome"]),
    ("NL", &["Europe/Amsterdam"]),
    ("BE", &["Europe/Brussels"]),
    ("LU", &["Europe/Luxembourg"]),
    ("CH", &["Europe/Zurich"]),
    ("AT", &["Europe/Vienna"]),
    ("DK", &["Europe/Copenhagen"]),
    ("SE", &["Europe/Stockholm"]),
    ("NO", &["Europe/Oslo"]),
    ("FI", &["Europe/Helsinki"]),
    ("IS", &["Atlantic/Reykjavik"]),
    ("PL", &["Europe/Warsaw"]),
    ("CZ", &["Europe/Prague"]),
    ("SK", &["Europe/Bratislava"]),
    ("HU", &["Europe/Budapest"]),
    ("RO", &["Europe/Bucharest"]),
    ("BG", &["Europe/Sofia"]),
    ("GR", &["Europe/Athens"]),
    ("HR", &["Europe/Zagreb"]),
    ("SI", &["Europe/Ljubljana"]),
    ("RS", &["Europe/Belgrade"]),
    ("EE", &["Europe/Tallinn"]),
    ("LV", &["Europe/Riga"]),
    ("LT", &["Europe/Vilnius"]),
    ("UA", &["Europe/Kyiv"]),
    ("TR", &["Europe/Istanbul"]),
    ("IL", &["Asia/Jerusalem"]),
    ("AE", &["Asia/Dubai"]),
    ("SA", &["Asia/Riyadh"]),
    ("EG", &["Africa/Cairo"]),
    ("MA", &["Africa/Casablanca"]),
    ("ZA", &["Africa/Johannesburg"]),
    ("NG", &["Africa/Lagos"]),
    ("KE", &["Africa/Nairobi"]),
    ("IN", &["Asia/Kolkata"]),
    ("PK", &["Asia/Karachi"]),
    ("BD", &["Asia/Dhaka"]),
    ("CN", &["Asia/Shanghai"]),
    ("HK", &["Asia/Hong_Kong"]),
    ("TW", &["Asia/Taipei"]),
    ("JP", &["Asia/Tokyo"]),
    ("KR", &["Asia/Seoul"]),
    ("SG", &["Asia/Singapore"]),
    ("MY", &["Asia/Kuala_Lumpur"]),
    ("TH", &["Asia/Bangkok"]),
    ("VN", &["Asia/Ho_Chi_Minh"]),
    ("PH", &["Asia/Manila"]),
    ("NZ", &["Pacific/Auckland"]),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_are_checked_by_their_numbering_plan_and_written_in_e164() {
        let n = normalize("+44 20 7183 8750", None, Some("--region")).unwrap();
        assert_eq!(n.e164, "+442071838750");
        assert_eq!(n.region, Some(Id::GB));
        // National form, with the country given.
        assert_eq!(
            normalize("020 7183 8750", Some(Id::GB), Some("--region"))
                .unwrap()
                .e164,
            "+442071838750"
        );
        assert_eq!(
            normalize("(212) 555-2368", Some(Id::US), Some("--region"))
                .unwrap()
                .e164,
            "+12125552368"
        );
        // An international number keeps its own country whatever --region says.
        assert_eq!(
            normalize("+33 1 42 68 53 00", Some(Id::US), Some("--region"))
                .unwrap()
                .e164,
            "+33142685300"
        );
        assert_eq!(
            normalize("+44 20 7183 8750", Some(Id::US), Some("--region"))
                .unwrap()
                .e164,
            "+442071838750"
        );
        // The North American plan: the area code tells the country.
        assert_eq!(
            normalize("+1 416 555 0123", None, Some("--region"))
                .unwrap()
                .region,
            Some(Id::CA)
        );
    }

    #[test]
    fn a_number_that_is_not_one_is_refused_with_the_reason() {
        let e = normalize("020 7183 8750", None, Some("--region")).unwrap_err();
        assert!(e.contains("no country code"), "{e}");
        // Too short for the UK plan: the shape alone would pass it.
        let e = normalize("+44 20 7183", None, Some("--region")).unwrap_err();
        assert!(e.contains("not a valid number"), "{e}");
        // No digit at all: not a number, rather than one without its country code.
        let e = normalize("call me", None, Some("--region")).unwrap_err();
        assert!(
            e.contains("is not a phone number") && !e.contains("country code:"),
            "{e}"
        );
        assert!(
            normalize(" ", None, Some("--region"))
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn a_north_american_number_is_placed_by_its_area_code() {
        let zones = |text| zones_of_number(&normalize(text, None, Some("--region")).unwrap());
        assert_eq!(zones("+1 213 555 0100"), vec!["America/Los_Angeles"]);
        assert_eq!(zones("+1 416 555 0123"), vec!["America/Toronto"]);
        assert_eq!(zones("+44 20 7183 8750"), vec!["Europe/London"]);
        // A number of the plan whose area code the table does not know: every zone of
        // its country (none here is such a number, so build one by hand).
        let unknown = LeadNumber {
            e164: "+19995550100".into(),
            region: Some(Id::US),
        };
        assert_eq!(zones_of_number(&unknown).len(), 7);
    }

    #[test]
    fn every_zone_in_the_table_is_a_known_iana_zone() {
        for (code, zones) in ZONES {
            let region: Id = code.parse().unwrap();
            assert_eq!(zones_of(region), *zones);
            for zone in *zones {
                assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{code}: {zone}");
            }
        }
        assert_eq!(zones_of(Id::ID), &[] as &[&str]);
    }
}
