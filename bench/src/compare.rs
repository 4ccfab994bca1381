//! Record-by-record comparison of the generated program's output with the baseline's: a fast
//! wrong answer does not count.
//!
//! Floats agree when they are equal or within [`RELATIVE_TOLERANCE`] of each other: the
//! compiler computes a unit conversion's factor exactly and rounds it once (rpm to rad/s is
//! `* 0.10471975511965977`), while hand-written Rust writes `PI / 30.0` or `/ 1000.0`, which may
//! round differently in the last bit. 1e-12 is thousands of times such a rounding difference
//! and millions of times smaller than any real conversion mistake (a wrong factor, a missing
//! offset). Every other value (texts, integers, booleans, nulls, an integer written where a
//! float was, the set of fields) must be exactly equal.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

pub const RELATIVE_TOLERANCE: f64 = 1e-12;

/// What agreed.
#[derive(Default, Debug)]
pub struct Agreement {
    pub records: u64,
    pub floats: u64,
    /// Floats that agreed within the tolerance but not bit for bit.
    pub inexact_floats: u64,
    /// Rejected records by reason.
    pub rejects: BTreeMap<String, u64>,
}

fn floats_agree(a: f64, b: f64, agreement: &mut Agreement) -> bool {
    agreement.floats += 1;
    if a == b {
        return true;
    }
    agreement.inexact_floats += 1;
    (a - b).abs() <= RELATIVE_TOLERANCE * a.abs().max(b.abs())
}

/// JSON values equal, with floats within the tolerance.
fn json_agree(a: &Value, b: &Value, agreement: &mut Agreement) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => floats_agree(
            x.as_f64().unwrap_or(f64::NAN),
            y.as_f64().unwrap_or(f64::NAN),
            agreement,
        ),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_agree(v, w, agreement)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_agree(v, w, agreement))
        }
        _ => a == b,
    }
}

fn lines(path: &Path) -> Result<impl Iterator<Item = Result<String, String>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let shown = path.display().to_string();
    Ok(BufReader::with_capacity(1 << 16, file)
        .lines()
        .map(move |l| l.map_err(|e| format!("{shown}: {e}"))))
}

fn extra(who: &str, what: &str, agreed: u64, line: &str) -> String {
    format!("after {agreed} {what} in both, the {who} has more; the first:\n  {line}")
}

fn parse(line: &str, path: &Path, n: u64) -> Result<Value, String> {
    serde_json::from_str(line)
        .map_err(|e| format!("{} line {n} is not JSON ({e}): {line}", path.display()))
}

/// Compares two JSON Lines files line by line, in order, every field.
pub fn jsonl(generated: &Path, baseline: &Path, agreement: &mut Agreement) -> Result<(), String> {
    let (mut g, mut b) = (lines(generated)?, lines(baseline)?);
    let mut n = 0;
    loop {
        match (g.next().transpose()?, b.next().transpose()?) {
            (None, None) => return Ok(()),
            (Some(line), None) => return Err(extra("generated program", "records", n, &line)),
            (None, Some(line)) => return Err(extra("baseline", "records", n, &line)),
            (Some(gl), Some(bl)) => {
                n += 1;
                let (gv, bv) = (parse(&gl, generated, n)?, parse(&bl, baseline, n)?);
                if !json_agree(&gv, &bv, agreement) {
                    return Err(format!(
                        "record {n} differs:\n  generated: {gl}\n  baseline:  {bl}"
                    ));
                }
                agreement.records += 1;
            }
        }
    }
}

/// Compares the dead letter with the baseline's rejects: the same positions, in order, each
/// with the same stage and reason (the detail texts are each program's own words).
pub fn rejects(generated: &Path, baseline: &Path, agreement: &mut Agreement) -> Result<(), String> {
    let key = |line: &str, path: &Path, n: u64| -> Result<(u64, String, String), String> {
        let v = parse(line, path, n)?;
        let position = v["position"]
            .as_u64()
            .ok_or_else(|| format!("no position: {line}"))?;
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        Ok((position, text("stage"), text("reason")))
    };
    let (mut g, mut b) = (lines(generated)?, lines(baseline)?);
    let mut n = 0;
    loop {
        match (g.next().transpose()?, b.next().transpose()?) {
            (None, None) => return Ok(()),
            (Some(line), None) => return Err(extra("generated program", "rejects", n, &line)),
            (None, Some(line)) => return Err(extra("baseline", "rejects", n, &line)),
            (Some(gl), Some(bl)) => {
                n += 1;
                let (gk, bk) = (key(&gl, generated, n)?, key(&bl, baseline, n)?);
                if gk != bk {
                    return Err(format!(
                        "reject {n} differs (position, stage, reason):\n  generated: {gk:?}\n    {gl}\n  \
                         baseline:  {bk:?}\n    {bl}"
                    ));
                }
                *agreement.rejects.entry(gk.2).or_default() += 1;
            }
        }
    }
}

