//! `src/flows/`: one module per flow, each with one function that maps a source record to a
//! target record (the map stage).

use std::collections::{HashMap, HashSet};

use codegen::{Function, Scope};

use super::expr::ExprEmitter;
use super::names::field_ident;
use super::origin::Origins;
use crate::ir::{self, ExprKind, Step};

/// Names the generated flow function uses itself: its parameters (also as `_record` when
/// unused). The bindings of the generated code's closures (`|row|`, `|x|`) and `match` arms
/// (`Ok(value)`) never enclose code of the mapping, so a binding of the mapping may share them.
const RESERVED: &[&str] = &["record", "raw", "lookups", "_record", "_raw", "_lookups"];

pub fn flows_mod_rs(program: &ir::Program) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw("//! The flows of the mapping: each maps one source record to one target record.");
    for flow in &program.flows {
        scope.raw(format!("mod {};", flow.name));
    }
    for flow in &program.flows {
        scope.raw(format!("pub use {}::{};", flow.name, flow.name));
    }
    let lookups = scope.new_struct("Lookups").vis("pub").doc(
        "The master-data tables the flows look records up in, loaded before any source is read.",
    );
    for lookup in &program.lookups {
        lookups
            .new_field(
                field_ident(&lookup.name),
                format!("::fdi_runtime::Lookup<crate::types::{}>", lookup.entity),
            )
            .vis("pub")
            .doc(format!(
                "`{}`: `{}` records by `{}`.",
                lookup.name, lookup.entity, lookup.key_field
            ));
    }
    scope.to_string() + "\n"
}

pub fn flow_rs(program: &ir::Program, flow: &ir::Flow, origins: &Origins) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw(format!(
        "//! flow {}: {} -> {}",
        flow.name, flow.source, flow.target
    ));
    let uses = Uses::of(flow);
    if uses.or_reject {
        scope.raw("use ::fdi_runtime::OrReject as _;");
    }
    let locals = FlowLocals::of(flow);
    let emitter = ExprEmitter {
        locals: locals.lets.clone(),
        schema: &program.schema,
    };

    let mut function = Function::new(&flow.name);
    function
        .vis("pub")
        .allow("non_snake_case")
        .doc(format!(
            "Maps one `{}` record of source `{}` to a `{}` for target `{}`.",
            flow.source_entity, flow.source, flow.target_entity, flow.target
        ))
        .arg(
            if uses.record { "record" } else { "_record" },
            format!("&crate::types::{}", flow.source_entity),
        )
        .arg(
            if uses.raw { "raw" } else { "_raw" },
            "&::fdi_runtime::RawRecord",
        )
        .arg(
            if uses.lookups { "lookups" } else { "_lookups" },
            "&super::Lookups",
        )
        .ret(format!(
            "Result<::fdi_runtime::MapOutcome<crate::types::{}>, ::fdi_runtime::Reject>",
            flow.target_entity
        ));

    if let Some(filter) = &flow.filter {
        function.line(format!(
            "{}if {} {{\n    return Ok(::fdi_runtime::MapOutcome::Filtered);\n}}",
            origins.comment(filter.span),
            emitter.negated(&filter.condition)
        ));
    }
    // Per assigned field, what the target record's field is set to.
    let mut assigned: HashMap<&str, String> = HashMap::new();
    for step in &flow.steps {
        let statement = match step {
            Step::Let {
                name,
                value,
                on_failure,
                ..
            } => {
                let local = &emitter.locals[name];
                match on_failure {
                    Some(reason) => format!(
                        "let {local} = {}.or_reject({reason:?})?;",
                        emitter.result(value)
                    ),
                    None => format!("let {local} = {};", emitter.value(value)),
                }
            }
            Step::Assign {
                field,
                optional_field,
                value,
                on_failure,
                ..
            } => {
                let local = &locals.fields[field];
                let (statement, field_value) = match on_failure {
                    Some(reason) => (
                        format!(
                            "let {local} = {}.or_reject({reason:?})?;",
                            emitter.result(value)
                        ),
                        wrap_optional(local, *optional_field),
                    ),
                    // An optional value into an optional field: absent stays absent.
                    None if value.is_fallible() => {
                        let option = emitter
                            .option(value)
                            .unwrap_or_else(|| format!("{}.ok()", emitter.value(value)));
                        (format!("let {local} = {option};"), local.clone())
                    }
                    None => (
                        format!("let {local} = {};", emitter.value(value)),
                        wrap_optional(local, *optional_field),
                    ),
                };
                assigned.insert(field, field_value);
                statement
            }
        };
        function.line(format!("{}{statement}", origins.comment(step.span())));
    }
    let entity = &program.schema.entities[&flow.target_entity];
    let fields: Vec<String> = entity
        .fields
        .iter()
        .map(|f| {
            let name = field_ident(&f.name);
            match assigned.get(f.name.as_str()) {
                Some(value) if *value == name => format!("    {name},"),
                Some(value) => format!("    {name}: {value},"),
                None => format!("    {name}: None,"),
            }
        })
        .collect();
    function.line(format!(
        "Ok(::fdi_runtime::MapOutcome::Mapped(crate::types::{} {{\n{}\n}}))",
        flow.target_entity,
        fields.join("\n")
    ));
    scope.push_fn(function);
    scope.to_string() + "\n"
}

