//! `hotline campaign`: a campaign created from the documented rules file, a lead list with
//! bad rows (reported by line, left out, the good ones kept as events), a do-not-call list
//! that closes a lead, and `show` naming the lead the dialer would call next.

use std::path::Path;

use hotline_events::{CampaignEvent, Event};

use crate::{all_events, hotline, stderr, stdout};

const LEADS: &str = "phone,time_zone,priority,name,plan
+44 20 7183 8750,,3,Ada Lovelace,gold
(212) 555-2368,,,Grace Hopper,
+1 212 555 2368,America/New_York,,Grace Hopper,silver
+44 20 7183,,,Too short,
+1 212 555 2368,,,Twice,
";

#[test]
fn a_campaign_is_created_its_leads_imported_and_its_do_not_call_list_applied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaign.toml");
    let out = hotline(
        &data,
        &["campaign", "create", "--settings", rules.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("created campaign \"Winter renewals\""),
        "{}",
        stdout(&out)
    );

    let leads = dir.path().join("leads.csv");
    std::fs::write(&leads, LEADS).unwrap();
    let out = hotline(
        &data,
        &[
            "campaign",
            "import",
            "Winter renewals",
            leads.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "some rows were rejected");
    assert_eq!(
        stdout(&out).trim(),
        "imported 2 leads into \"Winter renewals\", 3 rows rejected"
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].ends_with("leads.csv:3: phone: `(212) 555-2368` has no country code: write it with `+` and the country code, or give the country with --region"), "{err}");
    assert!(
        lines[1].contains("leads.csv:5: phone: `+44 20 7183` is not a valid number"),
        "{err}"
    );
    assert!(
        lines[2].contains("leads.csv:6: phone: +12125552368 is already lead"),
        "{err}"
    );

    let dnc = dir.path().join("dnc.txt");
    std::fs::write(&dnc, "phone\n+44 20 7183 8750\n").unwrap();
    let out = hotline(
        &data,
        &["campaign", "dnc", "Winter renewals", dnc.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("closed 1 leads"), "{}", stdout(&out));

    let out = hotline(&data, &["campaign", "start", "Winter renewals"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = hotline(&data, &["campaign", "start", "Winter renewals"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the campaign is running"),
        "{}",
        stderr(&out)
    );

    let out = hotline(&data, &["campaign", "show", "Winter renewals"]);
    let shown = stdout(&out);
    assert!(
        shown.contains("leads: 2 (1 closed, do not call, 1 due now)"),
        "{shown}"
    );

    // What the log holds: the two good rows as leads in E.164 with their zones and fields.
    let added: Vec<(String, Vec<String>)> = all_events(&data)
        .iter()
        .filter_map(|r| match r.event() {
            Event::Campaign(CampaignEvent::LeadAdded {
                phone, time_zones, ..
            }) => Some((phone, time_zones)),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        [
            ("+442071838750".to_owned(), vec!["Europe/London".to_owned()]),
            (
                "+12125552368".to_owned(),
                vec!["America/New_York".to_owned()]
            ),
        ]
    );
    let out = hotline(
        &data,
        &["campaign", "import", "nope", leads.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no campaign named or numbered `nope`"));
}
