//! The center configuration: the example file, every validation rule (checked by the line
//! and field its error names), syntax errors, durations and business hours.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hotline_events::{AgentId, QueueId, SkillName};
use hotline_infra::config::{
    BusinessHours, CenterConfig, ConfigErrors, OverflowRule, Strategy, Tiers, parse_duration,
};
use hotline_infra::{KafkaTarget, LogTarget};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/center.toml")
}

fn q(id: &str) -> QueueId {
    QueueId::new(id).unwrap()
}

fn skill(name: &str) -> SkillName {
    SkillName::new(name).unwrap()
}

fn utc(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

#[track_caller]
fn errors_of(text: &str) -> ConfigErrors {
    match CenterConfig::parse(text, "center.toml") {
        Ok(config) => panic!("accepted:\n{text}\nas {config:#?}"),
        Err(errors) => errors,
    }
}

/// The only error of `text` is at `line`, names `field`, and its message contains `says`.
#[track_caller]
fn rejects(text: &str, line: usize, field: &str, says: &str) {
    let errors = errors_of(text);
    assert_eq!(errors.len(), 1, "expected one error, got:\n{errors}");
    let e = &errors.errors[0];
    assert_eq!(
        (e.line, e.field.as_str()),
        (line, field),
        "wrong place:\n{errors}"
    );
    assert!(
        e.message.contains(says),
        "message lacks {says:?}:\n{errors}"
    );
    assert_eq!(e.file, "center.toml");
}

#[track_caller]
fn accepts(text: &str) -> CenterConfig {
    CenterConfig::parse(text, "center.toml").unwrap_or_else(|e| panic!("rejected:\n{e}"))
}

/// Two queues, two skills and hours, for the rules that need something to refer to. With
/// the time zone [`with_base`] adds, 10 lines: a snippet appended starts on line 11.
const BASE: &str = r#"skills = ["spanish", "tech"]
[[queues]]
id = "sales"
strategy = "linear"
[[queues]]
id = "support"
strategy = "ring_all"
[[hours]]
name = "office""#;

fn with_base(snippet: &str) -> String {
    format!("{BASE}\ntime_zone = \"UTC\"\n{snippet}")
}

// ---------------------------------------------------------------------------------------
// The example file.

#[test]
fn the_example_file_loads_with_its_documented_content() {
    let config = CenterConfig::load(&example_path()).unwrap();

    assert_eq!(config.router.auto_pause_after, 2);
    assert_eq!(config.router.announce_every, Duration::from_secs(30));
    assert_eq!(config.router.estimate_window, 50);
    assert_eq!(
        config.skills,
        vec![skill("billing"), skill("spanish"), skill("tech")]
    );

    let sales = config.queue(&q("sales")).unwrap();
    assert_eq!(sales.name, "Sales");
    assert_eq!(sales.strategy, Strategy::LongestIdle);
    assert_eq!(sales.ring_timeout, Duration::from_secs(15));
    assert_eq!(sales.wrap_up, Duration::from_secs(30));
    assert_eq!(sales.skills, vec![skill("spanish")]);
    assert_eq!(
        sales.tiers,
        Tiers {
            levels: vec![8, 5, 1],
            widen_after: Duration::from_secs(20)
        }
    );
    assert_eq!(
        sales.overflow,
        vec![
            OverflowRule {
                to: q("support"),
                after: Some(Duration::from_secs(60)),
                waiting_over: None
            },
            OverflowRule {
                to: q("support"),
                after: None,
                waiting_over: Some(10)
            },
        ]
    );
    assert_eq!(sales.max_wait, Some(Duration::from_secs(300)));
    assert_eq!(sales.hours.as_deref(), Some("office"));
    assert_eq!(sales.service_level_threshold, Duration::from_secs(20));
    assert_eq!(sales.service_level_target, 80);
    assert!(sales.callback);
    assert_eq!(sales.default_handle_time, Duration::from_secs(180));

    // A queue that gives only what it must gets the documented defaults.
    let billing = config.queue(&q("billing")).unwrap();
    assert_eq!(billing.name, "billing");
    assert_eq!(billing.strategy, Strategy::Linear);
    assert_eq!(billing.ring_timeout, Duration::from_secs(15));
    assert_eq!(billing.tiers, Tiers::default());
    assert!(billing.overflow.is_empty());
    assert_eq!(billing.max_wait, None);
    assert_eq!(billing.hours, None);
    assert_eq!(
        (
            billing.service_level_threshold,
            billing.service_level_target
        ),
        (Duration::from_secs(20), 80)
    );
    assert!(!billing.callback);

    let office = config.hours("office").unwrap();
    assert_eq!(office.time_zone, chrono_tz::Europe::Paris);
    assert_eq!(office.week[0], vec![(480, 750), (810, 1080)]);
    assert_eq!(office.week[4], vec![(480, 750), (810, 1020)]);
    assert_eq!(office.week[5], vec![(540, 720)]);
    assert!(office.week[6].is_empty(), "a missing day is closed");
    assert_eq!(
        office.holidays,
        vec![
            NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        ]
    );

    let alice = &config.agents[0];
    assert_eq!(alice.login, "alice");
    assert_eq!(
        alice.id,
        hotline_infra::config::AgentConfig::derived_id("alice")
    );
    assert_eq!(alice.name, "Alice Martin");
    assert_eq!(alice.extension.as_deref(), Some("2001"));
    let mut skills = alice.skills.clone();
    skills.sort();
    assert_eq!(skills, vec![(skill("billing"), 4), (skill("spanish"), 9)]);
    assert_eq!(alice.queues, vec![q("sales"), q("support")]);
    assert_eq!(alice.weight, 1);
    let carol = &config.agents[2];
    assert_eq!(
        carol.id,
        "0190c3d2-7b3a-7cc0-8000-0000000000c0"
            .parse::<AgentId>()
            .unwrap()
    );
    assert_eq!(carol.extension, None);

    // Members in file order: the hunting order.
    let members: Vec<&str> = config
        .members(&q("support"))
        .map(|a| a.login.as_str())
        .collect();
    assert_eq!(members, ["alice", "bob"]);

    let main = config.number("+18005550100").unwrap();
    assert_eq!(main.route(None), &q("sales"));
    assert_eq!(main.route(Some("2")), &q("support"));
    assert_eq!(main.route(Some("9")), &q("sales"));
    assert_eq!(config.number("+18005550199").unwrap().priority, 5);
    assert!(config.number("+10000000000").is_none());

    // Europe/Paris, Monday 2026-06-01 (CEST, UTC+2): open 08:00-12:30 local.
    assert!(config.is_open(&q("sales"), utc("2026-06-01T06:30:00Z")));
    assert!(!config.is_open(&q("sales"), utc("2026-06-01T11:00:00Z")));
    assert!(config.is_open(&q("billing"), utc("2026-06-01T03:00:00Z")));
    assert!(!config.is_open(&q("nowhere"), utc("2026-06-01T06:30:00Z")));
}

#[test]
fn the_example_file_never_panics_when_cut_short() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    for end in (0..text.len())
        .filter(|&i| text.is_char_boundary(i))
        .step_by(3)
    {
        let _ = CenterConfig::parse(&text[..end], "center.toml");
    }
}

