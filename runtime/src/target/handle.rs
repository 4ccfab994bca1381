//! One type for every kind of target, so that generated code can hold a target whatever the run opened for it.
//!
//! A test run (`--capture-targets DIR`) writes every target as JSON Lines in `DIR`, so `Run::sqlite_target`
//! returns a JSON Lines target then; the generated `let mut history = run.sqlite_target(...)?;` compiles either
//! way because both return a [`TargetHandle`].

use serde::Serialize;

use super::{Durable, JsonlTarget, SqliteTarget, Target};
use crate::error::RunError;
use crate::outcome::Reject;

/// A target of any kind, as the run opened it.
#[non_exhaustive]
pub enum TargetHandle<T> {
    Sqlite(SqliteTarget<T>),
    Jsonl(JsonlTarget<T>),
}

impl<T> TargetHandle<T> {
    fn durable(&mut self) -> &mut dyn Durable {
        match self {
            TargetHandle::Sqlite(target) => target,
            TargetHandle::Jsonl(target) => target,
        }
    }
}

impl<T> Durable for TargetHandle<T> {
    fn name(&self) -> &str {
        match self {
            TargetHandle::Sqlite(target) => target.name(),
            TargetHandle::Jsonl(target) => target.name(),
        }
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.durable().flush()
    }

    fn hand_over(&mut self) -> Result<(), RunError> {
        self.durable().hand_over()
    }

    fn is_transient(&self, error: &RunError) -> bool {
        match self {
            TargetHandle::Sqlite(target) => target.is_transient(error),
            TargetHandle::Jsonl(target) => target.is_transient(error),
        }
    }
}

impl<T: Serialize> Target<T> for TargetHandle<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        match self {
            TargetHandle::Sqlite(target) => target.write(record),
            TargetHandle::Jsonl(target) => target.write(record),
        }
    }
}
