//! Browse paths of OPC UA monitored items: the relative path text of Part 4, A.2, followed from
//! the Objects folder. `/` follows a hierarchical reference (or a subtype), `.` an aggregate (a
//! component or property); each is followed by a browse name, `nsIndex:Name` (no index:
//! namespace 0), in which `&` escapes the reserved characters `/ . < > : # ! &`. The `<...>`
//! form that names a reference type is not taken: what the runtime follows is `/` and `.`.

use std::fmt;
use std::ops::Range;

/// The reference an element of a path follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `/`: HierarchicalReferences and its subtypes.
    Hierarchical,
    /// `.`: Aggregates (HasComponent, HasProperty, ...).
    Aggregate,
}

/// One element: the reference followed and the target's browse name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub step: Step,
    pub namespace: u16,
    /// Whether the name was written with its namespace index (`2:Machine`); without one it is
    /// namespace 0's name, unless a NodeSet has it only in another namespace (`typing.rs`).
    pub indexed: bool,
    /// The browse name's text, unescaped.
    pub name: String,
    /// Where the element is in the path text, its `/` or `.` included.
    pub range: Range<usize>,
}

/// Why a text is not a browse path: the byte range of the wrong part, a label, the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsePathError {
    pub range: Range<usize>,
    pub label: String,
    pub explanation: String,
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Hierarchical => '/',
            Step::Aggregate => '.',
        };
        write!(f, "{step}{}:{}", self.namespace, escape(&self.name))
    }
}

/// `name` with the reserved characters escaped, as a path writes it.
pub fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if RESERVED.contains(&c) {
            out.push('&');
        }
        out.push(c);
    }
    out
}

const RESERVED: &[char] = &['/', '.', '<', '>', ':', '#', '!', '&'];

fn error(range: Range<usize>, label: &str, explanation: &str) -> BrowsePathError {
    BrowsePathError {
        range,
        label: label.to_string(),
        explanation: explanation.to_string(),
    }
}

/// Parses a browse path into its elements.
pub fn parse(text: &str) -> Result<Vec<Element>, BrowsePathError> {
    if text.is_empty() {
        return Err(error(
            0..0,
            "empty",
            "a browse path names the node from the Objects folder: `/2:Machine/2:Spindle.2:Speed`",
        ));
    }
    let mut elements = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let step = match c {
            '/' => Step::Hierarchical,
            '.' => Step::Aggregate,
            '<' => {
                let end = text[start..].find('>').map_or(text.len(), |e| start + e + 1);
                return Err(error(
                    start..end,
                    "a reference type by name",
                    "fdi follows `/` (a hierarchical reference) and `.` (a component or property) only; write the step with one of them",
                ));
            }
            _ => {
                return Err(error(
                    start..start + c.len_utf8(),
                    "not `/` or `.`",
                    "each element starts with `/` (a hierarchical reference) or `.` (a component or property), then its browse name: `/2:Machine`",
                ))
            }
        };
        // The browse name, up to the next unescaped `/`, `.` or `<`.
        let mut name = String::new();
        let mut colon: Option<(usize, usize)> = None; // (byte offset, name length at it)
        let mut end = start + 1;
        while let Some(&(at, c)) = chars.peek() {
            match c {
                '/' | '.' | '<' => break,
                '&' => {
                    chars.next();
                    let Some((escaped_at, escaped)) = chars.next() else {
                        return Err(error(
                            at..at + 1,
                            "`&` escapes nothing",
                            "`&` escapes the next character (`&/`, `&.`, `&&`); a name ends here",
                        ));
                    };
                    name.push(escaped);
                    end = escaped_at + escaped.len_utf8();
                }
                ':' if colon.is_none() => {
                    chars.next();
                    colon = Some((at, name.len()));
                    name.push(':');
                    end = at + 1;
                }
                '>' | '#' | '!' | ':' => {
                    return Err(error(
                        at..at + 1,
                        "a reserved character",
                        "`> # ! :` are reserved in a browse name; escape it with `&` (`&:`)",
                    ))
                }
                _ => {
                    chars.next();
                    name.push(c);
                    end = at + c.len_utf8();
                }
            }
        }
        let indexed = colon.is_some();
        let (namespace, name) = match colon {
            None => (0, name),
            Some((at, split)) => {
                let index = &name[..split];
                let namespace = index
                    .parse::<u16>()
                    .ok()
                    .filter(|_| !index.is_empty() && index.chars().all(|c| c.is_ascii_digit()))
                    .ok_or_else(|| {
                        error(
                            start + 1..at,
                            "not a namespace index",
                            "a browse name is `nsIndex:Name`, the index a whole number from 0 to 65535 (`2:Machine`); a `:` in the name itself is written `&:`",
                        )
                    })?;
                (namespace, name[split + 1..].to_string())
            }
        };
        if name.is_empty() {
            return Err(error(
                start..end,
                "no browse name",
                "each `/` or `.` is followed by the browse name of the node it leads to: `/2:Machine`",
            ));
        }
        elements.push(Element {
            step,
            namespace,
            indexed,
            name,
            range: start..end,
        });
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_of_part_4_parses() {
        let elements = parse("/2:Machine/2:Spindle.2:Speed").unwrap();
        let shown: Vec<String> = elements.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["/2:Machine", "/2:Spindle", ".2:Speed"]);
        assert_eq!(elements[2].range, 20..28);
        let escaped = parse("/Server.3:a&.b&:c").unwrap();
        assert_eq!(
            (escaped[1].namespace, escaped[1].name.as_str()),
            (3, "a.b:c")
        );
        assert_eq!(escaped[0].namespace, 0);
    }

    #[test]
    fn mistakes_are_placed() {
        assert_eq!(parse("2:Machine").unwrap_err().range, 0..1);
        assert_eq!(parse("/x:Machine").unwrap_err().range, 1..2);
        assert_eq!(parse("/2:Machine/").unwrap_err().label, "no browse name");
        assert_eq!(
            parse("/2:Machine<HasComponent>2:X").unwrap_err().range,
            10..24
        );
        assert_eq!(parse("/2:Machine&").unwrap_err().range, 10..11);
        assert_eq!(parse("/2:A#b").unwrap_err().range, 4..5);
        assert_eq!(parse("/70000:A").unwrap_err().range, 1..6);
    }
}
