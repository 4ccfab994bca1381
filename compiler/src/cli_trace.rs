//! The CLI of the traceability commands: `fdi graph`, `fdi lineage`, `fdi diff`. Reads the
//! files (and git revisions), calls the pure stages in `lineage` and `diff`, and writes the
//! output; part of the binary, like `main.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use fdi_compiler::diagnostic::{Code, Diagnostic};
use fdi_compiler::source_map::SourceMap;
use fdi_compiler::{compile, compile_with_tree, diff, lineage};

use crate::{print_out, report, Format};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

/// `fdi graph`: the lineage picture of a mapping.
pub fn graph(file: &Path, format: GraphFormat, out: Option<&Path>) -> ExitCode {
    let mut sources = SourceMap::new();
    let program = match compile(file, &mut sources) {
        Ok(p) => p,
        Err(d) => {
            report(&d, &sources);
            return ExitCode::from(1);
        }
    };
    let picture = lineage::picture(&lineage::lineage(&program));
    let text = match format {
        GraphFormat::Mermaid => lineage::render_mermaid(&picture),
        GraphFormat::Dot => lineage::render_dot(&picture),
        GraphFormat::Svg => lineage::render_svg(&picture),
    };
    match out {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::from(1)
            }
        },
        None => {
            print_out(&text);
            ExitCode::SUCCESS
        }
    }
}

/// `fdi lineage`: what one target field depends on.
pub fn lineage(file: &Path, field: &str, format: Format) -> ExitCode {
    let mut sources = SourceMap::new();
    let program = match compile(file, &mut sources) {
        Ok(p) => p,
        Err(d) => {
            report(&d, &sources);
            return ExitCode::from(1);
        }
    };
    let query_file = sources.add("<TARGET.FIELD>", field);
    let lineage = lineage::lineage(&program);
    match lineage::field_lineage(&program, &lineage, field, query_file) {
        Ok(answer) => {
            match format {
                Format::Human => print_out(&lineage::describe(&answer)),
                Format::Json => print_out(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&lineage::to_json(&answer)).unwrap_or_default()
                )),
            }
            ExitCode::SUCCESS
        }
        Err(d) => {
            report(&[d], &sources);
            ExitCode::from(1)
        }
    }
}

/// `fdi diff OLD NEW` or `fdi diff --git REV1 REV2 FILE`: exit 0 when the versions mean the
/// same, 1 when they differ, 2 on errors.
pub fn diff(args: &[String], git: bool, format: Format) -> ExitCode {
    let (old_dir, new_dir);
    let (old_path, new_path, old_name, new_name) = match (git, args) {
        (false, [old, new]) => (
            PathBuf::from(old),
            PathBuf::from(new),
            old.clone(),
            new.clone(),
        ),
        (true, [rev1, rev2, file]) => {
            let checkout = |rev: &str| checkout_at(rev, Path::new(file));
            match (checkout(rev1), checkout(rev2)) {
                (Ok((d1, p1)), Ok((d2, p2))) => {
                    let names = (format!("{rev1}:{file}"), format!("{rev2}:{file}"));
                    old_dir = d1;
                    new_dir = d2;
                    let _keep = (&old_dir, &new_dir);
                    (p1, p2, names.0, names.1)
                }
                (Err(d), _) | (_, Err(d)) => {
                    report(&[d], &SourceMap::new());
                    return ExitCode::from(2);
                }
            }
        }
        (false, _) => {
            eprintln!("error: `fdi diff` takes two mapping files: fdi diff OLD.fdi NEW.fdi");
            return ExitCode::from(2);
        }
        (true, _) => {
            eprintln!("error: `fdi diff --git` takes two revisions and a file: fdi diff --git REV1 REV2 FILE");
            return ExitCode::from(2);
        }
    };
    let mut sources = SourceMap::new();
    let old = compile_with_tree(&old_path, &mut sources);
    let new = compile_with_tree(&new_path, &mut sources);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let mut all = old.err().unwrap_or_default();
            all.extend(new.err().unwrap_or_default());
            report(&all, &sources);
            return ExitCode::from(2);
        }
    };
    let result = diff::diff(
        &diff::Version {
            tree: &old.0,
            program: &old.1,
        },
        &diff::Version {
            tree: &new.0,
            program: &new.1,
        },
    );
    match format {
        Format::Human => print_out(&diff::render_text(&result, &old_name, &new_name)),
        Format::Json => print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&diff::render_json(&result)).unwrap_or_default()
        )),
    }
    if result.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A temporary folder removed when dropped.
/// The repository's whole tree at `rev` in a temporary folder (`git archive`), so that the
/// mapping's imports, schemas and master data are read as they were at that revision; and
/// where `file` is in it.
fn checkout_at(rev: &str, file: &Path) -> Result<(tempfile::TempDir, PathBuf), Diagnostic> {
    let unreadable = |why: String| {
        Diagnostic::error(
            Code::GitRevisionUnreadable,
            format!("cannot read {} at revision `{rev}`: {why}", file.display()),
        )
        .help("give revisions git knows (`git log --oneline`), and a file inside the repository")
    };
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let git = |args: &[&str]| -> Result<String, String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git ({e})"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    };
    let top = git(&["rev-parse", "--show-toplevel"]).map_err(unreadable)?;
    let prefix = git(&["rev-parse", "--show-prefix"]).map_err(unreadable)?;
    let name = file
        .file_name()
        .ok_or_else(|| unreadable("not a file name".to_string()))?;
    let relative = Path::new(&prefix).join(name);
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| unreadable("no such revision".to_string()))?;
    git(&["cat-file", "-e", &format!("{rev}:{}", relative.display())])
        .map_err(|_| unreadable("the file does not exist at that revision".to_string()))?;

    // A fresh folder of our own (never one that already exists, which another user could
    // have prepared), removed when the diff is done.
    let tmp = tempfile::Builder::new()
        .prefix("fdi-diff-")
        .tempdir()
        .map_err(|e| unreadable(format!("cannot create a temporary folder ({e})")))?;
    let archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", rev])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| unreadable(format!("cannot run git archive ({e})")))?;
    let mut archive = archive;
    let stdout = archive
        .stdout
        .take()
        .ok_or_else(|| unreadable("git archive gave no output".to_string()))?;
    let status = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp.path())
        .stdin(stdout)
        .status()
        .map_err(|e| unreadable(format!("cannot run tar ({e})")))?;
    let archived = archive
        .wait()
        .map_err(|e| unreadable(format!("git archive did not finish ({e})")))?;
    if !status.success() || !archived.success() {
        return Err(unreadable(
            "the revision's files could not be unpacked".to_string(),
        ));
    }
    let path = tmp.path().join(relative);
    Ok((tmp, path))
}
