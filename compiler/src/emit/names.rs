//! The one place that turns the mapping's names into Rust names.
//!
//! A mapping may call a flow `type`, a field `crate`, a target `None` or an entity `Result`:
//! names the language allows and Rust refuses, or names that the generated program uses itself.
//! Every name the emitter prints comes from here.
//!
//! Each namespace of the generated crate is a [`Scope`]: the names taken in it. A user's name
//! keeps its spelling when that is an identifier and free (a keyword becomes a raw identifier,
//! `r#type`); otherwise it gets the first free one of `name_`, `name_2`, `name_3`, ... All the
//! user's names of a scope are placed before any of them is renamed, so that a rename never takes
//! another name's own spelling, and the names the emitter derives (`LotRule`, `FOO_BAR_COLUMNS`,
//! `read_...`, a sample's `speed__quality`) are placed after the user's, in the same scopes.
//!
//! [`Names`] holds the names more than one generated file must agree on: schema types and what
//! is derived from them, fields, enum codes, flows, functions, lookups and the binary. Names local
//! to one generated function (the locals of `run`, a flow's bindings, a function's parameters)
//! are placed by the file that writes the function, with a [`Scope`] of its own.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::ir;
use crate::schema::SchemaSet;

/// Keywords of every edition from 2015 to 2024, strict and reserved, that a raw identifier
/// (`r#type`) makes usable. Generated crates are of one edition, but a name that is a keyword in
/// a later one is written raw too, so that moving to that edition changes nothing.
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    // Strict keywords.
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    // Strict since 2018.
    "async", "await", "dyn",
    // Reserved.
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield",
    // Reserved since 2018 and 2024.
    "try", "gen",
];

/// Keywords that cannot be raw identifiers: a name spelled like one is renamed.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Names generated code uses unqualified, which no item or binding it declares may shadow: the
/// prelude (`Some(x)`, `Ok(v)`, `String::from`, `Option<T>`; 2021 and 2024), the primitive types
/// (a struct called `i64` would be the type of every `i64` field after it), and the crates
/// generated code names.
#[rustfmt::skip]
const PRELUDE: &[&str] = &[
    // std::prelude: types, variants and functions.
    "Option", "Some", "None", "Result", "Ok", "Err", "String", "Vec", "Box", "drop",
    // std::prelude: traits (and their derive macros).
    "Copy", "Send", "Sized", "Sync", "Unpin", "Drop", "Fn", "FnMut", "FnOnce", "ToOwned", "Clone",
    "PartialEq", "PartialOrd", "Eq", "Ord", "AsRef", "AsMut", "Into", "From", "Default",
    "Iterator", "Extend", "IntoIterator", "DoubleEndedIterator", "ExactSizeIterator", "ToString",
    "TryFrom", "TryInto", "FromIterator", "Future", "IntoFuture", "Debug", "Hash",
    // Primitive types.
    "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
    "u128", "usize", "f16", "f32", "f64", "f128",
    // Crates.
    "std", "core", "alloc", "fdi_runtime", "serde",
];

/// Bindings that expression code introduces around the user's values (`|row| ...`,
/// `Ok(value) => ...`, `Err(failure) => ...`): a flow's or a function's locals stay clear of them.
pub const EXPRESSION_BINDINGS: &[&str] = &["value", "failure", "row", "n", "x"];

/// Binary names cargo refuses: they are folders of its target directory.
const CARGO_RESERVED: &[&str] = &["build", "deps", "examples", "incremental"];

/// File names Windows refuses whatever the extension, in any case: a binary or a flow's file
/// (`src/flows/<flow>.rs`) must not be called so.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// The names taken in one namespace of the generated crate.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: HashSet<String>,
    /// Names are compared without case: they are also file names, and two files whose names
    /// differ only in case are one file on Windows and macOS.
    fold_case: bool,
}

impl Scope {
    /// A scope in which `reserved` are taken: names the generated code declares or uses there.
    pub fn new(reserved: &[&str]) -> Scope {
        let mut scope = Scope::default();
        reserved.iter().for_each(|name| scope.take(name));
        scope
    }

