//! The flow loader: the documented example loads, and each rejection names the file, line,
//! field and what to do.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;
use crate::config::ConfigErrors;

const SOURCES: &[&str] = &["crm", "http"];

fn center() -> CenterConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/center.toml");
    CenterConfig::load(&path).unwrap()
}

#[track_caller]
fn errors_of(text: &str) -> ConfigErrors {
    match Flow::parse(text, "flow.toml", &center(), SOURCES) {
        Ok(flow) => panic!("accepted:\n{text}\nas {flow:#?}"),
        Err(errors) => errors,
    }
}

/// The only error of `text` is at `line`, names `field`, and its message contains `says`.
#[track_caller]
fn rejects(text: &str, line: usize, field: &str, says: &str) {
    let errors = errors_of(text);
    assert_eq!(errors.len(), 1, "one error expected, got:\n{errors}");
    let e = &errors.errors[0];
    assert_eq!(e.file, "flow.toml");
    assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
    assert!(e.message.contains(says), "{e}");
}

/// A small sound flow, to break one thing at a time. Lines are numbered in comments.
const BASE: &str = r#"[flow]
name = "t"
start = "menu"

[nodes.menu]
type = "menu"
prompt = "Press 1 for sales."
options = { "1" = "sales" }
on_failure = "sales"

[nodes.sales]
type = "transfer"
queue = "sales"
"#;

fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn the_documented_example_loads_against_the_example_center() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows/example.toml");
    let flow = Flow::load(&path, &center(), SOURCES).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flow.name, "main");
    assert_eq!(flow.start, "welcome");
    let kinds: std::collections::BTreeSet<&str> =
        flow.nodes.values().map(|n| n.kind().name()).collect();
    assert_eq!(
        kinds.len(),
        NodeKind::ALL.len(),
        "the example shows every node type: {kinds:?}"
    );
    let Action::Collect(account) = &flow.node("account").unwrap().action else {
        panic!("account is a collect node")
    };
    assert_eq!((account.min_length, account.max_length), (8, 8));
    assert_eq!(account.checksum, Some(Checksum::Luhn));
    assert!(account.pattern.as_ref().unwrap().is_match("49927398"));
    assert!(!account.pattern.as_ref().unwrap().is_match("09927398"));
    let Action::Menu(menu) = &flow.node("main_menu").unwrap().action else {
        panic!("main_menu is a menu")
    };
    assert_eq!(menu.retry.timeout, Duration::from_secs(6));
    assert_eq!(menu.retry.retries, 2);
    let Action::Condition(Condition {
        test: Test::Open(hours),
        ..
    }) = &flow.node("hours").unwrap().action
    else {
        panic!("hours tests business hours")
    };
    assert_eq!(hours.name, "office");
}

#[test]
fn a_base_flow_loads_with_defaults() {
    let flow = Flow::parse(BASE, "flow.toml", &center(), SOURCES).unwrap();
    let Action::Menu(menu) = &flow.node("menu").unwrap().action else {
        panic!("a menu")
    };
    assert_eq!(menu.retry.timeout, Duration::from_secs(5));
    assert_eq!(menu.retry.retries, 2);
}

