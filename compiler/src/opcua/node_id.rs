//! OPC UA node ids in their standard text form (Part 6, 5.3.1.10): an optional namespace,
//! `ns=<index>;` or `nsu=<uri>;` (none: namespace 0), then the identifier, `i=` a number,
//! `s=` a string, `g=` a GUID or `b=` base64 bytes. A node id that does not parse is reported
//! on the part that is wrong, with the node id repaired where the repair is certain.

use std::fmt;
use std::ops::Range;

use base64::Engine as _;

/// The longest string identifier, in characters (Part 3, 8.2.4).
const MAX_STRING_IDENTIFIER: usize = 4096;

/// A node id that parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub namespace: Namespace,
    pub identifier: Identifier,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// `ns=<index>;`, or no namespace (index 0).
    Index(u16),
    /// `nsu=<uri>;`
    Uri(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identifier {
    Numeric(u32),
    String(String),
    /// A GUID in lower case, `8-4-4-4-12` hex digits.
    Guid(String),
    /// Base64 as written.
    Opaque(String),
}

/// Why a text is not a node id: the byte range of the wrong part, a short label for it, what
/// a node id must be there, and the whole node id repaired when one repair is certain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdError {
    pub range: Range<usize>,
    pub label: String,
    pub explanation: String,
    pub fixed: Option<String>,
}

impl NodeIdError {
    fn new(range: Range<usize>, label: &str, explanation: impl Into<String>) -> Self {
        NodeIdError {
            range,
            label: label.to_string(),
            explanation: explanation.into(),
            fixed: None,
        }
    }

    /// The repair, kept only when it parses: a help never proposes another wrong node id.
    fn fixed(mut self, fixed: String) -> Self {
        if parse(&fixed).is_ok() {
            self.fixed = Some(fixed);
        }
        self
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Namespace::Index(0) => {}
            Namespace::Index(index) => write!(f, "ns={index};")?,
            Namespace::Uri(uri) => write!(f, "nsu={uri};")?,
        }
        match &self.identifier {
            Identifier::Numeric(n) => write!(f, "i={n}"),
            Identifier::String(s) => write!(f, "s={s}"),
            Identifier::Guid(g) => write!(f, "g={g}"),
            Identifier::Opaque(b) => write!(f, "b={b}"),
        }
    }
}

const IDENTIFIER_KINDS: &str =
    "an identifier is `i=` a number, `s=` a string, `g=` a GUID or `b=` base64 bytes";

/// Parses a node id in the standard text form.
pub fn parse(text: &str) -> Result<NodeId, NodeIdError> {
    if text.trim().is_empty() {
        return Err(NodeIdError::new(
            0..text.len(),
            "empty",
            "a node id such as `ns=2;s=Spindle.Speed` or `i=2258` names the node",
        ));
    }
    let leading = text.len() - text.trim_start().len();
    if leading > 0 {
        return Err(NodeIdError::new(
            0..leading,
            "space before the node id",
            "a node id starts with `ns=`, `nsu=` or its identifier",
        )
        .fixed(text.trim_start().to_string()));
    }
    let (namespace, at) = namespace(text)?;
    let identifier = identifier(text, at)?;
    Ok(NodeId {
        namespace,
        identifier,
    })
}

