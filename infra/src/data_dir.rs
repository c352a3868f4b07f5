//! The data directory every store of this crate lives in (the event log, the projections'
//! snapshots): one rule for preparing it, so each store reports the same problem the same way.

use std::path::Path;

/// Creates `data_dir` if needed; refuses a path that is a file.
pub(crate) fn prepare(data_dir: &Path) -> std::io::Result<()> {
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "it is a file, not a directory",
        ));
    }
    std::fs::create_dir_all(data_dir)
}