    /// A scope of bindings in a generated function, where `own` are the names the function
    /// declares itself: a binding may not be a prelude name either (`let None = ...` would be a
    /// pattern, not a binding).
    pub fn locals(own: &[&str]) -> Scope {
        let mut scope = Scope::new(PRELUDE);
        own.iter().for_each(|name| scope.take(name));
        scope
    }

    /// A scope whose names are also file names: compared without case, and without the names
    /// Windows refuses.
    pub fn files(reserved: &[&str]) -> Scope {
        let mut scope = Scope {
            fold_case: true,
            ..Scope::default()
        };
        reserved
            .iter()
            .chain(WINDOWS_RESERVED)
            .for_each(|name| scope.take(name));
        scope
    }

    fn key(&self, ident: &str) -> String {
        let ident = ident.strip_prefix("r#").unwrap_or(ident);
        if self.fold_case {
            ident.to_ascii_lowercase()
        } else {
            ident.to_string()
        }
    }

    /// Whether `ident` (raw or not: `r#type` and `type` are one name) is free.
    pub fn is_free(&self, ident: &str) -> bool {
        !self.taken.contains(&self.key(ident))
    }

    /// Marks `ident` taken: a name the generated code declares in this scope.
    pub fn take(&mut self, ident: &str) {
        let key = self.key(ident);
        self.taken.insert(key);
    }

    /// A name for something the emitter derives: `base` when it is free, or the first free of
    /// `base_2`, `base_3`, ...; taken from then on.
    pub fn fresh(&mut self, base: &str) -> String {
        let base = sanitize(base);
        let first = if NOT_RAW.contains(&base.as_str()) {
            format!("{base}_")
        } else {
            base
        };
        let mut candidate = raw_if_keyword(&first);
        let separator = if first.ends_with('_') { "" } else { "_" };
        let mut n = 2;
        while !self.is_free(&candidate) {
            candidate = format!("{first}{separator}{n}");
            n += 1;
        }
        self.take(&candidate);
        candidate
    }

    /// Rust names for the user's `names` in this scope, in their order. Every name that is an
    /// identifier as written (a keyword raw) and free keeps its spelling, before any other is
    /// renamed to the first free of `name_`, `name_2`, ...; a name given twice gets two names.
    pub fn assign<S: AsRef<str>>(&mut self, names: &[S]) -> Vec<String> {
        let mut assigned: Vec<Option<String>> = vec![None; names.len()];
        for (slot, name) in assigned.iter_mut().zip(names) {
            if let Some(ident) = as_written(name.as_ref()) {
                if self.is_free(&ident) {
                    self.take(&ident);
                    *slot = Some(ident);
                }
            }
        }
        assigned
            .into_iter()
            .zip(names)
            .map(|(slot, name)| {
                slot.unwrap_or_else(|| self.fresh(&format!("{}_", sanitize(name.as_ref()))))
            })
            .collect()
    }
}

/// Pairs each name with the identifier [`Scope::assign`] gave it (in the same order).
pub fn by_name<S: AsRef<str>>(names: &[S], idents: &[String]) -> HashMap<String, String> {
    names
        .iter()
        .map(|n| n.as_ref().to_string())
        .zip(idents.iter().cloned())
        .collect()
}

/// `name` as a Rust identifier with the same spelling, if there is one: itself, or raw when it is
/// a keyword.
fn as_written(name: &str) -> Option<String> {
    if NOT_RAW.contains(&name) || sanitize(name) != name {
        None
    } else {
        Some(raw_if_keyword(name))
    }
}

fn raw_if_keyword(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// An identifier made of `name`'s letters: the language's names already are (ASCII letters,
/// digits and `_`, not starting with a digit), so this only guards against a name that is not.
fn sanitize(name: &str) -> String {
    let mut ident: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !ident.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        ident.insert(0, '_');
    }
    ident
}

