//! The history on disk: finished days of `calls` and `queue_intervals` as Parquet files,
//! one folder per day (`history/calls/day=2026-11-24/part-0.parquet`), read by DataFusion
//! as listing tables partitioned by `day`, so a query over a year reads only the days it
//! names and history never has to fit in memory.
//!
//! A day is archived once it is closed: the log's time is past the next local midnight
//! plus [`GRACE_MS`] (late wrap-ups land in it) and every call of the day has ended. A day
//! folder appears whole or not at all (written aside, then renamed), so a crash while
//! archiving leaves the day live, never half in Parquet. The SQL tables are the archived
//! days from Parquet and the other days from memory, `UNION ALL`, so no day is counted
//! twice or missed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use chrono_tz::Tz;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::SessionContext;
use hotline_events::Timestamp;

use crate::queue_intervals::IntervalRow;
use crate::sql::SqlError;
use crate::sql::tables::{self, DAY};
use crate::{CallRow, ReadModels};

/// How long after a day's last midnight its late events (wrap-ups of calls that ended
/// just before midnight) may still arrive. A day is archived only after it.
pub const GRACE_MS: i64 = 2 * 60 * 60 * 1000;

/// The tables kept as history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archived {
    Calls,
    QueueIntervals,
}

impl Archived {
    pub const ALL: [Archived; 2] = [Archived::Calls, Archived::QueueIntervals];

    pub fn table(self) -> &'static str {
        match self {
            Archived::Calls => "calls",
            Archived::QueueIntervals => "queue_intervals",
        }
    }

    /// The layout of its Parquet files (the table's schema without `day`).
    pub fn file_schema(self) -> SchemaRef {
        tables::without_day(&match self {
            Archived::Calls => tables::calls_schema(),
            Archived::QueueIntervals => tables::queue_intervals_schema(),
        })
    }
}

/// The days already in Parquet, per table; shared with the live tables, which leave them
/// out.
#[derive(Debug, Clone, Default)]
pub struct Days(Arc<RwLock<[BTreeSet<i32>; 2]>>);

impl Days {
    pub fn contains(&self, table: Archived, day: i32) -> bool {
        self.0.read().unwrap_or_else(PoisonError::into_inner)[table as usize].contains(&day)
    }

    pub fn of(&self, table: Archived) -> BTreeSet<i32> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)[table as usize].clone()
    }

    fn insert(&self, table: Archived, day: i32) {
        self.0.write().unwrap_or_else(PoisonError::into_inner)[table as usize].insert(day);
    }
}

/// The history folder of a data directory.
#[derive(Debug, Clone)]
pub struct History {
    dir: PathBuf,
    days: Days,
}

/// What one archiving pass wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveReport {
    /// The days written, as Date32 values.
    pub days: Vec<i32>,
    pub calls: usize,
    pub intervals: usize,
}

