//! The `xml` connector's checks beyond the connector table: its `records` path, a target's
//! document (`root`, `namespace`, `header`), and the `xml:` paths of the entity's fields (parsed
//! when the schema is loaded, `schema/load/xml_path.rs`). Paths are parsed by the runtime's own
//! parser (`fdi_runtime::xml`), so what checks here is what the program evaluates.

use fdi_runtime::xml::{WritableStep, XmlPath};

use crate::connectors::Checked;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, XmlHeader};
use crate::schema::{Entity, FieldType};
use crate::source_map::Span;
use crate::syntax::ast::Connector;

const PATH_HELP: &str = "paths are child steps by local name, `*`, `..`, `@attribute`, `//`, predicates `[Path='text']` and `count(path)` (docs/connectors/xml.md)";

/// The span of option `name` as written, else the connector's.
fn option_span(connector: &Connector, name: &str) -> Span {
    connector
        .option(name)
        .map_or(connector.span, |o| o.value.span)
}

/// The `records:` of an xml source or lookup, checked (E0840).
pub fn records_path(connector: &Connector, c: &Checked) -> Result<String, Vec<Diagnostic>> {
    let records = c.text("records");
    match XmlPath::parse(records) {
        Ok(path) if path.is_count() => Err(vec![Diagnostic::error(
            Code::MalformedXmlPath,
            format!("`records` {records:?} counts elements instead of selecting them"),
        )
        .label(option_span(connector, "records"), "a count is a number, not records")
        .help("select the elements that are records, such as `\"ProductionSchedule/ProductionRequest\"`")]),
        Ok(_) => Ok(records.to_string()),
        Err(error) => Err(vec![Diagnostic::error(
            Code::MalformedXmlPath,
            format!(
                "`records` {records:?} is not well-formed: {} (at character {})",
                error.message,
                error.start + 1
            ),
        )
        .label(option_span(connector, "records"), "malformed path")
        .help(format!("{}; {PATH_HELP}", error.help))]),
    }
}

/// An xml target's document, checked (E0843): `root` and `records` name elements, each `header`
/// entry is `Path=text`.
pub fn target_kind(connector: &Connector, c: &Checked) -> Result<ir::TargetKind, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut steps_of = |option: &str, text: &str, what: &str| -> Option<Vec<String>> {
        let steps = XmlPath::parse(text).ok().and_then(|p| p.writable_steps());
        let elements: Option<Vec<String>> = steps.and_then(|steps| {
            steps
                .into_iter()
                .map(|s| match s {
                    WritableStep::Element(name) => Some(name),
                    WritableStep::Attribute(_) => None,
                })
                .collect()
        });
        if elements.is_none() {
            problems.push(
                Diagnostic::error(
                    Code::XmlTargetShape,
                    format!("`{option}` {text:?} does not name {what}"),
                )
                .label(option_span(connector, option), "not element names separated by `/`")
                .help(format!(
                    "a target writes elements it can name: write {what} as element names separated by `/`, such as {}",
                    if option == "root" { "`\"OperationsPerformance\"`" } else { "`\"OperationsResponse\"`" }
                )),
            );
        }
        elements
    };
    let root = steps_of("root", c.text("root"), "the document's root element");
    let records = steps_of(
        "records",
        c.text("records"),
        "the elements that are records",
    );
    let root = match root.as_deref() {
        Some([one]) => Some(one.clone()),
        Some(_) => {
            problems.push(
                Diagnostic::error(
                    Code::XmlTargetShape,
                    format!("`root` {:?} is a path, not one element", c.text("root")),
                )
                .label(option_span(connector, "root"), "one element's name")
                .help("name the root element alone; put the elements below it in `records` or `header`"),
            );
            None
        }
        None => None,
    };
    let mut header = Vec::new();
    for entry in c.texts("header") {
        let parsed = entry.split_once('=').and_then(|(path, value)| {
            let steps = XmlPath::parse(path.trim()).ok()?.writable_steps()?;
            Some(XmlHeader {
                path: path.trim().to_string(),
                steps,
                value: value.to_string(),
            })
        });
        match parsed {
            Some(h) => header.push(h),
            None => problems.push(
                Diagnostic::error(
                    Code::XmlTargetShape,
                    format!("`header` entry {entry:?} is not `Path=text`"),
                )
                .label(option_span(connector, "header"), "each entry names an element (or `@attribute`) and its text")
                .help("write each header entry as the element's path, `=`, and its text: `\"ID=PERF-0001\"`, `\"OperationsType=Production\"`"),
            ),
        }
    }
    let namespace = c.text("namespace").to_string();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ir::TargetKind::Xml {
        path: c.file.clone().unwrap_or_default(),
        root: root.unwrap_or_default(),
        namespace,
        header,
        records: records.unwrap_or_default().join("/"),
    })
}

