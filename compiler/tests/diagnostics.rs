//! Every `.fdi` file under `tests/cases/` is compiled up to the typed program and its
//! diagnostics are snapshotted, rendered as a person sees them. The file's first line says
//! what must happen: `// expect: ok`, or `// expect: E0304` (that code must be reported).

use std::path::{Path, PathBuf};

use fdi_compiler::diagnostic::Code;
use fdi_compiler::source_map::SourceMap;

/// The workspace root: case paths in snapshots are relative to it, so they read like the
/// paths a user would type.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expectation(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("// expect:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("a case file must start with `// expect: ok` or `// expect: E0xxx`"))
}

#[test]
fn diagnostics() {
    insta::glob!("../../tests/cases", "**/*.fdi", |path| {
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let expected = expectation(&text).to_string();
        let relative = path.strip_prefix(workspace_root().canonicalize().unwrap()).unwrap_or(path);
        let _cwd = CwdGuard::enter(&workspace_root());
        let mut sources = SourceMap::new();
        let result = fdi_compiler::compile(relative, &mut sources);
        let diagnostics = result.err().unwrap_or_default();
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        if expected == "ok" {
            assert!(diagnostics.is_empty(), "{} should compile, got {codes:?}", relative.display());
        } else {
            let code = Code::ALL
                .iter()
                .find(|c| c.as_str().ends_with(&expected))
                .unwrap_or_else(|| panic!("unknown code {expected}"));
            assert!(
                codes.contains(&code.as_str()),
                "{} should report {expected}, got {codes:?}",
                relative.display()
            );
        }
        let rendered: Vec<String> = diagnostics.iter().map(|d| d.render_plain(&sources)).collect();
        insta::assert_snapshot!(rendered.join("\n"));
    });
}

/// Cases run with the workspace root as working directory, one at a time.
struct CwdGuard {
    previous: PathBuf,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl CwdGuard {
    fn enter(dir: &Path) -> Self {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let previous = std::env::current_dir().expect("current dir");
        std::env::set_current_dir(dir).expect("workspace root exists");
        CwdGuard { previous, _lock: lock }
    }
}

impl Drop for CwdGuard {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.previous);
    }
}