/// The value of an optional target field assigned a value that is always there.
fn wrap_optional(local: &str, optional_field: bool) -> String {
    if optional_field {
        format!("Some({local})")
    } else {
        local.to_string()
    }
}

/// The Rust locals of a flow's function: one per `let` binding and one per assigned field (a
/// binding and a field may share a name), never two alike and never one the function uses
/// itself.
struct FlowLocals {
    lets: HashMap<String, String>,
    fields: HashMap<String, String>,
}

impl FlowLocals {
    fn of(flow: &ir::Flow) -> FlowLocals {
        let mut taken = LocalNames::new(RESERVED);
        let lets: Vec<&String> = flow
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Let { name, .. } => Some(name),
                Step::Assign { .. } => None,
            })
            .collect();
        let fields: Vec<&String> = flow
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Assign { field, .. } => Some(field),
                Step::Let { .. } => None,
            })
            .collect();
        // Bindings first: a `let` keeps the name the user wrote whenever Rust allows it, so the
        // generated code reads like the mapping; fields get `out_` when a binding has theirs.
        let lets = taken.allocate_all(&lets, |name| vec![field_ident(name)]);
        let fields = taken.allocate_all(&fields, |field| {
            vec![field_ident(field), format!("out_{field}")]
        });
        FlowLocals { lets, fields }
    }
}

/// Allocates Rust local names in one function against the names already taken, so that a
/// generated name never stands for two things (`let out_s` beside a field `s` whose local
/// would have been `out_s`).
///
/// A general allocator: it belongs with the other identifier rules in `names.rs`.
pub(super) struct LocalNames {
    taken: HashSet<String>,
}

impl LocalNames {
    /// `reserved`: the names the generated function uses itself. Names that a binding cannot
    /// take (`None`, `Some`, `Ok`, `Err`: patterns, not variables) are always taken.
    pub(super) fn new(reserved: &[&str]) -> LocalNames {
        let taken = reserved
            .iter()
            .chain(PRELUDE_VALUES)
            .map(|name| name.to_string())
            .collect();
        LocalNames { taken }
    }

