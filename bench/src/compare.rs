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
/// with the same stage and reason (the detail texts are each program's own words), and each with
/// the record it rejected. For a JSON Lines source (`json_input`, its file; for an MQTT source the
/// published messages, one a line) that is the input line of the position: the baseline writes
/// it as text, the generated program as the JSON it parsed from it (or as text when it was no
/// JSON). For a CSV source both write the header → cell object, which must be equal.
pub fn rejects(
    generated: &Path,
    baseline: &Path,
    json_input: Option<&Path>,
    agreement: &mut Agreement,
) -> Result<(), String> {
    let key = |v: &Value, line: &str| -> Result<(u64, String, String), String> {
        let position = v["position"]
            .as_u64()
            .ok_or_else(|| format!("no position: {line}"))?;
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        Ok((position, text("stage"), text("reason")))
    };
    let mut input = match json_input {
        Some(path) => Some(InputLines::open(path)?),
        None => None,
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
                let (gv, bv) = (parse(&gl, generated, n)?, parse(&bl, baseline, n)?);
                let (gk, bk) = (key(&gv, &gl)?, key(&bv, &bl)?);
                if gk != bk {
                    return Err(format!(
                        "reject {n} differs (position, stage, reason):\n  generated: {gk:?}\n    {gl}\n  \
                         baseline:  {bk:?}\n    {bl}"
                    ));
                }
                let line = match &mut input {
                    Some(input) => Some(input.line(gk.0)?),
                    None => None,
                };
                rejected_records_agree(&gv["record"], &bv["record"], line.as_deref()).map_err(
                    |e| {
                        format!(
                            "reject {n} (position {}): {e}:\n  generated: {gl}\n  baseline:  {bl}",
                            gk.0
                        )
                    },
                )?;
                *agreement.rejects.entry(gk.2).or_default() += 1;
            }
        }
    }
}

/// Whether the records of a reject are there and the same: see [`rejects`].
fn rejected_records_agree(
    generated: &Value,
    baseline: &Value,
    line: Option<&str>,
) -> Result<(), String> {
    let present = |v: &Value| match v {
        Value::String(s) => !s.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if !present(generated) || !present(baseline) {
        return Err("a record is missing or empty".into());
    }
    match line {
        Some(line) => {
            if baseline.as_str() != Some(line) {
                return Err(format!(
                    "the baseline's record is not the input line {line:?}"
                ));
            }
            let as_read = match generated {
                Value::String(text) => text == line,
                parsed => serde_json::from_str::<Value>(line).is_ok_and(|v| v == *parsed),
            };
            if !as_read {
                return Err(format!(
                    "the generated program's record is not the input line {line:?}"
                ));
            }
        }
        None if generated != baseline => return Err("the records differ".into()),
        None => {}
    }
    Ok(())
}

/// The lines of an input file by their number (1 for the first), read forward only, as the
/// rejects name them in order.
struct InputLines {
    lines: Box<dyn Iterator<Item = Result<String, String>>>,
    /// The number of the line in `current`.
    number: u64,
    current: String,
}

impl InputLines {
    fn open(path: &Path) -> Result<Self, String> {
        Ok(InputLines {
            lines: Box::new(lines(path)?),
            number: 0,
            current: String::new(),
        })
    }

    fn line(&mut self, number: u64) -> Result<String, String> {
        if number < self.number {
            return Err(format!(
                "rejects out of order: position {number} after {}",
                self.number
            ));
        }
        while self.number < number {
            self.current = self
                .lines
                .next()
                .transpose()?
                .ok_or_else(|| format!("the input has no line {number}"))?;
            self.number += 1;
        }
        Ok(self.current.clone())
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

    #[test]
    fn rejected_records_must_be_there_and_the_input_line() {
        let line = r#"{"machine":"M-1","n":1.5}"#;
        let text = json!(line);
        let parsed: Value = serde_json::from_str(line).unwrap();
        assert!(rejected_records_agree(&parsed, &text, Some(line)).is_ok());
        assert!(rejected_records_agree(&text, &text, Some(line)).is_ok());
        assert!(rejected_records_agree(
            &json!("{not json"),
            &json!("{not json"),
            Some("{not json")
        )
        .is_ok());
        assert!(rejected_records_agree(&parsed, &json!(""), Some(line)).is_err());
        assert!(rejected_records_agree(&Value::Null, &text, Some(line)).is_err());
        assert!(
            rejected_records_agree(&json!({"machine": "M-2", "n": 1.5}), &text, Some(line))
                .is_err()
        );
        assert!(
            rejected_records_agree(&parsed, &json!(r#"{"machine":"M-1"}"#), Some(line)).is_err()
        );
        let row = json!({"a": "1", "b": "x"});
        assert!(rejected_records_agree(&row, &row.clone(), None).is_ok());
        assert!(rejected_records_agree(&row, &json!({"a": "1", "b": "y"}), None).is_err());
        assert!(rejected_records_agree(&json!({}), &json!({}), None).is_err());
    }
}
