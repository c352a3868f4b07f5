//! Tables read afresh at every query: the read models as they are at that moment, and the
//! event log itself. A query therefore sees what the boards show, not a copy taken when
//! the session started.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use hotline_infra::EventLog;

use crate::sql::tables;

/// Builds the batch of a table from the read models, at query time.
pub type Build = Arc<dyn Fn() -> std::result::Result<RecordBatch, DataFusionError> + Send + Sync>;

/// A table over the live read models.
pub struct LiveTable {
    schema: SchemaRef,
    build: Build,
}

impl LiveTable {
    pub fn new(schema: SchemaRef, build: Build) -> Self {
        Self { schema, build }
    }
}

impl fmt::Debug for LiveTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveTable")
            .field("columns", &self.schema.fields().len())
            .finish()
    }
}

#[async_trait]
impl TableProvider for LiveTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = (self.build)()?;
        let exec = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(exec)
    }
}

/// How many events one read of the log brings while a query scans `events`.
const EVENTS_BATCH: usize = 16_384;

/// `events`: the raw log as a table, read from the log at each query.
pub struct EventsTable {
    log: Arc<dyn EventLog>,
    schema: SchemaRef,
}

impl EventsTable {
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self {
            log,
            schema: tables::events_schema(),
        }
    }
}

impl fmt::Debug for EventsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventsTable")
    }
}

#[async_trait]
impl TableProvider for EventsTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // Without filters pushed down, the scan reads the log to its head as it is now (a
        // LIMIT without filters stops early). Later appends wait for the next query.
        let head = self
            .log
            .head()
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let mut batches = Vec::new();
        let mut from = 1;
        let mut rows = 0usize;
        while from <= head && limit.is_none_or(|l| rows < l) {
            let events = self
                .log
                .read_all(from, EVENTS_BATCH)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            let Some(last) = events.last() else { break };
            from = last.position + 1;
            rows += events.len();
            batches.push(tables::events_batch(&events)?);
        }
        let exec =
            MemorySourceConfig::try_new_exec(&[batches], self.schema.clone(), projection.cloned())?;
        Ok(exec)
    }
}
