//! XML documents as a target: a document root (in its namespace), header elements, and one
//! element per record built from its fields' paths in the schema's order (the order an XSD's
//! sequences fix).
//!
//! An ERP's import folder takes whole documents: a file that appears is complete. So a document
//! is never appended to: it is written to a temporary file beside it, synced, and renamed over
//! its name (then the folder is synced). A batch run (every source a file) writes one document,
//! `path`, holding every record of the run, when the run makes its records durable; a run read
//! again from its start writes it anew. A service writes one document per checkpoint holding the
//! records since the last one, named `<stem>-<UTC time>-<sequence>.<extension>` beside `path`; a
//! record delivered again after a crash is then in a second document.

use std::fmt::Write as _;
use std::io::Write as _;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::path::{WritableStep, XmlPath};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{check_writable, Durable, Target};

/// What a mapping's XML target declares: `xml("FILE", root:, namespace:, header:, records:)`, and
/// each field's `(column, path)` from its entity's schema, in the schema's order.
#[derive(Debug, Clone, Copy)]
pub struct XmlDocument<'a> {
    pub root: &'a str,
    /// The namespace of every element written; none when empty.
    pub namespace: &'a str,
    /// `(path, text)`: elements (or attributes) written under the root before the records.
    pub header: &'a [(&'a str, &'a str)],
    /// The path below the root of each record's element.
    pub records: &'a str,
    pub fields: &'a [(&'a str, &'a str)],
}

/// An element being built.
#[derive(Debug, Clone, Default, PartialEq)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<Element>,
}

impl Element {
    fn named(name: &str) -> Self {
        Element {
            name: name.to_string(),
            ..Element::default()
        }
    }

    /// The last child named `name`, made when there is none: paths that share their first steps
    /// (`Quantity/QuantityString`, `Quantity/UnitOfMeasure`) fill one element.
    fn child(&mut self, name: &str) -> &mut Element {
        match self.children.iter().rposition(|c| c.name == name) {
            Some(at) => &mut self.children[at],
            None => {
                self.children.push(Element::named(name));
                self.children.last_mut().expect("just pushed")
            }
        }
    }

    /// Writes `text` at `steps` below this element.
    fn place(&mut self, steps: &[WritableStep], text: String) {
        let Some((last, parents)) = steps.split_last() else {
            return;
        };
        let mut at = self;
        for step in parents {
            if let WritableStep::Element(name) = step {
                at = at.child(name);
            }
        }
        match last {
            WritableStep::Element(name) => {
                let mut element = Element::named(name);
                element.text = Some(text);
                at.children.push(element);
            }
            WritableStep::Attribute(name) => at.attributes.push((name.clone(), text)),
        }
    }

    fn write(&self, out: &mut String, depth: usize, namespace: Option<&str>) {
        let indent = "  ".repeat(depth);
        let _ = write!(out, "{indent}<{}", self.name);
        if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
            let _ = write!(out, " xmlns=\"{}\"", escape(namespace, true));
        }
        for (name, value) in &self.attributes {
            let _ = write!(out, " {name}=\"{}\"", escape(value, true));
        }
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>\n"),
            (Some(text), true) => {
                let _ = writeln!(out, ">{}</{}>", escape(text, false), self.name);
            }
            (text, false) => {
                out.push('>');
                if let Some(text) = text {
                    out.push_str(&escape(text, false));
                }
                out.push('\n');
                for child in &self.children {
                    child.write(out, depth + 1, None);
                }
                let _ = writeln!(out, "{indent}</{}>", self.name);
            }
        }
    }
}

/// `text` with XML's special characters escaped (in an attribute, quotes and line breaks too, which
/// attribute normalisation would otherwise turn into spaces).
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether XML 1.0 can hold `c` at all (no control characters but tab and line breaks).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Parsed once when the target opens: the steps of every path.
#[derive(Debug, Clone)]
struct Shape {
    root: String,
    namespace: String,
    header: Vec<(Vec<WritableStep>, String)>,
    /// The elements that hold the records, below the root.
    container: Vec<String>,
    record: String,
    fields: Vec<(String, Vec<WritableStep>)>,
}

