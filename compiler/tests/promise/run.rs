//! One case of the property: write the generated mapping's files, `fdi check` it, build it,
//! run it on its records, and compare what it wrote with the oracle.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ast::*;
use super::oracle::{self, DeadLetter, Expected, Written};
use super::time;
use super::{generate, print};
use crate::support::{fdi_in, read_jsonl, shared_target_dir, workspace_root};

pub enum Verdict {
    /// `fdi check` refused the mapping: not part of the promise.
    Discarded(String),
    Passed,
    /// `FDI_PROMISE_CHECK_ONLY`: it checked, and was neither built nor run.
    CheckedOnly,
    /// The promise broke: why, with the mapping's folder.
    Failed(String),
}

/// Where a case's files go: kept after the test, so a failure can be looked at and rerun.
pub fn case_dir(seed: u64) -> PathBuf {
    workspace_root()
        .join("target")
        .join("fdi-promise")
        .join(format!("seed-{seed}"))
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
    std::fs::write(&path, text).expect("write a case file");
}

pub fn run_case(seed: u64, flows: usize, records: usize, hostile: Option<bool>) -> Verdict {
    let m = generate::mapping(seed, flows, records, hostile);
    let dir = case_dir(seed);
    let _ = std::fs::remove_dir_all(&dir);
    write(&dir, "mapping.fdi", &print::mapping_text(&m, seed));
    write(&dir, "schema.yaml", &print::schema_yaml(&m));
    if print::has_module(&m) {
        write(&dir, print::MODULE_PATH, &print::module_text(&m));
    }
    write(&dir, "data/input.jsonl", &print::input_jsonl(&m));
    write(&dir, "data/master.jsonl", &print::master_jsonl(&m));

    let check = fdi_in(&dir, &["check", "mapping.fdi"]);
    if !check.status.success() {
        return Verdict::Discarded(String::from_utf8_lossy(&check.stderr).into_owned());
    }
    if std::env::var_os("FDI_PROMISE_CHECK_ONLY").is_some() {
        return Verdict::CheckedOnly;
    }
    let target_dir = shared_target_dir();
    let args = vec![
        "build",
        "mapping.fdi",
        "-o",
        "crate",
        "--target-dir",
        target_dir.to_str().expect("a UTF-8 path"),
        "--debug",
        // Generated programs build without a warning, as the issue of the promise asks.
        "--deny-warnings",
    ];
    let build = fdi_in(&dir, &args);
    if !build.status.success() {
        return Verdict::Failed(format!(
            "`fdi check` accepts it but `fdi build` fails:\n{}",
            last_lines(&String::from_utf8_lossy(&build.stderr), 60)
        ));
    }
    let binary = PathBuf::from(String::from_utf8_lossy(&build.stdout).trim());
    let run = Command::new(&binary)
        .args(["--format", "json"])
        .current_dir(&dir)
        .output()
        .expect("run the generated program");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let summary: serde_json::Value = match serde_json::from_str(&stdout) {
        Ok(summary) if run.status.success() => summary,
        _ => {
            return Verdict::Failed(format!(
                "the program failed ({}):\n{stdout}\n{}",
                run.status,
                String::from_utf8_lossy(&run.stderr)
            ))
        }
    };
    let expected = oracle::expected(&m);
    let mut problems = Vec::new();
    compare_counts(&m, &expected, &summary, &mut problems);
    for (i, flow) in m.flows.iter().enumerate() {
        let actual = match flow.target.kind {
            TargetKind::Jsonl => read_jsonl_or_empty(&dir.join(print::target_file(i))),
            TargetKind::Sqlite => read_table(&dir.join(print::SQLITE_FILE), &format!("t{i}")),
        };
        compare_records(&m, flow, &expected.written[i], &actual, &mut problems);
    }
    compare_dead_letter(
        &expected.dead_letter,
        &dir.join(print::DEAD_LETTER),
        &mut problems,
    );
    if problems.is_empty() {
        Verdict::Passed
    } else {
        problems.truncate(40);
        Verdict::Failed(format!(
            "it builds but maps wrongly:\n  {}",
            problems.join("\n  ")
        ))
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn read_jsonl_or_empty(path: &Path) -> Vec<serde_json::Value> {
    if path.exists() {
        read_jsonl(path)
    } else {
        Vec::new()
    }
}

/// A table's rows as JSON objects, in the order they were inserted.
fn read_table(db: &Path, table: &str) -> Vec<serde_json::Value> {
    let db = rusqlite::Connection::open(db).expect("open the SQLite target");
    let mut query = db
        .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
        .expect("the target's table");
    let columns: Vec<String> = query.column_names().iter().map(|c| c.to_string()).collect();
    let rows = query
        .query_map([], |row| {
            let mut object = serde_json::Map::new();
            for (i, column) in columns.iter().enumerate() {
                use rusqlite::types::Value as Sql;
                let value = match row.get::<_, Sql>(i)? {
                    Sql::Null => serde_json::Value::Null,
                    Sql::Integer(n) => n.into(),
                    Sql::Real(x) => x.into(),
                    Sql::Text(t) => t.into(),
                    Sql::Blob(_) => "<blob>".into(),
                };
                object.insert(column.clone(), value);
            }
            Ok(serde_json::Value::Object(object))
        })
        .expect("read rows");
    rows.map(|r| r.expect("a row")).collect()
}

fn compare_counts(m: &Mapping, e: &Expected, summary: &serde_json::Value, out: &mut Vec<String>) {
    let flows = summary["flows"].as_array().cloned().unwrap_or_default();
    for (flow, counts) in m.flows.iter().zip(&e.counts) {
        let Some(actual) = flows.iter().find(|f| f["name"] == flow.name.as_str()) else {
            out.push(format!("flow {} is not in the summary", flow.name));
            continue;
        };
        let expected = [
            counts.read,
            counts.written,
            counts.rejected,
            counts.filtered,
        ];
        let got: Vec<u64> = ["read", "written", "rejected", "filtered"]
            .iter()
            .map(|k| actual[k].as_u64().unwrap_or(u64::MAX))
            .collect();
        if got != expected || got[0] != got[1] + got[2] + got[3] {
            out.push(format!(
                "flow {}: read/written/rejected/filtered {got:?}, expected {expected:?}",
                flow.name
            ));
        }
    }
}

fn same(m: &Mapping, ty: Ty, expected: &Option<Value>, actual: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (expected, actual) {
        (None, J::Null) => true,
        (None, _) | (Some(_), J::Null) => false,
        (Some(Value::Int(n) | Value::Serial(n)), a) => a.as_i64() == Some(*n),
        (Some(Value::Float(x)), a) => a.as_f64().is_some_and(|y| {
            x == &y || (x - y).abs() <= 1e-12 || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }),
        (Some(Value::Str(s) | Value::Code(s)), a) => a.as_str() == Some(s),
        (Some(Value::Bool(b)), a) => a.as_bool() == Some(*b) || a.as_i64() == Some(*b as i64),
        (Some(Value::Time(ms)), a) => a.as_str().and_then(time::parse_rfc3339) == Some(*ms),
        (Some(Value::Enum(i)), a) => {
            ty == Ty::Enum && a.as_str() == Some(m.enum_codes[*i].as_str())
        }
    }
}

fn compare_records(
    m: &Mapping,
    flow: &Flow,
    expected: &[Written],
    actual: &[serde_json::Value],
    out: &mut Vec<String>,
) {
    if expected.len() != actual.len() {
        out.push(format!(
            "target {} of flow {}: {} records, expected {} (positions {:?})",
            flow.target.name,
            flow.name,
            actual.len(),
            expected.len(),
            expected.iter().map(|w| w.position).collect::<Vec<_>>()
        ));
    }
    for (want, got) in expected.iter().zip(actual) {
        for (column, ty, value) in &want.fields {
            let got_value = got.get(column).cloned().unwrap_or(serde_json::Value::Null);
            if !same(m, *ty, value, &got_value) {
                out.push(format!(
                    "flow {} record {}: {column} is {got_value}, expected {value:?}",
                    flow.name, want.position
                ));
            }
        }
        if flow.target.provenance {
            let trace = [
                ("_fdi_source", serde_json::json!(m.source_name)),
                ("_fdi_flow", serde_json::json!(flow.name)),
                ("_fdi_position", serde_json::json!(want.position)),
            ];
            for (column, value) in trace {
                if got.get(column) != Some(&value) {
                    out.push(format!(
                        "flow {} record {}: {column} is {:?}, expected {value}",
                        flow.name,
                        want.position,
                        got.get(column)
                    ));
                }
            }
        }
    }
}

fn compare_dead_letter(expected: &[DeadLetter], path: &Path, out: &mut Vec<String>) {
    let mut actual: Vec<DeadLetter> = read_jsonl_or_empty(path)
        .iter()
        .map(|line| DeadLetter {
            position: line["position"].as_i64().unwrap_or(-1),
            flow: line["flow"].as_str().map(str::to_string),
            stage: line["stage"].as_str().unwrap_or("?").to_string(),
            reason: line["reason"].as_str().unwrap_or("?").to_string(),
        })
        .collect();
    actual.sort();
    for line in expected.iter().filter(|l| !actual.contains(l)) {
        out.push(format!("dead letter lacks {line:?}"));
    }
    for line in actual.iter().filter(|l| !expected.contains(l)) {
        out.push(format!("dead letter has unexpected {line:?}"));
    }
}
