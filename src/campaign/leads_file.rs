//! A lead list in CSV: the header names the columns, `phone` is required, `time_zone` and
//! `priority` are optional, and every other column is a custom field shown on the agent's
//! screen. A bad row is reported as `FILE:LINE: column: what is wrong` and left out; the
//! good rows are kept.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use phonenumber::country::Id;

use super::phone;

/// The highest priority a lead can have (`0` is the default, higher is dialed first).
pub const MAX_PRIORITY: u8 = 9;

/// One good row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRow {
    pub line: u64,
    /// E.164.
    pub phone: String,
    pub time_zones: Vec<String>,
    pub priority: u8,
    pub fields: BTreeMap<String, String>,
}

/// What a lead file holds.
pub type Parsed = crate::import_file::Parsed<LeadRow>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Phone,
    TimeZone,
    Priority,
    Field(String),
}

/// Reads a lead file's bytes; `label` names it in messages, `region` is the country of
/// numbers written without a country code, and `give_region` how the user names it there
/// (see [`phone::normalize`]). Only a file that is not a lead list at all (empty, no
/// `phone` column) is an error.
pub fn parse(
    label: &str,
    bytes: &[u8],
    region: Option<Id>,
    give_region: Option<&str>,
) -> Result<Parsed, String> {
    crate::import_file::parse(
        label,
        bytes,
        "its first line must name the columns, such as phone,time_zone,priority,name",
        header_columns,
        |line, columns, record| {
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                return Ok(None); // A blank line, such as a trailing one.
            }
            row(line, columns, record, region, give_region).map(Some)
        },
    )
}

fn header_columns(header: &csv::ByteRecord) -> Result<Vec<Column>, String> {
    let mut columns = Vec::with_capacity(header.len());
    for field in header {
        let text = std::str::from_utf8(field).map_err(|_| "is not UTF-8 text".to_owned())?;
        let name = text.trim();
        let column = match name.to_ascii_lowercase().as_str() {
            "phone" => Column::Phone,
            "time_zone" => Column::TimeZone,
            "priority" => Column::Priority,
            "" => return Err("a column has no name".to_owned()),
            _ => Column::Field(name.to_owned()),
        };
        if columns.contains(&column) {
            return Err(format!("the column `{name}` appears twice"));
        }
        columns.push(column);
    }
    if !columns.contains(&Column::Phone) {
        return Err(
            "there is no `phone` column; name the columns on the first line, such as phone,time_zone,priority,name"
                .to_owned(),
        );
    }
    Ok(columns)
}

fn column_name(c: &Column) -> &str {
    match c {
        Column::Phone => "phone",
        Column::TimeZone => "time_zone",
        Column::Priority => "priority",
        Column::Field(name) => name,
    }
}

