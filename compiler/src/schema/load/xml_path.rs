//! A field's `xml:` path (`xml: "Quantity/QuantityString"`), checked as the schema is loaded with
//! the runtime's own parser, so that a path the program could not evaluate fails `fdi check`.

use serde_yaml::Value;

use super::FileLoader;
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::XmlFieldPath;
use crate::source_map::Span;

impl FileLoader<'_> {
    /// The `xml:` of field `path`; `None` after an error.
    pub(super) fn xml_path(&mut self, path: &[&str], spec: &Value) -> Option<XmlFieldPath> {
        let field = path.last().copied().unwrap_or("");
        let key_path = [path, &["xml"]].concat();
        let Some(text) = spec.as_str() else {
            self.shape_error(
                &key_path,
                "not a path",
                format!("`xml` of field `{field}` must be a path, as text"),
                "quote the path: `xml: \"Quantity/QuantityString\"`",
            );
            return None;
        };
        let span = self.value_span(&key_path, text);
        match fdi_runtime::xml::XmlPath::parse(text) {
            Ok(parsed) => Some(XmlFieldPath {
                text: text.to_string(),
                is_count: parsed.is_count(),
                span,
            }),
            Err(error) => {
                let literal = self.text.get(span.start..span.end) == Some(text);
                self.errors.push(malformed_path(
                    &error,
                    span,
                    literal,
                    format!(
                        "the XML path of field `{field}` is not well-formed: {}",
                        error.message
                    ),
                ));
                None
            }
        }
    }
}

/// E0840 for `error` in a path written at `span`: labelled on the offending part when the span is
/// the path's own text (`literal`: no escapes between them), else on the whole path.
fn malformed_path(
    error: &fdi_runtime::xml::PathError,
    span: Span,
    literal: bool,
    message: String,
) -> Diagnostic {
    let at = if literal {
        let start = (span.start + error.start).min(span.end);
        let end = (span.start + error.end.max(error.start + 1)).min(span.end.max(start));
        Span::new(span.file, start, end.max(start))
    } else {
        span
    };
    Diagnostic::error(Code::MalformedXmlPath, message)
        .label(at, "here")
        .help(format!(
            "{}; paths are child steps by local name, `*`, `..`, `@attribute`, `//`, predicates `[Path='text']` and `count(path)` (docs/connectors/xml.md)",
            error.help
        ))
}
