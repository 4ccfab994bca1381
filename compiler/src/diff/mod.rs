//! `fdi diff`: what changes between two versions of a mapping, for change control.
//!
//! Both versions are compiled first (a version that does not check is an error, not a diff),
//! then compared as syntax trees with their imports loaded, spans aside, declaration by
//! declaration and statement by statement, keyed by name: comments, layout and the order of
//! declarations do not count, so formatting a file or moving a declaration reports nothing.
//! What counts is listed as [`Change`]s: declarations added, dropped or changed; per flow, its
//! source or target, its `where`, its `let`s, each target field's expression and its
//! `else reject`, the order of its reject rules; and the schema types (identifier rules,
//! enum codes, entity fields) of the checked programs. A target field whose own expression is
//! unchanged but which reads a changed `let` is reported too, as changed through it.
//! Expressions and declarations are shown as the formatter prints them.
//!
//! Pure: the CLI reads the files (or the git revisions) and prints [`render_text`] or
//! [`render_json`].

mod flows;
mod render;
mod schema;

use std::collections::BTreeMap;

use crate::format::{format_item, without_spans};
use crate::ir::Program;
use crate::syntax::ast::{Item, MappingFile};

pub use render::{render_json, render_text};

/// One version of a mapping: its syntax tree (imports loaded) and its checked program.
pub struct Version<'a> {
    pub tree: &'a MappingFile,
    pub program: &'a Program,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Dropped,
    Changed,
}

impl ChangeKind {
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Dropped => "dropped",
            ChangeKind::Changed => "changed",
        }
    }
}

/// What about a subject changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// The mapping's name or version.
    Header,
    /// A declaration as a whole: schema, import, source, lookup, target, dead letter, fn, flow.
    Declaration,
    /// Which source a flow reads or which target it writes.
    Route,
    /// A flow's `where`.
    Filter,
    /// A flow's delivery guarantee (`delivery at_most_once`; none written: at least once).
    Delivery,
    /// A `let` binding's value.
    Binding,
    /// A target field's expression (or what it reads through a changed `let`).
    Mapping,
    /// An `else reject` rule, or the order in which a flow's rules fire.
    Reject,
    /// An identifier type's rules, an enum's codes, an entity's fields.
    Schema,
    /// A `test` block.
    Test,
}

impl Aspect {
    pub fn word(self) -> &'static str {
        match self {
            Aspect::Header => "header",
            Aspect::Declaration => "declaration",
            Aspect::Route => "route",
            Aspect::Filter => "filter",
            Aspect::Delivery => "delivery",
            Aspect::Binding => "binding",
            Aspect::Mapping => "mapping",
            Aspect::Reject => "reject",
            Aspect::Schema => "schema",
            Aspect::Test => "test",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What the change is grouped under: `flow phase`, `target history`, `entity Machine`.
    pub group: String,
    /// What changed within the group: `states.state`, `where`, `let m`; empty when the group
    /// itself was added, dropped or changed.
    pub subject: String,
    pub kind: ChangeKind,
    pub aspect: Aspect,
    /// The old and the new form, as the formatter prints it (`None` where there is none).
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The semantic diff of two versions: empty when they mean the same.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MappingDiff {
    pub changes: Vec<Change>,
}

impl MappingDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The diff stage: what changes from `old` to `new`.
pub fn diff(old: &Version, new: &Version) -> MappingDiff {
    let mut changes = Vec::new();
    header(old.tree, new.tree, &mut changes);
    // Per source, the `per source` bindings that changed: the flows of the source read them.
    let mut changed_shared: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for kind in DECLARATION_KINDS {
        let before = declarations(old.tree, kind);
        let after = declarations(new.tree, kind);
        compare_keyed(&before, &after, &mut changes, |name, a, b, out| {
            if kind == "flow" {
                if let (Item::Flow(a), Item::Flow(b)) = (a, b) {
                    flows::compare(a, b, out);
                    if let Some(changed) = changed_shared.get(&b.source.name) {
                        if a.source.name == b.source.name {
                            flows::reads_changed_shared(a, b, changed, out);
                        }
                    }
                }
            } else if kind == "per source" {
                if let (Item::PerSource(a), Item::PerSource(b)) = (a, b) {
                    let changed = flows::compare_per_source(a, b, out);
                    changed_shared.insert(b.source.name.clone(), changed);
                }
            } else if same(a, b) {
                // Nothing to report.
            } else if kind == "test" {
                // A test's records are long; its name says which test to read.
                out.push(Change {
                    group: group_name(kind, name),
                    subject: String::new(),
                    kind: ChangeKind::Changed,
                    aspect: Aspect::Test,
                    old: None,
                    new: None,
                });
            } else {
                out.push(Change {
                    group: group_name(kind, name),
                    subject: String::new(),
                    kind: ChangeKind::Changed,
                    aspect: Aspect::Declaration,
                    old: Some(format_item(a)),
                    new: Some(format_item(b)),
                });
            }
        });
    }
    schema::compare(&old.program.schema, &new.program.schema, &mut changes);
    MappingDiff { changes }
}

/// The kinds of declaration, in the order the diff reports them.
const DECLARATION_KINDS: [&str; 10] = [
    "import",
    "schema",
    "source",
    "lookup",
    "target",
    "dead_letter",
    "fn",
    "per source",
    "flow",
    "test",
];

fn header(old: &MappingFile, new: &MappingFile, out: &mut Vec<Change>) {
    let text = |m: &MappingFile| match &m.version {
        Some(v) => format!(
            "mapping {} version {}",
            m.name.name,
            crate::format::quote(&v.value)
        ),
        None => format!("module {}", m.name.name),
    };
    let (a, b) = (text(old), text(new));
    if a != b {
        out.push(Change {
            group: "mapping".to_string(),
            subject: String::new(),
            kind: ChangeKind::Changed,
            aspect: Aspect::Header,
            old: Some(a),
            new: Some(b),
        });
    }
}

/// The declarations of one kind, by name (a schema or import by its path; the one dead
/// letter by its kind). Sorted by name, so the diff's order does not depend on the files'.
fn declarations<'a>(m: &'a MappingFile, kind: &str) -> BTreeMap<String, &'a Item> {
    m.items
        .iter()
        .filter_map(|item| {
            let (k, name) = match item {
                Item::Import(p) => ("import", p.value.clone()),
                Item::Schema(p) => ("schema", p.value.clone()),
                Item::Source(d) => ("source", d.name.name.clone()),
                Item::Lookup(d) => ("lookup", d.name.name.clone()),
                Item::Target(d) => ("target", d.name.name.clone()),
                Item::DeadLetter(_) => ("dead_letter", String::new()),
                Item::Function(f) => ("fn", f.name.name.clone()),
                Item::Flow(f) => ("flow", f.name.name.clone()),
                Item::PerSource(p) => ("per source", p.source.name.clone()),
                Item::Test(t) => ("test", t.name.value.clone()),
            };
            (k == kind).then_some((name, item))
        })
        .collect()
}