/// The row, or each of its problems as (column, what is wrong).
fn row(
    line: u64,
    columns: &[Column],
    record: &csv::ByteRecord,
    region: Option<Id>,
    give_region: Option<&str>,
) -> Result<LeadRow, Vec<(String, String)>> {
    if record.len() != columns.len() {
        return Err(vec![(
            "row".to_owned(),
            format!(
                "has {} fields, the header has {} (put a field that holds a comma in double quotes)",
                record.len(),
                columns.len()
            ),
        )]);
    }
    let mut problems = Vec::new();
    let mut number = None;
    let mut zones: Option<Vec<String>> = None;
    let mut priority = 0;
    let mut fields = BTreeMap::new();
    for (column, field) in columns.iter().zip(record) {
        let name = column_name(column).to_owned();
        let Ok(text) = std::str::from_utf8(field) else {
            problems.push((
                name,
                "is not valid UTF-8 text (save the file as UTF-8)".to_owned(),
            ));
            continue;
        };
        let text = text.trim();
        match column {
            Column::Phone => match phone::normalize(text, region, give_region) {
                Ok(n) => number = Some(n),
                Err(why) => problems.push((name, why)),
            },
            Column::TimeZone if text.is_empty() => {}
            Column::TimeZone => {
                let given: Vec<String> = text
                    .split(';')
                    .map(str::trim)
                    .filter(|z| !z.is_empty())
                    .map(str::to_owned)
                    .collect();
                match given.iter().find(|z| z.parse::<Tz>().is_err()) {
                    Some(bad) => problems.push((
                        name,
                        format!("`{bad}` is not an IANA time zone (such as America/Chicago or Europe/Paris)"),
                    )),
                    None => zones = Some(given),
                }
            }
            Column::Priority if text.is_empty() => {}
            Column::Priority => match text.parse::<u8>() {
                Ok(p) if p <= MAX_PRIORITY => priority = p,
                _ => problems.push((
                    name,
                    format!("`{text}` is not a priority from 0 to {MAX_PRIORITY} (higher is dialed first)"),
                )),
            },
            Column::Field(_) if text.is_empty() => {}
            Column::Field(_) => {
                fields.insert(name, text.to_owned());
            }
        }
    }
    let time_zones = match (zones, &number) {
        (Some(z), _) => z,
        (None, Some(n)) => {
            let derived: Vec<String> = phone::zones_of_number(n)
                .iter()
                .map(|z| (*z).to_owned())
                .collect();
            if derived.is_empty() {
                problems.push((
                    "time_zone".to_owned(),
                    format!(
                        "the time zone of {} is not known from its number: give it in a time_zone column (such as Asia/Jakarta)",
                        n.e164
                    ),
                ));
            }
            derived
        }
        (None, None) => Vec::new(),
    };
    match number {
        Some(n) if problems.is_empty() => Ok(LeadRow {
            line,
            phone: n.e164,
            time_zones,
            priority,
            fields,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn good_rows_are_kept_and_each_bad_one_is_reported_by_line_and_column() {
        let file = "\u{feff}phone,time_zone,priority,name,plan\n\
            +44 20 7183 8750,,3,Ada,gold\n\
            212 555 2368,,,Grace,\n\
            +1 212 555 2368,America/New_York,,Grace,silver\n\
            +44 20 7183,,,Short,\n\
            +33 1 42 68 53 00,Europe/Pariss,12,Bad,\n\
            +62 21 555 1234,,,Jakarta,\n\
            \n";
        let p = parse("leads.csv", file.as_bytes(), None, Some("--region")).unwrap();
        assert_eq!(p.rejected, 4, "{:?}", p.problems);
        assert_eq!(
            p.rows,
            vec![
                LeadRow {
                    line: 2,
                    phone: "+442071838750".into(),
                    time_zones: vec!["Europe/London".into()],
                    priority: 3,
                    fields: [
                        ("name".into(), "Ada".into()),
                        ("plan".into(), "gold".into())
                    ]
                    .into(),
                },
                LeadRow {
                    line: 4,
                    phone: "+12125552368".into(),
                    time_zones: vec!["America/New_York".into()],
                    priority: 0,
                    fields: [
                        ("name".into(), "Grace".into()),
                        ("plan".into(), "silver".into())
                    ]
                    .into(),
                },
            ]
        );
        let problems = p.problems.join("\n");
        for expected in [
            "leads.csv:3: phone: `212 555 2368` has no country code",
            "leads.csv:5: phone: `+44 20 7183` is not a valid number",
            "leads.csv:6: time_zone: `Europe/Pariss` is not an IANA time zone",
            "leads.csv:6: priority: `12` is not a priority from 0 to 9",
            "leads.csv:7: time_zone: the time zone of +62215551234 is not known from its number",
        ] {
            assert!(problems.contains(expected), "{expected}\nin\n{problems}");
        }
    }

    #[test]
    fn a_file_without_a_phone_column_is_refused_whole() {
        let e = parse(
            "x.csv",
            b"name,number\nAda,+442071838750\n",
            None,
            Some("--region"),
        )
        .unwrap_err();
        assert!(
            e.starts_with("x.csv:1: header: there is no `phone` column"),
            "{e}"
        );
        assert!(
            parse("x.csv", b"", None, Some("--region"))
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn national_numbers_follow_the_given_region() {
        let p = parse(
            "x.csv",
            b"phone\n(212) 555-2368\n",
            Some(Id::US),
            Some("--region"),
        )
        .unwrap();
        assert_eq!(p.rows[0].phone, "+12125552368");
        // The area code places it (212: New York City).
        assert_eq!(p.rows[0].time_zones, ["America/New_York"]);
    }
}
