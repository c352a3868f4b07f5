//! SQL access is read-only. Every statement is checked against an allow-list before it is
//! planned, on every path (the CLI, HTTP and the PostgreSQL wire): a query, an `EXPLAIN` of
//! one, and the session chatter clients send (`SET`, `SHOW`, transactions, cursors) pass;
//! anything else is refused with the statement's kind named. An allow-list, not a
//! deny-list, so a statement kind a later parser adds is refused until it is judged.
//! DataFusion's own `SQLOptions` (no DDL, no DML) stand behind it as a second wall.

use datafusion::sql::sqlparser::ast::{Query, SetExpr, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("SQL access is read-only: {kind} is not allowed (only SELECT, WITH, EXPLAIN and SHOW)")]
    Write { kind: String },
    #[error("the SQL does not parse: {0}")]
    Syntax(String),
    #[error("no SQL statement was given")]
    Empty,
}

/// Parses `sql` (PostgreSQL dialect) and checks each statement.
pub fn check_sql(sql: &str, session: Session) -> Result<Vec<Statement>, Refused> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| Refused::Syntax(e.to_string()))?;
    if statements.is_empty() {
        return Err(Refused::Empty);
    }
    for s in &statements {
        check(s, session)?;
    }
    Ok(statements)
}

/// Whether session statements (`SET`, transactions, cursors) pass: they do on the wire,
/// where clients send them and the server keeps per-connection state, and not on the
/// one-shot paths, where they would do nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    Allowed,
    Refused,
}

/// Checks one parsed statement.
pub fn check(statement: &Statement, session: Session) -> Result<(), Refused> {
    let ok = match statement {
        Statement::Query(q) => query_reads_only(q),
        // EXPLAIN ANALYZE runs its statement; a plain EXPLAIN of a write is refused too, so
        // the answer is the same either way.
        Statement::Explain { statement, .. } => return check(statement, session),
        Statement::ExplainTable { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowCreate { .. } => true,
        Statement::Set(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. } => session == Session::Allowed,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Refused::Write {
            kind: kind_of(statement),
        })
    }
}

/// A query reads only if no part of it writes: no `SELECT ... INTO`, no data-modifying
/// statement nested in its body or its `WITH` clause.
fn query_reads_only(q: &Query) -> bool {
    let ctes = q
        .with
        .as_ref()
        .is_none_or(|w| w.cte_tables.iter().all(|c| query_reads_only(&c.query)));
    ctes && body_reads_only(&q.body)
}

fn body_reads_only(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(s) => s.into.is_none(),
        SetExpr::Query(q) => query_reads_only(q),
        SetExpr::SetOperation { left, right, .. } => {
            body_reads_only(left) && body_reads_only(right)
        }
        SetExpr::Values(_) | SetExpr::Table(_) => true,
        _ => false,
    }
}

/// The statement's leading words, upper-case ("INSERT", "CREATE TABLE"), for the error.
fn kind_of(statement: &Statement) -> String {
    if let Statement::Query(_) = statement {
        return "a query that writes (SELECT INTO or a data-modifying WITH)".to_owned();
    }
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER"
            ) && matches!(
                second.to_ascii_uppercase().as_str(),
                "TABLE"
                    | "VIEW"
                    | "INDEX"
                    | "SCHEMA"
                    | "DATABASE"
                    | "FUNCTION"
                    | "EXTERNAL"
                    | "ROLE"
                    | "USER"
                    | "SEQUENCE"
                    | "TYPE"
                    | "OR"
                    | "TEMPORARY"
                    | "TEMP"
            ) =>
        {
            format!(
                "{} {}",
                first.to_ascii_uppercase(),
                second.to_ascii_uppercase()
            )
        }
        [first, ..] => first.to_ascii_uppercase(),
        [] => "this statement".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        match check_sql(sql, Session::Refused) {
            Err(Refused::Write { kind }) => kind,
            other => panic!("{sql}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn queries_and_explains_pass() {
        for sql in [
            "SELECT 1",
            "SELECT queue, count(*) FROM calls GROUP BY queue",
            "WITH a AS (SELECT * FROM calls) SELECT * FROM a",
            "SELECT 1 UNION ALL SELECT 2",
            "EXPLAIN SELECT * FROM calls",
            "SHOW TABLES",
            "VALUES (1), (2)",
        ] {
            assert!(check_sql(sql, Session::Refused).is_ok(), "{sql}");
        }
    }

    #[test]
    fn every_kind_of_write_is_refused_and_named() {
        assert_eq!(refused("INSERT INTO calls VALUES (1)"), "INSERT");
        assert_eq!(refused("UPDATE calls SET talk_ms = 0"), "UPDATE");
        assert_eq!(refused("DELETE FROM calls"), "DELETE");
        assert_eq!(refused("CREATE TABLE x (a INT)"), "CREATE TABLE");
        assert_eq!(refused("CREATE VIEW v AS SELECT 1"), "CREATE VIEW");
        assert_eq!(refused("DROP TABLE calls"), "DROP TABLE");
        assert_eq!(refused("ALTER TABLE calls ADD COLUMN x INT"), "ALTER TABLE");
        assert_eq!(refused("TRUNCATE calls"), "TRUNCATE");
        assert_eq!(refused("EXPLAIN ANALYZE DELETE FROM calls"), "DELETE");
        assert!(refused("SELECT * INTO copy FROM calls").contains("SELECT INTO"));
        assert_eq!(refused("COPY calls TO '/tmp/x.csv'"), "COPY");
    }

    #[test]
    fn a_write_hidden_after_a_read_is_refused() {
        assert_eq!(refused("SELECT 1; DROP TABLE calls"), "DROP TABLE");
    }

    #[test]
    fn session_statements_pass_only_where_a_session_exists() {
        let set = Parser::parse_sql(&PostgreSqlDialect {}, "SET extra_float_digits = 3")
            .unwrap_or_default();
        assert_eq!(set.len(), 1);
        assert!(check(&set[0], Session::Allowed).is_ok());
        assert!(check(&set[0], Session::Refused).is_err());
    }

    #[test]
    fn nonsense_is_a_syntax_error_not_a_panic() {
        assert!(matches!(
            check_sql("SELEC x FROM", Session::Refused),
            Err(Refused::Syntax(_))
        ));
        assert_eq!(check_sql("  ;  ", Session::Refused), Err(Refused::Empty));
    }
}
