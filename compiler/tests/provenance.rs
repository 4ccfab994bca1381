//! Traceability: the build manifest of a built program matches its inputs, and every record a
//! target keeps `with provenance` points back to the line of the source file that produced it.
//! Hashes and expectations are computed here from the files, without fdi.

mod support;

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use support::*;

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The generated code's hash as the manifest defines it: every file fdi wrote into the crate
/// folder but the manifest (and the lock file, build stamps and binary that are not code), in
/// path order, each as "path\nlength\n" and its bytes.
fn code_hash(crate_dir: &Path) -> String {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("read crate folder") {
            let path = entry.expect("entry").path();
            let relative = path
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            if path.is_dir() {
                // The build's own files: the binary and the cargo configuration.
                if relative != "bin" && relative != ".cargo" {
                    walk(&path, root, out);
                }
            } else if relative != "src/manifest.rs"
                && relative != "Cargo.lock"
                && !relative.starts_with("build-stamp")
            {
                out.push((relative, std::fs::read(&path).expect("read file")));
            }
        }
    }
    let mut files = Vec::new();
    walk(crate_dir, crate_dir, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update(format!("{path}\n{}\n", bytes.len()).as_bytes());
        hasher.update(&bytes);
    }
    hex(&hasher.finalize())
}

fn manifest_of(binary: &Path) -> serde_json::Value {
    let output = Command::new(binary)
        .args(["manifest", "--format", "json"])
        .output()
        .expect("run the program");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("the manifest is JSON")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=fdi test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn the_manifest_matches_the_inputs_and_changes_with_the_mapping() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = tmp.path().join("mill-to-mes");
    copy_dir(&workspace_root().join("examples/mill-to-mes"), &example);
    git(&example, &["init", "-q"]);
    git(&example, &["add", "."]);
    git(&example, &["commit", "-q", "-m", "the example"]);
    let commit = git(&example, &["rev-parse", "HEAD"]);

    let mapping = example.join("mill_to_mes.fdi");
    let crate_dir = tmp.path().join("crate");
    let binary = build(&mapping, &crate_dir);
    let manifest = manifest_of(&binary);
    assert_eq!(manifest["mapping"]["name"], "mill_to_mes");
    assert_eq!(manifest["mapping"]["path"], "mill_to_mes.fdi");
    assert_eq!(manifest["mapping"]["sha256"], sha256_of(&mapping));
    assert_eq!(manifest["modules"], serde_json::json!([]));
    assert_eq!(
        manifest["schemas"],
        serde_json::json!([{
            "path": "schemas/plant.yaml",
            "sha256": sha256_of(&example.join("schemas/plant.yaml")),
        }])
    );
    assert_eq!(manifest["generated_code_sha256"], code_hash(&crate_dir));
    assert_eq!(manifest["compiler_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["git"]["commit"], commit.as_str());
    assert_eq!(manifest["git"]["dirty"], false);
    let built_at = manifest["built_at"].as_str().expect("a build time");
    assert!(
        built_at.ends_with('Z') && built_at.len() == 20,
        "{built_at}"
    );
    assert_eq!(manifest["delivery"][0]["flow"], "spindle");
    assert_eq!(manifest["delivery"][0]["guarantee"], "at_least_once");

    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run --version");
    let version = String::from_utf8_lossy(&version.stdout);
    let hash = manifest["mapping"]["sha256"].as_str().unwrap_or_default();
    assert_eq!(
        version.trim(),
        format!(
            "mill_to_mes 0.1.0 (mapping sha256 {}, fdi {}, git {}, delivery at_least_once)",
            &hash[..12],
            env!("CARGO_PKG_VERSION"),
            &commit[..12]
        )
    );

    // A comment changes the mapping's hash but not the program.
    let text = std::fs::read_to_string(&mapping).expect("read mapping");
    std::fs::write(
        &mapping,
        text.replacen("// Every sample", "// Each sample", 1),
    )
    .expect("write mapping");
    let emitted = fdi(&["emit", mapping.to_str().expect("utf-8 path")]);
    let emitted = String::from_utf8_lossy(&emitted.stdout);
    assert!(emitted.contains(&sha256_of(&mapping)), "{emitted}");
    assert!(emitted.contains(&format!(
        "generated_code_sha256: {:?}",
        manifest["generated_code_sha256"]
            .as_str()
            .unwrap_or_default()
    )));

    // One character of a reject reason changes both, and the checkout is now modified.
    std::fs::write(
        &mapping,
        text.replace(
            "MILL-01 is not in master data",
            "MILL-01 is not in master datA",
        ),
    )
    .expect("write mapping");
    let binary = build(&mapping, &crate_dir);
    let changed = manifest_of(&binary);
    assert_eq!(changed["mapping"]["sha256"], sha256_of(&mapping));
    assert_ne!(changed["mapping"]["sha256"], manifest["mapping"]["sha256"]);
    assert_ne!(
        changed["generated_code_sha256"],
        manifest["generated_code_sha256"]
    );
    assert_eq!(changed["generated_code_sha256"], code_hash(&crate_dir));
    assert_eq!(changed["schemas"], manifest["schemas"]);
    assert_eq!(changed["git"]["commit"], commit.as_str());
    assert_eq!(changed["git"]["dirty"], true);
}

/// Line `n` (1-based) of a CSV file with its header, parsed as one record under that header.
fn csv_line(lines: &[&str], n: u64) -> csv::StringRecord {
    let text = format!("{}\n{}\n", lines[0], lines[n as usize - 1]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .next()
        .expect("one record")
        .expect("a CSV record")
}

#[test]
fn every_row_of_the_mill_example_points_back_to_its_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let example = tmp.path().join("mill-to-mes");
    copy_dir(&workspace_root().join("examples/mill-to-mes"), &example);
    let binary = build(&example.join("mill_to_mes.fdi"), &tmp.path().join("crate"));
    let mapping_hash = sha256_of(&example.join("mill_to_mes.fdi"));
    let text = std::fs::read_to_string(example.join("data/experiment_01.csv")).expect("read CSV");
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");

    let before = fdi_runtime::Timestamp::now();
    let (code, summary) = run_json(&binary, &[]);
    let after = fdi_runtime::Timestamp::now();
    assert_eq!(code, 0, "{summary}");
    assert_balanced(&summary);

    // The historian: every row's values come from the line it names.
    let db = rusqlite::Connection::open(example.join("out/line.db")).expect("open SQLite");
    let mut statement = db
        .prepare(
            "SELECT sample_no, speed_rpm, current_a, _fdi_source, _fdi_stream, _fdi_position, \
             _fdi_source_time, _fdi_flow, _fdi_mapping FROM spindle_history",
        )
        .expect("provenance columns exist");
    let mut rows = statement.query([]).expect("query");
    let mut count = 0;
    while let Some(row) = rows.next().expect("row") {
        count += 1;
        let position: i64 = row.get(5).expect("_fdi_position");
        let line = csv_line(&lines, position as u64);
        let sample_no: i64 = row.get(0).expect("sample_no");
        assert_eq!(sample_no, position - 1, "one line per row after the header");
        let speed: f64 = row.get(1).expect("speed");
        let velocity: f64 = line[col("S1_ActualVelocity")].parse().expect("velocity");
        assert!((speed - (velocity * 10.0).round() / 10.0).abs() < 1e-9);
        let current: f64 = row.get(2).expect("current");
        assert_eq!(
            current,
            line[col("S1_OutputCurrent")]
                .parse::<f64>()
                .expect("current")
        );
        assert_eq!(row.get::<_, String>(3).expect("source"), "mill");
        assert_eq!(row.get::<_, Option<String>>(4).expect("stream"), None);
        let read_at: String = row.get(6).expect("time");
        let read_at = fdi_runtime::Timestamp::parse(&read_at).expect("RFC 3339");
        assert!(before <= read_at && read_at <= after, "read during the run");
        assert_eq!(row.get::<_, String>(7).expect("flow"), "spindle");
        assert_eq!(row.get::<_, String>(8).expect("mapping"), mapping_hash);
    }
    assert_eq!(count, lines.len() - 1, "a row for every line of data");

    // The MES states: the phase of every line comes from the line it names.
    let states = read_jsonl(&example.join("out/equipment_state.jsonl"));
    assert_eq!(
        Some(states.len() as u64),
        flow(&summary, "phase")["written"].as_u64()
    );
    for state in &states {
        let position = state["_fdi_position"].as_u64().expect("position");
        let line = csv_line(&lines, position);
        assert_eq!(
            state["phase"].as_str(),
            Some(line[col("Machining_Process")].trim())
        );
        assert_eq!(state["sample_no"].as_u64(), Some(position - 1));
        assert_eq!(state["_fdi_source"], "mill");
        assert_eq!(state["_fdi_flow"], "phase");
        assert_eq!(state["_fdi_mapping"], mapping_hash.as_str());
    }
}
