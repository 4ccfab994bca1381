//! `src/flows/`: one module per flow, each with one function that maps a source record to a
//! target record (the map stage).

use std::collections::{BTreeSet, HashMap};

use codegen::{Function, Scope};

use super::expr::ExprEmitter;
use super::names::{self, Names};
use super::origin::Origins;
use super::shared::SharedNames;
use crate::ir::{self, ExprKind, Step};

/// Names the generated flow function uses itself: its parameters (also as `_record` when
/// unused).
const PARAMETERS: &[&str] = &[
    "record", "raw", "lookups", "_record", "_raw", "_lookups", "shared", "_shared",
];

pub fn flows_mod_rs(program: &ir::Program, names: &Names) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw("//! The flows of the mapping: each maps one source record to one target record.");
    for flow in &program.flows {
        let module = names.flow(&flow.name);
        if names::is_snake_case(module) {
            scope.raw(format!("mod {module};"));
        } else {
            scope.raw(format!("#[allow(non_snake_case)]\nmod {module};"));
        }
    }
    for flow in &program.flows {
        let module = names.flow(&flow.name);
        scope.raw(format!("pub use {module}::{module};"));
    }
    let lookups = scope.new_struct("Lookups").vis("pub").doc(
        "The master-data tables the flows look records up in, loaded before any source is read.",
    );
    // The fields keep the spelling of the mapping's lookups (`PROGRAM`).
    if !program
        .lookups
        .iter()
        .all(|l| names::is_snake_case(names.lookup(&l.name)))
    {
        lookups.allow("non_snake_case");
    }
    for lookup in &program.lookups {
        lookups
            .new_field(
                names.lookup(&lookup.name),
                if lookup.key_fields.len() > 1 {
                    format!(
                        "::fdi_runtime::CompositeLookup<{}>",
                        names.type_path(&lookup.entity)
                    )
                } else {
                    format!("::fdi_runtime::Lookup<{}>", names.type_path(&lookup.entity))
                },
            )
            .vis("pub")
            .doc(format!(
                "`{}`: `{}` records by `{}`.",
                lookup.name,
                lookup.entity,
                lookup.key_fields.join("`, `")
            ));
    }
    scope.to_string() + "\n"
}