/// The name an identifier stands for, without `r#`: what serde reads and writes for a field or
/// variant that has no `rename`.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Whether rustc's `non_snake_case` lint accepts `ident` as the name of a module, function or
/// binding: no capital letter and no `__` inside; the user's names need not be, so generated code
/// allows the lint where one is not.
pub fn is_snake_case(ident: &str) -> bool {
    let inner = unraw(ident).trim_matches('_');
    !inner.chars().any(|c| c.is_uppercase()) && !inner.contains("__")
}

/// Whether rustc's `non_camel_case_types` lint accepts `ident` as the name of a type or variant:
/// not starting with a small letter, no `__`, no `_` beside a letter (leading and trailing `_`
/// aside).
pub fn is_camel_case(ident: &str) -> bool {
    let inner: Vec<char> = unraw(ident).trim_matches('_').chars().collect();
    let cased = |c: char| c.is_lowercase() || c.is_uppercase();
    !inner.first().is_some_and(|c| c.is_lowercase())
        && !inner
            .windows(2)
            .any(|w| (w[0] == '_' && (w[1] == '_' || cased(w[1]))) || (cased(w[0]) && w[1] == '_'))
}

/// `SpindleReading` -> `SPINDLE_READING`, for constants.
pub fn screaming_snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()) && chars[i - 1] != '_');
        if boundary && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A sample's parts beside its value, each a field of the source record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleField {
    Quality,
    Timestamp,
}

impl SampleField {
    fn suffix(self) -> &'static str {
        match self {
            SampleField::Quality => "quality",
            SampleField::Timestamp => "timestamp",
        }
    }
}

/// The Rust names of one program's names that more than one generated file uses.
#[derive(Debug, Clone)]
pub struct Names {
    /// Schema types (identifier types, enums, entities) in `crate::types`.
    types: HashMap<String, String>,
    /// The `IdRule` type of each identifier type.
    rules: HashMap<String, String>,
    /// Per entity, its column list for SQLite targets, without and with provenance.
    columns: HashMap<(String, bool), String>,
    /// Per (entity, field) with a time format, the function that reads it; per (entity, field)
    /// of a sample with a timestamp format, the one that reads its timestamp.
    time_readers: HashMap<(String, String, Option<SampleField>), String>,
    /// Struct fields, the same for a name in every entity.
    fields: HashMap<String, String>,
    samples: HashMap<(String, SampleField), String>,
    /// Per (enum, code), its variant.
    variants: HashMap<(String, String), String>,
    /// Flows: each one's module in `crate::flows` and its function there.
    flows: HashMap<String, String>,
    /// The mapping's functions in `crate::functions`.
    functions: HashMap<String, String>,
    /// Lookups, as fields of `crate::flows::Lookups`.
    lookups: HashMap<String, String>,
    bin: String,
    /// The schema types generated code has named so far through [`Names::type_path`]: `types.rs`
    /// is written last and holds only these and what their fields need, so the program has no
    /// type it never uses (rustc would warn of each one).
    named_types: RefCell<BTreeSet<String>>,
}

impl Names {
    pub fn new(program: &ir::Program) -> Names {
        let schema = &program.schema;
        let mut names = Names {
            types: HashMap::new(),
            rules: HashMap::new(),
            columns: HashMap::new(),
            time_readers: HashMap::new(),
            fields: HashMap::new(),
            samples: HashMap::new(),
            variants: HashMap::new(),
            flows: HashMap::new(),
            functions: HashMap::new(),
            lookups: HashMap::new(),
            bin: bin_name(&program.name),
            named_types: RefCell::default(),
        };
        names.schema_types(program);
        names.fields_and_samples(schema);
        for e in schema.enums.values() {
            let variants = Scope::default().assign(&e.codes);
            for (code, variant) in e.codes.iter().zip(variants) {
                names
                    .variants
                    .insert((e.name.clone(), code.clone()), variant);
            }
        }
        // Flows are modules, whose files must differ in more than case, and functions in them,
        // which must not shadow the prelude their bodies use; `mod.rs` is the folder's own file.
        let flows: Vec<&String> = program.flows.iter().map(|f| &f.name).collect();
        let mut flow_scope = Scope::files(&["Lookups", "mod"]);
        PRELUDE.iter().for_each(|p| flow_scope.take(p));
        names.flows = by_name(&flows, &flow_scope.assign(&flows));
        let functions: Vec<&String> = program.functions.iter().map(|f| &f.name).collect();
        names.functions = by_name(&functions, &Scope::new(PRELUDE).assign(&functions));
        let lookups: Vec<&String> = program.lookups.iter().map(|l| &l.name).collect();
        names.lookups = by_name(&lookups, &Scope::default().assign(&lookups));
        names
    }

