//! Evaluating a parsed [`XmlPath`] over a `roxmltree` document, from a context element.

use roxmltree::Node;

use super::path::{Axis, Expression, Path, Predicate, Step, XmlPath};

/// What a path selects from one context element, as a field's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    /// Nothing: the field is absent.
    Nothing,
    /// The text of the first node selected, and how many were selected in all (more than one:
    /// the others were skipped, which the source reports).
    Text { text: String, count: usize },
}

/// One node a step reached: an element (or the document), or an attribute's value.
#[derive(Debug, Clone, Copy)]
enum Reached<'a, 'input> {
    Node(Node<'a, 'input>),
    /// The element, the attribute's index among its attributes, and its value.
    Attribute(Node<'a, 'input>, usize, &'a str),
}

impl XmlPath {
    /// The text the path selects from `context`: an element's own text (its text children, trimmed
    /// of surrounding whitespace), an attribute's value, or for `count()` the number of nodes.
    pub fn select_text(&self, context: Node<'_, '_>) -> Selected {
        match &self.expression {
            Expression::CountOf(path) => Selected::Text {
                text: reached(path, context).len().to_string(),
                count: 1,
            },
            Expression::Nodes(path) => {
                let found = reached(path, context);
                match found.first() {
                    None => Selected::Nothing,
                    Some(first) => Selected::Text {
                        text: text_of(*first),
                        count: found.len(),
                    },
                }
            }
        }
    }

    /// The elements the path selects from `context`, in document order (attributes are not
    /// elements and are left out): the records of a source.
    pub fn select_elements<'a, 'input>(&self, context: Node<'a, 'input>) -> Vec<Node<'a, 'input>> {
        let (Expression::Nodes(path) | Expression::CountOf(path)) = &self.expression;
        reached(path, context)
            .into_iter()
            .filter_map(|r| match r {
                Reached::Node(node) if node.is_element() => Some(node),
                _ => None,
            })
            .collect()
    }
}

fn text_of(reached: Reached<'_, '_>) -> String {
    match reached {
        Reached::Attribute(_, _, value) => value.to_string(),
        Reached::Node(node) => {
            let text: String = node
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect();
            text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n'))
                .to_string()
        }
    }
}

fn reached<'a, 'input>(path: &Path, context: Node<'a, 'input>) -> Vec<Reached<'a, 'input>> {
    let start = if path.absolute {
        context.document().root()
    } else {
        context
    };
    let mut current = vec![Reached::Node(start)];
    for step in &path.steps {
        let mut next = Vec::new();
        for from in &current {
            if let Reached::Node(node) = from {
                step_from(step, *node, &mut next);
            }
        }
        dedup_in_document_order(&mut next);
        current = next;
        if current.is_empty() {
            break;
        }
    }
    current
}

fn step_from<'a, 'input>(step: &Step, node: Node<'a, 'input>, out: &mut Vec<Reached<'a, 'input>>) {
    let named = |n: &Node<'_, '_>| {
        n.is_element()
            && step
                .name
                .as_deref()
                .is_none_or(|name| n.tag_name().name() == name)
    };
    let kept = |n: &Node<'a, 'input>| named(n) && predicates_hold(&step.predicates, *n);
    match step.axis {
        Axis::Child => out.extend(node.children().filter(kept).map(Reached::Node)),
        Axis::Descendant => out.extend(node.descendants().skip(1).filter(kept).map(Reached::Node)),
        Axis::Parent => out.extend(node.parent_element().map(Reached::Node)),
        Axis::Ancestor => out.extend(node.ancestors().skip(1).filter(kept).map(Reached::Node)),
        // Nearest first, so that a position counts along the axis as XPath's does.
        Axis::PrecedingSibling => along_siblings(step, node.prev_siblings().skip(1), out),
        Axis::FollowingSibling => along_siblings(step, node.next_siblings().skip(1), out),
        Axis::SelfNode => out.push(Reached::Node(node)),
        Axis::Attribute => out.extend(
            node.attributes()
                .enumerate()
                .filter(|(_, a)| step.name.as_deref().is_none_or(|name| a.name() == name))
                .map(|(index, a)| Reached::Attribute(node, index, a.value())),
        ),
    }
}

/// The siblings a sibling step keeps, from `siblings` (nearest first): the predicates apply in
/// order, a position picking among what the ones before it kept.
fn along_siblings<'a, 'input>(
    step: &Step,
    siblings: impl Iterator<Item = Node<'a, 'input>>,
    out: &mut Vec<Reached<'a, 'input>>,
) {
    let mut kept: Vec<Node<'a, 'input>> = siblings
        .filter(|n| {
            n.is_element()
                && step
                    .name
                    .as_deref()
                    .is_none_or(|name| n.tag_name().name() == name)
        })
        .collect();
    for predicate in &step.predicates {
        match predicate {
            Predicate::Position(n) => kept = kept.get(n - 1).copied().into_iter().collect(),
            test => kept.retain(|node| predicates_hold(std::slice::from_ref(test), *node)),
        }
    }
    out.extend(kept.into_iter().map(Reached::Node));
}

fn predicates_hold(predicates: &[Predicate], node: Node<'_, '_>) -> bool {
    predicates.iter().all(|predicate| match predicate {
        Predicate::Test { path, equals } => {
            let found = reached(path, node);
            match equals {
                None => !found.is_empty(),
                Some(literal) => found.into_iter().any(|r| text_of(r) == *literal),
            }
        }
        // Only a sibling step has positions (the parser refuses them elsewhere), and
        // `along_siblings` applies them.
        Predicate::Position(_) => true,
    })
}

/// Several context nodes may reach the same node (`//a//b`, `../x` from siblings): each once, in
/// document order.
fn dedup_in_document_order(reached: &mut Vec<Reached<'_, '_>>) {
    // An element orders before its attributes, which order as written.
    let key = |r: &Reached<'_, '_>| -> (u32, usize) {
        match r {
            Reached::Node(n) => (n.id().get(), 0),
            Reached::Attribute(n, index, _) => (n.id().get(), index + 1),
        }
    };
    if reached.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        return;
    }
    reached.sort_by_key(key);
    reached.dedup_by_key(|r| key(r));
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<r xmlns="urn:a" xmlns:p="urn:b">
      <Order><ID>1</ID><p:Line><ID>1.1</ID><Qty uom="KG"> 5 </Qty><Status><S>FAIL</S></Status></p:Line>
        <Line><ID>1.2</ID><Status><S>PASS</S></Status></Line></Order>
      <Order><ID>2</ID></Order></r>"#;

