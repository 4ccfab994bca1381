//! `src/shared.rs`: the bindings the flows of one source share (`per source` blocks).
//!
//! Per source with a block, a struct holding its bindings and a function computing them from
//! one record. `main.rs` calls the function once per record, after decode and before the
//! source's flows, through `Run::share`, which dead-letters a reject once for all the flows;
//! each flow function then takes the struct by reference and reads `shared.NAME`.

use std::collections::{BTreeSet, HashMap};

use codegen::{Function, Scope};

use super::expr::ExprEmitter;
use super::functions::rust_type;
use super::names::{self, Names};
use super::origin::Origins;
use crate::ir::{self, ExprKind, Step, Type};

/// The Rust names of one source's shared bindings: its struct, its function, and the struct's
/// field per binding.
pub struct SharedNames {
    pub struct_name: String,
    pub function: String,
    /// Per binding (by its name in the mapping), the struct's field.
    pub fields: HashMap<String, String>,
    /// Whether the struct borrows from the lookups (it holds a looked-up record a flow reads):
    /// `<'l>`.
    pub borrows: bool,
}

impl SharedNames {
    /// The struct's type as a flow's parameter names it.
    pub fn param_type(&self) -> String {
        let lifetime = if self.borrows { "<'_>" } else { "" };
        format!("&crate::shared::{}{lifetime}", self.struct_name)
    }
}

/// The names of every source's shared bindings, by source. Struct and function names share the
/// module's one namespace, clear of the prelude.
pub fn shared_names(program: &ir::Program) -> HashMap<String, SharedNames> {
    let mut scope = names::Scope::locals(&["OrReject"]);
    let spellings: Vec<String> = program
        .shared
        .iter()
        .flat_map(|block| [camel(&block.source) + "Shared", block.source.clone()])
        .collect();
    let idents = scope.assign(&spellings);
    program
        .shared
        .iter()
        .zip(idents.chunks(2))
        .map(|(block, pair)| {
            let bindings: Vec<&str> = block.bindings().map(|(name, _)| name).collect();
            let mut fields = names::Scope::locals(PARAMETERS);
            names::EXPRESSION_BINDINGS
                .iter()
                .for_each(|binding| fields.take(binding));
            let field_idents = fields.assign(&bindings);
            let read = read_by_flows(program, block);
            let borrows = block
                .bindings()
                .any(|(name, value)| read.contains(name) && borrows(&value.ty));
            let shared = SharedNames {
                struct_name: pair[0].clone(),
                function: pair[1].clone(),
                fields: names::by_name(&bindings, &field_idents),
                borrows,
            };
            (block.source.clone(), shared)
        })
        .collect()
}

/// The shared function's own parameters (also as `_x` when unused).
const PARAMETERS: &[&str] = &["record", "raw", "lookups", "_record", "_raw", "_lookups"];

fn borrows(ty: &Type) -> bool {
    matches!(ty, Type::Entity(_))
}

/// `mill_line` -> `MillLine`.
fn camel(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

pub fn shared_rs(
    program: &ir::Program,
    names: &Names,
    shared_names: &HashMap<String, SharedNames>,
    origins: &Origins,
) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw(
        "//! The bindings the flows of a source share (`per source`): computed once per record, before\n//! any flow of the source; a reject here rejects the record once, for all of them.",
    );
    let rejects = program.shared.iter().any(|block| {
        block.steps.iter().any(|step| match step {
            Step::Let { on_failure, .. } | Step::Assign { on_failure, .. } => on_failure.is_some(),
            Step::Skip { .. } => false,
        })
    });
    if rejects {
        scope.raw("use ::fdi_runtime::OrReject as _;");
    }
    for block in &program.shared {
        let own = &shared_names[&block.source];
        let read = read_by_flows(program, block);
        shared_struct(&mut scope, block, own, names, &read);
        scope.push_fn(shared_fn(program, block, own, names, origins, &read));
    }
    scope.to_string() + "\n"
}

fn value_type(value: &ir::Expr, names: &Names) -> String {
    let ty = match &value.ty {
        Type::Entity(entity) => format!("&'l {}", names.type_path(entity)),
        other => rust_type(other, names),
    };
    if value.is_fallible() {
        format!("::std::result::Result<{ty}, ::fdi_runtime::Failure>")
    } else {
        ty
    }
}

/// The bindings of `block` that a flow of its source reads: the struct's fields. The others are
/// computed for their rejects, or for the bindings after them, and stay in the function.
fn read_by_flows(program: &ir::Program, block: &ir::SharedBindings) -> BTreeSet<String> {
    let flows = program.flows.iter().filter(|f| f.source == block.source);
    let read = ir::locals_read(flows.flat_map(|f| f.expressions()));
    block
        .bindings()
        .map(|(name, _)| name)
        .filter(|name| read.contains(*name))
        .map(str::to_string)
        .collect()
}

