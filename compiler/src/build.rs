//! The build stage: writes a [`GeneratedCrate`] to disk and has cargo build it. The only
//! stage that runs another program.
//!
//! What depends on the machine is added here, never by emit: the runtime's source, written
//! from what fdi carries into a cache folder ([`runtime`]) and named to cargo by a `[patch]` in
//! the crate's `.cargo/config.toml`; the mapping's folder, the git state and the build time,
//! given to cargo as environment variables the generated code reads with `option_env!`.

mod cargo_output;
mod runtime;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diagnostic::{Code, Diagnostic};
use crate::emit::GeneratedCrate;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Where the generated crate is written.
    pub crate_dir: PathBuf,
    /// Cargo's target directory, shared by every generated crate so that the runtime and its
    /// dependencies are compiled once. The runtime's source is kept beside it, in `runtime/`.
    pub target_dir: PathBuf,
    pub release: bool,
    /// The mapping file's folder: where the program resolves relative paths unless told
    /// otherwise (`--base-dir`). Given to the program's build as `FDI_MAPPING_DIR`.
    pub mapping_dir: PathBuf,
    /// The git state of the mapping's files, for the program's manifest (see [`git_state`]).
    pub git: Option<GitState>,
    /// Fail when the compiler warns about the generated code, which should never happen:
    /// fdi's own tests build with it.
    pub deny_warnings: bool,
    /// Compile the runtime with every connector, not only those the mapping uses. The runtime
    /// is compiled once per set of features in a target directory, so many mappings built into
    /// one (a CI job, fdi's own tests) share one build of it instead of one per set. The
    /// generated crate is the same either way: the features are given to cargo.
    pub all_connectors: bool,
}

/// The commit checked out where the mapping lives, and whether its files differ from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitState {
    pub commit: String,
    pub dirty: bool,
}

/// The git state of `files` (the mapping first, then every file its compilation read): the
/// commit checked out in the repository holding the mapping, and whether any of the files is
/// modified or not committed. `None` when the mapping is not in a git repository or git is not
/// installed.
pub fn git_state(files: &[PathBuf]) -> Option<GitState> {
    let mapping = files.first()?.canonicalize().ok()?;
    let folder = mapping.parent()?;
    let git = |args: &[&std::ffi::OsStr]| {
        // No index refresh or lock (a commit running meanwhile must not fail), no fsmonitor
        // hook from the mapping repository's config, and file names taken literally.
        Command::new("git")
            .arg("--no-optional-locks")
            .args(["-c", "core.fsmonitor=false", "--literal-pathspecs"])
            .arg("-C")
            .arg(folder)
            .args(args)
            .output()
            .ok()
    };
    let head = git(&["rev-parse".as_ref(), "--verify".as_ref(), "HEAD".as_ref()])?;
    if !head.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let mut status_args: Vec<&std::ffi::OsStr> =
        // `--ignored`: an input in an ignored folder (an ERP export) is not committed either.
        vec![
            "status".as_ref(),
            "--porcelain".as_ref(),
            "--ignored".as_ref(),
            "--".as_ref(),
        ];
    let absolute: Vec<PathBuf> = files
        .iter()
        .map(|f| f.canonicalize().unwrap_or_else(|_| f.clone()))
        .collect();
    status_args.extend(absolute.iter().map(|f| f.as_os_str()));
    // A file git cannot vouch for (outside the repository, say) makes the state dirty.
    let dirty = match git(&status_args) {
        Some(status) if status.status.success() => !status.stdout.is_empty(),
        _ => true,
    };
    Some(GitState { commit, dirty })
}

/// The shared target directory: `FDI_TARGET_DIR`, else a cache folder in the home directory.
pub fn default_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FDI_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("fdi").join("target")
}

/// Where a mapping's generated crate is kept between builds: beside the shared target
/// directory, one folder per mapping file, so that building the same mapping again (to run it
/// or to test it) rewrites only what changed and cargo rebuilds only what it must.
pub fn mapping_crate_dir(mapping: &Path, target_dir: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let absolute = mapping
        .canonicalize()
        .unwrap_or_else(|_| mapping.to_path_buf());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    absolute.hash(&mut hasher);
    let stem = mapping
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    target_dir
        .with_file_name("crates")
        .join(format!("{stem}-{:016x}", hasher.finish()))
}

