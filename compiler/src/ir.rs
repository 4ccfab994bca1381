//! The typed program: what the checker proves and the emitter prints.
//!
//! Every name here is resolved and every expression has a [`Type`] and knows whether it may
//! fail. A program only exists when the checker found no error, so the emitter can rely on
//! all of this without checking again.

use crate::schema::SchemaSet;
use crate::source_map::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub version: String,
    pub schema: SchemaSet,
    pub sources: Vec<Source>,
    pub lookups: Vec<Lookup>,
    pub targets: Vec<Target>,
    /// The runtime's cargo features its connectors need, sorted (from the connector table).
    pub runtime_features: Vec<&'static str>,
    pub flows: Vec<Flow>,
    /// The `per source` blocks: per source, the bindings its flows share, computed once per
    /// record before any of them (a flow reads one as an `ExprKind::Local` of its name).
    pub shared: Vec<SharedBindings>,
    /// Pure functions declared with `fn`, in an order where each comes after those it calls.
    pub functions: Vec<Function>,
    /// The mapping's `test` blocks.
    pub tests: Vec<Test>,
    /// Path of the dead-letter file, relative to the mapping's folder unless absolute.
    pub dead_letter: String,
    /// What the check found doubtful but not wrong (each a `Severity::Warning` diagnostic),
    /// for the CLI to print; nothing downstream reads them.
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

/// `per source NAME { let ... }`: bindings every flow of `source` reads, evaluated once per
/// record after decode; a reject there rejects the record for all the source's flows at once.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedBindings {
    pub source: String,
    pub source_entity: String,
    /// Only `Step::Let`s, in the order written.
    pub steps: Vec<Step>,
    /// `per source NAME`, for the generated code's origin comment.
    pub span: Span,
}

impl SharedBindings {
    /// Each binding's name with its value.
    pub fn bindings(&self) -> impl Iterator<Item = (&str, &Expr)> {
        self.steps.iter().filter_map(|step| match step {
            Step::Let { name, value, .. } => Some((name.as_str(), value)),
            // The block's grammar holds only `let`s.
            Step::Assign { .. } | Step::Skip { .. } => None,
        })
    }
}

impl Program {
    /// The bindings the flows of `source` share, if it has a `per source` block.
    pub fn shared_of(&self, source: &str) -> Option<&SharedBindings> {
        self.shared.iter().find(|s| s.source == source)
    }

    pub fn flows_of<'a>(&'a self, source: &'a str) -> impl Iterator<Item = &'a Flow> + 'a {
        self.flows.iter().filter(move |f| f.source == source)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Jsonl,
    /// An XML document, whose records are the elements a `records:` path selects.
    Xml,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    pub entity: String,
    /// The required timestamp field holding each record's own time (`time FIELD`), for
    /// provenance; without one, provenance records when the record was read.
    pub time_field: Option<String>,
}

