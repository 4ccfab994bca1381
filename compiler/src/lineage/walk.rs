//! What one expression reads: the walker behind [`lineage`](super::graph::lineage).
//!
//! `graph.rs` assembles the lineage of flows and of the program from statements; this file
//! holds the part that reads the typed expressions themselves, since it is the one that grows
//! with the language (every `ExprKind` is named here): a source field (with its unit column, but
//! not under `present`), a `let` through what it was bound to, a lookup row through its key, a
//! call of a `fn` through the arguments its body reads, which `params_read_by_functions` works
//! out once per program.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Deps, KeyRead, LookupUse, Origin};
use super::unit_columns::UnitColumns;
use crate::ir::{Builtin, Expr, ExprKind, Function, Literal, SamplePart};

/// What every walk of a program reads besides the expressions: which parameters each function
/// reads, and which fields have a unit column.
pub(super) struct Context<'a> {
    pub(super) params_read: &'a BTreeMap<String, Vec<bool>>,
    pub(super) units: &'a UnitColumns,
}

pub(super) struct Walker<'a> {
    pub(super) bindings: BTreeMap<String, Deps>,
    /// How a binding is named in `Deps::bindings` when not by its name: a shared one's.
    pub(super) labels: BTreeMap<String, String>,
    params_read: &'a BTreeMap<String, Vec<bool>>,
    units: &'a UnitColumns,
    /// The source whose records the walked expressions read.
    source: &'a str,
    pub(super) lookups: Vec<LookupUse>,
}

impl<'a> Walker<'a> {
    pub(super) fn new(context: &Context<'a>, source: &'a str) -> Walker<'a> {
        Walker {
            bindings: BTreeMap::new(),
            labels: BTreeMap::new(),
            params_read: context.params_read,
            units: context.units,
            source,
            lookups: Vec::new(),
        }
    }

    /// A source field read; `with_unit`: with the column that gives its unit, if it has one.
    fn source_field(&self, field: &str, part: Option<&'static str>, with_unit: bool) -> Deps {
        let read = Origin::SourceField {
            field: field.to_string(),
            part,
        };
        let mut deps = origin(read.clone());
        let unit = with_unit
            .then(|| self.units.of_source_field(self.source, field))
            .flatten();
        if let Some(unit) = unit {
            deps.values.insert(unit.clone());
            deps.units.insert((read, unit));
        }
        deps
    }

    /// A field read, of the source (or a part of a quality field) or of a lookup row.
    /// `with_unit`: with the column that gives the field's unit, if it has one, since a value
    /// converted at decode by its row's unit depends on that column too. A quality or a
    /// timestamp is never converted.
    fn field(&mut self, e: &Expr, with_unit: bool) -> Deps {
        match &e.kind {
            ExprKind::SourceField { name, .. } => self.source_field(name, None, with_unit),
            ExprKind::SourceSample { field, part } => match part {
                SamplePart::Good => self.source_field(field, None, with_unit),
                SamplePart::Value => self.source_field(field, Some("value"), with_unit),
                SamplePart::Quality => self.source_field(field, Some("quality"), false),
                SamplePart::Timestamp => self.source_field(field, Some("timestamp"), false),
            },
            ExprKind::EntityField { base, field, .. } => {
                // The row's key is read whatever is read of the row.
                let mut deps = self.expr(base);
                let rows = std::mem::take(&mut deps.rows);
                for lookup in rows {
                    let read = Origin::LookupField {
                        lookup: lookup.clone(),
                        field: field.clone(),
                    };
                    let unit = with_unit
                        .then(|| self.units.of_lookup_field(&lookup, field))
                        .flatten();
                    if let Some(unit) = unit {
                        deps.values.insert(unit.clone());
                        deps.units.insert((read.clone(), unit));
                    }
                    deps.values.insert(read);
                }
                deps
            }
            _ => self.expr(e),
        }
    }

    /// What `present(field)` reads: the field alone. Whether a field has a value does not
    /// depend on the unit its row gives, so its unit column is not read (a lookup row's key
    /// still is: it chooses the row whose field is tested).
    fn presence(&mut self, args: &[Expr]) -> Deps {
        args.iter().fold(Deps::default(), |acc, arg| {
            acc.union(self.field(arg, false))
        })
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Deps {
        match &e.kind {
            ExprKind::Literal(l) => constant(literal_text(l)),
            ExprKind::EnumCode { enum_name, code } => constant(format!("{enum_name}.{code}")),
            ExprKind::SourceField { .. }
            | ExprKind::SourceSample { .. }
            | ExprKind::EntityField { .. } => self.field(e, true),
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
            ExprKind::Lookup { lookup, key } => {
                let components: Vec<Deps> = key.iter().map(|k| self.expr(k)).collect();
                // What each value of the key reads chooses the row, with the value's position
                // in the key.
                let key_reads: Vec<KeyRead> = components
                    .iter()
                    .enumerate()
                    .flat_map(|(component, deps)| {
                        deps.values.iter().map(move |origin| KeyRead {
                            lookup: lookup.clone(),
                            component,
                            origin: origin.clone(),
                        })
                    })
                    .collect();
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
                deps.values.clear();
                deps.keys.extend(key_reads);
                deps.rows.insert(lookup.clone());
                deps
            }
            ExprKind::MakeIdentifier { id_type, value, .. } => {
                let mut deps = self.expr(value);
                deps.functions.insert(id_type.clone());
                deps
            }
            ExprKind::Call { function, args } => {
                let mut deps = if *function == Builtin::Present {
                    self.presence(args)
                } else {
                    self.all(args)
                };
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
pub(super) fn params_read_by_functions(functions: &[Function]) -> BTreeMap<String, Vec<bool>> {
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