#[test]
fn a_reference_to_a_missing_node_names_the_node_and_field() {
    rejects(
        &BASE.replace(
            r#"options = { "1" = "sales" }"#,
            r#"options = { "1" = "sale" }"#,
        ),
        8,
        "nodes.menu.options.1",
        "no node `sale` in this flow",
    );
    rejects(
        &BASE.replace(r#"on_failure = "sales""#, r#"on_failure = "nowhere""#),
        9,
        "nodes.menu.on_failure",
        "no node `nowhere`",
    );
    rejects(
        &BASE.replace(r#"start = "menu""#, r#"start = "main""#),
        3,
        "flow.start",
        "no node `main`",
    );
}

#[test]
fn a_missing_queue_skill_or_hours_is_refused() {
    rejects(
        &BASE.replace(r#"queue = "sales""#, r#"queue = "saels""#),
        13,
        "nodes.sales.queue",
        "no queue `saels` in the center's configuration",
    );
    rejects(
        &BASE.replace(
            r#"queue = "sales""#,
            "queue = \"sales\"\nskills = [\"klingon\"]",
        ),
        14,
        "nodes.sales.skills[0]",
        "skill `klingon` is not declared",
    );
    rejects(
        &(BASE.replace(
            r#"options = { "1" = "sales" }"#,
            r#"options = { "1" = "open" }"#,
        ) + "\n[nodes.open]\ntype = \"condition\"\nopen = \"weekends\"\nthen = \"sales\"\nelse = \"sales\"\n"),
        17,
        "nodes.open.open",
        "no business hours named \"weekends\"",
    );
}

#[test]
fn a_callback_needs_a_queue_that_takes_callbacks() {
    let text = BASE.replace(
        r#"options = { "1" = "sales" }"#,
        r#"options = { "1" = "cb" }"#,
    ) + "\n[nodes.cb]\ntype = \"callback\"\nqueue = \"billing\"\n";
    rejects(
        &text,
        17,
        "nodes.cb.queue",
        "does not take callback requests",
    );
}

#[test]
fn an_unreachable_node_is_refused() {
    rejects(
        &with("\n[nodes.orphan]\ntype = \"hang_up\"\n"),
        15,
        "nodes.orphan",
        "cannot be reached from the start node `menu`",
    );
}

#[test]
fn a_loop_that_never_waits_is_refused_and_one_through_a_menu_is_not() {
    let spin = BASE.replace(
        r#"options = { "1" = "sales" }"#,
        r#"options = { "1" = "a" }"#,
    ) + "\n[nodes.a]\ntype = \"play\"\nprompt = \"A\"\nnext = \"b\"\n\
           \n[nodes.b]\ntype = \"set\"\nset = { x = \"1\" }\nnext = \"a\"\n";
    rejects(
        &spin,
        15,
        "nodes.a",
        "the flow can loop a -> b -> a without waiting for the caller",
    );
    // Back to the menu: the caller is asked again, which is a loop that waits.
    let ask_again = BASE.replace(
        r#"options = { "1" = "sales" }"#,
        r#"options = { "1" = "sales", "9" = "again" }"#,
    ) + "\n[nodes.again]\ntype = \"play\"\nprompt = \"Again.\"\nnext = \"menu\"\n";
    Flow::parse(&ask_again, "flow.toml", &center(), SOURCES).unwrap();
}

#[test]
fn serde_errors_name_the_line_and_field() {
    rejects(
        &BASE.replace(r#"queue = "sales""#, "queue = \"sales\"\npriority = 300"),
        14,
        "nodes.sales.priority",
        "expected a whole number from 0 to 255",
    );
    rejects(
        &BASE.replace(
            r#"on_failure = "sales""#,
            "on_failure = \"sales\"\nnext = \"sales\"",
        ),
        10,
        "nodes.menu.next",
        "unknown field `next`",
    );
    rejects(
        &BASE.replace(r#"type = "menu""#, r#"type = "meun""#),
        6,
        "nodes.menu.type",
        "unknown node type \"meun\"; expected one of menu, collect",
    );
    rejects(
        &BASE.replace("timeout", "x").replace(
            r#"on_failure = "sales""#,
            "on_failure = \"sales\"\ntimeout = \"soon\"",
        ),
        10,
        "nodes.menu.timeout",
        "\"soon\"",
    );
    let syntax = errors_of("[flow]\nname = \"t\nstart = \"menu\"\n");
    assert_eq!(syntax.errors[0].line, 2, "{syntax}");
    assert!(
        syntax.errors[0].message.starts_with("invalid TOML"),
        "{syntax}"
    );
}

#[test]
fn missing_settings_are_named() {
    rejects(
        &BASE.replace("on_failure = \"sales\"\n", ""),
        5,
        "nodes.menu.on_failure",
        "`on_failure` is missing",
    );
    rejects(
        &BASE.replace("[flow]\nname = \"t\"\nstart = \"menu\"\n", ""),
        1,
        "flow",
        "the [flow] table is missing",
    );
    rejects(
        &with("\n[extra]\nx = 1\n"),
        15,
        "extra",
        "unknown setting `extra`",
    );
}

#[test]
fn collection_checks_are_validated() {
    let collect = |body: &str| {
        BASE.replace(
            r#"options = { "1" = "sales" }"#,
            r#"options = { "1" = "c" }"#,
        ) + "\n[nodes.c]\ntype = \"collect\"\nvariable = \"acct\"\nnext = \"sales\"\non_failure = \"sales\"\n"
            + body
    };
    rejects(
        &collect("pattern = \"[0-9\"\n"),
        20,
        "nodes.c.pattern",
        "is not a regular expression",
    );
    rejects(
        &collect("checksum = \"crc\"\n"),
        20,
        "nodes.c.checksum",
        "unknown checksum \"crc\"; expected one of luhn",
    );
    rejects(
        &collect("length = 40\n"),
        20,
        "nodes.c.length",
        "40 is out of range",
    );
    rejects(
        &collect("min_length = 6\nmax_length = 4\n"),
        20,
        "nodes.c.min_length",
        "min_length 6 is above max_length 4",
    );
}

#[test]
fn a_variable_no_node_sets_is_refused() {
    rejects(
        &BASE.replace("Press 1 for sales.", "Hello {nmae}, press 1."),
        7,
        "nodes.menu.prompt",
        "no node sets the variable `nmae`",
    );
    // Built-in variables need no node.
    Flow::parse(
        &BASE.replace("Press 1 for sales.", "You are calling from {caller}."),
        "flow.toml",
        &center(),
        SOURCES,
    )
    .unwrap();
    rejects(
        &BASE.replace("Press 1 for sales.", "Press {1 for sales."),
        7,
        "nodes.menu.prompt",
        "unbalanced brace",
    );
}

#[test]
fn a_lookup_needs_a_known_source_and_both_ways_out() {
    let lookup = |body: &str| {
        BASE.replace(
            r#"options = { "1" = "sales" }"#,
            r#"options = { "1" = "l" }"#,
        ) + "\n[nodes.l]\ntype = \"lookup\"\nnext = \"sales\"\n"
            + body
    };
    rejects(
        &lookup("source = \"crm\"\n"),
        15,
        "nodes.l.fallback",
        "`fallback` is missing",
    );
    rejects(
        &lookup("source = \"ldap\"\nfallback = \"sales\"\n"),
        18,
        "nodes.l.source",
        "unknown lookup source \"ldap\"; this Hotline has crm, http",
    );
}

#[test]
fn a_condition_tests_exactly_one_thing() {
    let text = BASE.replace(
        r#"options = { "1" = "sales" }"#,
        r#"options = { "1" = "c" }"#,
    ) + "\n[nodes.c]\ntype = \"condition\"\nopen = \"office\"\ncaller_in = [\"+15555550123\"]\nthen = \"sales\"\nelse = \"sales\"\n";
    rejects(&text, 15, "nodes.c", "a condition tests exactly one of");
    let bad_number = BASE.replace(
        r#"options = { "1" = "sales" }"#,
        r#"options = { "1" = "c" }"#,
    ) + "\n[nodes.c]\ntype = \"condition\"\ncaller_in = [\"5550123\"]\nthen = \"sales\"\nelse = \"sales\"\n";
    let errors = errors_of(&bad_number);
    assert_eq!(errors.errors[0].field, "nodes.c.caller_in[0]", "{errors}");
}

#[test]
fn luhn_check_digits() {
    assert!(Checksum::Luhn.verify("49927398716"));
    assert!(Checksum::Luhn.verify("79927398713"));
    assert!(!Checksum::Luhn.verify("49927398717"));
    assert!(!Checksum::Luhn.verify(""));
    assert!(!Checksum::Luhn.verify("12a4"));
}

#[test]
fn templates_fill_and_report_their_variables() {
    assert_eq!(template_variables("Hi {name}, {x}!"), Ok(vec!["name", "x"]));
    assert_eq!(template_variables("no braces"), Ok(vec![]));
    assert_eq!(template_variables("a } b"), Err(2));
    assert_eq!(template_variables("a {b"), Err(2));
    assert_eq!(
        fill_template("Hi {name}, {x}!", |v| v.to_uppercase()),
        "Hi NAME, X!"
    );
}