    /// The module `crate::types`: the schema's types first, then what is derived from them.
    fn schema_types(&mut self, program: &ir::Program) {
        let schema = &program.schema;
        let mut scope = Scope::new(PRELUDE);
        // The built-in enum of quality is the runtime's, brought in by `pub use`.
        let builtin_quality = schema
            .enums
            .keys()
            .find(|name| schema.is_builtin_quality(name));
        if let Some(quality) = builtin_quality {
            scope.take(quality);
            self.types.insert(quality.clone(), quality.clone());
        }
        let declared: Vec<&String> = schema
            .identifiers
            .keys()
            .chain(schema.enums.keys())
            .chain(schema.entities.keys())
            .filter(|name| Some(*name) != builtin_quality)
            .collect();
        self.types
            .extend(by_name(&declared, &scope.assign(&declared)));
        for id in schema.identifiers.keys() {
            let rule = scope.fresh(&format!("{}Rule", unraw(&self.types[id])));
            self.rules.insert(id.clone(), rule);
        }
        for target in &program.targets {
            if target.kind.is_table() {
                let key = (target.entity.clone(), target.provenance);
                if !self.columns.contains_key(&key) {
                    let snake = screaming_snake(unraw(&self.types[&target.entity]));
                    let suffix = if target.provenance {
                        "TRACED_COLUMNS"
                    } else {
                        "COLUMNS"
                    };
                    let name = scope.fresh(&format!("{snake}_{suffix}"));
                    self.columns.insert(key, name);
                }
            }
        }
        for entity in schema.entities.values() {
            for field in &entity.fields {
                let readers = [
                    (field.time_format.is_some(), None, ""),
                    (
                        field
                            .quality
                            .as_ref()
                            .is_some_and(|q| q.timestamp_format.is_some()),
                        Some(SampleField::Timestamp),
                        "_timestamp",
                    ),
                ];
                for (reads, part, suffix) in readers {
                    if reads {
                        let name =
                            scope.fresh(&format!("read_{}_{}{suffix}", entity.name, field.name));
                        self.time_readers
                            .insert((entity.name.clone(), field.name.clone(), part), name);
                    }
                }
            }
        }
    }

    /// Fields are named alike in every entity, so that expression code needs no entity to name
    /// one; a sample's quality and timestamp fields come after every field.
    fn fields_and_samples(&mut self, schema: &SchemaSet) {
        let mut fields: Vec<&String> = schema
            .entities
            .values()
            .flat_map(|e| e.fields.iter().map(|f| &f.name))
            .collect();
        fields.sort();
        fields.dedup();
        let mut scope = Scope::default();
        self.fields = by_name(&fields, &scope.assign(&fields));
        let mut samples: Vec<&String> = schema
            .entities
            .values()
            .flat_map(|e| &e.fields)
            .filter(|f| f.quality.is_some())
            .map(|f| &f.name)
            .collect();
        samples.sort();
        samples.dedup();
        for field in samples {
            for part in [SampleField::Quality, SampleField::Timestamp] {
                let base = format!("{}__{}", unraw(&self.fields[field]), part.suffix());
                let name = scope.fresh(&base);
                self.samples.insert((field.clone(), part), name);
            }
        }
    }

    /// A schema type's name in `crate::types`.
    pub fn ty(&self, name: &str) -> &str {
        lookup(&self.types, name, "schema type")
    }

    /// The path of a schema type: `crate::types::Name`.
    pub fn type_path(&self, name: &str) -> String {
        self.named_types.borrow_mut().insert(name.to_string());
        format!("crate::types::{}", self.ty(name))
    }

    /// The schema types (by their names in the schema) that code written so far has named.
    pub fn named_types(&self) -> BTreeSet<String> {
        self.named_types.borrow().clone()
    }

