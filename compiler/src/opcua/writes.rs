//! The text of one `writes` entry of an OPC UA target: `field = node id`, the node id with
//! `{field}` placeholders taken from the record. Pure text: the fields are checked against the
//! entity in `declare.rs`.

use std::ops::Range;

/// An entry that parsed: the field and the node id, each with its byte range in the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub field: String,
    pub field_range: Range<usize>,
    pub node: String,
    pub node_range: Range<usize>,
}

/// Why an entry is not `field = node id`: where, a label, the rule, and the entry repaired when
/// the repair is certain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub range: Range<usize>,
    pub label: &'static str,
    pub explanation: String,
    pub fixed: Option<String>,
}

const SHAPE: &str =
    "each entry is `field = node id`: the record's field, then the node it is written to (`upper = ns=2;s=Station1.UpperLimit`)";

/// Parses `field = node id`.
pub fn parse(text: &str) -> Result<Entry, EntryError> {
    let error = |range: Range<usize>, label: &'static str, explanation: String| EntryError {
        range,
        label,
        explanation,
        fixed: None,
    };
    let start = text.len() - text.trim_start().len();
    let name_len = text[start..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len() - start);
    let field_range = start..start + name_len;
    let after_name = &text[field_range.end..];
    let gap = after_name.len() - after_name.trim_start().len();
    let separator_at = field_range.end + gap;
    let rest = &text[separator_at..];
    // A node id alone (`ns=2;s=Speed`): its `ns` or `s` is no field.
    if name_len > 0 && rest.starts_with('=') && super::node_id::parse(text.trim()).is_ok() {
        let node_after = rest[1..].trim();
        if super::node_id::parse(node_after).is_err() {
            return Err(error(
                start..text.len(),
                "a node id without its field",
                format!("{SHAPE}; this entry names the node only"),
            ));
        }
    }
    if name_len == 0 || text[start..].starts_with(|c: char| c.is_ascii_digit()) {
        return Err(error(
            start..(start + 1).min(text.len()).max(start),
            "not a field's name",
            SHAPE.to_string(),
        ));
    }
    let separator_len = if rest.starts_with('=') {
        1
    } else {
        // `upper: ns=2;...` or `upper -> ns=2;...`: the wrong separator.
        let wrong = [":", "->", "=>"].into_iter().find(|s| rest.starts_with(s));
        let Some(wrong) = wrong else {
            return Err(error(
                separator_at..(separator_at + 1).min(text.len()),
                "no `=` after the field",
                SHAPE.to_string(),
            ));
        };
        let node = rest[wrong.len()..].trim();
        let fixed = format!("{} = {node}", &text[field_range.clone()]);
        return Err(EntryError {
            fixed: parse(&fixed).is_ok().then_some(fixed),
            ..error(
                separator_at..separator_at + wrong.len(),
                "not `=`",
                "the field and its node id are joined by `=`".to_string(),
            )
        });
    };
    let node_part = &rest[separator_len..];
    let node_start =
        separator_at + separator_len + (node_part.len() - node_part.trim_start().len());
    let node_end = separator_at + separator_len + node_part.trim_end().len();
    if node_start >= node_end {
        return Err(error(
            separator_at..text.len(),
            "no node id after `=`",
            SHAPE.to_string(),
        ));
    }
    Ok(Entry {
        field: text[field_range.clone()].to_string(),
        field_range,
        node: text[node_start..node_end].to_string(),
        node_range: node_start..node_end,
    })
}

/// A `{field}` of a node id, by name, with the byte range of the braces and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub name: String,
    pub range: Range<usize>,
}