/// Writes the crate (leaving files that did not change untouched, so cargo does not rebuild
/// them) and builds it. Returns the path of the binary, copied to `bin/` in the crate folder.
pub fn build(
    generated: &GeneratedCrate,
    bin_name: &str,
    options: &BuildOptions,
) -> Result<PathBuf, Diagnostic> {
    // Absolute, since they are written into the crate's cargo configuration and compared with
    // the paths in cargo's messages.
    let crate_dir =
        std::path::absolute(&options.crate_dir).map_err(|e| write_error(&options.crate_dir, e))?;
    let target_dir = std::path::absolute(&options.target_dir)
        .map_err(|e| write_error(&options.target_dir, e))?;
    // Generated programs share the target directory, where two programs of the same name
    // would overwrite each other's binary: builds take turns, and each binary is copied into
    // its own crate folder before the next build may start. Writing the crate is part of the
    // turn, since two runs of one mapping (`fdi test` and `fdi run`) write the same folder.
    std::fs::create_dir_all(&target_dir).map_err(|e| write_error(&target_dir, e))?;
    let lock = std::fs::File::create(target_dir.join("fdi-build.lock"))
        .map_err(|e| write_error(&target_dir, e))?;
    lock.lock().map_err(|e| write_error(&target_dir, e))?;
    let runtime_cache = target_dir.with_file_name("runtime");
    let runtime = runtime::install(&runtime_cache).map_err(|e| write_error(&runtime_cache, e))?;
    let changed =
        write_crate(generated, &crate_dir, &runtime).map_err(|e| write_error(&crate_dir, e))?;
    claim_package(generated, &crate_dir, &target_dir).map_err(|e| write_error(&crate_dir, e))?;

    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The configuration file is named on the command line, so that it applies wherever fdi
    // runs and outranks any configuration of the folders around the crate.
    cargo
        .arg("--config")
        .arg(crate_dir.join(CARGO_CONFIG))
        .arg("build")
        .arg("--quiet")
        .arg("--message-format")
        .arg("json")
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    if options.release {
        cargo.arg("--release");
    }
    if options.all_connectors {
        let features: Vec<String> = crate::connectors::all_runtime_features()
            .iter()
            .map(|feature| format!("fdi-runtime/{feature}"))
            .collect();
        cargo.arg("--features").arg(features.join(","));
    }
    let stamp = BuildStamp::for_build(options, &crate_dir, changed);
    stamp.set_env(&mut cargo);
    cargo.env("FDI_MAPPING_DIR", &options.mapping_dir);
    let spinner = crate::build_progress::BuildSpinner::start(bin_name);
    let output = cargo.output();
    drop(spinner);
    let output = output.map_err(|e| {
        Diagnostic::error(Code::BuildFailed, format!("cannot run cargo: {e}"))
            .help("fdi builds the generated program with cargo; install the Rust toolchain or put cargo on PATH")
    })?;
    let messages = cargo_output::compiler_messages(
        &String::from_utf8_lossy(&output.stdout),
        &crate_dir.join("Cargo.toml"),
    );
    if !output.status.success() {
        let mut said: Vec<String> = messages
            .iter()
            .filter(|m| m.level == "error")
            .map(|m| m.rendered.trim_end().to_string())
            .collect();
        said.push(
            String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        );
        return Err(Diagnostic::error(Code::BuildFailed, "cargo could not build the generated program")
            .help(format!(
                "this is a bug in fdi if the mapping checked without errors; please report it with the mapping.\ncargo said:\n{}",
                cargo_output::shorten(&said.join("\n"), MAX_LINES_SHOWN)
            )));
    }
    let warnings: Vec<&str> = messages
        .iter()
        .filter(|m| m.in_generated_crate && m.level == "warning")
        .map(|m| m.rendered.trim_end())
        .collect();
    if options.deny_warnings && !warnings.is_empty() {
        return Err(Diagnostic::error(
            Code::BuildFailed,
            format!(
                "the generated program compiles with {} warning{}",
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" }
            ),
        )
        .help(format!(
            "generated code should compile without warnings; this is a bug in fdi, please report it with the mapping.\nthe compiler said:\n{}",
            cargo_output::shorten(&warnings.join("\n"), MAX_LINES_SHOWN)
        )));
    }
    let profile = if options.release { "release" } else { "debug" };
    let built = target_dir.join(profile).join(bin_name);
    let binary = crate_dir.join("bin").join(bin_name);
    std::fs::create_dir_all(crate_dir.join("bin")).map_err(|e| write_error(&crate_dir, e))?;
    // Copied beside it and renamed over it: the binary in place may be running (another
    // `fdi test` of the same mapping), and a running binary cannot be overwritten.
    let copied = binary.with_extension("new");
    std::fs::copy(&built, &copied).map_err(|e| write_error(&copied, e))?;
    std::fs::rename(&copied, &binary).map_err(|e| write_error(&binary, e))?;
    stamp.save(&crate_dir);
    drop(lock);
    Ok(binary)
}

/// How much of cargo's output a failed build shows.
const MAX_LINES_SHOWN: usize = 40;

/// The crate's cargo configuration, written by the build: where the runtime's source is.
const CARGO_CONFIG: &str = ".cargo/config.toml";

fn write_error(path: &Path, e: std::io::Error) -> Diagnostic {
    Diagnostic::error(
        Code::BuildFailed,
        format!("cannot write {}: {e}", path.display()),
    )
    .help("check that the folder is writable")
}

/// The manifest's volatile part, given to cargo as the environment variables the generated
/// `src/manifest.rs` reads with `option_env!`.
///
/// cargo rebuilds a crate when such a variable changes, so a new time on every build would
/// recompile every program every time it is run: the build time is that of the build that last
/// changed the program (its code or its git state), kept in the crate folder. With
/// `SOURCE_DATE_EPOCH` set, that time is used instead, for reproducible builds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BuildStamp {
    git: Option<GitState>,
    profile: &'static str,
    built_at: String,
}

