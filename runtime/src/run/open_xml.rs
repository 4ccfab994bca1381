//! Opening XML sources, lookups and targets (feature `xml`, see `crate::xml`).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::composite_lookup::{CompositeKey, CompositeLookup};
use crate::error::RunError;
use crate::lookup::Lookup;
use crate::source::JsonlSource;
use crate::xml::{XmlDocument, XmlRecords, XmlSource, XmlTarget};

impl Run {
    /// Opens an XML source: the document at `path` (see [`XmlSource::open`]), or the one a run replaces it
    /// with (`--source NAME=PATH`). A replacement named `*.jsonl` holds the records as JSON Lines, as
    /// `fdi test` writes them.
    pub fn xml_source(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
    ) -> Result<OpenSource, RunError> {
        let replacement = self.config.source_paths.get(name).cloned();
        if replacement.is_none() || is_json_lines(replacement.as_deref()) {
            if let Some(replaced) = self.replaced_source(name)? {
                return Ok(replaced);
            }
        }
        let path = match replacement {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        };
        let source = XmlSource::open(name, &path, records)?;
        self.source_index(name);
        Ok(OpenSource::blocking(source))
    }

    /// Loads an XML master-data table from `path`, or from the document a run replaces it with
    /// (`--lookup NAME=PATH`; one named `*.jsonl` holds JSON Lines records, as `fdi test` writes them).
    pub fn lookup_xml<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        let replacement = self.config.lookup_paths.get(name).cloned();
        if let Some(replaced) = replacement.as_deref().filter(|p| is_json_lines(Some(p))) {
            let replaced = self.base_dir.join(replaced);
            let source = JsonlSource::open(&format!("lookup {name}"), &replaced)?;
            return Lookup::load_from(name, &replaced, type_name, key, source);
        }
        let path = match replacement {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        };
        let source = XmlSource::open(&format!("lookup {name}"), &path, records)?;
        Lookup::load_from(name, &path, type_name, key, source)
    }

    /// Loads master data keyed by several fields from an XML document, like
    /// [`Run::lookup_xml`] (see [`CompositeLookup`]).
    pub fn composite_lookup_xml<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
    ) -> Result<CompositeLookup<T>, RunError> {
        let replacement = self.config.lookup_paths.get(name).cloned();
        if let Some(replaced) = replacement.as_deref().filter(|p| is_json_lines(Some(p))) {
            let replaced = self.base_dir.join(replaced);
            let source = JsonlSource::open(&format!("lookup {name}"), &replaced)?;
            return CompositeLookup::load_from(name, &replaced, type_name, key, source);
        }
        let path = match replacement {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        };
        let source = XmlSource::open(&format!("lookup {name}"), &path, records)?;
        CompositeLookup::load_from(name, &path, type_name, key, source)
    }

    /// Opens an XML target (see [`XmlTarget`]): one document at `path` for a batch run, one per checkpoint beside
    /// it for a service (a run that appends to its outputs). When the run captures targets, it writes JSON
    /// Lines instead (see [`Run::jsonl_target`]).
    pub fn xml_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        path: &str,
        document: &XmlDocument<'_>,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = XmlTarget::open(name, &self.resolve(path), document, self.appends())?;
        Ok(self.add_target(name, Box::new(target)))
    }
}

/// Whether a replacement file holds JSON Lines records rather than an XML document.
fn is_json_lines(path: Option<&std::path::Path>) -> bool {
    path.and_then(|p| p.extension())
        .is_some_and(|e| e == "jsonl")
}
