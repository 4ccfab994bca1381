//! Enum codes read from a master-data file: a column of a CSV file with a header, or a YAML
//! list of codes (or of `{ code, description }` maps). The file is added to the source map so
//! that a diagnostic about a code points at its row.

use std::path::Path;
use std::sync::Arc;

use serde_yaml::Value;

use super::enumeration::{scalar_code, CodeAt};
use super::locate::{locate_sequence_items, locate_word_in};
use super::{io_reason, FileLoader};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::normalize;
use crate::schema::EnumOrigin;
use crate::source_map::{FileKind, SourceMap, Span};

enum Format {
    Csv,
    Yaml,
}

impl FileLoader<'_> {
    /// The codes of enum `name` read `from` a file, and where they come from; no codes when the
    /// file cannot be used (which is reported).
    pub(super) fn master_codes(
        &mut self,
        name: &str,
        from: &str,
        column: Option<&Value>,
    ) -> (Option<EnumOrigin>, Option<Vec<CodeAt>>) {
        let from_span = self.value_span(&["enums", name, "from"], from);
        let unreadable = |message: String, label: &str, help: String| {
            Diagnostic::error(Code::MasterDataUnreadable, message)
                .label(from_span, label)
                .help(help)
        };
        let path = normalize(&self.dir.join(from));
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            Some(e) if e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml") => {
                Format::Yaml
            }
            _ => {
                self.errors.push(unreadable(
                    format!("enum `{name}` reads its codes from `{from}`, which is not a CSV or YAML file"),
                    "not a `.csv` or `.yaml` file",
                    "`from:` names a CSV file with a header (and `column:` for the column of codes) or a YAML list of codes".into(),
                ));
                return (None, None);
            }
        };
        let file = match self.master_files.get(&path) {
            Some(file) => *file,
            None => match read_text(self.sources, &path) {
                Ok(text) => {
                    let file = self.sources.add_as(&path, text, FileKind::MasterData);
                    self.master_files.insert(path.clone(), file);
                    file
                }
                Err((label, help)) => {
                    self.errors.push(unreadable(
                        format!("cannot read `{from}`, the master-data file of enum `{name}`"),
                        label,
                        help,
                    ));
                    return (None, None);
                }
            },
        };
        let origin = EnumOrigin {
            path: from.to_string(),
            file,
            span: from_span,
        };
        let text = self.sources.get(file).text.clone();
        let codes = match format {
            Format::Csv => self.csv_codes(name, &origin, &text, column),
            Format::Yaml => {
                if column.is_some() {
                    self.shape_error(
                        &["enums", name, "column"],
                        "only for CSV files",
                        format!("enum `{name}` names a `column`, but `{from}` is a YAML file"),
                        "a YAML master-data file is a list of codes, or of maps with a `code`; remove `column:`",
                    );
                }
                self.yaml_codes(name, &origin, &text)
            }
        };
        (Some(origin), codes)
    }

    fn csv_codes(
        &mut self,
        name: &str,
        origin: &EnumOrigin,
        text: &Arc<str>,
        column: Option<&Value>,
    ) -> Option<Vec<CodeAt>> {
        let from = &origin.path;
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = match reader.headers() {
            Ok(headers) => headers.clone(),
            Err(e) => {
                self.csv_error(name, origin, text, &e);
                return None;
            }
        };
        if headers.is_empty() {
            // An empty file: no codes, which `empty_enum` explains.
            return Some(Vec::new());
        }
        let header_line = line_at(text, 0);
        let header_span = Span::new(origin.file, header_line.0, header_line.1);
        let listed = headers
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let column_path = ["enums", name, "column"];
        let column = match column {
            Some(Value::String(c)) => c.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                self.shape_error(
                    &column_path,
                    "not a column name",
                    format!("`column` of enum `{name}` must be a column name"),
                    format!("the columns of `{from}` are {listed}"),
                );
                return None;
            }
            None => {
                self.errors.push(
                    Diagnostic::error(
                        Code::MasterDataColumn,
                        format!(
                            "enum `{name}` does not say which column of `{from}` holds its codes"
                        ),
                    )
                    .label(origin.span, "which column?")
                    .label(header_span, "the columns")
                    .help(format!("add `column:` with one of the columns: {listed}")),
                );
                return None;
            }
        };
        let Some(index) = headers.iter().position(|h| h == column) else {
            let help = did_you_mean(&column, headers.iter())
                .unwrap_or_else(|| format!("the columns of `{from}` are {listed}"));
            self.errors.push(
                Diagnostic::error(
                    Code::MasterDataColumn,
                    format!("`{from}` has no column `{column}` for the codes of enum `{name}`"),
                )
                .label(self.value_span(&column_path, &column), "no such column")
                .label(header_span, "the columns")
                .help(help),
            );
            return None;
        };
        let mut codes = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    self.csv_error(name, origin, text, &e);
                    return None;
                }
            };
            let Some(cell) = record.get(index).filter(|c| !c.trim().is_empty()) else {
                continue;
            };
            let start = record.position().map_or(0, |p| p.byte() as usize);
            let (s, e) = cell_range(text, start, index).unwrap_or_else(|| line_at(text, start));
            codes.push(CodeAt {
                code: cell.to_string(),
                shown: cell.to_string(),
                span: Span::new(origin.file, s, e),
            });
        }
        Some(codes)
    }

    fn csv_error(&mut self, name: &str, origin: &EnumOrigin, text: &str, e: &csv::Error) {
        let at = e.position().map_or(0, |p| p.byte() as usize);
        let (s, end) = line_at(text, at);
        let label = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("this row has {len} cells, the header has {expected_len}"),
            _ => e.to_string(),
        };
        self.errors.push(
            Diagnostic::error(
                Code::MasterDataUnreadable,
                format!(
                    "`{}`, the master-data file of enum `{name}`, is not valid CSV",
                    origin.path
                ),
            )
            .label(Span::new(origin.file, s, end), label)
            .label(origin.span, format!("the codes of `{name}` come from here"))
            .help("every row has as many cells as the header; quote cells that contain commas"),
        );
    }

    fn yaml_codes(&mut self, name: &str, origin: &EnumOrigin, text: &str) -> Option<Vec<CodeAt>> {
        let from = &origin.path;
        let not_a_list = |span: Span, label: String| {
            Diagnostic::error(
                Code::MasterDataUnreadable,
                format!("`{from}`, the master-data file of enum `{name}`, is not a YAML list of codes"),
            )
            .label(span, label)
            .label(origin.span, format!("the codes of `{name}` come from here"))
            .help("write one code per line, as `- RUNNING` or `- { code: RUNNING, description: Running }`")
        };
        let items = match serde_yaml::from_str::<Value>(text) {
            Ok(Value::Sequence(items)) => items,
            Ok(Value::Null) => Vec::new(),
            Ok(_) => {
                let (s, e) = line_at(text, 0);
                let d = not_a_list(Span::new(origin.file, s, e), "a list is expected".into());
                self.errors.push(d);
                return None;
            }
            Err(e) => {
                let at = e.location().map_or(0, |l| l.index()).min(text.len());
                let message = e.to_string();
                let reason = message.split(" at line ").next().unwrap_or(&message);
                let d = not_a_list(Span::new(origin.file, at, at), reason.to_string());
                self.errors.push(d);
                return None;
            }
        };
        let ranges = locate_sequence_items(text);
        let mut codes: Vec<CodeAt> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let range = ranges
                .get(i)
                .copied()
                .filter(|_| ranges.len() == items.len());
            let item_span = |r: Option<(usize, usize)>| {
                let (s, e) = r.map_or((0, 0), |(s, _)| line_at(text, s));
                Span::new(origin.file, s, e)
            };
            let value = match item {
                Value::Mapping(m) => match m.get("code") {
                    Some(code) => code,
                    None => {
                        let label = format!("item {} has no `code`", i + 1);
                        self.errors.push(not_a_list(item_span(range), label));
                        continue;
                    }
                },
                other => other,
            };
            let blank = match value {
                Value::Null => true,
                Value::String(s) => s.trim().is_empty(),
                _ => false,
            };
            if blank {
                continue;
            }
            let (code, shown) = scalar_code(value);
            let nth = codes.iter().filter(|c| c.code == code).count();
            let span = match range {
                Some(r) => locate_word_in(text, r, &code),
                None => nth_word(text, &code, nth),
            }
            .filter(|_| !code.is_empty())
            .map_or(item_span(range), |(s, e)| Span::new(origin.file, s, e));
            codes.push(CodeAt { code, shown, span });
        }
        Some(codes)
    }
}