fn group_name(kind: &str, name: &str) -> String {
    match kind {
        "dead_letter" => "dead_letter".to_string(),
        "import" | "schema" | "test" => format!("{kind} {}", crate::format::quote(name)),
        _ => format!("{kind} {name}"),
    }
}

/// Walks two name-keyed maps: added and dropped entries are reported whole, entries in both
/// go to `both`.
fn compare_keyed<T>(
    before: &BTreeMap<String, &T>,
    after: &BTreeMap<String, &T>,
    out: &mut Vec<Change>,
    mut both: impl FnMut(&str, &T, &T, &mut Vec<Change>),
) where
    T: Declaration + ?Sized,
{
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        match (before.get(name), after.get(name)) {
            (Some(a), Some(b)) => both(name, a, b, out),
            (Some(a), None) => out.push(a.whole_change(name, ChangeKind::Dropped)),
            (None, Some(b)) => out.push(b.whole_change(name, ChangeKind::Added)),
            (None, None) => {}
        }
    }
}

/// Something reported whole when it is added or dropped.
trait Declaration {
    fn whole_change(&self, name: &str, kind: ChangeKind) -> Change;
}

impl Declaration for Item {
    fn whole_change(&self, name: &str, kind: ChangeKind) -> Change {
        let (word, aspect) = match self {
            Item::Import(_) => ("import", Aspect::Declaration),
            Item::Schema(_) => ("schema", Aspect::Declaration),
            Item::Source(_) => ("source", Aspect::Declaration),
            Item::Lookup(_) => ("lookup", Aspect::Declaration),
            Item::Target(_) => ("target", Aspect::Declaration),
            Item::DeadLetter(_) => ("dead_letter", Aspect::Declaration),
            Item::Function(_) => ("fn", Aspect::Declaration),
            Item::Flow(_) => ("flow", Aspect::Declaration),
            Item::PerSource(_) => ("per source", Aspect::Declaration),
            Item::Test(_) => ("test", Aspect::Test),
        };
        let text = Some(format_item(self));
        Change {
            group: group_name(word, name),
            subject: String::new(),
            kind,
            aspect,
            old: if kind == ChangeKind::Added {
                None
            } else {
                text.clone()
            },
            new: if kind == ChangeKind::Dropped {
                None
            } else {
                text
            },
        }
    }
}

/// Whether two nodes of a syntax tree are the same, wherever they were written.
fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    without_spans(&format!("{a:?}")) == without_spans(&format!("{b:?}"))
}
