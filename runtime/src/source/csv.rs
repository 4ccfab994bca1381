//! CSV files as a source.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::SPARE_RECORDS;
use super::{
    AcknowledgedPosition, EntityColumns, FileSample, MissingColumns, ReadProgress, Source,
};
use crate::error::RunError;
use crate::record::{Payload, Position, RawRecord};

/// A CSV file with a header row, read one row at a time.
///
/// Rows may have more or fewer fields than the header (`flexible`): such a row is not a read error but a record
/// that the decode stage may reject, so it ends up in the dead letter instead of stopping the run. A header may
/// be empty (pandas writes its unnamed index column as `""`).
pub struct CsvSource {
    name: Arc<str>,
    path: PathBuf,
    /// The file; nothing for a source a replay stands in for (see [`CsvSource::without_input`]).
    reader: csv::Reader<Box<dyn std::io::Read + Send>>,
    headers: Arc<csv::StringRecord>,
    rows_read: Position,
    acknowledged: AcknowledgedPosition,
    /// The buffers of recycled rows (a chunk's worth at most), filled again by the next reads.
    spare: Vec<csv::ByteRecord>,
    /// The most bytes and fields a row has had: a new row's buffers start this large, rather
    /// than growing from empty by doubling (a wide row: a dozen reallocations).
    widest_row: (usize, usize),
    /// The file's size when opened.
    size: Option<u64>,
}

impl CsvSource {
    /// Opens `path` and reads its header row. A missing file or an unreadable header is fatal.
    pub fn open(name: &str, path: &Path) -> Result<Self, RunError> {
        let file = File::open(path)
            .map_err(|e| RunError::io(format!("open the input of source {name}"), path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            // The csv reader buffers by itself; a `BufReader` around the file would copy twice.
            .buffer_capacity(crate::files::IO_BUFFER_BYTES)
            .from_reader(Box::new(file) as Box<dyn std::io::Read + Send>);
        let headers = reader.headers().map_err(|e| RunError::Csv {
            what: format!("header of source {name}"),
            path: path.to_path_buf(),
            detail: format!("{e}; the first line must be the column names, in UTF-8"),
        })?;
        Ok(CsvSource {
            name: Arc::from(name),
            path: path.to_path_buf(),
            headers: Arc::new(headers.clone()),
            reader,
            rows_read: 0,
            acknowledged: AcknowledgedPosition::default(),
            spare: Vec::new(),
            widest_row: (0, 0),
            size,
        })
    }

    /// A source with no input and no header, which a replay of the dead letter registers in place
    /// of the file (`run/replay.rs`): the file is not opened.
    pub(crate) fn without_input(name: &str) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(Box::new(std::io::empty()) as Box<dyn std::io::Read + Send>);
        CsvSource {
            name: Arc::from(name),
            path: PathBuf::new(),
            headers: Arc::new(csv::StringRecord::new()),
            reader,
            rows_read: 0,
            acknowledged: AcknowledgedPosition::default(),
            spare: Vec::new(),
            widest_row: (0, 0),
            size: None,
        }
    }

    /// Refuses a header that lacks a required column of `columns` ([`RunError::MissingSourceColumns`], naming
    /// each missing column and the file's closest one): every record would be rejected for it. A file without a
    /// header row (an empty file) holds no record and is not refused.
    pub fn require_columns(&self, columns: &EntityColumns) -> Result<(), RunError> {
        if self.headers.is_empty() {
            return Ok(());
        }
        let missing = columns.missing_from(self.headers.iter());
        if missing.is_empty() {
            return Ok(());
        }
        Err(RunError::MissingSourceColumns(MissingColumns {
            reader: format!("source `{}`", self.name),
            path: self.path.clone(),
            sample: FileSample::Header,
            missing,
        }))
    }

    /// The column names, in file order.
    pub fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Source for CsvSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        let mut row = self.spare.pop().unwrap_or_else(|| {
            let (bytes, fields) = self.widest_row;
            csv::ByteRecord::with_capacity(bytes, fields)
        });
        let more = self
            .reader
            .read_byte_record(&mut row)
            .map_err(|e| RunError::Csv {
                what: format!("source {}", self.name),
                path: self.path.clone(),
                detail: e.to_string(),
            })?;
        if !more {
            return Ok(None);
        }
        self.rows_read += 1;
        self.widest_row.0 = self.widest_row.0.max(row.as_slice().len());
        self.widest_row.1 = self.widest_row.1.max(row.len());
        // The line the row starts on, for provenance: rows may span lines (quoted line breaks).
        let line = row.position().map_or(self.rows_read + 1, |p| p.line());
        // Invalid UTF-8 is a problem of this row only: keep a lossy copy for the dead letter and let the decode
        // stage reject it.
        let (fields, encoding_error) = match csv::StringRecord::from_byte_record(row) {
            Ok(fields) => (fields, None),
            Err(e) => {
                let error = format!("the row is not valid UTF-8: {}", e.utf8_error());
                let lossy: Vec<String> = e
                    .into_byte_record()
                    .iter()
                    .map(|field| String::from_utf8_lossy(field).into_owned())
                    .collect();
                (csv::StringRecord::from(lossy), Some(error))
            }
        };
        Ok(Some(
            RawRecord::csv_with_encoding_error(
                self.name.clone(),
                self.rows_read,
                self.headers.clone(),
                fields,
                encoding_error,
            )
            .at_line(line),
        ))
    }

