//! The whole bench at a tiny size: every workload is generated, built (debug: the times mean
//! nothing here, the outputs do), run through the generated program and the hand-written
//! baseline, and the outputs must agree record by record. No timing is asserted: the bench
//! never runs as a timed test. The network workloads run against the real PostgreSQL and
//! mosquitto of `fdi-peers`; without them the bench fails with the message that says how to
//! install them.

use std::path::Path;
use std::process::Command;

#[test]
fn every_workload_runs_and_the_outputs_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target");
    let output = Command::new(env!("CARGO_BIN_EXE_fdi-bench"))
        .args([
            "--records",
            "2000",
            "--runs",
            "1",
            "--flows",
            "3",
            "--debug",
        ])
        .arg("--work-dir")
        .arg(target.join("fdi-bench-smoke"))
        // The target directory the compiler's end-to-end tests build their programs in, so
        // the runtime is compiled once for all of them.
        .arg("--programs-target-dir")
        .arg(target.join("fdi-test-programs"))
        .output()
        .expect("run fdi-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "fdi-bench failed:\n{stdout}\n{stderr}"
    );
    for workload in [
        "machine_state",
        "wide_csv",
        "sqlite_upsert",
        "postgres_upsert",
        "mqtt_to_postgres",
        "cmm_quality",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("- `{workload}`")) && l.contains("agree: ")),
            "no agreement reported for {workload}:\n{stdout}"
        );
    }
    // Every kind of bad record was generated and rejected by both programs alike.
    for reason in ["unknown machine", "unknown machine state", "not a number"] {
        assert!(
            stdout.contains(&format!("\"{reason}\"")),
            "no {reason:?} rejects:\n{stdout}"
        );
    }
    // Issue 17's workloads: each kind of bad record was generated and rejected by both
    // programs alike (for cmm_quality also the local times its clocks show twice and the
    // readings its probing did not call GOOD).
    for (workload, reasons) in [
        (
            "cmm_quality",
            &[
                "Gtin14 check digit",
                "local time skipped by a clock change",
                "local time repeated by a clock change",
                "not a number",
                "unknown unit",
                "measurement is not GOOD quality",
            ][..],
        ),
        (
            "machine_events",
            &[
                "unknown equipment",
                "unknown execution state",
                "event without program",
                "not a number",
            ][..],
        ),
        (
            "zoned_history",
            &["unknown machine", "not a timestamp", "not a signal quality"][..],
        ),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("- `{workload}`")) && l.contains("agree: "))
            .unwrap_or_else(|| panic!("no agreement reported for {workload}:\n{stdout}"));
        for reason in reasons {
            assert!(
                line.contains(&format!("\"{reason}\": ")),
                "no {reason:?} rejects in {workload}:\n{line}"
            );
        }
    }
    assert!(
        stdout.contains("`fdi check`, generated mapping of"),
        "{stdout}"
    );
}
