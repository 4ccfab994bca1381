//! What cargo said while building a generated program: the compiler's messages, read from
//! `--message-format json`, and the shortened text a build failure shows.

use std::path::Path;

/// One diagnostic of the compiler, as cargo's JSON output carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompilerMessage {
    /// `error`, `warning`, `note`, ...
    pub level: String,
    /// The diagnostic as rustc prints it, starting with its `error[E0308]: ...` line.
    pub rendered: String,
    /// Whether it is about the generated crate (not about a dependency).
    pub in_generated_crate: bool,
}

#[derive(serde::Deserialize)]
struct Line {
    reason: String,
    manifest_path: Option<String>,
    message: Option<Message>,
}

#[derive(serde::Deserialize)]
struct Message {
    level: String,
    rendered: Option<String>,
    code: Option<serde_json::Value>,
    #[serde(default)]
    spans: Vec<serde_json::Value>,
}

/// The compiler's diagnostics in cargo's JSON output (`stdout` of `cargo build
/// --message-format json`), in order. rustc's closing counts ("aborting due to 2 previous
/// errors", "3 warnings emitted") are left out: they have neither a code nor a place.
pub fn compiler_messages(stdout: &str, generated_manifest: &Path) -> Vec<CompilerMessage> {
    let generated = generated_manifest.canonicalize().ok();
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Line>(line).ok())
        .filter(|line| line.reason == "compiler-message")
        .filter_map(|line| {
            let message = line.message?;
            let summary = message.spans.is_empty()
                && message.code.as_ref().is_none_or(serde_json::Value::is_null);
            if summary {
                return None;
            }
            let in_generated_crate = match (&line.manifest_path, &generated) {
                (Some(path), Some(generated)) => {
                    Path::new(path).canonicalize().ok().as_ref() == Some(generated)
                }
                _ => false,
            };
            Some(CompilerMessage {
                level: message.level,
                rendered: message.rendered.unwrap_or_default(),
                in_generated_crate,
            })
        })
        .collect()
}

/// `text` cut to `max_lines` lines for a diagnostic's help, when it is longer. A build's
/// output is mostly context, and its first `error` line says what went wrong: the cut starts
/// there (dropping what comes before it), so it is kept however long the rest is; the last
/// line says how many lines were left out.
pub fn shorten(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_lines {
        return text.trim_end().to_string();
    }
    let start = lines
        .iter()
        .position(|line| line.starts_with("error"))
        .unwrap_or_else(|| lines.len().saturating_sub(max_lines));
    let kept = &lines[start..lines.len().min(start + max_lines.max(1))];
    let left_out = lines.len() - kept.len();
    let mut out = kept.join("\n");
    if left_out > 0 {
        out.push_str(&format!(
            "\n... ({left_out} more line{} of cargo's output left out)",
            if left_out == 1 { "" } else { "s" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failing build's output as cargo prints it: compiling lines, one long error, more
    /// errors, the summary.
    fn long_failure() -> String {
        let mut text =
            String::from("   Compiling fdi-runtime v0.1.0\n   Compiling fdi-demo v0.0.0\n");
        text.push_str("error[E0308]: mismatched types\n  --> src/flows/spindle.rs:12:20\n");
        for i in 0..60 {
            text.push_str(&format!("   | context line {i}\n"));
        }
        text.push_str(
            "error: could not compile `fdi-demo` (bin \"demo\") due to 1 previous error\n",
        );
        text
    }

    #[test]
    fn shortening_keeps_the_first_error_line() {
        let short = shorten(&long_failure(), 40);
        let lines: Vec<&str> = short.lines().collect();
        assert_eq!(lines[0], "error[E0308]: mismatched types");
        assert_eq!(lines.len(), 41, "{short}");
        assert!(lines[40].contains("25 more lines"), "{short}");
    }

    #[test]
    fn short_output_is_kept_whole() {
        let text = "   Compiling x\nerror: no matching package named `fdi-runtime` found\nlocation searched: crates.io index\n";
        assert_eq!(shorten(text, 40), text.trim_end());
    }

    #[test]
    fn output_without_an_error_line_keeps_its_end() {
        let text: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
        let short = shorten(&text.join("\n"), 10);
        assert!(short.starts_with("line 40\n"), "{short}");
        assert!(
            short.ends_with("(40 more lines of cargo's output left out)"),
            "{short}"
        );
    }

    #[test]
    fn reads_the_generated_crates_warnings_and_skips_the_counts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&manifest, "").expect("write");
        let ours = serde_json::json!({
            "reason": "compiler-message",
            "manifest_path": manifest,
            "message": {"level": "warning", "code": {"code": "unused_variables"},
                        "spans": [{}], "rendered": "warning: unused variable: `x`\n"}
        });
        let theirs = serde_json::json!({
            "reason": "compiler-message",
            "manifest_path": "/elsewhere/Cargo.toml",
            "message": {"level": "warning", "code": {"code": "dead_code"},
                        "spans": [{}], "rendered": "warning: function `f` is never used\n"}
        });
        let count = serde_json::json!({
            "reason": "compiler-message",
            "manifest_path": manifest,
            "message": {"level": "warning", "code": null, "spans": [],
                        "rendered": "warning: 1 warning emitted\n"}
        });
        let artifact = serde_json::json!({"reason": "compiler-artifact"});
        let stdout = [ours, theirs, count, artifact]
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let messages = compiler_messages(&stdout, &manifest);
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].in_generated_crate);
        assert_eq!(messages[0].rendered, "warning: unused variable: `x`\n");
        assert!(!messages[1].in_generated_crate);
    }
}