#[test]
fn an_unreadable_file_is_named() {
    let errors = CenterConfig::load(Path::new("/nonexistent/center.toml")).unwrap_err();
    assert_eq!(errors.len(), 1);
    let e = &errors.errors[0];
    assert_eq!((e.file.as_str(), e.line), ("/nonexistent/center.toml", 0));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/center.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn an_empty_file_is_an_empty_center() {
    let config = accepts("");
    assert_eq!(config.router, Default::default());
    assert!(config.queues.is_empty() && config.agents.is_empty());
}

#[test]
fn the_log_key_names_the_event_log() {
    assert_eq!(accepts("").log, None, "no key: the data directory's log");
    assert_eq!(
        CenterConfig::load(&example_path()).unwrap().log,
        None,
        "the example documents the key but leaves it commented out"
    );
    assert_eq!(
        accepts("log = \"kafka://127.0.0.1:9092/hotline.events?partitions=6\"\n").log,
        Some(LogTarget::Kafka(KafkaTarget {
            bootstrap: "127.0.0.1:9092".into(),
            topic: "hotline.events".into(),
            partitions: 6,
        }))
    );
    assert_eq!(
        accepts("log = \"sqlite://elsewhere\"\nskills = [\"tech\"]\n").log,
        Some(LogTarget::Sqlite(PathBuf::from("elsewhere")))
    );
}

#[test]
fn a_bad_log_url_is_an_error_at_the_key_saying_what_is_wrong() {
    let errors = errors_of("skills = []\nlog = \"kafka://broker/events\"\n");
    assert_eq!(errors.len(), 1, "{errors}");
    let e = &errors.errors[0];
    assert_eq!((e.line, e.column, e.field.as_str()), (2, 7, "log"), "{e}");
    assert!(
        e.to_string()
            .starts_with("center.toml:2:7: log: the event log `kafka://broker/events`"),
        "{e}"
    );
    assert!(e.message.contains("the broker has no :PORT"), "{e}");
    rejects(
        "log = \"postgres://db/events\"\n",
        1,
        "log",
        "neither sqlite:// nor kafka://",
    );
    rejects("log = 9092\n", 1, "log", "string");
    rejects(
        "[router]\nestimate_window = 5\nlog = \"kafka://b:1/t\"\n",
        3,
        "router.log",
        "move it above the first [section]",
    );
}

// ---------------------------------------------------------------------------------------
// Syntax and shape.

#[test]
fn a_syntax_error_names_its_line_and_column() {
    let errors = errors_of("skills = []\n[router\nauto_pause_after = 2\n");
    assert_eq!(errors.len(), 1);
    let e = &errors.errors[0];
    assert_eq!((e.line, e.column, e.field.as_str()), (2, 8, ""));
    assert!(
        e.to_string().starts_with("center.toml:2:8: invalid TOML: "),
        "{e}"
    );

    rejects("a = 1\nb = \"open\n", 2, "", "invalid TOML");
}

#[test]
fn a_duplicate_key_is_a_syntax_error_at_the_second() {
    rejects(
        "[router]\nestimate_window = 5\nestimate_window = 6\n",
        3,
        "",
        "duplicate key",
    );
}

#[test]
fn unknown_fields_are_typos() {
    rejects(
        &with_base("[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nring_timout = \"5s\"\n"),
        14,
        "queues[2].ring_timout",
        "unknown field `ring_timout`",
    );
    rejects(
        "[router]\nauto_pause = 3\n",
        2,
        "router.auto_pause",
        "check the spelling",
    );
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\ntiers = { levels = [5], widen = \"1s\" }\n",
        4,
        "queues[0].tiers.widen",
        "unknown field",
    );
}

#[test]
fn an_unknown_top_level_key_is_named() {
    rejects("skils = [\"a\"]\n", 1, "skils", "unknown setting `skils`");
}

#[test]
fn a_top_level_key_written_under_a_section_says_to_move_it() {
    rejects(
        "[router]\nestimate_window = 5\n\nskills = [\"tech\"]\n",
        4,
        "router.skills",
        "move it above the first [section]",
    );
}

#[test]
fn a_missing_required_field_is_named_at_its_entry() {
    rejects(
        &with_base("[[queues]]\nname = \"Nameless\"\nstrategy = \"linear\"\n"),
        11,
        "queues[2].id",
        "`id` is missing",
    );
    rejects(
        "[[queues]]\nid = \"x\"\n",
        1,
        "queues[0].strategy",
        "`strategy` is missing",
    );
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    rejects(
        "[[agents]]\nlogin = \"a\"\nweight = \"heavy\"\n",
        3,
        "agents[0].weight",
        "expected a whole number",
    );
    rejects(
        "[[hours]]\nname = \"h\"\ntime_zone = \"UTC\"\nmon = \"08:00-12:00\"\n",
        4,
        "hours[0].mon",
        "expected a list",
    );
    rejects("queues = 3\n", 1, "queues", "[[queues]]");
}

// ---------------------------------------------------------------------------------------
// Names and references.

#[test]
fn an_unknown_strategy_lists_the_known_ones() {
    let errors = errors_of("[[queues]]\nid = \"sales\"\nstrategy = \"fastest\"\n");
    assert_eq!(
        errors.to_string(),
        "center.toml:3:12: queues[0].strategy: unknown strategy \"fastest\"; expected one of ring_all, linear, round_robin, longest_idle, fewest_calls, least_talk_time, random, weighted_random, skills"
    );
}

#[test]
fn queue_ids_are_slugs() {
    rejects(
        "[[queues]]\nid = \"Sales Team\"\nstrategy = \"linear\"\n",
        2,
        "queues[0].id",
        "not a valid queue name",
    );
}

#[test]
fn queue_ids_are_unique() {
    let text = with_base("[[queues]]\nid = \"sales\"\nstrategy = \"random\"\n");
    rejects(&text, 12, "queues[2].id", "of the entry at line 3");
}

#[test]
fn agent_logins_and_extensions_are_unique() {
    rejects(
        "[[agents]]\nlogin = \"al\"\n[[agents]]\nlogin = \"al\"\n",
        4,
        "agents[1].login",
        "of the entry at line 2",
    );
    rejects(
        "[[agents]]\nlogin = \"a\"\nextension = \"2001\"\n[[agents]]\nlogin = \"b\"\nextension = \"2001\"\n",
        6,
        "agents[1].extension",
        "of the entry at line 3",
    );
}

#[test]
fn overflow_must_name_an_existing_queue() {
    rejects(
        &with_base(
            "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\noverflow = [{ to = \"suport\", after = \"1m\" }]\n",
        ),
        14,
        "queues[2].overflow[0].to",
        "no queue `suport` is defined",
    );
}

#[test]
fn agents_must_name_existing_queues() {
    rejects(
        &with_base("[[agents]]\nlogin = \"a\"\nqueues = [\"sales\", \"sails\"]\n"),
        13,
        "agents[0].queues[1]",
        "defined: sales, support",
    );
}

#[test]
fn numbers_must_route_to_existing_queues() {
    rejects(
        &with_base("[[numbers]]\nnumber = \"+15550001\"\nqueue = \"nope\"\n"),
        13,
        "numbers[0].queue",
        "no queue `nope`",
    );
    rejects(
        &with_base(
            "[[numbers]]\nnumber = \"+15550001\"\nqueue = \"sales\"\nmenu = { \"1\" = \"sales\", \"2\" = \"nope\" }\n",
        ),
        14,
        "numbers[0].menu.2",
        "no queue `nope`",
    );
}

#[test]
fn skills_must_be_declared() {
    rejects(
        &with_base("[[queues]]\nid = \"x\"\nstrategy = \"skills\"\nskills = [\"french\"]\n"),
        14,
        "queues[2].skills[0]",
        "skill `french` is not declared",
    );
    rejects(
        &with_base("[[agents]]\nlogin = \"a\"\nskills = { tech = 5, french = 5 }\n"),
        13,
        "agents[0].skills.french",
        "declared: spanish, tech",
    );
}

#[test]
fn skill_names_are_slugs_and_unique() {
    rejects(
        "skills = [\"tech\", \"Tech Support\"]\n",
        1,
        "skills[1]",
        "not a valid skill name",
    );
    rejects(
        "skills = [\"tech\",\n  \"tech\"]\n",
        2,
        "skills[1]",
        "listed twice",
    );
}

#[test]
fn skill_levels_are_1_to_10() {
    rejects(
        &with_base("[[agents]]\nlogin = \"a\"\nskills = { tech = 11 }\n"),
        13,
        "agents[0].skills.tech",
        "1 (novice) to 10 (expert)",
    );
    rejects(
        &with_base("[[agents]]\nlogin = \"a\"\nskills = { spanish = 0 }\n"),
        13,
        "agents[0].skills.spanish",
        "out of range",
    );
}

// ---------------------------------------------------------------------------------------
// Queue settings.

#[test]
fn tiers_are_non_empty_strictly_decreasing_levels() {
    let queue =
        |tiers: &str| format!("[[queues]]\nid = \"x\"\nstrategy = \"skills\"\n\ntiers = {tiers}\n");
    rejects(
        &queue("{ levels = [] }"),
        5,
        "queues[0].tiers.levels",
        "at least one",
    );
    rejects(
        &queue("{ levels = [8, 8, 1] }"),
        5,
        "queues[0].tiers.levels[1]",
        "strictly decrease",
    );
    rejects(
        &queue("{ levels = [12, 5] }"),
        5,
        "queues[0].tiers.levels[0]",
        "out of range",
    );
    rejects(
        &queue("{ widen_after = \"0s\" }"),
        5,
        "queues[0].tiers.widen_after",
        "is zero",
    );
    let config = accepts(&queue("{ levels = [9, 2] }"));
    assert_eq!(config.queues[0].tiers.levels, vec![9, 2]);
    assert_eq!(config.queues[0].tiers.widen_after, Duration::from_secs(20));
}

#[test]
fn an_overflow_rule_needs_a_condition() {
    rejects(
        &with_base(
            "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\noverflow = [{ to = \"sales\" }]\n",
        ),
        14,
        "queues[2].overflow[0]",
        "needs `after`",
    );
}

#[test]
fn a_queue_cannot_overflow_to_itself() {
    rejects(
        &with_base(
            "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\noverflow = [\n  { to = \"sales\", waiting_over = 3 },\n  { to = \"x\", after = \"0s\" },\n]\n",
        ),
        16,
        "queues[2].overflow[1].to",
        "overflows to itself",
    );
}

#[test]
fn the_service_level_target_is_a_percentage() {
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nservice_level = { target = 101 }\n",
        4,
        "queues[0].service_level.target",
        "0 to 100",
    );
}

