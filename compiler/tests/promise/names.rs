//! Names the generator draws from: Rust keywords of every edition, the generated program's own
//! items and locals, std and prelude names, cargo's reserved binary names, and pairs that
//! collide once escaped or case-folded. None is a reserved word of the mapping language.

use super::rng::Rng;

/// Names for values: fields, bindings, flows, targets, functions, parameters.
pub const VALUE_NAMES: &[&str] = &[
    "type",
    "loop",
    "self",
    "crate",
    "super",
    "record",
    "record_",
    "raw",
    "raw_",
    "lookups",
    "run",
    "None",
    "Some",
    "Ok",
    "Err",
    "Result",
    "Option",
    "String",
    "Vec",
    "Box",
    "PROGRAM",
    "main",
    "std",
    "core",
    "alloc",
    "fdi_runtime",
    "flows",
    "types",
    "functions",
    "manifest",
    "s",
    "t",
    "out_s",
    "out_t",
    "out",
    "value",
    "key",
    "position",
    "async",
    "await",
    "dyn",
    "fn",
    "impl",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "static",
    "struct",
    "trait",
    "unsafe",
    "use",
    "while",
    "yield",
    "try",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "gen",
    "union",
    "for",
    "if",
    "in",
    "return",
    "const",
    "enum",
    "extern",
    "break",
    "continue",
    "as",
    "mapping",
    "flow",
    "target",
    "lookup",
    "schema",
    "version",
    "build",
    "deps",
    "examples",
    "incremental",
    "outcome",
    "input",
    "row",
    "r",
    "x",
    "e",
    "f",
    "v",
    "_x",
    "__",
    "A",
    "a",
    "Lot",
    "LotRule",
    "FooBar",
    "Foo_Bar",
    "speed",
    "speed__quality",
    "i64",
    "f64",
    "str",
    "u8",
    "Self",
    "Reject",
    "MapOutcome",
    "Failure",
    "Quality",
    "Timestamp",
    "serde",
    "test",
];

/// Names for schema types (entities, identifier types, enums).
pub const TYPE_NAMES: &[&str] = &[
    "Result",
    "Option",
    "String",
    "Vec",
    "Box",
    "Self",
    "Record",
    "Row",
    "Flow",
    "Target",
    "Lookups",
    "Run",
    "Reject",
    "MapOutcome",
    "Failure",
    "Traced",
    "Timestamp",
    "Value",
    "Foo",
    "Foo_Traced",
    "FooBar",
    "Foo_Bar",
    "Lot",
    "LotRule",
    "Ok",
    "None",
    "Some",
    "Err",
    "Sample",
    "Source",
    "Decode",
    "Columns",
    "type",
    "self",
    "crate",
    "str",
    "i64",
    "main",
    "Cow",
    "Serialize",
    "Deserialize",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "Send",
    "Iterator",
];

/// Names for the mapping itself (the generated program's package and binary).
pub const MAPPING_NAMES: &[&str] = &[
    "build",
    "deps",
    "examples",
    "incremental",
    "type",
    "self",
    "main",
    "test",
    "std",
    "core",
    "fdi_runtime",
    "Result",
    "promise",
    "loop",
    "crate",
    "async",
    "proc_macro",
    "alloc",
];

/// Enum codes, which are names too.
pub const CODE_NAMES: &[&str] = &[
    "None", "Some", "Ok", "Err", "GOOD", "BAD", "type", "self", "Self", "RED", "green", "A",
    "loop", "Default", "code", "CODE",
];

/// The pools one mapping draws from: the hostile ones above, or none (plain names such as
/// `flow3`), so that a failure of expressions shows apart from failures of names.
#[derive(Clone, Copy)]
pub struct Pools {
    pub values: &'static [&'static str],
    pub types: &'static [&'static str],
    pub mappings: &'static [&'static str],
    pub codes: &'static [&'static str],
}

impl Pools {
    pub fn new(hostile: bool) -> Self {
        if hostile {
            Pools {
                values: VALUE_NAMES,
                types: TYPE_NAMES,
                mappings: MAPPING_NAMES,
                codes: CODE_NAMES,
            }
        } else {
            Pools {
                values: &[],
                types: &[],
                mappings: &[],
                codes: &[],
            }
        }
    }
}

/// Draws distinct names; `taken` holds those already used in the namespace.
pub fn fresh(rng: &mut Rng, pool: &[&str], taken: &mut Vec<String>, fallback: &str) -> String {
    for _ in 0..if pool.is_empty() { 0 } else { 8 } {
        let name = rng.pick(pool).to_string();
        if !taken.contains(&name) {
            taken.push(name.clone());
            return name;
        }
    }
    let mut n = taken.len();
    loop {
        let name = format!("{fallback}{n}");
        if !taken.contains(&name) {
            taken.push(name.clone());
            return name;
        }
        n += 1;
    }
}
