//! The syntax tree of a mapping file, as written: names are not resolved and nothing is typed.
//! Every node carries the [`Span`] of the text it came from.

use crate::source_map::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal with its escapes already resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// A parsed `.fdi` file: a mapping (`mapping NAME version "..."`), which compiles to a program,
/// or a module (`module NAME`), which mappings import for its functions, lookups and schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingFile {
    pub name: Ident,
    /// `None` for a module.
    pub version: Option<StringLit>,
    pub items: Vec<Item>,
}

impl MappingFile {
    pub fn schemas(&self) -> impl Iterator<Item = &StringLit> {
        self.items.iter().filter_map(|i| match i {
            Item::Schema(s) => Some(s),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Schema(StringLit),
    Source(SourceDecl),
    Lookup(LookupDecl),
    Target(TargetDecl),
    DeadLetter(Connector),
    Flow(FlowDecl),
    /// `per source NAME { let ... }`
    PerSource(PerSourceDecl),
    /// `import "common/units.fdi"`
    Import(StringLit),
    Function(FnDecl),
    Test(TestDecl),
}

/// `fn to_mm(x: float[in]) -> float[mm] = x as [mm]`
#[derive(Debug, Clone, PartialEq)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub returns: TypeRef,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeRef,
}

/// A type as written in a mapping: `string`, `EquipmentId`, `float[mm]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRef {
    pub name: Ident,
    pub unit: Option<UnitRef>,
    pub span: Span,
}

/// The text of a unit between square brackets, `mm/min` in `[mm/min]`; the span covers the text.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRef {
    pub text: String,
    pub span: Span,
}

/// `test "name" { input ... lookup ... expect ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: StringLit,
    pub parts: Vec<TestPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestPart {
    /// `input source { records }`: the records the source delivers.
    Input {
        source: Ident,
        records: Vec<RecordLit>,
    },
    /// `lookup name { records }`: replaces the lookup's file for this test.
    Lookup {
        lookup: Ident,
        records: Vec<RecordLit>,
    },
    /// `expect target { records }`; the target `rejected` means the dead letter.
    Expect {
        target: Ident,
        records: Vec<RecordLit>,
    },
}

/// `{ serial: "SN1", measured: 12.04 }`
#[derive(Debug, Clone, PartialEq)]
pub struct RecordLit {
    pub fields: Vec<(Ident, ValueLit)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValueLit {
    pub kind: ValueKind,
    pub span: Span,
}

/// A value in a test record, as JSON would have it.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

/// `source mill: csv("data/experiment_01.csv") as MillSample`
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDecl {
    pub name: Ident,
    pub connector: Connector,
    pub entity: Ident,
    /// `time FIELD`: the field holding each record's own timestamp.
    pub time: Option<Ident>,
}

/// `lookup machines: csv("master/machines.csv") as Machine key machine_code`, or with a
/// composite key `key (line, machine)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupDecl {
    pub name: Ident,
    pub connector: Connector,
    pub entity: Ident,
    /// The key fields as written: one, or several for a composite key.
    pub key: Vec<Ident>,
}

/// `target history: sqlite("out/line.db", table: "spindle_history") as SpindleReading key (a, b) with provenance`
#[derive(Debug, Clone, PartialEq)]
pub struct TargetDecl {
    pub name: Ident,
    pub connector: Connector,
    pub entity: Ident,
    pub key: Vec<Ident>,
    /// The word after `with` (`provenance`), as written.
    pub with: Option<Ident>,
}

/// `csv("path")`, `sqlite("path", table: "t")`, `mqtt(connection: "plant", qos: 1)`: a connector
/// kind, the file it names (the one string without a name, if any) and named options.
#[derive(Debug, Clone, PartialEq)]
pub struct Connector {
    pub kind: Ident,
    pub location: Option<StringLit>,
    pub options: Vec<ConnectorOption>,
    pub span: Span,
}

impl Connector {
    /// The option written as `name: ...`, if any.
    pub fn option(&self, name: &str) -> Option<&ConnectorOption> {
        self.options.iter().find(|o| o.name.name == name)
    }
}

/// `qos: 1`: one named option of a connector.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorOption {
    pub name: Ident,
    pub value: OptionValue,
}

/// The value of a connector option, as written; the connector table says what it must be.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionValue {
    pub kind: OptionValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OptionValueKind {
    Text(String),
    /// A number as written (`1`, `-2`, `0.5`): the table says whether an int or a float.
    Number(String),
    Bool(bool),
    /// A duration as written: `500ms`, `30s`, `5min`, `2h`, `1d`.
    Duration(String),
    List(Vec<OptionValue>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowDecl {
    pub name: Ident,
    pub source: Ident,
    pub target: Ident,
    /// `delivery WORD`: the guarantee as written (`at_most_once`); `None`: the default,
    /// at least once. The checker knows the words.
    pub delivery: Option<Ident>,
    pub filter: Option<Expr>,
    pub statements: Vec<Statement>,
    /// The header `flow name: source -> target`, where "missing field" errors point.
    pub header_span: Span,
}

/// `per source cmm { let part = parts[part_no] else reject "unknown part" }`: bindings shared
/// by every flow of the source. Its statements are all `Statement::Let`s.
#[derive(Debug, Clone, PartialEq)]
pub struct PerSourceDecl {
    pub source: Ident,
    pub statements: Vec<Statement>,
    /// `per source NAME`, where errors about the block as a whole point.
    pub header_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `let name = value [else reject "reason"]`
    Let {
        name: Ident,
        value: Expr,
        else_reject: Option<StringLit>,
    },
    /// `field = value [else reject "reason"]`
    Assign {
        field: Ident,
        value: Expr,
        else_reject: Option<StringLit>,
    },
    /// `skip when condition`: the record is filtered when the condition holds, evaluated
    /// after the statements above it. `span` covers the whole statement.
    Skip { condition: Expr, span: Span },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Name(Ident),
    /// `base.field`
    Field(Box<Expr>, Ident),
    /// `base[key]`
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `25.4[mm]`: a number with a unit.
    Quantity(Literal, UnitRef),
    /// `value as [unit]`: converts to the unit, or states it for a value without one.
    As(Box<Expr>, UnitRef),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, Vec<MatchArm>),
    /// `reject "reason"`, which the grammar allows only as the body of a match arm: the record
    /// is rejected with this reason instead of the match giving a value.
    Reject(StringLit),
    /// `(line, machine)`: two or more values in parentheses, the key of a composite lookup
    /// (`equipment[(line, machine)]`); the checker refuses a tuple anywhere else.
    Tuple(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    pub patterns: Vec<Pattern>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatternKind {
    Wildcard,
    Literal(Literal),
    /// `EquipmentState.SETUP`
    EnumCode(Ident, Ident),
}
