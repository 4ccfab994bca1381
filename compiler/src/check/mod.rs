//! The check stage: syntax tree + schemas to the typed [`ir::Program`], or every error found.
//!
//! The checker does no IO. It reports all errors of a file, root causes only: an expression
//! that already failed to check becomes `None`, and nothing built on it reports again; a `let`
//! that failed is bound as poisoned; an assignment to a field the target lacks stands for the
//! field it most likely meant (not reported as unassigned), and a pattern that failed for the
//! code it most likely meant (not reported as missing from the match). Warnings (E0344) do
//! not stop the check: they are reported with the errors, or travel on the program.

mod aliases;
mod builtins;
mod calls;
mod declarations;
mod delivery;
mod excluded;
mod expr;
mod flow;
mod functions;
mod http;
mod int_division;
mod lookup_keys;
mod matching;

mod mismatch;
mod modbus;
mod operators;
mod per_source;
mod presence;
mod quality;
mod skip;
mod source_fields;
mod tests;
mod types;
mod unit_help;
mod units;

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::schema::SchemaSet;
use crate::source_map::{SourceMap, Span};
use crate::syntax::ast;

/// Checks a parsed mapping against its schemas.
///
/// `sources` holds the texts the tree was parsed from; the checker reads only line numbers from
/// it, for messages that cite another line ("`m` is bound below, on line 12").
pub fn check(
    file: &ast::MappingFile,
    schema: &SchemaSet,
    sources: &SourceMap,
) -> Result<ir::Program, Vec<Diagnostic>> {
    let (schema, builtin_clash) = quality::with_quality_enum(schema);
    let mut checker = Checker {
        schema: &schema,
        sources,
        errors: builtin_clash.into_iter().collect(),
        decls: BTreeMap::new(),
        signatures: BTreeMap::new(),
        units: HashMap::new(),
        divisions: HashMap::new(),
        statement_reject: None,
        excluded: Vec::new(),
        runtime_features: Default::default(),
        shared: HashMap::new(),
    };
    let declared = checker.declarations(file);
    let functions = checker.functions(file);
    let shared = checker.per_sources(file, &declared);
    let flows: Vec<ir::Flow> = file
        .items
        .iter()
        .filter_map(|item| match item {
            ast::Item::Flow(flow) => checker.flow(flow, &declared),
            _ => None,
        })
        .collect();
    checker.unused_shared(&shared, &flows);
    checker.deliveries(file, &declared, &flows);
    let tests = checker.tests(file, &declared);
    checker
        .errors
        .sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
    // Warnings go with the errors when there are errors, and with the program otherwise.
    if checker.errors.iter().any(Diagnostic::is_error) {
        return Err(checker.errors);
    }
    Ok(ir::Program {
        name: file.name.name.clone(),
        version: file
            .version
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default(),
        schema: schema.clone(),
        sources: declared.sources,
        lookups: declared.lookups,
        targets: declared.targets,
        runtime_features: checker.runtime_features.iter().copied().collect(),
        flows,
        shared,
        functions,
        tests,
        dead_letter: declared
            .dead_letter
            .unwrap_or_else(|| format!("out/{}.dead-letter.jsonl", file.name.name)),
        warnings: checker.errors,
    })
}

/// What a declared name is, for resolving flows and expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeclKind {
    Source,
    Lookup,
    Target,
    Flow,
    Function,
}

impl DeclKind {
    fn describe(self) -> &'static str {
        match self {
            DeclKind::Source => "a source",
            DeclKind::Lookup => "a lookup",
            DeclKind::Target => "a target",
            DeclKind::Flow => "a flow",
            DeclKind::Function => "a function",
        }
    }
}

/// The checked declarations, before flows.
#[derive(Debug, Default)]
struct Declared {
    sources: Vec<ir::Source>,
    lookups: Vec<ir::Lookup>,
    targets: Vec<ir::Target>,
    dead_letter: Option<String>,
}

impl Declared {
    fn source(&self, name: &str) -> Option<&ir::Source> {
        self.sources.iter().find(|s| s.name == name)
    }
    fn lookup(&self, name: &str) -> Option<&ir::Lookup> {
        self.lookups.iter().find(|s| s.name == name)
    }
    fn target(&self, name: &str) -> Option<&ir::Target> {
        self.targets.iter().find(|s| s.name == name)
    }
}

struct Checker<'a> {
    schema: &'a SchemaSet,
    sources: &'a SourceMap,
    /// Errors and warnings, in the order found.
    errors: Vec<Diagnostic>,
    /// The `let`s of the flow being checked whose value is an integer division, by name, for
    /// a warning where the binding is used as a float.
    divisions: HashMap<String, int_division::Division>,
    /// The `else reject` of the statement being checked, if it has one.
    statement_reject: Option<Span>,
    /// The enum codes the filters of the flow being checked have excluded so far (its `where`,
    /// its `skip when`s above the statement being checked); empty outside flows.
    excluded: Vec<excluded::Exclusion>,
    /// Every declared name with its kind and the span of its name.
    decls: BTreeMap<String, (DeclKind, Span)>,
    /// Functions whose declaration checked, by name.
    signatures: BTreeMap<String, functions::Signature>,
    /// Units already read, by their text: a mapping writes the same few units many times.
    units: HashMap<String, crate::units::Unit>,
    /// The runtime's cargo features of the connectors declared (see `connectors::Checked`).
    runtime_features: std::collections::BTreeSet<&'static str>,
    /// Per source with a `per source` block, its bindings and the block's header
    /// (`per_source.rs`): the scope every flow of the source starts with.
    shared: HashMap<String, (Vec<per_source::SharedBinding>, Span)>,
}

impl Checker<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    /// The 1-based line a span starts on.
    fn line_of(&self, span: Span) -> usize {
        let text = &self.sources.get(span.file).text;
        crate::diagnostic::line_column(text, span.start).0
    }
}
