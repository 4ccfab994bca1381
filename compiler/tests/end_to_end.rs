//! Builds the mill-to-MES example into a binary, runs it on the real CNC data, and checks what
//! it wrote against expectations computed from the input CSV here, without fdi.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::*;

/// One row of the input as this test reads it, with the csv crate alone.
struct Sample {
    velocity: f64,
    current: f64,
    process: String,
    worn: bool,
    /// `M1_CURRENT_PROGRAM_NUMBER`, written as a float in the data set.
    program: f64,
}

fn read_samples(csv_path: &Path) -> Vec<Sample> {
    let mut reader = csv::Reader::from_path(csv_path).expect("open input CSV");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (v, c, p, w) = (
        col("S1_ActualVelocity"),
        col("S1_OutputCurrent"),
        col("Machining_Process"),
        col("tool_condition"),
    );
    let program = col("M1_CURRENT_PROGRAM_NUMBER");
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            Sample {
                velocity: r[v].parse().expect("velocity"),
                current: r[c].parse().expect("current"),
                process: r[p].to_string(),
                worn: &r[w] == "worn",
                program: r[program].parse().expect("program number"),
            }
        })
        .collect()
}

/// The MES state the example's mapping gives each machining phase; `None`: filtered out.
fn expected_state(process: &str) -> Option<&'static str> {
    match process {
        "Repositioning" => None,
        "Starting" | "Prep" => Some("SETUP"),
        "end" => Some("IDLE"),
        _ => Some("RUNNING"),
    }
}

fn example_copy(dir: &Path) -> std::path::PathBuf {
    let example = dir.join("mill-to-mes");
    copy_dir(&workspace_root().join("examples/mill-to-mes"), &example);
    example
}