/// Where a source's records come from (see the connector table, `connectors/mod.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    File {
        format: FileFormat,
        path: String,
    },
    /// Messages of an MQTT broker, by the connection's name in the deployment settings.
    Mqtt {
        connection: String,
        /// The topic filters, as written (`+line` names a level).
        topics: Vec<String>,
        /// The literal of each filter in `topics`, for diagnostics about its levels.
        filter_spans: Vec<Span>,
        qos: u8,
        payload: MessagePayload,
    },
    /// Rows of a PostgreSQL table, read on from a watermark.
    Postgres {
        connection: String,
        table: String,
        watermark: String,
        tiebreaker: Option<String>,
        poll_interval_ms: u64,
        page: u32,
    },
    /// The records of a JSON document polled from an HTTP endpoint, read on from a watermark.
    Http {
        connection: String,
        /// After the base URL; may hold `{watermark}`.
        path: String,
        /// The dotted path to the array of records; empty: the document.
        records: String,
        /// A field's external name, or `etag` / `last_modified`.
        watermark: String,
        poll_interval_ms: u64,
    },
    /// Data changes of an OPC UA server's monitored items, by node id or browse path.
    Opcua {
        connection: String,
        nodes: Vec<OpcuaItem>,
        browse_paths: Vec<OpcuaItem>,
        sampling_interval_ms: u64,
        publishing_interval_ms: u64,
        queue_size: u32,
        /// An absolute deadband; `None`: every change.
        deadband: Option<f64>,
        /// The NodeSet2 files that type the items (none: typed at run time only).
        nodesets: Vec<OpcuaItem>,
        /// The server's namespace URIs from index 1, for the typing (none: the first file's).
        namespaces: Vec<OpcuaItem>,
        /// For each browse path, the namespace URI of each element written without an index
        /// that the NodeSet typing found only in that namespace (`""` for the others), which
        /// the program turns into the server's index; empty until the typing resolves one.
        browse_path_namespaces: Vec<Vec<String>>,
    },
    /// A Modbus TCP device polled by the register map of the source's entity.
    Modbus {
        connection: String,
        unit_id: u8,
        poll_interval_ms: u64,
        /// A record only when a value changed (`emit: "change"`), else one per poll.
        on_change: bool,
    },
    /// The elements of an XML document that `records` selects, each field by its `xml:` path.
    Xml {
        path: String,
        records: String,
    },
    /// Observations of an MTConnect device's data items: from an agent, or an adapter's SHDR
    /// stream.
    Mtconnect {
        stream: MtconnectStream,
        /// `devices:` the device-model files (none: untyped).
        devices: Vec<TextItem>,
        /// `device:` the device's name or uuid in the model.
        device: Option<TextItem>,
        /// `data_items:` what the source reads, in the order written.
        data_items: Vec<MtconnectDataItem>,
    },
}

/// Where an MTConnect source's observations come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MtconnectStream {
    /// An agent polled over HTTP (`mtconnect(...)`).
    Agent {
        connection: String,
        poll_interval_ms: u64,
        count: u32,
    },
    /// A recorded SHDR stream in a file (`shdr(...)`), relative to the mapping's folder.
    ShdrFile { path: String },
    /// An adapter's live SHDR stream over TCP (`mtconnect_adapter(...)`).
    ShdrTcp { connection: String },
}

/// One data item an MTConnect source reads.
#[derive(Debug, Clone, PartialEq)]
pub struct MtconnectDataItem {
    /// As written in `data_items:` (an id or a name), with its span.
    pub item: TextItem,
    /// Filled by the device-model stage (`mtconnect::type_sources`) when the source names
    /// `devices:`; `None` before it, or untyped.
    pub facts: Option<DataItemFacts>,
}

/// What a device model says about a data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataItemFacts {
    /// The device's name.
    pub device: String,
    pub id: String,
    pub name: Option<String>,
    /// `SAMPLE`, `EVENT` or `CONDITION`.
    pub category: String,
    /// `EXECUTION`, `PART_COUNT`, `POSITION`...
    pub type_name: String,
    pub sub_type: Option<String>,
    /// `MILLIMETER`, `REVOLUTION/MINUTE`...
    pub units: Option<String>,
    /// `VALUE` (the default), `TIME_SERIES`, `DATA_SET`, `TABLE`.
    pub representation: Option<String>,
}

/// How the bytes of a broker message become records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagePayload {
    /// One JSON object, one record.
    Json,
    /// A Sparkplug B payload: each metric is a record; only those named in `metrics`, unless it
    /// is empty.
    SparkplugB { metrics: Vec<String> },
}

impl SourceKind {
    /// The connector's kind in the connector table.
    pub fn connector(&self) -> &'static str {
        match self {
            SourceKind::File {
                format: FileFormat::Csv,
                ..
            } => "csv",
            SourceKind::File {
                format: FileFormat::Jsonl,
                ..
            } => "jsonl",
            SourceKind::File {
                format: FileFormat::Xml,
                ..
            }
            | SourceKind::Xml { .. } => "xml",
            SourceKind::Mqtt { .. } => "mqtt",
            SourceKind::Postgres { .. } => "postgres",
            SourceKind::Http { .. } => "http",
            SourceKind::Opcua { .. } => "opcua",
            SourceKind::Modbus { .. } => "modbus",
            SourceKind::Mtconnect { stream, .. } => match stream {
                MtconnectStream::Agent { .. } => "mtconnect",
                MtconnectStream::ShdrFile { .. } => "shdr",
                MtconnectStream::ShdrTcp { .. } => "mtconnect_adapter",
            },
        }
    }
}