impl Shape {
    fn of(target: &str, spec: &XmlDocument<'_>) -> Result<Self, RunError> {
        let steps = |path: &str| {
            XmlPath::parse(path)
                .ok()
                .and_then(|p| p.writable_steps())
                .ok_or_else(|| {
                    RunError::Program(format!(
                        "XML target {target}: the path {path:?} does not name elements to write"
                    ))
                })
        };
        let mut records: Vec<String> = steps(spec.records)?
            .into_iter()
            .filter_map(|s| match s {
                WritableStep::Element(name) => Some(name),
                WritableStep::Attribute(_) => None,
            })
            .collect();
        let record = records.pop().ok_or_else(|| {
            RunError::Program(format!("XML target {target} names no record element"))
        })?;
        Ok(Shape {
            root: spec.root.to_string(),
            namespace: spec.namespace.to_string(),
            header: spec
                .header
                .iter()
                .map(|(path, text)| Ok((steps(path)?, text.to_string())))
                .collect::<Result<_, RunError>>()?,
            container: records,
            record,
            fields: spec
                .fields
                .iter()
                .map(|(column, path)| Ok((column.to_string(), steps(path)?)))
                .collect::<Result<_, RunError>>()?,
        })
    }

    /// The whole document, with `records` in order.
    fn document(&self, records: &[Element]) -> String {
        let mut root = Element::named(&self.root);
        for (steps, text) in &self.header {
            root.place(steps, text.clone());
        }
        let mut container = &mut root;
        for name in &self.container {
            container = container.child(name);
        }
        container.children.extend(records.iter().cloned());
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        root.write(&mut out, 0, Some(&self.namespace));
        out
    }

    /// A record's element: each field's text at its path, a field without a value (`null`) left
    /// out.
    fn element(&self, record: &serde_json::Value) -> Result<Element, Reject> {
        let serde_json::Value::Object(members) = record else {
            return Err(Reject::new("the record is not a set of fields"));
        };
        let mut element = Element::named(&self.record);
        for (column, steps) in &self.fields {
            let text = match members.get(column) {
                None | Some(serde_json::Value::Null) => continue,
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            };
            if let Some(bad) = text.chars().find(|c| !xml_char(*c)) {
                return Err(Reject::new("a value cannot be written in XML").with_detail(format!(
                    "field {column} holds the control character U+{:04X}, which XML 1.0 cannot hold",
                    bad as u32
                )));
            }
            element.place(steps, text);
        }
        Ok(element)
    }
}

/// Whether the target writes one document for the run or one per checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Documents {
    /// A batch run: `path`, every record of the run, written anew at each flush.
    OnePerRun,
    /// A service: a new document beside `path` at each checkpoint with records.
    OnePerCheckpoint,
}

/// Writes records as elements of XML documents (see the module's documentation).
pub struct XmlTarget<T> {
    name: String,
    path: PathBuf,
    shape: Shape,
    documents: Documents,
    /// The records of the document not yet written: all of the run's, or those since the last
    /// checkpoint.
    records: Vec<Element>,
    /// Whether records were written since the document was last written.
    changed: bool,
    /// The documents written (per checkpoint: the next one's sequence number).
    written_documents: u64,
    _record: PhantomData<fn(&T)>,
}

impl<T> XmlTarget<T> {
    /// A target writing `path` (a batch run: `per_checkpoint` false) or documents beside it (a
    /// service). Nothing is written until the first flush: a run that fails before it leaves the
    /// previous document whole.
    pub fn open(
        name: &str,
        path: &Path,
        spec: &XmlDocument<'_>,
        per_checkpoint: bool,
    ) -> Result<Self, RunError> {
        crate::files::create_parent_dirs(path, &format!("output of target {name}"))?;
        Ok(XmlTarget {
            name: name.to_string(),
            path: path.to_path_buf(),
            shape: Shape::of(name, spec)?,
            documents: if per_checkpoint {
                Documents::OnePerCheckpoint
            } else {
                Documents::OnePerRun
            },
            records: Vec::new(),
            // A batch run writes its document even when no record reaches it.
            changed: !per_checkpoint,
            written_documents: 0,
            _record: PhantomData,
        })
    }

