//! The SQL surface on `morning()`, the small known history of [`crate::history`]: the
//! standard reports against figures worked out by hand, the Parquet history against the
//! live tables, and the read-only guard.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono_tz::Tz;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::util::pretty::pretty_format_batches;
use hotline_infra::{EventLog, SqliteLog};

use super::history::History;
use super::read_only::Refused;
use super::{Analytics, Answer, Now, Sources, SqlError};
use crate::history::{at, morning, q, t};
use crate::projection::Projection;
use crate::{MetricRules, ReadModels, Views};

fn rules() -> MetricRules {
    MetricRules::default()
        .with_threshold(q("sales"), 20_000)
        .with_threshold(q("support"), 30_000)
}

fn morning_models() -> ReadModels {
    let mut models = ReadModels::new(&rules());
    morning().fold(&mut Folder(&mut models));
    models
}

/// Lets `History::fold` feed all the models at once.
struct Folder<'a>(&'a mut ReadModels);

impl Projection for Folder<'_> {
    fn name(&self) -> &'static str {
        "all"
    }
    fn apply(&mut self, fact: &crate::Fact<'_>) {
        self.0.apply(fact);
    }
    fn position(&self) -> u64 {
        self.0.lowest_position()
    }
}

struct Setup {
    analytics: Analytics,
    _dir: tempfile::TempDir,
}

async fn analytics(models: ReadModels, history: Option<&std::path::Path>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(dir.path()).unwrap());
    let now: Now = Arc::new(|| t("10:50:00"));
    let sources = Sources {
        views: Views::fixed(models),
        log,
        zone: Tz::UTC,
        now,
        history: history.map(|p| History::open(p).unwrap()),
    };
    Setup {
        analytics: Analytics::new(sources).await.unwrap(),
        _dir: dir,
    }
}

async fn ask(a: &Analytics, sql: &str) -> Answer {
    match a.query(sql).await {
        Ok(answer) => answer,
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// Column `name` of a one-batch answer, as f64 (NULL as None).
fn floats(answer: &Answer, name: &str) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    for batch in &answer.batches {
        let column = batch.column_by_name(name).unwrap();
        let column = cast(column, &DataType::Float64).unwrap();
        let values = column.as_primitive::<Float64Type>();
        out.extend((0..values.len()).map(|i| values.is_valid(i).then(|| values.value(i))));
    }
    out
}

fn ints(answer: &Answer, name: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for batch in &answer.batches {
        let column = cast(batch.column_by_name(name).unwrap(), &DataType::Int64).unwrap();
        out.extend(
            column
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.unwrap_or(-1)),
        );
    }
    out
}

fn strings(answer: &Answer, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for batch in &answer.batches {
        let column = cast(batch.column_by_name(name).unwrap(), &DataType::Utf8).unwrap();
        out.extend(
            column
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("NULL").to_owned()),
        );
    }
    out
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or(f64::NAN);
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

#[tokio::test]
async fn the_queue_summary_of_the_morning_matches_the_hand_count() {
    let s = analytics(morning_models(), None).await;
    let a = ask(&s.analytics, "SELECT * FROM queue_summary ORDER BY queue").await;
    assert_eq!(strings(&a, "queue"), ["sales", "support"]);
    // Sales, by interval (see crate::history::morning): 09:00 calls 1, 2, 3, 6; 09:15
    // call 4; 09:30 calls 5 and 7; 09:45 call 8; 10:00 call 9; 10:15 call 10.
    assert_eq!(ints(&a, "offered"), [10, 1]);
    // Answered: 1, 6, 4, 5, 7, 9 in sales; 4 again (after its transfer) in support.
    assert_eq!(ints(&a, "answered"), [6, 1]);
    assert_eq!(ints(&a, "abandoned"), [1, 0]);
    assert_eq!(ints(&a, "short_abandons"), [1, 0]);
    // Within 20 s: 1 (8 s), 4 (5 s), 7 (6 s); support's 30 s wait is within its 30 s.
    assert_eq!(ints(&a, "answered_within_threshold"), [3, 1]);
    let sl = floats(&a, "service_level");
    close(sl[0], 3.0 / 9.0);
    close(sl[1], 1.0);
    close(floats(&a, "abandon_rate")[0], 1.0 / 9.0);
    // ASA: (8 + 30 + 5 + 40 + 6 + 610) / 6 = 116.5 s.
    close(floats(&a, "asa_s")[0], 116.5);
    // AHT: (330 + 210 + 200 + 200 + 130 + 130) / 6 = 200 s.
    close(floats(&a, "aht_s")[0], 200.0);
    close(floats(&a, "aht_s")[1], 270.0);
    // Time to abandon: (45 + 3) / 2.
    close(floats(&a, "avg_time_to_abandon_s")[0], 24.0);
}