/// The namespace part and the offset of the identifier after it.
fn namespace(text: &str) -> Result<(Namespace, usize), NodeIdError> {
    let lower = text.to_ascii_lowercase();
    for prefix in ["nsu=", "ns="] {
        if lower.starts_with(prefix) && !text.starts_with(prefix) {
            return Err(NodeIdError::new(
                0..prefix.len(),
                "upper case",
                format!("the namespace is written `{prefix}` in lower case"),
            )
            .fixed(format!("{prefix}{}", &text[prefix.len()..])));
        }
    }
    if let Some(rest) = text.strip_prefix("nsu=") {
        let Some(end) = rest.find(';') else {
            return Err(NodeIdError::new(
                0..text.len(),
                "no `;` after the namespace URI",
                "`nsu=<uri>;` ends with `;` before the identifier (`nsu=urn:plant:line3;s=Spindle.Speed`)",
            ));
        };
        if end == 0 {
            return Err(NodeIdError::new(
                0..4 + 1,
                "no namespace URI",
                "`nsu=` names the namespace by its URI (`nsu=urn:plant:line3;`); leave it out for namespace 0",
            ));
        }
        return Ok((Namespace::Uri(rest[..end].to_string()), 4 + end + 1));
    }
    let Some(rest) = text.strip_prefix("ns=") else {
        return Ok((Namespace::Index(0), 0));
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after = &rest[digits..];
    if digits == 0 {
        return Err(NodeIdError::new(
            3..3 + after.find(';').unwrap_or(after.len()),
            "not a namespace index",
            "`ns=` takes the namespace's index on the server, a whole number from 0 to 65535",
        ));
    }
    let index_range = 3..3 + digits;
    let Ok(index) = rest[..digits].parse::<u16>() else {
        return Err(NodeIdError::new(
            index_range,
            "above 65535",
            "a namespace index is a whole number from 0 to 65535",
        ));
    };
    match after.chars().next() {
        Some(';') => Ok((Namespace::Index(index), 3 + digits + 1)),
        // `ns=2,s=x`, `ns=2:s=x`: the wrong separator.
        Some(sep @ (',' | ':' | '.' | '|')) => Err(NodeIdError::new(
            index_range.end..index_range.end + 1,
            "not `;`",
            format!("the namespace ends with `;`, not `{sep}`"),
        )
        .fixed(format!("ns={index};{}", &after[1..]))),
        // `ns=2s=x`: the separator left out.
        _ if is_identifier_start(after) => Err(NodeIdError::new(
            index_range.end..index_range.end,
            "no `;` here",
            "the namespace ends with `;` before the identifier",
        )
        .fixed(format!("ns={index};{after}"))),
        _ => Err(NodeIdError::new(
            index_range.start..text.len(),
            "no `;` after the namespace index",
            format!("`ns=<index>;` ends with `;` before the identifier; {IDENTIFIER_KINDS}"),
        )),
    }
}

fn is_identifier_start(text: &str) -> bool {
    ["i=", "s=", "g=", "b="].iter().any(|p| text.starts_with(p))
}

/// The identifier that starts at byte `at` of `text`.
fn identifier(text: &str, at: usize) -> Result<Identifier, NodeIdError> {
    let rest = &text[at..];
    let whole = at..text.len();
    if rest.is_empty() {
        return Err(NodeIdError::new(
            at..at,
            "no identifier",
            format!("{IDENTIFIER_KINDS} after the namespace"),
        ));
    }
    let value = &rest[rest.len().min(2)..];
    let value_range = (at + 2).min(text.len())..text.len();
    match rest.get(..2) {
        Some("i=") => value
            .parse::<u32>()
            .ok()
            .filter(|_| value.chars().all(|c| c.is_ascii_digit()))
            .map(Identifier::Numeric)
            .ok_or_else(|| {
                let error = NodeIdError::new(
                    value_range,
                    "not a number",
                    "`i=` takes a whole number from 0 to 4294967295",
                );
                // `i=Spindle` meant a string identifier (`i=12a` may be a mistyped number).
                if value.starts_with(|c: char| c.is_alphabetic()) {
                    error.fixed(format!("{}s={value}", &text[..at]))
                } else {
                    error
                }
            }),
        Some("s=") if value.is_empty() => Err(NodeIdError::new(
            whole,
            "empty string identifier",
            "`s=` takes the node's string identifier (`s=Spindle.Speed`)",
        )),
        Some("s=") if value.chars().count() > MAX_STRING_IDENTIFIER => Err(NodeIdError::new(
            value_range,
            "too long",
            "a string identifier has at most 4096 characters",
        )),
        Some("s=") => Ok(Identifier::String(value.to_string())),
        Some("g=") => guid(value).map(Identifier::Guid).ok_or_else(|| {
            let error = NodeIdError::new(
                value_range,
                "not a GUID",
                "`g=` takes a GUID of 32 hex digits in groups of 8-4-4-4-12 (`g=72962b91-fa75-4ae6-8d28-b404dc7daf63`)",
            );
            match value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                Some(bare) => error.fixed(format!("{}g={bare}", &text[..at])),
                None => error,
            }
        }),
        Some("b=") => {
            let decoded = base64::engine::general_purpose::STANDARD.decode(value);
            match decoded {
                Ok(bytes) if !bytes.is_empty() => Ok(Identifier::Opaque(value.to_string())),
                _ => Err(NodeIdError::new(
                    value_range,
                    "not base64",
                    "`b=` takes the node's opaque identifier as base64 (`b=M/RbKBsRVkePCePcx24oRA==`)",
                )),
            }
        }
        _ => Err(unknown_identifier(text, at)),
    }
}

