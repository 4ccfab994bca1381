//! The build manifest of a generated program: what it was built from.
//!
//! The compiler writes the pure part into the generated `src/manifest.rs`: the SHA-256 of the mapping, of every
//! module it imports, of every schema file and of every master-data file an enum reads its codes `from:`, the
//! compiler's version, and the SHA-256 of the generated code itself. The build stage adds what depends on the
//! moment and the checkout, as environment variables that the generated code reads with `option_env!` when cargo
//! compiles it: `FDI_GIT_COMMIT`, `FDI_GIT_DIRTY` and `FDI_BUILT_AT`. So `fdi emit` prints the same text for the
//! same inputs, and a program built without `fdi build` says that it does not know those parts.
//!
//! `PROGRAM --version` prints [`version_line`], `PROGRAM manifest` prints [`Manifest::render_human`] or (with
//! `--format json`) [`Manifest::to_json`].

use serde_json::{json, Value};

/// One file the program was generated from: its path relative to the mapping's folder, with forward slashes, and
/// the SHA-256 of its bytes in lower-case hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputFile {
    pub path: &'static str,
    pub sha256: &'static str,
}

/// What a generated program was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// The version of the fdi compiler that generated the program.
    pub compiler_version: &'static str,
    /// The mapping file.
    pub mapping: InputFile,
    /// The modules the mapping imports, directly or through other modules, in the order first imported.
    pub modules: &'static [InputFile],
    /// The schema files, in the order loaded.
    pub schemas: &'static [InputFile],
    /// The master-data files enums read their codes `from:`.
    pub master_data: &'static [InputFile],
    /// The SHA-256 of the generated crate's files other than `src/manifest.rs` (see the compiler's
    /// `manifest::code_sha256` for the exact bytes hashed).
    pub generated_code_sha256: &'static str,
    /// The commit checked out in the mapping's git repository when the program was built (`FDI_GIT_COMMIT`).
    pub git_commit: Option<&'static str>,
    /// `"true"` when the mapping, its modules, schemas or master-data files differed from that commit
    /// (`FDI_GIT_DIRTY`).
    pub git_dirty: Option<&'static str>,
    /// When the program was built, RFC 3339 in UTC (`FDI_BUILT_AT`).
    pub built_at: Option<&'static str>,
    /// What each flow promises for each record (`delivery` in the mapping; docs/delivery.md).
    pub deliveries: &'static [crate::FlowDelivery],
}

impl Manifest {
    /// A manifest that knows nothing, for programs assembled by hand (tests of the runtime).
    pub const UNKNOWN: Manifest = Manifest {
        compiler_version: "unknown",
        mapping: InputFile {
            path: "unknown",
            sha256: "unknown",
        },
        modules: &[],
        schemas: &[],
        master_data: &[],
        generated_code_sha256: "unknown",
        git_commit: None,
        git_dirty: None,
        built_at: None,
        deliveries: &[],
    };

    /// Whether the inputs differed from the git commit; `None` outside a git repository.
    pub fn git_dirty(&self) -> Option<bool> {
        self.git_dirty.map(|dirty| dirty == "true")
    }

    /// The manifest as one JSON document (`PROGRAM manifest --format json`).
    pub fn to_json(&self, mapping: &str, version: &str) -> Value {
        let files = |files: &[InputFile]| -> Value {
            files
                .iter()
                .map(|f| json!({ "path": f.path, "sha256": f.sha256 }))
                .collect()
        };
        let git = match self.git_commit {
            Some(commit) => json!({ "commit": commit, "dirty": self.git_dirty() }),
            None => Value::Null,
        };
        json!({
            "mapping": {
                "name": mapping,
                "version": version,
                "path": self.mapping.path,
                "sha256": self.mapping.sha256,
            },
            "modules": files(self.modules),
            "schemas": files(self.schemas),
            "master_data": files(self.master_data),
            "compiler_version": self.compiler_version,
            "runtime_version": env!("CARGO_PKG_VERSION"),
            "generated_code_sha256": self.generated_code_sha256,
            "git": git,
            "built_at": self.built_at,
            "delivery": self
                .deliveries
                .iter()
                .map(|d| json!({
                    "flow": d.flow,
                    "source": d.source,
                    "target": d.target,
                    "guarantee": d.delivery.as_str(),
                }))
                .collect::<Vec<Value>>(),
        })
    }

