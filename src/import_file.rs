//! Reading a CSV import file (customers, leads) row by row: one header, then rows; a bad
//! row is reported by its line and left out, the good ones are kept. Only a file that is
//! not an import file at all (empty, or a header the importer refuses) is an error.

/// What a file holds: the good rows, and a line for each problem of the bad ones.
#[derive(Debug)]
pub struct Parsed<R> {
    pub rows: Vec<R>,
    pub problems: Vec<String>,
    pub rejected: usize,
}

impl<R> Default for Parsed<R> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            problems: Vec::new(),
            rejected: 0,
        }
    }
}

/// What a row came to: kept, skipped without a word (a blank line), or refused with its
/// problems as (column, what) pairs.
pub type RowResult<R> = Result<Option<R>, Vec<(String, String)>>;

/// Reads `bytes` (a leading UTF-8 byte-order mark is ignored); `label` names the file in
/// messages, `empty` says what its first line must be. `header` reads the first line into
/// the columns `row` reads each line (its number from 1) with.
pub fn parse<C, R>(
    label: &str,
    bytes: &[u8],
    empty: &str,
    header: impl FnOnce(&csv::ByteRecord) -> Result<C, String>,
    mut row: impl FnMut(u64, &C, &csv::ByteRecord) -> RowResult<R>,
) -> Result<Parsed<R>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let first = match records.next() {
        None => return Err(format!("{label}: the file is empty: {empty}")),
        Some(Err(e)) => return Err(format!("{label}:1: header: cannot be read: {e}")),
        Some(Ok(h)) => h,
    };
    let columns = header(&first).map_err(|why| format!("{label}:1: header: {why}"))?;
    let mut parsed = Parsed::default();
    let mut next_line = 2;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(next_line, csv::Position::line);
                parsed
                    .problems
                    .push(format!("{label}:{line}: row: cannot be read: {e}"));
                parsed.rejected += 1;
                continue;
            }
        };
        let line = record.position().map_or(next_line, csv::Position::line);
        next_line = line + 1;
        match row(line, &columns, &record) {
            Ok(Some(row)) => parsed.rows.push(row),
            Ok(None) => {}
            Err(problems) => {
                parsed.rejected += 1;
                parsed.problems.extend(
                    problems
                        .into_iter()
                        .map(|(column, what)| format!("{label}:{line}: {column}: {what}")),
                );
            }
        }
    }
    Ok(parsed)
}