#[test]
fn mill_to_mes_moves_every_sample_and_balances() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let binary = build(&example.join("mill_to_mes.fdi"), &tmp.path().join("crate"));
    let samples = read_samples(&example.join("data/experiment_01.csv"));
    assert_eq!(
        samples.len(),
        1055,
        "the data set's experiment 1 has 1055 rows"
    );

    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);
    let spindle = flow(&summary, "spindle");
    assert_eq!(spindle["read"], 1055);
    assert_eq!(spindle["written"], 1055);
    let filtered = samples
        .iter()
        .filter(|s| expected_state(&s.process).is_none())
        .count();
    let phase = flow(&summary, "phase");
    assert_eq!(phase["filtered"].as_u64(), Some(filtered as u64));
    assert_eq!(phase["written"].as_u64(), Some((1055 - filtered) as u64));

    // The MES states: counts per state, and each line's state from its own input row.
    let states = read_jsonl(&example.join("out/equipment_state.jsonl"));
    let mut expected_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &samples {
        if let Some(state) = expected_state(&s.process) {
            *expected_counts.entry(state).or_default() += 1;
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &states {
        *counts
            .entry(line["state"].as_str().expect("state"))
            .or_default() += 1;
        let n = line["sample_no"].as_u64().expect("sample_no") as usize;
        let sample = &samples[n - 1];
        assert_eq!(
            line["state"].as_str(),
            expected_state(&sample.process),
            "sample {n}"
        );
        assert_eq!(line["phase"].as_str(), Some(sample.process.trim()));
        assert_eq!(line["equipment_id"], "EQ-MILL-0001");
        assert_eq!(line["line"], "LINE-A");
        assert_eq!(line["program"].as_f64(), Some(sample.program), "sample {n}");
    }
    assert_eq!(counts, expected_counts);

    // The historian: one row per sample, speeds rounded to one decimal.
    let db = rusqlite::Connection::open(example.join("out/line.db")).expect("open SQLite");
    let rows: i64 = db
        .query_row("SELECT count(*) FROM spindle_history", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 1055);
    for n in [1usize, 2, 100, 517, 1055] {
        let (speed, current, worn): (f64, f64, bool) = db
            .query_row(
                "SELECT speed_rpm, current_a, tool_worn FROM spindle_history WHERE equipment_id = 'EQ-MILL-0001' AND sample_no = ?1",
                [n as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("row for sample");
        let s = &samples[n - 1];
        assert!(
            (speed - (s.velocity * 10.0).round() / 10.0).abs() < 1e-9,
            "sample {n}: {speed} vs {}",
            s.velocity
        );
        assert_eq!(current, s.current);
        assert_eq!(worn, s.worn);
    }
    let dead = std::fs::read_to_string(example.join("out/rejected.jsonl")).unwrap_or_default();
    assert!(
        dead.is_empty(),
        "nothing is rejected from the clean data set: {dead}"
    );

    // A second run upserts on (equipment_id, sample_no): the table does not grow.
    let (code, _) = run_json(&binary, &[]);
    assert_eq!(code, 0);
    let rows: i64 = db
        .query_row("SELECT count(*) FROM spindle_history", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 1055);
}

#[test]
fn bad_rows_and_missing_master_data_go_to_the_dead_letter_with_their_reason() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let binary = build(&example.join("mill_to_mes.fdi"), &tmp.path().join("crate"));

    // Damage a few rows of the real data the way files from the floor get damaged.
    let csv_path = example.join("data/experiment_01.csv");
    let text = std::fs::read_to_string(&csv_path).expect("read CSV");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let headers: Vec<&str> = lines[0].split(',').collect();
    let power = headers
        .iter()
        .position(|h| *h == "S1_OutputPower")
        .expect("power column");
    let program = headers
        .iter()
        .position(|h| *h == "M1_CURRENT_PROGRAM_NUMBER")
        .expect("program column");
    let set = |line: &str, col: usize, value: &str| {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        fields[col] = value.to_string();
        fields.join(",")
    };
    lines[10] = set(&lines[10], power, "n/a"); // sample 10: not a number
    lines[20] = lines[20].split(',').take(5).collect::<Vec<_>>().join(","); // sample 20: cut short
    lines[30] = set(&lines[30], program, "1.5"); // sample 30: not a whole program number
    lines[40] = set(&lines[40], program, ""); // sample 40: program missing, defaults to 0
    std::fs::write(&csv_path, lines.join("\n") + "\n").expect("write CSV");

    let (code, summary) = run_json(&binary, &["--fail-on-reject"]);
    assert_eq!(
        code, 3,
        "--fail-on-reject makes rejects visible in the exit code"
    );
    assert_balanced(&summary);
    assert_eq!(flow(&summary, "spindle")["rejected"], 2);
    assert_eq!(flow(&summary, "phase")["rejected"], 3);
    assert_eq!(
        flow(&summary, "phase")["reasons"]["program number is not a whole number"],
        1
    );

    let dead = read_jsonl(&example.join("out/rejected.jsonl"));
    let at = |position: u64| dead.iter().filter(move |d| d["position"] == position);
    let decode: Vec<_> = at(10).collect();
    assert_eq!(
        decode.len(),
        1,
        "a decode failure is dead-lettered once for the source"
    );
    assert_eq!(decode[0]["stage"], "decode");
    assert_eq!(decode[0]["source"], "mill");
    assert_eq!(
        decode[0]["record"]["S1_OutputPower"], "n/a",
        "the original record is kept"
    );
    assert!(
        decode[0]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("S1_OutputPower"),
        "{}",
        decode[0]
    );
    assert_eq!(at(20).count(), 1);
    let program_reject: Vec<_> = at(30).collect();
    assert_eq!(program_reject.len(), 1);
    assert_eq!(program_reject[0]["flow"], "phase");
    assert_eq!(
        program_reject[0]["reason"],
        "program number is not a whole number"
    );
    assert_eq!(
        program_reject[0]["record"]["M1_CURRENT_PROGRAM_NUMBER"],
        "1.5"
    );
    let states = read_jsonl(&example.join("out/equipment_state.jsonl"));
    let sample_40 = states
        .iter()
        .find(|s| s["sample_no"] == 40)
        .expect("sample 40 written");
    assert_eq!(
        sample_40["program"], 0,
        "an absent program number defaults to 0"
    );

    // Master data without the mill: every mapped record is rejected with the mapping's reason.
    std::fs::write(
        example.join("master/machines.csv"),
        "machine_code,equipment_id,line,description\nMILL-02,EQ-MILL-0002,LINE-A,\n",
    )
    .expect("write master data");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "rejects alone do not fail a run unless asked");
    assert_balanced(&summary);
    assert_eq!(flow(&summary, "spindle")["written"], 0);
    assert_eq!(
        flow(&summary, "spindle")["reasons"]["MILL-01 is not in master data"],
        1053
    );
}

#[test]
fn string_literals_survive_as_data() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "escaped_literal");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "the literal must not run as code: {summary}");
    assert_balanced(&summary);
    let out = read_jsonl(&dir.join("out/notes.jsonl"));
    assert_eq!(out.len(), 2);
    for line in &out {
        assert_eq!(line["note"], "\"); std::process::exit(42); (\"");
        assert_eq!(line["quoted"], "tab\there \\ \"quoted\" \u{e9}");
    }
}