    /// The document a flush writes next: `path`, or for a service a new name beside it.
    fn next_path(&self) -> PathBuf {
        match self.documents {
            Documents::OnePerRun => self.path.clone(),
            Documents::OnePerCheckpoint => {
                let stem = self
                    .path
                    .file_stem()
                    .map_or("document".into(), |s| s.to_string_lossy().into_owned());
                let extension = self
                    .path
                    .extension()
                    .map_or("xml".into(), |e| e.to_string_lossy().into_owned());
                let time = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                self.path.with_file_name(format!(
                    "{stem}-{time}-{:06}.{extension}",
                    self.written_documents + 1
                ))
            }
        }
    }

    /// Writes the document whole or not at all: a temporary file, synced, renamed over its
    /// name, and the folder synced so that the rename outlives a crash.
    fn write_document(&mut self) -> Result<(), RunError> {
        if !self.changed {
            return Ok(());
        }
        let path = self.next_path();
        let text = self.shape.document(&self.records);
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let what = format!("document of target {}", self.name);
        let io = |action: &str, at: &Path, e| RunError::io(format!("{action} the {what}"), at, e);
        let mut file =
            std::fs::File::create(&temporary).map_err(|e| io("create", &temporary, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", &temporary, e))?;
        drop(file);
        std::fs::rename(&temporary, &path).map_err(|e| io("rename", &path, e))?;
        let folder = path
            .parent()
            .filter(|f| !f.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(folder)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("sync the folder of", folder, e))?;
        self.written_documents += 1;
        self.changed = false;
        if self.documents == Documents::OnePerCheckpoint {
            self.records.clear();
        }
        Ok(())
    }
}

impl<T> Durable for XmlTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.write_document()
    }

    /// A checkpoint of a source read again from its start after a crash: the run's document is
    /// written at the end (rewriting it at every checkpoint would cost the square of its size);
    /// a service's documents are written per checkpoint all the same.
    fn hand_over(&mut self) -> Result<(), RunError> {
        match self.documents {
            Documents::OnePerRun => Ok(()),
            Documents::OnePerCheckpoint => self.write_document(),
        }
    }
}

