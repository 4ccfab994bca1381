//! The connector table: every kind of source, lookup, target and dead letter a mapping can name,
//! with its options, their types and defaults. The checker (`check.rs` here), the emitter and
//! the docs (`docs/connectors.md`, checked against [`markdown_table`]) all read this one table,
//! so a connector is described once.

mod check;
pub mod record_keys;
mod replay;
mod topics;

pub use self::check::{check_connector, text_items, Checked, OptionValue};
pub use self::replay::{markdown_delivery_table, SourceReplay, TargetRewrite};

/// What a declaration uses a connector for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Source,
    Lookup,
    Target,
    DeadLetter,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Lookup => "lookup",
            Role::Target => "target",
            Role::DeadLetter => "dead letter",
        }
    }
}

/// Whether a connector names a file (its first, unnamed argument) or a connection of the
/// deployment settings (its `connection:` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    File,
    Connection,
}

/// The type of an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    Text,
    /// A whole number in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// `500ms`, `30s`, `5min`, `2h`, `1d`.
    Duration,
    /// One of these words, as text.
    Choice(&'static [&'static str]),
    /// A list of texts; a single text is a list of one.
    TextList,
    /// A list of MQTT topic filters, whose wildcards may name their level (`plant/+line/#`); a
    /// single filter is a list of one.
    TopicFilters,
    /// A text that is one MQTT topic level: not empty, no `/`, `+` or `#` (a Sparkplug id).
    TopicLevel,
    /// A number of 0 or more, whole or not (`0.5`): an OPC UA deadband.
    Number,
}

impl OptionType {
    pub fn describe(self) -> String {
        match self {
            OptionType::Text => "text".into(),
            OptionType::Int { min, max } => format!("a whole number from {min} to {max}"),
            OptionType::Bool => "`true` or `false`".into(),
            OptionType::Duration => "a duration such as `500ms`, `30s` or `5min`".into(),
            OptionType::Choice(words) => {
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
            OptionType::TextList => "a text or a list of texts".into(),
            OptionType::TopicFilters => "a topic filter or a list of them".into(),
            OptionType::TopicLevel => "one topic level: text without `/`, `+` or `#`".into(),
            OptionType::Number => "a number of 0 or more, such as `0.5`".into(),
        }
    }
}

/// One option of a connector.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    pub name: &'static str,
    pub ty: OptionType,
    /// The value when the option is not given, as it would be written; `None`: required in the
    /// roles that take it.
    pub default: Option<&'static str>,
    /// The roles the option applies to.
    pub roles: &'static [Role],
    pub doc: &'static str,
    /// `Some((option, value))`: the option applies only when that other option has that value
    /// (an MQTT target's `topic` only when its `payload` is `"json"`). Given otherwise, it is an
    /// error; required, it is required only then.
    pub when: Option<(&'static str, &'static str)>,
}

/// One kind of connector.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorSpec {
    pub kind: &'static str,
    pub roles: &'static [Role],
    pub location: Location,
    pub options: &'static [OptionSpec],
    /// As a source, it never ends: a program reading it is a service.
    pub endless: bool,
    /// The runtime's cargo feature the generated program enables for it.
    pub feature: Option<&'static str>,
    /// `(option, value, feature)`: an option's value that needs a runtime feature of its own
    /// beside `feature` (an MQTT payload of Sparkplug B needs the codec).
    pub value_features: &'static [(&'static str, &'static str, &'static str)],
    pub doc: &'static str,
    /// As a source: what it delivers again after a crash (docs/delivery.md).
    pub replay: SourceReplay,
    /// As a target: what a record written a second time does there (docs/delivery.md).
    pub rewrite: TargetRewrite,
    /// As a target, whether its records go through a store-and-forward queue on disk (see
    /// `fdi_runtime::queue`): a target the business and OT systems behind a network are, whose outage must
    /// not stop the sources. The emitter opens such a target with the runtime's `queued_*` function. Not a
    /// machine's setpoints (OPC UA, Modbus): one delivered hours late can be worse than none, so a write to
    /// a machine that is away holds the sources back instead (back-pressure).
    pub queued: bool,
}

impl ConnectorSpec {
    /// The options that apply to `role`.
    pub fn options_for(&self, role: Role) -> impl Iterator<Item = &'static OptionSpec> + '_ {
        self.options.iter().filter(move |o| o.roles.contains(&role))
    }
}

const SOURCE_TARGET: &[Role] = &[Role::Source, Role::Target];
const SOURCE: &[Role] = &[Role::Source];
const TARGET: &[Role] = &[Role::Target];

