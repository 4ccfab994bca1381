//! What `dead-letter list`, `show` and `replay` print, for people and as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use super::lines::{DeadLetterFile, ReplayMark, StoredEntry};
use super::select::Chosen;
use crate::run::ReplayReport;

/// Where an entry's record was: `mill 17`, `broker 9 plant/3/m1`.
fn place(entry: &StoredEntry) -> String {
    match &entry.topic {
        Some(topic) => format!("{} {} {topic}", entry.source, entry.position),
        None => format!("{} {}", entry.source, entry.position),
    }
}

/// What became of an entry's replays: `replayed: written`, or nothing.
fn replay_state(marks: Option<&Vec<&ReplayMark>>) -> Option<String> {
    let last = marks?.last()?;
    let outcome = last.outcome.map_or("unknown", |o| o.as_str());
    Some(format!("replayed: {outcome}"))
}

/// One line per entry, aligned, then the counts by reason.
pub fn list_human(file: &DeadLetterFile, entries: &[&StoredEntry]) -> String {
    let replays = file.replays_by_entry();
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            [
                e.id.clone(),
                e.time.clone().unwrap_or_else(|| "-".into()),
                e.flow.clone().unwrap_or_else(|| "-".into()),
                e.stage.as_str().to_string(),
                place(e),
                e.reason.clone(),
                replay_state(replays.get(e.id.as_str())).unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["ID", "TIME", "FLOW", "STAGE", "RECORD", "REASON", ""].map(String::from);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let replayed = entries
        .iter()
        .filter(|e| replays.contains_key(e.id.as_str()))
        .count();
    let _ = writeln!(
        out,
        "\n{} records ({} replayed before, {} not)",
        entries.len(),
        replayed,
        entries.len() - replayed
    );
    for (reason, count) in by_reason(entries) {
        let _ = writeln!(out, "{count:>8}  {reason}");
    }
    if !file.unreadable_lines.is_empty() {
        let _ = writeln!(
            out,
            "{} lines of the file are not dead-letter lines (lines {})",
            file.unreadable_lines.len(),
            numbers(&file.unreadable_lines)
        );
    }
    out
}

fn numbers(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = if lines.len() > 10 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

fn by_reason(entries: &[&StoredEntry]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for entry in entries {
        *counts.entry(entry.reason.clone()).or_insert(0) += 1;
    }
    counts
}

fn entry_summary(entry: &StoredEntry, marks: Option<&Vec<&ReplayMark>>) -> Value {
    json!({
        "id": entry.id,
        "time": entry.time,
        "flow": entry.flow,
        "stage": entry.stage.as_str(),
        "reason": entry.reason,
        "source": entry.source,
        "position": entry.position,
        "topic": entry.topic,
        "replay_of": entry.replay_of,
        "replays": marks.map_or_else(Vec::new, |marks| marks.iter().map(|m| mark_json(m)).collect()),
    })
}

fn mark_json(mark: &ReplayMark) -> Value {
    json!({
        "id": mark.id,
        "time": mark.time,
        "outcome": mark.outcome.map(|o| o.as_str()),
        "flows": mark.flows,
        "rejected_as": mark.rejected_as,
    })
}

pub fn list_json(path: &Path, file: &DeadLetterFile, entries: &[&StoredEntry]) -> Value {
    let replays = file.replays_by_entry();
    json!({
        "dead_letter": path.display().to_string(),
        "entries": entries
            .iter()
            .map(|e| entry_summary(e, replays.get(e.id.as_str())))
            .collect::<Vec<_>>(),
        "by_reason": by_reason(entries),
        "unreadable_lines": file.unreadable_lines,
    })
}

/// The original record for people: JSON pretty-printed; bytes that were base64 decoded, as text
/// when they are UTF-8, else as hex, 16 bytes a line.
fn decoded_record(entry: &StoredEntry) -> String {
    if let Value::Object(object) = &entry.record {
        if let (1, Some(Value::String(encoded))) = (object.len(), object.get("base64")) {
            use base64::Engine as _;
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) {
                return match std::str::from_utf8(&bytes) {
                    Ok(text) => format!("{} bytes of text:\n{text}\n", bytes.len()),
                    Err(_) => {
                        let mut out = format!("{} bytes, not UTF-8:\n", bytes.len());
                        for (row, chunk) in bytes.chunks(16).enumerate() {
                            let hex: Vec<String> =
                                chunk.iter().map(|b| format!("{b:02x}")).collect();
                            let _ = writeln!(out, "{:08x}  {}", row * 16, hex.join(" "));
                        }
                        out
                    }
                };
            }
        }
    }
    match &entry.record {
        Value::String(text) => format!("text (not JSON):\n{text}\n"),
        // In the order of the line (a CSV row's header order), one member a line.
        Value::Object(object) if entry.record_keys.len() == object.len() => {
            let members: Vec<String> = entry
                .record_keys
                .iter()
                .map(|key| format!("  {}: {}", Value::from(key.as_str()), object[key]))
                .collect();
            format!("{{\n{}\n}}\n", members.join(",\n"))
        }
        value => format!(
            "{}\n",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
    }
}

pub fn show_human(file: &DeadLetterFile, entry: &StoredEntry) -> String {
    let mut out = String::new();
    let mut fact = |name: &str, value: &str| {
        let _ = writeln!(out, "{name:<12}{value}");
    };
    fact("id", &entry.id);
    fact("time", entry.time.as_deref().unwrap_or("unknown"));
    if let Some(mapping) = &entry.mapping {
        let text = |key: &str| mapping[key].as_str().unwrap_or("?").to_string();
        fact(
            "mapping",
            &format!(
                "{} {} (mapping sha256 {})",
                text("name"),
                text("version"),
                text("sha256")
            ),
        );
    }
    fact(
        "flow",
        entry
            .flow
            .as_deref()
            .unwrap_or("- (decode: every flow of the source)"),
    );
    fact("stage", entry.stage.as_str());
    fact("reason", &entry.reason);
    if let Some(detail) = &entry.detail {
        fact("detail", detail);
    }
    fact("source", &entry.source);
    fact("position", &entry.position.to_string());
    if let Some(topic) = &entry.topic {
        fact("topic", topic);
    }
    if let Some(unreadable) = &entry.unreadable {
        fact("unreadable", unreadable);
    }
    if let Some(replay_of) = &entry.replay_of {
        fact("replay of", replay_of);
    }
    let replays = file.replays_by_entry();
    for mark in replays.get(entry.id.as_str()).into_iter().flatten() {
        let flows: Vec<String> = mark.flows.iter().map(|(f, o)| format!("{f} {o}")).collect();
        let mut text = format!(
            "{} at {} ({}) as {}",
            mark.outcome.map_or("unknown", |o| o.as_str()),
            mark.time.as_deref().unwrap_or("?"),
            flows.join(", "),
            mark.id
        );
        if !mark.rejected_as.is_empty() {
            let _ = write!(text, ", rejected again as {}", mark.rejected_as.join(", "));
        }
        fact("replayed", &text);
    }
    for (name, value) in &entry.other {
        fact(name, &value.to_string());
    }
    let _ = write!(
        out,
        "record      ({}, line {} of the dead letter)\n{}",
        entry.format.as_deref().unwrap_or("format not recorded"),
        entry.line,
        decoded_record(entry)
    );
    out
}

pub fn show_json(file: &DeadLetterFile, entry: &StoredEntry) -> Value {
    let replays = file.replays_by_entry();
    let mut value = entry_summary(entry, replays.get(entry.id.as_str()));
    let object = value.as_object_mut().expect("an object");
    object.insert("detail".into(), json!(entry.detail));
    object.insert("format".into(), json!(entry.format));
    object.insert("columns".into(), json!(entry.columns));
    object.insert("unreadable".into(), json!(entry.unreadable));
    object.insert(
        "mapping".into(),
        entry.mapping.as_deref().cloned().unwrap_or(Value::Null),
    );
    object.insert("line".into(), json!(entry.line));
    object.insert("record".into(), entry.record.clone());
    for (name, field) in &entry.other {
        object.insert(name.clone(), field.clone());
    }
    value
}

pub fn dry_run_human(file: &DeadLetterFile, chosen: &Chosen) -> String {
    let mut out = list_human(file, &chosen.to_replay);
    let _ = writeln!(
        out,
        "dry run: {} records would be replayed; {} skipped as already replayed (--again replays them)",
        chosen.to_replay.len(),
        chosen.already_replayed.len()
    );
    out
}

pub fn dry_run_json(path: &Path, chosen: &Chosen) -> Value {
    json!({
        "dead_letter": path.display().to_string(),
        "dry_run": true,
        "to_replay": chosen.to_replay.iter().map(|e| &e.id).collect::<Vec<_>>(),
        "already_replayed": chosen.already_replayed.iter().map(|e| &e.id).collect::<Vec<_>>(),
    })
}

pub fn report_human(path: &Path, report: &ReplayReport) -> String {
    let mut out = String::new();
    for entry in &report.entries {
        let _ = write!(out, "replayed {}: {}", entry.id, entry.outcome.as_str());
        if !entry.rejected_as.is_empty() {
            let _ = write!(out, " (now {})", entry.rejected_as.join(", "));
        }
        out.push('\n');
    }
    for id in &report.not_in_mapping_ids {
        let _ = writeln!(
            out,
            "not replayed {id}: its flow or source is not in this mapping"
        );
    }
    let _ = writeln!(
        out,
        "replay of {}: {} replayed ({} written, {} rejected again, {} filtered); {} skipped as already replayed; {} not in this mapping",
        path.display(),
        report.replayed,
        report.written,
        report.rejected,
        report.filtered,
        report.already_replayed,
        report.not_in_mapping
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = concat!(
        r#"{"id":"e1","time":"2026-12-07T05:00:00.000Z","flow":"measure","stage":"map","reason":"unknown press","detail":"lookup presses has no entry \"P4\"","source":"gauges","position":6,"format":"csv","columns":2,"mapping":{"name":"gauge_replay","version":"1.0.0","sha256":"09ab"},"record":{"z":"P4","a":"2.5"}}"#,
        "\n",
        r#"{"id":"e2","time":"2026-12-07T05:00:01.000Z","flow":null,"stage":"decode","reason":"bad","detail":null,"source":"broker","position":9,"topic":"plant/3","format":"message","record":{"base64":"/wAB"}}"#,
        "\n",
        r#"{"id":"r1","time":"2026-12-07T05:10:00.000Z","replayed":"e1","outcome":"written","flows":{"measure":"written"},"rejected_as":[]}"#,
        "\n",
    );

    #[test]
    fn show_gives_every_fact_and_the_record_in_its_order() {
        let file = DeadLetterFile::parse(LINES);
        let shown = show_human(&file, file.find("e1").unwrap());
        assert_eq!(
            shown,
            "id          e1\n\
             time        2026-12-07T05:00:00.000Z\n\
             mapping     gauge_replay 1.0.0 (mapping sha256 09ab)\n\
             flow        measure\n\
             stage       map\n\
             reason      unknown press\n\
             detail      lookup presses has no entry \"P4\"\n\
             source      gauges\n\
             position    6\n\
             replayed    written at 2026-12-07T05:10:00.000Z (measure written) as r1\n\
             record      (csv, line 1 of the dead letter)\n\
             {\n  \"z\": \"P4\",\n  \"a\": \"2.5\"\n}\n"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        let file = DeadLetterFile::parse(LINES);
        let shown = show_human(&file, file.find("e2").unwrap());
        assert!(shown.contains("topic       plant/3\n"), "{shown}");
        assert!(
            shown.ends_with("3 bytes, not UTF-8:\n00000000  ff 00 01\n"),
            "{shown}"
        );
    }

    #[test]
    fn list_has_a_line_per_entry_and_the_counts_by_reason() {
        let file = DeadLetterFile::parse(LINES);
        let entries: Vec<&StoredEntry> = file.entries.iter().collect();
        let listed = list_human(&file, &entries);
        let lines: Vec<&str> = listed.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "ID  TIME                      FLOW     STAGE   RECORD            REASON",
                "e1  2026-12-07T05:00:00.000Z  measure  map     gauges 6          unknown press  replayed: written",
                "e2  2026-12-07T05:00:01.000Z  -        decode  broker 9 plant/3  bad",
            ]
        );
        assert!(listed.ends_with(
            "\n2 records (1 replayed before, 1 not)\n       1  bad\n       1  unknown press\n"
        ));
        let json = list_json(Path::new("/dl.jsonl"), &file, &entries);
        assert_eq!(json["by_reason"], json!({"bad": 1, "unknown press": 1}));
        assert_eq!(json["entries"][0]["replays"][0]["outcome"], "written");
        assert_eq!(json["entries"][1]["topic"], "plant/3");
    }
}
