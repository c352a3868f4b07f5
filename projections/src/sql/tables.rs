//! The read models as Arrow tables: one schema and one batch builder per table.
//!
//! Integers are `Int64` and ratios `Float64` (PostgreSQL has no unsigned types, and BI
//! tools read these best), times are UTC milliseconds, and each fact table carries a
//! `day` column (the center's local date) last: the same column the Parquet history is
//! partitioned by, so the live part and the history line up in one `UNION ALL`.

use std::sync::Arc;

use chrono::{NaiveDate, Timelike};
use chrono_tz::Tz;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder,
    RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use hotline_events::{Recorded, Timestamp};
use serde::Serialize;

use crate::queue_intervals::IntervalRow;
use crate::{
    AgentBoard, AgentStateRow, AttemptRow, CallRow, CustomerProfile, Interaction, QueueBoard,
    RecordingRow, Surveys, VoicemailRow,
};

/// The column the history is partitioned by, last in every fact table.
pub const DAY: &str = "day";

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn schema(fields: Vec<(&str, DataType, bool)>) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .into_iter()
            .map(|(name, t, nullable)| Field::new(name, t, nullable))
            .collect::<Vec<_>>(),
    ))
}

/// The days since 1970-01-01 of `t`'s date in `zone`: Arrow's `Date32`.
pub fn day_of(t: Timestamp, zone: Tz) -> i32 {
    let date = t.to_datetime().with_timezone(&zone).date_naive();
    days(date)
}

/// The days since 1970-01-01 of `date`.
pub fn days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The date of a `Date32` value.
pub fn date(days: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch + chrono::Duration::days(i64::from(days))
}

/// The snake_case wire name of an event-vocabulary enum (outcome, end reason...), as the
/// JSON form of the events spells it.
fn name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn time(b: &mut TimestampMillisecondBuilder, t: Option<Timestamp>) {
    b.append_option(t.map(Timestamp::as_millis));
}

fn times() -> TimestampMillisecondBuilder {
    TimestampMillisecondBuilder::new().with_timezone("UTC")
}

fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(schema.clone(), columns)
}

// ---------------------------------------------------------------------------------------
// calls

/// `calls`: one row per call, every timing in it.
pub fn calls_schema() -> SchemaRef {
    schema(vec![
        ("call", DataType::Utf8, false),
        ("number", DataType::Utf8, false),
        ("caller", DataType::Utf8, false),
        ("channel", DataType::Utf8, true),
        ("customer", DataType::Utf8, true),
        ("digits", DataType::Utf8, true),
        ("first_queue", DataType::Utf8, true),
        ("last_queue", DataType::Utf8, true),
        ("agent", DataType::Utf8, true),
        ("agents", list(), true),
        ("arrived_at", ts(), true),
        ("queued_at", ts(), true),
        ("first_offered_at", ts(), true),
        ("answered_at", ts(), true),
        ("ended_at", ts(), true),
        ("wait_ms", DataType::Int64, false),
        ("talk_ms", DataType::Int64, false),
        ("hold_ms", DataType::Int64, false),
        ("wrap_ms", DataType::Int64, false),
        ("handle_ms", DataType::Int64, false),
        ("outcome", DataType::Utf8, true),
        ("end_reason", DataType::Utf8, true),
        ("ended_by", DataType::Utf8, true),
        ("disposition", DataType::Utf8, true),
        ("notes", DataType::Utf8, true),
        ("transfers", DataType::Int64, false),
        ("overflowed_to", DataType::Utf8, true),
        ("callback", DataType::Boolean, false),
        ("offers", DataType::Int64, false),
        ("missed_offers", DataType::Int64, false),
        ("arrived_hour", DataType::Int64, true),
        (DAY, DataType::Date32, false),
    ])
}

/// The day a call belongs to: the local date it arrived (or first appeared).
pub fn call_day(row: &CallRow, zone: Tz) -> i32 {
    let t = row
        .arrived_at
        .or(row.queued_at)
        .or(row.ended_at)
        .unwrap_or(Timestamp::from_millis(0));
    day_of(t, zone)
}