    fn recycle(&mut self, raw: RawRecord) {
        if let Payload::Csv {
            fields,
            encoding_error: None,
            ..
        } = raw.payload
        {
            if self.spare.len() < SPARE_RECORDS {
                self.spare.push(fields.into_byte_record());
            }
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
            read_bytes: self.reader.position().byte(),
            total_bytes: self.size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        let mut file = File::create(&path).unwrap();
        file.write_all(bytes).unwrap();
        path
    }

    #[test]
    fn a_row_knows_the_line_it_starts_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(
            &dir,
            "m.csv",
            b"machine,note\nMILL-01,\"two\nlines\"\nMILL-02,x\n",
        );
        let mut source = CsvSource::open("mill", &path).unwrap();
        let lines: Vec<(Position, u64)> = std::iter::from_fn(|| source.read().unwrap())
            .map(|r| (r.position(), r.line()))
            .collect();
        assert_eq!(lines, vec![(1, 2), (2, 4)]);
    }

    #[test]
    fn streams_rows_with_unnamed_first_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(
            &dir,
            "m.csv",
            b",machine,load\n0,MILL-01,1.5\n1,MILL-02\n2,MILL-03,2,extra\n",
        );
        let mut source = CsvSource::open("mill", &path).unwrap();
        assert_eq!(
            source.headers().iter().collect::<Vec<_>>(),
            vec!["", "machine", "load"]
        );

        let first = source.read().unwrap().unwrap();
        assert_eq!(first.position(), 1);
        assert_eq!(first.source(), "mill");
        assert_eq!(
            first.original(),
            json!({"": "0", "machine": "MILL-01", "load": "1.5"})
        );
        let second = source.read().unwrap().unwrap();
        assert_eq!(second.position(), 2);
        assert_eq!(second.original(), json!({"": "1", "machine": "MILL-02"}));
        let third = source.read().unwrap().unwrap();
        assert_eq!(third.original()["_extra_1"], json!("extra"));
        assert!(source.read().unwrap().is_none());
        assert!(source.read().unwrap().is_none());
    }

    #[test]
    fn a_recycled_row_leaves_nothing_in_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(
            &dir,
            "m.csv",
            b"a,b,c
long-value,2,3
x
,,
",
        );
        let mut source = CsvSource::open("mill", &path).unwrap();
        assert_eq!(
            super::super::originals_recycling(&mut source),
            vec![
                json!({"a": "long-value", "b": "2", "c": "3"}),
                json!({"a": "x"}),
                json!({"a": "", "b": "", "c": ""}),
            ]
        );
    }

    #[test]
    fn a_delivery_of_recycled_rows_is_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let rows: String = (0..SPARE_RECORDS + 10)
            .map(|i| format!("{i},x\n"))
            .collect();
        let path = write_file(&dir, "m.csv", format!("a,b\n{rows}").as_bytes());
        let mut source = CsvSource::open("mill", &path).unwrap();
        let chunk: Vec<RawRecord> = std::iter::from_fn(|| source.read().unwrap())
            .take(SPARE_RECORDS)
            .collect();
        for raw in chunk {
            source.recycle(raw);
        }
        assert_eq!(source.spare.len(), SPARE_RECORDS);
        let next = source.read().unwrap().unwrap();
        assert_eq!(
            next.original(),
            json!({"a": SPARE_RECORDS.to_string(), "b": "x"})
        );
        assert_eq!(source.spare.len(), SPARE_RECORDS - 1);
    }

    #[test]
    fn utf8_byte_order_mark_is_not_part_of_the_first_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "m.csv", b"\xef\xbb\xbfmachine,load\nMILL-01,1\n");
        let source = CsvSource::open("mill", &path).unwrap();
        assert_eq!(&source.headers()[0], "machine");
    }

    #[test]
    fn acknowledged_only_moves_forward() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "m.csv", b"a\n1\n");
        let mut source = CsvSource::open("mill", &path).unwrap();
        assert_eq!(source.acknowledged(), None);
        source.acknowledge(5).unwrap();
        source.acknowledge(3).unwrap();
        assert_eq!(source.acknowledged(), Some(5));
    }

    #[test]
    fn invalid_utf8_row_is_a_record_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "m.csv", b"a,b\nok,\xff\nnext,1\n");
        let mut source = CsvSource::open("mill", &path).unwrap();
        let bad = source.read().unwrap().unwrap();
        assert_eq!(bad.original()["a"], json!("ok"));
        let next = source.read().unwrap().unwrap();
        assert_eq!(next.position(), 2);
    }

    #[test]
    fn a_header_without_a_required_column_is_refused_with_the_closest_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "m.csv", b"machine,sped,load\nMILL-01,1,2\n");
        let source = CsvSource::open("mill", &path).unwrap();
        let columns = |required| EntityColumns {
            required,
            optional: &["note"],
        };
        source
            .require_columns(&columns(&["machine", "load"]))
            .unwrap();
        let text = source
            .require_columns(&columns(&["machine", "speed", "feed"]))
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(&format!(
                "source `mill`: the header of {} has no columns `speed` (did you mean `sped`?), `feed`; \
                 no record was read.",
                path.display()
            )),
            "{text}"
        );
    }

    #[test]
    fn an_empty_file_has_no_header_to_refuse() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "m.csv", b"");
        let mut source = CsvSource::open("mill", &path).unwrap();
        let columns = EntityColumns {
            required: &["machine"],
            optional: &[],
        };
        source.require_columns(&columns).unwrap();
        assert!(source.read().unwrap().is_none());
    }

    #[test]
    fn missing_file_names_source_and_path() {
        let err = CsvSource::open("mill", Path::new("/nonexistent/x.csv"))
            .err()
            .unwrap();
        let text = err.to_string();
        assert!(text.contains("source mill"), "{text}");
        assert!(text.contains("/nonexistent/x.csv"), "{text}");
    }
}