    fn text(path: &str, context: Node<'_, '_>) -> Selected {
        XmlPath::parse(path).unwrap().select_text(context)
    }

    fn one(text: &str) -> Selected {
        Selected::Text {
            text: text.into(),
            count: 1,
        }
    }

    #[test]
    fn selects_by_local_name_parent_attribute_and_predicate() {
        let doc = roxmltree::Document::parse(DOC).unwrap();
        let lines = XmlPath::parse("Order/Line")
            .unwrap()
            .select_elements(doc.root_element());
        assert_eq!(lines.len(), 2);
        assert_eq!(text("ID", lines[0]), one("1.1"));
        assert_eq!(text("../ID", lines[0]), one("1"));
        assert_eq!(text("ancestor::Order/ID", lines[0]), one("1"));
        assert_eq!(text("ancestor::*[ID]/ID", lines[0]), one("1"));
        assert_eq!(text("Qty", lines[0]), one("5"));
        assert_eq!(text("Qty/@uom", lines[0]), one("KG"));
        assert_eq!(text("Missing", lines[0]), Selected::Nothing);
        let order = doc.root_element().first_element_child().unwrap();
        assert_eq!(text("count(Line[Status/S='FAIL'])", order), one("1"));
        assert_eq!(text("count(*[Status])", order), one("2"));
        assert_eq!(
            text("Line/ID", order),
            Selected::Text {
                text: "1.1".into(),
                count: 2
            }
        );
        assert_eq!(
            text("//ID", doc.root()),
            Selected::Text {
                text: "1".into(),
                count: 4
            }
        );
        let records = XmlPath::parse("//Line//..").map(|_| ());
        assert!(records.is_err());
        assert_eq!(
            text("/r/Order/ID", lines[1]),
            Selected::Text {
                text: "1".into(),
                count: 2
            }
        );
    }

    #[test]
    fn a_sibling_axis_counts_positions_nearest_first() {
        const LIST: &str = r#"<m xmlns="urn:q"><A id="1"><I>15</I></A><B id="2"><I>15</I></B>
            <A id="3"><I>25</I></A><B id="4"><I>25</I></B></m>"#;
        let doc = roxmltree::Document::parse(LIST).unwrap();
        let items: Vec<_> = doc
            .root_element()
            .children()
            .filter(Node::is_element)
            .collect();
        assert_eq!(text("preceding-sibling::*[1]/I", items[1]), one("15"));
        assert_eq!(text("preceding-sibling::*[1]/@id", items[2]), one("2"));
        assert_eq!(text("preceding-sibling::A[1]/@id", items[3]), one("3"));
        assert_eq!(
            text("preceding-sibling::*[I='15'][2]/@id", items[3]),
            one("1")
        );
        assert_eq!(
            text("preceding-sibling::*[1]/I", items[0]),
            Selected::Nothing
        );
        assert_eq!(text("following-sibling::*[1]/@id", items[0]), one("2"));
        assert_eq!(text("following-sibling::B[2]/@id", items[0]), one("4"));
        assert_eq!(text("count(preceding-sibling::*)", items[3]), one("3"));
        // Without a position, the nodes are in document order and the first is read.
        assert_eq!(
            text("preceding-sibling::*/@id", items[2]),
            Selected::Text {
                text: "1".into(),
                count: 2
            }
        );
    }
}
