//! Master data keyed by several fields (`lookup equipment: ... key (line, machine)`).
//!
//! Each row's key is kept as its parts, never joined into one text: joining would make `A/B` +
//! `C` and `A` + `B/C` the same key. A flow looks a row up with [`KeyPart`]s that borrow the
//! record's text, so a lookup allocates nothing per record: the table is a hashbrown map queried
//! through [`hashbrown::Equivalent`], with the borrowed parts hashing as the owned key does.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::RunError;
use crate::lookup::load_rows;
use crate::outcome::Failure;
use crate::source::{CsvSource, JsonlSource};

/// One value of a composite key as a record holds it: text (string and identifier fields, by
/// their text) or an int.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPart<'a> {
    Text(&'a str),
    Int(i64),
}

/// A row's composite key, owned by the table.
#[derive(Clone, PartialEq, Eq)]
pub struct CompositeKey(Box<[OwnedPart]>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedPart {
    Text(Box<str>),
    Int(i64),
}

impl OwnedPart {
    fn borrow(&self) -> KeyPart<'_> {
        match self {
            OwnedPart::Text(text) => KeyPart::Text(text),
            OwnedPart::Int(n) => KeyPart::Int(*n),
        }
    }
}

impl CompositeKey {
    /// The key of a row, from its key fields' values in the order the lookup declares them.
    pub fn new(parts: &[KeyPart<'_>]) -> Self {
        CompositeKey(
            parts
                .iter()
                .map(|part| match part {
                    KeyPart::Text(text) => OwnedPart::Text((*text).into()),
                    KeyPart::Int(n) => OwnedPart::Int(*n),
                })
                .collect(),
        )
    }
}

/// Hashes parts the same way whether they are owned or borrowed. `str` hashes with a terminator,
/// so `("A/B", "C")` and `("A", "B/C")` feed the hasher different bytes.
fn hash_parts<'p, H: Hasher>(parts: impl ExactSizeIterator<Item = KeyPart<'p>>, state: &mut H) {
    state.write_usize(parts.len());
    for part in parts {
        match part {
            KeyPart::Text(text) => {
                state.write_u8(0);
                text.hash(state);
            }
            KeyPart::Int(n) => {
                state.write_u8(1);
                n.hash(state);
            }
        }
    }
}

impl Hash for CompositeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(self.0.iter().map(OwnedPart::borrow), state);
    }
}

/// The borrowed form a flow looks up with.
struct Query<'q, 'p>(&'q [KeyPart<'p>]);

impl Hash for Query<'_, '_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_parts(self.0.iter().copied(), state);
    }
}

impl hashbrown::Equivalent<CompositeKey> for Query<'_, '_> {
    fn equivalent(&self, key: &CompositeKey) -> bool {
        self.0.len() == key.0.len()
            && self
                .0
                .iter()
                .zip(key.0.iter())
                .all(|(q, k)| *q == k.borrow())
    }
}

/// A key as the mapping would write it: `("LINE-A", "M-1")`, `("A", 7)`.
struct Shown<'q, 'p>(&'q [KeyPart<'p>]);

impl fmt::Display for Shown<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            match part {
                KeyPart::Text(text) => write!(f, "{text:?}")?,
                KeyPart::Int(n) => write!(f, "{n}")?,
            }
        }
        write!(f, ")")
    }
}

impl fmt::Debug for CompositeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<KeyPart<'_>> = self.0.iter().map(OwnedPart::borrow).collect();
        fmt::Display::fmt(&Shown(&parts), f)
    }
}

/// A master-data table keyed by several fields. Loading is as strict as [`crate::Lookup`]'s: a
/// row that does not decode, or two rows with the same key (all its parts equal), stop the run.
#[derive(Debug, Clone)]
pub struct CompositeLookup<T> {
    name: String,
    rows: hashbrown::HashMap<CompositeKey, T, foldhash::fast::RandomState>,
}

impl<T: DeserializeOwned> CompositeLookup<T> {
    /// Load a CSV master-data table; `key` gives each row's composite key.
    pub fn load_csv(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
    ) -> Result<Self, RunError> {
        let source = CsvSource::open(&format!("lookup {name}"), path)?;
        Self::from_loaded(name, load_rows(name, path, type_name, key, source)?)
    }