const CONNECTION: OptionSpec = OptionSpec {
    name: "connection",
    ty: OptionType::Text,
    default: None,
    roles: SOURCE_TARGET,
    doc: "the connection's name in the deployment settings (`--config`, `FDI_...`), which hold its address and credentials",
    when: None,
};

/// Every cargo feature of the runtime some connector needs, each once, in table order:
/// `fdi build --all-connectors` compiles the runtime with all of them.
pub fn all_runtime_features() -> Vec<&'static str> {
    let mut features = Vec::new();
    for spec in CONNECTORS {
        let by_value = spec.value_features.iter().map(|(_, _, feature)| *feature);
        for feature in spec.feature.into_iter().chain(by_value) {
            if !features.contains(&feature) {
                features.push(feature);
            }
        }
    }
    features
}

/// Every connector, in the order the docs list them.
pub const CONNECTORS: &[ConnectorSpec] = &[
    ConnectorSpec {
        kind: "csv",
        roles: &[Role::Source, Role::Lookup],
        location: Location::File,
        options: &[],
        endless: false,
        feature: None,
        value_features: &[],
        doc: "a CSV file with a header row",
        replay: SourceReplay::FromStart,
        rewrite: TargetRewrite::NotATarget,
        queued: false,
    },
    ConnectorSpec {
        kind: "jsonl",
        roles: &[Role::Source, Role::Lookup, Role::Target, Role::DeadLetter],
        location: Location::File,
        options: &[],
        endless: false,
        feature: None,
        value_features: &[],
        doc: "a JSON Lines file: one JSON object per line",
        replay: SourceReplay::FromStart,
        rewrite: TargetRewrite::AppendedTruncatedByBatch,
        queued: false,
    },
    ConnectorSpec {
        kind: "sqlite",
        roles: TARGET,
        location: Location::File,
        options: &[OptionSpec {
            name: "table",
            ty: OptionType::Text,
            default: None,
            roles: TARGET,
            doc: "the table written (created if missing), upserted on the target's key",
            when: None,
        }],
        endless: false,
        feature: None,
        value_features: &[],
        doc: "an SQLite database file",
        replay: SourceReplay::NotASource,
        rewrite: TargetRewrite::UpsertedOnKey,
        queued: false,
    },
    ConnectorSpec {
        kind: "xml",
        roles: &[Role::Source, Role::Lookup, Role::Target],
        location: Location::File,
        options: &[
            OptionSpec {
                name: "records",
                ty: OptionType::Text,
                default: None,
                roles: &[Role::Source, Role::Lookup, Role::Target],
                doc: "the elements that are records: read, a path matched anywhere in the document (`ProductionSchedule/ProductionRequest`; from the root when it starts with `/`); written, the path below `root` of each record's element. Each field's place in it is its `xml:` path in the schema (docs/connectors/xml.md)",
                when: None,
            },
            OptionSpec {
                name: "root",
                ty: OptionType::Text,
                default: None,
                roles: TARGET,
                doc: "the written document's root element (`OperationsPerformance`)",
                when: None,
            },
            OptionSpec {
                name: "namespace",
                ty: OptionType::Text,
                default: Some(""),
                roles: TARGET,
                doc: "the namespace of the written elements (`http://www.mesa.org/xml/B2MML`); none when left out",
                when: None,
            },
            OptionSpec {
                name: "header",
                ty: OptionType::TextList,
                default: Some(""),
                roles: TARGET,
                doc: "elements written under the root before the records, each `Path=text` (`\"ID=PERF-0001\"`)",
                when: None,
            },
        ],
        endless: false,
        feature: Some("xml"),
        value_features: &[],
        doc: "an XML document (B2MML, QIF...): read whole, a record per selected element; written as one document (a batch run) or one per checkpoint (a service)",
        replay: SourceReplay::FromStart,
        rewrite: TargetRewrite::DocumentRewritten,
        queued: false,
    },
    ConnectorSpec {
        kind: "mqtt",
        roles: SOURCE_TARGET,
        location: Location::Connection,
        options: &[
            CONNECTION,
            OptionSpec {
                name: "topics",
                ty: OptionType::TopicFilters,
                default: None,
                roles: SOURCE,
                doc: "the topic filters subscribed to (`+` one level, `#` the rest); `+line` names its level, which the mapping reads as `source.levels.line` (docs/connectors/mqtt.md)",
                when: None,
            },
            OptionSpec {
                name: "payload",
                ty: OptionType::Choice(&["json", "sparkplug_b"]),
                default: Some("json"),
                roles: SOURCE_TARGET,
                doc: "a source: how a message's bytes are read: one JSON object, one record; or a Sparkplug B payload, each metric of a birth or data message one record. A target: each record published as one JSON object; or the program is a Sparkplug B edge node, each record one NDATA (DDATA with a device) whose metrics are its fields (docs/connectors/mqtt.md)",
                when: None,
            },
            OptionSpec {
                name: "metrics",
                ty: OptionType::TextList,
                default: Some(""),
                roles: SOURCE,
                doc: "the Sparkplug B metrics that become records, by name or folder (`Folder/*`); all when left out",
                when: Some(("payload", "sparkplug_b")),
            },
            OptionSpec {
                name: "topic",
                ty: OptionType::Text,
                default: None,
                roles: TARGET,
                doc: "the topic published to; `{field}` is replaced by the record's field",
                when: Some(("payload", "json")),
            },
            OptionSpec {
                name: "group_id",
                ty: OptionType::TopicLevel,
                default: None,
                roles: TARGET,
                doc: "the Sparkplug group of the edge node the program is",
                when: Some(("payload", "sparkplug_b")),
            },
            OptionSpec {
                name: "edge_node_id",
                ty: OptionType::TopicLevel,
                default: None,
                roles: TARGET,
                doc: "the id of the edge node the program is; its births, data and death go to `spBv1.0/<group_id>/<type>/<edge_node_id>`",
                when: Some(("payload", "sparkplug_b")),
            },
            OptionSpec {
                name: "device_id",
                ty: OptionType::TopicLevel,
                default: Some(""),
                roles: TARGET,
                doc: "a device of the edge node whose DBIRTH and DDATA carry the records; none: the node's own NBIRTH and NDATA do",
                when: Some(("payload", "sparkplug_b")),
            },
            OptionSpec {
                name: "qos",
                ty: OptionType::Int { min: 0, max: 1 },
                default: Some("1"),
                roles: SOURCE_TARGET,
                doc: "0: at most once; 1: at least once (acknowledged only when durable)",
                when: None,
            },
            OptionSpec {
                name: "retain",
                ty: OptionType::Bool,
                default: Some("false"),
                roles: TARGET,
                doc: "whether the broker keeps the last record of each topic for new subscribers",
                when: Some(("payload", "json")),
            },
        ],
        endless: true,
        feature: Some("mqtt"),
        value_features: &[("payload", "sparkplug_b", "sparkplug")],
        doc: "an MQTT broker: a persistent session with acknowledgements sent once records are durable",
        replay: SourceReplay::Unacknowledged {
            unless: Some(("qos", "0")),
        },
        rewrite: TargetRewrite::PublishedAgain {
            unconfirmed: Some(("qos", "0")),
        },
        queued: true,
    },
    ConnectorSpec {
        kind: "postgres",
        roles: SOURCE_TARGET,
        location: Location::Connection,
        options: &[
            CONNECTION,
            OptionSpec {
                name: "table",
                ty: OptionType::Text,
                default: None,
                roles: SOURCE_TARGET,
                doc: "the table read, or written (created if missing, upserted on the target's key)",
                when: None,
            },
            OptionSpec {
                name: "watermark",
                ty: OptionType::Text,
                default: None,
                roles: SOURCE,
                doc: "the ever-increasing column (an id or a timestamp) the source reads on from",
                when: None,
            },
            OptionSpec {
                name: "tiebreaker",
                ty: OptionType::Text,
                default: Some(""),
                roles: SOURCE,
                doc: "a unique column that orders rows with the same watermark (e.g. the primary key); not needed when the watermark is unique",
                when: None,
            },
            OptionSpec {
                name: "poll_interval",
                ty: OptionType::Duration,
                default: Some("1s"),
                roles: SOURCE,
                doc: "how often the table is asked for new rows when the last ask found none",
                when: None,
            },
            OptionSpec {
                name: "page",
                ty: OptionType::Int { min: 1, max: 100_000 },
                default: Some("1000"),
                roles: SOURCE,
                doc: "rows read per query",
                when: None,
            },
            OptionSpec {
                name: "numeric",
                ty: OptionType::TextList,
                default: Some(""),
                roles: TARGET,
                doc: "`float` fields kept as `numeric` columns, each value the shortest decimal that reads back as it (a value rounded to cents is stored as those cents)",
                when: None,
            },
        ],
        endless: true,
        feature: Some("postgres"),
        value_features: &[],
        doc: "a PostgreSQL database",
        replay: SourceReplay::Unacknowledged { unless: None },
        rewrite: TargetRewrite::UpsertedOnKey,
        queued: true,
    },
    ConnectorSpec {
        kind: "http",
        roles: SOURCE_TARGET,
        location: Location::Connection,
        options: &[
            CONNECTION,
            OptionSpec {
                name: "path",
                ty: OptionType::Text,
                default: Some(""),
                roles: SOURCE_TARGET,
                doc: "appended to the connection's `base_url`; a target's may name the record's fields (`/orders/{order_id}`), a source's may hold `{watermark}`, the last watermark read (`/orders?since={watermark}`)",
                when: None,
            },
            OptionSpec {
                name: "method",
                ty: OptionType::Choice(&["POST", "PUT"]),
                default: Some("POST"),
                roles: TARGET,
                doc: "how each request sends its record(s)",
                when: None,
            },
            OptionSpec {
                name: "batch",
                ty: OptionType::Int { min: 1, max: 10_000 },
                default: Some("1"),
                roles: TARGET,
                doc: "1: one record per request, a JSON object; more: up to that many records per request, a JSON array (a refused batch is sent again one record at a time, docs/connectors/http.md)",
                when: None,
            },
            OptionSpec {
                name: "idempotency_key",
                ty: OptionType::Text,
                default: Some("Idempotency-Key"),
                roles: TARGET,
                doc: "the header that carries each request's idempotency key, made of the values of the target's `key` fields",
                when: None,
            },
            OptionSpec {
                name: "records",
                ty: OptionType::Text,
                default: Some(""),
                roles: SOURCE,
                doc: "where the array of records is in the JSON document, keys separated by dots (`data.items`); none: the document is the array",
                when: None,
            },
            OptionSpec {
                name: "watermark",
                ty: OptionType::Text,
                default: None,
                roles: SOURCE,
                doc: "what the source remembers to read on from: a field of the records whose values grow (an id, an instant), or `etag` or `last_modified` to read each new version of the document once",
                when: None,
            },
            OptionSpec {
                name: "poll_interval",
                ty: OptionType::Duration,
                default: Some("5s"),
                roles: SOURCE,
                doc: "how long the source waits after a response without new records",
                when: None,
            },
        ],
        endless: true,
        feature: Some("http"),
        value_features: &[],
        doc: "an HTTP endpoint of JSON (a REST API of an MES or ERP): records posted, or polled",
        replay: SourceReplay::Unacknowledged { unless: None },
        rewrite: TargetRewrite::IdempotencyKey,
        queued: true,
    },
    ConnectorSpec {
        kind: "opcua",
        roles: SOURCE_TARGET,
        location: Location::Connection,
        options: &[
            CONNECTION,
            OptionSpec {
                name: "nodes",
                ty: OptionType::TextList,
                default: Some(""),
                roles: SOURCE,
                doc: "the monitored items by node id (`ns=2;s=Spindle.Speed`, `ns=3;i=1001`, `nsu=urn:x;g=...`, `i=2258`); each data change is one record. At least one of `nodes` and `browse_paths`",
                when: None,
            },
            OptionSpec {
                name: "browse_paths",
                ty: OptionType::TextList,
                default: Some(""),
                roles: SOURCE,
                doc: "the monitored items by browse path from the Objects folder (`/2:Machine/2:Spindle.2:Speed`: `/` follows a hierarchical reference, `.` a component or property); with `nodeset:`, names may be written without namespace indices (`/Machine/Spindle.Speed`), each found in the NodeSets' namespaces and its index asked of the server",
                when: None,
            },
            OptionSpec {
                name: "sampling_interval",
                ty: OptionType::Duration,
                default: Some("0ms"),
                roles: SOURCE,
                doc: "how often the server samples each item, at most `1d`; `0ms`: the server's fastest, every change of a value it reports by exception",
                when: None,
            },
            OptionSpec {
                name: "publishing_interval",
                ty: OptionType::Duration,
                default: Some("100ms"),
                roles: SOURCE,
                doc: "how often the server sends the queued data changes, at most `1d`",
                when: None,
            },
            OptionSpec {
                name: "queue_size",
                ty: OptionType::Int { min: 1, max: 65_535 },
                default: Some("100"),
                roles: SOURCE,
                doc: "the data changes the server keeps per item between two publishes; beyond it the server drops the oldest",
                when: None,
            },
            OptionSpec {
                name: "deadband",
                ty: OptionType::Number,
                default: Some(""),
                roles: SOURCE,
                doc: "an absolute deadband: a numeric value is reported only when it moved more than this since the last one reported; none: every change",
                when: None,
            },
            OptionSpec {
                name: "nodeset",
                ty: OptionType::TextList,
                default: Some(""),
                roles: SOURCE_TARGET,
                doc: "a NodeSet2 XML file (relative to the mapping), or a list of them, that types the items or written nodes: a node not in them, or a DataType that does not fit the entity's field, is a compile error. `ns=N` is read in the first file's namespace table; the others (companion specifications) complete it by namespace URI",
                when: None,
            },
            OptionSpec {
                name: "namespaces",
                ty: OptionType::TextList,
                default: Some(""),
                roles: SOURCE_TARGET,
                doc: "the server's namespace URIs from index 1, for `nodeset`: `ns=N` and a browse name's `N:` name the N-th, which is looked up in the NodeSet by its URI; none: the first NodeSet file's own table",
                when: None,
            },
            OptionSpec {
                name: "writes",
                ty: OptionType::TextList,
                default: None,
                roles: TARGET,
                doc: "`field = node id` each: the record's field written to the node; `{field}` in the node id is the record's field (`upper = ns=2;s=Station{station}.UpperLimit`)",
                when: None,
            },
            OptionSpec {
                name: "read_back",
                ty: OptionType::Bool,
                default: Some("false"),
                roles: TARGET,
                doc: "read each written node back once the server confirmed the write; a different value is a reject",
                when: None,
            },
        ],
        endless: true,
        feature: Some("opcua"),
        value_features: &[],
        doc: "an OPC UA server: a subscription whose data changes are records, or records written to nodes, each write confirmed by the server (docs/connectors/opcua.md)",
        replay: SourceReplay::Unacknowledged { unless: None },
        rewrite: TargetRewrite::Overwritten,
        queued: false,
    },
    ConnectorSpec {
        kind: "modbus",
        roles: SOURCE_TARGET,
        location: Location::Connection,
        options: &[
            CONNECTION,
            OptionSpec {
                name: "unit_id",
                ty: OptionType::Int { min: 0, max: 255 },
                default: Some("1"),
                roles: SOURCE_TARGET,
                doc: "the unit (slave id) addressed behind the connection's host and port; a gateway passes it on to a serial device",
                when: None,
            },
            OptionSpec {
                name: "poll_interval",
                ty: OptionType::Duration,
                default: Some("1s"),
                roles: SOURCE,
                doc: "how often every field of the entity's register map is read (in as few requests as the map allows)",
                when: None,
            },
            OptionSpec {
                name: "emit",
                ty: OptionType::Choice(&["poll", "change"]),
                default: Some("poll"),
                roles: SOURCE,
                doc: "`\"poll\"`: a record per poll; `\"change\"`: a record only when a value differs from the last record's",
                when: None,
            },
        ],
        endless: true,
        feature: Some("modbus"),
        value_features: &[],
        doc: "a Modbus TCP device, read and written by the register map of the entity's fields (`modbus:` in the schema); a target writes every field to its holding registers or coils, each write confirmed by the device",
        replay: SourceReplay::Nothing,
        rewrite: TargetRewrite::Overwritten,
        queued: false,
    },
    // MTConnect (docs/connectors/mtconnect.md): an agent polled over HTTP, an adapter's SHDR
    // stream recorded in a file, or read live over TCP. The options after `connection` are the
    // three's common ones (MTCONNECT_COMMON).
    ConnectorSpec {
        kind: "mtconnect",
        roles: SOURCE,
        location: Location::Connection,
        options: &[
            CONNECTION,
            MTCONNECT_DEVICES,
            MTCONNECT_DEVICE,
            MTCONNECT_DATA_ITEMS,
            OptionSpec {
                name: "poll_interval",
                ty: OptionType::Duration,
                default: Some("1s"),
                roles: SOURCE,
                doc: "how long the source waits after a `/sample` that brought nothing new",
                when: None,
            },
            OptionSpec {
                name: "count",
                ty: OptionType::Int { min: 1, max: 100_000 },
                default: Some("1000"),
                roles: SOURCE,
                doc: "the `count` of each `/sample`: observations asked for per request",
                when: None,
            },
        ],
        endless: true,
        feature: Some("mtconnect"),
        value_features: &[],
        doc: "an MTConnect agent polled over HTTP (`/probe`, `/current`, `/sample`): each observation of the data items selected is one record, read on from the agent's next sequence, gaps and restarts reported (docs/connectors/mtconnect.md)",
        replay: SourceReplay::Unacknowledged { unless: None },
        rewrite: TargetRewrite::NotATarget,
        queued: false,
    },
    ConnectorSpec {
        kind: "shdr",
        roles: SOURCE,
        location: Location::File,
        options: &[MTCONNECT_DEVICES, MTCONNECT_DEVICE, MTCONNECT_DATA_ITEMS],
        endless: false,
        feature: Some("mtconnect"),
        value_features: &[],
        doc: "a recorded MTConnect adapter stream (SHDR: lines of a timestamp, then keys and values, separated by bars): each observation of the data items selected is one record (docs/connectors/mtconnect.md)",
        replay: SourceReplay::FromStart,
        rewrite: TargetRewrite::NotATarget,
        queued: false,
    },
    ConnectorSpec {
        kind: "mtconnect_adapter",
        roles: SOURCE,
        location: Location::Connection,
        options: &[
            CONNECTION,
            MTCONNECT_DEVICES,
            MTCONNECT_DEVICE,
            MTCONNECT_DATA_ITEMS,
        ],
        endless: true,
        feature: Some("mtconnect"),
        value_features: &[],
        doc: "an MTConnect adapter's live SHDR stream over TCP (the connection's `host` and `port`), pinged as an agent pings it (`* PING`, heartbeats after its `* PONG`): each observation of the data items selected is one record (docs/connectors/mtconnect.md)",
        replay: SourceReplay::Nothing,
        rewrite: TargetRewrite::NotATarget,
        queued: false,
    },
];