/// The `calls` batch of `rows`; `with_day` false leaves out the `day` column (the Parquet
/// files hold it in their path).
pub fn calls_batch<'a>(
    rows: impl IntoIterator<Item = &'a CallRow>,
    zone: Tz,
    with_day: bool,
) -> Result<RecordBatch, ArrowError> {
    let mut call = StringBuilder::new();
    let mut number = StringBuilder::new();
    let mut caller = StringBuilder::new();
    let mut channel = StringBuilder::new();
    let mut customer = StringBuilder::new();
    let mut digits = StringBuilder::new();
    let mut first_queue = StringBuilder::new();
    let mut last_queue = StringBuilder::new();
    let mut agent = StringBuilder::new();
    let mut agents = ListBuilder::new(StringBuilder::new());
    let mut arrived_at = times();
    let mut queued_at = times();
    let mut first_offered_at = times();
    let mut answered_at = times();
    let mut ended_at = times();
    let mut wait = Int64Builder::new();
    let mut talk = Int64Builder::new();
    let mut hold = Int64Builder::new();
    let mut wrap = Int64Builder::new();
    let mut handle = Int64Builder::new();
    let mut outcome = StringBuilder::new();
    let mut end_reason = StringBuilder::new();
    let mut ended_by = StringBuilder::new();
    let mut disposition = StringBuilder::new();
    let mut notes = StringBuilder::new();
    let mut transfers = Int64Builder::new();
    let mut overflowed_to = StringBuilder::new();
    let mut callback = BooleanBuilder::new();
    let mut offers = Int64Builder::new();
    let mut missed = Int64Builder::new();
    let mut hour = Int64Builder::new();
    let mut day = Date32Builder::new();
    for r in rows {
        call.append_value(r.call.to_string());
        number.append_value(&r.number);
        caller.append_value(&r.caller);
        channel.append_option(r.channel.as_ref().and_then(name));
        customer.append_option(r.customer.map(|c| c.to_string()));
        digits.append_option(r.digits.as_deref());
        first_queue.append_option(r.first_queue.as_ref().map(|q| q.as_str()));
        last_queue.append_option(r.last_queue.as_ref().map(|q| q.as_str()));
        agent.append_option(r.agents.first().map(|a| a.to_string()));
        for a in &r.agents {
            agents.values().append_value(a.to_string());
        }
        agents.append(true);
        time(&mut arrived_at, r.arrived_at);
        time(&mut queued_at, r.queued_at);
        time(&mut first_offered_at, r.first_offered_at);
        time(&mut answered_at, r.answered_at);
        time(&mut ended_at, r.ended_at);
        wait.append_value(int(r.wait_ms));
        talk.append_value(int(r.talk_ms));
        hold.append_value(int(r.hold_ms));
        wrap.append_value(int(r.wrap_ms));
        handle.append_value(int(r.talk_ms + r.hold_ms + r.wrap_ms));
        outcome.append_option(r.outcome.as_ref().and_then(name));
        end_reason.append_option(r.end_reason.as_ref().and_then(name));
        ended_by.append_option(r.ended_by.as_ref().and_then(name));
        disposition.append_option(r.disposition.as_deref());
        notes.append_option(r.notes.as_deref());
        transfers.append_value(i64::from(r.transfers));
        overflowed_to.append_option(r.overflowed_to.as_ref().map(|q| q.as_str()));
        callback.append_value(r.callback);
        offers.append_value(i64::from(r.offers));
        missed.append_value(i64::from(r.missed_offers));
        hour.append_option(
            r.arrived_at
                .map(|t| i64::from(t.to_datetime().with_timezone(&zone).hour())),
        );
        day.append_value(call_day(r, zone));
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(call.finish()),
        Arc::new(number.finish()),
        Arc::new(caller.finish()),
        Arc::new(channel.finish()),
        Arc::new(customer.finish()),
        Arc::new(digits.finish()),
        Arc::new(first_queue.finish()),
        Arc::new(last_queue.finish()),
        Arc::new(agent.finish()),
        Arc::new(agents.finish()),
        Arc::new(arrived_at.finish()),
        Arc::new(queued_at.finish()),
        Arc::new(first_offered_at.finish()),
        Arc::new(answered_at.finish()),
        Arc::new(ended_at.finish()),
        Arc::new(wait.finish()),
        Arc::new(talk.finish()),
        Arc::new(hold.finish()),
        Arc::new(wrap.finish()),
        Arc::new(handle.finish()),
        Arc::new(outcome.finish()),
        Arc::new(end_reason.finish()),
        Arc::new(ended_by.finish()),
        Arc::new(disposition.finish()),
        Arc::new(notes.finish()),
        Arc::new(transfers.finish()),
        Arc::new(overflowed_to.finish()),
        Arc::new(callback.finish()),
        Arc::new(offers.finish()),
        Arc::new(missed.finish()),
        Arc::new(hour.finish()),
    ];
    let schema = calls_schema();
    if with_day {
        columns.push(Arc::new(day.finish()));
        batch(&schema, columns)
    } else {
        batch(&without_day(&schema), columns)
    }
}