#[test]
fn durations_parse_and_are_positive_where_zero_makes_no_sense() {
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nring_timeout = \"0s\"\n",
        4,
        "queues[0].ring_timeout",
        "is zero",
    );
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nring_timeout = 15\n",
        4,
        "queues[0].ring_timeout",
        "expected a string",
    );
    rejects(
        "[router]\nannounce_every = \"0ms\"\n",
        2,
        "router.announce_every",
        "is zero",
    );
    rejects(
        "[router]\nannounce_every = \"30 seconds\"\n",
        2,
        "router.announce_every",
        "is not a duration",
    );
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nmax_wait = \"5min\"\n",
        4,
        "queues[0].max_wait",
        "unknown unit",
    );
    // Zero wrap-up is no wrap-up: allowed.
    let config = accepts("[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nwrap_up = \"0s\"\n");
    assert_eq!(config.queues[0].wrap_up, Duration::ZERO);
}

#[test]
fn the_duration_syntax() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(
        parse_duration("1h0m5s250ms"),
        Ok(Duration::from_millis(3_605_250))
    );
    for bad in ["", "15", "1.5s", "1d", "30s1m", "1m1m", "s", "-5s", "5 s"] {
        let e = parse_duration(bad).unwrap_err();
        assert!(e.to_string().contains("such as \"500ms\""), "{e}");
    }
}

