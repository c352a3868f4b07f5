//! SQL over the read models, with DataFusion. [`Analytics`] is one session that every
//! SQL surface shares (`hotline sql`, `POST /api/sql`, the PostgreSQL wire of [`wire`]).
//!
//! The tables: `calls`, `queue_intervals` (the live days from memory and the archived days
//! from Parquet, see [`history`]), `agent_states`, `queue_board`, `agent_board`,
//! `customers`, `interactions`, `recordings`, `voicemails`, `surveys`, `campaign_attempts` and `events` (the raw
//! log); the standard reports of [`reports`] are views over them. Live tables are read
//! afresh at each query ([`live`]), so a query sees what the boards show.
//!
//! Access is read-only ([`read_only`]): statements are checked before they are planned,
//! and DataFusion's own options forbid DDL and DML behind that.

pub mod history;
pub mod live;
pub mod read_only;
pub mod reports;
pub mod tables;
#[cfg(test)]
mod tests;
pub mod wire;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::catalog::TableProvider;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::parquet::errors::ParquetError;
use datafusion::prelude::{SessionConfig, SessionContext};
use hotline_events::Timestamp;
use hotline_infra::EventLog;

use crate::runner::Views;
use crate::sql::history::{Archived, Days, History};
use crate::sql::live::{Build, EventsTable, LiveTable};
use crate::sql::read_only::{Refused, Session};

/// What can go wrong with SQL.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Refused(#[from] Refused),
    /// DataFusion's own message: an unknown table or column, a type error...
    #[error("{0}")]
    Query(#[from] DataFusionError),
    #[error("building a table: {0}")]
    Arrow(#[from] ArrowError),
    #[error("writing the history: {0}")]
    Parquet(#[from] ParquetError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("one statement at a time, please: this text holds {0}")]
    Several(usize),
}

impl SqlError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        SqlError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The time the live boards are read at: the wall clock for a running center, the last
/// event's time for a finished (demo, simulated) history.
pub type Now = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What the session reads from.
#[derive(Clone)]
pub struct Sources {
    pub views: Views,
    pub log: Arc<dyn EventLog>,
    /// The zone of the center's "today" and of the `day` columns.
    pub zone: Tz,
    pub now: Now,
    /// The Parquet history; without it every day comes from memory.
    pub history: Option<History>,
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sources")
            .field("zone", &self.zone)
            .field("history", &self.history)
            .finish_non_exhaustive()
    }
}

/// A query's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl Answer {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The tables and views a session offers, with what each holds.
pub const TABLES: [(&str, &str); 12] = [
    (
        "calls",
        "one row per call: every timing, queue, agents, outcome, disposition",
    ),
    ("queue_intervals", "15-minute aggregates per queue"),
    (
        "agent_states",
        "one row per agent state interval, with the reason code",
    ),
    ("queue_board", "the live queue boards (today)"),
    ("agent_board", "the live agent boards (today)"),
    ("customers", "CRM profiles"),
    (
        "interactions",
        "every contact of every customer, newest first",
    ),
    ("recordings", "the recordings index"),
    (
        "voicemails",
        "voicemail messages: box, caller, length, handled",
    ),
    (
        "surveys",
        "post-call survey answers: call, agent, queue, question, answer, csat",
    ),
    ("campaign_attempts", "outbound dial attempts"),
    ("events", "the raw event log"),
];

/// The one DataFusion session over the read models.
#[derive(Clone)]
pub struct Analytics {
    ctx: Arc<SessionContext>,
}

impl fmt::Debug for Analytics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analytics").finish_non_exhaustive()
    }
}

