//! The lineage as boxes with rows and arrows between rows, the one shape every renderer
//! (Mermaid, DOT, SVG) draws. Deciding what is drawn happens here, once; the renderers only
//! spell it.
//!
//! - A source is a box whose rows are the fields the mapping reads (and `(position)` /
//!   `(name)` when `source.position` / `source.name` are read). A field whose unit a column
//!   gives is read with that column: a row of its own (`unit (unit column)`) when the entity
//!   does not declare it as a field, with its own arrow wherever the field's value goes.
//! - A lookup is a box whose first row is its key field, then the fields the mapping reads.
//! - A flow is a box whose first row is `where` when it has a filter, then one row per
//!   assigned target field. A field computed from constants only says `(constant)`.
//! - A `per source` block is a box whose rows are its bindings: each drawn once, fed by what it
//!   reads, and feeding every flow row that reads it.
//! - A target is a box without rows: the flow's rows are its fields, and one thick arrow per
//!   flow says which target receives them.
//!
//! Arrows: a value arrow from each source or lookup field to each flow row that reads it; a
//! filter arrow (dashed) from each field the `where` reads to the flow's `where` row, since
//! a filter decides about the whole record; a key arrow (dotted) from each field a lookup's
//! key reads into that lookup's key row; a records arrow from each flow to its target.

use std::collections::BTreeSet;

use super::graph::{port_name, shared_label, Deps, KeyRead, Lineage, Origin};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BoxKind {
    Source,
    Lookup,
    Flow,
    Target,
    /// A `per source` block.
    Shared,
}