#[tokio::test]
async fn service_level_by_interval_counts_a_call_where_it_was_queued() {
    let s = analytics(morning_models(), None).await;
    let a = ask(
        &s.analytics,
        "SELECT interval_start, offered, answered, service_level, asa_s, aht_s
         FROM service_level_by_interval WHERE queue = 'sales' ORDER BY interval_start",
    )
    .await;
    assert_eq!(a.rows(), 6);
    // Call 6, queued 09:14:50 and answered 09:15:20, is in the 09:00 interval.
    assert_eq!(ints(&a, "offered"), [4, 1, 2, 1, 1, 1]);
    assert_eq!(ints(&a, "answered"), [2, 1, 2, 0, 1, 0]);
    let sl = floats(&a, "service_level");
    close(sl[0], 1.0 / 3.0);
    close(sl[2], 0.5);
    close(sl[3], 0.0);
    close(floats(&a, "asa_s")[0], 19.0);
    close(floats(&a, "aht_s")[0], 270.0);
    assert_eq!(floats(&a, "asa_s")[5], None, "no answer, no ASA");
}

#[tokio::test]
async fn agent_performance_counts_each_agent_s_own_part() {
    let s = analytics(morning_models(), None).await;
    let a = ask(
        &s.analytics,
        "SELECT * FROM agent_performance ORDER BY agent",
    )
    .await;
    assert_eq!(a.rows(), 4);
    // Agent 1: calls 1 (300 s connected, wrap 30), 6 (180, 30) and 9 (120, 10); rang 7,
    // 7, 5 and 10 s; logged in 08:55:00, ready 08:58:00, last state closed 10:12:21.
    assert_eq!(ints(&a, "calls")[0], 3);
    close(floats(&a, "busy_s")[0], 600.0);
    close(floats(&a, "wrap_s")[0], 70.0);
    close(floats(&a, "aht_s")[0], 670.0 / 3.0);
    close(floats(&a, "not_ready_s")[0], 180.0);
    close(floats(&a, "logged_in_s")[0], 4641.0);
    close(floats(&a, "occupancy")[0], 702.0 / 4461.0);
    // Agent 2: call 4 until its blind transfer (180 s, wrap 20) and call 7 (120, wrap 10).
    assert_eq!(ints(&a, "calls")[1], 2);
    close(floats(&a, "busy_s")[1], 300.0);
    close(floats(&a, "wrap_s")[1], 30.0);
    // Agent 3: call 4 after the transfer (240 s, wrap 30), call 5 (180 s, wrap 20).
    assert_eq!(ints(&a, "calls")[2], 2);
    close(floats(&a, "busy_s")[2], 420.0);
    close(floats(&a, "wrap_s")[2], 50.0);
}

#[tokio::test]
async fn the_abandonment_profile_and_arrivals_by_hour() {
    let s = analytics(morning_models(), None).await;
    let a = ask(
        &s.analytics,
        "SELECT waited, abandoned, short_abandons FROM abandonment_profile ORDER BY waited",
    )
    .await;
    assert_eq!(strings(&a, "waited"), ["00-05 s", "30-60 s"]);
    assert_eq!(ints(&a, "abandoned"), [1, 1]);
    assert_eq!(ints(&a, "short_abandons"), [1, 0]);

    let a = ask(
        &s.analytics,
        "SELECT hour, arrivals, answered FROM hourly_arrivals ORDER BY hour",
    )
    .await;
    assert_eq!(ints(&a, "hour"), [9, 10]);
    assert_eq!(ints(&a, "arrivals"), [8, 2]);
    assert_eq!(ints(&a, "answered"), [5, 1]);
}

