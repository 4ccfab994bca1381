//! Brackets: random expression trees are printed and parsed back. The parse must give the same
//! tree (every bracket needed is there), and removing any one pair of brackets must change or
//! break the parse (no bracket is left that is not needed).

use super::{format_mapping, same_mapping};
use crate::source_map::{FileId, SourceMap, Span};
use crate::syntax::ast::*;
use crate::syntax::parse_text;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const BINARY: [BinaryOp; 14] = [
    BinaryOp::Coalesce,
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Rem,
];

struct Gen {
    rng: Rng,
    span: Span,
}

impl Gen {
    fn ident(&self, name: &str) -> Ident {
        Ident {
            name: name.to_string(),
            span: self.span,
        }
    }

    fn expr(&mut self, depth: u32) -> Expr {
        let kind = if depth == 0 || self.rng.below(5) == 0 {
            self.leaf()
        } else {
            match self.rng.below(10) {
                0 => ExprKind::Unary(UnaryOp::Not, Box::new(self.expr(depth - 1))),
                1 => ExprKind::Unary(UnaryOp::Neg, Box::new(self.expr(depth - 1))),
                2 => ExprKind::Field(Box::new(self.expr(depth - 1)), self.ident("f")),
                3 => {
                    // A number followed by `[` is a quantity, never an index.
                    let base = match self.expr(depth - 1) {
                        e if matches!(
                            e.kind,
                            ExprKind::Literal(Literal::Int(_) | Literal::Float(_))
                        ) =>
                        {
                            Expr {
                                kind: ExprKind::Name(self.ident("g")),
                                span: self.span,
                            }
                        }
                        e => e,
                    };
                    ExprKind::Index(Box::new(base), Box::new(self.expr(depth - 1)))
                }
                5 => ExprKind::As(
                    Box::new(self.expr(depth - 1)),
                    UnitRef {
                        text: "mm".into(),
                        span: self.span,
                    },
                ),
                4 => {
                    let arms = vec![MatchArm {
                        patterns: vec![Pattern {
                            kind: PatternKind::Wildcard,
                            span: self.span,
                        }],
                        body: self.expr(depth - 1),
                    }];
                    ExprKind::Match(Box::new(self.expr(depth - 1)), arms)
                }
                _ => {
                    let op = BINARY[self.rng.below(BINARY.len() as u64) as usize];
                    ExprKind::Binary(
                        op,
                        Box::new(self.expr(depth - 1)),
                        Box::new(self.expr(depth - 1)),
                    )
                }
            }
        };
        Expr {
            kind,
            span: self.span,
        }
    }

    fn leaf(&mut self) -> ExprKind {
        match self.rng.below(7) {
            0 => ExprKind::Literal(Literal::Int(self.rng.below(100) as i64)),
            1 => ExprKind::Literal(Literal::Float(1.5)),
            2 => ExprKind::Literal(Literal::String("s".to_string())),
            3 => ExprKind::Call(self.ident("g"), vec![]),
            4 => ExprKind::Quantity(
                Literal::Float(2.5),
                UnitRef {
                    text: "N*m".into(),
                    span: self.span,
                },
            ),
            _ => {
                let name = ["a", "b", "c"][self.rng.below(3) as usize];
                ExprKind::Name(self.ident(name))
            }
        }
    }
}

/// A mapping whose one flow assigns `value` to `x`.
fn mapping_of(g: &Gen, value: Expr) -> MappingFile {
    MappingFile {
        name: g.ident("m"),
        version: Some(StringLit {
            value: "1".to_string(),
            span: g.span,
        }),
        items: vec![Item::Flow(FlowDecl {
            name: g.ident("f"),
            source: g.ident("s"),
            target: g.ident("t"),
            delivery: None,
            filter: None,
            statements: vec![Statement::Assign {
                field: g.ident("x"),
                value,
                else_reject: None,
            }],
            header_span: g.span,
        })],
    }
}

fn file_id() -> FileId {
    SourceMap::new().add("generated.fdi", "")
}

/// The offsets of every pair of grouping brackets (not a call's) in `text`.
fn bracket_pairs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut open = Vec::new();
    let mut pairs = Vec::new();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' => {
                let call = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                open.push((i, call));
            }
            b')' => {
                if let Some((start, false)) = open.pop() {
                    pairs.push((start, i));
                }
            }
            _ => {}
        }
    }
    pairs
}

#[test]
fn random_expressions_print_with_exactly_the_brackets_they_need() {
    let file = file_id();
    let mut g = Gen {
        rng: Rng(0x9E37_79B9_7F4A_7C15),
        span: Span::new(file, 0, 0),
    };
    for round in 0..1500 {
        let value = g.expr(5);
        let mapping = mapping_of(&g, value);
        let printed = format_mapping(&mapping, "");
        let reparsed = parse_text(file, &printed)
            .unwrap_or_else(|d| panic!("round {round}: does not parse: {d:?}\n{printed}"));
        assert!(
            same_mapping(&mapping, &reparsed),
            "round {round}: parses differently:\n{printed}"
        );
        for (open, close) in bracket_pairs(&printed) {
            let mut fewer = printed.clone();
            fewer.replace_range(close..=close, "");
            fewer.replace_range(open..=open, "");
            let same = parse_text(file, &fewer).is_ok_and(|m| same_mapping(&mapping, &m));
            assert!(!same, "round {round}: brackets not needed:\n{printed}");
        }
    }
}

#[test]
fn floats_and_strings_written_canonically_read_back_the_same() {
    use super::expr::{canonical_literal, string};
    for f in [
        0.0,
        0.1,
        1.5,
        1e16,
        1.5e16,
        1e-7,
        123456.789,
        f64::MAX,
        f64::MIN_POSITIVE,
    ] {
        let text = canonical_literal(&Literal::Float(f));
        assert!(text.starts_with(|c: char| c.is_ascii_digit()), "{text}");
        assert_eq!(text.parse::<f64>().ok(), Some(f), "{text}");
    }
    let tricky = "quote \" backslash \\ tab\t nl\n cr\r nul\0 bell\u{7} rlo\u{202E} é 😀";
    let written = string(tricky);
    assert!(!written.contains('\u{202E}') && !written.contains('\u{7}'));
    let inner = &written[1..written.len() - 1];
    assert_eq!(crate::syntax::unescape(inner).as_deref(), Ok(tricky));
}