/// Bindings named like the locals the generated code picks for fields (`out_s`, `record_`) or
/// like Rust's prelude (`None`, `Some`), and integer literals where Rust would need a type: every
/// output field is computed here from the input row, as the mapping's text says.
#[test]
fn bindings_and_literals_map_as_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "lets_and_literals");
    let (code, summary) = run_json(&binary, &[]);
    assert_balanced(&summary);
    let input = read_jsonl(&dir.join("input.jsonl"));
    let mut expected = Vec::new();
    let mut rejected = 0;
    for row in &input {
        let n = row["n"].as_i64().expect("n");
        let x = row["x"].as_f64().expect("x");
        let agent: i64 = match &row["agent"] {
            serde_json::Value::String(text) => text.parse().expect("agent number"),
            number => number.as_i64().expect("agent"),
        };
        // coalesce(p, match code { "x" => q, _ => reject }, 0)
        let first_present = match (row["p"].as_i64(), row["code"].as_str()) {
            (Some(p), _) => p,
            (None, Some("x")) => row["q"].as_i64().unwrap_or(0),
            (None, _) => {
                rejected += 1;
                continue;
            }
        };
        let factor = if row["flag"].as_bool().expect("flag") {
            1
        } else {
            2
        };
        expected.push(serde_json::json!({
            "s": "a",
            "t": "b",
            "u": "c",
            "v": "d",
            "w": "e",
            "minus_one": -1,
            "one_plus_n": 1 + n,
            "tens": (x / 10.0).round() * 10.0,
            "scaled": factor * n,
            "big": 3_000_000_000_i64,
            "first_present": first_present,
            "agent_name": if agent == 7 { "Bond" } else { "someone" },
            // Text copied into the record (`fdi_runtime::Text`), short and long, escaped.
            "chosen": row["a"].as_str().or(row["b"].as_str()).unwrap_or("neither"),
            "labelled": row["label"].as_str().unwrap_or("no label"),
            "kind": if factor == 1 { "flagged" } else { row["code"].as_str().expect("code") },
            "maybe_a": row["a"],
        }));
    }
    assert_eq!(code, 0, "{summary}");
    let written = read_jsonl(&dir.join("out/outs.jsonl"));
    assert_eq!(written, expected);
    let dead = read_jsonl(&dir.join("out/lets_and_literals.dead-letter.jsonl"));
    assert_eq!(dead.len(), rejected);
    assert!(
        dead.iter().all(|d| d["reason"] == "no value for code"),
        "{dead:?}"
    );
}

/// What the inspection feed's mapping does with one input row, computed here from the row and
/// the tolerance table, in the order of its statements: `where` first, then the lookup that
/// may reject, then the two `skip when`s.
#[derive(Debug, PartialEq)]
enum Inspected {
    Filtered,
    Rejected,
    Written(serde_json::Value),
}