    /// A local for each name: the first of `candidates(name)` still free, when it is a valid
    /// local; otherwise the first candidate with the first free `_N` suffix. Every name that
    /// can have its first candidate gets it before any other name is renamed, so a renamed
    /// name never takes a name the user wrote (`record_` beside `record`).
    pub(super) fn allocate_all(
        &mut self,
        names: &[&String],
        candidates: impl Fn(&str) -> Vec<String>,
    ) -> HashMap<String, String> {
        let mut locals = HashMap::new();
        for name in names {
            let first = candidates(name).remove(0);
            if !self.taken.contains(&first) && !locals.values().any(|l| *l == first) {
                locals.insert(name.to_string(), first);
            }
        }
        self.taken.extend(locals.values().cloned());
        for name in names {
            if locals.contains_key(name.as_str()) {
                continue;
            }
            let candidates = candidates(name);
            let local = candidates
                .iter()
                .find(|c| !self.taken.contains(*c))
                .cloned()
                .unwrap_or_else(|| {
                    let base = candidates.last().expect("at least one candidate");
                    let base = base.trim_start_matches("r#");
                    (2..)
                        .map(|n| format!("{base}_{n}"))
                        .find(|c| !self.taken.contains(c))
                        .expect("a free suffix")
                });
            self.taken.insert(local.clone());
            locals.insert(name.to_string(), local);
        }
        locals
    }
}

/// Names of the prelude that are patterns in a `let`, never new variables.
const PRELUDE_VALUES: &[&str] = &["None", "Some", "Ok", "Err"];

/// Which parameters a flow's function reads, so unused ones are named `_x`.
struct Uses {
    record: bool,
    raw: bool,
    lookups: bool,
    /// Whether a statement has `else reject` (and the flow calls `or_reject`).
    or_reject: bool,
}

impl Uses {
    fn of(flow: &ir::Flow) -> Uses {
        let mut uses = Uses {
            record: false,
            raw: false,
            lookups: false,
            or_reject: false,
        };
        let exprs = flow
            .filter
            .iter()
            .map(|f| &f.condition)
            .chain(flow.steps.iter().map(|s| match s {
                Step::Let { value, .. } | Step::Assign { value, .. } => value,
            }));
        uses.or_reject = flow.steps.iter().any(|s| match s {
            Step::Let { on_failure, .. } | Step::Assign { on_failure, .. } => on_failure.is_some(),
        });
        for e in exprs {
            uses.visit(e);
        }
        uses
    }

    fn visit(&mut self, e: &ir::Expr) {
        match &e.kind {
            ExprKind::SourceField { .. } | ExprKind::SourceSample { .. } => self.record = true,
            ExprKind::SourcePosition | ExprKind::SourceName => self.raw = true,
            ExprKind::Lookup { key, .. } => {
                self.lookups = true;
                self.visit(key);
            }
            ExprKind::Literal(_)
            | ExprKind::Local(_)
            | ExprKind::EnumCode { .. }
            | ExprKind::Reject { .. } => {}
            ExprKind::EntityField { base, .. } => self.visit(base),
            ExprKind::MakeIdentifier { value, .. } => self.visit(value),
            ExprKind::Call { args, .. } | ExprKind::CallFunction { args, .. } => {
                args.iter().for_each(|a| self.visit(a))
            }
            ExprKind::IntToFloat(inner)
            | ExprKind::Not(inner)
            | ExprKind::Neg(inner)
            | ExprKind::Convert { value: inner, .. } => self.visit(inner),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.visit(lhs);
                self.visit(rhs);
            }
            ExprKind::Coalesce { value, default } => {
                self.visit(value);
                self.visit(default);
            }
            ExprKind::Match { scrutinee, arms } => {
                self.visit(scrutinee);
                arms.iter().for_each(|a| self.visit(&a.body));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_name_never_takes_a_name_in_use() {
        let names: Vec<String> = ["record", "record_", "None", "type", "out_s", "s"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        let names: Vec<&String> = names.iter().collect();
        let mut taken = LocalNames::new(RESERVED);
        let lets = taken.allocate_all(&names, |name| vec![field_ident(name)]);
        assert_eq!(lets["record"], "record_2");
        assert_eq!(lets["record_"], "record_");
        assert_eq!(lets["None"], "None_2");
        assert_eq!(lets["type"], "r#type");
        let s = "s".to_string();
        let fields = taken.allocate_all(&[&s], |field| {
            vec![field_ident(field), format!("out_{field}")]
        });
        assert_eq!(fields["s"], "out_s_2");
    }
}