#[test]
fn router_counts_are_at_least_one() {
    rejects(
        "[router]\nauto_pause_after = 0\n",
        2,
        "router.auto_pause_after",
        "from 1",
    );
    rejects(
        "[router]\nestimate_window = -3\n",
        2,
        "router.estimate_window",
        "from 1",
    );
}

// ---------------------------------------------------------------------------------------
// Hours.

#[test]
fn hours_names_are_unique_and_referenced_ones_exist() {
    rejects(
        "[[hours]]\nname = \"office\"\ntime_zone = \"UTC\"\n[[hours]]\nname = \"office\"\ntime_zone = \"UTC\"\n",
        5,
        "hours[1].name",
        "of the entry at line 2",
    );
    rejects(
        "[[queues]]\nid = \"x\"\nstrategy = \"linear\"\nhours = \"ofice\"\n",
        4,
        "queues[0].hours",
        "no business hours named \"ofice\"",
    );
}

#[test]
fn a_time_zone_is_an_iana_name() {
    rejects(
        "[[hours]]\nname = \"h\"\ntime_zone = \"CEST+2\"\n",
        3,
        "hours[0].time_zone",
        "IANA",
    );
}

#[test]
fn intervals_open_before_they_close_and_do_not_overlap() {
    let hours = |line: &str| format!("[[hours]]\nname = \"h\"\ntime_zone = \"UTC\"\n{line}\n");
    rejects(
        &hours("tue = [\"8-12\"]"),
        4,
        "hours[0].tue[0]",
        "HH:MM-HH:MM",
    );
    rejects(
        &hours("wed = [\"08:00-12:00\", \"18:00-09:00\"]"),
        4,
        "hours[0].wed[1]",
        "does not close after it opens",
    );
    rejects(
        &hours("thu = [\"08:00-25:00\"]"),
        4,
        "hours[0].thu[0]",
        "valid times",
    );
    rejects(
        &hours("fri = [\"13:00-18:00\", \"08:00-13:30\"]"),
        4,
        "hours[0].fri[0]",
        "overlaps",
    );
    rejects(
        &hours("holidays = [\"2026-02-30\"]"),
        4,
        "hours[0].holidays[0]",
        "YYYY-MM-DD",
    );
    // Touching intervals are fine, and are kept in time order.
    let config = accepts(&hours("sun = [\"12:00-24:00\", \"00:00-12:00\"]"));
    assert_eq!(config.hours[0].week[6], vec![(0, 720), (720, 1440)]);
}

