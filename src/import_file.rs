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
    let mut lines = Lines::new(bytes);
    let mut next_line = 2;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(next_line, |p| lines.of(p));
                parsed
                    .problems
                    .push(format!("{label}:{line}: row: cannot be read: {e}"));
                parsed.rejected += 1;
                continue;
            }
        };
        let line = record.position().map_or(next_line, |p| lines.of(p));
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

/// The physical line a record starts on, from its byte offset. The csv crate's own line
/// count lags one behind in a file with CRLF line ends (rust-csv issue 395: a record's
/// start is the `\n` of the `\r\n` before it), which put every problem of a spreadsheet's
/// export on the line above the one to fix.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Newlines in `bytes[..counted_to]`: offsets only grow, so each byte is counted once.
    counted_to: usize,
    newlines: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            counted_to: 0,
            newlines: 0,
        }
    }

    fn of(&mut self, position: &csv::Position) -> u64 {
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if start > 0 && self.bytes[start - 1] == b'\r' && self.bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        if start < self.counted_to {
            // Not expected (offsets grow); count afresh rather than guess.
            self.counted_to = 0;
            self.newlines = 0;
        }
        self.newlines += self.bytes[self.counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.counted_to = start;
        self.newlines + 1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The line of each row's problem, for a file whose rows must all have two fields.
    fn problem_lines(bytes: &[u8]) -> Vec<String> {
        let parsed = parse(
            "f.csv",
            bytes,
            "a header",
            |_| Ok(()),
            |_, _, record| {
                if record.len() == 2 {
                    Ok(Some(()))
                } else {
                    Err(vec![("row".to_owned(), "not two fields".to_owned())])
                }
            },
        )
        .unwrap();
        parsed.problems
    }

    #[test]
    fn problems_name_the_same_lines_with_lf_and_with_crlf_line_ends() {
        let lf = "a,b\n1,2\n3,4,5\n6,7\n8\n";
        let expected = [
            "f.csv:3: row: not two fields",
            "f.csv:5: row: not two fields",
        ];
        assert_eq!(problem_lines(lf.as_bytes()), expected);
        let crlf = lf.replace('\n', "\r\n");
        assert_eq!(problem_lines(crlf.as_bytes()), expected);
        // With a byte-order mark, as a spreadsheet writes it.
        let bom = [b"\xEF\xBB\xBF".as_slice(), crlf.as_bytes()].concat();
        assert_eq!(problem_lines(&bom), expected);
        // A quoted field that holds a line break: the next row is on the line after it.
        let quoted = "a,b\r\n\"x\r\ny\",2\r\n3,4,5\r\n";
        assert_eq!(
            problem_lines(quoted.as_bytes()),
            ["f.csv:4: row: not two fields"]
        );
    }
}