fn shared_struct(
    scope: &mut Scope,
    block: &ir::SharedBindings,
    own: &SharedNames,
    names: &Names,
    read: &BTreeSet<String>,
) {
    let name = if own.borrows {
        format!("{}<'l>", own.struct_name)
    } else {
        own.struct_name.clone()
    };
    let def = scope.new_struct(&name).vis("pub").doc(format!(
        "What every flow of source `{}` reads: the bindings of its `per source` block.",
        block.source
    ));
    if !own.fields.values().all(|f| names::is_snake_case(f)) {
        def.allow("non_snake_case");
    }
    for step in &block.steps {
        let Step::Let { name, value, .. } = step else {
            continue;
        };
        if !read.contains(name) {
            continue;
        }
        def.new_field(&own.fields[name], value_type(value, names))
            .vis("pub")
            .doc(format!("`let {name}`"));
    }
}

fn shared_fn(
    program: &ir::Program,
    block: &ir::SharedBindings,
    own: &SharedNames,
    names: &Names,
    origins: &Origins,
    read: &BTreeSet<String>,
) -> Function {
    let exprs: Vec<&ir::Expr> = block.bindings().map(|(_, value)| value).collect();
    // A binding neither a flow nor a later binding reads is computed for its reject alone.
    let read_in_block = ir::locals_read(exprs.iter().copied());
    let (mut record, mut raw, mut lookups) = (false, false, false);
    let mut topic: BTreeSet<Option<String>> = BTreeSet::new();
    for expr in &exprs {
        expr.walk(&mut |e| match &e.kind {
            ExprKind::SourceField { .. } | ExprKind::SourceSample { .. } => record = true,
            ExprKind::SourcePosition | ExprKind::SourceName => raw = true,
            ExprKind::SourceTopic => {
                raw = true;
                topic.insert(None);
            }
            ExprKind::SourceTopicLevel { name } => {
                raw = true;
                topic.insert(Some(name.clone()));
            }
            ExprKind::Lookup { .. } => lookups = true,
            _ => {}
        });
    }
    // The topic's locals are clear of the fields, which are the function's locals too.
    let mut taken = names::Scope::locals(PARAMETERS);
    own.fields.values().for_each(|f| taken.take(f));
    names::EXPRESSION_BINDINGS
        .iter()
        .for_each(|binding| taken.take(binding));
    let topic_locals: HashMap<Option<String>, String> = topic
        .iter()
        .map(|read| {
            let base = match read {
                None => "message_topic".to_string(),
                Some(level) => format!("topic_{level}"),
            };
            (read.clone(), taken.fresh(&base))
        })
        .collect();
    let emitter = ExprEmitter {
        locals: own.fields.clone(),
        topic_locals,
        schema: &program.schema,
        names,
        borrowed_locals: Default::default(),
    };
    let mut allow = vec!["non_snake_case"];
    if exprs.iter().any(|e| emitter.has_unreachable_wildcard(e)) {
        allow.push("unreachable_patterns");
    }
    let mut function = Function::new(&own.function);
    function.vis("pub").allow(allow.join(", "));
    if own.borrows {
        function.generic("'l");
    }
    let lookups_type = if own.borrows {
        "&'l crate::flows::Lookups"
    } else {
        "&crate::flows::Lookups"
    };
    let returned = if own.borrows {
        format!("{}<'l>", own.struct_name)
    } else {
        own.struct_name.clone()
    };
    function
        .doc(format!(
            "Computes, once per `{}` record, what every flow of source `{}` reads; or the reject of the record for all of them.",
            block.source_entity, block.source
        ))
        .arg(
            if record { "record" } else { "_record" },
            format!("&{}", names.type_path(&block.source_entity)),
        )
        .arg(if raw { "raw" } else { "_raw" }, "&::fdi_runtime::RawRecord")
        .arg(if lookups { "lookups" } else { "_lookups" }, lookups_type)
        .ret(format!(
            "::std::result::Result<{returned}, ::fdi_runtime::Reject>"
        ));
    for read in &topic {
        let local = &emitter.topic_locals[read];
        function.line(match read {
            None => format!("let {local} = raw.message_topic()?;"),
            Some(level) => format!("let {local} = raw.topic_level({level:?})?;"),
        });
    }
    for step in &block.steps {
        let Step::Let {
            name,
            value,
            on_failure,
            span,
        } = step
        else {
            continue;
        };
        let local = if read.contains(name) || read_in_block.contains(name.as_str()) {
            emitter.locals[name].as_str()
        } else {
            "_"
        };
        let statement = match on_failure {
            Some(reason) => format!(
                "let {local} = {}.or_reject({reason:?})?;",
                emitter.result(value)
            ),
            None => format!("let {local} = {};", emitter.value(value)),
        };
        function.line(format!("{}{statement}", origins.comment(*span)));
    }
    let fields: Vec<String> = block
        .bindings()
        .filter(|(name, _)| read.contains(*name))
        .map(|(name, _)| format!("    {},", own.fields[name]))
        .collect();
    function.line(format!(
        "Ok({} {{\n{}\n}})",
        own.struct_name,
        fields.join("\n")
    ));
    function
}
