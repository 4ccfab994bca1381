//! The runtime crate generated programs link, as fdi carries it: its source is embedded when
//! fdi is compiled (`compiler/embed_runtime.rs`) and written once per fdi version and runtime
//! content into a cache folder, which the build points cargo at. So an installed fdi builds
//! programs with no checkout of its repository nearby, and two fdi versions on one machine
//! never share a runtime folder.

use std::io;
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime_source.rs"));
}

/// The fdi workspace's `Cargo.lock`: a generated crate starts from it, so that its dependencies
/// have the versions fdi was tested with and reuse their builds in the shared target directory.
pub const LOCKFILE: &str = embedded::LOCKFILE;

/// The folder name of this runtime: fdi's version and the start of the SHA-256 over every
/// embedded file (path, length, bytes), so that a change to the runtime's source under the
/// same version (a development build) gets a folder of its own.
pub fn folder_name() -> String {
    let mut all = Vec::new();
    for (path, bytes) in embedded::FILES {
        all.extend_from_slice(path.as_bytes());
        all.push(b'\n');
        all.extend_from_slice(bytes.len().to_string().as_bytes());
        all.push(b'\n');
        all.extend_from_slice(bytes);
    }
    let hash = crate::manifest::sha256_hex(&all);
    format!("{}-{}", env!("CARGO_PKG_VERSION"), &hash[..16])
}

/// Makes sure the runtime is in `cache/<folder_name()>` and returns that folder.
///
/// The files are written into a temporary folder beside it, which is then renamed into place:
/// a folder with the final name is always complete, and of two builds writing at once the
/// second rename fails harmlessly and that build uses the first one's folder.
pub fn install(cache: &Path) -> io::Result<PathBuf> {
    let folder = cache.join(folder_name());
    if folder.join("Cargo.toml").is_file() {
        return Ok(folder);
    }
    std::fs::create_dir_all(cache)?;
    let staging = tempfile::Builder::new()
        .prefix(".writing-")
        .tempdir_in(cache)?;
    for (path, bytes) in embedded::FILES {
        let file = staging.path().join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, bytes)?;
    }
    match std::fs::rename(staging.path(), &folder) {
        Ok(()) => {
            // Renamed: nothing left for the guard to delete.
            let _ = staging.keep();
            Ok(folder)
        }
        // Another build put it there first (the staging folder is deleted on drop).
        Err(_) if folder.join("Cargo.toml").is_file() => Ok(folder),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_the_runtime_with_a_standalone_manifest() {
        let manifest = embedded::FILES
            .iter()
            .find(|(path, _)| *path == "Cargo.toml")
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
            .expect("the runtime's Cargo.toml is embedded");
        let parsed: toml::Table = manifest.parse().expect("valid TOML");
        assert!(
            !manifest.contains("workspace = true") && !manifest.contains("workspace=true"),
            "inherits nothing:\n{manifest}"
        );
        assert_eq!(parsed["package"]["name"].as_str(), Some("fdi-runtime"));
        assert_eq!(
            parsed["package"]["version"].as_str(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert!(parsed["dependencies"]["serde"]["version"].is_str());
        // The optional codecs stay optional and selectable: a generated program's Cargo.toml
        // enables the features its connectors need.
        assert_eq!(
            parsed["features"]["sparkplug"].as_array(),
            Some(&vec![toml::Value::from("dep:prost")]),
            "{manifest}"
        );
        assert_eq!(
            parsed["dependencies"]["prost"]["optional"].as_bool(),
            Some(true)
        );
        assert!(
            parsed.get("dev-dependencies").is_none(),
            "the runtime's tests are not embedded, nor what they need"
        );
        assert!(embedded::FILES
            .iter()
            .any(|(path, _)| *path == "src/sparkplug/proto/org.eclipse.tahu.protobuf.rs"));
        assert!(embedded::FILES
            .iter()
            .any(|(path, _)| *path == "src/lib.rs"));
        assert!(LOCKFILE.contains("name = \"fdi-runtime\""));
    }

    #[test]
    fn installs_once_and_completely() {
        let cache = tempfile::tempdir().expect("temp dir");
        let folder = install(cache.path()).expect("install");
        assert_eq!(folder, cache.path().join(folder_name()));
        for (path, bytes) in embedded::FILES {
            assert_eq!(
                std::fs::read(folder.join(path)).expect("written"),
                *bytes,
                "{path}"
            );
        }
        // A second install finds it and leaves no staging folder behind.
        assert_eq!(install(cache.path()).expect("again"), folder);
        let entries: Vec<_> = std::fs::read_dir(cache.path())
            .expect("cache")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from(folder_name())]);
    }
}
