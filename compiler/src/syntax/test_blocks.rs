//! Building `test` blocks and their records from the parse tree.

use pest::iterators::Pair;

use super::ast::*;
use super::parser::{Builder, GrammarRule as Rule};
use crate::diagnostic::{Code, Diagnostic};
use crate::source_map::Span;

impl Builder {
    pub(super) fn test(&mut self, pair: Pair<Rule>) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut p = pair.into_inner();
        let name = self.string(p.next()?);
        let mut parts = Vec::new();
        for part in p {
            let rule = part.as_rule();
            let mut q = part.into_inner();
            let subject = self.ident(q.next()?);
            let records = q
                .next()?
                .into_inner()
                .map(|r| self.record(r))
                .collect::<Option<Vec<_>>>()?;
            parts.push(match rule {
                Rule::test_input => TestPart::Input {
                    source: subject,
                    records,
                },
                Rule::test_lookup => TestPart::Lookup {
                    lookup: subject,
                    records,
                },
                _ => TestPart::Expect {
                    target: subject,
                    records,
                },
            });
        }
        Some(TestDecl { name, parts, span })
    }

    fn record(&mut self, pair: Pair<Rule>) -> Option<RecordLit> {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        for field in pair.into_inner() {
            let mut q = field.into_inner();
            let key = q.next()?;
            let key = if key.as_rule() == Rule::string {
                let s = self.string(key);
                Ident {
                    name: s.value,
                    span: s.span,
                }
            } else {
                self.ident(key)
            };
            let value = q.next()?;
            let value_span = self.span(&value);
            let kind = match value.as_rule() {
                Rule::null => ValueKind::Null,
                Rule::boolean => ValueKind::Bool(value.as_str() == "true"),
                Rule::string => ValueKind::String(self.string(value).value),
                _ => self.number_value(value.as_str(), value_span),
            };
            fields.push((
                key,
                ValueLit {
                    kind,
                    span: value_span,
                },
            ));
        }
        Some(RecordLit { fields, span })
    }

    /// A number in a test record: an int when it has no fraction or exponent.
    fn number_value(&mut self, text: &str, span: Span) -> ValueKind {
        let integral = !text.contains(['.', 'e', 'E']);
        if integral {
            if let Ok(v) = text.parse::<i64>() {
                return ValueKind::Int(v);
            }
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && !integral => ValueKind::Float(v),
            _ => {
                self.errors.push(
                    Diagnostic::error(Code::NumberOutOfRange, "this number is out of range")
                        .label(span, "out of range")
                        .help(format!(
                            "integers range from {} to {}; floats go up to about {:e}",
                            i64::MIN,
                            i64::MAX,
                            f64::MAX
                        )),
                );
                ValueKind::Int(0)
            }
        }
    }
}
