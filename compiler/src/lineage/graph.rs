//! Field-level lineage of a checked program: for every field a flow assigns, what it reads.
//!
//! The analysis walks the typed program (`ir`), where every name is already resolved: a bare
//! name is a source field or a `let` binding, `m.line` is a field of a lookup row. What a
//! `let` reads is remembered under its name, so a target field that uses the binding depends
//! on what the binding read; a call of a `fn` depends on the arguments whose parameters the
//! body reads. A lookup row depends on its key: the key's origins are kept apart from the
//! values (`keys`), so that a picture can draw them into the lookup's key field and a
//! reader can tell "the value comes from master data" from "the row was chosen by this".

use std::collections::{BTreeMap, BTreeSet};

use super::unit_columns::UnitColumns;
use crate::ir::{
    Expr, ExprKind, Flow, Function, Literal, Program, SamplePart, SharedBindings, Step,
};

/// Where a value comes from. Ordered, so every set of origins prints in one stable order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A field of the flow's source record; `part` is `value`, `quality` or `timestamp` for
    /// a field that carries a signal quality and is read as such (`speed.quality`).
    SourceField {
        field: String,
        part: Option<&'static str>,
    },
    /// A column of the source's data that its entity does not declare, read at decode as the
    /// unit of a field with `unit_column:` (a declared one is a `SourceField`).
    SourceColumn { column: String },
    /// A field of a lookup's row.
    LookupField { lookup: String, field: String },
    /// A column of a lookup's data that its entity does not declare: a field's unit column.
    LookupColumn { lookup: String, column: String },
    /// `source.position`: the record's position in its source.
    Position,
    /// `source.name`
    SourceName,
    /// `source.topic`: the topic a broker message came on.
    Topic,
    /// `source.levels.NAME`: a level of that topic, named by the source's filters.
    TopicLevel(String),
}

impl Origin {
    /// How the origin reads in words and pictures, with the flow's source name.
    pub fn describe(&self, source: &str) -> String {
        match self {
            Origin::SourceField { field, part: None } => format!("{source}.{field}"),
            Origin::SourceField {
                field,
                part: Some(part),
            } => format!("{source}.{field}.{part}"),
            Origin::SourceColumn { column } => format!("{source}.{column}"),
            Origin::LookupField { lookup, field } => format!("{lookup}.{field}"),
            Origin::LookupColumn { lookup, column } => format!("{lookup}.{column}"),
            Origin::Position => format!("{source}.position"),
            Origin::SourceName => format!("{source}.name"),
            Origin::Topic => format!("{source}.topic"),
            Origin::TopicLevel(name) => format!("{source}.levels.{name}"),
        }
    }
}

/// What one value depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    /// The origins whose values flow into this one.
    pub values: BTreeSet<Origin>,
    /// `(field, column)`: a field read whose unit each row gives in `column` (`unit_column:`),
    /// which is among `values` too, since the value was converted by it.
    pub units: BTreeSet<(Origin, Origin)>,
    /// `(lookup, origin)`: `origin` is read by the key that chooses a row of `lookup` whose
    /// fields flow into this value (directly, or through a chain of lookups).
    pub keys: BTreeSet<(String, Origin)>,
    /// Lookups whose whole row this value is (a `let m = machines[...]`), not yet a field.
    rows: BTreeSet<String>,
    /// Constants that take part: literals and enum codes, as written in a mapping.
    pub constants: BTreeSet<String>,
    /// `let` bindings the value goes through.
    pub bindings: BTreeSet<String>,
    /// Functions called on the way, standard and declared with `fn`.
    pub functions: BTreeSet<String>,
    /// The `else reject` reasons of the bindings and of the assignment the value goes through:
    /// when one fires, the record is rejected instead of written.
    pub rejects: BTreeSet<String>,
}

impl Deps {
    fn union(mut self, other: Deps) -> Deps {
        self.values.extend(other.values);
        self.units.extend(other.units);
        self.keys.extend(other.keys);
        self.rows.extend(other.rows);
        self.constants.extend(other.constants);
        self.bindings.extend(other.bindings);
        self.functions.extend(other.functions);
        self.rejects.extend(other.rejects);
        self
    }

