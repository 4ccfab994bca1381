//! `fdi` as a black box: the bench builds the compiler with cargo and runs its binary, so it
//! measures whatever the compiler and runtime are when it runs, through the same commands a
//! user types.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::measure::{run_measured, Measured};

/// The `fdi` binary and how generated programs are built.
pub struct Fdi {
    pub binary: PathBuf,
    /// `fdi build --debug`: for the smoke test, where release builds would take too long.
    pub debug: bool,
    /// Cargo's target directory for the generated programs (`fdi build --target-dir`).
    pub programs_target_dir: PathBuf,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is a folder of the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

impl Fdi {
    /// Builds `fdi` (release, or debug with `debug`) in the workspace and finds its binary in
    /// cargo's own report, so a `CARGO_TARGET_DIR` elsewhere is followed.
    pub fn build(debug: bool, programs_target_dir: PathBuf) -> Result<Fdi, String> {
        let mut command = cargo();
        command.current_dir(workspace_root()).args([
            "build",
            "-p",
            "fdi-compiler",
            "--bin",
            "fdi",
            "--message-format=json",
        ]);
        if !debug {
            command.arg("--release");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo could not build fdi:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let binary = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "fdi")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .ok_or("cargo built fdi but did not say where the binary is")?;
        Ok(Fdi {
            binary,
            debug,
            programs_target_dir,
        })
    }

    /// `fdi build MAPPING -o CRATE_DIR`; returns the program's path and how long the build took.
    pub fn build_program(
        &self,
        mapping: &Path,
        crate_dir: &Path,
        log_dir: &Path,
    ) -> Result<(PathBuf, Measured), String> {
        let mut command = Command::new(&self.binary);
        command
            .arg("build")
            .arg(mapping)
            .arg("-o")
            .arg(crate_dir)
            .arg("--target-dir")
            .arg(&self.programs_target_dir);
        if self.debug {
            // A debug build is the smoke test's, which shares its target directory with the
            // compiler's tests: there the runtime is compiled once, with every connector. A
            // measured (release) build compiles only what the mapping uses, as a user's does.
            command.arg("--debug").arg("--all-connectors");
        }
        let measured = run_measured(&mut command, log_dir, "fdi-build")?;
        if !measured.succeeded() {
            return Err(format!(
                "fdi build {} failed:\n{}",
                mapping.display(),
                measured.stderr
            ));
        }
        let binary = PathBuf::from(measured.stdout.trim());
        Ok((binary, measured))
    }

    /// `fdi check MAPPING`, which must pass: timing a run that only reports errors would
    /// measure something else.
    pub fn check(&self, mapping: &Path, log_dir: &Path) -> Result<Measured, String> {
        let mut command = Command::new(&self.binary);
        command.arg("check").arg(mapping);
        let measured = run_measured(&mut command, log_dir, "fdi-check")?;
        if !measured.succeeded() {
            return Err(format!(
                "fdi check {} failed:\n{}{}",
                mapping.display(),
                measured.stdout,
                measured.stderr
            ));
        }
        Ok(measured)
    }
}
