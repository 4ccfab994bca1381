//! Master data: tables loaded whole before any source is read, looked up by key while mapping.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::decode::decode;
use crate::error::RunError;
use crate::outcome::Failure;
use crate::record::Position;
use crate::source::{CsvSource, JsonlSource, Source};

/// A master-data table keyed by text.
///
/// Loading is strict: a row that does not decode or a duplicate key stops the run before any record is read,
/// because mapping a production line against wrong master data would reject (or worse, mis-map) everything.
#[derive(Debug, Clone)]
pub struct Lookup<T> {
    /// Shared with the failure of a miss, which writes its text only if it is reported.
    name: Arc<str>,
    /// Keyed by text with foldhash: every record looks up here, and SipHash (std's default,
    /// built against hash flooding by untrusted keys) cost 2% of the machine_state bench.
    /// foldhash is seeded per process, so keys crafted in advance do not collide.
    rows: foldhash::HashMap<String, T>,
}

impl<T: DeserializeOwned> Lookup<T> {
    /// Load a CSV master-data table; `key` gives each row's key text. A row that does not decode, or a duplicate
    /// key, is a fatal `RunError` naming the file, the row number and the key.
    pub fn load_csv(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Self, RunError> {
        let source = CsvSource::open(&format!("lookup {name}"), path)?;
        Self::load_from(name, path, type_name, key, source)
    }

    /// Load a JSON Lines master-data table, like [`Lookup::load_csv`].
    pub fn load_jsonl(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Self, RunError> {
        let source = JsonlSource::open(&format!("lookup {name}"), path)?;
        Self::load_from(name, path, type_name, key, source)
    }

    /// Loads the table from the records of `source` (read from `path`, for messages).
    pub(crate) fn load_from(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> String,
        source: impl Source,
    ) -> Result<Self, RunError> {
        let rows = load_rows(name, path, type_name, key, source)?;
        Ok(Lookup {
            name: name.into(),
            rows: rows.into_iter().collect(),
        })
    }
}

/// Every row of a master-data table with its key, in file order: the strict load that single
/// and composite keys share. A row that does not decode, or a key seen before (shown as its
/// `Debug` text, `"MILL-01"` or `("LINE-A", "M-1")`), is a fatal `RunError`.
pub(crate) fn load_rows<K: Hash + Eq + Clone + fmt::Debug, T: DeserializeOwned>(
    name: &str,
    path: &Path,
    type_name: &str,
    key: fn(&T) -> K,
    mut source: impl Source,
) -> Result<Vec<(K, T)>, RunError> {
    let mut rows = Vec::new();
    let mut first_row_of_key: HashMap<K, Position> = HashMap::new();
    while let Some(raw) = source.read()? {
        let row: T = decode(&raw, type_name).map_err(|reject| RunError::BadMasterData {
            lookup: name.to_string(),
            path: PathBuf::from(path),
            row: raw.position(),
            type_name: type_name.to_string(),
            detail: reject.detail.unwrap_or(reject.reason),
        })?;
        let row_key = key(&row);
        if let Some(&first_row) = first_row_of_key.get(&row_key) {
            return Err(RunError::DuplicateKey {
                lookup: name.to_string(),
                path: PathBuf::from(path),
                key: format!("{row_key:?}"),
                first_row,
                row: raw.position(),
            });
        }
        first_row_of_key.insert(row_key.clone(), raw.position());
        rows.push((row_key, row));
    }
    Ok(rows)
}

impl<T> Lookup<T> {
    /// A lookup from rows already in memory (tests, or master data from elsewhere).
    pub fn from_rows(name: &str, rows: HashMap<String, T>) -> Self {
        Lookup {
            name: name.into(),
            rows: rows.into_iter().collect(),
        }
    }

    /// The row for `key`, or `Err(Failure("lookup machines has no entry \"MILL-09\""))`.
    pub fn get(&self, key: &str) -> Result<&T, Failure> {
        self.rows
            .get(key)
            .ok_or_else(|| Failure::no_entry(&self.name, key))
    }

    /// Whether there is a row for `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.rows.contains_key(key)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The lookup's name in the mapping.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Machine {
        machine_code: String,
        line: String,
    }

    fn machine_key(row: &Machine) -> String {
        row.machine_code.clone()
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn loads_csv_and_reports_misses() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "machines.csv",
            "machine_code,line\nMILL-01,A\nMILL-02,B\n",
        );
        let machines = Lookup::load_csv("machines", &path, "Machine", machine_key).unwrap();
        assert_eq!(machines.len(), 2);
        assert!(!machines.is_empty());
        assert_eq!(machines.get("MILL-02").unwrap().line, "B");
        assert_eq!(
            machines.get("MILL-09").unwrap_err().detail(),
            "lookup machines has no entry \"MILL-09\""
        );
    }

    #[test]
    fn loads_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "m.jsonl",
            "{\"machine_code\":\"MILL-01\",\"line\":\"A\"}\n\n",
        );
        let machines = Lookup::load_jsonl("machines", &path, "Machine", machine_key).unwrap();
        assert!(machines.contains("MILL-01"));
        assert_eq!(machines.name(), "machines");
    }

    #[test]
    fn duplicate_key_is_fatal_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "machines.csv",
            "machine_code,line\nMILL-01,A\nMILL-02,B\nMILL-01,C\n",
        );
        let err = Lookup::load_csv("machines", &path, "Machine", machine_key).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"MILL-01\""), "{text}");
        assert!(text.contains("row 1 and again in row 3"), "{text}");
        assert!(text.contains("machines.csv"), "{text}");
    }

    #[test]
    fn bad_row_is_fatal_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "machines.csv",
            "machine_code,line\nMILL-01,A\nMILL-02\n",
        );
        let text = Lookup::load_csv("machines", &path, "Machine", machine_key)
            .unwrap_err()
            .to_string();
        assert!(text.contains("row 2"), "{text}");
        assert!(text.contains("not a valid Machine"), "{text}");
    }

    #[test]
    fn missing_file_is_fatal() {
        let err = Lookup::load_csv(
            "machines",
            Path::new("/no/machines.csv"),
            "Machine",
            machine_key,
        )
        .unwrap_err();
        assert!(err.to_string().contains("/no/machines.csv"));
    }
}