fn paris_office() -> BusinessHours {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    for day in &mut week[..5] {
        *day = vec![(8 * 60, 12 * 60 + 30), (13 * 60 + 30, 18 * 60)];
    }
    BusinessHours {
        name: "office".into(),
        time_zone: chrono_tz::Europe::Paris,
        week,
        holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
    }
}

#[test]
fn hours_follow_the_local_clock_across_a_dst_change() {
    let office = paris_office();
    // Friday 2026-03-27, CET (UTC+1): 08:00 local is 07:00 UTC.
    assert!(!office.is_open(utc("2026-03-27T06:59:00Z")));
    assert!(office.is_open(utc("2026-03-27T07:00:00Z")));
    assert!(office.is_open(utc("2026-03-27T16:59:00Z")));
    assert!(!office.is_open(utc("2026-03-27T17:00:00Z")));
    // Clocks go forward on Sunday 2026-03-29; Monday 2026-03-30 is CEST (UTC+2): 08:00
    // local is now 06:00 UTC, and 18:00 local is 16:00 UTC.
    assert!(office.is_open(utc("2026-03-30T06:00:00Z")));
    assert!(!office.is_open(utc("2026-03-30T16:00:00Z")));
    // Lunch, 12:30-13:30 local.
    assert!(!office.is_open(utc("2026-03-30T10:45:00Z")));
    assert!(office.is_open(utc("2026-03-30T11:30:00Z")));
    // The weekend is closed.
    assert!(!office.is_open(utc("2026-03-29T09:00:00Z")));
}

