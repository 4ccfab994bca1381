//! Every diagnostic code the compiler can report.
//!
//! Codes are grouped by stage (E00xx reading files, E01xx parse, E02xx schemas, E03xx check,
//! E04xx emit, E05xx build, E06xx the traceability commands `fdi lineage` and `fdi diff`, E07xx
//! the data files a checked mapping reads, E08xx connectors and their deployment settings)
//! and are stable: a code that has shipped is never reused for another meaning, even when
//! the check that produced it is removed. `docs/errors.md` lists them all.

macro_rules! codes {
    ($( $variant:ident = $code:literal : $summary:literal, )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// All codes, in numeric order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as printed: `fdi::E0301`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => concat!("fdi::", $code), )* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }
        }
    };
}

codes! {
    // Reading files
    FileNotFound = "E0001": "a mapping file cannot be read",
    NotUtf8 = "E0002": "a mapping file is not valid UTF-8 text",
    EmptyFile = "E0003": "a mapping file is empty",
    ImportCycle = "E0004": "mapping files import each other in a cycle",
    MisplacedItem = "E0005": "a declaration is in a kind of file that cannot hold it",
    // The guard around every command that compiles (issue 14, compiler robustness).
    InternalError = "E0006": "internal compiler error: the compiler panicked",

    // Parse
    Syntax = "E0101": "the mapping file does not follow the grammar",
    TooDeep = "E0102": "expressions are nested too deeply",
    BadEscape = "E0103": "a string literal has an invalid escape sequence",
    NumberOutOfRange = "E0104": "a number literal is out of range",
    // Limits on untrusted input (issue 14, compiler robustness): `syntax/limits.rs`.
    FileTooLarge = "E0105": "a mapping file is larger than the compiler accepts",
    IdentifierTooLong = "E0106": "an identifier is longer than the compiler accepts",
    StringTooLong = "E0107": "a string literal is longer than the compiler accepts",
    TooManyDeclarations = "E0108": "a mapping file has more declarations than the compiler accepts",

    // Schemas
    SchemaNotFound = "E0201": "a schema file cannot be read",
    InvalidYaml = "E0202": "a schema file is not valid YAML",
    SchemaShape = "E0203": "a schema file does not have the expected structure",
    UnknownSchemaType = "E0204": "a schema field names a type that does not exist",
    InvalidPattern = "E0205": "an identifier type's pattern is not a valid regular expression",
    DuplicateSchemaName = "E0206": "two schema declarations have the same name",
    InvalidEnumCode = "E0207": "an enum code is not a valid code, or is listed twice",
    NoSchema = "E0208": "the mapping declares no schema file",
    UnknownUnit = "E0209": "a field's unit is not a known unit",
    UnitOnNonFloat = "E0210": "a unit is given on a field that is not a float",
    BadIdentifierRule = "E0211": "an identifier type's length or check digit is invalid",
    MasterDataUnreadable = "E0212": "an enum's master-data file cannot be read as a list of codes",
    MasterDataColumn = "E0213": "an enum's master-data column is not named or does not exist",
    EmptyEnum = "E0214": "an enum has no codes",
    BadTimeFormat = "E0215": "a timestamp field's format or zone is invalid or incomplete",
    ReservedFieldName = "E0216": "a schema field is named like a mapping keyword, or takes the prefix `_fdi_`",
    ColumnClash = "E0217": "two fields of an entity read the same column",
    IntIdentifierRefusesItsNumber = "E0218": "an `int` identifier type accepts a text whose number, as written, it refuses",
    ModbusMapShape = "E0219": "a field's Modbus register map does not have the expected structure",
    ModbusOverlap = "E0220": "two fields of an entity read the same Modbus registers or bits",
    ModbusCount = "E0221": "a Modbus register count does not fit the register type",
    ModbusBit = "E0222": "a Modbus bit is missing or outside 0 to 15",
    ModbusTypeMismatch = "E0223": "a Modbus register type does not fit the field's type or its table",
    ModbusOptionMisplaced = "E0224": "a Modbus scale, offset or order is given where it does not apply",

    // Check
    DuplicateName = "E0301": "two declarations in a mapping have the same name",
    UnknownEntity = "E0302": "a declaration names an entity the schemas do not define",
    UnknownDeclaration = "E0303": "a flow names a source or target that is not declared",
    UnknownField = "E0304": "a field does not exist on the record",
    UnknownName = "E0305": "a name in an expression is not defined",
    TypeMismatch = "E0306": "a value has the wrong type",
    IdentifierMixUp = "E0307": "an identifier type is used where another type is expected",
    NonExhaustiveMatch = "E0308": "a match over an enum does not cover every code",
    MissingTargetField = "E0309": "a required target field is not assigned",
    UnhandledOptional = "E0310": "an optional value may be absent and is not handled",
    UnhandledLookupMiss = "E0311": "a lookup may miss and the miss is not handled",
    UnhandledFailure = "E0312": "an operation may fail and the failure is not handled",
    DuplicateAssignment = "E0313": "a target field is assigned twice",
    UnknownTargetField = "E0314": "an assignment names a field the target entity does not have",
    BadLookupKey = "E0315": "a lookup key is not a usable field, or has the wrong type",
    UnknownFunction = "E0316": "a function call names a function that does not exist",
    WrongArgumentCount = "E0317": "a function is called with the wrong number of arguments",
    MatchWithoutWildcard = "E0318": "a match over strings or numbers has no `_` arm",
    UnknownEnumCode = "E0319": "an enum code does not exist in its enum",
    NothingToHandle = "E0320": "`else reject` or `??` is used on a value that cannot be absent",
    BadTargetKey = "E0321": "a target key names a field that is unknown or optional",
    DuplicateBinding = "E0322": "a `let` binding reuses a name already bound in the flow",
    PatternMismatch = "E0323": "a literal does not match its identifier type's rules",
    UnknownConnector = "E0324": "a connector is unknown, or its arguments are wrong",
    ArmTypeMismatch = "E0325": "the arms of a match produce different types",
    DuplicatePattern = "E0326": "a match lists the same pattern twice",
    NotAValue = "E0327": "a name that is not a value is used as one",
    DimensionMismatch = "E0328": "values of different physical dimensions are combined",
    MissingConversion = "E0329": "values in different units of the same dimension are combined without a conversion",
    MissingUnit = "E0330": "a value without a unit is used where a unit is required",
    UnknownUnitInMapping = "E0331": "a unit of measure in a mapping is not known",
    UnitArithmetic = "E0332": "an operation is not defined for these units",
    UnhandledQuality = "E0333": "a value whose quality is not known to be good is not handled",
    RecursiveFunction = "E0334": "a function calls itself, directly or through other functions",
    BadTest = "E0335": "a test names something the mapping does not have, or a test value has the wrong type",
    BadTimeArgument = "E0336": "a time format or time zone given to a time function is not valid",
    QualityNotHere = "E0337": "a lookup or target uses an entity whose fields carry a quality",
    UnknownTargetOption = "E0338": "a target's `with` clause names something other than `provenance`",
    BadSourceTime = "E0339": "a source's `time` field is not a required timestamp field of its entity",
    RejectOutsideFlow = "E0340": "`reject` is used where no record can be rejected",
    EveryArmRejects = "E0341": "every arm of a match rejects, so the match gives no value",
    AngleNotStated = "E0342": "a conversion would add or drop an angle that the mapping does not state",
    TemperatureDifference = "E0343": "a temperature difference and a temperature on an offset scale are mixed up",
    IntegerDivisionAsFloat = "E0344": "warning: an integer division's result is used as a float, after its fraction was dropped",
    NoTopic = "E0345": "`source.topic` or `source.levels` is read from a source whose records have no topic",
    TopicLevelNotNamed = "E0346": "a topic level is read that not every topic filter of the source names",
    // Presence tests, filters after bindings, flow-sensitive exhaustiveness (issue 16)
    PresentAlwaysTrue = "E0355": "`present(...)` tests a value that always has one, so it is always true",
    PresentNotAField = "E0356": "`present(...)` is given a value whose absence is not a field left empty",
    ArmExcludedByFilter = "E0357": "warning: a match arm names a code that a filter of the flow has already excluded",

    // Composite lookup keys (issue 16)
    KeyValueCount = "E0350": "a composite lookup key is given a different number of values than it has fields",
    CompositeKeyOneValue = "E0351": "a lookup with a composite key is indexed with one value",
    SingleKeyTuple = "E0352": "a lookup with a single key field is indexed with several values",
    TupleOutsideKey = "E0353": "values in parentheses `(a, b)` are used where no composite lookup key is",

    // Check: `per source` blocks, bindings shared by the flows of one source (issue 16)
    SharedBindingClash = "E0360": "a flow binds a name that its source's `per source` block already binds",
    UnusedSharedBinding = "E0361": "warning: a binding of a `per source` block is read by no flow and cannot reject",
    SharedBindingReadsTarget = "E0362": "a binding of a `per source` block reads a field of a flow's target",
    DuplicatePerSource = "E0363": "a source has more than one `per source` block",

    // Schema: units given by a column (issue 16)
    UnitColumnWithoutUnit = "E0365": "a field with `unit_column:` has no unit of its own to convert to",
    UnitColumnShape = "E0366": "`unit_column:` and `units:` are not given together, or `units:` is not a list of unit names",
    UnitColumnUnknownUnit = "E0367": "a unit in `units:` is not a unit fdi knows",
    UnitColumnDimension = "E0368": "a unit in `units:` measures something else than the field's unit",
    UnitColumnNotText = "E0369": "a field's unit column is a field of the entity that is not `string`",

    // Emit
    InternalEmit = "E0401": "internal compiler error while generating code",

    // Build
    BuildFailed = "E0501": "cargo could not build the generated program",

    // Traceability: graph, lineage, diff
    UnknownLineageTarget = "E0601": "`fdi lineage` names a target the mapping does not declare",
    UnknownLineageField = "E0602": "`fdi lineage` names a field the target's entity does not have",
    BadLineageQuery = "E0603": "the field given to `fdi lineage` is not written TARGET.FIELD",
    GitRevisionUnreadable = "E0604": "`fdi diff --git` cannot read the mapping at a revision",

    // Data: the mapping's data files, where they exist at check time
    DataFileLacksColumn = "E0701": "a data file the mapping reads lacks a column its entity requires",
    // OPC UA NodeSet2 files that type a mapping's nodes
    NodesetUnreadable = "E0702": "the NodeSet2 file of an OPC UA connector cannot be read",
    NodeNotInNodeset = "E0703": "a node or browse path of an OPC UA connector is not in its NodeSet2 file",
    NodeTypeMismatch = "E0704": "an OPC UA node's DataType does not fit the entity's field",
    // OPC UA information models: units and readable browse paths (issue 15)
    NodeUnitMismatch = "E0705": "an OPC UA node's EngineeringUnits are not the unit of the entity's field",
    NodeUnitUnknown = "E0706": "an OPC UA node's EngineeringUnits are a unit fdi does not know",
    AmbiguousBrowseName = "E0707": "a browse name written without a namespace index is in several namespaces of the NodeSets there",
    // MTConnect device models that type a mapping's data items (compiler/src/mtconnect/typing.rs)
    DeviceModelUnreadable = "E0710": "the device model of an MTConnect source cannot be read, or is no MTConnectDevices document",
    DeviceNotInModel = "E0711": "the device an MTConnect source names is not in its device model, or the model has several and none is named",
    DataItemNotInDevice = "E0712": "a data item an MTConnect source reads is not in its device, or names several by a name they share",
    DataItemTypeMismatch = "E0713": "a data item's values do not fit the type or unit of the entity's `value` field",
    VocabularyMismatch = "E0714": "an enum read from a controlled vocabulary has a code the standard lacks, or lacks one the data item may send",
    UnavailableNotQuality = "E0715": "the `value` field of a typed MTConnect source is not declared `quality: true`, so UNAVAILABLE has nowhere to go",
    DeviceModelSkipped = "E0716": "parts of an MTConnect device model do not follow the standard and were read past (a warning)",
    // Connectors and their deployment settings
    BadConnectorOption = "E0801": "a connector option's value is not of the option's type",
    SecretInMapping = "E0802": "a password, token or credential is written in the mapping",
    BadTopicFilter = "E0803": "a topic filter of an MQTT source is not a valid filter",
    // OPC UA connectors
    BadNodeId = "E0804": "an OPC UA node id is not well-formed",
    BadBrowsePath = "E0805": "an OPC UA browse path is not well-formed",
    OpcuaItems = "E0806": "an OPC UA source cannot give its records: it monitors no node or one twice, or its entity reads a field a data change does not have",
    BadOpcuaWrite = "E0807": "an entry of an OPC UA target's `writes` is not `field = node id`",
    UnknownOpcuaField = "E0808": "an OPC UA target writes, or takes a `{field}` from, a field its entity does not have",
    OpcuaIntervalRange = "E0809": "an OPC UA source's sampling or publishing interval is longer than a day",
    // Modbus connectors
    ModbusFieldUnmapped = "E0810": "a field of a Modbus source's or target's entity has no register map",
    ModbusReadOnlyTable = "E0811": "a Modbus target writes a field mapped to input registers or discrete inputs",
    ModbusReadTimeWritten = "E0812": "a Modbus target's entity has a read-time field, which no device holds",
    ModbusSampleTimeFormat = "E0813": "a field of a Modbus source gives its source timestamp a format, but polls write RFC 3339",
    // HTTP
    UnknownPathField = "E0815": "an HTTP target's `path` names a field its entity does not have",
    MalformedHttpOption = "E0816": "an HTTP `path`, `records` path or header name is not well-formed",
    HttpTargetWithoutKey = "E0817": "an HTTP target has no key to make its idempotency keys of",
    BatchedPathWithFields = "E0818": "an HTTP target sends batches to a path that names a record's fields",
    UnknownWatermarkField = "E0819": "an HTTP source's `watermark` is not a field of its entity, `etag` or `last_modified`",
    // Delivery guarantees (docs/delivery.md)
    ReplayNotAbsorbed = "E0820": "an at-least-once flow writes to a target where a record delivered again after a crash is a second record",
    UnknownDelivery = "E0821": "a flow's `delivery` is not a guarantee fdi knows",
    DeliveryDisagrees = "E0822": "the flows of one source state guarantees that acknowledge its positions at different times",
    AtMostOnceRewritten = "E0823": "an at-most-once flow reads a file, read again from its start by every run, into a target that writes a record again",
    EndMayLose = "E0824": "an at-least-once flow reads a source that delivers nothing again after a crash, or writes a target that confirms nothing",
    // MTConnect sources (docs/connectors/mtconnect.md)
    MtconnectDataItems = "E0830": "an MTConnect source names no data item, one twice, or one that is no id or name",
    MtconnectRecordField = "E0831": "an MTConnect source's entity reads a field an observation's record does not have",
    // XML documents (docs/connectors/xml.md)
    MalformedXmlPath = "E0840": "an XML path (a field's `xml:`, an `xml` connector's `records`) is not well-formed",
    XmlPathOffXml = "E0841": "a field says where it is in an XML document (`xml:`), but a source or lookup that is not `xml` reads its entity",
    XmlPathNotWritable = "E0842": "an XML target writes a field whose path selects rather than names an element (`..`, `*`, `//`, a predicate, `count()`)",
    XmlTargetShape = "E0843": "an XML target's `root`, `records` or `header`, or its fields' paths, do not describe a document it can write",
    XmlCountNotInt = "E0844": "a field read with `count(...)` is not an `int`",
    // QIF documents (docs/qif.md)
    QifUnitDiffers = "E0850": "a length or angle field is read from a QIF document whose FileUnits state another unit",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