/// Compares a table of two SQLite databases row by row, ordered by the key columns.
pub fn sqlite(
    generated: &Path,
    baseline: &Path,
    table: &str,
    order_by: &str,
    agreement: &mut Agreement,
) -> Result<(), String> {
    let query = format!("SELECT * FROM {table} ORDER BY {order_by}");
    let read = |path: &Path| -> Result<(Vec<String>, Vec<Vec<SqlValue>>), String> {
        let fail = |e: rusqlite::Error| format!("{}: {e}", path.display());
        let db =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(fail)?;
        let mut statement = db.prepare(&query).map_err(fail)?;
        let columns: Vec<String> = statement
            .column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let width = columns.len();
        let rows = statement
            .query_map([], |row| {
                (0..width).map(|i| row.get::<_, SqlValue>(i)).collect()
            })
            .map_err(fail)?
            .collect::<Result<Vec<Vec<SqlValue>>, _>>()
            .map_err(fail)?;
        Ok((columns, rows))
    };
    let (g_columns, g_rows) = read(generated)?;
    let (b_columns, b_rows) = read(baseline)?;
    if g_columns != b_columns {
        return Err(format!(
            "the columns differ: {g_columns:?} and {b_columns:?}"
        ));
    }
    for (n, (g, b)) in g_rows.iter().zip(&b_rows).enumerate() {
        let agree = g.iter().zip(b).all(|pair| match pair {
            (SqlValue::Real(x), SqlValue::Real(y)) => floats_agree(*x, *y, agreement),
            (x, y) => x == y,
        });
        if !agree {
            return Err(format!(
                "row {} of {table} (by {order_by}) differs:\n  generated: {g:?}\n  baseline:  {b:?}",
                n + 1
            ));
        }
        agreement.records += 1;
    }
    if g_rows.len() != b_rows.len() {
        return Err(format!(
            "{table} has {} rows from the generated program and {} from the baseline",
            g_rows.len(),
            b_rows.len()
        ));
    }
    Ok(())
}

/// Compares a table of two PostgreSQL databases: the same columns (name, type, nullability, in
/// order), then row by row ordered by the key columns, each row as PostgreSQL's own JSON of it
/// (`row_to_json`), so every column type is compared as it is stored.
pub fn postgres(
    generated: &mut postgres::Client,
    baseline: &mut postgres::Client,
    table: &str,
    order_by: &str,
    agreement: &mut Agreement,
) -> Result<(), String> {
    let fail = |side: &'static str| move |e: postgres::Error| format!("{side} database: {e}");
    let columns =
        |client: &mut postgres::Client, side: &'static str| -> Result<Vec<String>, String> {
            let rows = client
                .query(
                    "SELECT column_name || ' ' || data_type || ' ' || is_nullable \
                 FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
                    &[&table],
                )
                .map_err(fail(side))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        };
    let (g_columns, b_columns) = (
        columns(generated, "generated")?,
        columns(baseline, "baseline")?,
    );
    if g_columns != b_columns {
        return Err(format!(
            "the columns of {table} differ: {g_columns:?} and {b_columns:?}"
        ));
    }
    let query = format!("SELECT row_to_json(t)::text FROM {table} t ORDER BY {order_by}");
    let g_rows = generated.query(&query, &[]).map_err(fail("generated"))?;
    let b_rows = baseline.query(&query, &[]).map_err(fail("baseline"))?;
    for (n, (g, b)) in g_rows.iter().zip(&b_rows).enumerate() {
        let (gl, bl): (&str, &str) = (g.get(0), b.get(0));
        let (gv, bv) = (
            parse(gl, Path::new("generated"), n as u64)?,
            parse(bl, Path::new("baseline"), n as u64)?,
        );
        if !json_agree(&gv, &bv, agreement) {
            return Err(format!(
                "row {} of {table} (by {order_by}) differs:\n  generated: {gl}\n  baseline:  {bl}",
                n + 1
            ));
        }
        agreement.records += 1;
    }
    if g_rows.len() != b_rows.len() {
        return Err(format!(
            "{table} has {} rows from the generated program and {} from the baseline",
            g_rows.len(),
            b_rows.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_within_tolerance_agree_and_other_values_must_be_equal() {
        let mut a = Agreement::default();
        let third = 0.1 + 0.2;
        assert!(json_agree(
            &json!({"x": 0.3, "s": "a"}),
            &json!({"x": third, "s": "a"}),
            &mut a
        ));
        assert_eq!((a.floats, a.inexact_floats), (1, 1));
        assert!(!json_agree(
            &json!({"x": 0.3}),
            &json!({"x": 0.3001}),
            &mut a
        ));
        assert!(!json_agree(&json!({"x": 1}), &json!({"x": 1.0}), &mut a));
        assert!(!json_agree(
            &json!({"x": 1}),
            &json!({"x": 1, "y": 2}),
            &mut a
        ));
        assert!(!json_agree(&json!({"s": "a"}), &json!({"s": "b"}), &mut a));
    }
}
