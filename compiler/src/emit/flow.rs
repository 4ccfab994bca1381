//! `src/flows/`: one module per flow, each with one function that maps a source record to a
//! target record (the map stage).

use std::collections::HashMap;

use codegen::{Function, Scope};

use super::expr::ExprEmitter;
use super::names::{field_ident, local_ident};
use crate::ir::{self, ExprKind, Step};

/// Names the generated flow function uses itself.
const RESERVED: &[&str] = &["record", "raw", "lookups", "value", "failure", "row", "n"];

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
                format!("fdi_runtime::Lookup<crate::types::{}>", lookup.entity),
            )
            .vis("pub")
            .doc(format!(
                "`{}`: `{}` records by `{}`.",
                lookup.name, lookup.entity, lookup.key_field
            ));
    }
    scope.to_string() + "\n"
}

pub fn flow_rs(program: &ir::Program, flow: &ir::Flow) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw(format!(
        "//! flow {}: {} -> {}",
        flow.name, flow.source, flow.target
    ));
    let (let_locals, field_locals) = local_names(flow);
    let emitter = ExprEmitter {
        locals: let_locals,
        schema: &program.schema,
    };
    let uses = Uses::of(flow);

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
            "&fdi_runtime::RawRecord",
        )
        .arg(
            if uses.lookups { "lookups" } else { "_lookups" },
            "&super::Lookups",
        )
        .ret(format!(
            "fdi_runtime::MapOutcome<crate::types::{}>",
            flow.target_entity
        ));

    if let Some(filter) = &flow.filter {
        function.line(format!("if !({}) {{", emitter.value(filter)));
        function.line("    return fdi_runtime::MapOutcome::Filtered;");
        function.line("}");
    }
    let mut assigned: HashMap<&str, String> = HashMap::new();
    for step in &flow.steps {
        match step {
            Step::Let {
                name,
                value,
                on_failure,
            } => {
                let local = &emitter.locals[name];
                function.line(bind(local, &emitter.value(value), on_failure.as_deref()));
            }
            Step::Assign {
                field,
                optional_field,
                value,
                on_failure,
            } => {
                let local = field_locals[field].clone();
                let code = emitter.value(value);
                let code = match (on_failure, value.is_fallible(), optional_field) {
                    (Some(reason), _, _) => {
                        let b = bind(&local, &code, Some(reason));
                        if *optional_field {
                            format!("{b}\nlet {local} = Some({local});")
                        } else {
                            b
                        }
                    }
                    (None, true, _) => format!("let {local} = {code}.ok();"),
                    (None, false, true) => format!("let {local} = Some({code});"),
                    (None, false, false) => format!("let {local} = {code};"),
                };
                function.line(code);
                assigned.insert(field, local);
            }
        }
    }
    let entity = &program.schema.entities[&flow.target_entity];
    let fields: Vec<String> = entity
        .fields
        .iter()
        .map(|f| {
            let name = field_ident(&f.name);
            match assigned.get(f.name.as_str()) {
                Some(local) if *local == name => format!("    {name},"),
                Some(local) => format!("    {name}: {local},"),
                None => format!("    {name}: None,"),
            }
        })
        .collect();
    function.line(format!(
        "fdi_runtime::MapOutcome::Mapped(crate::types::{} {{\n{}\n}})",
        flow.target_entity,
        fields.join("\n")
    ));
    scope.push_fn(function);
    scope.to_string() + "\n"
}

/// `let x = value;` for a value that cannot fail, or a `match` that rejects the record with
/// the mapping's reason when it does.
fn bind(local: &str, code: &str, on_failure: Option<&str>) -> String {
    match on_failure {
        None => format!("let {local} = {code};"),
        Some(reason) => format!(
            "let {local} = match {code} {{\n    Ok(value) => value,\n    Err(failure) => return fdi_runtime::MapOutcome::Rejected(failure.reject({reason:?})),\n}};"
        ),
    }
}

/// Rust locals for the flow's `let` bindings and for its assigned fields (two maps, since a
/// binding and a field may share a name), all distinct.
fn local_names(flow: &ir::Flow) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut lets = HashMap::new();
    let mut fields = HashMap::new();
    for step in &flow.steps {
        if let Step::Let { name, .. } = step {
            lets.insert(name.clone(), local_ident(name, RESERVED));
        }
    }
    for step in &flow.steps {
        if let Step::Assign { field, .. } = step {
            let local = if lets.contains_key(field) {
                format!("out_{field}")
            } else {
                local_ident(field, RESERVED)
            };
            fields.insert(field.clone(), local);
        }
    }
    (lets, fields)
}

/// Which parameters a flow's function reads, so unused ones are named `_x`.
struct Uses {
    record: bool,
    raw: bool,
    lookups: bool,
}

impl Uses {
    fn of(flow: &ir::Flow) -> Uses {
        let mut uses = Uses {
            record: false,
            raw: false,
            lookups: false,
        };
        let exprs = flow.filter.iter().chain(flow.steps.iter().map(|s| match s {
            Step::Let { value, .. } | Step::Assign { value, .. } => value,
        }));
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