impl History {
    /// Opens (creating) `data_dir/history` and reads which days it holds.
    pub fn open(data_dir: &Path) -> Result<Self, SqlError> {
        let dir = data_dir.join("history");
        let days = Days::default();
        for table in Archived::ALL {
            let folder = dir.join(table.table());
            fs::create_dir_all(&folder).map_err(|e| SqlError::io(&folder, e))?;
            for entry in fs::read_dir(&folder).map_err(|e| SqlError::io(&folder, e))? {
                let entry = entry.map_err(|e| SqlError::io(&folder, e))?;
                let name = entry.file_name();
                let Some(date) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("day="))
                    .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                else {
                    continue;
                };
                days.insert(table, tables::days(date));
            }
        }
        fs::create_dir_all(dir.join(".staging")).map_err(|e| SqlError::io(&dir, e))?;
        Ok(Self { dir, days })
    }

    pub fn days(&self) -> Days {
        self.days.clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes every closed day not yet archived. `now` is the time of the last event the
    /// models folded (log time, so a replayed or simulated history archives the same way).
    pub fn archive(
        &self,
        models: &ReadModels,
        zone: Tz,
        now: Timestamp,
    ) -> Result<ArchiveReport, SqlError> {
        let closed_before = last_closed_day(now, zone);
        // Each row's day once; a day with a call still going cannot close yet.
        let mut calls: BTreeMap<i32, Vec<&CallRow>> = BTreeMap::new();
        let mut open_days = BTreeSet::new();
        for row in models.calls.rows() {
            let day = tables::call_day(row, zone);
            if row.ended_at.is_none() {
                open_days.insert(day);
            }
            calls.entry(day).or_default().push(row);
        }
        let all_intervals = models.queue_intervals.rows();
        let mut intervals: BTreeMap<i32, Vec<&IntervalRow>> = BTreeMap::new();
        for row in &all_intervals {
            intervals
                .entry(tables::day_of(row.start, zone))
                .or_default()
                .push(row);
        }
        let days: BTreeSet<i32> = calls.keys().chain(intervals.keys()).copied().collect();
        let mut report = ArchiveReport::default();
        for day in days.range(..=closed_before) {
            let day = *day;
            if open_days.contains(&day) {
                continue;
            }
            let mut wrote = false;
            if !self.days.contains(Archived::Calls, day) {
                let rows = calls.get(&day).map(Vec::as_slice).unwrap_or_default();
                let batch = tables::calls_batch(rows.iter().copied(), zone, false)?;
                self.write_day(Archived::Calls, day, &batch)?;
                report.calls += rows.len();
                wrote = true;
            }
            if !self.days.contains(Archived::QueueIntervals, day) {
                let rows = intervals.get(&day).map(Vec::as_slice).unwrap_or_default();
                let batch = tables::queue_intervals_batch(rows.iter().copied(), zone, false)?;
                self.write_day(Archived::QueueIntervals, day, &batch)?;
                report.intervals += rows.len();
                wrote = true;
            }
            if wrote {
                report.days.push(day);
            }
        }
        Ok(report)
    }

    /// Writes one day's file aside, then moves its folder into place.
    pub fn write_day(
        &self,
        table: Archived,
        day: i32,
        batch: &RecordBatch,
    ) -> Result<(), SqlError> {
        let folder = format!("day={}", tables::date(day));
        let staging = self
            .dir
            .join(".staging")
            .join(format!("{}-{folder}", table.table()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| SqlError::io(&staging, e))?;
        }
        fs::create_dir_all(&staging).map_err(|e| SqlError::io(&staging, e))?;
        let path = staging.join("part-0.parquet");
        write_parquet(&path, batch)?;
        let target = self.dir.join(table.table()).join(&folder);
        fs::rename(&staging, &target).map_err(|e| SqlError::io(&target, e))?;
        self.days.insert(table, day);
        Ok(())
    }

    /// Registers `<table>_history` (the Parquet days) in `ctx`.
    pub fn register(&self, ctx: &SessionContext, table: Archived) -> Result<(), SqlError> {
        let folder = self.dir.join(table.table());
        let path = folder
            .canonicalize()
            .map_err(|e| SqlError::io(&folder, e))?;
        let url = ListingTableUrl::parse(format!("{}/", path.display()))?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![(DAY.to_owned(), DataType::Date32)]);
        let config = ListingTableConfig::new(url)
            .with_listing_options(options)
            .with_schema(table.file_schema());
        let provider = ListingTable::try_new(config)?;
        ctx.register_table(format!("{}_history", table.table()), Arc::new(provider))?;
        Ok(())
    }
}

/// Writes `batch` as one Parquet file (Snappy: quick to read back, a third of the size).
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<(), SqlError> {
    let file = fs::File::create(path).map_err(|e| SqlError::io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

/// The latest local day that is closed at `now`: its next midnight plus the grace is past.
pub fn last_closed_day(now: Timestamp, zone: Tz) -> i32 {
    let shifted = Timestamp::from_millis(now.as_millis() - GRACE_MS);
    tables::day_of(shifted, zone) - 1
}
