//! The diff of one flow present in both versions: route, filter, bindings, target fields,
//! reject rules.

use std::collections::{BTreeMap, BTreeSet};

use super::{same, Aspect, Change, ChangeKind};
use crate::format::{format_expression, quote};
use crate::syntax::ast::{Expr, ExprKind, FlowDecl, MatchArm, PerSourceDecl, Statement, StringLit};

/// One statement of a flow, keyed: `let NAME` or the target field it assigns.
struct Stmt<'a> {
    is_let: bool,
    name: &'a str,
    value: &'a Expr,
    else_reject: Option<&'a StringLit>,
}

fn statements(f: &FlowDecl) -> Vec<Stmt<'_>> {
    f.statements
        .iter()
        .filter_map(|s| match s {
            Statement::Let {
                name,
                value,
                else_reject,
            } => Some(Stmt {
                is_let: true,
                name: &name.name,
                value,
                else_reject: else_reject.as_ref(),
            }),
            Statement::Assign {
                field,
                value,
                else_reject,
            } => Some(Stmt {
                is_let: false,
                name: &field.name,
                value,
                else_reject: else_reject.as_ref(),
            }),
            // Compared apart, by `skips`.
            Statement::Skip { .. } => None,
        })
        .collect()
}

/// The conditions of a flow's `skip when` statements, as formatted.
fn skips(f: &FlowDecl) -> Vec<String> {
    f.statements
        .iter()
        .filter_map(|s| match s {
            Statement::Skip { condition, .. } => Some(format_expression(condition)),
            _ => None,
        })
        .collect()
}

