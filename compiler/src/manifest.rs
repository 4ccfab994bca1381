//! The build manifest's pure part: SHA-256 hashes of the files a compilation read (the mapping, its
//! modules, schemas and master-data files, all already in the [`SourceMap`]) and of the generated
//! code. The emit stage prints them into the generated `src/manifest.rs`; the parts that depend on
//! the moment and the checkout (git commit, build time) are gathered by the build stage
//! (`build::BuildStamp`) and reach the program as environment variables of its cargo build, so
//! that emitting stays a pure function of the inputs.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::source_map::{FileKind, SourceMap};

/// A file's path relative to the mapping's folder (forward slashes) and its SHA-256, hex.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
}

/// The hashed inputs of one compilation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inputs {
    pub mapping: FileHash,
    pub modules: Vec<FileHash>,
    pub schemas: Vec<FileHash>,
    pub master_data: Vec<FileHash>,
}

/// The file the generated code's hash leaves out: the manifest, which holds that hash.
pub const MANIFEST_FILE: &str = "src/manifest.rs";

/// The SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hashes every file of `sources` (the texts the compilation read; the first mapping file is the
/// mapping, later ones its modules). Paths are made relative to `mapping_folder`, the mapping's
/// folder as the user named it, so the manifest is the same on every machine.
pub fn inputs(sources: &SourceMap, mapping_folder: &Path) -> Inputs {
    let mut inputs = Inputs::default();
    let mut seen_mapping = false;
    for file in sources.files() {
        let hash = FileHash {
            path: relative_to(&file.path, mapping_folder),
            sha256: sha256_hex(file.text.as_bytes()),
        };
        match file.kind {
            FileKind::Mapping if !seen_mapping => {
                seen_mapping = true;
                inputs.mapping = hash;
            }
            FileKind::Mapping => inputs.modules.push(hash),
            FileKind::Schema => inputs.schemas.push(hash),
            FileKind::MasterData => inputs.master_data.push(hash),
        }
    }
    inputs
}

/// The SHA-256 of a generated crate's files except [`MANIFEST_FILE`]: for each file in path order,
/// its path, a line feed, its length in bytes in decimal, a line feed, then its text.
pub fn code_sha256(files: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (path, text) in files.iter().filter(|(path, _)| *path != MANIFEST_FILE) {
        hasher.update(format!("{path}\n{}\n", text.len()).as_bytes());
        hasher.update(text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `path` relative to `base`, both taken lexically (as the compiler built them, from the mapping's
/// path), with forward slashes.
pub(crate) fn relative_to(path: &Path, base: &Path) -> String {
    let path = crate::normalize(path);
    let base = crate::normalize(base);
    let path: Vec<Component> = path.components().collect();
    let base: Vec<Component> = base.components().collect();
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for part in &path[common..] {
        relative.push(part);
    }
    relative.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_mapping_folder() {
        let base = Path::new("examples/cmm");
        assert_eq!(
            relative_to(Path::new("examples/cmm/schemas/q.yaml"), base),
            "schemas/q.yaml"
        );
        assert_eq!(
            relative_to(Path::new("examples/shared/m.csv"), base),
            "../shared/m.csv"
        );
        assert_eq!(
            relative_to(Path::new("line.fdi"), Path::new(".")),
            "line.fdi"
        );
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn inputs_sort_files_by_kind() {
        let mut sources = SourceMap::new();
        sources.add("m/line.fdi", "mapping line version \"1\"");
        sources.add("m/common/units.fdi", "module units");
        sources.add_as("m/schemas/p.yaml", "entities: {}", FileKind::Schema);
        sources.add_as("m/master/s.csv", "code\nA\n", FileKind::MasterData);
        let inputs = inputs(&sources, Path::new("m"));
        assert_eq!(inputs.mapping.path, "line.fdi");
        assert_eq!(
            inputs.mapping.sha256,
            sha256_hex(b"mapping line version \"1\"")
        );
        assert_eq!(inputs.modules[0].path, "common/units.fdi");
        assert_eq!(inputs.schemas[0].path, "schemas/p.yaml");
        assert_eq!(inputs.master_data[0].path, "master/s.csv");
    }

    #[test]
    fn code_hash_leaves_out_the_manifest() {
        let mut files = BTreeMap::from([("src/main.rs".to_string(), "fn main() {}".to_string())]);
        let without = code_sha256(&files);
        files.insert(MANIFEST_FILE.to_string(), "anything".to_string());
        assert_eq!(code_sha256(&files), without);
        files.insert("src/types.rs".to_string(), String::new());
        assert_ne!(code_sha256(&files), without);
    }
}