impl BuildStamp {
    fn for_build(options: &BuildOptions, crate_dir: &Path, crate_changed: bool) -> Self {
        let mut stamp = BuildStamp {
            git: options.git.clone(),
            profile: if options.release { "release" } else { "debug" },
            built_at: String::new(),
        };
        let reproducible = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .and_then(|s| fdi_runtime::time::from_epoch_millis(s.saturating_mul(1000)).ok());
        let previous = std::fs::read_to_string(stamp.file(crate_dir)).ok();
        stamp.built_at = match (reproducible, previous) {
            (Some(time), _) => time.to_rfc3339(),
            (None, Some(previous)) if !crate_changed => match previous.split_once('\n') {
                Some((time, key)) if key == stamp.key() => time.to_string(),
                _ => now_to_the_second(),
            },
            _ => now_to_the_second(),
        };
        stamp
    }

    /// What the build time is kept for: the same git state and profile.
    fn key(&self) -> String {
        match &self.git {
            Some(git) => format!("{} {} {}", self.profile, git.commit, git.dirty),
            None => format!("{} none", self.profile),
        }
    }

    fn set_env(&self, cargo: &mut Command) {
        match &self.git {
            Some(git) => {
                cargo
                    .env("FDI_GIT_COMMIT", &git.commit)
                    .env("FDI_GIT_DIRTY", git.dirty.to_string());
            }
            None => {
                cargo
                    .env_remove("FDI_GIT_COMMIT")
                    .env_remove("FDI_GIT_DIRTY");
            }
        }
        cargo.env("FDI_BUILT_AT", &self.built_at);
    }

    /// One per profile, since `fdi test` (debug) and `fdi run` (release) share the crate folder.
    fn file(&self, crate_dir: &Path) -> PathBuf {
        crate_dir.join(format!("build-stamp-{}", self.profile))
    }

    /// Best effort: without the file, the next build takes a new time and recompiles.
    fn save(&self, crate_dir: &Path) {
        let _ = std::fs::write(
            self.file(crate_dir),
            format!("{}\n{}", self.built_at, self.key()),
        );
    }
}

fn now_to_the_second() -> String {
    let millis = fdi_runtime::time::to_epoch_millis(&fdi_runtime::Timestamp::now());
    fdi_runtime::time::from_epoch_millis(millis - millis.rem_euclid(1000))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Writes the files that differ from what is on disk, and the build's own files beside them:
/// the cargo configuration that points at `runtime`, and a `Cargo.lock` when there is none.
/// `true` when any file of the generated crate changed.
fn write_crate(generated: &GeneratedCrate, dir: &Path, runtime: &Path) -> std::io::Result<bool> {
    let mut changed = false;
    for (path, text) in &generated.files {
        changed |= write_if_changed(&dir.join(path), text)?;
    }
    // The generated Cargo.toml asks for `fdi-runtime` by version alone, as `fdi emit` must not
    // name a folder of this machine; the patch says where its source is.
    let config = format!(
        "# Written by `fdi build`: where this machine keeps the source of the runtime fdi carries.\n\
         [patch.crates-io]\n\
         fdi-runtime = {{ path = {} }}\n",
        toml::Value::String(runtime.to_string_lossy().into_owned())
    );
    write_if_changed(&dir.join(CARGO_CONFIG), &config)?;
    // Resolve dependencies to the versions the fdi workspace itself was tested with, so the
    // shared target directory reuses their builds. Cargo keeps it up to date from then on.
    let lock = dir.join("Cargo.lock");
    if !lock.exists() {
        std::fs::write(lock, runtime::LOCKFILE)?;
    }
    Ok(changed)
}

fn write_if_changed(file: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(file).ok().as_deref() == Some(text) {
        return Ok(false);
    }
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(file, text)?;
    Ok(true)
}

/// Makes cargo rebuild the package when it was last built, in this target directory, from
/// another crate folder.
///
/// Cargo keeps one build per package name and version in a target directory, and judges
/// whether it is fresh by comparing file times: a crate folder whose files did not change
/// since its own last build looks fresh even when another folder's crate of the same package
/// name (the same mapping name) was built since. Its files are touched in that case; the
/// record of which folder built each package is kept in the target directory.
fn claim_package(
    generated: &GeneratedCrate,
    crate_dir: &Path,
    target_dir: &Path,
) -> std::io::Result<()> {
    let record = target_dir.join("fdi-packages").join(&generated.package);
    let folder = crate_dir.to_string_lossy();
    if std::fs::read_to_string(&record).ok().as_deref() == Some(folder.as_ref()) {
        return Ok(());
    }
    let now = std::time::SystemTime::now();
    for path in generated.files.keys() {
        std::fs::File::options()
            .write(true)
            .open(crate_dir.join(path))?
            .set_modified(now)?;
    }
    // Known to differ (read above): written without reading it again.
    if let Some(records) = record.parent() {
        std::fs::create_dir_all(records)?;
    }
    std::fs::write(&record, folder.as_bytes())
}
