//! The snapshot store: the projections' saved states and checkpoints, in one SQLite file
//! (`projections.sqlite` in the data directory) beside the event log.
//!
//! A snapshot is only a cache of a fold of the log: losing it costs a rebuild, never data.
//! So the store is deliberately simple (one row per projection, replaced whole), but it
//! still refuses a file that is not its own, and it checks each blob against a checksum
//! written with it, so a damaged snapshot is reported (and rebuilt by the caller) instead
//! of being decoded into a wrong state.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

/// `PRAGMA application_id`: "HOTP" (Hotline projections), unlike the log's "HOTL", so that
/// neither file can be mistaken for the other.
const APPLICATION_ID: i64 = 0x484F_5450;
/// `PRAGMA user_version`: the layout of the file.
const FORMAT: i64 = 1;

const SCHEMA: &str = "CREATE TABLE snapshots (
    name TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    schema INTEGER NOT NULL,
    checksum INTEGER NOT NULL,
    data BLOB NOT NULL
) STRICT;";

/// What can go wrong with the snapshot store. Each message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "cannot use the data directory {}: {reason}; choose a writable directory with --data-dir or HOTLINE_DATA_DIR",
        path.display()
    )]
    DataDir {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error(
        "{} is not a Hotline snapshot store, or it is damaged ({detail}): move it away (snapshots are rebuilt from the log with `hotline replay`); the file was not changed",
        path.display()
    )]
    NotAStore { path: PathBuf, detail: String },
    #[error(
        "{} was written by a newer Hotline (snapshot format {found}; this build reads formats up to {supported}): upgrade hotline, or delete the file to rebuild the projections from the log",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "the snapshot of {name} in {} is damaged ({detail}): run `hotline replay --projection {name}` to rebuild it from the log",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        name: String,
        detail: String,
    },
    #[error("the snapshot store {} failed: {detail}", path.display())]
    Storage { path: PathBuf, detail: String },
}

/// One stored snapshot: the state's bytes as of log `position`, in the layout `schema`
/// of the projection that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub position: u64,
    pub schema: u32,
    pub bytes: Vec<u8>,
}

/// A stored snapshot's name, position and size, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub name: String,
    pub position: u64,
    pub schema: u32,
    pub size: u64,
}

/// The projections' snapshots in `projections.sqlite`. WAL with `synchronous=FULL`: a
/// save is one transaction, so a crash leaves the previous snapshot or the new one, never
/// half of either.
#[derive(Debug)]
pub struct SnapshotStore {
    path: PathBuf,
    conn: Connection,
}