impl<T: Serialize> Target<T> for XmlTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        if let Err(reject) = check_writable(record) {
            return Ok(Err(reject));
        }
        let value = match serde_json::to_value(record) {
            Ok(value) => value,
            Err(e) => {
                return Ok(Err(
                    Reject::new("the record cannot be serialized").with_detail(e.to_string())
                ))
            }
        };
        match self.shape.element(&value) {
            Ok(element) => {
                self.records.push(element);
                self.changed = true;
                Ok(Ok(()))
            }
            Err(reject) => Ok(Err(reject)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: XmlDocument<'static> = XmlDocument {
        root: "OperationsPerformance",
        namespace: "urn:b2mml",
        header: &[("ID", "P-1"), ("OperationsType", "Production")],
        records: "OperationsResponse",
        fields: &[
            ("order", "ID"),
            ("segment", "SegmentResponse/ID"),
            (
                "quantity",
                "SegmentResponse/MaterialActual/Quantity/QuantityString",
            ),
            (
                "uom",
                "SegmentResponse/MaterialActual/Quantity/UnitOfMeasure",
            ),
            ("note", "SegmentResponse/@note"),
        ],
    };

    #[test]
    fn a_batch_run_writes_one_document_with_every_record_in_field_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/perf.xml");
        let mut target = XmlTarget::open("perf", &path, &SPEC, false).unwrap();
        let rows = [
            json!({"order": "258456", "segment": "Weighing", "quantity": 0.41, "uom": "KG", "note": "a<\"b\""}),
            json!({"order": "258457", "segment": "Mixing", "quantity": 2, "uom": null, "note": null}),
        ];
        for row in &rows {
            target.write(row).unwrap().unwrap();
        }
        target.hand_over().unwrap();
        assert!(!path.exists(), "a batch run's document waits for the flush");
        target.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<OperationsPerformance xmlns="urn:b2mml">
  <ID>P-1</ID>
  <OperationsType>Production</OperationsType>
  <OperationsResponse>
    <ID>258456</ID>
    <SegmentResponse note="a&lt;&quot;b&quot;">
      <ID>Weighing</ID>
      <MaterialActual>
        <Quantity>
          <QuantityString>0.41</QuantityString>
          <UnitOfMeasure>KG</UnitOfMeasure>
        </Quantity>
      </MaterialActual>
    </SegmentResponse>
  </OperationsResponse>
  <OperationsResponse>
    <ID>258457</ID>
    <SegmentResponse>
      <ID>Mixing</ID>
      <MaterialActual>
        <Quantity>
          <QuantityString>2</QuantityString>
        </Quantity>
      </MaterialActual>
    </SegmentResponse>
  </OperationsResponse>
</OperationsPerformance>
"#;
        assert_eq!(text, expected);
        assert!(roxmltree::Document::parse(&text).is_ok());
    }

    #[test]
    fn a_service_writes_a_document_per_checkpoint_with_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perf.xml");
        let mut target = XmlTarget::open("perf", &path, &SPEC, true).unwrap();
        target.flush().unwrap();
        target
            .write(
                &json!({"order": "1", "segment": "S", "quantity": 1.5, "uom": "KG", "note": null}),
            )
            .unwrap()
            .unwrap();
        target.hand_over().unwrap();
        target
            .write(&json!({"order": "2", "segment": "S", "quantity": 1, "uom": "KG", "note": null}))
            .unwrap()
            .unwrap();
        target.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            names[0].starts_with("perf-") && names[0].ends_with("-000001.xml"),
            "{names:?}"
        );
        let second = std::fs::read_to_string(dir.path().join(&names[1])).unwrap();
        assert!(
            second.contains("<ID>2</ID>") && !second.contains("<ID>1</ID>"),
            "{second}"
        );
    }

    #[test]
    fn records_inside_containers_share_them_with_the_header() {
        let spec = XmlDocument {
            root: "SyncOperationsPerformance",
            namespace: "",
            header: &[
                ("ApplicationArea/CreationDateTime", "2026-12-07T09:00:00Z"),
                ("DataArea/OperationsPerformance/ID", "P-1"),
                ("@releaseID", "1"),
            ],
            records: "DataArea/OperationsPerformance/OperationsResponse",
            fields: &[("order", "ID")],
        };
        let shape = Shape::of("perf", &spec).unwrap();
        let records: Vec<Element> = ["1", "2"]
            .iter()
            .map(|id| shape.element(&json!({ "order": id })).unwrap())
            .collect();
        let text = shape.document(&records);
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<SyncOperationsPerformance releaseID="1">
  <ApplicationArea>
    <CreationDateTime>2026-12-07T09:00:00Z</CreationDateTime>
  </ApplicationArea>
  <DataArea>
    <OperationsPerformance>
      <ID>P-1</ID>
      <OperationsResponse>
        <ID>1</ID>
      </OperationsResponse>
      <OperationsResponse>
        <ID>2</ID>
      </OperationsResponse>
    </OperationsPerformance>
  </DataArea>
</SyncOperationsPerformance>
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn a_control_character_is_a_reject() {
        let dir = tempfile::tempdir().unwrap();
        let mut target = XmlTarget::open("perf", &dir.path().join("p.xml"), &SPEC, false).unwrap();
        let reject = target
            .write(&json!({"order": "a\u{1}b", "segment": "S", "quantity": 1, "uom": "KG", "note": null}))
            .unwrap()
            .unwrap_err();
        assert!(reject.detail.unwrap().contains("U+0001"));
    }
}