/// The file's text, read through the compilation's loader, or the label and help of why it
/// cannot be used.
fn read_text(sources: &SourceMap, path: &Path) -> Result<String, (&'static str, String)> {
    let bytes = sources.read(path).map_err(|e| {
        (
            io_reason(&e),
            format!(
                "paths in `from:` are relative to the schema file's folder; this one resolves to {}",
                path.display()
            ),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        (
            "not UTF-8 text",
            "save the file as UTF-8 (spreadsheet programs call it \"CSV UTF-8\")".to_string(),
        )
    })
}

/// The line containing byte `at`, without its line break.
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (start, text[start..end].trim_end_matches('\r').len() + start)
}

/// The byte range of cell `index` (without its quotes) of the CSV record starting at `start`.
fn cell_range(text: &str, start: usize, index: usize) -> Option<(usize, usize)> {
    let mut cell = 0;
    let mut cell_start = start;
    let mut quoted = false;
    for (i, c) in text.get(start..)?.char_indices() {
        let at = start + i;
        match c {
            '"' => quoted = !quoted,
            ',' | '\n' | '\r' if !quoted => {
                if cell == index {
                    return Some(unquote(text, cell_start, at));
                }
                if c != ',' {
                    return None;
                }
                cell += 1;
                cell_start = at + 1;
            }
            _ => {}
        }
    }
    (cell == index).then(|| unquote(text, cell_start, text.len()))
}

fn unquote(text: &str, start: usize, end: usize) -> (usize, usize) {
    let cell = &text[start..end];
    if cell.len() >= 2 && cell.starts_with('"') && cell.ends_with('"') {
        (start + 1, end - 1)
    } else {
        (start, end)
    }
}

/// The `nth` whole-word occurrence of `word` in `text`.
fn nth_word(text: &str, word: &str, nth: usize) -> Option<(usize, usize)> {
    let mut from = 0;
    for _ in 0..nth {
        from = locate_word_in(text, (from, text.len()), word)?.1;
    }
    locate_word_in(text, (from, text.len()), word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cell_of_a_csv_row() {
        let text = "code,description\nRUN,\"Running, producing\"\n\"IN-SETUP\",Setup\n";
        let row = text.find("\"IN").unwrap();
        let (s, e) = cell_range(text, row, 0).unwrap();
        assert_eq!(&text[s..e], "IN-SETUP");
        let row = text.find("RUN").unwrap();
        let (s, e) = cell_range(text, row, 1).unwrap();
        assert_eq!(&text[s..e], "Running, producing");
        assert_eq!(cell_range(text, row, 2), None);
    }
}