/// A feature's tolerance: nominal, plus or minus, and whether its note is filled in.
type Tolerances = BTreeMap<String, (f64, f64, bool)>;

fn inspect(row: &serde_json::Value, tolerances: &Tolerances) -> Inspected {
    let status = row["status"].as_str().expect("status");
    if status == "SCRAPPED" {
        return Inspected::Filtered;
    }
    let feature = row["feature"].as_str().expect("feature");
    let Some((nominal, tolerance, noted)) = tolerances.get(feature) else {
        return Inspected::Rejected;
    };
    let deviation = row["measured"].as_f64().expect("measured") - nominal;
    if !(deviation <= *tolerance && deviation >= -tolerance) {
        return Inspected::Filtered;
    }
    // An UNAVAILABLE value is BAD whatever its quality says (docs/language.md, section 16).
    let unavailable = row["spindle"] == "UNAVAILABLE";
    let quality = if unavailable {
        "BAD"
    } else {
        row["spindle_quality"].as_str().expect("quality")
    };
    if quality == "BAD" {
        return Inspected::Filtered;
    }
    Inspected::Written(serde_json::json!({
        "part": row["part"],
        "feature": feature,
        "deviation": deviation,
        "disposition": if status == "OK" { "accept" } else { "rework" },
        // A JSON string is a value, the empty one too; `null` or no key is none.
        "alarm_raised": row["alarm"].is_string(),
        "spindle_good": quality == "GOOD",
        "spindle_certain": quality == "GOOD",
        // An empty CSV cell of an optional field is no value.
        "tolerance_noted": noted,
    }))
}

/// `present(...)`, `skip when` after the bindings it reads, and matches that leave out the
/// codes a filter excluded: each written record, and the filtered and rejected counts, are
/// computed from the input; a record a `let ... else reject` rejects before a `skip` would
/// have skipped it counts as rejected.
#[test]
fn skips_after_bindings_count_as_filtered_and_present_tests_fields() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "inspection_filters");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    let mut tolerances = Tolerances::new();
    let mut reader = csv::Reader::from_path(dir.join("tolerances.csv")).expect("tolerances");
    for row in reader.records() {
        let row = row.expect("tolerance row");
        let number = |i: usize| row[i].parse::<f64>().expect("a number");
        tolerances.insert(
            row[0].to_string(),
            (number(1), number(2), !row[3].is_empty()),
        );
    }
    let input = read_jsonl(&dir.join("input.jsonl"));
    let outcomes: Vec<Inspected> = input.iter().map(|r| inspect(r, &tolerances)).collect();
    let count = |want: fn(&Inspected) -> bool| outcomes.iter().filter(|o| want(o)).count() as u64;
    let filtered = count(|o| *o == Inspected::Filtered);
    let rejected = count(|o| *o == Inspected::Rejected);
    let qms = flow(&summary, "qms");
    assert_eq!(qms["read"].as_u64(), Some(input.len() as u64));
    assert_eq!(qms["filtered"].as_u64(), Some(filtered), "{summary}");
    assert_eq!(qms["rejected"].as_u64(), Some(rejected), "{summary}");
    assert_eq!(
        qms["reasons"]["feature has no tolerance"].as_u64(),
        Some(rejected)
    );
    // The input has each case the test is about, so the counts above mean something.
    assert!(filtered >= 3 && rejected >= 2, "{outcomes:?}");

    let expected: Vec<serde_json::Value> = outcomes
        .into_iter()
        .filter_map(|o| match o {
            Inspected::Written(record) => Some(record),
            _ => None,
        })
        .collect();
    let written = read_jsonl(&dir.join("out/results.jsonl"));
    assert_eq!(written, expected);
    assert!(
        written.iter().any(|r| r["alarm_raised"] == false)
            && written.iter().any(|r| r["alarm_raised"] == true)
            && written.iter().any(|r| r["spindle_good"] == false)
            && written.iter().any(|r| r["tolerance_noted"] == false)
            && written.iter().any(|r| r["tolerance_noted"] == true),
        "{written:?}"
    );
    let dead = read_jsonl(&dir.join("out/inspection_filters.dead-letter.jsonl"));
    assert_eq!(dead.len() as u64, rejected);
    // The BAD row whose feature has no tolerance: rejected by the lookup above the skips.
    assert!(
        dead.iter().any(|d| d["record"]["spindle_quality"] == "BAD"),
        "{dead:?}"
    );
}