/// `schema` less its last column, `day`: the layout of the Parquet files.
pub fn without_day(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .filter(|f| f.name() != DAY)
        .map(|f| f.as_ref().clone())
        .collect();
    Arc::new(Schema::new(fields))
}

// ---------------------------------------------------------------------------------------
// queue_intervals

/// `queue_intervals`: the 15-minute aggregates per queue, with the ratios worked out.
pub fn queue_intervals_schema() -> SchemaRef {
    schema(vec![
        ("queue", DataType::Utf8, false),
        ("interval_start", ts(), false),
        ("offered", DataType::Int64, false),
        ("answered", DataType::Int64, false),
        ("abandoned", DataType::Int64, false),
        ("short_abandons", DataType::Int64, false),
        ("answered_within_threshold", DataType::Int64, false),
        ("answer_wait_ms", DataType::Int64, false),
        ("abandon_wait_ms", DataType::Int64, false),
        ("handled", DataType::Int64, false),
        ("handle_ms", DataType::Int64, false),
        ("service_level", DataType::Float64, true),
        ("asa_ms", DataType::Float64, true),
        ("aht_ms", DataType::Float64, true),
        ("abandon_rate", DataType::Float64, true),
        (DAY, DataType::Date32, false),
    ])
}

pub fn queue_intervals_batch<'a>(
    rows: impl IntoIterator<Item = &'a IntervalRow>,
    zone: Tz,
    with_day: bool,
) -> Result<RecordBatch, ArrowError> {
    let mut queue = StringBuilder::new();
    let mut start = times();
    let mut ints: [Int64Builder; 9] = std::array::from_fn(|_| Int64Builder::new());
    let mut floats: [Float64Builder; 4] = std::array::from_fn(|_| Float64Builder::new());
    let mut day = Date32Builder::new();
    for r in rows {
        let c = &r.counts;
        queue.append_value(r.queue.as_str());
        start.append_value(r.start.as_millis());
        let values = [
            i64::from(c.offered),
            i64::from(c.answered),
            i64::from(c.abandoned),
            i64::from(c.short_abandons),
            i64::from(c.answered_within_threshold),
            int(c.answer_wait_ms),
            int(c.abandon_wait_ms),
            i64::from(c.handled),
            int(c.handle_ms),
        ];
        for (b, v) in ints.iter_mut().zip(values) {
            b.append_value(v);
        }
        let ratios = [c.service_level(), c.asa_ms(), c.aht_ms(), c.abandon_rate()];
        for (b, v) in floats.iter_mut().zip(ratios) {
            b.append_option(v);
        }
        day.append_value(day_of(r.start, zone));
    }
    let mut columns: Vec<ArrayRef> = vec![Arc::new(queue.finish()), Arc::new(start.finish())];
    columns.extend(ints.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    let schema = queue_intervals_schema();
    if with_day {
        columns.push(Arc::new(day.finish()));
        batch(&schema, columns)
    } else {
        batch(&without_day(&schema), columns)
    }
}

// ---------------------------------------------------------------------------------------
// agent_states

/// `agent_states`: one row per agent state interval; the open one has no end.
pub fn agent_states_schema() -> SchemaRef {
    schema(vec![
        ("agent", DataType::Utf8, false),
        ("state", DataType::Utf8, false),
        ("reason", DataType::Utf8, true),
        ("call", DataType::Utf8, true),
        ("start", ts(), false),
        ("end", ts(), true),
        ("duration_ms", DataType::Int64, true),
        (DAY, DataType::Date32, false),
    ])
}

pub fn agent_states_batch<'a>(
    rows: impl IntoIterator<Item = &'a AgentStateRow>,
    zone: Tz,
) -> Result<RecordBatch, ArrowError> {
    let mut agent = StringBuilder::new();
    let mut state = StringBuilder::new();
    let mut reason = StringBuilder::new();
    let mut call = StringBuilder::new();
    let mut start = times();
    let mut end = times();
    let mut duration = Int64Builder::new();
    let mut day = Date32Builder::new();
    for r in rows {
        agent.append_value(r.agent.to_string());
        state.append_value(r.state.name());
        reason.append_option(r.reason.as_deref());
        call.append_option(r.call.map(|c| c.to_string()));
        start.append_value(r.start.as_millis());
        time(&mut end, r.end);
        duration.append_option(r.duration_ms.map(int));
        day.append_value(day_of(r.start, zone));
    }
    batch(
        &agent_states_schema(),
        vec![
            Arc::new(agent.finish()),
            Arc::new(state.finish()),
            Arc::new(reason.finish()),
            Arc::new(call.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(duration.finish()),
            Arc::new(day.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// queue_board and agent_board: the live boards, as of the query

pub fn queue_board_schema() -> SchemaRef {
    schema(vec![
        ("queue", DataType::Utf8, false),
        ("waiting", DataType::Int64, false),
        ("longest_wait_ms", DataType::Int64, false),
        ("offered", DataType::Int64, false),
        ("answered", DataType::Int64, false),
        ("abandoned", DataType::Int64, false),
        ("short_abandons", DataType::Int64, false),
        ("answered_within_threshold", DataType::Int64, false),
        ("service_level", DataType::Float64, true),
        ("asa_ms", DataType::Float64, true),
        ("aht_ms", DataType::Float64, true),
        ("abandon_rate", DataType::Float64, true),
        ("agents_available", DataType::Int64, false),
        ("agents_not_ready", DataType::Int64, false),
        ("agents_reserved", DataType::Int64, false),
        ("agents_busy", DataType::Int64, false),
        ("agents_wrapping_up", DataType::Int64, false),
    ])
}

pub fn queue_board_batch(boards: &[QueueBoard]) -> Result<RecordBatch, ArrowError> {
    let mut queue = StringBuilder::new();
    let mut ints: [Int64Builder; 7] = std::array::from_fn(|_| Int64Builder::new());
    let mut floats: [Float64Builder; 4] = std::array::from_fn(|_| Float64Builder::new());
    let mut agents: [Int64Builder; 5] = std::array::from_fn(|_| Int64Builder::new());
    for b in boards {
        queue.append_value(b.queue.as_str());
        let t = &b.today;
        let values = [
            i64::from(b.waiting),
            int(b.longest_wait_ms),
            i64::from(t.offered),
            i64::from(t.answered),
            i64::from(t.abandoned),
            i64::from(t.short_abandons),
            i64::from(t.answered_within_threshold),
        ];
        for (col, v) in ints.iter_mut().zip(values) {
            col.append_value(v);
        }
        for (col, v) in
            floats
                .iter_mut()
                .zip([b.service_level, b.asa_ms, b.aht_ms, t.abandon_rate()])
        {
            col.append_option(v);
        }
        let a = &b.agents;
        for (col, v) in
            agents
                .iter_mut()
                .zip([a.available, a.not_ready, a.reserved, a.busy, a.wrapping_up])
        {
            col.append_value(i64::from(v));
        }
    }
    let mut columns: Vec<ArrayRef> = vec![Arc::new(queue.finish())];
    columns.extend(ints.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.extend(floats.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.extend(agents.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    batch(&queue_board_schema(), columns)
}

pub fn agent_board_schema() -> SchemaRef {
    schema(vec![
        ("agent", DataType::Utf8, false),
        ("name", DataType::Utf8, false),
        ("state", DataType::Utf8, true),
        ("reason", DataType::Utf8, true),
        ("since", ts(), false),
        ("time_in_state_ms", DataType::Int64, false),
        ("calls_today", DataType::Int64, false),
        ("talk_ms_today", DataType::Int64, false),
        ("hold_ms_today", DataType::Int64, false),
        ("wrap_ms_today", DataType::Int64, false),
        ("occupancy_today", DataType::Float64, true),
    ])
}

pub fn agent_board_batch(boards: &[AgentBoard]) -> Result<RecordBatch, ArrowError> {
    let mut agent = StringBuilder::new();
    let mut name_ = StringBuilder::new();
    let mut state = StringBuilder::new();
    let mut reason = StringBuilder::new();
    let mut since = times();
    let mut ints: [Int64Builder; 5] = std::array::from_fn(|_| Int64Builder::new());
    let mut occupancy = Float64Builder::new();
    for b in boards {
        agent.append_value(b.agent.to_string());
        name_.append_value(&b.name);
        state.append_option(b.state.map(|s| s.name()));
        reason.append_option(b.reason.as_deref());
        since.append_value(b.since.as_millis());
        for (col, v) in ints.iter_mut().zip([
            int(b.time_in_state_ms),
            i64::from(b.calls_today),
            int(b.talk_ms_today),
            int(b.hold_ms_today),
            int(b.wrap_ms_today),
        ]) {
            col.append_value(v);
        }
        occupancy.append_option(b.occupancy_today);
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(agent.finish()),
        Arc::new(name_.finish()),
        Arc::new(state.finish()),
        Arc::new(reason.finish()),
        Arc::new(since.finish()),
    ];
    columns.extend(ints.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(occupancy.finish()));
    batch(&agent_board_schema(), columns)
}

// ---------------------------------------------------------------------------------------
// customers and interactions

pub fn customers_schema() -> SchemaRef {
    schema(vec![
        ("customer", DataType::Utf8, false),
        ("name", DataType::Utf8, false),
        ("phones", list(), true),
        ("email", DataType::Utf8, true),
        ("address", DataType::Utf8, true),
        ("tags", list(), true),
        ("external_id", DataType::Utf8, true),
        ("registered_at", ts(), false),
        ("updated_at", ts(), false),
    ])
}

pub fn customers_batch<'a>(
    rows: impl IntoIterator<Item = &'a CustomerProfile>,
) -> Result<RecordBatch, ArrowError> {
    let mut id = StringBuilder::new();
    let mut name_ = StringBuilder::new();
    let mut phones = ListBuilder::new(StringBuilder::new());
    let mut email = StringBuilder::new();
    let mut address = StringBuilder::new();
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut external = StringBuilder::new();
    let mut registered = times();
    let mut updated = times();
    for c in rows {
        id.append_value(c.id.to_string());
        name_.append_value(&c.name);
        for p in &c.phones {
            phones.values().append_value(p);
        }
        phones.append(true);
        email.append_option(c.email.as_deref());
        address.append_option(c.address.as_deref());
        for t in &c.tags {
            tags.values().append_value(t);
        }
        tags.append(true);
        external.append_option(c.external_id.as_deref());
        registered.append_value(c.registered_at.as_millis());
        updated.append_value(c.updated_at.as_millis());
    }
    batch(
        &customers_schema(),
        vec![
            Arc::new(id.finish()),
            Arc::new(name_.finish()),
            Arc::new(phones.finish()),
            Arc::new(email.finish()),
            Arc::new(address.finish()),
            Arc::new(tags.finish()),
            Arc::new(external.finish()),
            Arc::new(registered.finish()),
            Arc::new(updated.finish()),
        ],
    )
}

pub fn interactions_schema() -> SchemaRef {
    schema(vec![
        ("customer", DataType::Utf8, false),
        ("channel", DataType::Utf8, true),
        ("call", DataType::Utf8, false),
        ("started_at", ts(), false),
        ("from_number", DataType::Utf8, false),
        ("queue", DataType::Utf8, true),
        ("agent", DataType::Utf8, true),
        ("outcome", DataType::Utf8, true),
        ("duration_ms", DataType::Int64, true),
        ("disposition", DataType::Utf8, true),
    ])
}

/// `rows`: each customer with their interactions, newest first.
pub fn interactions_batch<'a>(
    rows: impl IntoIterator<Item = (&'a CustomerProfile, Vec<Interaction>)>,
) -> Result<RecordBatch, ArrowError> {
    let mut customer = StringBuilder::new();
    let mut channel = StringBuilder::new();
    let mut call = StringBuilder::new();
    let mut started = times();
    let mut from = StringBuilder::new();
    let mut queue = StringBuilder::new();
    let mut agent = StringBuilder::new();
    let mut outcome = StringBuilder::new();
    let mut duration = Int64Builder::new();
    let mut disposition = StringBuilder::new();
    for (c, list) in rows {
        for i in list {
            customer.append_value(c.id.to_string());
            channel.append_option(name(&i.channel));
            call.append_value(i.call.to_string());
            started.append_value(i.started_at.as_millis());
            from.append_value(&i.from);
            queue.append_option(i.queue.as_ref().map(|q| q.as_str()));
            agent.append_option(i.agent.map(|a| a.to_string()));
            outcome.append_option(i.outcome.as_ref().and_then(name));
            duration.append_option(i.duration_ms.map(int));
            disposition.append_option(i.disposition.as_deref());
        }
    }
    batch(
        &interactions_schema(),
        vec![
            Arc::new(customer.finish()),
            Arc::new(channel.finish()),
            Arc::new(call.finish()),
            Arc::new(started.finish()),
            Arc::new(from.finish()),
            Arc::new(queue.finish()),
            Arc::new(agent.finish()),
            Arc::new(outcome.finish()),
            Arc::new(duration.finish()),
            Arc::new(disposition.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// recordings: the index (one row per recorded call)

pub fn recordings_schema() -> SchemaRef {
    schema(vec![
        ("recording", DataType::Utf8, false),
        ("call", DataType::Utf8, false),
        ("agent", DataType::Utf8, true),
        ("queue", DataType::Utf8, true),
        ("started_at", ts(), false),
        ("duration_ms", DataType::Int64, true),
        ("outcome", DataType::Utf8, true),
        ("storage_key", DataType::Utf8, true),
        ("stopped_at", ts(), true),
        ("paused_ms", DataType::Int64, false),
        ("channels", DataType::Int64, false),
        ("consent_prompt", DataType::Boolean, false),
        ("status", DataType::Utf8, false),
        ("purged", DataType::Boolean, false),
        ("purged_at", ts(), true),
    ])
}

pub fn recordings_batch(rows: &[RecordingRow]) -> Result<RecordBatch, ArrowError> {
    let mut recording = StringBuilder::new();
    let mut call = StringBuilder::new();
    let mut agent = StringBuilder::new();
    let mut queue = StringBuilder::new();
    let mut started = times();
    let mut duration = Int64Builder::new();
    let mut outcome = StringBuilder::new();
    let mut key = StringBuilder::new();
    let mut stopped = times();
    let mut paused = Int64Builder::new();
    let mut channels = Int64Builder::new();
    let mut consent = BooleanBuilder::new();
    let mut status = StringBuilder::new();
    let mut purged = BooleanBuilder::new();
    let mut purged_at = times();
    for r in rows {
        recording.append_value(format!("recording-{}", r.call));
        call.append_value(r.call.to_string());
        agent.append_option(r.agent.map(|a| a.to_string()));
        queue.append_option(r.queue.as_ref().map(|q| q.as_str()));
        started.append_value(r.started_at.as_millis());
        duration.append_option(r.duration_ms.map(int));
        outcome.append_option(r.outcome.as_ref().and_then(name));
        key.append_value(&r.storage_key);
        time(&mut stopped, r.stopped_at);
        paused.append_value(int(r.paused_ms));
        channels.append_value(i64::from(r.channels));
        consent.append_value(r.consent_prompt);
        status.append_option(name(&r.status));
        purged.append_value(r.purged());
        time(&mut purged_at, r.purged_at);
    }
    batch(
        &recordings_schema(),
        vec![
            Arc::new(recording.finish()),
            Arc::new(call.finish()),
            Arc::new(agent.finish()),
            Arc::new(queue.finish()),
            Arc::new(started.finish()),
            Arc::new(duration.finish()),
            Arc::new(outcome.finish()),
            Arc::new(key.finish()),
            Arc::new(stopped.finish()),
            Arc::new(paused.finish()),
            Arc::new(channels.finish()),
            Arc::new(consent.finish()),
            Arc::new(status.finish()),
            Arc::new(purged.finish()),
            Arc::new(purged_at.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// voicemails: one row per message

pub fn voicemails_schema() -> SchemaRef {
    schema(vec![
        ("call", DataType::Utf8, false),
        ("mailbox", DataType::Utf8, false),
        ("queue", DataType::Utf8, true),
        ("caller", DataType::Utf8, false),
        ("left_at", ts(), false),
        ("duration_ms", DataType::Int64, true),
        ("status", DataType::Utf8, false),
        ("handled_by", DataType::Utf8, true),
        ("handled_at", ts(), true),
        ("storage_key", DataType::Utf8, true),
        ("purged_at", ts(), true),
    ])
}

pub fn voicemails_batch(rows: &[VoicemailRow]) -> Result<RecordBatch, ArrowError> {
    let mut call = StringBuilder::new();
    let mut mailbox = StringBuilder::new();
    let mut queue = StringBuilder::new();
    let mut caller = StringBuilder::new();
    let mut left = times();
    let mut duration = Int64Builder::new();
    let mut status = StringBuilder::new();
    let mut handled_by = StringBuilder::new();
    let mut handled_at = times();
    let mut key = StringBuilder::new();
    let mut purged_at = times();
    for r in rows {
        call.append_value(r.call.to_string());
        mailbox.append_value(&r.mailbox);
        queue.append_option(r.queue.as_ref().map(|q| q.as_str()));
        caller.append_value(&r.caller);
        left.append_value(r.left_at.as_millis());
        duration.append_option(r.duration_ms.map(int));
        status.append_option(name(&r.status));
        handled_by.append_option(r.handled_by.as_deref());
        time(&mut handled_at, r.handled_at);
        key.append_option(r.storage_key.as_deref());
        time(&mut purged_at, r.purged_at);
    }
    batch(
        &voicemails_schema(),
        vec![
            Arc::new(call.finish()),
            Arc::new(mailbox.finish()),
            Arc::new(queue.finish()),
            Arc::new(caller.finish()),
            Arc::new(left.finish()),
            Arc::new(duration.finish()),
            Arc::new(status.finish()),
            Arc::new(handled_by.finish()),
            Arc::new(handled_at.finish()),
            Arc::new(key.finish()),
            Arc::new(purged_at.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// surveys: one row per answer

pub fn surveys_schema() -> SchemaRef {
    schema(vec![
        ("call", DataType::Utf8, false),
        ("agent", DataType::Utf8, false),
        ("queue", DataType::Utf8, false),
        ("question", DataType::Utf8, false),
        ("answer", DataType::Utf8, false),
        ("answered_at", ts(), false),
        ("csat", DataType::Boolean, false),
        ("survey_status", DataType::Utf8, false),
        (DAY, DataType::Date32, false),
    ])
}

pub fn surveys_batch(model: &Surveys, zone: Tz) -> Result<RecordBatch, ArrowError> {
    let mut call = StringBuilder::new();
    let mut agent = StringBuilder::new();
    let mut queue = StringBuilder::new();
    let mut question = StringBuilder::new();
    let mut answer = StringBuilder::new();
    let mut at = times();
    let mut csat = BooleanBuilder::new();
    let mut status = StringBuilder::new();
    let mut day = Date32Builder::new();
    for a in model.answers() {
        call.append_value(a.call.to_string());
        agent.append_value(a.agent.to_string());
        queue.append_value(a.queue.as_str());
        question.append_value(&a.question);
        answer.append_value(&a.answer);
        at.append_value(a.at.as_millis());
        csat.append_value(a.csat);
        status.append_option(model.run(a.call).and_then(|r| name(&r.status)));
        day.append_value(day_of(a.at, zone));
    }
    batch(
        &surveys_schema(),
        vec![
            Arc::new(call.finish()),
            Arc::new(agent.finish()),
            Arc::new(queue.finish()),
            Arc::new(question.finish()),
            Arc::new(answer.finish()),
            Arc::new(at.finish()),
            Arc::new(csat.finish()),
            Arc::new(status.finish()),
            Arc::new(day.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// events: the raw log

pub fn events_schema() -> SchemaRef {
    schema(vec![
        ("position", DataType::Int64, false),
        ("stream", DataType::Utf8, false),
        ("category", DataType::Utf8, false),
        ("version", DataType::Int64, false),
        ("type", DataType::Utf8, false),
        ("schema", DataType::Int64, false),
        ("occurred_at", ts(), false),
        ("event_id", DataType::Utf8, false),
        ("correlation_id", DataType::Utf8, true),
        ("causation_id", DataType::Utf8, true),
        ("prev_hash", DataType::Utf8, false),
        ("hash", DataType::Utf8, false),
        ("data", DataType::Utf8, false),
    ])
}

pub fn events_batch(events: &[Recorded]) -> Result<RecordBatch, ArrowError> {
    let mut position = Int64Builder::with_capacity(events.len());
    let mut stream = StringBuilder::new();
    let mut category = StringBuilder::new();
    let mut version = Int64Builder::with_capacity(events.len());
    let mut kind = StringBuilder::new();
    let mut schema_ = Int64Builder::with_capacity(events.len());
    let mut occurred = times();
    let mut id = StringBuilder::new();
    let mut correlation = StringBuilder::new();
    let mut causation = StringBuilder::new();
    let mut prev = StringBuilder::new();
    let mut hash = StringBuilder::new();
    let mut data = StringBuilder::new();
    for e in events {
        position.append_value(int(e.position));
        stream.append_value(e.stream.as_str());
        category.append_value(e.stream.category());
        version.append_value(int(e.version));
        kind.append_value(&e.event_type);
        schema_.append_value(i64::from(e.schema));
        occurred.append_value(e.occurred_at.as_millis());
        id.append_value(e.event_id.to_string());
        correlation.append_option(e.correlation_id.map(|c| c.to_string()));
        causation.append_option(e.causation_id.map(|c| c.to_string()));
        prev.append_value(e.prev_hash.to_string());
        hash.append_value(e.hash.to_string());
        data.append_value(&e.data);
    }
    batch(
        &events_schema(),
        vec![
            Arc::new(position.finish()),
            Arc::new(stream.finish()),
            Arc::new(category.finish()),
            Arc::new(version.finish()),
            Arc::new(kind.finish()),
            Arc::new(schema_.finish()),
            Arc::new(occurred.finish()),
            Arc::new(id.finish()),
            Arc::new(correlation.finish()),
            Arc::new(causation.finish()),
            Arc::new(prev.finish()),
            Arc::new(hash.finish()),
            Arc::new(data.finish()),
        ],
    )
}

// ---------------------------------------------------------------------------------------
// campaign_attempts

pub fn campaign_attempts_schema() -> SchemaRef {
    schema(vec![
        ("campaign", DataType::Utf8, false),
        ("lead", DataType::Utf8, false),
        ("call", DataType::Utf8, false),
        ("number", DataType::Utf8, false),
        ("attempt", DataType::Int64, false),
        ("dialed_at", ts(), false),
        ("ended_at", ts(), true),
        ("outcome", DataType::Utf8, true),
        ("outside_hours", DataType::Boolean, false),
        ("on_do_not_call", DataType::Boolean, false),
    ])
}

pub fn campaign_attempts_batch(rows: &[AttemptRow]) -> Result<RecordBatch, ArrowError> {
    let mut campaign = StringBuilder::new();
    let mut lead = StringBuilder::new();
    let mut call = StringBuilder::new();
    let mut number = StringBuilder::new();
    let mut attempt = Int64Builder::new();
    let mut dialed = times();
    let mut ended = times();
    let mut outcome = StringBuilder::new();
    let mut outside_hours = BooleanBuilder::new();
    let mut on_do_not_call = BooleanBuilder::new();
    for r in rows {
        outside_hours.append_value(r.outside_hours);
        on_do_not_call.append_value(r.on_do_not_call);
        campaign.append_value(r.campaign.to_string());
        lead.append_value(r.lead.to_string());
        call.append_value(r.call.to_string());
        number.append_value(&r.number);
        attempt.append_value(i64::from(r.attempt));
        dialed.append_value(r.dialed_at.as_millis());
        time(&mut ended, r.ended_at);
        outcome.append_option(r.outcome.as_ref().and_then(name));
    }
    batch(
        &campaign_attempts_schema(),
        vec![
            Arc::new(campaign.finish()),
            Arc::new(lead.finish()),
            Arc::new(call.finish()),
            Arc::new(number.finish()),
            Arc::new(attempt.finish()),
            Arc::new(dialed.finish()),
            Arc::new(ended.finish()),
            Arc::new(outcome.finish()),
            Arc::new(outside_hours.finish()),
            Arc::new(on_do_not_call.finish()),
        ],
    )
}
