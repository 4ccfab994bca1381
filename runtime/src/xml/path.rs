//! The XML path language of the `xml` connector: a small XPath 1.0 subset, parsed here (without a
//! document, so that the compiler checks paths with the same parser) and evaluated over a
//! `roxmltree` DOM in `eval.rs`.
//!
//! ```text
//! expression := "count(" path ")" | path
//! path       := ["/"] step (("/" | "//") step)*  |  "//" step (("/" | "//") step)*
//! step       := name predicate* | "*" predicate* | ".." | "." | "@" name
//!             | "ancestor::" (name | "*") predicate*
//!             | ("preceding-sibling::" | "following-sibling::") (name | "*") predicate*
//! name       := [prefix ":"] local-name          (matched by local name; the prefix is ignored)
//! predicate  := "[" path "]" | "[" path "=" literal "]"     (literal: '...' or "...")
//!             | "[" digits "]"                            (only after a sibling axis)
//! ```
//!
//! Names match elements by local name in any namespace: real documents mix prefixes and default
//! namespaces, and a reader that insisted on one would refuse documents their consumers accept.
//! `@name` may only end a path. `ancestor::` reaches an enclosing element at any depth
//! (`ancestor::ProductionRequest/ID` from a material requirement in segments nested to any depth,
//! which `..` steps cannot).
//!
//! `preceding-sibling::*[1]` is the element just before the context element, as in XPath: a
//! position counts along the axis, nearest first, among the nodes the name and the predicates
//! before it kept. QIF needs it: a measurement that repeats the one before it is known only by
//! comparing the two (`preceding-sibling::*[1]/CharacteristicItemId`). Positions are allowed
//! only after a sibling axis: elsewhere a path that selects several nodes reads the first, and
//! content predicates say which.

use std::fmt;

/// A parsed path or `count(path)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPath {
    pub(crate) expression: Expression,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expression {
    Nodes(Path),
    /// `count(path)`: how many nodes the path selects, as a whole number.
    CountOf(Path),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    /// Starts with `/`: from the document, not from the context element.
    pub(crate) absolute: bool,
    pub(crate) steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) axis: Axis,
    /// The local name an element or attribute must have; `None`: any (`*`, `..`, `.`).
    pub(crate) name: Option<String>,
    pub(crate) predicates: Vec<Predicate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    Child,
    /// After `//`: any element below.
    Descendant,
    Parent,
    /// `ancestor::`: any enclosing element.
    Ancestor,
    /// `preceding-sibling::`: the elements before the context element under the same parent.
    PrecedingSibling,
    /// `following-sibling::`: the elements after it under the same parent.
    FollowingSibling,
    SelfNode,
    Attribute,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Predicate {
    Test {
        path: Path,
        /// `[path='literal']`: some node the path selects has this text; `None`: the path
        /// selects something.
        equals: Option<String>,
    },
    /// `[N]` after a sibling axis: the N-th node along the axis (1: the nearest) of those the
    /// name and the predicates before it kept.
    Position(usize),
}

/// A path that does not parse: where (a byte range of the path's text) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub help: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.start)
    }
}

impl std::error::Error for PathError {}

