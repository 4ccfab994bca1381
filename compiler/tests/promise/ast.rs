//! The generated mapping as data: schema, sources, lookups, flows and typed expressions. The
//! printer writes it as `.fdi` and YAML text; the oracle evaluates the same tree.

/// Units of the generated quantities: two lengths and two durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Mm,
    In,
    S,
    Min,
}

impl Unit {
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Mm => "mm",
            Unit::In => "in",
            Unit::S => "s",
            Unit::Min => "min",
        }
    }

    /// The factor to the SI unit, as the units table defines it.
    pub fn to_si(self) -> f64 {
        match self {
            Unit::Mm => 0.001,
            Unit::In => 0.0254,
            Unit::S => 1.0,
            Unit::Min => 60.0,
        }
    }
}

/// The types of generated expressions. `Code` is a string-based identifier type with a
/// pattern, `Serial` an int-based one, `Enum` the schema's enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Float(Option<Unit>),
    Str,
    Bool,
    Time,
    Code,
    Serial,
    Enum,
}

/// Signal qualities of the built-in enum `Quality`, in the order `match` arms list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quality {
    Good,
    Uncertain,
    Bad,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// Milliseconds since 1970, UTC.
    Time(i64),
    Code(String),
    Serial(i64),
    /// An index into the enum's codes.
    Enum(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Trim,
    Lower,
    Upper,
    Round,
    ParseInt,
    ParseFloat,
    ToInt,
    ToFloat,
    Concat,
    String,
    FormatTimestamp,
    ToEpochMillis,
}

/// What is read of a field that carries a signal quality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplePart {
    /// `speed`: the value only when its quality is GOOD.
    Good,
    Value,
    Timestamp,
}

#[derive(Clone, Debug)]
pub enum Arm {
    Value(Expr),
    Reject(String),
}

#[derive(Clone, Debug)]
pub enum Expr {
    /// A literal; a float literal carries the unit of its type.
    Lit(Value, Option<Unit>),
    /// A `let` binding, a source field or a function parameter, by name.
    Var(String),
    Position,
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// `string + string`.
    Join(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Default(Box<Expr>, Box<Expr>),
    Coalesce(Vec<Expr>),
    Match {
        on: Box<Expr>,
        arms: Vec<(Vec<Value>, Arm)>,
        wildcard: Option<Box<Arm>>,
    },
    /// `match FIELD.quality { Quality.GOOD => .., Quality.UNCERTAIN => .., Quality.BAD => .. }`
    MatchQuality(String, Vec<Arm>),
    Call(Builtin, Vec<Expr>),
    /// `Code(text)` with the identifier type's name.
    MakeCode(Box<Expr>),
    MakeSerial(Box<Expr>),
    /// `LOOKUP[key].field`
    Lookup(Box<Expr>, String),
    /// `binding.field` of a lookup record bound with `let ... else reject`.
    RecordField(String, String),
    CallFn(String, Vec<Expr>),
    Convert(Box<Expr>, Unit, Unit),
    /// An int where a float is expected: printed as the int, evaluated as a float.
    Widen(Box<Expr>),
    Sample(String, SamplePart),
    /// `t + N[unit]` (or `-` when N is negative).
    Shift(Box<Expr>, i64, Unit),
    /// `a - b` of two timestamps: seconds.
    TimeDiff(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Let(String, Expr, Option<String>),
    /// `let NAME = LOOKUP[key] else reject "reason"`
    LetRecord(String, Expr, String),
    Assign(String, Expr, Option<String>),
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    /// The name in the data, when `column:` gives one.
    pub column: Option<String>,
    pub ty: Ty,
    pub optional: bool,
    pub quality: bool,
}

impl Field {
    pub fn data_name(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Entity {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Jsonl,
    Sqlite,
}

#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub entity: Entity,
    pub kind: TargetKind,
    pub key: Option<String>,
    pub provenance: bool,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub name: String,
    pub target: Target,
    pub filter: Option<Expr>,
    pub stmts: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: String,
    pub params: Vec<(String, Ty)>,
    pub ret: Ty,
    pub body: Expr,
    pub in_module: bool,
}

/// A row of the lookup's master data.
#[derive(Clone, Debug)]
pub struct LookupRow {
    pub key: String,
    pub number: i64,
    pub text: String,
    pub note: Option<String>,
}

/// A value of a field with a quality, as the data holds it.
#[derive(Clone, Debug)]
pub enum SampleValue {
    Missing,
    Unavailable,
    Number(f64),
    Garbled(String),
}

#[derive(Clone, Debug)]
pub struct Sample {
    pub value: SampleValue,
    pub quality: Quality,
    pub timestamp: Option<i64>,
}

/// One input record: the decoded values by field name (`None` for an absent optional field),
/// or a record that does not decode, with the JSON the source holds.
#[derive(Clone, Debug)]
pub struct Record {
    pub values: Option<Vec<(String, Option<Value>)>>,
    pub samples: Vec<(String, Sample)>,
    pub json: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct Mapping {
    pub name: String,
    pub source_name: String,
    pub source: Entity,
    pub lookup_name: String,
    pub lookup_entity: Entity,
    pub lookup_in_module: bool,
    pub rows: Vec<LookupRow>,
    pub code_type: String,
    pub serial_type: String,
    pub enum_name: String,
    pub enum_codes: Vec<String>,
    pub functions: Vec<FnDef>,
    pub flows: Vec<Flow>,
    pub records: Vec<Record>,
}