impl Source {
    /// The file and its format, for a file source.
    pub fn file(&self) -> Option<(FileFormat, &str)> {
        match &self.kind {
            SourceKind::File { format, path } => Some((*format, path)),
            _ => None,
        }
    }

    /// Whether the source never ends (a broker topic, a polled table): its program is a service.
    pub fn endless(&self) -> bool {
        crate::connectors::spec(self.kind.connector()).is_some_and(|c| c.endless)
    }

    /// The format the source's records take in a file: its own for a file source, JSON Lines for
    /// the others (whose records are JSON objects), as `fdi test` writes them.
    pub fn file_format(&self) -> FileFormat {
        self.file().map_or(FileFormat::Jsonl, |(format, _)| format)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub name: String,
    pub format: FileFormat,
    pub path: String,
    pub entity: String,
    /// The key fields: one, or several for a composite key (`key (line, machine)`).
    pub key_fields: Vec<String>,
    /// The `records:` path of an XML lookup (`format` is [`FileFormat::Xml`]).
    pub records: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    pub entity: String,
    /// Fields of the upsert key; empty for append-only targets.
    pub key: Vec<String>,
    /// `with provenance`: each record is written with where it came from.
    pub provenance: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TargetKind {
    Sqlite {
        path: String,
        table: String,
    },
    Jsonl {
        path: String,
    },
    /// Records published as JSON to an MQTT broker.
    Mqtt {
        connection: String,
        /// The topic, with `{field}` for a field of the record.
        topic: String,
        qos: u8,
        retain: bool,
    },
    /// Records published as the metrics of a Sparkplug B edge node (an MQTT target with
    /// `payload: "sparkplug_b"`): each record one NDATA, or DDATA of `device_id`.
    Sparkplug {
        connection: String,
        group_id: String,
        edge_node_id: String,
        device_id: Option<String>,
        qos: u8,
    },
    /// Rows upserted into a PostgreSQL table.
    Postgres {
        connection: String,
        table: String,
        /// The `float` fields written as `numeric` columns, by field name.
        numeric: Vec<String>,
    },
    /// Records sent as JSON to an HTTP endpoint.
    Http {
        connection: String,
        /// After the base URL, with `{field}` for a field of the record.
        path: String,
        /// `POST` or `PUT`.
        method: String,
        /// Records per request; 1: each record its own JSON object.
        batch: u32,
        /// The header of the idempotency key.
        idempotency_key: String,
    },
    /// Fields of each record written to OPC UA nodes.
    Opcua {
        connection: String,
        writes: Vec<OpcuaWrite>,
        read_back: bool,
        /// The NodeSet2 files that type the written nodes.
        nodesets: Vec<OpcuaItem>,
        /// The server's namespace URIs from index 1, for the typing (none: the first file's).
        namespaces: Vec<OpcuaItem>,
    },
    /// Records written to a Modbus TCP device by the register map of the target's entity.
    Modbus {
        connection: String,
        unit_id: u8,
    },
    /// Records written as elements of an XML document (`docs/connectors/xml.md`).
    Xml {
        path: String,
        /// The root element's name, in `namespace` (none when empty).
        root: String,
        namespace: String,
        /// Elements written under the root before the records.
        header: Vec<XmlHeader>,
        /// The path under the root of each record's element (`OperationsResponse`).
        records: String,
    },
}

/// One `header:` entry of an XML target: `Path=text`.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlHeader {
    pub path: String,
    pub steps: Vec<fdi_runtime::xml::WritableStep>,
    pub value: String,
}

impl TargetKind {
    /// The connector's kind in the connector table.
    pub fn connector(&self) -> &'static str {
        match self {
            TargetKind::Sqlite { .. } => "sqlite",
            TargetKind::Jsonl { .. } => "jsonl",
            TargetKind::Mqtt { .. } | TargetKind::Sparkplug { .. } => "mqtt",
            TargetKind::Postgres { .. } => "postgres",
            TargetKind::Http { .. } => "http",
            TargetKind::Opcua { .. } => "opcua",
            TargetKind::Modbus { .. } => "modbus",
            TargetKind::Xml { .. } => "xml",
        }
    }