#[test]
fn the_repeated_hour_of_a_fall_back_is_judged_by_the_wall_clock() {
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    week[6] = vec![(60, 120)]; // Sunday 01:00-02:00, which happens twice on 2026-11-01.
    let hours = BusinessHours {
        name: "night".into(),
        time_zone: chrono_tz::America::New_York,
        week,
        holidays: vec![],
    };
    assert!(hours.is_open(utc("2026-11-01T05:30:00Z")), "01:30 EDT");
    assert!(hours.is_open(utc("2026-11-01T06:30:00Z")), "01:30 EST");
    assert!(!hours.is_open(utc("2026-11-01T07:30:00Z")), "02:30 EST");
}

#[test]
fn a_holiday_is_closed_on_its_local_date() {
    let office = paris_office();
    // Friday 2026-12-25, 10:00 local: a holiday.
    assert!(!office.is_open(utc("2026-12-25T09:00:00Z")));
    assert!(office.is_open(utc("2026-12-24T09:00:00Z")));
    // Monday the 28th is open again.
    assert!(office.is_open(utc("2026-12-28T09:00:00Z")));

    // A zone ahead of UTC: Auckland's holiday starts while UTC is still on the 24th.
    let mut week: [Vec<(u16, u16)>; 7] = Default::default();
    week.fill(vec![(0, 1440)]);
    let auckland = BusinessHours {
        name: "nz".into(),
        time_zone: chrono_tz::Pacific::Auckland,
        week,
        holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
    };
    assert!(
        !auckland.is_open(utc("2026-12-24T12:00:00Z")),
        "01:00 on the 25th, NZDT"
    );
    assert!(
        auckland.is_open(utc("2026-12-24T10:00:00Z")),
        "23:00 on the 24th, NZDT"
    );
}

