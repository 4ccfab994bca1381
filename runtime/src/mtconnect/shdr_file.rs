//! A recorded SHDR stream in a file as a source (`shdr(...)`), and the turning of SHDR lines into
//! records the TCP adapter source shares ([`ShdrRecords`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::select::Selection;
use super::shdr::{self, Assembler, Logical, ShdrLine};
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{AcknowledgedPosition, ReadProgress, Source};

/// Turns the lines of an SHDR stream into records: each observation of a selected data item one
/// record (a JSON object), numbered from 1 in the order read, and starting on the line of the
/// stream its SHDR line starts on; a line whose timestamp is missing or malformed one record the
/// decode stage rejects, its text in the dead letter.
#[derive(Debug)]
pub struct ShdrRecords {
    name: Arc<str>,
    selection: Selection,
    assembler: Assembler,
    next_position: Position,
    /// Lines refused (no timestamp, or not a time), for the log.
    malformed: u64,
}

/// What one physical line of the stream brought.
#[derive(Debug, Default)]
pub struct Read {
    pub records: Vec<RawRecord>,
    /// A command of the adapter (`PING`, `shdrVersion: 2`), the text after `*`.
    pub command: Option<String>,
}

impl ShdrRecords {
    pub fn new(name: Arc<str>, selection: Selection) -> Self {
        ShdrRecords {
            name,
            selection,
            assembler: Assembler::default(),
            next_position: 1,
            malformed: 0,
        }
    }

    /// Takes the next physical line (terminator removed).
    pub fn line(&mut self, line: &str) -> Read {
        match self.assembler.push(line) {
            Some(logical) => self.logical(&logical),
            None => Read::default(),
        }
    }

    /// At the end of the stream: a multi-line block never closed, as far as it came.
    pub fn finish(&mut self) -> Read {
        match self.assembler.finish() {
            Some(logical) => self.logical(&logical),
            None => Read::default(),
        }
    }

    fn logical(&mut self, logical: &Logical) -> Read {
        match shdr::parse(logical) {
            ShdrLine::Blank => Read::default(),
            ShdrLine::Command(command) => Read {
                records: Vec::new(),
                command: Some(command),
            },
            ShdrLine::Data { timestamp, tokens } => {
                let records = self
                    .selection
                    .shdr(&timestamp, &tokens)
                    .into_iter()
                    .map(|o| {
                        let position = self.next_position;
                        self.next_position += 1;
                        RawRecord::json_line(self.name.clone(), position, o.to_json())
                            .at_line(logical.line)
                    })
                    .collect();
                Read {
                    records,
                    command: None,
                }
            }
            ShdrLine::Malformed(reason) => {
                self.malformed += 1;
                if self.malformed <= 10 {
                    tracing::warn!(target: "fdi::mtconnect", source = %self.name, line = logical.line, %reason, "SHDR line refused (dead-lettered)");
                }
                let position = self.next_position;
                self.next_position += 1;
                let record = RawRecord::json_line_with_encoding_error(
                    self.name.clone(),
                    position,
                    logical.original(),
                    Some(format!("SHDR line {}: {reason}", logical.line)),
                )
                .at_line(logical.line);
                Read {
                    records: vec![record],
                    command: None,
                }
            }
        }
    }
}

/// A recorded SHDR stream (a file): read from its start by every run, each observation of a
/// selected data item one record. Its records' positions are their numbers in the file (several
/// records may come from one line; each says its line).
pub struct ShdrFileSource {
    name: Arc<str>,
    path: PathBuf,
    reader: BufReader<File>,
    records: ShdrRecords,
    pending: VecDeque<RawRecord>,
    ended: bool,
    acknowledged: AcknowledgedPosition,
    read_bytes: u64,
    size: Option<u64>,
    buffer: Vec<u8>,
}

impl ShdrFileSource {
    /// Opens `path`. A missing file is fatal.
    pub fn open(name: &str, path: &Path, selection: Selection) -> Result<Self, RunError> {
        let file = File::open(path)
            .map_err(|e| RunError::io(format!("open the input of source {name}"), path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        let name: Arc<str> = Arc::from(name);
        Ok(ShdrFileSource {
            records: ShdrRecords::new(name.clone(), selection),
            name,
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(crate::files::IO_BUFFER_BYTES, file),
            pending: VecDeque::new(),
            ended: false,
            acknowledged: AcknowledgedPosition::default(),
            read_bytes: 0,
            size,
            buffer: Vec::new(),
        })
    }
}

impl Source for ShdrFileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                return Ok(Some(record));
            }
            if self.ended {
                return Ok(None);
            }
            self.buffer.clear();
            let bytes = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| {
                    RunError::io(
                        format!("read the input of source {}", self.name),
                        &self.path,
                        e,
                    )
                })?;
            let read = if bytes == 0 {
                self.ended = true;
                self.records.finish()
            } else {
                self.read_bytes += bytes as u64;
                let line = String::from_utf8_lossy(&self.buffer);
                let line = line.strip_suffix('\n').unwrap_or(&line);
                self.records.line(line)
            };
            if let Some(command) = read.command {
                tracing::debug!(target: "fdi::mtconnect", source = %self.name, %command, "adapter command in the recording");
            }
            self.pending.extend(read.records);
        }
    }

    fn acknowledge(&mut self, position: Position) -> Result<(), RunError> {
        self.acknowledged.advance_to(position);
        Ok(())
    }

    fn acknowledged(&self) -> Option<Position> {
        self.acknowledged.get()
    }

    fn progress(&self) -> Option<ReadProgress> {
        Some(ReadProgress {
            read_bytes: self.read_bytes,
            total_bytes: self.size,
        })
    }
}