/// The placeholders of a node id, or where its braces are wrong: an unclosed `{`, a stray `}`,
/// an empty `{}` or a `{` inside one.
pub fn placeholders(node: &str) -> Result<Vec<Placeholder>, (Range<usize>, &'static str)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = node[at..].find(['{', '}']) {
        let open = at + offset;
        if node.as_bytes()[open] == b'}' {
            return Err((open..open + 1, "a `}` without its `{`"));
        }
        let Some(length) = node[open + 1..].find('}') else {
            return Err((open..node.len(), "a `{` without its `}`"));
        };
        let name = &node[open + 1..open + 1 + length];
        if name.is_empty() || name.contains('{') {
            return Err((open..open + length + 2, "not `{field}`"));
        }
        found.push(Placeholder {
            name: name.trim().to_string(),
            range: open..open + length + 2,
        });
        at = open + length + 2;
    }
    Ok(found)
}

/// The node id with every placeholder filled with `1`, a value every part of a node id takes
/// (a namespace index, a number, a string): what is left to check is the node id around them.
pub fn filled(node: &str, placeholders: &[Placeholder]) -> String {
    let mut out = node.to_string();
    for placeholder in placeholders.iter().rev() {
        out.replace_range(placeholder.range.clone(), "1");
    }
    out
}

/// [`filled`], except that a GUID or base64 identifier with a placeholder in it becomes a valid
/// one: a field may hold the whole GUID, so only the namespace around it can be checked.
pub fn filled_for_check(node: &str, placeholders: &[Placeholder]) -> String {
    let identifier_at = if node.starts_with("ns=") || node.starts_with("nsu=") {
        node.find(';').map_or(node.len(), |at| at + 1)
    } else {
        0
    };
    let identifier = &node[identifier_at..];
    let sample = if identifier.starts_with("g=") {
        "g=00000000-0000-0000-0000-000000000000"
    } else if identifier.starts_with("b=") {
        "b=AA=="
    } else {
        return filled(node, placeholders);
    };
    if !placeholders.iter().any(|p| p.range.start >= identifier_at) {
        return filled(node, placeholders);
    }
    let namespace: Vec<Placeholder> = placeholders
        .iter()
        .filter(|p| p.range.end <= identifier_at)
        .cloned()
        .collect();
    format!("{}{sample}", filled(&node[..identifier_at], &namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_a_field_and_a_node_id() {
        let entry = parse("upper = ns=2;s=Station{station}.UpperLimit").unwrap();
        assert_eq!((entry.field.as_str(), entry.field_range), ("upper", 0..5));
        assert_eq!(entry.node, "ns=2;s=Station{station}.UpperLimit");
        assert_eq!(entry.node_range, 8..42);
        assert_eq!(parse("upper=i=5").unwrap().node, "i=5");
        let holes = placeholders(&entry.node).unwrap();
        assert_eq!(
            (holes[0].name.as_str(), holes[0].range.clone()),
            ("station", 14..23)
        );
        assert_eq!(filled(&entry.node, &holes), "ns=2;s=Station1.UpperLimit");
        let guid = "ns={ns};g={guid}";
        let holes = placeholders(guid).unwrap();
        assert_eq!(
            filled_for_check(guid, &holes),
            "ns=1;g=00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn mistakes_are_placed_and_repaired_when_certain() {
        let colon = parse("upper: ns=2;s=Limit").unwrap_err();
        assert_eq!(
            (colon.range, colon.fixed.as_deref()),
            (5..6, Some("upper = ns=2;s=Limit"))
        );
        assert_eq!(
            parse("ns=2;s=Limit").unwrap_err().label,
            "a node id without its field"
        );
        assert_eq!(parse("upper").unwrap_err().label, "no `=` after the field");
        assert_eq!(parse("upper = ").unwrap_err().label, "no node id after `=`");
        assert_eq!(parse("= i=5").unwrap_err().label, "not a field's name");
        assert_eq!(placeholders("s=a{b").unwrap_err().0, 3..5);
        assert_eq!(placeholders("s=a}").unwrap_err().0, 3..4);
        assert_eq!(placeholders("s=a{}").unwrap_err().0, 3..5);
    }
}