    /// True when no source or lookup value and no lookup key takes part: a constant (or a
    /// value computed from constants only).
    pub fn is_constant(&self) -> bool {
        self.values.is_empty() && self.keys.is_empty()
    }
}

/// One field a flow assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLineage {
    pub field: String,
    pub deps: Deps,
    /// What the picture draws into the field: `deps`, but with each `per source` binding as
    /// itself (its name in `bindings`, none of its origins), since the picture draws the
    /// binding as a row of its own that its origins feed.
    pub drawn: Deps,
}

/// One lookup row a flow reads, with what its key reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupUse {
    pub lookup: String,
    pub key: Deps,
    /// What each value of the key reads, in the order of the lookup's key fields: one for a
    /// single key, one per field for a composite key (whose edges go to their own fields).
    pub components: Vec<Deps>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLineage {
    pub name: String,
    pub source: String,
    pub target: String,
    /// What the `where` condition reads. A filter decides whether the record is written at
    /// all, so it is a dependency of every field of the flow, shown once per flow.
    pub filter: Option<Deps>,
    /// What the flow's `skip when` conditions read (through the bindings they read): like the
    /// `where`, they decide whether the record is written at all.
    pub skips: Option<Deps>,
    /// What the picture draws into the `where` row (see `FieldLineage::drawn`).
    pub drawn_filter: Option<Deps>,
    /// Every lookup indexed in the flow (each distinct key once), in the order first read.
    pub lookups: Vec<LookupUse>,
    /// The assigned fields, in the order written.
    pub fields: Vec<FieldLineage>,
}

/// A declaration drawn as a box: a source, a lookup or a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub entity: String,
    /// The fields that take part in some lineage, in the entity's order. For a lookup, its
    /// key field comes first.
    pub fields: Vec<String>,
}

/// The lineage of a whole program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage {
    pub mapping: String,
    pub sources: Vec<Endpoint>,
    pub lookups: Vec<Endpoint>,
    /// The key fields of each lookup (several for a composite key), by lookup name.
    pub lookup_keys: BTreeMap<String, Vec<String>>,
    pub targets: Vec<Endpoint>,
    pub flows: Vec<FlowLineage>,
    /// The `per source` blocks: each binding once, with what it reads, however many flows
    /// read it.
    pub shared: Vec<SharedLineage>,
}

/// A `per source` block: its bindings, in order, each with what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedLineage {
    pub source: String,
    pub bindings: Vec<(String, Deps)>,
}

/// How a `per source` binding is named among a value's `Deps::bindings`.
pub fn shared_label(name: &str, source: &str) -> String {
    format!("{name} (per source {source})")
}

