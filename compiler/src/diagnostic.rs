//! Diagnostics: what every stage reports, and how it is shown to a person or to CI.
//!
//! Each stage builds [`Diagnostic`]s with a stable [`Code`] (see `codes.rs`), a title, labelled
//! spans and a hint. [`Diagnostic::render`] turns one into a miette report for the terminal;
//! [`Diagnostic::to_json`] into the machine-readable form of `fdi check --format json`.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, SourceSpan};

pub use crate::codes::Code;
use crate::source_map::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short text saying what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One line saying what is wrong, in the reader's terms.
    pub message: String,
    /// The first label is the primary one: where the problem is.
    pub labels: Vec<Label>,
    /// What to do about it, including "did you mean" suggestions.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning: printed like an error, but the mapping still checks and builds (unless
    /// `fdi check --deny-warnings`).
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Adds a label; the first one added is the primary label.
    #[must_use]
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help only when there is one (for optional "did you mean" hints).
    #[must_use]
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    /// A miette report: labels in the primary label's file are drawn on that file; labels in
    /// other files (a schema declaration, say) become related notes with their own file.
    pub fn render(&self, sources: &SourceMap) -> Rendered {
        let primary_file = self.labels.first().map(|l| l.span.file);
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for (i, label) in self.labels.iter().enumerate() {
            if Some(label.span.file) == primary_file {
                let span: SourceSpan = label.span.into();
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(Some(label.text.clone()), span)
                } else {
                    LabeledSpan::new_with_span(Some(label.text.clone()), span)
                });
            } else {
                related.push(Rendered {
                    code: None,
                    severity: miette::Severity::Advice,
                    message: label.text.clone(),
                    help: None,
                    source: Some(named_source(sources, label.span)),
                    labels: vec![LabeledSpan::new_with_span(
                        None,
                        SourceSpan::from(label.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
        Rendered {
            code: Some(self.code),
            severity: match self.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            message: self.message.clone(),
            help: self.help.clone(),
            source: self.labels.first().map(|l| named_source(sources, l.span)),
            labels,
            related,
        }
    }

    /// The diagnostic as plain text with miette's graphical renderer, without colour.
    pub fn render_plain(&self, sources: &SourceMap) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100);
        self.render_with(&handler, sources)
    }

    /// The diagnostic as text with the given miette renderer (the terminal's, with colour).
    pub fn render_with(
        &self,
        handler: &miette::GraphicalReportHandler,
        sources: &SourceMap,
    ) -> String {
        let mut out = String::new();
        if handler
            .render_report(&mut out, &self.render(sources))
            .is_err()
        {
            out = format!("{}: {}", self.code, self.message);
        }
        out
    }

    /// The machine-readable form for `--format json`.
    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        let labels: Vec<serde_json::Value> = self
            .labels
            .iter()
            .map(|l| {
                let file = sources.get(l.span.file);
                let (line, column) = line_column(&file.text, l.span.start);
                serde_json::json!({
                    "file": file.display_name(),
                    "line": line,
                    "column": column,
                    "start": l.span.start,
                    "end": l.span.end,
                    "text": l.text,
                })
            })
            .collect();
        let primary = labels.first().cloned();
        serde_json::json!({
            "code": self.code.as_str(),
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "message": self.message,
            "file": primary.as_ref().map(|p| p["file"].clone()),
            "line": primary.as_ref().map(|p| p["line"].clone()),
            "column": primary.as_ref().map(|p| p["column"].clone()),
            "labels": labels,
            "help": self.help,
        })
    }
}

fn named_source(sources: &SourceMap, span: Span) -> NamedSource<Arc<str>> {
    let file = sources.get(span.file);
    NamedSource::new(file.display_name(), file.text.clone())
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A diagnostic ready for miette's renderer.
#[derive(Debug)]
pub struct Rendered {
    code: Option<Code>,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .map(|c| Box::new(c.as_str()) as Box<dyn fmt::Display + 'a>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// The closest of `candidates` to `name`, for "did you mean" hints.
pub use fdi_runtime::suggest::closest;

/// "did you mean `x`?" when something close exists.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}