impl Analytics {
    /// Registers every table and report view.
    pub async fn new(sources: Sources) -> Result<Self, SqlError> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("datafusion", "public");
        let ctx = SessionContext::new_with_config(config);
        let days = sources
            .history
            .as_ref()
            .map(History::days)
            .unwrap_or_default();
        register_live_tables(&ctx, &sources, &days)?;
        for table in Archived::ALL {
            let name = table.table();
            match &sources.history {
                Some(history) => {
                    history.register(&ctx, table)?;
                    ctx.sql(&format!(
                        "CREATE VIEW {name} AS SELECT * FROM {name}_history \
                         UNION ALL SELECT * FROM {name}_live"
                    ))
                    .await?;
                }
                None => {
                    ctx.sql(&format!("CREATE VIEW {name} AS SELECT * FROM {name}_live"))
                        .await?;
                }
            }
        }
        ctx.register_table("events", Arc::new(EventsTable::new(sources.log.clone())))?;
        for (name, _, sql) in reports::REPORTS {
            ctx.sql(&format!("CREATE VIEW {name} AS {sql}")).await?;
        }
        Ok(Self { ctx: Arc::new(ctx) })
    }

    /// The session, for the PostgreSQL wire. Its statements must pass [`read_only`].
    pub fn context(&self) -> Arc<SessionContext> {
        self.ctx.clone()
    }

    /// Runs one read-only statement and collects its answer.
    pub async fn query(&self, sql: &str) -> Result<Answer, SqlError> {
        let statements = read_only::check_sql(sql, Session::Refused)?;
        if statements.len() > 1 {
            return Err(SqlError::Several(statements.len()));
        }
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let frame = self.ctx.sql_with_options(sql, options).await?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        Ok(Answer { schema, batches })
    }
}

fn live(schema: SchemaRef, build: Build) -> Arc<dyn TableProvider> {
    Arc::new(LiveTable::new(schema, build))
}

fn register_live_tables(
    ctx: &SessionContext,
    sources: &Sources,
    days: &Days,
) -> Result<(), SqlError> {
    let zone = sources.zone;
    let views = sources.views.clone();
    let archived = days.clone();
    ctx.register_table(
        "calls_live",
        live(
            tables::calls_schema(),
            Arc::new(move || {
                let models = views.read();
                let rows = models
                    .calls
                    .rows()
                    .iter()
                    .filter(|r| !archived.contains(Archived::Calls, tables::call_day(r, zone)));
                Ok(tables::calls_batch(rows, zone, true)?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    let archived = days.clone();
    ctx.register_table(
        "queue_intervals_live",
        live(
            tables::queue_intervals_schema(),
            Arc::new(move || {
                let rows = views.read().queue_intervals.rows();
                let rows = rows.iter().filter(|r| {
                    !archived.contains(Archived::QueueIntervals, tables::day_of(r.start, zone))
                });
                Ok(tables::queue_intervals_batch(rows, zone, true)?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "agent_states",
        live(
            tables::agent_states_schema(),
            Arc::new(move || {
                let models = views.read();
                Ok(tables::agent_states_batch(
                    models.agent_states.rows(),
                    zone,
                )?)
            }),
        ),
    )?;
    let (views, now) = (sources.views.clone(), sources.now.clone());
    ctx.register_table(
        "queue_board",
        live(
            tables::queue_board_schema(),
            Arc::new(move || {
                let boards = views.read().boards.queues(now());
                Ok(tables::queue_board_batch(&boards)?)
            }),
        ),
    )?;
    let (views, now) = (sources.views.clone(), sources.now.clone());
    ctx.register_table(
        "agent_board",
        live(
            tables::agent_board_schema(),
            Arc::new(move || {
                let boards = views.read().boards.agents(now());
                Ok(tables::agent_board_batch(&boards)?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "customers",
        live(
            tables::customers_schema(),
            Arc::new(move || {
                let models = views.read();
                Ok(tables::customers_batch(models.customers.iter())?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "interactions",
        live(
            tables::interactions_schema(),
            Arc::new(move || {
                let models = views.read();
                let rows = models
                    .customers
                    .iter()
                    .map(|c| (c, models.interactions.of(c, &models.calls)));
                Ok(tables::interactions_batch(rows)?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "recordings",
        live(
            tables::recordings_schema(),
            Arc::new(move || Ok(tables::recordings_batch(views.read().recordings.rows())?)),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "voicemails",
        live(
            tables::voicemails_schema(),
            Arc::new(move || Ok(tables::voicemails_batch(views.read().voicemails.rows())?)),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "surveys",
        live(
            tables::surveys_schema(),
            Arc::new(move || {
                let models = views.read();
                Ok(tables::surveys_batch(&models.surveys, zone)?)
            }),
        ),
    )?;
    let views = sources.views.clone();
    ctx.register_table(
        "campaign_attempts",
        live(
            tables::campaign_attempts_schema(),
            Arc::new(move || {
                let models = views.read();
                Ok(tables::campaign_attempts_batch(
                    models.campaign_attempts.rows(),
                )?)
            }),
        ),
    )?;
    Ok(())
}