/// `shared`: the Rust names of the bindings of the flow's source's `per source` block, if it has
/// one; the flow then takes them as `shared` and reads each as `shared.NAME`.
pub fn flow_rs(
    program: &ir::Program,
    names: &Names,
    flow: &ir::Flow,
    origins: &Origins,
    shared: Option<&SharedNames>,
) -> String {
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
    let FlowLocals {
        lets: mut let_locals,
        fields: field_locals,
        topic: topic_locals,
    } = local_names(flow, &uses.topic);
    // The source's shared bindings: no `let` of the flow has their names (E0360).
    let read = ir::locals_read(flow.expressions());
    let reads_shared = shared.is_some_and(|s| s.fields.keys().any(|n| read.contains(n.as_str())));
    if let Some(shared) = shared {
        for (name, field) in &shared.fields {
            let_locals.insert(name.clone(), format!("shared.{field}"));
        }
    }
    let mut emitter = ExprEmitter {
        locals: let_locals,
        topic_locals,
        schema: &program.schema,
        names,
        borrowed_locals: Default::default(),
    };
    // Text bindings that only copy text held elsewhere borrow it (`&str`); decided before any
    // expression is written, since every later read of them depends on it.
    emitter.borrowed_locals = flow
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Let {
                name,
                value,
                on_failure,
                ..
            } if emitter.borrowed_let(value, on_failure.as_deref()).is_some() => Some(name.clone()),
            _ => None,
        })
        .collect();
    let target_entity = &program.schema.entities[&flow.target_entity];
    let text_target = super::types::holds_text(program, &flow.target_entity);

    let mut function = Function::new(names.flow(&flow.name));
    let mut allow = vec!["non_snake_case"];
    if flow
        .expressions()
        .any(|e| emitter.has_unreachable_wildcard(e))
    {
        allow.push("unreachable_patterns");
    }
    // A binding keeps the mapping's spelling even when an enum has a code of that name (`let
    // loop = Columns.Some` beside a code `loop`); in a `let` that is no mistake.
    if emitter
        .locals
        .values()
        .chain(field_locals.values())
        .any(|local| names.is_variant(local))
    {
        allow.push("bindings_with_variant_name");
    }
    function.vis("pub").allow(allow.join(", "));
    function
        .doc(format!(
            "Maps one `{}` record of source `{}` to a `{}` for target `{}`.",
            flow.source_entity, flow.source, flow.target_entity, flow.target
        ))
        .arg(
            if uses.record { "record" } else { "_record" },
            format!("&{}", names.type_path(&flow.source_entity)),
        )
        .arg(
            if uses.raw { "raw" } else { "_raw" },
            "&::fdi_runtime::RawRecord",
        );
    if let Some(shared) = shared {
        function.arg(
            if reads_shared { "shared" } else { "_shared" },
            shared.param_type(),
        );
    }
    function
        .arg(
            if uses.lookups { "lookups" } else { "_lookups" },
            "&super::Lookups",
        )
        .ret(format!(
            "Result<::fdi_runtime::MapOutcome<{}>, ::fdi_runtime::Reject>",
            names.type_path(&flow.target_entity)
        ));

    // The topic and its levels are read once, up front: a record without them (one a test run
    // read from a file) is rejected here, and below they are plain `&str`s. Their origin is the
    // source's first filter, which (as every filter of the source) names each level read.
    let filters = program
        .sources
        .iter()
        .find(|s| s.name == flow.source)
        .and_then(|s| match &s.kind {
            ir::SourceKind::Mqtt { filter_spans, .. } => filter_spans.first().copied(),
            _ => None,
        });
    for read in &uses.topic {
        let local = &emitter.topic_locals[read];
        let origin = filters
            .map(|span| origins.comment(span))
            .unwrap_or_default();
        function.line(match read {
            None => format!("{origin}let {local} = raw.message_topic()?;"),
            Some(level) => format!("{origin}let {local} = raw.topic_level({level:?})?;"),
        });
    }
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
                let borrowed = emitter
                    .borrowed_locals
                    .contains(name)
                    .then(|| emitter.borrowed_let(value, on_failure.as_deref()))
                    .flatten();
                match on_failure {
                    _ if borrowed.is_some() => {
                        format!("let {local} = {};", borrowed.unwrap_or_default())
                    }
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
                let local = &field_locals[field];
                let text_field = text_target
                    && target_entity
                        .fields
                        .iter()
                        .any(|f| f.name == *field && super::types::is_plain_text(f));
                let (statement, field_value) = match on_failure {
                    // A text field held as `::fdi_runtime::Text` (`types::holds_text`).
                    Some(reason) if text_field => (
                        format!(
                            "let {local} = {}.or_reject({reason:?})?;",
                            emitter.target_text_result(value)
                        ),
                        wrap_optional(local, *optional_field),
                    ),
                    None if text_field && value.is_fallible() => (
                        format!("let {local} = {};", emitter.target_text_option(value)),
                        local.clone(),
                    ),
                    None if text_field => (
                        format!("let {local} = {};", emitter.target_text(value)),
                        wrap_optional(local, *optional_field),
                    ),
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
            // `skip when`: counted as filtered, as a `where` is, but here, after the steps above.
            Step::Skip { condition, .. } => format!(
                "if {} {{\n    return Ok(::fdi_runtime::MapOutcome::Filtered);\n}}",
                emitter.value(condition)
            ),
        };
        function.line(format!("{}{statement}", origins.comment(step.span())));
    }
    let fields: Vec<String> = target_entity
        .fields
        .iter()
        .map(|f| {
            let name = names.field_ident(&f.name);
            match assigned.get(f.name.as_str()) {
                Some(value) if *value == name => format!("    {name},"),
                Some(value) => format!("    {name}: {value},"),
                None => format!("    {name}: None,"),
            }
        })
        .collect();
    function.line(format!(
        "Ok(::fdi_runtime::MapOutcome::Mapped({} {{\n{}\n}}))",
        names.type_path(&flow.target_entity),
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

/// Rust locals for the flow's `let` bindings and for its assigned fields (two maps, since a
/// binding and a field may share a name), all distinct: one scope, in which a name the mapping
/// wrote keeps its spelling before any other is renamed. The locals of the topic and its levels
/// are named after the mapping's own.
fn local_names(flow: &ir::Flow, topic: &BTreeSet<Option<String>>) -> FlowLocals {
    let lets: Vec<&String> = flow
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Let { name, .. } => Some(name),
            Step::Assign { .. } | Step::Skip { .. } => None,
        })
        .collect();
    let fields: Vec<&String> = flow
        .steps
        .iter()
        .filter_map(|step| match step {
            Step::Assign { field, .. } => Some(field),
            Step::Let { .. } | Step::Skip { .. } => None,
        })
        .collect();
    // A binding no expression reads is still evaluated (it may reject the record), under a
    // name that says it is unused, as rustc asks: `_spare`.
    let read = ir::locals_read(flow.expressions());
    let spellings: Vec<String> = lets
        .iter()
        .map(|name| {
            if read.contains(name.as_str()) {
                name.to_string()
            } else {
                format!("_{name}")
            }
        })
        .chain(fields.iter().map(|field| field.to_string()))
        .chain(topic.iter().map(|read| match read {
            None => "message_topic".to_string(),
            Some(level) => format!("topic_{level}"),
        }))
        .collect();
    let mut scope = names::Scope::locals(PARAMETERS);
    names::EXPRESSION_BINDINGS
        .iter()
        .for_each(|binding| scope.take(binding));
    let idents = scope.assign(&spellings);
    let (let_idents, rest) = idents.split_at(lets.len());
    let (field_idents, topic_idents) = rest.split_at(fields.len());
    FlowLocals {
        lets: names::by_name(&lets, let_idents),
        fields: names::by_name(&fields, field_idents),
        topic: topic
            .iter()
            .cloned()
            .zip(topic_idents.iter().cloned())
            .collect(),
    }
}