    /// The type of an identifier type's rules, beside it in `crate::types`.
    pub fn rule(&self, id_type: &str) -> &str {
        lookup(&self.rules, id_type, "identifier type")
    }

    /// The column list of `entity` for SQLite targets, `traced` with the provenance columns.
    pub fn columns(&self, entity: &str, traced: bool) -> &str {
        self.columns
            .get(&(entity.to_string(), traced))
            .unwrap_or_else(|| missing("column list", entity))
    }

    /// The function in `crate::types` that reads a field with a time format (`sample: None`), or
    /// the timestamp of a sample with one (`Some(SampleField::Timestamp)`).
    pub fn time_reader(&self, entity: &str, field: &str, sample: Option<SampleField>) -> &str {
        self.time_readers
            .get(&(entity.to_string(), field.to_string(), sample))
            .unwrap_or_else(|| missing("time reader", &format!("{entity}.{field}")))
    }

    /// A field of a schema entity, as a struct field.
    pub fn field_ident(&self, field: &str) -> &str {
        lookup(&self.fields, field, "field")
    }

    /// The struct field holding a sample's quality or source timestamp: `speed__quality`.
    pub fn sample_ident(&self, field: &str, part: SampleField) -> &str {
        self.samples
            .get(&(field.to_string(), part))
            .unwrap_or_else(|| missing("sample field", field))
    }

    /// An enum code's variant.
    pub fn variant(&self, enum_name: &str, code: &str) -> &str {
        self.variants
            .get(&(enum_name.to_string(), code.to_string()))
            .unwrap_or_else(|| missing("enum code", &format!("{enum_name}.{code}")))
    }

    /// Whether `ident` is the Rust name of some enum code's variant. A binding of that name is
    /// refused by rustc (`bindings_with_variant_name`) when its value is of that enum.
    pub fn is_variant(&self, ident: &str) -> bool {
        self.variants.values().any(|v| v == ident)
    }

    /// The path of an enum code: `crate::types::Enum::CODE`.
    pub fn variant_path(&self, enum_name: &str, code: &str) -> String {
        format!(
            "{}::{}",
            self.type_path(enum_name),
            self.variant(enum_name, code)
        )
    }

    /// A flow's module in `crate::flows`, and its map function there.
    pub fn flow(&self, flow: &str) -> &str {
        lookup(&self.flows, flow, "flow")
    }

    /// The file of a flow's module in the generated crate: `src/flows/<module>.rs`.
    pub fn flow_file(&self, flow: &str) -> String {
        format!("src/flows/{}.rs", unraw(self.flow(flow)))
    }

    /// A mapping function in `crate::functions`.
    pub fn function(&self, function: &str) -> &str {
        lookup(&self.functions, function, "function")
    }

    /// A lookup, as a field of `crate::flows::Lookups`.
    pub fn lookup(&self, lookup_name: &str) -> &str {
        lookup(&self.lookups, lookup_name, "lookup")
    }

    /// The name of the program's binary target (and so of its executable).
    pub fn bin(&self) -> &str {
        &self.bin
    }
}

/// The binary's name: the mapping's, unless cargo or Windows refuses it (compared without case,
/// since on Windows and macOS `Build` is the target directory's `build` folder). A file name,
/// not an identifier: a keyword is no reason to change it.
fn bin_name(mapping: &str) -> String {
    let lower = mapping.to_ascii_lowercase();
    if CARGO_RESERVED.contains(&lower.as_str()) || WINDOWS_RESERVED.contains(&lower.as_str()) {
        format!("{mapping}_")
    } else {
        mapping.to_string()
    }
}

fn lookup<'a>(table: &'a HashMap<String, String>, name: &str, what: &str) -> &'a str {
    table
        .get(name)
        .map(String::as_str)
        .unwrap_or_else(|| missing(what, name))
}

/// A checked program declares every name it uses; a name without a Rust name is a bug of emit.
fn missing(what: &str, name: &str) -> ! {
    panic!("emit has no Rust name for {what} `{name}`: the checked program does not declare it")
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