    /// Whether the target is a table of columns (SQLite, PostgreSQL; a Sparkplug B node's metrics
    /// are its columns too): its entity must be flat.
    pub fn is_table(&self) -> bool {
        matches!(
            self,
            TargetKind::Sqlite { .. } | TargetKind::Postgres { .. } | TargetKind::Sparkplug { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub name: String,
    pub source: String,
    pub source_entity: String,
    pub target: String,
    pub target_entity: String,
    /// What the flow promises for each record (`delivery ...`; at least once when not written).
    pub delivery: fdi_runtime::Delivery,
    pub filter: Option<Filter>,
    pub steps: Vec<Step>,
}

/// The names of the bindings (or parameters) that `exprs` read.
pub fn locals_read<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
) -> std::collections::HashSet<&'a str> {
    let mut read = std::collections::HashSet::new();
    for expr in exprs {
        expr.walk(&mut |e| {
            if let ExprKind::Local(name) = &e.kind {
                read.insert(name.as_str());
            }
        });
    }
    read
}

impl Flow {
    /// The flow's top-level expressions: its filter's condition, then each statement's value.
    pub fn expressions(&self) -> impl Iterator<Item = &Expr> {
        let steps = self.steps.iter().map(|step| match step {
            Step::Let { value, .. } | Step::Assign { value, .. } => value,
            Step::Skip { condition, .. } => condition,
        });
        self.filter.iter().map(|f| &f.condition).chain(steps)
    }
}

/// A flow's `where` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub condition: Expr,
    /// Where the condition is written, for the generated code's `// mapping.fdi:LINE` comments.
    pub span: Span,
}

/// `fn name(params) -> returns = body`
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub params: Vec<(String, Type)>,
    pub returns: Type,
    /// Refers to the parameters as `ExprKind::Local`.
    pub body: Expr,
    /// Where the body is written (in the mapping or the module that declares the function).
    pub span: Span,
}

impl Function {
    /// Whether a call may fail (its body may): the generated function then returns a `Result`.
    pub fn is_fallible(&self) -> bool {
        self.body.is_fallible()
    }
}

/// A `test` block: records fed to sources (and lookups), and what the targets must receive.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub name: String,
    /// Where the test is declared, for reporting its failures.
    pub span: Span,
    /// Per source: the records it delivers, keyed by external (column) names.
    pub inputs: Vec<TestRecords>,
    /// Per lookup whose file the test replaces.
    pub lookups: Vec<TestRecords>,
    /// Per target (or [`DEAD_LETTER`]): the records it must receive, keyed by external names.
    pub expects: Vec<TestRecords>,
}

/// The name `expect rejected { ... }` uses for the dead letter.
pub const DEAD_LETTER: &str = "rejected";

/// The key of a test's input record that gives the topic a broker message came on
/// (`_fdi_topic: "plant/3/M07/state"`); no schema field can be named so (E0216).
pub const TEST_TOPIC_KEY: &str = "_fdi_topic";

