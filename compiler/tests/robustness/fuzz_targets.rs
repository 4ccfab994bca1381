//! The fuzz targets of `fuzz/` (parse, check, emit; see docs/robustness.md) each run for a
//! minute under libFuzzer with no crash, the three at once, from a corpus this run seeds with every `.fdi` file of
//! the repository. Needs cargo-fuzz (`tests/peers/install` installs it); builds with its own
//! target folder (`fuzz/target/none`), uninstrumented (`--sanitizer none`: the compiler is safe
//! Rust, and the AddressSanitizer build costs more than it finds here; docs/robustness.md has
//! the numbers).
//!
//! `FDI_FUZZ_SECONDS` runs each target longer (the documented 10-minute run).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::workspace_root;

const TARGETS: &[&str] = &["parse", "check", "emit"];

/// The cargo-fuzz this repository is tested with, as `tests/peers/install` installs it.
const INSTALL: &str = "cargo install cargo-fuzz --version 0.13.2 --locked";

fn fdi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                fdi_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "fdi") {
            out.push(path);
        }
    }
}

/// A fresh folder of every `.fdi` file under `tests/` and `examples/`, named by its path.
fn seed_corpus(fuzz: &Path) -> (PathBuf, usize) {
    let root = workspace_root();
    let seeds = fuzz.join("seeds");
    let _ = std::fs::remove_dir_all(&seeds);
    std::fs::create_dir_all(&seeds).expect("create the seed folder");
    let mut files = Vec::new();
    for folder in ["tests", "examples"] {
        fdi_files(&root.join(folder), &mut files);
    }
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under the workspace");
        let name = relative.to_string_lossy().replace(['/', '\\'], "__");
        std::fs::copy(file, seeds.join(name)).expect("copy a seed");
    }
    (seeds, files.len())
}

/// libFuzzer's last status line: `#123456<TAB>DONE   cov: 4321 ft: 9876 corp: 800/1Mb ...`.
fn done_line(output: &str) -> Option<&str> {
    output
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains("DONE"))
}

#[test]
fn each_fuzz_target_runs_a_minute_without_a_crash() {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        installed,
        "cargo-fuzz is missing: install it with `{INSTALL}` (or run tests/peers/install)"
    );
    let seconds: u64 = std::env::var("FDI_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let fuzz = workspace_root().join("fuzz");
    let (seeds, count) = seed_corpus(&fuzz);
    assert!(
        count > 100,
        "only {count} mappings found to seed the corpus"
    );
    // The three targets fuzz at the same time, each for its full time: on CI's two cores
    // that is a minute of the machine instead of three.
    let runs: Vec<(&str, std::process::Output)> = std::thread::scope(|scope| {
        let handles: Vec<_> = TARGETS
            .iter()
            .map(|target| {
                let (fuzz, seeds) = (&fuzz, &seeds);
                scope.spawn(move || (*target, fuzz_run(fuzz, target, seeds, seconds)))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a fuzzing thread"))
            .collect()
    });
    for (target, output) in runs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            output.status.success(),
            "fuzz target `{target}` failed; the input is under fuzz/artifacts/{target}/ \
             (`cargo fuzz fmt {target} FILE` shows it): make it a case under tests/cases/ and \
             fix the compiler.\n{stdout}\n{tail}"
        );
        let done = done_line(&stderr).unwrap_or_else(|| panic!("no DONE line:\n{tail}"));
        eprintln!("fuzz target {target}, {seconds} s: {done}");
    }
}

/// `cargo fuzz run TARGET` for `seconds`, on its corpus and the seeds.
fn fuzz_run(fuzz: &Path, target: &str, seeds: &Path, seconds: u64) -> std::process::Output {
    let corpus = fuzz.join("corpus").join(target);
    std::fs::create_dir_all(&corpus).expect("create the corpus folder");
    Command::new("cargo")
        .current_dir(fuzz)
        // cargo-fuzz needs nightly flags (-Z); the stable toolchain accepts them so.
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "fuzz",
            "run",
            "--sanitizer",
            "none",
            "--target-dir",
            "target/none",
        ])
        .arg(target)
        .arg(&corpus)
        .arg(seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-dict={}", fuzz.join("fdi.dict").display()))
        // An input that takes a minute is a finding too (a hang), not a slow machine.
        .arg("-timeout=60")
        .arg("-rss_limit_mb=4096")
        .output()
        .expect("run cargo fuzz")
}
