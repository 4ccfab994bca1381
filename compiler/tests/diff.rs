//! `fdi diff`: every case pair in `tests/diff_cases/<name>/` (`old.fdi`, `new.fdi`) is diffed
//! with the `fdi` binary and its output snapshotted; the first line of `new.fdi` says whether
//! the pair must differ (`// expect: changed`, exit 1) or not (`// expect: unchanged`, exit 0,
//! nothing printed). The `--git` form runs on a temporary repository.

mod support;

use std::path::Path;
use std::process::Command;

use support::{fdi, fdi_in, workspace_root};

#[test]
fn diff_cases() {
    let root = workspace_root().join("tests/diff_cases");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("tests/diff_cases is readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "the diff cases are there: {names:?}");
    for name in names {
        let dir = format!("tests/diff_cases/{name}");
        let new_text = std::fs::read_to_string(root.join(&name).join("new.fdi")).expect("new.fdi");
        let expect = new_text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect:"))
            .map(str::trim)
            .unwrap_or_else(|| {
                panic!(
                    "{dir}/new.fdi must start with `// expect: changed` or `// expect: unchanged`"
                )
            });
        let out = fdi(&["diff", &format!("{dir}/old.fdi"), &format!("{dir}/new.fdi")]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{name}: {stderr}");
        match expect {
            "changed" => assert_eq!(out.status.code(), Some(1), "{name} must differ"),
            "unchanged" => {
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{name} must not differ:\n{stdout}"
                );
                assert!(stdout.is_empty(), "{name} prints nothing:\n{stdout}");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
        insta::with_settings!({ snapshot_suffix => name.clone(), input_file => root.join(&name).join("new.fdi") }, {
            insta::assert_snapshot!(stdout);
        });
    }
}

#[test]
fn json_lists_each_change() {
    let out = fdi(&[
        "diff",
        "--format",
        "json",
        "tests/diff_cases/reject_rule_changed/old.fdi",
        "tests/diff_cases/reject_rule_changed/new.fdi",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        doc,
        serde_json::json!({
            "changed": true,
            "changes": [{
                "group": "flow state",
                "subject": "states.work_order: else reject",
                "change": "changed",
                "aspect": "reject",
                "old": "\"bad work order\"",
                "new": "\"work order does not match its pattern\"",
            }]
        })
    );
    let same = fdi(&[
        "diff",
        "--format",
        "json",
        "tests/diff_cases/comments_only/old.fdi",
        "tests/diff_cases/comments_only/new.fdi",
    ]);
    assert_eq!(same.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&same.stdout).expect("JSON");
    assert_eq!(doc, serde_json::json!({ "changed": false, "changes": [] }));
}

#[test]
fn errors_exit_with_2() {
    let broken = "tests/cases/flows/field_assigned_twice.fdi";
    let ok = "tests/diff_cases/field_remapped/old.fdi";
    let out = fdi(&["diff", ok, broken]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fdi::E0313"));
    assert_eq!(fdi(&["diff", ok, "no/such.fdi"]).status.code(), Some(2));
    assert_eq!(fdi(&["diff", ok]).status.code(), Some(2), "two files");
    assert_eq!(
        fdi(&["diff", "--git", ok, ok]).status.code(),
        Some(2),
        "two revisions and a file"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=fdi test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--git` reads the mapping and its schema at each revision: a schema change between the
/// revisions shows, and what is in the working tree does not count.
#[test]
fn git_revisions_are_compared_with_their_schemas() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let repo = tmp.path();
    std::fs::create_dir_all(repo.join("schemas")).expect("schemas folder");
    std::fs::create_dir_all(repo.join("mappings")).expect("mappings folder");
    let schema =
        std::fs::read_to_string(workspace_root().join("tests/schemas/plant.yaml")).expect("schema");
    let mapping =
        std::fs::read_to_string(workspace_root().join("tests/diff_cases/field_remapped/old.fdi"))
            .expect("mapping")
            .replace("../../schemas/plant.yaml", "../schemas/plant.yaml");
    std::fs::write(repo.join("schemas/plant.yaml"), &schema).expect("write");
    std::fs::write(repo.join("mappings/states.fdi"), &mapping).expect("write");
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "first"]);

    let old_pattern = "EQ-[0-9]{4}";
    assert!(
        schema.contains(old_pattern),
        "the schema's equipment id pattern"
    );
    std::fs::write(
        repo.join("schemas/plant.yaml"),
        schema.replace(old_pattern, "EQ-[0-9]{5}"),
    )
    .expect("write");
    std::fs::write(
        repo.join("mappings/states.fdi"),
        mapping.replace("round(spindle_rpm / 60, 1)", "round(spindle_rpm / 60, 3)"),
    )
    .expect("write");
    git(repo, &["commit", "-q", "-a", "-m", "second"]);
    // The working tree is broken: --git must not read it.
    std::fs::write(repo.join("mappings/states.fdi"), "not a mapping").expect("write");

    let out = fdi_in(
        repo,
        &["diff", "--git", "HEAD~1", "HEAD", "mappings/states.fdi"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("--- HEAD~1:mappings/states.fdi\n+++ HEAD:mappings/states.fdi\n"),
        "{stdout}"
    );
    assert!(stdout.contains("round(spindle_rpm / 60, 3)"), "{stdout}");
    assert!(
        stdout.contains("~ identifier EquipmentId (schema changed)"),
        "{stdout}"
    );
    assert!(stdout.contains("[0-9]{5}"), "{stdout}");

    let same = fdi_in(
        repo,
        &["diff", "--git", "HEAD", "HEAD", "mappings/states.fdi"],
    );
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());

    // From another folder, with the file's path relative to it.
    let nested = fdi_in(
        &repo.join("schemas"),
        &["diff", "--git", "HEAD~1", "HEAD", "../mappings/states.fdi"],
    );
    assert_eq!(
        nested.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&nested.stderr)
    );

    let bad = fdi_in(
        repo,
        &[
            "diff",
            "--git",
            "no-such-rev",
            "HEAD",
            "mappings/states.fdi",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("fdi::E0604") && stderr.contains("no such revision"),
        "{stderr}"
    );
    let missing = fdi_in(
        repo,
        &["diff", "--git", "HEAD~1", "HEAD", "mappings/other.fdi"],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist at that revision"));
}