impl XmlPath {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<XmlPath, PathError> {
        let mut parser = Parser { text, at: 0 };
        parser.skip_spaces();
        let expression = if parser.rest().starts_with("count(") {
            parser.at += "count(".len();
            parser.skip_spaces();
            let path = parser.path()?;
            parser.skip_spaces();
            parser.expect(')', "`count(` is closed by `)`")?;
            Expression::CountOf(path)
        } else {
            Expression::Nodes(parser.path()?)
        };
        parser.skip_spaces();
        if parser.at < text.len() {
            return Err(parser.error_here(
                format!("unexpected `{}` after the path", parser.rest()),
                "a path is steps separated by `/`; remove what follows it",
            ));
        }
        Ok(XmlPath {
            expression,
            text: text.to_string(),
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How many `..` steps the path starts with: what it selects from an element depends only on
    /// that ancestor, so a source evaluates it once per ancestor (`../ID` for each of 100,000
    /// siblings would otherwise scan the siblings 100,000 times).
    pub fn leading_parents(&self) -> usize {
        let (Expression::Nodes(path) | Expression::CountOf(path)) = &self.expression;
        if path.absolute {
            return 0;
        }
        path.steps
            .iter()
            .take_while(|s| s.axis == Axis::Parent)
            .count()
    }

    /// Whether it is `count(...)`, whose value is a whole number.
    pub fn is_count(&self) -> bool {
        matches!(self.expression, Expression::CountOf(_))
    }

    /// The steps of a path that a target can write: child elements by name, the last possibly an
    /// attribute (`Quantity/@unitOfMeasure`). `None` for a path that selects rather than names
    /// (`*`, `..`, `//`, predicates, `count()`, an absolute path).
    pub fn writable_steps(&self) -> Option<Vec<WritableStep>> {
        let Expression::Nodes(path) = &self.expression else {
            return None;
        };
        if path.absolute {
            return None;
        }
        let mut steps = Vec::with_capacity(path.steps.len());
        for step in &path.steps {
            let name = step.name.clone()?;
            if !step.predicates.is_empty() {
                return None;
            }
            steps.push(match step.axis {
                Axis::Child => WritableStep::Element(name),
                Axis::Attribute => WritableStep::Attribute(name),
                _ => return None,
            });
        }
        Some(steps)
    }
}

impl fmt::Display for XmlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One step of a path a target writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritableStep {
    Element(String),
    Attribute(String),
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn error_here(&self, message: impl Into<String>, help: impl Into<String>) -> PathError {
        let width = self.rest().chars().next().map_or(0, char::len_utf8);
        PathError {
            start: self.at,
            end: self.at + width,
            message: message.into(),
            help: help.into(),
        }
    }

    fn expect(&mut self, c: char, help: &str) -> Result<(), PathError> {
        if self.rest().starts_with(c) {
            self.at += c.len_utf8();
            Ok(())
        } else {
            let found = match self.rest().chars().next() {
                Some(other) => format!("`{other}`"),
                None => "the end of the path".to_string(),
            };
            Err(self.error_here(format!("expected `{c}`, found {found}"), help))
        }
    }

    /// A path, up to a character that cannot continue it (`]`, `)`, `=`, a space, the end).
    fn path(&mut self) -> Result<Path, PathError> {
        let mut absolute = false;
        let mut axis = Axis::Child;
        if self.rest().starts_with("//") {
            self.at += 2;
            axis = Axis::Descendant;
        } else if self.rest().starts_with('/') {
            self.at += 1;
            absolute = true;
        }
        let mut steps = Vec::new();
        loop {
            let step = self.step(axis)?;
            let attribute = step.axis == Axis::Attribute;
            steps.push(step);
            let rest = self.rest();
            if rest.starts_with("//") {
                self.at += 2;
                axis = Axis::Descendant;
            } else if rest.starts_with('/') {
                self.at += 1;
                axis = Axis::Child;
            } else {
                break;
            }
            if attribute {
                return Err(PathError {
                    start: self.at - 1,
                    end: self.at,
                    message: "an attribute has no children: `@name` must end the path".into(),
                    help: "move the attribute step to the end of the path".into(),
                });
            }
        }
        Ok(Path { absolute, steps })
    }

    fn step(&mut self, axis: Axis) -> Result<Step, PathError> {
        let rest = self.rest();
        let plain = |axis| Step {
            axis,
            name: None,
            predicates: Vec::new(),
        };
        if rest.starts_with("..") {
            if axis == Axis::Descendant {
                return Err(self.error_here("`//..` selects nothing new", "write `..`"));
            }
            self.at += 2;
            return Ok(plain(Axis::Parent));
        }
        if rest.starts_with('.') && !rest[1..].starts_with(|c: char| is_name_char(c)) {
            self.at += 1;
            return Ok(plain(if axis == Axis::Descendant {
                Axis::Descendant
            } else {
                Axis::SelfNode
            }));
        }
        if rest.starts_with('@') {
            self.at += 1;
            let name = self.name("an attribute's name after `@`")?;
            return Ok(Step {
                axis: Axis::Attribute,
                name: Some(name),
                predicates: Vec::new(),
            });
        }
        let mut axis = axis;
        for (written, named) in [
            ("ancestor::", Axis::Ancestor),
            ("preceding-sibling::", Axis::PrecedingSibling),
            ("following-sibling::", Axis::FollowingSibling),
        ] {
            if !self.rest().starts_with(written) {
                continue;
            }
            if axis == Axis::Descendant {
                return Err(self.error_here(
                    format!("`//{written}` mixes two axes"),
                    format!("write `/{written}Name` or `{written}Name`"),
                ));
            }
            self.at += written.len();
            axis = named;
            break;
        }
        let name = if self.rest().starts_with('*') {
            self.at += 1;
            None
        } else {
            Some(self.name("an element's name, `*`, `..`, `.` or `@attribute`")?)
        };
        let mut predicates = Vec::new();
        while self.rest().starts_with('[') {
            predicates.push(self.predicate(axis)?);
        }
        Ok(Step {
            axis,
            name,
            predicates,
        })
    }

    /// A name, its prefix (`b2mml:ID`) dropped: names match by local name.
    fn name(&mut self, wanted: &str) -> Result<String, PathError> {
        let start = self.at;
        let rest = &self.text[start..];
        let length = rest
            .char_indices()
            .find(|(_, c)| !(is_name_char(*c) || *c == ':'))
            .map_or(rest.len(), |(i, _)| i);
        let written = &self.text[start..start + length];
        let starts_well = written
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        if written.is_empty() || !starts_well {
            let found = match rest.chars().next() {
                Some(c) => format!("`{c}`"),
                None => "the end of the path".to_string(),
            };
            let help = if rest.is_empty() && start > 0 {
                "a path does not end with `/`; remove it or name a step after it".to_string()
            } else if rest.starts_with('/') {
                "steps are separated by one `/` (or `//` for any depth)".to_string()
            } else {
                format!("write {wanted}")
            };
            return Err(self.error_here(format!("expected {wanted}, found {found}"), help));
        }
        self.at += length;
        let local = match written.split_once(':') {
            Some((prefix, local))
                if !prefix.is_empty() && !local.is_empty() && !local.contains(':') =>
            {
                local
            }
            Some(_) => {
                return Err(PathError {
                    start,
                    end: self.at,
                    message: format!("`{written}` is not a name: at most one `prefix:` before it"),
                    help: "write the element's local name, with or without one prefix".into(),
                })
            }
            None => written,
        };
        Ok(local.to_string())
    }

    fn predicate(&mut self, axis: Axis) -> Result<Predicate, PathError> {
        self.at += 1; // `[`
        self.skip_spaces();
        if self.rest().starts_with(|c: char| c.is_ascii_digit()) {
            if !matches!(axis, Axis::PrecedingSibling | Axis::FollowingSibling) {
                return Err(self.error_here(
                    "positions (`[1]`) are only part of fdi's path language after a sibling axis",
                    "select by content instead, `[ID='A1']`, or read the first match: a path that selects several nodes reads the first",
                ));
            }
            return self.position();
        }
        let path = self.path()?;
        self.skip_spaces();
        let equals = if self.rest().starts_with('=') {
            self.at += 1;
            self.skip_spaces();
            Some(self.literal()?)
        } else {
            None
        };
        self.skip_spaces();
        self.expect(']', "a predicate is `[Path]` or `[Path='text']`")?;
        Ok(Predicate::Test { path, equals })
    }

    /// `N]` of a position predicate, counted from 1.
    fn position(&mut self) -> Result<Predicate, PathError> {
        let start = self.at;
        let digits = self.rest().len()
            - self
                .rest()
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        self.at += digits;
        let position = match self.text[start..self.at].parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(PathError {
                    start,
                    end: self.at,
                    message: format!("`{}` is not a position", &self.text[start..self.at]),
                    help: "positions count from 1: `[1]` is the nearest".into(),
                })
            }
        };
        self.skip_spaces();
        self.expect(']', "a position is `[N]`")?;
        Ok(Predicate::Position(position))
    }