/// The checks of an xml source's or lookup's entity: a field read with `count(...)` is an `int`
/// (E0844).
pub fn check_read_entity(entity: &Entity) -> Vec<Diagnostic> {
    entity
        .fields
        .iter()
        .filter_map(|field| {
            let xml = field.xml.as_ref()?;
            (xml.is_count && field.ty != FieldType::Int).then(|| {
                Diagnostic::error(
                    Code::XmlCountNotInt,
                    format!(
                        "field `{}` is read with `count(...)`, a whole number, but is not an `int`",
                        field.name
                    ),
                )
                .label(xml.span, "a count")
                .label(field.span, "declared here")
                .help(format!(
                    "declare the field `{}: {{ type: int, xml: {:?} }}`",
                    field.name, xml.text
                ))
            })
        })
        .collect()
}

/// E0841 for each field of `entity` with an `xml:` path, read by `reader` (`source `mill``), whose
/// connector `kind` is not xml: the path would be ignored and the column read by name.
pub fn paths_off_xml(entity: &Entity, reader: &str, kind: &str, decl: Span) -> Vec<Diagnostic> {
    entity
        .fields
        .iter()
        .filter_map(|field| {
            let xml = field.xml.as_ref()?;
            Some(
                Diagnostic::error(
                    Code::XmlPathOffXml,
                    format!(
                        "field `{}` of `{}` says where it is in an XML document, but {reader} reads `{kind}`",
                        field.name, entity.name
                    ),
                )
                .label(xml.span, "an XML path")
                .label(decl, format!("reads a `{kind}` file, by column names"))
                .help("read the entity with `xml(\"FILE\", records: \"PATH\")`, or give the other connector an entity without `xml:` paths"),
            )
        })
        .collect()
}

/// The checks of an xml target's entity: every field's path names what to write (E0842), and no
/// field writes inside another's text or twice to one place (E0843).
pub fn check_written_entity(entity: &Entity) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut written: Vec<(Vec<WritableStep>, &str, String, Span)> = Vec::new();
    for field in &entity.fields {
        let (text, span) = match &field.xml {
            Some(xml) => (xml.text.clone(), xml.span),
            None => (field.external_name().to_string(), field.span),
        };
        let Some(steps) = XmlPath::parse(&text).ok().and_then(|p| p.writable_steps()) else {
            problems.push(
                Diagnostic::error(
                    Code::XmlPathNotWritable,
                    format!("an XML target cannot write field `{}` to {text:?}", field.name),
                )
                .label(span, "selects rather than names an element")
                .help("a target writes each field to a path of element names, the last step possibly `@attribute`, such as `\"Quantity/QuantityString\"`; give the target an entity of its own with such paths"),
            );
            continue;
        };
        for (earlier, earlier_name, earlier_text, earlier_span) in &written {
            let message = if *earlier == steps {
                format!(
                    "fields `{earlier_name}` and `{}` both write {text:?}",
                    field.name
                )
            } else if is_inside(earlier, &steps) {
                format!("field `{}` writes {text:?}, inside the element whose text field `{earlier_name}` writes ({earlier_text:?})", field.name)
            } else if is_inside(&steps, earlier) {
                format!("field `{}` writes its text to {text:?}, the element that holds field `{earlier_name}` ({earlier_text:?})", field.name)
            } else {
                continue;
            };
            problems.push(
                Diagnostic::error(Code::XmlTargetShape, message)
                    .label(span, "this path")
                    .label(*earlier_span, "and this one")
                    .help("give each field an element of its own: an element holds either a field's text or other elements"),
            );
        }
        written.push((steps, &field.name, text, span));
    }
    problems
}

/// Whether `inner` writes below the element `outer` writes its text to (attributes excepted).
fn is_inside(outer: &[WritableStep], inner: &[WritableStep]) -> bool {
    inner.len() > outer.len()
        && inner[..outer.len()] == *outer
        && matches!(inner[outer.len()], WritableStep::Element(_))
        && matches!(outer.last(), Some(WritableStep::Element(_)))
}

/// E0843 for `with provenance` on an xml target: its columns have no place in a document whose
/// elements the schema's paths fix (an XSD would refuse them).
pub fn provenance_refused(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::XmlTargetShape,
        "an XML target cannot keep provenance",
    )
    .label(span, "provenance columns have no element in the document")
    .help("remove `with provenance`; write the provenance to a JSON Lines or SQLite target of its own")
}