/// Equipment keyed by (line, machine), cells by (line, cell) and the stations of an XML
/// document by (line, machine): `A/B` + `C` and `A` + `B/C` are different rows, in the CSV and
/// in the XML lookup, and each event finds its own. The expected output is computed here from
/// the master data and the events, with the csv crate, serde_json and roxmltree alone.
#[test]
fn composite_keys_find_each_record_its_own_row() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "composite_keys");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    let csv_rows = |path: &Path| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(path)
            .expect("csv")
            .records()
            .map(|r| r.expect("row"))
            .collect()
    };
    let equipment: BTreeMap<(String, String), String> = csv_rows(&dir.join("master/equipment.csv"))
        .iter()
        .map(|r| ((r[0].to_string(), r[1].to_string()), r[2].to_string()))
        .collect();
    let cells: BTreeMap<(String, i64), String> = read_jsonl(&dir.join("master/cells.jsonl"))
        .iter()
        .map(|c| {
            let line = c["line"].as_str().expect("line").to_string();
            let cell = c["cell"].as_i64().expect("cell");
            (
                (line, cell),
                c["cell_name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    let stations = stations_in(&dir.join("master/stations.xml"));
    // The machine code's pattern, `[A-Z0-9/-]+`, anchored as identifier patterns are.
    let is_code = |m: &str| {
        !m.is_empty()
            && m.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '/' || c == '-')
    };
    let mut expected = Vec::new();
    let mut reasons = Vec::new();
    for event in csv_rows(&dir.join("events.csv")) {
        let (line, machine, state) = (&event[0], &event[1], &event[3]);
        let cell: i64 = event[2].parse().expect("cell");
        if !is_code(machine) {
            reasons.push("not a machine code");
            continue;
        }
        let Some(equipment_id) = equipment.get(&(line.to_string(), machine.to_string())) else {
            reasons.push("unknown equipment");
            continue;
        };
        let Some(cell_name) = cells.get(&(line.to_string(), cell)) else {
            reasons.push("unknown cell");
            continue;
        };
        let Some(operator) = stations.get(&(line.to_string(), machine.to_string())) else {
            reasons.push("unknown station");
            continue;
        };
        expected.push(serde_json::json!({
            "equipment_id": equipment_id,
            "cell_name": cell_name,
            "operator": operator,
            "state": state,
        }));
    }
    // The XML lookup tells the colliding stations apart too, and misses a station it lacks.
    let operators: Vec<&str> = expected
        .iter()
        .filter_map(|e| e["operator"].as_str())
        .collect();
    assert!(
        operators.contains(&"Ines Moreau") && operators.contains(&"Jonas Berg"),
        "{operators:?}"
    );
    assert!(reasons.contains(&"unknown station"), "{reasons:?}");
    // The collision the composite key exists for is in the data: both rows are found.
    let ids: Vec<&str> = expected
        .iter()
        .filter_map(|e| e["equipment_id"].as_str())
        .collect();
    assert!(
        ids.contains(&"EQ-0001") && ids.contains(&"EQ-0002"),
        "{ids:?}"
    );
    assert_eq!(read_jsonl(&dir.join("out/states.jsonl")), expected);
    let dead = read_jsonl(&dir.join("out/composite_keys.dead-letter.jsonl"));
    let dead_reasons: Vec<&str> = dead.iter().filter_map(|d| d["reason"].as_str()).collect();
    assert_eq!(dead_reasons, reasons);
    // A miss names the whole key, as the mapping would write it.
    assert!(
        dead.iter()
            .any(|d| d["detail"] == "lookup equipment has no entry (\"A\", \"B\")"),
        "{dead:?}"
    );
    assert!(
        dead.iter()
            .any(|d| d["detail"] == "lookup stations has no entry (\"A\", \"C\")"),
        "{dead:?}"
    );
}

/// The operator of each (line, machine) in the stations document: every `Station` element of a
/// `Line`, keyed by the line's `name` attribute and the station's `Machine` text, trimmed.
fn stations_in(path: &Path) -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(path).expect("the stations document");
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let child_text = |node: roxmltree::Node<'_, '_>, name: &str| -> String {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_else(|| panic!("a {name} element"))
            .trim()
            .to_string()
    };
    let mut stations = BTreeMap::new();
    for line in document.descendants().filter(|n| n.has_tag_name("Line")) {
        let name = line.attribute("name").expect("a line's name");
        for station in line.children().filter(|n| n.has_tag_name("Station")) {
            let key = (name.to_string(), child_text(station, "Machine"));
            let operator = child_text(station, "Operator");
            assert!(stations.insert(key, operator).is_none(), "keys are unique");
        }
    }
    stations
}

/// Two flows of one source share a `per source` block (a lookup, a conversion, a quality check):
/// a record the block rejects is dead-lettered once, with no flow named, and counted as rejected
/// by both flows; every output value is computed here from `input.jsonl` and the master data.
#[test]
fn shared_bindings_reject_a_record_once_for_all_flows() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "shared_bindings");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    // characteristic -> (nominal, lower, upper, description), as master/characteristics.csv says.
    let mut master = csv::Reader::from_path(dir.join("master/characteristics.csv")).expect("csv");
    let characteristics: BTreeMap<String, (f64, f64, f64, String)> = master
        .records()
        .map(|row| {
            let row = row.expect("row");
            let number = |i: usize| row[i].parse::<f64>().expect("number");
            (
                row[0].to_string(),
                (number(1), number(2), number(3), row[4].to_string()),
            )
        })
        .collect();
    let (mut spc, mut nonconformances, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for (index, row) in read_jsonl(&dir.join("input.jsonl")).iter().enumerate() {
        let id = row["characteristic"].as_str().expect("characteristic");
        let serial = row["serial"].as_str().expect("serial");
        if row["quality"] != "GOOD" {
            rejected.push((index + 1, "reading is not GOOD quality"));
            continue;
        }
        let Some((nominal, lower, upper, description)) = characteristics.get(id) else {
            rejected.push((index + 1, "unknown characteristic"));
            continue;
        };
        let measured = row["value"].as_f64().expect("value") * 25.4;
        let deviation = measured - nominal;
        let in_tolerance = deviation >= *lower && deviation <= *upper;
        spc.push((
            serial.to_string(),
            id.to_string(),
            measured,
            deviation,
            in_tolerance,
        ));
        if !in_tolerance {
            nonconformances.push((
                serial.to_string(),
                deviation,
                format!("{id} out of tolerance on {serial} ({description})"),
            ));
        }
    }
    assert!(
        !rejected.is_empty() && !nonconformances.is_empty(),
        "the input must exercise both"
    );

    let close = |a: &serde_json::Value, b: f64| (a.as_f64().expect("float") - b).abs() < 1e-9;
    let written = read_jsonl(&dir.join("out/spc.jsonl"));
    assert_eq!(written.len(), spc.len(), "{written:?}");
    for (line, (serial, id, measured, deviation, in_tolerance)) in written.iter().zip(&spc) {
        assert_eq!(line["serial"], serial.as_str());
        assert_eq!(line["characteristic"], id.as_str());
        assert!(close(&line["measured_mm"], *measured), "{line}");
        assert!(close(&line["deviation_mm"], *deviation), "{line}");
        assert_eq!(line["in_tolerance"], *in_tolerance);
    }
    let written = read_jsonl(&dir.join("out/nonconformances.jsonl"));
    assert_eq!(written.len(), nonconformances.len(), "{written:?}");
    for (line, (serial, deviation, text)) in written.iter().zip(&nonconformances) {
        assert_eq!(line["serial"], serial.as_str());
        assert!(close(&line["deviation_mm"], *deviation), "{line}");
        assert_eq!(line["summary"], text.as_str());
    }

    // One dead-letter line per rejected record, not one per flow.
    let dead = read_jsonl(&dir.join("out/shared_bindings.dead-letter.jsonl"));
    let lines: Vec<(u64, &str)> = dead
        .iter()
        .map(|d| {
            assert_eq!(d["flow"], serde_json::Value::Null, "{d}");
            assert_eq!(d["stage"], "map", "{d}");
            (
                d["position"].as_u64().expect("position"),
                d["reason"].as_str().expect("reason"),
            )
        })
        .collect();
    let expected: Vec<(u64, &str)> = rejected.iter().map(|(p, r)| (*p as u64, *r)).collect();
    assert_eq!(lines, expected);
    assert_eq!(summary["dead_letter"]["records"], rejected.len());
    for name in ["all_readings", "out_of_tolerance"] {
        let flow = flow(&summary, name);
        assert_eq!(flow["read"], 8, "{flow}");
        assert_eq!(flow["rejected"], rejected.len(), "{flow}");
    }
    assert_eq!(flow(&summary, "all_readings")["written"], spc.len());
    assert_eq!(
        flow(&summary, "out_of_tolerance")["filtered"],
        spc.len() - nonconformances.len()
    );
}

