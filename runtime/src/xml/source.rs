//! XML documents as a source (and a lookup's table): one record per element the `records:` path
//! selects, each column's text selected by its own path from that element.
//!
//! The document is read whole (a DOM, so that a path may look at the record's parent or count its
//! children), up to [`MAX_DOCUMENT_BYTES`]; the records are made when the source opens and handed
//! out one at a time.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use super::eval::Selected;
use super::path::XmlPath;
use crate::error::RunError;
use crate::record::{Position, RawRecord};
use crate::source::{AcknowledgedPosition, ReadProgress, Source};

/// The largest document an XML source or lookup reads: the whole document and its tree are in
/// memory (about ten times the file), so a bigger file is refused when it opens rather than
/// exhausting memory halfway.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// What a mapping's XML source or lookup reads: `xml("file", records: "Path/To/Element")` and,
/// from its entity's schema, each column's path (`xml:` of the field; its column name otherwise).
#[derive(Debug, Clone, Copy)]
pub struct XmlRecords<'a> {
    /// The elements that are records, wherever they are in the document (a path that starts with
    /// `/` starts at the document's root instead).
    pub records: &'a str,
    pub fields: &'a [XmlField<'a>],
}

/// One column of an XML source's records.
#[derive(Debug, Clone, Copy)]
pub struct XmlField<'a> {
    pub column: &'a str,
    /// Relative to the record's element.
    pub path: &'a str,
    /// A record whose path selects nothing for a required column is rejected at decode.
    pub required: bool,
}

/// The records of one XML document.
pub struct XmlSource {
    name: Arc<str>,
    records: VecDeque<RawRecord>,
    acknowledged: AcknowledgedPosition,
    size: u64,
    read_bytes: u64,
    total: usize,
}

impl XmlSource {
    /// Reads `path` whole and makes its records. A missing file, one bigger than
    /// [`MAX_DOCUMENT_BYTES`], not UTF-8 or not well-formed XML, is fatal: no record of it can be
    /// trusted. A path of `records` that does not parse is a bug of the compiler, which checks
    /// them.
    pub fn open(name: &str, path: &Path, records: &XmlRecords<'_>) -> Result<Self, RunError> {
        let text = read_document(&format!("source {name}"), path)?;
        let error = |detail: String| RunError::Xml {
            what: format!("source {name}"),
            path: path.to_path_buf(),
            detail,
        };
        let document = parse_document(&text).map_err(error)?;
        let made = make_records(name, &document, &text, records).map_err(RunError::Program)?;
        let size = text.len() as u64;
        Ok(XmlSource {
            name: Arc::from(name),
            total: made.len(),
            records: made.into(),
            acknowledged: AcknowledgedPosition::default(),
            size,
            read_bytes: 0,
        })
    }

