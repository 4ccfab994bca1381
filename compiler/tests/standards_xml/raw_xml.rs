//! Reading the raw documents the way a reviewer would, independent of the runtime's paths:
//! elements by local name, text trimmed.

use roxmltree::Node;

/// The document's text, without the byte order mark the Courbon files start with.
pub fn document_text(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("the XML file is readable");
    text.trim_start_matches('\u{feff}').to_string()
}

/// The element children of `node` named `name` (local name).
pub fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of the first child named `name`, if any.
pub fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    children(node, name)
        .next()
        .map(|c| c.text().unwrap_or("").trim().to_string())
}

/// The trimmed text at a chain of child names (`["Quantity", "QuantityString"]`).
pub fn text_at(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    let (last, parents) = names.split_last()?;
    let mut at = node;
    for name in parents {
        at = children(at, name).next()?;
    }
    child_text(at, last)
}

/// Every element below `node` named `name`, in document order.
pub fn descendants<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.descendants()
        .filter(move |d| d.is_element() && d.tag_name().name() == name)
}

/// The value of the property of `node` (an element named `property`) whose ID is `id`.
pub fn property(node: Node<'_, '_>, property: &str, id: &str) -> Option<String> {
    children(node, property)
        .find(|p| child_text(*p, "ID").as_deref() == Some(id))
        .and_then(|p| text_at(p, &["Value", "ValueString"]))
}