#[test]
fn always_open_is_open_around_the_clock() {
    let hours = BusinessHours::always_open("24x7");
    let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
    assert!((0..7 * 24 * 4).all(|i| hours.is_open(start + chrono::Duration::minutes(15 * i))));
}

// ---------------------------------------------------------------------------------------
// Agents and numbers.

#[test]
fn a_derived_agent_id_is_stable_and_distinct() {
    use hotline_infra::config::AgentConfig;
    let alice = AgentConfig::derived_id("alice");
    // Pinned: changing the derivation would give every agent a new stream.
    assert_eq!(alice.to_string(), "61b10731-c797-87b8-b9d3-2a4cd0a5e4d1");
    assert_eq!(alice.as_uuid().get_version_num(), 8);
    assert_eq!(alice.as_uuid().get_variant(), uuid::Variant::RFC4122);
    assert_ne!(alice, AgentConfig::derived_id("alicf"));
    assert_ne!(alice, AgentConfig::derived_id("Alice"));
    let config = accepts("[[agents]]\nlogin = \"alice\"\n");
    assert_eq!(config.agents[0].id, alice);
    assert_eq!(config.agents[0].name, "alice");
    assert_eq!(config.agents[0].weight, 1);
}

#[test]
fn an_explicit_agent_id_is_a_uuid_and_unique() {
    rejects(
        "[[agents]]\nlogin = \"a\"\nid = \"agent-7\"\n",
        3,
        "agents[0].id",
        "not a valid agent id",
    );
    let alice = hotline_infra::config::AgentConfig::derived_id("alice");
    rejects(
        &format!("[[agents]]\nlogin = \"bob\"\nid = \"{alice}\"\n[[agents]]\nlogin = \"alice\"\n"),
        5,
        "agents[1].login",
        "already given to the agent at line 3 (agents[0].id)",
    );
    rejects(
        "[[agents]]\nlogin = \"a\"\nid = \"0190c3d2-7b3a-7cc0-8000-000000000001\"\n[[agents]]\nlogin = \"b\"\nid = \"0190c3d2-7b3a-7cc0-8000-000000000001\"\n",
        6,
        "agents[1].id",
        "already used by the agent at line 3 (agents[0].id)",
    );
}

#[test]
fn agent_weight_is_at_least_one() {
    rejects(
        "[[agents]]\nlogin = \"a\"\nweight = 0\n",
        3,
        "agents[0].weight",
        "from 1",
    );
}