/// `devices:` of the MTConnect sources.
const MTCONNECT_DEVICES: OptionSpec = OptionSpec {
    name: "devices",
    ty: OptionType::TextList,
    default: Some(""),
    roles: SOURCE,
    doc: "the device model (`Devices.xml`, an MTConnectDevices probe document), relative to the mapping, or a list of them: each data item read is checked against it and its records carry its id, name, category, type, sub-type and units; none: the source is untyped",
    when: None,
};

/// `device:` of the MTConnect sources.
const MTCONNECT_DEVICE: OptionSpec = OptionSpec {
    name: "device",
    ty: OptionType::Text,
    default: Some(""),
    roles: SOURCE,
    doc: "the device's `name` (or `uuid`) in the model; not needed when the model has one device",
    when: None,
};

/// `data_items:` of the MTConnect sources.
const MTCONNECT_DATA_ITEMS: OptionSpec = OptionSpec {
    name: "data_items",
    ty: OptionType::TextList,
    default: None,
    roles: SOURCE,
    doc: "the data items read, each by its `id` or `name` (an SHDR key is either, as for an agent); the observations of others are not records",
    when: None,
};

/// The connector of kind `kind`.
pub fn spec(kind: &str) -> Option<&'static ConnectorSpec> {
    CONNECTORS.iter().find(|c| c.kind == kind)
}

