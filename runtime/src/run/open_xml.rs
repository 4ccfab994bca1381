//! Opening XML sources, lookups and targets (feature `xml`, see `crate::xml`).

use serde::de::DeserializeOwned;

use super::{OpenSource, Run};
use crate::error::RunError;
use crate::lookup::Lookup;
use crate::source::JsonlSource;
use crate::xml::{XmlRecords, XmlSource};

impl Run {
    /// Opens an XML source: the document at `path` (see [`XmlSource::open`]). A test run that replaces
    /// the source (`--source NAME=PATH`) reads JSON Lines records instead, as `fdi test` writes them.
    pub fn xml_source(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let source = XmlSource::open(name, &self.resolve(path), records)?;
        self.source_index(name);
        Ok(OpenSource::blocking(source))
    }

    /// Loads an XML master-data table (see [`Lookup::load_xml`]) from `path`; a test run's replacement
    /// (`--lookup NAME=PATH`) is JSON Lines, as `fdi test` writes it.
    pub fn lookup_xml<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        records: &XmlRecords<'_>,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        if let Some(replaced) = self.config.lookup_paths.get(name) {
            let replaced = self.base_dir.join(replaced);
            let source = JsonlSource::open(&format!("lookup {name}"), &replaced)?;
            return Lookup::load_from(name, &replaced, type_name, key, source);
        }
        let path = self.resolve(path);
        let source = XmlSource::open(&format!("lookup {name}"), &path, records)?;
        Lookup::load_from(name, &path, type_name, key, source)
    }
}