pub fn compare(old: &FlowDecl, new: &FlowDecl, out: &mut Vec<Change>) {
    let group = format!("flow {}", new.name.name);
    let change = |subject: String, kind, aspect, old: Option<String>, new: Option<String>| Change {
        group: group.clone(),
        subject,
        kind,
        aspect,
        old,
        new,
    };
    let route = |f: &FlowDecl| format!("{} -> {}", f.source.name, f.target.name);
    if route(old) != route(new) {
        out.push(change(
            "route".to_string(),
            ChangeKind::Changed,
            Aspect::Route,
            Some(route(old)),
            Some(route(new)),
        ));
    }
    // What a flow promises is part of what an auditor compares: a guarantee written or
    // removed is a change, read as the default (`at_least_once`) when none is written.
    let delivery = |f: &FlowDecl| {
        f.delivery
            .as_ref()
            .map_or("at_least_once".to_string(), |d| d.name.clone())
    };
    if delivery(old) != delivery(new) {
        out.push(change(
            "delivery".to_string(),
            ChangeKind::Changed,
            Aspect::Delivery,
            Some(delivery(old)),
            Some(delivery(new)),
        ));
    }
    match (&old.filter, &new.filter) {
        (Some(a), Some(b)) if same(a, b) => {}
        (None, None) => {}
        (a, b) => out.push(change(
            "where".to_string(),
            kind_of(a.is_some(), b.is_some()),
            Aspect::Filter,
            a.as_ref().map(format_expression),
            b.as_ref().map(format_expression),
        )),
    }

    // A `skip when` has no name: one added or removed is a change of what the flow filters,
    // as a `where` is; one whose condition changed is one removed and one added.
    let (old_skips, new_skips) = (skips(old), skips(new));
    for removed in old_skips.iter().filter(|s| !new_skips.contains(s)) {
        out.push(change(
            "skip when".to_string(),
            ChangeKind::Dropped,
            Aspect::Filter,
            Some(removed.clone()),
            None,
        ));
    }
    for added in new_skips.iter().filter(|s| !old_skips.contains(s)) {
        out.push(change(
            "skip when".to_string(),
            ChangeKind::Added,
            Aspect::Filter,
            None,
            Some(added.clone()),
        ));
    }

    let (before, after) = (statements(old), statements(new));
    let key = |s: &Stmt| (s.is_let, s.name.to_string());
    let by_key = |list: &[Stmt<'_>]| -> Vec<(bool, String)> { list.iter().map(key).collect() };
    let (old_keys, new_keys) = (by_key(&before), by_key(&after));
    let find = |list: &'_ [Stmt<'_>], k: &(bool, String)| list.iter().position(|s| key(s) == *k);

    // Bindings first: what target fields read through them is reported with the fields.
    let mut changed_lets: BTreeSet<String> = BTreeSet::new();
    let mut keys: Vec<(bool, String)> = old_keys.clone();
    for k in &new_keys {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    keys.sort_by_key(|(is_let, name)| (!is_let, name.clone()));
    let target = &new.target.name;
    for k in &keys {
        let a = find(&before, k).map(|i| &before[i]);
        let b = find(&after, k).map(|i| &after[i]);
        let subject = if k.0 {
            format!("let {}", k.1)
        } else {
            format!("{target}.{}", k.1)
        };
        let aspect = if k.0 {
            Aspect::Binding
        } else {
            Aspect::Mapping
        };
        match (a, b) {
            (Some(a), Some(b)) => {
                if !same(a.value, b.value) {
                    if k.0 {
                        changed_lets.insert(k.1.clone());
                    }
                    out.push(change(
                        subject.clone(),
                        ChangeKind::Changed,
                        aspect,
                        Some(format_expression(a.value)),
                        Some(format_expression(b.value)),
                    ));
                } else if !k.0 {
                    let through = reads_through(b.value, &after, &changed_lets);
                    if !through.is_empty() {
                        let lets: Vec<String> =
                            through.iter().map(|l| format!("`let {l}`")).collect();
                        out.push(change(
                            subject.clone(),
                            ChangeKind::Changed,
                            Aspect::Mapping,
                            None,
                            Some(format!(
                                "{} (unchanged, but reads {}, which changed)",
                                format_expression(b.value),
                                lets.join(", ")
                            )),
                        ));
                    }
                }
                let reason = |s: &Stmt| s.else_reject.map(|r| quote(&r.value));
                if reason(a) != reason(b) {
                    out.push(change(
                        format!("{subject}: else reject"),
                        kind_of(a.else_reject.is_some(), b.else_reject.is_some()),
                        Aspect::Reject,
                        reason(a),
                        reason(b),
                    ));
                }
            }
            (a, b) => {
                if k.0 {
                    changed_lets.insert(k.1.clone());
                }
                let text = |s: &Stmt| {
                    let mut t = format_expression(s.value);
                    if let Some(r) = s.else_reject {
                        t.push_str(&format!(" else reject {}", quote(&r.value)));
                    }
                    t
                };
                out.push(change(
                    subject,
                    kind_of(a.is_some(), b.is_some()),
                    aspect,
                    a.map(text),
                    b.map(text),
                ));
            }
        }
    }

    // The first rule that fires names the reason (an `else reject`, or a match arm that
    // rejects): their order is part of the meaning.
    let rules = |list: &[Stmt<'_>], other: &[(bool, String)]| -> Vec<String> {
        list.iter()
            .filter(|s| (s.else_reject.is_some() || rejects(s.value)) && other.contains(&key(s)))
            .map(|s| {
                if s.is_let {
                    format!("let {}", s.name)
                } else {
                    format!("{target}.{}", s.name)
                }
            })
            .collect()
    };
    let (old_rules, new_rules) = (rules(&before, &new_keys), rules(&after, &old_keys));
    if old_rules != new_rules {
        out.push(change(
            "order of reject rules".to_string(),
            ChangeKind::Changed,
            Aspect::Reject,
            Some(old_rules.join(", ")),
            Some(new_rules.join(", ")),
        ));
    }

    // A `skip when` moved past a reject rule changes what a record both would stop becomes:
    // the first to run decides whether it is filtered or rejected.
    let (old_order, new_order) = (
        skips_among_rules(old, &old_rules, &new_skips),
        skips_among_rules(new, &new_rules, &old_skips),
    );
    let rules_above = |order: &[String], skip: &str| -> BTreeSet<String> {
        let at = order.iter().position(|d| d == skip).unwrap_or(0);
        order[..at]
            .iter()
            .filter(|d| !d.starts_with("skip when "))
            .cloned()
            .collect()
    };
    let moved = old_order
        .iter()
        .filter(|d| d.starts_with("skip when "))
        .any(|skip| rules_above(&old_order, skip) != rules_above(&new_order, skip));
    if moved {
        out.push(change(
            "order of skip when and reject rules".to_string(),
            ChangeKind::Changed,
            Aspect::Filter,
            Some(old_order.join(", ")),
            Some(new_order.join(", ")),
        ));
    }
}

/// The flow's reject rules (`rules`, named as the reject-order change names them, those of
/// both versions) and its `skip when`s (those whose condition `other_skips` also has), in the
/// order the flow runs them.
fn skips_among_rules(f: &FlowDecl, rules: &[String], other_skips: &[String]) -> Vec<String> {
    let target = &f.target.name;
    f.statements
        .iter()
        .filter_map(|s| match s {
            Statement::Let { name, .. } => Some(format!("let {}", name.name)),
            Statement::Assign { field, .. } => Some(format!("{target}.{}", field.name)),
            Statement::Skip { condition, .. } => {
                let condition = format_expression(condition);
                other_skips
                    .contains(&condition)
                    .then(|| format!("skip when {condition}"))
            }
        })
        .filter(|d| d.starts_with("skip when ") || rules.contains(d))
        .collect()
}

/// The diff of a `per source` block present in both versions: its bindings and the order of
/// its reject rules, compared as a flow's are, under the group `per source NAME`. A changed
/// shared binding changes what every flow of the source reads; each flow's own diff says so
/// only for its own `let`s, so the group names the source whose flows it reaches.
/// Returns the names of the bindings that changed, or that read one that changed (added and
/// dropped ones included), for [`reads_changed_shared`].
pub fn compare_per_source(
    old: &PerSourceDecl,
    new: &PerSourceDecl,
    out: &mut Vec<Change>,
) -> BTreeSet<String> {
    let as_flow = |block: &PerSourceDecl| FlowDecl {
        name: block.source.clone(),
        source: block.source.clone(),
        target: block.source.clone(),
        delivery: None,
        filter: None,
        statements: block.statements.clone(),
        header_span: block.header_span,
    };
    let mut changes = Vec::new();
    compare(&as_flow(old), &as_flow(new), &mut changes);
    let group = format!("per source {}", new.source.name);
    let mut changed: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.aspect == super::Aspect::Binding)
        .filter_map(|c| c.subject.strip_prefix("let ").map(str::to_string))
        .collect();
    // A binding that reads a changed one gives other values too.
    let new_flow = as_flow(new);
    let lets: Vec<Stmt<'_>> = statements(&new_flow);
    loop {
        let more: Vec<String> = lets
            .iter()
            .filter(|s| !changed.contains(s.name))
            .filter(|s| names(s.value).iter().any(|n| changed.contains(n)))
            .map(|s| s.name.to_string())
            .collect();
        if more.is_empty() {
            break;
        }
        changed.extend(more);
    }
    out.extend(changes.into_iter().map(|change| Change {
        group: group.clone(),
        ..change
    }));
    changed
}