/// The table as markdown, for `docs/connectors.md` (a test keeps the two the same).
pub fn markdown_table() -> String {
    let mut out = String::from("| connector | for | names | option | type | default | meaning |\n|---|---|---|---|---|---|---|\n");
    for c in CONNECTORS {
        let roles: Vec<&str> = c.roles.iter().map(|r| r.describe()).collect();
        let location = match c.location {
            Location::File => "a file",
            Location::Connection => "a connection",
        };
        let queued = if c.queued {
            "; as a target, store and forward: its records queue on disk while it is unreachable (docs/deploy.md)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{}` | {} | {location} | | | | {}{queued} |\n",
            c.kind,
            roles.join(", "),
            c.doc
        ));
        for o in c.options {
            let mut roles: Vec<String> = o.roles.iter().map(|r| r.describe().to_string()).collect();
            if let Some((option, value)) = o.when {
                roles = vec![format!("{} with `{option}: \"{value}\"`", roles.join(", "))];
            }
            let default = match o.default {
                None => "required".to_string(),
                Some("") => "none".to_string(),
                Some(value) => match o.ty {
                    OptionType::Text | OptionType::TopicLevel | OptionType::Choice(_) => {
                        format!("`\"{value}\"`")
                    }
                    _ => format!("`{value}`"),
                },
            };
            out.push_str(&format!(
                "| | {} | | `{}` | {} | {default} | {} |\n",
                roles.join(", "),
                o.name,
                o.ty.describe(),
                o.doc
            ));
        }
    }
    out.push_str(&markdown_delivery_table());
    out
}