/// The lineage stage: what every assigned target field of every flow depends on.
pub fn lineage(program: &Program) -> Lineage {
    let params_read = params_read_by_functions(&program.functions);
    let units = UnitColumns::of(program);
    let context = Context {
        params_read: &params_read,
        units: &units,
    };
    let flows: Vec<FlowLineage> = program
        .flows
        .iter()
        .map(|f| flow_lineage(f, program.shared_of(&f.source), &context))
        .collect();
    let entity_order = |entity: &str, used: &BTreeSet<String>| -> Vec<String> {
        let mut fields: Vec<String> = program
            .schema
            .entities
            .get(entity)
            .map(|e| {
                e.fields
                    .iter()
                    .filter(|f| used.contains(&f.name))
                    .map(|f| f.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        // Parts of quality fields (`speed.quality`) and anything the schema does not list
        // come after, in name order.
        for name in used {
            if !fields.contains(name) {
                fields.push(name.clone());
            }
        }
        fields
    };
    let mut used_by_source: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut used_by_lookup: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut used_by_target: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for flow in &flows {
        let source_fields = used_by_source.entry(&flow.source).or_default();
        let mut all_deps: Vec<&Deps> = flow.fields.iter().map(|f| &f.deps).collect();
        all_deps.extend(flow.filter.iter());
        all_deps.extend(flow.skips.iter());
        all_deps.extend(flow.lookups.iter().map(|l| &l.key));
        for deps in all_deps {
            let origins = deps.values.iter().chain(deps.keys.iter().map(|(_, o)| o));
            for origin in origins {
                match origin {
                    Origin::SourceField { .. }
                    | Origin::SourceColumn { .. }
                    | Origin::Position
                    | Origin::SourceName
                    | Origin::Topic
                    | Origin::TopicLevel(_) => {
                        source_fields.insert(port_name(origin));
                    }
                    Origin::LookupField { lookup, field } => {
                        used_by_lookup
                            .entry(lookup.as_str())
                            .or_default()
                            .insert(field.clone());
                    }
                    Origin::LookupColumn { lookup, .. } => {
                        used_by_lookup
                            .entry(lookup.as_str())
                            .or_default()
                            .insert(port_name(origin));
                    }
                }
            }
        }
        for use_ in &flow.lookups {
            used_by_lookup.entry(use_.lookup.as_str()).or_default();
        }
        used_by_target
            .entry(&flow.target)
            .or_default()
            .extend(flow.fields.iter().map(|f| f.field.clone()));
    }
    let empty = BTreeSet::new();
    let sources = program
        .sources
        .iter()
        .map(|s| Endpoint {
            name: s.name.clone(),
            entity: s.entity.clone(),
            fields: entity_order(
                &s.entity,
                used_by_source.get(s.name.as_str()).unwrap_or(&empty),
            ),
        })
        .collect();
    let lookups = program
        .lookups
        .iter()
        .map(|l| {
            let mut used = used_by_lookup
                .get(l.name.as_str())
                .cloned()
                .unwrap_or_default();
            for key in &l.key_fields {
                used.remove(key);
            }
            let mut fields = l.key_fields.clone();
            fields.extend(entity_order(&l.entity, &used));
            Endpoint {
                name: l.name.clone(),
                entity: l.entity.clone(),
                fields,
            }
        })
        .collect();
    let targets = program
        .targets
        .iter()
        .map(|t| Endpoint {
            name: t.name.clone(),
            entity: t.entity.clone(),
            fields: entity_order(
                &t.entity,
                used_by_target.get(t.name.as_str()).unwrap_or(&empty),
            ),
        })
        .collect();
    Lineage {
        mapping: program.name.clone(),
        sources,
        lookups,
        lookup_keys: program
            .lookups
            .iter()
            .map(|l| (l.name.clone(), l.key_fields.clone()))
            .collect(),
        targets,
        flows,
        shared: program
            .shared
            .iter()
            .map(|block| SharedLineage {
                source: block.source.clone(),
                bindings: shared_deps(block, &context, false).into_iter().collect(),
            })
            .collect(),
    }
}

/// Each binding of a `per source` block with what it reads, in order; `opaque`: each as itself
/// only (its name, and the lookup row it is, for the fields read of it), for `drawn`.
fn shared_deps(block: &SharedBindings, context: &Context, opaque: bool) -> Vec<(String, Deps)> {
    let mut walker = Walker::new(context, &block.source);
    let mut out = Vec::new();
    for step in &block.steps {
        if let Step::Let {
            name,
            value,
            on_failure,
            ..
        } = step
        {
            let mut deps = walker.expr(value);
            deps.rejects.extend(on_failure.iter().cloned());
            walker.bindings.insert(name.clone(), deps.clone());
            walker
                .labels
                .insert(name.clone(), shared_label(name, &block.source));
            let deps = if opaque {
                Deps {
                    rows: deps.rows,
                    ..Deps::default()
                }
            } else {
                deps
            };
            out.push((name.clone(), deps));
        }
    }
    out
}

/// The name of the row that stands for an origin in a source's box: the field, a part of a
/// quality field (`speed.quality`), or `position` / `name` for the record's built-ins (in
/// brackets, so they cannot clash with a field); a unit column the entity does not declare is
/// `COLUMN (unit column)`.
pub fn port_name(origin: &Origin) -> String {
    match origin {
        Origin::SourceField { field, part: None } => field.clone(),
        Origin::SourceField {
            field,
            part: Some(part),
        } => format!("{field}.{part}"),
        Origin::LookupField { field, .. } => field.clone(),
        Origin::SourceColumn { column } | Origin::LookupColumn { column, .. } => {
            format!("{column} (unit column)")
        }
        Origin::Position => "(position)".to_string(),
        Origin::SourceName => "(name)".to_string(),
        Origin::Topic => "(topic)".to_string(),
        Origin::TopicLevel(name) => format!("(levels.{name})"),
    }
}

/// `shared`: the source's `per source` bindings, which the flow reads as its own `let`s. They
/// are computed first, and are named in `Deps::bindings` as `NAME (per source SOURCE)`: one
/// binding that every flow of the source reads, with its origins and its rejects. The flow is
/// walked twice: with the bindings' origins (`deps`), and with each binding as itself
/// (`drawn`).
fn flow_lineage(flow: &Flow, shared: Option<&SharedBindings>, context: &Context) -> FlowLineage {
    let walk = |opaque: bool| {
        let mut walker = Walker::new(context, &flow.source);
        if let Some(block) = shared {
            for (name, deps) in shared_deps(block, context, opaque) {
                walker.bindings.insert(name.clone(), deps);
                walker
                    .labels
                    .insert(name.clone(), shared_label(&name, &block.source));
            }
            if !opaque {
                // The rows the block looks up are read for this flow too.
                let mut block_walker = Walker::new(context, &block.source);
                for (_, value) in block.bindings() {
                    block_walker.expr(value);
                }
                walker.lookups = block_walker.lookups;
            }
        }
        let (filter, skips, fields) = walk_statements(&mut walker, flow);
        (filter, skips, fields, walker.lookups)
    };
    let (filter, skips, fields, lookups) = walk(false);
    let (drawn_filter, _, drawn_fields, _) = walk(true);
    let clear_rows = |mut d: Deps| {
        d.rows.clear();
        d
    };
    FlowLineage {
        name: flow.name.clone(),
        source: flow.source.clone(),
        target: flow.target.clone(),
        filter: filter.map(clear_rows),
        skips: skips.map(clear_rows),
        drawn_filter: drawn_filter.map(clear_rows),
        lookups,
        fields: fields
            .into_iter()
            .zip(drawn_fields)
            .map(|((field, deps), (_, drawn))| FieldLineage { field, deps, drawn })
            .collect(),
    }
}

/// The flow's `where`, its `skip when`s and each assigned field with what it reads, through
/// the walker's bindings.
fn walk_statements(
    walker: &mut Walker,
    flow: &Flow,
) -> (Option<Deps>, Option<Deps>, Vec<(String, Deps)>) {
    let filter = flow.filter.as_ref().map(|f| walker.expr(&f.condition));
    let mut skips: Option<Deps> = None;
    let mut fields = Vec::new();
    for step in &flow.steps {
        match step {
            Step::Let {
                name,
                value,
                on_failure,
                ..
            } => {
                let mut deps = walker.expr(value);
                deps.rejects.extend(on_failure.iter().cloned());
                walker.bindings.insert(name.clone(), deps);
            }
            Step::Assign {
                field,
                value,
                on_failure,
                ..
            } => {
                let mut deps = walker.expr(value);
                deps.rejects.extend(on_failure.iter().cloned());
                deps.rows.clear();
                fields.push((field.clone(), deps));
            }
            // A `skip when` decides the whole record as the `where` does; what it reads through
            // the bindings above it counts.
            Step::Skip { condition, .. } => {
                let deps = walker.expr(condition);
                skips = Some(match skips.take() {
                    Some(before) => before.union(deps),
                    None => deps,
                });
            }
        }
    }
    (filter, skips, fields)
}

/// What every walk of a program reads besides the expressions: which parameters each function
/// reads, and which fields have a unit column.
struct Context<'a> {
    params_read: &'a BTreeMap<String, Vec<bool>>,
    units: &'a UnitColumns,
}

struct Walker<'a> {
    bindings: BTreeMap<String, Deps>,
    /// How a binding is named in `Deps::bindings` when not by its name: a shared one's.
    labels: BTreeMap<String, String>,
    params_read: &'a BTreeMap<String, Vec<bool>>,
    units: &'a UnitColumns,
    /// The source whose records the walked expressions read.
    source: &'a str,
    lookups: Vec<LookupUse>,
}

impl<'a> Walker<'a> {
    fn new(context: &Context<'a>, source: &'a str) -> Walker<'a> {
        Walker {
            bindings: BTreeMap::new(),
            labels: BTreeMap::new(),
            params_read: context.params_read,
            units: context.units,
            source,
            lookups: Vec::new(),
        }
    }

    /// A source field's value (not its quality or timestamp), with its unit column if it has
    /// one.
    fn source_value(&self, field: &str, part: Option<&'static str>) -> Deps {
        let read = Origin::SourceField {
            field: field.to_string(),
            part,
        };
        let mut deps = origin(read.clone());
        if let Some(unit) = self.units.of_source_field(self.source, field) {
            deps.values.insert(unit.clone());
            deps.units.insert((read, unit));
        }
        deps
    }

    fn expr(&mut self, e: &Expr) -> Deps {
        match &e.kind {
            ExprKind::Literal(l) => constant(literal_text(l)),
            ExprKind::EnumCode { enum_name, code } => constant(format!("{enum_name}.{code}")),
            ExprKind::SourceField { name, .. } => self.source_value(name, None),
            ExprKind::SourceSample { field, part } => match part {
                SamplePart::Good => self.source_value(field, None),
                SamplePart::Value => self.source_value(field, Some("value")),
                SamplePart::Quality => origin(Origin::SourceField {
                    field: field.clone(),
                    part: Some("quality"),
                }),
                SamplePart::Timestamp => origin(Origin::SourceField {
                    field: field.clone(),
                    part: Some("timestamp"),
                }),
            },
            // A rejecting match arm gives no value, so the field depends on nothing through
            // it; its reason is one of the rules that may reject the record on this path.
            ExprKind::Reject { reason } => {
                let mut deps = Deps::default();
                deps.rejects.insert(reason.clone());
                deps
            }
            ExprKind::SourcePosition => origin(Origin::Position),
            ExprKind::SourceName => origin(Origin::SourceName),
            ExprKind::SourceTopic => origin(Origin::Topic),
            ExprKind::SourceTopicLevel { name } => origin(Origin::TopicLevel(name.clone())),
            ExprKind::Local(name) => {
                let mut deps = self.bindings.get(name).cloned().unwrap_or_default();
                let label = self.labels.get(name).unwrap_or(name);
                deps.bindings.insert(label.clone());
                deps
            }
            ExprKind::EntityField { base, field, .. } => {
                let mut deps = self.expr(base);
                let rows = std::mem::take(&mut deps.rows);
                for lookup in rows {
                    let read = Origin::LookupField {
                        lookup: lookup.clone(),
                        field: field.clone(),
                    };
                    if let Some(unit) = self.units.of_lookup_field(&lookup, field) {
                        deps.values.insert(unit.clone());
                        deps.units.insert((read.clone(), unit));
                    }
                    deps.values.insert(read);
                }
                deps
            }
            ExprKind::Lookup { lookup, key } => {
                let components: Vec<Deps> = key.iter().map(|k| self.expr(k)).collect();
                let key_deps = components
                    .iter()
                    .cloned()
                    .fold(Deps::default(), Deps::union);
                let use_ = LookupUse {
                    lookup: lookup.clone(),
                    key: key_deps.clone(),
                    components,
                };
                if !self.lookups.contains(&use_) {
                    self.lookups.push(use_);
                }
                let mut deps = key_deps;
                let key_values = std::mem::take(&mut deps.values);
                deps.keys
                    .extend(key_values.into_iter().map(|o| (lookup.clone(), o)));
                deps.rows.insert(lookup.clone());
                deps
            }
            ExprKind::MakeIdentifier { id_type, value, .. } => {
                let mut deps = self.expr(value);
                deps.functions.insert(id_type.clone());
                deps
            }
            ExprKind::Call { function, args } => {
                let mut deps = self.all(args);
                deps.functions.insert(function.name().to_string());
                deps
            }
            ExprKind::CallFunction { name, args } => {
                let read = self.params_read.get(name);
                let mut deps = Deps::default();
                for (i, arg) in args.iter().enumerate() {
                    let arg_deps = self.expr(arg);
                    if read.is_none_or(|r| r.get(i).copied().unwrap_or(true)) {
                        deps = deps.union(arg_deps);
                    } else {
                        // The value is not read, but the argument is still evaluated: its
                        // rejects still apply.
                        deps.rejects.extend(arg_deps.rejects);
                    }
                }
                deps.functions.insert(name.clone());
                deps
            }
            ExprKind::IntToFloat(x) | ExprKind::Not(x) | ExprKind::Neg(x) => self.expr(x),
            ExprKind::Convert { value, .. } => self.expr(value),
            ExprKind::Binary { lhs, rhs, .. } => {
                let l = self.expr(lhs);
                l.union(self.expr(rhs))
            }
            ExprKind::Coalesce { value, default } => {
                let v = self.expr(value);
                v.union(self.expr(default))
            }
            ExprKind::Match { scrutinee, arms } => {
                let mut deps = self.expr(scrutinee);
                for arm in arms {
                    deps = deps.union(self.expr(&arm.body));
                }
                deps
            }
        }
    }

    fn all(&mut self, es: &[Expr]) -> Deps {
        es.iter()
            .fold(Deps::default(), |acc, e| acc.union(self.expr(e)))
    }
}