    /// The manifest for people (`PROGRAM manifest`): one fact per line, hashes in full.
    pub fn render_human(&self, mapping: &str, version: &str) -> String {
        let mut out = format!("mapping {mapping} {version}\n");
        let mut file = |role: &str, f: &InputFile| {
            out.push_str(&format!("{role:<12} {}  {}\n", f.sha256, f.path));
        };
        file("mapping", &self.mapping);
        for f in self.modules {
            file("module", f);
        }
        for f in self.schemas {
            file("schema", f);
        }
        for f in self.master_data {
            file("master data", f);
        }
        out.push_str(&format!("{:<12} {}\n", "code", self.generated_code_sha256));
        out.push_str(&format!("compiler     fdi {}\n", self.compiler_version));
        out.push_str(&format!(
            "runtime      fdi-runtime {}\n",
            env!("CARGO_PKG_VERSION")
        ));
        out.push_str(&format!("git          {}\n", self.git_text()));
        out.push_str(&format!(
            "built at     {}\n",
            self.built_at.unwrap_or("unknown")
        ));
        for d in self.deliveries {
            out.push_str(&format!(
                "delivery     {} (flow {}: {} -> {})\n",
                d.delivery, d.flow, d.source, d.target
            ));
        }
        out
    }

    /// The guarantees of the flows, each once, in the order first stated: `at_least_once`, or
    /// `at_least_once, at_most_once` when the flows differ.
    pub fn delivery_text(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for d in self.deliveries {
            if !seen.contains(&d.delivery.as_str()) {
                seen.push(d.delivery.as_str());
            }
        }
        seen.join(", ")
    }

    /// `0123abcd...` (the commit), with ` (modified)` when the inputs differed from it, or `not in git`.
    fn git_text(&self) -> String {
        match (self.git_commit, self.git_dirty()) {
            (Some(commit), Some(true)) => format!("{commit} (modified)"),
            (Some(commit), _) => commit.to_string(),
            (None, _) => "not in git".to_string(),
        }
    }
}

/// `PROGRAM --version`: "mill_to_mes 0.1.0 (mapping sha256 3f2a9c1b07de, fdi 0.1.0, git 1a2b3c4d5e6f)".
pub fn version_line(mapping: &str, version: &str, manifest: &Manifest) -> String {
    let short = |hash: &str| hash.chars().take(12).collect::<String>();
    let git = match (manifest.git_commit, manifest.git_dirty()) {
        (Some(commit), Some(true)) => format!("git {} modified", short(commit)),
        (Some(commit), _) => format!("git {}", short(commit)),
        (None, _) => "not in git".to_string(),
    };
    let delivery = match manifest.delivery_text() {
        text if text.is_empty() => String::new(),
        text => format!(", delivery {text}"),
    };
    format!(
        "{mapping} {version} (mapping sha256 {}, fdi {}, {git}{delivery})",
        short(manifest.mapping.sha256),
        manifest.compiler_version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: Manifest = Manifest {
        compiler_version: "0.1.0",
        mapping: InputFile {
            path: "line.fdi",
            sha256: "3f2a9c1b07de5566778899aabbccddeeff00112233445566778899aabbccddee",
        },
        modules: &[InputFile {
            path: "common/units.fdi",
            sha256: "aa",
        }],
        schemas: &[InputFile {
            path: "schemas/plant.yaml",
            sha256: "bb",
        }],
        master_data: &[],
        generated_code_sha256: "cc",
        git_commit: Some("1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"),
        git_dirty: Some("true"),
        built_at: Some("2025-01-02T03:04:05Z"),
        deliveries: &[
            crate::FlowDelivery {
                flow: "spindle",
                source: "mill",
                target: "history",
                delivery: crate::Delivery::AtLeastOnce,
            },
            crate::FlowDelivery {
                flow: "phase",
                source: "mill",
                target: "states",
                delivery: crate::Delivery::AtLeastOnce,
            },
        ],
    };

    #[test]
    fn version_line_is_short() {
        assert_eq!(
            version_line("line", "1.0", &MANIFEST),
            "line 1.0 (mapping sha256 3f2a9c1b07de, fdi 0.1.0, git 1a2b3c4d5e6f modified, delivery at_least_once)"
        );
        assert_eq!(
            version_line("line", "1.0", &Manifest::UNKNOWN),
            "line 1.0 (mapping sha256 unknown, fdi unknown, not in git)"
        );
    }

    #[test]
    fn json_holds_every_part() {
        let json = MANIFEST.to_json("line", "1.0");
        assert_eq!(json["mapping"]["sha256"], MANIFEST.mapping.sha256);
        assert_eq!(json["modules"][0]["path"], "common/units.fdi");
        assert_eq!(json["schemas"][0]["sha256"], "bb");
        assert_eq!(json["git"]["dirty"], true);
        assert_eq!(json["built_at"], "2025-01-02T03:04:05Z");
        assert_eq!(json["delivery"][1]["flow"], "phase");
        assert_eq!(json["delivery"][1]["guarantee"], "at_least_once");
        assert_eq!(Manifest::UNKNOWN.to_json("line", "1.0")["git"], Value::Null);
    }

    #[test]
    fn human_form_lists_files_and_build() {
        let text = MANIFEST.render_human("line", "1.0");
        assert!(
            text.contains("module       aa  common/units.fdi\n"),
            "{text}"
        );
        assert!(text.contains("git          1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d (modified)\n"));
        assert!(text.contains("built at     2025-01-02T03:04:05Z\n"));
        assert!(text.contains("delivery     at_least_once (flow spindle: mill -> history)\n"));
    }
}
