//! `hotline crm import` and `hotline crm show` through the binary: good rows kept, bad rows
//! reported by line, re-imports update, the screen pop finds the caller, and no file
//! makes it panic.

use std::path::{Path, PathBuf};

use hotline_events::{CallEvent, CustomerEvent, Event};

use crate::{all_events, demo, hotline, stderr, stdout};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn import(data: &Path, file: &Path) -> std::process::Output {
    hotline(data, &["crm", "import", file.to_str().unwrap()])
}

/// The customer events of the log, by stream.
fn customer_events(data: &Path) -> Vec<(String, CustomerEvent)> {
    all_events(data)
        .into_iter()
        .filter_map(|r| match r.event() {
            Event::Customer(e) => Some((r.stream.to_string(), e)),
            _ => None,
        })
        .collect()
}

const GOOD_AND_BAD: &str = "\
external_id,name,phone,email,address,tags,phone2
C1,Grace Hopper,+1 (555) 555-0123,grace@example.com,\"1 Navy Yard, Arlington\",vip;gold,+44 20 7183 8750
C2,,+15555550124,,,,
C3,Ada Lovelace,020 7183 8750,ada@example,,,
C4,Alan Turing,+15555550125,,,
C5,Edsger Dijkstra,+31 20 555 0126,ewd@example.nl,,,
";