impl SnapshotStore {
    /// The store's file inside a data directory.
    pub fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join("projections.sqlite")
    }

    /// Opens the store in `data_dir`, creating the directory and the file if needed.
    pub fn open(data_dir: &Path) -> Result<Self, SnapshotError> {
        let dir_err = |reason| SnapshotError::DataDir {
            path: data_dir.to_owned(),
            reason,
        };
        crate::data_dir::prepare(data_dir).map_err(dir_err)?;
        let path = Self::file_in(data_dir);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
        .map_err(|e| not_a_store(&path, e))?;
        // Another process (a server and `hotline replay`) may save at the same time.
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| not_a_store(&path, e))?;
        let existing = check_header(&conn, &path)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| not_a_store(&path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(SnapshotError::Storage {
                path,
                detail: format!("cannot use WAL (got {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| storage(&path, e))?;
        if !existing {
            conn.execute_batch(&format!(
                "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT}; COMMIT;"
            ))
            .map_err(|e| storage(&path, e))?;
        }
        Ok(Self { path, conn })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The snapshot saved under `name`, if any. A blob that does not match its checksum,
    /// or a row that cannot be read, is [`SnapshotError::Corrupt`].
    pub fn load(&self, name: &str) -> Result<Option<StoredSnapshot>, SnapshotError> {
        let row: Option<(i64, i64, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT position, schema, checksum, data FROM snapshots WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.corrupt(name, e.to_string()))?;
        let Some((position, schema, checksum, bytes)) = row else {
            return Ok(None);
        };
        let position = u64::try_from(position)
            .map_err(|_| self.corrupt(name, format!("negative position {position}")))?;
        let schema = u32::try_from(schema)
            .map_err(|_| self.corrupt(name, format!("schema {schema} out of range")))?;
        if checksum != fnv1a(&bytes) {
            return Err(self.corrupt(name, "its bytes do not match their checksum".into()));
        }
        Ok(Some(StoredSnapshot {
            position,
            schema,
            bytes,
        }))
    }

    /// Saves `bytes` as `name`'s snapshot at `position`, replacing the previous one; one
    /// durable transaction.
    pub fn save(
        &self,
        name: &str,
        position: u64,
        schema: u32,
        bytes: &[u8],
    ) -> Result<(), SnapshotError> {
        let position = i64::try_from(position).map_err(|_| SnapshotError::Storage {
            path: self.path.clone(),
            detail: format!("position {position} of {name} does not fit SQLite's integers"),
        })?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO snapshots (name, position, schema, checksum, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name, position, i64::from(schema), fnv1a(bytes), bytes],
            )
            .map_err(|e| storage(&self.path, e))?;
        Ok(())
    }

    /// Forgets `name`'s snapshot (the projection then rebuilds from position 0). Says
    /// whether there was one.
    pub fn drop(&self, name: &str) -> Result<bool, SnapshotError> {
        let n = self
            .conn
            .execute("DELETE FROM snapshots WHERE name = ?1", [name])
            .map_err(|e| storage(&self.path, e))?;
        Ok(n > 0)
    }

    /// Forgets every snapshot; returns how many there were.
    pub fn drop_all(&self) -> Result<usize, SnapshotError> {
        self.conn
            .execute("DELETE FROM snapshots", [])
            .map_err(|e| storage(&self.path, e))
    }

    /// Every stored snapshot, by name.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>, SnapshotError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, position, schema, length(data) FROM snapshots ORDER BY name")
            .map_err(|e| storage(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(|e| storage(&self.path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, position, schema, size) = row.map_err(|e| storage(&self.path, e))?;
            let bad = |what: &str| self.corrupt(&name, format!("{what} out of range"));
            out.push(SnapshotInfo {
                position: u64::try_from(position).map_err(|_| bad("position"))?,
                schema: u32::try_from(schema).map_err(|_| bad("schema"))?,
                size: u64::try_from(size).map_err(|_| bad("size"))?,
                name,
            });
        }
        Ok(out)
    }

    fn corrupt(&self, name: &str, detail: String) -> SnapshotError {
        SnapshotError::Corrupt {
            path: self.path.clone(),
            name: name.to_owned(),
            detail,
        }
    }
}

/// Checks that the file is a snapshot store this build can read; says whether it existed.
fn check_header(conn: &Connection, path: &Path) -> Result<bool, SnapshotError> {
    let pragma = |sql: &str| -> Result<i64, SnapshotError> {
        conn.query_row(sql, [], |r| r.get(0))
            .map_err(|e| not_a_store(path, e))
    };
    let app = pragma("PRAGMA application_id")?;
    let format = pragma("PRAGMA user_version")?;
    let tables = pragma("SELECT count(*) FROM sqlite_schema")?;
    if app == 0 && format == 0 && tables == 0 {
        return Ok(false);
    }
    if app != APPLICATION_ID {
        return Err(SnapshotError::NotAStore {
            path: path.to_owned(),
            detail: "it is a SQLite database of another application".into(),
        });
    }
    if format > FORMAT {
        return Err(SnapshotError::NewerFormat {
            path: path.to_owned(),
            found: format,
            supported: FORMAT,
        });
    }
    Ok(true)
}

fn not_a_store(path: &Path, e: rusqlite::Error) -> SnapshotError {
    SnapshotError::NotAStore {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

fn storage(path: &Path, e: rusqlite::Error) -> SnapshotError {
    SnapshotError::Storage {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

/// 64-bit FNV-1a: enough to notice a damaged blob (this guards against accidents, not
/// attackers), and it needs no dependency.
fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn store() -> (tempfile::TempDir, SnapshotStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn a_saved_snapshot_loads_back_after_reopening() {
        let (dir, store) = store();
        assert_eq!(store.load("calls").unwrap(), None);
        store.save("calls", 42, 3, b"state").unwrap();
        drop(store);
        let store = SnapshotStore::open(dir.path()).unwrap();
        assert_eq!(
            store.load("calls").unwrap(),
            Some(StoredSnapshot {
                position: 42,
                schema: 3,
                bytes: b"state".to_vec()
            })
        );
    }

    #[test]
    fn saving_again_replaces_the_snapshot() {
        let (_dir, store) = store();
        store.save("calls", 1, 1, b"old").unwrap();
        store.save("calls", 9, 2, b"newer").unwrap();
        store.save("boards", 5, 1, b"b").unwrap();
        let calls = store.load("calls").unwrap().unwrap();
        assert_eq!((calls.position, calls.schema), (9, 2));
        assert_eq!(calls.bytes, b"newer");
        let names: Vec<_> = store
            .list()
            .unwrap()
            .into_iter()
            .map(|i| (i.name, i.position, i.size))
            .collect();
        assert_eq!(
            names,
            [("boards".to_owned(), 5, 1), ("calls".to_owned(), 9, 5)]
        );
    }

    #[test]
    fn dropped_snapshots_are_gone() {
        let (_dir, store) = store();
        store.save("calls", 1, 1, b"c").unwrap();
        store.save("boards", 1, 1, b"b").unwrap();
        store.save("agent_states", 1, 1, b"a").unwrap();
        assert!(store.drop("calls").unwrap());
        assert!(!store.drop("calls").unwrap(), "already gone");
        assert_eq!(store.load("calls").unwrap(), None);
        assert!(store.load("boards").unwrap().is_some());
        assert_eq!(store.drop_all().unwrap(), 2);
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn a_foreign_sqlite_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = SnapshotStore::file_in(dir.path());
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
        drop(other);
        let err = SnapshotStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, SnapshotError::NotAStore { .. }),
            "{err:?}: {err}"
        );
        assert!(err.to_string().contains("another application"), "{err}");
        let other = Connection::open(&path).unwrap();
        let kept: String = other
            .query_row("SELECT t FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "mine");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            SnapshotStore::file_in(dir.path()),
            b"this is not a database, not at all, and long enough to tell".repeat(20),
        )
        .unwrap();
        let err = SnapshotStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, SnapshotError::NotAStore { .. }),
            "{err:?}: {err}"
        );
    }

    #[test]
    fn a_newer_format_is_refused() {
        let (dir, store) = store();
        store
            .conn
            .execute_batch(&format!("PRAGMA user_version = {};", FORMAT + 1))
            .unwrap();
        drop(store);
        let err = SnapshotStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, SnapshotError::NewerFormat { found: 2, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_damaged_blob_is_reported_not_loaded() {
        let (_dir, store) = store();
        store.save("calls", 7, 1, b"the state as saved").unwrap();
        store
            .conn
            .execute(
                "UPDATE snapshots SET data = CAST('the state as bitrot' AS BLOB) WHERE name = 'calls'",
                [],
            )
            .unwrap();
        let err = store.load("calls").unwrap_err();
        assert!(
            matches!(&err, SnapshotError::Corrupt { name, .. } if name == "calls"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("hotline replay --projection calls")
        );
        store
            .conn
            .execute(
                "UPDATE snapshots SET position = -1, data = CAST('x' AS BLOB), checksum = 0 WHERE name = 'calls'",
                [],
            )
            .unwrap();
        assert!(matches!(
            store.load("calls"),
            Err(SnapshotError::Corrupt { .. })
        ));
    }
}
