//! What the end-to-end tests share: building a mapping into a binary and running it.

#![allow(dead_code)]

pub mod rust_source;
pub mod service;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace root")
}

/// One cargo target directory for every generated program the tests build, so the runtime
/// and its dependencies are compiled once.
pub fn shared_target_dir() -> PathBuf {
    workspace_root().join("target").join("fdi-test-programs")
}

/// `fdi COMMAND` (`build`, `run`, `test`) building into the target directory the tests share,
/// with the runtime compiled for every connector as [`try_build`] does.
pub fn fdi_building(command: &str) -> Command {
    let mut fdi = Command::new(env!("CARGO_BIN_EXE_fdi"));
    fdi.arg(command)
        .arg("--target-dir")
        .arg(shared_target_dir())
        .arg("--all-connectors");
    fdi
}

/// Runs the `fdi` binary in the workspace root, so paths in its output read as a user's.
pub fn fdi(args: &[&str]) -> std::process::Output {
    fdi_in(&workspace_root(), args)
}

/// Runs the `fdi` binary in `dir`, so that paths in its output are relative to that folder.
pub fn fdi_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fdi"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run fdi")
}

/// Copies a folder (recursively) so a test can run a mapping without writing into the repo.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create destination");
    for entry in std::fs::read_dir(from).expect("read source folder") {
        let entry = entry.expect("folder entry");
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() != "out" {
                copy_dir(&path, &dest);
            }
        } else {
            std::fs::copy(&path, &dest).expect("copy file");
        }
    }
}

/// Copies the test program `tests/programs/NAME` into `tmp` (so its run writes nothing into
/// the repository) and builds its `NAME.fdi`: returns the copy's folder and the program's path.
pub fn build_test_program_copy(tmp: &Path, name: &str) -> (PathBuf, PathBuf) {
    let dir = tmp.join(name);
    copy_dir(&workspace_root().join("tests/programs").join(name), &dir);
    let binary = build(&dir.join(format!("{name}.fdi")), &tmp.join("crate"));
    (dir, binary)
}

/// Builds `mapping` with the `fdi` binary (debug profile) and returns the program's path.
/// Warnings in the generated code fail the build: generated code must have none.
pub fn build(mapping: &Path, crate_dir: &Path) -> PathBuf {
    try_build(mapping, crate_dir).unwrap_or_else(|e| panic!("{e}"))
}

/// [`build`], returning what went wrong instead of failing the test. The runtime is compiled
/// with every connector (`--all-connectors`), so that the tests' programs share one build of
/// it instead of one per set of connectors; `valid_cases_build.rs` builds each case with its
/// own connectors only, which is what proves that a mapping asks for the ones it needs.
pub fn try_build(mapping: &Path, crate_dir: &Path) -> Result<PathBuf, String> {
    fdi_build(mapping, crate_dir, &["--all-connectors"])
}

/// [`try_build`] with the runtime's features as the generated crate names them: the
/// connectors the mapping uses and no other, as a user's `fdi build` compiles it.
pub fn try_build_with_its_connectors_only(
    mapping: &Path,
    crate_dir: &Path,
) -> Result<PathBuf, String> {
    fdi_build(mapping, crate_dir, &[])
}

fn fdi_build(mapping: &Path, crate_dir: &Path, options: &[&str]) -> Result<PathBuf, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_fdi"))
        .arg("build")
        .arg(mapping)
        .arg("-o")
        .arg(crate_dir)
        .arg("--target-dir")
        .arg(shared_target_dir())
        .arg("--debug")
        .arg("--deny-warnings")
        .args(options)
        .output()
        .expect("run fdi build");
    if !output.status.success() {
        return Err(format!(
            "fdi build {} failed:\n{}",
            mapping.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

/// Runs a built program with `--format json` and returns its exit code and parsed summary.
pub fn run_json(binary: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let output = Command::new(binary)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run the generated program");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.is_empty() {
        eprintln!("{} said on stderr:\n{stderr}", binary.display());
    }
    let summary = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "summary is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), summary)
}

pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The counters of one flow in a run summary.
pub fn flow<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    summary["flows"]
        .as_array()
        .and_then(|flows| flows.iter().find(|f| f["name"] == name))
        .unwrap_or_else(|| panic!("no flow {name} in {summary}"))
}

/// read = written + rejected + filtered, for every flow.
pub fn assert_balanced(summary: &serde_json::Value) {
    for f in summary["flows"].as_array().expect("flows") {
        let n = |k: &str| f[k].as_u64().expect("a count");
        assert_eq!(
            n("read"),
            n("written") + n("rejected") + n("filtered"),
            "flow {} does not balance",
            f["name"]
        );
        assert_eq!(f["balanced"], true);
    }
}

/// `GET path` from an HTTP server on this machine (loopback only), with a plain TcpStream:
/// the status code and the body.
pub fn http_get(address: std::net::SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    assert!(address.ip().is_loopback(), "tests talk to loopback only");
    let mut stream =
        std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(5))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}