/// For a flow whose source's `per source` block changed: each field (and the `where`) the flow
/// did not change but that reads a changed shared binding, as `compare` reports one that reads
/// a changed `let` of the flow itself.
pub fn reads_changed_shared(
    old: &FlowDecl,
    new: &FlowDecl,
    changed_shared: &BTreeSet<String>,
    out: &mut Vec<Change>,
) {
    if changed_shared.is_empty() {
        return;
    }
    let (before, after) = (statements(old), statements(new));
    let note = |value: &Expr, through: BTreeSet<String>| {
        let lets: Vec<String> = through.iter().map(|l| format!("`let {l}`")).collect();
        format!(
            "{} (unchanged, but reads {} of `per source {}`, which changed)",
            format_expression(value),
            lets.join(", "),
            new.source.name
        )
    };
    let group = format!("flow {}", new.name.name);
    if let (Some(a), Some(b)) = (&old.filter, &new.filter) {
        let through = reads_through(b, &after, changed_shared);
        if same(a, b) && !through.is_empty() {
            out.push(Change {
                group: group.clone(),
                subject: "where".to_string(),
                kind: ChangeKind::Changed,
                aspect: Aspect::Filter,
                old: None,
                new: Some(note(b, through)),
            });
        }
    }
    for b in after.iter().filter(|s| !s.is_let) {
        let Some(a) = before.iter().find(|a| !a.is_let && a.name == b.name) else {
            continue;
        };
        let through = reads_through(b.value, &after, changed_shared);
        if same(a.value, b.value) && !through.is_empty() {
            out.push(Change {
                group: group.clone(),
                subject: format!("{}.{}", new.target.name, b.name),
                kind: ChangeKind::Changed,
                aspect: Aspect::Mapping,
                old: None,
                new: Some(note(b.value, through)),
            });
        }
    }
}

fn kind_of(before: bool, after: bool) -> ChangeKind {
    match (before, after) {
        (false, true) => ChangeKind::Added,
        (true, false) => ChangeKind::Dropped,
        _ => ChangeKind::Changed,
    }
}

/// The changed `let`s that `e` reads, directly or through other `let`s of the flow.
fn reads_through(e: &Expr, flow: &[Stmt<'_>], changed: &BTreeSet<String>) -> BTreeSet<String> {
    let lets: BTreeMap<&str, &Expr> = flow
        .iter()
        .filter(|s| s.is_let)
        .map(|s| (s.name, s.value))
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = names(e).into_iter().collect();
    let mut hits = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if changed.contains(&name) {
            hits.insert(name.clone());
        }
        if let Some(value) = lets.get(name.as_str()) {
            todo.extend(names(value));
        }
    }
    hits
}

/// Whether evaluating `e` may reject the record through a match arm `reject "..."`.
fn rejects(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Reject(_) => true,
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Quantity(..) => false,
        ExprKind::Field(x, _) | ExprKind::Unary(_, x) | ExprKind::As(x, _) => rejects(x),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => rejects(a) || rejects(b),
        ExprKind::Call(_, args) | ExprKind::Tuple(args) => args.iter().any(rejects),
        ExprKind::Match(x, arms) => rejects(x) || arms.iter().any(|a| rejects(&a.body)),
    }
}

/// The bare names an expression reads (bindings or source fields).
fn names(e: &Expr) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            ExprKind::Name(n) => {
                out.insert(n.name.clone());
            }
            ExprKind::Literal(_) | ExprKind::Quantity(..) | ExprKind::Reject(_) => {}
            ExprKind::Field(x, _) | ExprKind::Unary(_, x) | ExprKind::As(x, _) => todo.push(x),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                todo.push(a);
                todo.push(b);
            }
            ExprKind::Call(_, args) | ExprKind::Tuple(args) => todo.extend(args.iter()),
            ExprKind::Match(x, arms) => {
                todo.push(x);
                todo.extend(arms.iter().map(|a: &MatchArm| &a.body));
            }
        }
    }
    out
}