#[tokio::test]
async fn the_calls_table_holds_every_timing_of_a_transferred_call() {
    let s = analytics(morning_models(), None).await;
    let a = ask(
        &s.analytics,
        "SELECT first_queue, last_queue, cardinality(agents) AS agents, transfers, wait_ms,
                talk_ms, wrap_ms, handle_ms, outcome, disposition, day
         FROM calls WHERE arrived_at = TIMESTAMP '2026-11-24T09:20:00Z'",
    )
    .await;
    assert_eq!(a.rows(), 1);
    assert_eq!(strings(&a, "first_queue"), ["sales"]);
    assert_eq!(strings(&a, "last_queue"), ["support"]);
    assert_eq!(ints(&a, "agents"), [2]);
    assert_eq!(ints(&a, "transfers"), [1]);
    assert_eq!(ints(&a, "wait_ms"), [35_000]);
    assert_eq!(ints(&a, "talk_ms"), [420_000]);
    assert_eq!(ints(&a, "wrap_ms"), [50_000]);
    assert_eq!(ints(&a, "handle_ms"), [470_000]);
    assert_eq!(strings(&a, "outcome"), ["answered"]);
    assert_eq!(strings(&a, "disposition"), ["resolved"]);
    assert_eq!(strings(&a, "day"), ["2026-11-24"]);

    let a = ask(
        &s.analytics,
        "SELECT outcome, count(*) AS n FROM calls GROUP BY outcome ORDER BY outcome",
    )
    .await;
    assert_eq!(
        strings(&a, "outcome"),
        [
            "abandoned",
            "answered",
            "callback",
            "short_abandon",
            "voicemail"
        ]
    );
    assert_eq!(ints(&a, "n"), [1, 6, 1, 1, 1]);
}

#[tokio::test]
async fn the_live_boards_and_the_other_tables_answer() {
    let s = analytics(morning_models(), None).await;
    let a = ask(
        &s.analytics,
        "SELECT queue, offered FROM queue_board ORDER BY queue",
    )
    .await;
    assert_eq!(strings(&a, "queue"), ["sales", "support"]);
    assert_eq!(ints(&a, "offered"), [10, 1]);
    for table in [
        "agent_board",
        "agent_states",
        "customers",
        "interactions",
        "recordings",
        "voicemails",
        "surveys",
        "campaign_attempts",
        "events",
    ] {
        ask(&s.analytics, &format!("SELECT * FROM {table}")).await;
    }
    let a = ask(&s.analytics, "SELECT count(*) AS n FROM events").await;
    assert_eq!(ints(&a, "n"), [0], "the test's log is empty");
}

/// Every query the tests above ask, rendered, so two sessions can be compared whole.
async fn everything(a: &Analytics) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM calls ORDER BY arrived_at, call",
        "SELECT * FROM queue_intervals ORDER BY queue, interval_start",
        "SELECT * FROM queue_summary ORDER BY queue, day",
        "SELECT * FROM service_level_by_interval ORDER BY queue, interval_start",
        "SELECT * FROM abandonment_profile ORDER BY queue, waited",
        "SELECT * FROM hourly_arrivals ORDER BY day, hour, queue",
    ] {
        let answer = ask(a, sql).await;
        out.push(pretty_format_batches(&answer.batches).unwrap().to_string());
    }
    out
}

#[tokio::test]
async fn archived_days_read_from_parquet_answer_as_the_live_tables_did() {
    let live = analytics(morning_models(), None).await;
    let expected = everything(&live.analytics).await;

    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    // Not closed yet: an hour after midnight, within the grace for late wrap-ups.
    let early = history
        .archive(&morning_models(), Tz::UTC, at("2026-11-25T01:00:00Z"))
        .unwrap();
    assert!(early.days.is_empty());
    let report = history
        .archive(&morning_models(), Tz::UTC, at("2026-11-25T03:00:00Z"))
        .unwrap();
    assert_eq!(report.calls, 10);
    assert_eq!(report.intervals, 7);
    assert_eq!(report.days.len(), 1);
    assert!(
        dir.path()
            .join("history/calls/day=2026-11-24/part-0.parquet")
            .is_file()
    );
    // Archiving again writes nothing.
    let again = history
        .archive(&morning_models(), Tz::UTC, at("2026-11-26T03:00:00Z"))
        .unwrap();
    assert!(again.days.is_empty());

    let archived = analytics(morning_models(), Some(dir.path())).await;
    assert_eq!(everything(&archived.analytics).await, expected);
    let a = ask(
        &archived.analytics,
        "SELECT (SELECT count(*) FROM calls_history) AS history,
                (SELECT count(*) FROM calls_live) AS live",
    )
    .await;
    assert_eq!(ints(&a, "history"), [10]);
    assert_eq!(
        ints(&a, "live"),
        [0],
        "an archived day is not counted twice"
    );
    let a = ask(
        &archived.analytics,
        "SELECT count(*) AS n FROM calls WHERE day = DATE '2026-11-23'",
    )
    .await;
    assert_eq!(ints(&a, "n"), [0]);
}

