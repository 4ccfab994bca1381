//! Build script: embeds the source of the `fdi-runtime` crate in the compiler, so that a
//! generated program can be built wherever fdi is installed, with no checkout of fdi nearby
//! (`cargo install --path compiler`, then the checkout moved or deleted).
//!
//! It writes `$OUT_DIR/runtime_source.rs`, included by `compiler/src/runtime_source.rs`:
//! - `FILES`: every file under `runtime/src/`, by its path relative to the runtime's folder,
//!   and the runtime's `Cargo.toml` made standalone: what it inherits from the workspace
//!   (`version.workspace = true`, `serde.workspace = true`) resolved from the workspace's
//!   `Cargo.toml`, and its tests' dev-dependencies left out, since its tests are not embedded;
//! - `LOCKFILE`: the workspace's `Cargo.lock`, so generated programs use the dependency
//!   versions fdi was tested with.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let compiler = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = compiler.join("..");
    let runtime = workspace.join("runtime");
    if !runtime.join("Cargo.toml").is_file() {
        panic!(
            "fdi embeds the runtime crate's source and looks for it in {}; build fdi from its \
             repository (`cargo install --path compiler`), where `runtime/` sits beside `compiler/`",
            runtime.display()
        );
    }
    println!(
        "cargo:rerun-if-changed={}",
        runtime.join("Cargo.toml").display()
    );
    println!("cargo:rerun-if-changed={}", runtime.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let manifest = standalone_manifest(&runtime.join("Cargo.toml"), &workspace.join("Cargo.toml"));
    let manifest_file = out.join("runtime-Cargo.toml");
    std::fs::write(&manifest_file, manifest).expect("write the runtime's manifest");

    let mut sources = Vec::new();
    list_files(&runtime.join("src"), &mut sources);
    sources.sort();
    let mut files = vec![("Cargo.toml".to_string(), manifest_file)];
    for file in sources {
        let relative = file
            .strip_prefix(&runtime)
            .expect("under the runtime folder")
            .components()
            .map(|c| {
                c.as_os_str()
                    .to_str()
                    .expect("runtime file names are UTF-8")
            })
            .collect::<Vec<_>>()
            .join("/");
        files.push((relative, file));
    }

    let mut code = String::from(
        "/// The runtime crate's files: path relative to its folder (`/`-separated), and bytes.\n\
         pub const FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, file) in &files {
        let absolute = file.canonicalize().expect("embedded file exists");
        writeln!(code, "    ({relative:?}, include_bytes!({absolute:?})),").expect("string");
    }
    code.push_str("];\n");
    let lockfile = workspace
        .join("Cargo.lock")
        .canonicalize()
        .expect("Cargo.lock");
    writeln!(
        code,
        "/// The fdi workspace's `Cargo.lock`.\npub const LOCKFILE: &str = include_str!({lockfile:?});"
    )
    .expect("string");
    std::fs::write(out.join("runtime_source.rs"), code).expect("write runtime_source.rs");
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read runtime/src") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            list_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The runtime's manifest with every `workspace = true` replaced by the workspace's value, as
/// `cargo package` would write it, and without what only its own tests need.
fn standalone_manifest(runtime_manifest: &Path, workspace_manifest: &Path) -> String {
    let read = |path: &Path| -> toml::Table {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        text.parse()
            .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
    };
    let mut manifest = read(runtime_manifest);
    let workspace = read(workspace_manifest);
    let workspace = workspace
        .get("workspace")
        .and_then(toml::Value::as_table)
        .expect("the workspace's Cargo.toml has [workspace]");
    let empty = toml::Table::new();
    let package_fields = workspace
        .get("package")
        .and_then(toml::Value::as_table)
        .unwrap_or(&empty);
    let dependencies = workspace
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .unwrap_or(&empty);

    if let Some(package) = manifest
        .get_mut("package")
        .and_then(toml::Value::as_table_mut)
    {
        for (key, value) in package.iter_mut() {
            if is_inherited(value) {
                *value = package_fields
                    .get(key)
                    .unwrap_or_else(|| panic!("[workspace.package] has no {key}"))
                    .clone();
            }
        }
    }
    for section in ["dev-dependencies", "test", "bench", "example"] {
        manifest.remove(section);
    }
    for section in ["dependencies", "build-dependencies"] {
        if let Some(table) = manifest
            .get_mut(section)
            .and_then(toml::Value::as_table_mut)
        {
            for (name, dependency) in table.iter_mut() {
                if is_inherited(dependency) {
                    *dependency = inherit_dependency(name, dependency, dependencies);
                }
            }
        }
    }
    format!(
        "# The fdi-runtime crate as embedded in fdi {}: what it inherits from fdi's workspace is\n\
         # written out. Written by fdi for the programs it builds; do not edit.\n{}",
        std::env::var("CARGO_PKG_VERSION").expect("set by cargo"),
        toml::to_string(&manifest).expect("a TOML table prints")
    )
}

/// `key.workspace = true`, or `key = { workspace = true, ... }`.
fn is_inherited(value: &toml::Value) -> bool {
    value
        .as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(toml::Value::as_bool)
        == Some(true)
}

/// A dependency that inherits from `[workspace.dependencies]`: the workspace's entry, with
/// the features the member adds (cargo's rule: features add up; `optional` is the member's).
fn inherit_dependency(name: &str, member: &toml::Value, workspace: &toml::Table) -> toml::Value {
    let mut resolved = match workspace.get(name) {
        Some(toml::Value::String(version)) => {
            let mut table = toml::Table::new();
            table.insert("version".into(), toml::Value::String(version.clone()));
            table
        }
        Some(toml::Value::Table(table)) => table.clone(),
        _ => panic!("[workspace.dependencies] has no {name}"),
    };
    let member = member
        .as_table()
        .expect("an inherited dependency is a table");
    if let Some(features) = member.get("features").and_then(toml::Value::as_array) {
        let all = resolved
            .entry("features")
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        if let Some(all) = all.as_array_mut() {
            for feature in features {
                if !all.contains(feature) {
                    all.push(feature.clone());
                }
            }
        }
    }
    if let Some(optional) = member.get("optional") {
        resolved.insert("optional".into(), optional.clone());
    }
    toml::Value::Table(resolved)
}