    fn literal(&mut self) -> Result<String, PathError> {
        let Some(quote) = self
            .rest()
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
        else {
            return Err(self.error_here(
                "expected a quoted text after `=`",
                "quote the text: `[Status='FAIL']`",
            ));
        };
        let start = self.at;
        let body = &self.rest()[1..];
        let Some(end) = body.find(quote) else {
            return Err(PathError {
                start,
                end: self.text.len(),
                message: "the quoted text is not closed".into(),
                help: format!("close it with `{quote}`"),
            });
        };
        let literal = body[..end].to_string();
        self.at += 1 + end + 1;
        Ok(literal)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(text: &str) -> Vec<(Axis, Option<String>, usize)> {
        let path = XmlPath::parse(text).unwrap();
        let (Expression::Nodes(path) | Expression::CountOf(path)) = path.expression;
        path.steps
            .into_iter()
            .map(|s| (s.axis, s.name, s.predicates.len()))
            .collect()
    }

    #[test]
    fn paths_of_the_subset_parse() {
        assert_eq!(steps("ID"), [(Axis::Child, Some("ID".into()), 0)]);
        assert_eq!(
            steps("../b2mml:ID"),
            [(Axis::Parent, None, 0), (Axis::Child, Some("ID".into()), 0)]
        );
        assert_eq!(
            steps("Quantity/@unitOfMeasure"),
            [
                (Axis::Child, Some("Quantity".into()), 0),
                (Axis::Attribute, Some("unitOfMeasure".into()), 0)
            ]
        );
        assert_eq!(
            steps("count(CharacteristicMeasurements/*[Status/CharacteristicStatusEnum='FAIL'])"),
            [
                (Axis::Child, Some("CharacteristicMeasurements".into()), 0),
                (Axis::Child, None, 1)
            ]
        );
        assert_eq!(
            steps("//MaterialRequirement"),
            [(Axis::Descendant, Some("MaterialRequirement".into()), 0)]
        );
        assert_eq!(
            steps("ancestor::ProductionRequest/ID"),
            [
                (Axis::Ancestor, Some("ProductionRequest".into()), 0),
                (Axis::Child, Some("ID".into()), 0)
            ]
        );
        assert!(XmlPath::parse("count(a)").unwrap().is_count());
        let parents = |text: &str| XmlPath::parse(text).unwrap().leading_parents();
        assert_eq!(parents("../../ID"), 2);
        assert_eq!(parents("count(../Line)"), 1);
        assert_eq!(parents("ID/.."), 0);
        assert_eq!(parents("/a/.."), 0);
        assert_eq!(
            steps("preceding-sibling::*[1]/CharacteristicItemId"),
            [
                (Axis::PrecedingSibling, None, 1),
                (Axis::Child, Some("CharacteristicItemId".into()), 0)
            ]
        );
        assert_eq!(
            steps("following-sibling::Line[Status][2]"),
            [(Axis::FollowingSibling, Some("Line".into()), 2)]
        );
    }

    #[test]
    fn positions_only_after_a_sibling_axis_and_from_one() {
        let error = |text: &str| XmlPath::parse(text).unwrap_err();
        assert!(error("ancestor::a[1]")
            .message
            .contains("after a sibling axis"));
        assert!(error("preceding-sibling::*[0]")
            .message
            .contains("not a position"));
        assert!(error("preceding-sibling::*[1")
            .message
            .contains("expected `]`"));
        assert!(error("//preceding-sibling::a")
            .message
            .contains("mixes two axes"));
    }

    #[test]
    fn malformed_paths_say_where_and_why() {
        let error = |text: &str| XmlPath::parse(text).unwrap_err();
        assert_eq!(error("ID/").start, 3);
        assert!(error("ID/").help.contains("does not end with `/`"));
        assert!(error("@a/b").message.contains("must end the path"));
        assert!(error("a[1]").message.contains("positions"));
        assert!(error("a[b='x").message.contains("not closed"));
        assert!(error("count(a").message.contains("expected `)`"));
        assert!(error("a b").message.contains("unexpected `b`"));
        assert!(error("").message.contains("expected an element's name"));
        assert!(error("a///b").help.contains("one `/`"));
    }

    #[test]
    fn only_plain_child_steps_are_writable() {
        let writable = |text: &str| XmlPath::parse(text).unwrap().writable_steps();
        assert_eq!(
            writable("Quantity/@uom"),
            Some(vec![
                WritableStep::Element("Quantity".into()),
                WritableStep::Attribute("uom".into())
            ])
        );
        for selecting in [
            "../ID",
            "*",
            "//ID",
            "a[b='c']",
            "count(a)",
            "/a",
            "ancestor::a/b",
            "preceding-sibling::a[1]",
        ] {
            assert_eq!(writable(selecting), None, "{selecting}");
        }
    }
}
