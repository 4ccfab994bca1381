//! Rust names for the mapping's names: what a user may call a field or binding is wider than
//! what Rust accepts as an identifier.

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A struct field or enum variant name: raw when it is a keyword.
pub fn field_ident(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// A local variable in generated code. `reserved` are names the generated code itself uses
/// in that function; a user name equal to one gets a `_` appended.
pub fn local_ident(name: &str, reserved: &[&str]) -> String {
    if reserved.contains(&name) {
        format!("{name}_")
    } else {
        field_ident(name)
    }
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

/// The struct field holding a sample's quality or source timestamp: `speed__quality`.
pub fn sample_ident(field: &str, part: &str) -> String {
    field_ident(&format!("{field}__{part}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_valid_rust() {
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(local_ident("record", &["record"]), "record_");
        assert_eq!(screaming_snake("SpindleReading"), "SPINDLE_READING");
        assert_eq!(screaming_snake("QIFResult"), "QIF_RESULT");
    }
}