/// Lengths whose unit each row gives (`unit_column:`): rows in `in` are converted to the mm the
/// mapping sees, rows in `mm` are kept, and a row in `ft` (which the field does not list) is in
/// the dead letter with reason "unknown unit". Expected values are computed here from
/// `input.csv` with the csv crate alone.
#[test]
fn unit_columns_convert_each_row_and_reject_unknown_units() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (dir, binary) = build_test_program_copy(tmp.path(), "unit_column");
    let (code, summary) = run_json(&binary, &[]);
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    let to_mm = |value: &str, unit: &str| -> Result<f64, String> {
        let v: f64 = value.parse().expect("a number");
        match unit {
            "mm" => Ok(v),
            "in" => Ok(v * 25.4),
            "um" => Ok(v / 1000.0),
            other => Err(other.to_string()),
        }
    };
    let mut expected = Vec::new();
    let mut rejected = Vec::new();
    let mut reader = csv::Reader::from_path(dir.join("input.csv")).expect("input");
    for row in reader.records() {
        let row = row.expect("row");
        let (part, length, unit, depth, depth_unit) = (&row[0], &row[1], &row[2], &row[3], &row[4]);
        let length = to_mm(length, unit);
        let depth = if depth.is_empty() {
            Ok(None)
        } else {
            to_mm(depth, depth_unit).map(Some)
        };
        match (length, depth) {
            (Ok(length), Ok(depth)) => {
                expected.push((part.to_string(), length, depth, unit.to_string()))
            }
            _ => rejected.push(part.to_string()),
        }
    }
    // The data has each case: inches, millimetres, micrometres, and ft in either column.
    assert_eq!(rejected, ["P-005", "P-006"]);
    assert!(expected.iter().any(|e| e.3 == "in") && expected.iter().any(|e| e.3 == "mm"));

    let written = read_jsonl(&dir.join("out/measured.jsonl"));
    assert_eq!(written.len(), expected.len(), "{written:?}");
    for (w, (part, length, depth, unit)) in written.iter().zip(&expected) {
        assert_eq!(w["part"], part.as_str(), "{w}");
        assert_eq!(w["length"].as_f64(), Some(*length), "{w}");
        assert_eq!(w["depth"].as_f64(), *depth, "{w}");
        assert_eq!(w["unit_given"], unit.as_str(), "{w}");
    }
    let gauge = flow(&summary, "gauge");
    assert_eq!(
        gauge["rejected"].as_u64(),
        Some(rejected.len() as u64),
        "{summary}"
    );
    assert_eq!(
        gauge["reasons"]["unknown unit"].as_u64(),
        Some(rejected.len() as u64),
        "{summary}"
    );
    let dead = read_jsonl(&dir.join("out/unit_column.dead-letter.jsonl"));
    let dead_parts: Vec<&str> = dead
        .iter()
        .filter_map(|d| d["record"]["part"].as_str())
        .collect();
    assert_eq!(dead_parts, rejected, "{dead:?}");
    assert!(
        dead.iter().all(|d| d["reason"] == "unknown unit"),
        "{dead:?}"
    );
}

