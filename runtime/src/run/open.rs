//! Opening the run's sources, lookups and targets, with the replacements a test run asks for: another file for
//! a source or lookup (`--source`, `--lookup`), and every target captured as JSON Lines (`--capture-targets`).
//! A replay of the dead letter opens no source and connects to nothing (see `replay.rs`).

use std::path::PathBuf;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Run;
use super::TargetId;
use crate::composite_lookup::{CompositeKey, CompositeLookup};
use crate::error::RunError;
use crate::lookup::Lookup;
use crate::source::{CsvSource, EntityColumns, JsonlSource};
use crate::target::{Column, JsonlTarget, SqliteDatabase, SqliteTarget};

impl Run {
    /// Opens a CSV source: the file at `path`, or the one the run replaces it with. Its header must have the
    /// required columns of its entity's `columns`: a header that lacks one stops the run here, before a record is
    /// read, rather than rejecting every record.
    pub fn csv_source(
        &mut self,
        name: &str,
        path: &str,
        columns: &EntityColumns,
    ) -> Result<CsvSource, RunError> {
        if self.replay_stand_in(name, true, Vec::new()).is_some() {
            return Ok(CsvSource::without_input(name));
        }
        let source = CsvSource::open(name, &self.source_path(name, path))?;
        // Registered before the header is checked, so the summary of a refused file shows it read nothing.
        self.source_index(name);
        source.require_columns(columns)?;
        Ok(source)
    }

    /// Opens a JSON Lines source: the file at `path`, or the one the run replaces it with.
    pub fn jsonl_source(&mut self, name: &str, path: &str) -> Result<JsonlSource, RunError> {
        if self.replay_stand_in(name, false, Vec::new()).is_some() {
            return Ok(JsonlSource::without_input(name));
        }
        let source = JsonlSource::open(name, &self.source_path(name, path))?;
        self.source_index(name);
        Ok(source)
    }

    /// The file that replaces source `name` in a test run (`--source NAME=PATH`), opened as JSON
    /// Lines, for a network source: its records are the JSON objects its messages or rows would
    /// be. `None` when the run reads the real source.
    pub fn replaced_source(&mut self, name: &str) -> Result<Option<super::OpenSource>, RunError> {
        // A replay of the dead letter reads no network source (see `run/replay.rs`).
        if let Some(stand_in) = self.replay_stand_in(name, false, Vec::new()) {
            return Ok(Some(super::OpenSource::blocking(stand_in)));
        }
        let Some(path) = self.config.source_paths.get(name) else {
            return Ok(None);
        };
        let source = JsonlSource::open(name, &self.base_dir.join(path))?;
        self.source_index(name);
        Ok(Some(source.into()))
    }

    /// Loads a CSV master-data table (see [`Lookup::load_csv`]) from `path` or its replacement.
    pub fn lookup_csv<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        Lookup::load_csv(name, &self.lookup_path(name, path), type_name, key)
    }

    /// Loads a JSON Lines master-data table (see [`Lookup::load_jsonl`]) from `path` or its replacement.
    pub fn lookup_jsonl<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> String,
    ) -> Result<Lookup<T>, RunError> {
        Lookup::load_jsonl(name, &self.lookup_path(name, path), type_name, key)
    }

    /// Loads a CSV master-data table with a composite key (see [`CompositeLookup::load_csv`]) from `path` or
    /// its replacement.
    pub fn composite_lookup_csv<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
    ) -> Result<CompositeLookup<T>, RunError> {
        CompositeLookup::load_csv(name, &self.lookup_path(name, path), type_name, key)
    }

    /// Loads a JSON Lines master-data table with a composite key (see [`CompositeLookup::load_jsonl`]).
    pub fn composite_lookup_jsonl<T: DeserializeOwned>(
        &mut self,
        name: &str,
        path: &str,
        type_name: &str,
        key: fn(&T) -> CompositeKey,
    ) -> Result<CompositeLookup<T>, RunError> {
        CompositeLookup::load_jsonl(name, &self.lookup_path(name, path), type_name, key)
    }

    /// Opens an SQLite target writing `table` of the database at `path`. Targets on the same file share one
    /// connection (see [`SqliteDatabase`]). When the run captures targets, the database is not touched and the
    /// target writes JSON Lines instead (see [`Run::jsonl_target`]).
    pub fn sqlite_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        path: &str,
        table: &str,
        columns: &'static [Column],
        keys: &[&str],
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let path = self.resolve(path);
        let shared = self
            .databases
            .iter()
            .find(|(open_path, _)| *open_path == path)
            .and_then(|(_, database)| database.upgrade());
        let database = match shared {
            Some(database) => database,
            None => {
                let database = SqliteDatabase::open(&path, self.config.checkpoint_every, name)?;
                self.databases.retain(|(open_path, _)| *open_path != path);
                self.databases.push((path, Rc::downgrade(&database)));
                database
            }
        };
        let target = SqliteTarget::create(name, database, table, columns, keys)?;
        Ok(self.add_target(name, Box::new(target)))
    }

    /// Opens a JSON Lines target: truncated by a batch run, appended to by a service (see
    /// [`super::OutputMode`]). When the run captures targets, it writes `<capture dir>/<name>.jsonl` instead
    /// of `path`.
    pub fn jsonl_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        path: &str,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = JsonlTarget::open(name, &self.resolve(path), self.appends())?;
        Ok(self.add_target(name, Box::new(target)))
    }

    /// The JSON Lines file that captures target `name`, when the run captures targets. It is written exactly
    /// as a JSON Lines target writes (one record per line, the same serialization and the same rejects), but
    /// it records every write: an SQLite target's upserts on its key appear as the writes they were.
    pub(super) fn capture<T: Serialize + 'static>(
        &mut self,
        name: &str,
    ) -> Result<Option<TargetId<T>>, RunError> {
        let Some(dir) = &self.config.capture_targets else {
            return Ok(None);
        };
        // Target names are identifiers of the mapping; anything that could leave the directory is a bug.
        let plain =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
        if !plain {
            return Err(RunError::Program(format!(
                "target name {name:?} cannot name a capture file"
            )));
        }
        let target = JsonlTarget::open(name, &dir.join(format!("{name}.jsonl")), false)?;
        Ok(Some(self.add_target(name, Box::new(target))))
    }

    /// The file source `name` reads: its replacement, or the mapping's `path` resolved against the base directory.
    fn source_path(&self, name: &str, path: &str) -> PathBuf {
        match self.config.source_paths.get(name) {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        }
    }

    /// The file lookup `name` loads, like [`Run::source_path`].
    fn lookup_path(&self, name: &str, path: &str) -> PathBuf {
        match self.config.lookup_paths.get(name) {
            Some(replacement) => self.base_dir.join(replacement),
            None => self.resolve(path),
        }
    }
}