    /// How many records the document holds.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether the document holds no record.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// Reads a document for `what` (`source orders`), refusing one too big to hold in memory and one
/// that is not UTF-8 (the only encoding the parser reads); a byte order mark is dropped.
pub(crate) fn read_document(what: &str, path: &Path) -> Result<String, RunError> {
    let error = |detail: String| RunError::Xml {
        what: what.to_string(),
        path: path.to_path_buf(),
        detail,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| RunError::io(format!("open the input of {what}"), path, e))?
        .len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(error(format!(
            "the document has {size} bytes, more than the {MAX_DOCUMENT_BYTES} an XML {what} reads whole; split it into several documents"
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| RunError::io(format!("read the input of {what}"), path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        error(format!(
            "the document is not UTF-8 (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Parses a document leniently: a DTD is allowed (its entities expanded within roxmltree's
/// limits), as many real documents carry one.
pub(crate) fn parse_document(text: &str) -> Result<roxmltree::Document<'_>, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("the document is not well-formed XML: {e}"))
}

/// The records of `document`: one per element `spec.records` selects, in document order.
fn make_records(
    source: &str,
    document: &roxmltree::Document<'_>,
    text: &str,
    spec: &XmlRecords<'_>,
) -> Result<Vec<RawRecord>, String> {
    let bad_path = |path: &str, e: super::path::PathError| {
        format!("the XML path {path:?} of source {source} does not parse: {e}")
    };
    let records = XmlPath::parse(&anywhere(spec.records)).map_err(|e| bad_path(spec.records, e))?;
    let paths: Vec<XmlPath> = spec
        .fields
        .iter()
        .map(|f| XmlPath::parse(f.path).map_err(|e| bad_path(f.path, e)))
        .collect::<Result<_, _>>()?;
    let headers = Arc::new(csv::StringRecord::from(
        spec.fields.iter().map(|f| f.column).collect::<Vec<_>>(),
    ));
    let name: Arc<str> = Arc::from(source);
    let elements = records.select_elements(document.root());
    // What leniency skipped, per column: reported once the document is read, not per record.
    let mut several = vec![0usize; spec.fields.len()];
    // What a path that starts with `..` selects, by field and the ancestor it starts from.
    let mut by_ancestor: std::collections::HashMap<(usize, roxmltree::NodeId), Selected> =
        std::collections::HashMap::new();
    let mut made = Vec::with_capacity(elements.len());
    // Lines counted on from the previous record (the records are in document order), not from the
    // document's start for each (`Document::text_pos_at`), which is quadratic in a big document.
    let mut line_at = (0usize, 1u64);
    for (index, element) in elements.into_iter().enumerate() {
        let mut fields = csv::StringRecord::new();
        let mut absent = Vec::new();
        for (i, (field, path)) in spec.fields.iter().zip(&paths).enumerate() {
            let selected = match nth_parent(element, path.leading_parents()) {
                Some(ancestor) if ancestor.id() != element.id() => by_ancestor
                    .entry((i, ancestor.id()))
                    .or_insert_with(|| path.select_text(element))
                    .clone(),
                _ => path.select_text(element),
            };
            match selected {
                Selected::Text { text, count } => {
                    if count > 1 {
                        several[i] += 1;
                    }
                    fields.push_field(&text);
                }
                Selected::Nothing => {
                    if field.required {
                        absent.push(format!("{} (path {:?})", field.column, field.path));
                    }
                    fields.push_field("");
                }
            }
        }
        let absent = (!absent.is_empty()).then(|| {
            format!(
                "the element has nothing at the path of required column{} {}",
                if absent.len() == 1 { "" } else { "s" },
                absent.join(", ")
            )
        });
        let start = element.range().start;
        if start < line_at.0 {
            line_at = (0, 1);
        }
        let newlines = text.as_bytes()[line_at.0..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        line_at = (start, line_at.1 + newlines as u64);
        let line = line_at.1;
        let position = index as Position + 1;
        made.push(
            RawRecord::xml_element(
                name.clone(),
                position,
                headers.clone(),
                fields,
                text[element.range()].to_string(),
                absent,
            )
            .at_line(line),
        );
    }
    for (field, count) in spec.fields.iter().zip(several) {
        if count > 0 {
            tracing::warn!(
                source,
                column = field.column,
                path = field.path,
                records = count,
                "the path selects several nodes in {count} record(s); the first of each was read, the others skipped"
            );
        }
    }
    Ok(made)
}

/// The `n`-th parent element of `element` (itself for 0); `None` above the root.
fn nth_parent<'a, 'i>(
    element: roxmltree::Node<'a, 'i>,
    n: usize,
) -> Option<roxmltree::Node<'a, 'i>> {
    let mut at = element;
    for _ in 0..n {
        at = at.parent_element()?;
    }
    Some(at)
}

/// A `records:` path matches wherever its elements are (`ProductionSchedule/ProductionRequest`
/// within `SyncProductionSchedule/DataArea`), unless it starts at the root with `/`.
fn anywhere(records: &str) -> String {
    if records.starts_with('/') {
        records.to_string()
    } else {
        format!("//{records}")
    }
}

impl Source for XmlSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Result<Option<RawRecord>, RunError> {
        let next = self.records.pop_front();
        // The document was read whole at open; progress counts the records handed out.
        if self.total > 0 {
            let handed = (self.total - self.records.len()) as u64;
            self.read_bytes = self.size * handed / self.total as u64;
        }
        Ok(next)
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
            total_bytes: Some(self.size),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEDULE: &str = r#"<?xml version="1.0"?>
<Sync xmlns="urn:b2mml"><DataArea><ProductionSchedule>
  <ProductionRequest><ID>258456</ID>
    <SegmentRequirement><ID>0010</ID>
      <MaterialRequirement><MaterialDefinitionID>SO1215</MaterialDefinitionID>
        <Quantity><QuantityString>1.000</QuantityString><UnitOfMeasure>KG</UnitOfMeasure></Quantity>
      </MaterialRequirement>
      <MaterialRequirement><Quantity><QuantityString>5</QuantityString></Quantity></MaterialRequirement>
    </SegmentRequirement>
  </ProductionRequest>
</ProductionSchedule></DataArea></Sync>"#;

    fn source(records: &str, fields: &[XmlField<'_>]) -> XmlSource {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schedule.xml");
        std::fs::write(&path, format!("\u{feff}{SCHEDULE}")).unwrap();
        XmlSource::open("orders", &path, &XmlRecords { records, fields }).unwrap()
    }

    #[test]
    fn one_record_per_selected_element_with_its_columns_and_xml() {
        let fields = [
            XmlField {
                column: "segment",
                path: "../ID",
                required: true,
            },
            XmlField {
                column: "material",
                path: "MaterialDefinitionID",
                required: true,
            },
            XmlField {
                column: "quantity",
                path: "Quantity/QuantityString",
                required: true,
            },
            XmlField {
                column: "uom",
                path: "Quantity/UnitOfMeasure",
                required: false,
            },
        ];
        let mut source = source("ProductionRequest//MaterialRequirement", &fields);
        assert_eq!(source.len(), 2);
        let first = source.read().unwrap().unwrap();
        assert_eq!(first.format(), "xml");
        assert_eq!(first.line(), 5);
        let original = first.original();
        assert_eq!(original["segment"], "0010");
        assert_eq!(original["quantity"], "1.000");
        assert_eq!(original["uom"], "KG");
        assert!(original["_fdi_xml"]
            .as_str()
            .unwrap()
            .starts_with("<MaterialRequirement><MaterialDefinitionID>SO1215"));
        assert_eq!(first.unreadable(), None);
        let second = source.read().unwrap().unwrap();
        assert_eq!(second.original()["uom"], "");
        let why = second.unreadable().unwrap();
        assert!(
            why.contains("material (path \"MaterialDefinitionID\")"),
            "{why}"
        );
        assert!(source.read().unwrap().is_none());
    }

    #[test]
    fn a_document_that_is_not_xml_or_too_big_is_refused_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.xml");
        std::fs::write(&path, "<a><b></a>").unwrap();
        let spec = XmlRecords {
            records: "b",
            fields: &[],
        };
        let error = XmlSource::open("orders", &path, &spec)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("not well-formed"), "{error}");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_DOCUMENT_BYTES + 1).unwrap();
        let error = XmlSource::open("orders", &path, &spec)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("reads whole"), "{error}");
    }
}