#[test]
fn numbers_are_unique_e164_with_keyable_menus() {
    rejects(
        &with_base(
            "[[numbers]]\nnumber = \"+15550001\"\nqueue = \"sales\"\n[[numbers]]\nnumber = \"+15550001\"\nqueue = \"support\"\n",
        ),
        15,
        "numbers[1].number",
        "of the entry at line 12",
    );
    rejects(
        &with_base("[[numbers]]\nnumber = \"555-0001\"\nqueue = \"sales\"\n"),
        12,
        "numbers[0].number",
        "E.164",
    );
    rejects(
        &with_base(
            "[[numbers]]\nnumber = \"+15550001\"\nqueue = \"sales\"\nmenu = { \"1a\" = \"support\" }\n",
        ),
        14,
        "numbers[0].menu.1a",
        "0-9, * and #",
    );
    rejects(
        &with_base(
            "[[numbers]]\nnumber = \"+15550001\"\nqueue = \"sales\"\nmenu = { \"123456789\" = \"support\" }\n",
        ),
        14,
        "numbers[0].menu.123456789",
        "1 to 8",
    );
    let config = accepts(&with_base(
        "[[numbers]]\nnumber = \"+15550001\"\nqueue = \"sales\"\nmenu = { \"*0#\" = \"support\" }\n",
    ));
    assert_eq!(config.numbers[0].route(Some("*0#")), &q("support"));
}

// ---------------------------------------------------------------------------------------
// Many errors at once.

#[test]
fn every_error_is_reported_in_file_order() {
    let text = r#"skills = ["tech"]

[[queues]]
id = "sales"
strategy = "fastest"
ring_timeout = "0s"
overflow = [{ to = "nowhere", after = "1m" }]

[[queues]]
id = "support"
strategy = "linear"
colour = "blue"

[[agents]]
login = "a"
skills = { tech = 11, cooking = 3 }
queues = ["sales", "sails"]

[[numbers]]
number = "+15550001"
queue = "support"
menu = { "9" = "gone" }
"#;
    let errors = errors_of(text);
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        found,
        [
            (5, "queues[0].strategy"),
            (6, "queues[0].ring_timeout"),
            (7, "queues[0].overflow[0].to"),
            (12, "queues[1].colour"),
            (16, "agents[0].skills.tech"),
            (16, "agents[0].skills.cooking"),
            (17, "agents[0].queues[1]"),
            (22, "numbers[0].menu.9"),
        ]
    );
    // One per line when displayed.
    let shown = errors.to_string();
    assert_eq!(shown.lines().count(), 8, "{shown}");
    assert!(
        shown.lines().all(|l| l.starts_with("center.toml:")),
        "{shown}"
    );
}

#[test]
fn a_broken_queue_still_counts_as_defined_for_references() {
    // `support` has a typo, but the agent naming it gets no second, misleading error.
    let text = "[[queues]]\nid = \"support\"\nstrategy = \"linear\"\nwrapup = \"5s\"\n[[agents]]\nlogin = \"a\"\nqueues = [\"support\"]\n";
    rejects(text, 4, "queues[0].wrapup", "unknown field");
}

#[test]
fn a_wrong_type_or_typo_does_not_hide_the_rest_of_its_entry() {
    let text = r#"[[queues]]
id = "x"
strategy = 7
ring_timeout = "0s"
colour = "red"
overflow = [{ after = "1s" }]
"#;
    let errors = errors_of(text);
    let found: Vec<(usize, &str, &str)> = errors
        .iter()
        .map(|e| (e.line, e.field.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(found.len(), 4, "{errors}");
    assert_eq!(
        (found[0].0, found[0].1),
        (3, "queues[0].strategy"),
        "{errors}"
    );
    assert!(found[0].2.contains("expected a string"), "{errors}");
    assert_eq!((found[1].0, found[1].1), (4, "queues[0].ring_timeout"));
    assert_eq!((found[2].0, found[2].1), (5, "queues[0].colour"));
    assert_eq!(
        (found[3].0, found[3].1, found[3].2),
        (
            6,
            "queues[0].overflow[0].to",
            "`to` is missing; every entry here needs one"
        )
    );
}