/// The Rust locals of a flow's function, by what they hold.
struct FlowLocals {
    /// Per `let` binding.
    lets: HashMap<String, String>,
    /// Per assigned target field.
    fields: HashMap<String, String>,
    /// The topic (`None`, as `message_topic`) and each level read (as `topic_line`).
    topic: HashMap<Option<String>, String>,
}

/// Which parameters a flow's function reads, so unused ones are named `_x`.
struct Uses {
    record: bool,
    raw: bool,
    lookups: bool,
    /// Whether a statement has `else reject` (and the flow calls `or_reject`).
    or_reject: bool,
    /// What the flow reads of the record's topic: the topic itself (`None`) and named levels.
    topic: BTreeSet<Option<String>>,
}

impl Uses {
    fn of(flow: &ir::Flow) -> Uses {
        let mut uses = Uses {
            record: false,
            raw: false,
            lookups: false,
            or_reject: false,
            topic: BTreeSet::new(),
        };
        uses.or_reject = flow.steps.iter().any(|s| match s {
            Step::Let { on_failure, .. } | Step::Assign { on_failure, .. } => on_failure.is_some(),
            Step::Skip { .. } => false,
        });
        for expr in flow.expressions() {
            expr.walk(&mut |e| match &e.kind {
                ExprKind::SourceField { .. } | ExprKind::SourceSample { .. } => uses.record = true,
                ExprKind::SourcePosition | ExprKind::SourceName => uses.raw = true,
                ExprKind::SourceTopic => {
                    uses.raw = true;
                    uses.topic.insert(None);
                }
                ExprKind::SourceTopicLevel { name } => {
                    uses.raw = true;
                    uses.topic.insert(Some(name.clone()));
                }
                ExprKind::Lookup { .. } => uses.lookups = true,
                _ => {}
            });
        }
        uses
    }
}