/// `--map-threads`: the mill's samples decoded and mapped on two map workers are written,
/// dead-lettered and counted exactly as on one core, in the same order; checkpoints every 16
/// records make chunks of 16, which come back from the workers out of order. The rows are
/// damaged so that every outcome is there: decode rejects, map rejects, filtered samples.
#[test]
fn two_map_threads_write_what_one_writes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = example_copy(tmp.path());
    let binary = build(&example.join("mill_to_mes.fdi"), &tmp.path().join("crate"));
    let csv_path = example.join("data/experiment_01.csv");
    let text = std::fs::read_to_string(&csv_path).expect("read CSV");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let column = |name: &str| lines[0].split(',').position(|h| h == name).expect(name);
    let (power, program) = (
        column("S1_OutputPower"),
        column("M1_CURRENT_PROGRAM_NUMBER"),
    );
    for (row, col, value) in [(10, power, "n/a"), (300, program, "1.5"), (777, power, "")] {
        let mut fields: Vec<&str> = lines[row].split(',').collect();
        fields[col] = value;
        lines[row] = fields.join(",");
    }
    std::fs::write(&csv_path, lines.join("\n") + "\n").expect("write CSV");

    // The provenance's source time is when the record was read: it differs from run to run.
    let without = |mut value: serde_json::Value, keys: &[&str]| {
        let fields = value.as_object_mut().expect("an object");
        keys.iter()
            .for_each(|k| assert!(fields.remove(*k).is_some(), "{k}"));
        value
    };
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = example.join("out");
        if out.exists() {
            std::fs::remove_dir_all(&out).expect("remove the last run's outputs");
        }
        let args = ["--map-threads", threads, "--checkpoint-every", "16"];
        let (code, summary) = run_json(&binary, &args);
        assert_eq!(code, 0, "{summary}");
        assert_balanced(&summary);
        let states: Vec<_> = read_jsonl(&out.join("equipment_state.jsonl"))
            .into_iter()
            .map(|line| without(line, &["_fdi_source_time"]))
            .collect();
        let dead: Vec<_> = read_jsonl(&out.join("rejected.jsonl"))
            .into_iter()
            .map(|line| without(line, &["id", "time"]))
            .collect();
        let db = rusqlite::Connection::open(out.join("line.db")).expect("open the database");
        let mut query = db
            .prepare("SELECT * FROM spindle_history ORDER BY rowid")
            .expect("query");
        let names: Vec<String> = query.column_names().iter().map(|n| n.to_string()).collect();
        let rows: Vec<Vec<String>> = query
            .query_map([], |row| {
                let mut values = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    if name != "_fdi_source_time" {
                        values.push(format!("{:?}", row.get::<_, rusqlite::types::Value>(i)?));
                    }
                }
                Ok(values)
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        runs.push((summary, states, dead, rows));
    }
    let (summary, states, dead, rows) = &runs[0];
    let count = |flow_name: &str, what: &str| flow(summary, flow_name)[what].as_u64().unwrap_or(0);
    assert_eq!(
        count("spindle", "rejected"),
        2,
        "two rows do not decode: {summary}"
    );
    assert!(
        count("phase", "rejected") > 2 && count("phase", "filtered") > 0,
        "{summary}"
    );
    assert_eq!(
        dead.len() as u64,
        count("phase", "rejected"),
        "one line per record"
    );
    assert_eq!(states.len() as u64, count("phase", "written"));
    assert_eq!(rows.len() as u64, count("spindle", "written"));
    assert!(
        runs[0] == runs[1],
        "two map threads wrote otherwise than one"
    );
}