#[derive(Debug, Clone, PartialEq)]
pub struct TestRecords {
    /// A source, lookup or target name, or [`DEAD_LETTER`].
    pub name: String,
    /// For sources and lookups, their format (the harness writes the records as a file of it).
    pub format: Option<FileFormat>,
    pub records: Vec<TestRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestRecord {
    pub fields: Vec<(String, TestValue)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Let {
        name: String,
        value: Expr,
        on_failure: Option<String>,
        /// Where the statement is written, as every step's `span`.
        span: Span,
    },
    Assign {
        field: String,
        /// Whether the target field is optional (the value is then written as present or absent).
        optional_field: bool,
        value: Expr,
        on_failure: Option<String>,
        span: Span,
    },
    /// `skip when condition`: the record is filtered (as by `where`) when `condition`, a plain
    /// bool, holds; evaluated in order, after the steps above it.
    Skip { condition: Expr, span: Span },
}

impl Step {
    /// Where the statement is written.
    pub fn span(&self) -> Span {
        match self {
            Step::Let { span, .. } | Step::Assign { span, .. } | Step::Skip { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    Int,
    Float,
    /// A float with a unit of measure: `float[mm]`.
    Quantity(crate::units::Unit),
    Bool,
    Timestamp,
    Identifier(String),
    Enum(String),
    /// A record of a lookup table (only as a value inside a flow, never written as a whole).
    Entity(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    /// `Some` when the value may be absent or may fail, and why. Such a value is a
    /// `Result<T, fdi_runtime::Failure>` in the generated code.
    pub maybe: Option<Maybe>,
}

impl Expr {
    pub fn is_fallible(&self) -> bool {
        self.maybe.is_some()
    }

    /// Calls `visit` on this expression and on every expression inside it, outermost first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::SourceField { .. }
            | ExprKind::SourceSample { .. }
            | ExprKind::SourcePosition
            | ExprKind::SourceName
            | ExprKind::SourceTopic
            | ExprKind::SourceTopicLevel { .. }
            | ExprKind::Local(_)
            | ExprKind::EnumCode { .. }
            | ExprKind::Reject { .. } => {}
            ExprKind::EntityField { base: inner, .. }
            | ExprKind::MakeIdentifier { value: inner, .. }
            | ExprKind::IntToFloat(inner)
            | ExprKind::Convert { value: inner, .. }
            | ExprKind::Not(inner)
            | ExprKind::Neg(inner) => inner.walk(visit),
            ExprKind::Call { args, .. }
            | ExprKind::CallFunction { args, .. }
            | ExprKind::Lookup { key: args, .. } => args.iter().for_each(|a| a.walk(visit)),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(visit);
                rhs.walk(visit);
            }
            ExprKind::Coalesce { value, default } => {
                value.walk(visit);
                default.walk(visit);
            }
            ExprKind::Match { scrutinee, arms } => {
                scrutinee.walk(visit);
                arms.iter().for_each(|arm| arm.body.walk(visit));
            }
        }
    }
}

impl Type {
    /// A float, with or without a unit: an `f64` in generated code.
    pub fn is_float(&self) -> bool {
        matches!(self, Type::Float | Type::Quantity(_))
    }
}

/// Why a value may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Maybe {
    /// An optional field (of the source record or a lookup record).
    Optional { field: String },
    /// A lookup that may not have the key.
    LookupMiss { lookup: String },
    /// A conversion or operation that may fail.
    Failure { operation: String },
    /// A source value whose quality may not be GOOD.
    Quality { field: String },
}

/// Which part of a source field with quality an expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplePart {
    /// `speed`: the value when its quality is GOOD.
    Good,
    /// `speed.value`: the value whatever its quality.
    Value,
    /// `speed.quality`
    Quality,
    /// `speed.timestamp`: the source timestamp.
    Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A field of the flow's source record; `optional` fields are fallible.
    SourceField {
        name: String,
        optional: bool,
    },
    /// A part of a source field that carries a quality and a source timestamp.
    SourceSample {
        field: String,
        part: SamplePart,
    },
    /// `source.position`: the record's 1-based position in its source.
    SourcePosition,
    /// `source.name`
    SourceName,
    /// `source.topic`: the topic a broker message was published to (only on a source whose
    /// records have one).
    SourceTopic,
    /// `source.levels.NAME`: the level of the topic that the source's filter names `+NAME` (or
    /// `#NAME`, the rest); every filter of the source names it.
    SourceTopicLevel {
        name: String,
    },
    Local(String),
    /// A field of an entity value (a lookup record).
    EntityField {
        base: Box<Expr>,
        field: String,
        optional: bool,
    },
    /// `lookup[key]`, or `lookup[(a, b)]` for a composite key: one value per key field, in
    /// the order of the lookup's `key_fields`, each of its field's type.
    Lookup {
        lookup: String,
        key: Vec<Expr>,
    },
    EnumCode {
        enum_name: String,
        code: String,
    },
    /// `EquipmentId(text)`: checked construction of an identifier. `checked` is true when the
    /// value is a literal the compiler has validated already.
    MakeIdentifier {
        id_type: String,
        value: Box<Expr>,
        checked: bool,
    },
    Call {
        function: Builtin,
        args: Vec<Expr>,
    },
    /// A call of a function declared with `fn`.
    CallFunction {
        name: String,
        args: Vec<Expr>,
    },
    /// An int used where a float is expected.
    IntToFloat(Box<Expr>),
    /// `value as [unit]` between two units of one dimension: `value * scale + shift` or
    /// `(value + shift) / divisor`, with the constants computed by the compiler so that exact
    /// values stay exact (see `units::Arithmetic`).
    Convert {
        value: Box<Expr>,
        arithmetic: crate::units::Arithmetic,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `value ?? default`
    Coalesce {
        value: Box<Expr>,
        default: Box<Expr>,
    },
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    /// `reject "reason"` as the body of a match arm: the record is rejected with `reason`. Its
    /// type is the type of the match it ends, so that arms compare without a "never" type.
    Reject {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
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
    /// `+` on strings
    Concat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    /// Empty for the `_` arm.
    pub patterns: Vec<Pattern>,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Literal(Literal),
    EnumCode { enum_name: String, code: String },
}

/// The standard library; `docs/language.md` documents each function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Trim,
    Lower,
    Upper,
    Round,
    ParseInt,
    ParseFloat,
    ParseTimestamp,
    ToInt,
    ToFloat,
    Concat,
    Coalesce,
    String,
    FromEpochSeconds,
    FromEpochMillis,
    ToEpochMillis,
    FormatTimestamp,
    /// `present(field)`: whether an optional field (or a quality-carrying field's GOOD value)
    /// has a value; see `check/presence.rs`.
    Present,
}

impl Builtin {
    pub const ALL: &'static [Builtin] = &[
        Builtin::Trim,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Round,
        Builtin::ParseInt,
        Builtin::ParseFloat,
        Builtin::ParseTimestamp,
        Builtin::ToInt,
        Builtin::ToFloat,
        Builtin::Concat,
        Builtin::Coalesce,
        Builtin::String,
        Builtin::FromEpochSeconds,
        Builtin::FromEpochMillis,
        Builtin::ToEpochMillis,
        Builtin::FormatTimestamp,
        Builtin::Present,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Trim => "trim",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Round => "round",
            Builtin::ParseInt => "parse_int",
            Builtin::ParseFloat => "parse_float",
            Builtin::ParseTimestamp => "parse_timestamp",
            Builtin::ToInt => "to_int",
            Builtin::ToFloat => "to_float",
            Builtin::Concat => "concat",
            Builtin::Coalesce => "coalesce",
            Builtin::String => "string",
            Builtin::FromEpochSeconds => "from_epoch_seconds",
            Builtin::FromEpochMillis => "from_epoch_millis",
            Builtin::ToEpochMillis => "to_epoch_millis",
            Builtin::FormatTimestamp => "format_timestamp",
            Builtin::Present => "present",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Quantity(unit) => write!(f, "float[{unit}]"),
            Type::Bool => f.write_str("bool"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Identifier(n) | Type::Enum(n) | Type::Entity(n) => f.write_str(n),
        }
    }
}

/// A text of an OPC UA connector (a node id, a browse path, a NodeSet file), as written, with
/// the span of its text: the text itself when the literal is written without escapes, else the
/// literal.
#[derive(Debug, Clone, PartialEq)]
pub struct OpcuaItem {
    pub text: String,
    pub span: Span,
    /// Whether `span` covers exactly `text` (so a help may offer a replacement for it).
    pub exact: bool,
}

/// A text of a connector's option with its span (an OPC UA node id, an MTConnect data item):
/// the neutral name of [`OpcuaItem`].
pub type TextItem = OpcuaItem;

/// One `field = node id` of an OPC UA target; the node id may hold `{field}` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct OpcuaWrite {
    /// The entity's field, by its name in the schema.
    pub field: String,
    pub field_span: Span,
    pub node: OpcuaItem,
}