impl BoxKind {
    pub fn word(self) -> &'static str {
        match self {
            BoxKind::Source => "source",
            BoxKind::Lookup => "lookup",
            BoxKind::Flow => "flow",
            BoxKind::Target => "target",
            BoxKind::Shared => "per source",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// A short id made of the kind's letter and an index (`s0`, `l1`, `f2`, `t0`): safe in
    /// every output language whatever the names.
    pub id: String,
    pub kind: BoxKind,
    pub title: String,
    pub rows: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    Value,
    Filter,
    Key,
    Records,
}

/// An end of an arrow: a box, and a row of it or the box as a whole.
pub type End = (usize, Option<usize>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: End,
    pub to: End,
    pub kind: EdgeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub title: String,
    pub nodes: Vec<Node>,
    /// Sorted and without duplicates.
    pub edges: Vec<Edge>,
}

/// Lays the lineage out as boxes and arrows.
pub fn picture(lineage: &Lineage) -> Picture {
    let mut nodes = Vec::new();
    for (i, s) in lineage.sources.iter().enumerate() {
        nodes.push(Node {
            id: format!("s{i}"),
            kind: BoxKind::Source,
            title: format!("source {}: {}", s.name, s.entity),
            rows: s.fields.clone(),
        });
    }
    let lookup_base = nodes.len();
    for (i, l) in lineage.lookups.iter().enumerate() {
        let mut rows = l.fields.clone();
        // The key fields come first: one, or each field of a composite key.
        let key_fields = lineage.lookup_keys.get(&l.name).map_or(1, Vec::len);
        for key in rows.iter_mut().take(key_fields) {
            *key = format!("{key} (key)");
        }
        nodes.push(Node {
            id: format!("l{i}"),
            kind: BoxKind::Lookup,
            title: format!("lookup {}: {}", l.name, l.entity),
            rows,
        });
    }
    let shared_base = nodes.len();
    for (i, block) in lineage.shared.iter().enumerate() {
        nodes.push(Node {
            id: format!("p{i}"),
            kind: BoxKind::Shared,
            title: format!("per source {}", block.source),
            rows: block
                .bindings
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
        });
    }
    let flow_base = nodes.len();
    for (i, f) in lineage.flows.iter().enumerate() {
        let mut rows = Vec::new();
        if f.filter.is_some() {
            rows.push("where".to_string());
        }
        if f.skips.is_some() {
            rows.push("skip when".to_string());
        }
        rows.extend(f.fields.iter().map(|field| {
            if field.deps.is_constant() {
                format!("{} (constant)", field.field)
            } else {
                field.field.clone()
            }
        }));
        nodes.push(Node {
            id: format!("f{i}"),
            kind: BoxKind::Flow,
            title: format!("flow {}", f.name),
            rows,
        });
    }
    let target_base = nodes.len();
    for (i, t) in lineage.targets.iter().enumerate() {
        nodes.push(Node {
            id: format!("t{i}"),
            kind: BoxKind::Target,
            title: format!("target {}: {}", t.name, t.entity),
            rows: Vec::new(),
        });
    }

    // Where each origin is drawn: (box, row).
    let source_end = |source: &str, origin: &Origin| -> Option<End> {
        let i = lineage.sources.iter().position(|s| s.name == source)?;
        let row = lineage.sources[i]
            .fields
            .iter()
            .position(|f| *f == port_name(origin))?;
        Some((i, Some(row)))
    };
    let lookup_end = |lookup: &str, field: &str| -> Option<End> {
        let i = lineage.lookups.iter().position(|l| l.name == lookup)?;
        let row = lineage.lookups[i].fields.iter().position(|f| f == field)?;
        Some((lookup_base + i, Some(row)))
    };
    let origin_end = |source: &str, origin: &Origin| -> Option<End> {
        match origin {
            Origin::LookupField { lookup, field } => lookup_end(lookup, field),
            Origin::LookupColumn { lookup, .. } => lookup_end(lookup, &port_name(origin)),
            _ => source_end(source, origin),
        }
    };

    let mut edges = BTreeSet::new();
    let key_edges = |source: &str, deps: &Deps, edges: &mut BTreeSet<Edge>| {
        for KeyRead { lookup, origin, .. } in &deps.keys {
            // A composite key's edges are drawn per key field from the flow's lookup uses
            // below, which hold what each value of the key reads.
            let key_field = match lineage.lookup_keys.get(lookup).map(Vec::as_slice) {
                Some([single]) => Some(single.as_str()),
                _ => None,
            };
            if let (Some(from), Some(to)) = (
                origin_end(source, origin),
                key_field.and_then(|k| lookup_end(lookup, k)),
            ) {
                edges.insert(Edge {
                    from,
                    to,
                    kind: EdgeKind::Key,
                });
            }
        }
    };
    // Each shared binding's row, fed by what it reads.
    for (i, block) in lineage.shared.iter().enumerate() {
        for (row, (_, deps)) in block.bindings.iter().enumerate() {
            for origin in &deps.values {
                if let Some(from) = origin_end(&block.source, origin) {
                    edges.insert(Edge {
                        from,
                        to: (shared_base + i, Some(row)),
                        kind: EdgeKind::Value,
                    });
                }
            }
            key_edges(&block.source, deps, &mut edges);
        }
    }
    // The shared binding rows a value goes through.
    let shared_ends = |source: &str, deps: &Deps| -> Vec<End> {
        let Some(i) = lineage.shared.iter().position(|b| b.source == source) else {
            return Vec::new();
        };
        lineage.shared[i]
            .bindings
            .iter()
            .enumerate()
            .filter(|(_, (name, _))| deps.bindings.contains(&shared_label(name, source)))
            .map(|(row, _)| (shared_base + i, Some(row)))
            .collect()
    };
    for (i, f) in lineage.flows.iter().enumerate() {
        let flow = flow_base + i;
        let mut row = 0;
        if let Some(filter) = &f.drawn_filter {
            let shared = shared_ends(&f.source, filter);
            let origins = filter
                .values
                .iter()
                .filter_map(|o| origin_end(&f.source, o));
            for from in origins.chain(shared) {
                edges.insert(Edge {
                    from,
                    to: (flow, Some(0)),
                    kind: EdgeKind::Filter,
                });
            }
            key_edges(&f.source, filter, &mut edges);
            row = 1;
        }
        // The `skip when` row, below the `where` row when there is one.
        if let Some(skips) = &f.skips {
            for origin in &skips.values {
                if let Some(from) = origin_end(&f.source, origin) {
                    edges.insert(Edge {
                        from,
                        to: (flow, Some(row)),
                        kind: EdgeKind::Filter,
                    });
                }
            }
            key_edges(&f.source, skips, &mut edges);
            row += 1;
        }
        for field in &f.fields {
            let drawn = &field.drawn;
            let shared = shared_ends(&f.source, drawn);
            let origins = drawn.values.iter().filter_map(|o| origin_end(&f.source, o));
            for from in origins.chain(shared) {
                edges.insert(Edge {
                    from,
                    to: (flow, Some(row)),
                    kind: EdgeKind::Value,
                });
            }
            key_edges(&f.source, drawn, &mut edges);
            row += 1;
        }
        for use_ in &f.lookups {
            let key_fields = lineage.lookup_keys.get(&use_.lookup);
            for (i, component) in use_.components.iter().enumerate() {
                let to = key_fields
                    .and_then(|fields| fields.get(i))
                    .and_then(|k| lookup_end(&use_.lookup, k));
                for origin in &component.values {
                    if let (Some(from), Some(to)) = (origin_end(&f.source, origin), to) {
                        edges.insert(Edge {
                            from,
                            to,
                            kind: EdgeKind::Key,
                        });
                    }
                }
                key_edges(&f.source, component, &mut edges);
            }
        }
        if let Some(t) = lineage.targets.iter().position(|t| t.name == f.target) {
            edges.insert(Edge {
                from: (flow, None),
                to: (target_base + t, None),
                kind: EdgeKind::Records,
            });
        }
    }
    Picture {
        title: format!("lineage of mapping {}", lineage.mapping),
        nodes,
        edges: edges.into_iter().collect(),
    }
}