#[test]
fn good_rows_are_imported_and_each_bad_one_is_reported_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "customers.csv", GOOD_AND_BAD.as_bytes());
    let data = dir.path().join("data");
    let out = import(&data, &file);
    let f = file.display();
    assert_eq!(
        stderr(&out),
        format!(
            "{f}:3: name: is empty: every customer needs a name\n\
             {f}:4: phone: `020 7183 8750` has no country code: write it in international form, with `+` and the country code (such as +15555550123)\n\
             {f}:4: email: `ada@example` is not an email address such as name@example.com\n\
             {f}:5: row: has 6 fields, the header has 7 (put a field that holds a comma in double quotes)\n"
        )
    );
    assert_eq!(
        stdout(&out),
        "imported 2 customers (0 updated), 3 rows rejected\n"
    );
    assert_eq!(out.status.code(), Some(1));

    let events = customer_events(&data);
    assert_eq!(events.len(), 2, "{events:?}");
    let names: Vec<_> = events
        .iter()
        .map(|(stream, e)| {
            assert!(stream.starts_with("customer-"), "{stream}");
            match e {
                CustomerEvent::Registered { name, .. } => name.as_str(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert!(names.contains(&"Grace Hopper") && names.contains(&"Edsger Dijkstra"));
    let grace = events
        .iter()
        .find_map(|(_, e)| match e {
            CustomerEvent::Registered { name, .. } if name == "Grace Hopper" => Some(e.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        grace,
        CustomerEvent::Registered {
            name: "Grace Hopper".into(),
            phones: vec!["+15555550123".into(), "+442071838750".into()],
            email: Some("grace@example.com".into()),
            address: Some("1 Navy Yard, Arlington".into()),
            tags: vec!["vip".into(), "gold".into()],
            external_id: Some("C1".into()),
        }
    );
}

#[test]
fn a_clean_file_exits_0_and_a_reimport_updates_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = write(
        dir.path(),
        "v1.csv",
        b"external_id,name,phone,email,address,tags\n\
          C1,Grace Hopper,+15555550123,grace@example.com,,vip\n\
          C2,Alan Turing,+15555550125,,,\n",
    );
    let out = import(&data, &first);
    assert_eq!(
        (
            out.status.code(),
            stdout(&out).as_str(),
            stderr(&out).as_str()
        ),
        (
            Some(0),
            "imported 2 customers (0 updated), 0 rows rejected\n",
            ""
        )
    );
    let second = write(
        dir.path(),
        "v2.csv",
        b"external_id,name,phone,email,address,tags\n\
          C1,Grace B. Hopper,+15555550199,grace@example.com,,vip;gold\n\
          C2,Alan Turing,+15555550125,,,\n\
          C3,Ada Lovelace,+442071838750,,,\n",
    );
    let out = import(&data, &second);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (
            Some(0),
            "imported 3 customers (2 updated), 0 rows rejected\n"
        ),
        "{}",
        stderr(&out)
    );
    let events = customer_events(&data);
    let registered = events
        .iter()
        .filter(|(_, e)| matches!(e, CustomerEvent::Registered { .. }))
        .count();
    assert_eq!(registered, 3, "no duplicate customers: {events:#?}");
    let grace_stream = &events
        .iter()
        .find(
            |(_, e)| matches!(e, CustomerEvent::Registered { name, .. } if name == "Grace Hopper"),
        )
        .unwrap()
        .0;
    let grace: Vec<_> = events
        .iter()
        .filter(|(s, _)| s == grace_stream)
        .map(|(_, e)| e.clone())
        .skip(1)
        .collect();
    assert_eq!(
        grace,
        [
            CustomerEvent::ProfileUpdated {
                name: Some("Grace B. Hopper".into()),
                email: None,
                address: None,
                external_id: None,
            },
            CustomerEvent::PhoneAdded {
                phone: "+15555550199".into()
            },
            CustomerEvent::PhoneRemoved {
                phone: "+15555550123".into()
            },
            CustomerEvent::Tagged { tag: "gold".into() },
        ],
        "only what changed; Alan's unchanged row wrote nothing"
    );

    let out = hotline(&data, &["crm", "show", "+1 555 555 0199"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.starts_with("Grace B. Hopper (customer "), "{shown}");
    assert!(shown.contains("  tags:        vip, gold\n"), "{shown}");
    assert!(shown.contains("  external id: C1\n"), "{shown}");
    assert!(shown.ends_with("no interactions yet\n"), "{shown}");
    let out = hotline(&data, &["crm", "show", "+15555550123"]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(1), "no customer with phone +15555550123\n"),
        "the old number was removed"
    );
}

#[test]
fn crm_show_lists_the_callers_calls_from_the_log_and_from_snapshots() {
    let dir = demo(30);
    let caller = all_events(dir.path())
        .iter()
        .find_map(|r| match r.event() {
            Event::Call(CallEvent::Arrived { caller, .. }) => Some(caller),
            _ => None,
        })
        .unwrap();
    let file = write(
        dir.path(),
        "one.csv",
        format!("name,phone\nFirst Caller,{caller}\n").as_bytes(),
    );
    let out = import(dir.path(), &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = hotline(dir.path(), &["crm", "show", &caller]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let from_log = stdout(&out);
    assert!(
        from_log.starts_with("First Caller (customer "),
        "{from_log}"
    );
    assert!(
        from_log.contains("recent interactions, newest first:\n  ")
            && from_log.contains("  voice  "),
        "{from_log}"
    );
    // After a replay the same answer comes from the snapshots.
    let out = hotline(dir.path(), &["replay"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = hotline(dir.path(), &["crm", "show", &caller]);
    assert_eq!(stdout(&out), from_log);
}

#[test]
fn files_that_cannot_be_imported_never_make_it_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cases: [(&str, &[u8], i32, &str); 5] = [
        ("garbage.bin", &garbage, 2, "header"),
        ("empty.csv", b"", 2, "the file is empty"),
        ("bom-only.csv", b"\xEF\xBB\xBF", 2, "the file is empty"),
        (
            "header-only.csv",
            b"external_id,name,phone,email,address,tags\n",
            1,
            "no customer rows",
        ),
        ("wrong.csv", b"id;nom;tel\n1;x;y\n", 2, "unknown column"),
    ];
    for (name, bytes, code, needle) in cases {
        let file = write(dir.path(), name, bytes);
        let out = import(&data, &file);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    assert!(!data.exists(), "nothing to import, nothing written");

    // Garbage after a good header: every row rejected by line, none kept.
    let mut bytes = b"name,phone\n".to_vec();
    bytes.extend_from_slice(&garbage);
    let file = write(dir.path(), "tail.csv", &bytes);
    let out = import(&data, &file);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("panicked"));
    assert!(stdout(&out).starts_with("imported 0 customers (0 updated), "));

    // A BOM before the header, and a file that is not there.
    let file = write(
        dir.path(),
        "bom.csv",
        b"\xEF\xBB\xBFname,phone\nGrace Hopper,+15555550123\n",
    );
    let out = import(&data, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = import(&data, &dir.path().join("missing.csv"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot read ") && err.lines().count() == 1,
        "{err}"
    );
}