fn constant(text: String) -> Deps {
    let mut deps = Deps::default();
    deps.constants.insert(text);
    deps
}

fn origin(o: Origin) -> Deps {
    let mut deps = Deps::default();
    deps.values.insert(o);
    deps
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::String(s) => crate::format::quote(s),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => format!("{f:?}"),
        Literal::Bool(b) => b.to_string(),
    }
}

/// For each function, which of its parameters its body reads (directly or through the
/// functions it calls). Functions come callees first, so one pass suffices.
fn params_read_by_functions(functions: &[Function]) -> BTreeMap<String, Vec<bool>> {
    let mut read: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for f in functions {
        let mut locals = BTreeSet::new();
        locals_read(&f.body, &read, &mut locals);
        let flags = f
            .params
            .iter()
            .map(|(name, _)| locals.contains(name))
            .collect();
        read.insert(f.name.clone(), flags);
    }
    read
}

fn locals_read(e: &Expr, read: &BTreeMap<String, Vec<bool>>, out: &mut BTreeSet<String>) {
    let children: Vec<&Expr> = match &e.kind {
        ExprKind::Local(name) => {
            out.insert(name.clone());
            Vec::new()
        }
        ExprKind::CallFunction { name, args } => {
            let flags = read.get(name);
            args.iter()
                .enumerate()
                .filter(|(i, _)| flags.is_none_or(|f| f.get(*i).copied().unwrap_or(true)))
                .map(|(_, a)| a)
                .collect()
        }
        ExprKind::Call { args, .. } | ExprKind::Lookup { key: args, .. } => args.iter().collect(),
        ExprKind::EntityField { base: x, .. }
        | ExprKind::MakeIdentifier { value: x, .. }
        | ExprKind::IntToFloat(x)
        | ExprKind::Convert { value: x, .. }
        | ExprKind::Not(x)
        | ExprKind::Neg(x) => vec![x],
        ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
        ExprKind::Coalesce { value, default } => vec![value, default],
        ExprKind::Match { scrutinee, arms } => std::iter::once(&**scrutinee)
            .chain(arms.iter().map(|a| &a.body))
            .collect(),
        ExprKind::Literal(_)
        | ExprKind::EnumCode { .. }
        | ExprKind::SourceField { .. }
        | ExprKind::SourceSample { .. }
        | ExprKind::SourcePosition
        | ExprKind::SourceName
        | ExprKind::SourceTopic
        | ExprKind::SourceTopicLevel { .. }
        | ExprKind::Reject { .. } => Vec::new(),
    };
    for child in children {
        locals_read(child, read, out);
    }
}
