//! Sparkplug B topics: `spBv1.0/<group>/<message type>/<edge node>[/<device>]`, and the host
//! application's `spBv1.0/STATE/<host id>`.

use std::fmt;

/// The first level of every Sparkplug B topic.
pub const NAMESPACE: &str = "spBv1.0";

/// The kind of a Sparkplug message, the third level of its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    NodeBirth,
    NodeData,
    NodeDeath,
    DeviceBirth,
    DeviceData,
    DeviceDeath,
    NodeCommand,
    DeviceCommand,
}

const MESSAGE_TYPES: [MessageType; 8] = [
    MessageType::NodeBirth,
    MessageType::NodeData,
    MessageType::NodeDeath,
    MessageType::DeviceBirth,
    MessageType::DeviceData,
    MessageType::DeviceDeath,
    MessageType::NodeCommand,
    MessageType::DeviceCommand,
];

impl MessageType {
    /// As the topic spells it: `NBIRTH`, `DDATA`, …
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NodeBirth => "NBIRTH",
            MessageType::NodeData => "NDATA",
            MessageType::NodeDeath => "NDEATH",
            MessageType::DeviceBirth => "DBIRTH",
            MessageType::DeviceData => "DDATA",
            MessageType::DeviceDeath => "DDEATH",
            MessageType::NodeCommand => "NCMD",
            MessageType::DeviceCommand => "DCMD",
        }
    }

    /// Whether the topic names a device (DBIRTH, DDATA, DDEATH, DCMD).
    pub fn is_device(self) -> bool {
        matches!(
            self,
            MessageType::DeviceBirth
                | MessageType::DeviceData
                | MessageType::DeviceDeath
                | MessageType::DeviceCommand
        )
    }

    fn parse(text: &str) -> Option<MessageType> {
        MESSAGE_TYPES.iter().copied().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The edge node a message is about: its group and its id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeNodeId {
    pub group: String,
    pub edge_node: String,
}

impl fmt::Display for EdgeNodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.group, self.edge_node)
    }
}

/// A parsed Sparkplug B topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// A message of an edge node or of one of its devices.
    Message {
        message_type: MessageType,
        node: EdgeNodeId,
        device: Option<String>,
    },
    /// A host application's birth or death (`spBv1.0/STATE/<host id>`, Sparkplug 3.0).
    HostState { host_id: String },
}

/// Why a topic is not a Sparkplug B topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicError {
    pub topic: String,
    pub reason: String,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a Sparkplug B topic: {}",
            self.topic, self.reason
        )
    }
}

impl std::error::Error for TopicError {}

impl Topic {
    /// Parses a topic a message arrived on.
    pub fn parse(topic: &str) -> Result<Topic, TopicError> {
        let error = |reason: String| TopicError {
            topic: topic.to_string(),
            reason,
        };
        let levels: Vec<&str> = topic.split('/').collect();
        if levels[0] != NAMESPACE {
            return Err(error(format!(
                "it starts with `{}`, not `{NAMESPACE}/`",
                levels[0]
            )));
        }
        if let Some(empty) = levels.iter().position(|level| level.is_empty()) {
            return Err(error(format!("its level {} is empty", empty + 1)));
        }
        if let Some(wild) = levels.iter().find(|l| l.contains(['+', '#'])) {
            return Err(error(format!(
                "`{wild}` holds a wildcard, which names no edge node or device"
            )));
        }
        if levels.get(1) == Some(&"STATE") {
            return match levels.as_slice() {
                [_, _, host_id] => Ok(Topic::HostState {
                    host_id: host_id.to_string(),
                }),
                _ => Err(error(format!(
                    "a STATE topic is `{NAMESPACE}/STATE/<host id>`, with 3 levels, not {}",
                    levels.len()
                ))),
            };
        }
        if levels.len() < 4 {
            return Err(error(format!(
                "it has {} levels; a Sparkplug topic is `{NAMESPACE}/<group>/<message type>/<edge \
                 node>[/<device>]`",
                levels.len()
            )));
        }
        let message_type = MessageType::parse(levels[2]).ok_or_else(|| {
            let known: Vec<&str> = MESSAGE_TYPES.iter().map(|t| t.as_str()).collect();
            error(format!(
                "`{}` is not a message type ({}, or STATE as the group for a host's state)",
                levels[2],
                known.join(", ")
            ))
        })?;
        let device = match (message_type.is_device(), levels.len()) {
            (false, 4) => None,
            (true, 5) => Some(levels[4].to_string()),
            (false, n) => {
                return Err(error(format!(
                    "a {message_type} topic names an edge node and no device: 4 levels, not {n}"
                )))
            }
            (true, 4) => {
                return Err(error(format!(
                "a {message_type} topic names a device as its fifth level, and this one has none"
            )))
            }
            (true, n) => {
                return Err(error(format!(
                    "a {message_type} topic has 5 levels (the last names the device), not {n}"
                )))
            }
        };
        Ok(Topic::Message {
            message_type,
            node: EdgeNodeId {
                group: levels[1].to_string(),
                edge_node: levels[3].to_string(),
            },
            device,
        })
    }

    /// The topic of a message of `node` (and `device` for the device message types).
    pub fn message(message_type: MessageType, node: &EdgeNodeId, device: Option<&str>) -> String {
        match device {
            Some(device) => format!(
                "{NAMESPACE}/{}/{message_type}/{}/{device}",
                node.group, node.edge_node
            ),
            None => format!(
                "{NAMESPACE}/{}/{message_type}/{}",
                node.group, node.edge_node
            ),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Message {
                message_type,
                node,
                device,
            } => f.write_str(&Topic::message(*message_type, node, device.as_deref())),
            Topic::HostState { host_id } => write!(f, "{NAMESPACE}/STATE/{host_id}"),
        }
    }
}
