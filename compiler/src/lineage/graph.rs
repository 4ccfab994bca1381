//! Field-level lineage of a checked program: for every field a flow assigns, what it reads.
//!
//! The analysis walks the typed program (`ir`), where every name is already resolved: a bare
//! name is a source field or a `let` binding, `m.line` is a field of a lookup row. What a
//! `let` reads is remembered under its name, so a target field that uses the binding depends
//! on what the binding read; a call of a `fn` depends on the arguments whose parameters the
//! body reads. A lookup row depends on its key: the key's origins are kept apart from the
//! values (`keys`), so that a picture can draw them into the lookup's key field and a
//! reader can tell "the value comes from master data" from "the row was chosen by this".
//!
//! This file holds what the answer is made of (`Origin`, `Deps`, the per-flow and per-program
//! records) and walks statements: a flow's `where`, `let`s, `skip when`s and assignments, and
//! the `per source` blocks. What one expression reads is `walk.rs`'s `Walker`.

use std::collections::{BTreeMap, BTreeSet};

use super::unit_columns::UnitColumns;
use super::walk::{params_read_by_functions, Context, Walker};
use crate::ir::{Flow, Program, SharedBindings, Step};

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
    /// What the keys that choose the lookup rows whose fields flow into this value read
    /// (directly, or through a chain of lookups), in each lookup's key order.
    pub keys: BTreeSet<KeyRead>,
    /// Lookups whose whole row this value is (a `let m = machines[...]`), not yet a field.
    pub(super) rows: BTreeSet<String>,
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
    pub(super) fn union(mut self, other: Deps) -> Deps {
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

/// An origin read by the key that chooses a row of a lookup. Ordered by lookup, then by the
/// position in the key, so a composite key's reads list in the order its key fields are
/// declared (`equipment[edge_node, device]` for `key (edge_node, sparkplug_device)`), not in
/// the order of their names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRead {
    pub lookup: String,
    /// Which value of the key reads `origin`: 0 for a single key, the key field's position
    /// for a composite one.
    pub component: usize,
    pub origin: Origin,
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
            let origins = deps
                .values
                .iter()
                .chain(deps.keys.iter().map(|k| &k.origin));
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
