//! What a QIF 3.0 results document and its plan say, read here with `roxmltree` and plain
//! tree walking, independently of the `xml` connector's path language and of the mapping: the
//! expectations the tests compare the generated program's outputs with.
//!
//! The joins are the ones QIF defines: a measurement names its characteristic item and its
//! feature measurements by QIF id, a MeasurementResults its ActualComponent by QIF id, and an
//! item of the results document is the plan's item of the same name (these samples do not
//! reference their plan; they repeat its characteristics under their own ids).

use std::collections::HashMap;
use std::path::Path;

use roxmltree::{Document, Node};

/// One `...CharacteristicMeasurement` element, with what its plan says about its characteristic.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub id: u64,
    /// The line of the document the element starts on (1-based).
    pub line: u64,
    pub characteristic_name: String,
    /// `Value` as written.
    pub value: f64,
    pub status: String,
    /// Not the first measurement of its item and features in its part's results: CheckMate's
    /// second point-profile result.
    pub repeat: bool,
    /// The part's serial number, if its ActualComponent has one.
    pub serial: Option<String>,
    pub nominal: Option<f64>,
    pub tolerance_zone: Option<f64>,
    pub tolerance_min: Option<f64>,
    pub tolerance_max: Option<f64>,
}

/// One MeasurementResults: the inspection of one part.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub serial: Option<String>,
    pub status: String,
    pub measurements: Vec<Measurement>,
}

impl Inspection {
    /// Measurements whose status is FAIL, repeats included: as the file has them.
    pub fn failed(&self) -> usize {
        self.measurements
            .iter()
            .filter(|m| m.status == "FAIL")
            .count()
    }
}

#[derive(Debug, Clone)]
pub struct Results {
    pub qpid: String,
    pub plan_qpid: String,
    /// `FileUnits/PrimaryUnits/LinearUnit/UnitName` of the results document.
    pub length_unit: String,
    /// `Results/InspectionTraceability/ReportPreparationDate`, as written (GMT, no offset).
    pub report_date: String,
    pub inspections: Vec<Inspection>,
}

impl Results {
    /// Every measurement, in document order.
    pub fn measurements(&self) -> impl Iterator<Item = &Measurement> {
        self.inspections.iter().flat_map(|i| i.measurements.iter())
    }
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The text of the element at the `/`-separated path below `node`.
fn text_at(node: Node, path: &str) -> Option<String> {
    let mut at = node;
    for step in path.split('/') {
        at = child(at, step)?;
    }
    at.text().map(|t| t.trim().to_string())
}

fn number_at(node: Node, path: &str) -> Option<f64> {
    text_at(node, path).map(|t| t.parse().unwrap_or_else(|e| panic!("{path}: {t:?}: {e}")))
}

fn id_of(node: Node) -> String {
    node.attribute("id").expect("a QIF id").to_string()
}

/// The elements of a QIF list such as `Characteristics/CharacteristicItems`, by QIF id.
fn by_id<'a, 'i>(root: Node<'a, 'i>, list: &str) -> HashMap<String, Node<'a, 'i>> {
    let mut at = root;
    for step in list.split('/') {
        at = child(at, step).unwrap_or_else(|| panic!("no {list}"));
    }
    at.children()
        .filter(Node::is_element)
        .map(|n| (id_of(n), n))
        .collect()
}

/// The plan's nominal and tolerances of each characteristic, by characteristic name.
type PlanTolerances = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn plan_by_name(plan: &Document) -> (String, HashMap<String, PlanTolerances>) {
    let root = plan.root_element();
    let nominals = by_id(root, "Characteristics/CharacteristicNominals");
    let definitions = by_id(root, "Characteristics/CharacteristicDefinitions");
    let items = by_id(root, "Characteristics/CharacteristicItems");
    let by_name = items
        .values()
        .map(|item| {
            let nominal = nominals[&text_at(*item, "CharacteristicNominalId").expect("nominal")];
            let definition =
                definitions[&text_at(nominal, "CharacteristicDefinitionId").expect("definition")];
            (
                text_at(*item, "Name").expect("name"),
                (
                    number_at(nominal, "TargetValue"),
                    number_at(definition, "ToleranceValue"),
                    number_at(definition, "Tolerance/MinValue"),
                    number_at(definition, "Tolerance/MaxValue"),
                ),
            )
        })
        .collect();
    (text_at(root, "QPId").expect("plan QPId"), by_name)
}

/// Reads a results document and the plan it was measured against.
pub fn read(results: &Path, plan: &Path) -> Results {
    let results_text = std::fs::read_to_string(results).expect("read the results document");
    let plan_text = std::fs::read_to_string(plan).expect("read the plan");
    let doc = Document::parse(&results_text).expect("results XML");
    let plan_doc = Document::parse(&plan_text).expect("plan XML");
    let (plan_qpid, plan) = plan_by_name(&plan_doc);

    let root = doc.root_element();
    let items = by_id(root, "Characteristics/CharacteristicItems");
    let results_node = child(root, "Results").expect("Results");
    let components: HashMap<String, Node> = results_node
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "ActualComponent")
        .map(|n| (id_of(n), n))
        .collect();

    let mut inspections = Vec::new();
    let set = child(results_node, "MeasurementResultsSet").expect("MeasurementResultsSet");
    for part_results in children(set, "MeasurementResults") {
        let component_ids: Vec<Node> = child(part_results, "ActualComponentIds")
            .map(|ids| children(ids, "Id").collect())
            .unwrap_or_default();
        assert_eq!(component_ids.len(), 1, "one part per MeasurementResults");
        let component = components[component_ids[0].text().expect("id").trim()];
        let serial = text_at(component, "SerialNumber");
        let mut seen: HashMap<(String, Vec<String>), usize> = HashMap::new();
        let list = child(part_results, "MeasuredCharacteristics")
            .and_then(|m| child(m, "CharacteristicMeasurements"))
            .expect("CharacteristicMeasurements");
        let measurements = list
            .children()
            .filter(Node::is_element)
            .map(|m| {
                let item_id = text_at(m, "CharacteristicItemId").expect("item id");
                let features: Vec<String> = child(m, "FeatureMeasurementIds")
                    .map(|ids| {
                        children(ids, "Id")
                            .map(|i| i.text().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                let occurrence = seen.entry((item_id.clone(), features)).or_default();
                *occurrence += 1;
                let name = text_at(items[&item_id], "Name").expect("item name");
                let (nominal, zone, min, max) = plan[&name];
                Measurement {
                    id: id_of(m).parse().expect("numeric QIF id"),
                    line: u64::from(doc.text_pos_at(m.range().start).row),
                    characteristic_name: name,
                    value: number_at(m, "Value").expect("Value"),
                    status: text_at(m, "Status/CharacteristicStatusEnum").expect("status"),
                    repeat: *occurrence > 1,
                    serial: serial.clone(),
                    nominal,
                    tolerance_zone: zone,
                    tolerance_min: min,
                    tolerance_max: max,
                }
            })
            .collect();
        inspections.push(Inspection {
            serial,
            status: text_at(part_results, "InspectionStatus/InspectionStatusEnum")
                .expect("inspection status"),
            measurements,
        });
    }
    Results {
        qpid: text_at(root, "QPId").expect("QPId"),
        plan_qpid,
        length_unit: text_at(root, "FileUnits/PrimaryUnits/LinearUnit/UnitName")
            .expect("length unit"),
        report_date: text_at(results_node, "InspectionTraceability/ReportPreparationDate")
            .expect("report date"),
        inspections,
    }
}