    /// Load a JSON Lines master-data table, like [`CompositeLookup::load_csv`].
    pub fn load_jsonl(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
    ) -> Result<Self, RunError> {
        let source = JsonlSource::open(&format!("lookup {name}"), path)?;
        Self::from_loaded(name, load_rows(name, path, type_name, key, source)?)
    }

    /// Loads the table from the records of `source` (read from `path`, for messages): an XML
    /// document's, or a replacement's.
    #[cfg(feature = "xml")]
    pub(crate) fn load_from(
        name: &str,
        path: &Path,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
        source: impl crate::source::Source,
    ) -> Result<Self, RunError> {
        Self::from_loaded(name, load_rows(name, path, type_name, key, source)?)
    }

    fn from_loaded(name: &str, rows: Vec<(CompositeKey, T)>) -> Result<Self, RunError> {
        let mut map = hashbrown::HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        map.extend(rows);
        Ok(CompositeLookup {
            name: name.to_string(),
            rows: map,
        })
    }
}

impl<T> CompositeLookup<T> {
    /// The row whose key fields hold `key`, in the order the lookup declares them, or
    /// `Err(Failure("lookup equipment has no entry (\"LINE-A\", \"M-1\")"))`.
    pub fn get(&self, key: &[KeyPart<'_>]) -> Result<&T, Failure> {
        self.rows.get(&Query(key)).ok_or_else(|| {
            Failure::new(format!("lookup {} has no entry {}", self.name, Shown(key)))
        })
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
    struct Equipment {
        line: String,
        machine: String,
        cell: i64,
        equipment_id: String,
    }

    fn key(row: &Equipment) -> CompositeKey {
        CompositeKey::new(&[KeyPart::Text(&row.line), KeyPart::Text(&row.machine)])
    }

    fn key_with_cell(row: &Equipment) -> CompositeKey {
        CompositeKey::new(&[KeyPart::Text(&row.line), KeyPart::Int(row.cell)])
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
        let path = dir.path().join("equipment.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn parts_are_not_joined_so_a_separator_in_the_data_cannot_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "line,machine,cell,equipment_id\nA/B,C,1,EQ-1\nA,B/C,1,EQ-2\n",
        );
        let table = CompositeLookup::load_csv("equipment", &path, "Equipment", key).unwrap();
        assert_eq!(table.len(), 2);
        let first = table
            .get(&[KeyPart::Text("A/B"), KeyPart::Text("C")])
            .unwrap();
        let second = table
            .get(&[KeyPart::Text("A"), KeyPart::Text("B/C")])
            .unwrap();
        assert_eq!(first.equipment_id, "EQ-1");
        assert_eq!(second.equipment_id, "EQ-2");
        let miss = table
            .get(&[KeyPart::Text("A"), KeyPart::Text("C")])
            .unwrap_err();
        assert_eq!(
            miss.detail(),
            "lookup equipment has no entry (\"A\", \"C\")"
        );
    }

    #[test]
    fn int_parts_compare_as_ints() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "line,machine,cell,equipment_id\nA,M,7,EQ-7\n");
        let table =
            CompositeLookup::load_csv("equipment", &path, "Equipment", key_with_cell).unwrap();
        assert!(table.get(&[KeyPart::Text("A"), KeyPart::Int(7)]).is_ok());
        assert!(table
            .get(&[KeyPart::Text("A"), KeyPart::Text("7")])
            .is_err());
        assert!(table.get(&[KeyPart::Text("A")]).is_err());
    }

    #[test]
    fn a_duplicate_composite_key_is_fatal_and_shown_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "line,machine,cell,equipment_id\nA,M,1,EQ-1\nA,N,1,EQ-2\nA,M,2,EQ-3\n",
        );
        let text = CompositeLookup::load_csv("equipment", &path, "Equipment", key)
            .unwrap_err()
            .to_string();
        assert!(text.contains("key (\"A\", \"M\")"), "{text}");
        assert!(text.contains("row 1 and again in row 3"), "{text}");
    }
}