#[tokio::test]
async fn writes_are_refused_and_nothing_changes() {
    let s = analytics(morning_models(), None).await;
    for sql in [
        "INSERT INTO agent_states VALUES ('a')",
        "DELETE FROM calls",
        "CREATE TABLE x AS SELECT 1",
        "DROP VIEW calls",
        "CREATE VIEW y AS SELECT 1",
        "SET datafusion.execution.batch_size = 1",
    ] {
        match s.analytics.query(sql).await {
            Err(SqlError::Refused(Refused::Write { .. })) => {}
            other => panic!("{sql}: expected a refusal, got {other:?}"),
        }
    }
    let a = ask(&s.analytics, "SELECT count(*) AS n FROM calls").await;
    assert_eq!(ints(&a, "n"), [10]);
    assert!(matches!(
        s.analytics.query("SELECT 1; SELECT 2").await,
        Err(SqlError::Several(2))
    ));
    let err = s
        .analytics
        .query("SELECT nope FROM calls")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test]
async fn campaign_compliance_counts_abandons_per_day_and_every_dial_that_broke_a_rule() {
    use hotline_events::{
        AttemptOutcome, CallId, CampaignEvent as E, CampaignId, CampaignSettings, Event, LeadId,
        StreamName, Timestamp,
    };
    let campaign: CampaignId = "00000000-0000-7000-c000-000000000001".parse().unwrap();
    let lead = |n: u128| -> LeadId { format!("00000000-0000-7000-d000-{n:012}").parse().unwrap() };
    let call = |n: u128| -> CallId { format!("00000000-0000-7000-e000-{n:012}").parse().unwrap() };
    let phone = |n: u128| format!("+4420718387{n:02}");
    let added = |n: u128, zone: &str| E::LeadAdded {
        lead: lead(n),
        phone: phone(n),
        time_zones: vec![zone.into()],
        priority: 0,
        fields: Default::default(),
    };
    let dialed = |n: u128, c: u128, attempt| E::AttemptDialed {
        lead: lead(n),
        call: call(c),
        number: phone(n),
        attempt,
    };
    let ended = |n: u128, c: u128, outcome| E::AttemptEnded {
        lead: lead(n),
        call: call(c),
        outcome,
    };
    let history = [
        (
            "2026-11-24T08:00:00Z",
            E::Configured(CampaignSettings::default()),
        ),
        ("2026-11-24T08:00:01Z", added(1, "Europe/London")),
        ("2026-11-24T08:00:02Z", added(2, "America/New_York")),
        ("2026-11-24T08:00:03Z", added(3, "Europe/London")),
        (
            "2026-11-24T08:00:04Z",
            E::DoNotCallAdded {
                numbers: vec![phone(3)],
                source: "dnc.txt".into(),
            },
        ),
        ("2026-11-24T10:00:00Z", dialed(1, 1, 1)),
        // 05:00 in New York.
        ("2026-11-24T10:00:01Z", dialed(2, 2, 1)),
        (
            "2026-11-24T10:00:30Z",
            ended(1, 1, AttemptOutcome::Connected),
        ),
        (
            "2026-11-24T10:00:31Z",
            ended(2, 2, AttemptOutcome::Abandoned),
        ),
        ("2026-11-24T11:00:00Z", dialed(3, 3, 1)),
        ("2026-11-24T11:00:20Z", ended(3, 3, AttemptOutcome::Busy)),
        ("2026-11-25T12:00:00Z", dialed(1, 4, 2)),
        (
            "2026-11-25T12:00:30Z",
            ended(1, 4, AttemptOutcome::Connected),
        ),
    ];
    let mut models = ReadModels::new(&rules());
    let stream = StreamName::parse(&format!("campaign-{campaign}")).unwrap();
    for (i, (at, e)) in history.into_iter().enumerate() {
        let event = Event::Campaign(e);
        models.apply(&crate::Fact::of(
            i as u64 + 1,
            &stream,
            Timestamp::parse(at).unwrap(),
            &event,
        ));
    }
    let s = analytics(models, None).await;
    let a = ask(
        &s.analytics,
        "SELECT CAST(day AS VARCHAR) AS day, dialed, answered_by_person, abandoned,
                abandon_rate, abandon_rate_30d, outside_hours, dnc_hits
         FROM campaign_compliance ORDER BY day",
    )
    .await;
    assert_eq!(strings(&a, "day"), ["2026-11-24", "2026-11-25"]);
    assert_eq!(ints(&a, "dialed"), [3, 1]);
    assert_eq!(ints(&a, "answered_by_person"), [2, 1]);
    assert_eq!(ints(&a, "abandoned"), [1, 0]);
    let rate = floats(&a, "abandon_rate");
    close(rate[0], 0.5);
    close(rate[1], 0.0);
    let rate_30d = floats(&a, "abandon_rate_30d");
    close(rate_30d[0], 0.5);
    close(rate_30d[1], 1.0 / 3.0);
    assert_eq!(ints(&a, "outside_hours"), [1, 0]);
    assert_eq!(ints(&a, "dnc_hits"), [1, 0]);
}
