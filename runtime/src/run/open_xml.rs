//! Opening XML sources, lookups and targets (feature `xml`, see `crate::xml`).

use std::path::PathBuf;

use serde::de::DeserializeOwned;

use super::{OpenSource, Run};
use crate::error::RunError;
use crate::lookup::Lookup;
use crate::source::JsonlSource;
use crate::xml::{XmlRecords, XmlSource};

impl Run {
    /// Opens an XML source: the document at `path` (see [`XmlSource::open`]), or the one
    /// `--source NAME=PATH` names instead: another document of the same standard (another CMM
    /// report, another schedule), read with the same `records:` and field paths. A replacement
    /// whose name ends in `.jsonl` holds JSON Lines records instead, as `fdi test` writes a
    /// test's input.
    pub fn xml_source(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
    ) -> Result<OpenSource, RunError> {
        let other_document = other_document(self.config.source_paths.get(name)).cloned();
        if other_document.is_none() {
            if let Some(replaced) = self.replaced_source(name)? {
                return Ok(replaced);
            }
        } else if let Some(stand_in) = self.replay_stand_in(name, false, Vec::new()) {
            // A replay reads no file (see `run/replay.rs`).
            return Ok(OpenSource::blocking(stand_in));
        }
        let path = match other_document {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        };
        let source = XmlSource::open(name, &path, records)?;
        self.source_index(name);
        Ok(OpenSource::blocking(source))
    }

    /// Loads an XML master-data table (see [`Lookup::load_xml`]) from `path`, or from another
    /// document that `--lookup NAME=PATH` names (JSON Lines when its name ends in `.jsonl`, as
    /// `fdi test` writes a test's lookup records), like [`Run::xml_source`].
    pub fn lookup_xml<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        let path = match self.config.lookup_paths.get(name) {
            Some(replaced) => {
                let replaced = self.base_dir.join(replaced);
                if other_document(Some(&replaced)).is_none() {
                    let source = JsonlSource::open(&format!("lookup {name}"), &replaced)?;
                    return Lookup::load_from(name, &replaced, type_name, key, source);
                }
                replaced
            }
            None => self.resolve(path),
        };
        let source = XmlSource::open(&format!("lookup {name}"), &path, records)?;
        Lookup::load_from(name, &path, type_name, key, source)
    }
}

/// The replacement, when it is another XML document rather than the JSON Lines `fdi test`
/// writes (named `NAME.jsonl`).
fn other_document(replacement: Option<&PathBuf>) -> Option<&PathBuf> {
    replacement.filter(|path| {
        path.extension()
            .is_none_or(|extension| extension != "jsonl")
    })
}
