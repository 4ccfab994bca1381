//! Node ids as a mapping writes them (`ns=2;s=Spindle.Speed`, `nsu=urn:x;i=7`, `i=2258`) and browse
//! paths from the Objects folder (`/2:Machine/2:Spindle.2:Speed`), resolved on the server: a namespace
//! URI by the server's namespace array, a browse path by TranslateBrowsePathsToNodeIds.

use std::str::FromStr;

use opcua::client::Session;
use opcua::types::{
    AttributeId, BrowsePath, DataChangeFilter, DataChangeTrigger, DeadbandType, ExtensionObject,
    MonitoredItemCreateRequest, MonitoringMode, MonitoringParameters, NodeId, ObjectId,
    ReadValueId, RelativePath,
};

use super::subscription::{MonitoredNode, SubscriptionSpec};

/// A node id's text without a `nsu=` prefix, and that prefix's URI.
fn split_namespace_uri(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("nsu=")?;
    // The identifier starts at the first `;i=`, `;s=`, `;g=` or `;b=`: a URI has no such part.
    let split = ["i=", "s=", "g=", "b="]
        .iter()
        .filter_map(|kind| rest.find(&format!(";{kind}")))
        .min()?;
    Some((&rest[..split], &rest[split + 1..]))
}

/// Parses `text` as a node id, asking the server for the index of a `nsu=` namespace URI.
pub(crate) async fn resolve_node_id(session: &Session, text: &str) -> Result<NodeId, String> {
    let invalid = || {
        format!(
            "{text:?} is not a node id (expected ns=<index>;i=<number>, ns=<index>;s=<text>, \
             g=<guid>, b=<base64>, optionally with nsu=<uri>; instead of ns=)"
        )
    };
    match split_namespace_uri(text) {
        Some((uri, identifier)) => {
            let mut node_id = NodeId::from_str(identifier).map_err(|_| invalid())?;
            let index = session.get_namespace_index(uri).await.map_err(|e| {
                format!("the server has no namespace {uri:?} (in node id {text:?}): {e}")
            })?;
            node_id.namespace = index;
            Ok(node_id)
        }
        None => NodeId::from_str(text).map_err(|_| invalid()),
    }
}

/// Resolves browse paths from the Objects folder to node ids, all in one request.
/// `namespaces[i]`, when there is one, gives for each element of path `i` the URI of its
/// browse name's namespace (empty: the index as written): a name the mapping wrote without an
/// index and the compiler found in that namespace of the NodeSets. The server's namespace
/// array says which index it has on this server, which no NodeSet can know.
pub(crate) async fn resolve_browse_paths(
    session: &Session,
    paths: &[&str],
    namespaces: &[Vec<String>],
) -> Result<Vec<NodeId>, String> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut requests = Vec::with_capacity(paths.len());
    for (at, path) in paths.iter().enumerate() {
        let mut relative_path = RelativePath::try_from(*path).map_err(|e| {
            format!(
                "{path:?} is not a browse path (elements nsIndex:BrowseName, `/` before a \
                 child, `.` before a property or component): {e:?}"
            )
        })?;
        let uris = namespaces.get(at).map_or(&[][..], Vec::as_slice);
        let elements = relative_path.elements.get_or_insert_with(Vec::new);
        for (element, uri) in elements.iter_mut().zip(uris) {
            if uri.is_empty() {
                continue;
            }
            element.target_name.namespace_index =
                session.get_namespace_index(uri).await.map_err(|e| {
                    format!(
                        "the server has no namespace {uri:?}, which browse path {path:?} names \
                         by its NodeSets: {e}"
                    )
                })?;
        }
        requests.push(BrowsePath {
            starting_node: ObjectId::ObjectsFolder.into(),
            relative_path,
        });
    }
    let results = session
        .translate_browse_paths_to_node_ids(&requests)
        .await
        .map_err(|e| format!("TranslateBrowsePathsToNodeIds failed: {e}"))?;
    paths
        .iter()
        .zip(results)
        .map(|(path, result)| {
            if result.status_code.is_bad() {
                return Err(format!(
                    "browse path {path:?} leads to no node from the Objects folder: {}",
                    super::value::status_name(result.status_code)
                ));
            }
            let targets = result.targets.unwrap_or_default();
            match targets.as_slice() {
                [target] => Ok(target.target_id.node_id.clone()),
                [] => Err(format!("browse path {path:?} leads to no node")),
                more => Err(format!(
                    "browse path {path:?} leads to {} nodes; make it name one",
                    more.len()
                )),
            }
        })
        .collect()
}

/// The request for monitored item `index` (its client handle is `index + 1` in the source's own
/// range, see `subscription::client_handle_base`).
pub(crate) fn monitored_item(
    item: &MonitoredNode,
    index: usize,
    spec: &SubscriptionSpec,
) -> MonitoredItemCreateRequest {
    let filter = match spec.deadband {
        None => ExtensionObject::null(),
        Some(deadband) => ExtensionObject::from_message(DataChangeFilter {
            trigger: DataChangeTrigger::StatusValue,
            deadband_type: DeadbandType::Absolute as u32,
            deadband_value: deadband,
        }),
    };
    MonitoredItemCreateRequest {
        item_to_monitor: ReadValueId {
            node_id: item.node_id.clone(),
            attribute_id: AttributeId::Value as u32,
            ..Default::default()
        },
        monitoring_mode: MonitoringMode::Reporting,
        requested_parameters: MonitoringParameters {
            client_handle: spec.handle_base | (index as u32 + 1),
            sampling_interval: spec.sampling_interval.as_secs_f64() * 1000.0,
            filter,
            queue_size: spec.queue_size,
            discard_oldest: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_uri_is_split_from_its_identifier() {
        assert_eq!(
            split_namespace_uri("nsu=urn:plant:cell;s=Spindle.Speed"),
            Some(("urn:plant:cell", "s=Spindle.Speed"))
        );
        assert_eq!(
            split_namespace_uri("nsu=http://x.org/UA/;i=7"),
            Some(("http://x.org/UA/", "i=7"))
        );
        assert_eq!(split_namespace_uri("ns=2;s=A"), None);
    }
}