/// An identifier without a known `x=` prefix: a prefix in upper case, or none at all.
fn unknown_identifier(text: &str, at: usize) -> NodeIdError {
    let rest = &text[at..];
    let end = rest.find('=').map_or(at, |eq| at + eq + 1);
    let namespace = &text[..at];
    if let Some(lower) = rest.get(..2).map(str::to_ascii_lowercase) {
        if is_identifier_start(&lower) {
            return NodeIdError::new(
                at..at + 2,
                "upper case",
                format!("{IDENTIFIER_KINDS}, in lower case"),
            )
            .fixed(format!("{namespace}{lower}{}", &rest[2..]));
        }
    }
    let error = NodeIdError::new(
        at..end.max(at + 1).min(text.len()),
        "no identifier type",
        IDENTIFIER_KINDS,
    );
    // `ns=2;Spindle.Speed`: a namespace and a name, so the name is a string identifier. (A text
    // with `=` or without a namespace is not repaired: it may be something else altogether.)
    if !namespace.is_empty() && !rest.contains('=') {
        error.fixed(format!("{namespace}s={rest}"))
    } else {
        error
    }
}

/// A GUID `8-4-4-4-12`, in lower case.
fn guid(text: &str) -> Option<String> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let hex = groups
        .iter()
        .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    (lengths == [8, 4, 4, 4, 12] && hex).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> Option<String> {
        parse(text).expect_err(text).fixed
    }

    #[test]
    fn the_forms_of_part_6_parse() {
        let cases = [
            ("i=2258", Namespace::Index(0), Identifier::Numeric(2258)),
            (
                "ns=2;s=Spindle.Speed",
                Namespace::Index(2),
                Identifier::String("Spindle.Speed".into()),
            ),
            (
                "ns=3;i=1001",
                Namespace::Index(3),
                Identifier::Numeric(1001),
            ),
            (
                "nsu=urn:plant:line3;s=a;b",
                Namespace::Uri("urn:plant:line3".into()),
                Identifier::String("a;b".into()),
            ),
            (
                "ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63",
                Namespace::Index(1),
                Identifier::Guid("72962b91-fa75-4ae6-8d28-b404dc7daf63".into()),
            ),
            (
                "ns=65535;b=M/RbKBsRVkePCePcx24oRA==",
                Namespace::Index(65535),
                Identifier::Opaque("M/RbKBsRVkePCePcx24oRA==".into()),
            ),
        ];
        for (text, namespace, identifier) in cases {
            assert_eq!(
                parse(text),
                Ok(NodeId {
                    namespace,
                    identifier
                }),
                "{text}"
            );
        }
        assert_eq!(parse("ns=0;i=85").unwrap().to_string(), "i=85");
    }

    #[test]
    fn each_mistake_is_placed_and_repaired_only_when_certain() {
        assert_eq!(parse("ns=70000;i=1").unwrap_err().range, 3..8);
        assert_eq!(parse("i=4294967296").unwrap_err().range, 2..12);
        assert_eq!(
            parse("ns=2;s=").unwrap_err().label,
            "empty string identifier"
        );
        assert_eq!(
            fixed("ns=2;Spindle.Speed").as_deref(),
            Some("ns=2;s=Spindle.Speed")
        );
        assert_eq!(fixed("ns=2,s=Speed").as_deref(), Some("ns=2;s=Speed"));
        assert_eq!(fixed("ns=2s=Speed").as_deref(), Some("ns=2;s=Speed"));
        assert_eq!(fixed("NS=2;s=Speed").as_deref(), Some("ns=2;s=Speed"));
        assert_eq!(fixed("ns=2;S=Speed").as_deref(), Some("ns=2;s=Speed"));
        assert_eq!(fixed("ns=2;i=Speed").as_deref(), Some("ns=2;s=Speed"));
        assert_eq!(fixed(" i=85").as_deref(), Some("i=85"));
        assert_eq!(
            fixed("g={72962b91-fa75-4ae6-8d28-b404dc7daf63}").as_deref(),
            Some("g=72962b91-fa75-4ae6-8d28-b404dc7daf63")
        );
        assert_eq!(
            fixed("Spindle.Speed"),
            None,
            "no namespace: maybe a browse path"
        );
        assert_eq!(fixed("ns=2;g=1234"), None);
        assert_eq!(fixed("b=***"), None);
        assert_eq!(parse("nsu=;i=1").unwrap_err().label, "no namespace URI");
    }
}
