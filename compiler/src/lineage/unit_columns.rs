//! Fields whose unit each row gives in a column (`unit_column:`): the value a mapping reads
//! from one was converted at decode by that row's unit, so it depends on the unit column as
//! much as on its own column. The unit column is a field when the entity declares it (a
//! `string` field whose column it is), and otherwise a column of the data the entity does not
//! declare, which lineage names as [`Origin::SourceColumn`] / [`Origin::LookupColumn`].

use std::collections::BTreeMap;

use super::graph::Origin;
use crate::ir::Program;
use crate::schema::Entity;

/// Where the unit of a field is read: a field of the same entity, or an undeclared column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UnitFrom {
    Field(String),
    Column(String),
}

/// For the program's sources and lookups, by name: the unit column of each field that has one.
#[derive(Debug, Default)]
pub(super) struct UnitColumns {
    sources: BTreeMap<String, BTreeMap<String, UnitFrom>>,
    lookups: BTreeMap<String, BTreeMap<String, UnitFrom>>,
}

impl UnitColumns {
    pub(super) fn of(program: &Program) -> UnitColumns {
        let of_entity = |entity: &str| {
            program
                .schema
                .entities
                .get(entity)
                .map(fields_with_unit_columns)
                .unwrap_or_default()
        };
        UnitColumns {
            sources: program
                .sources
                .iter()
                .map(|s| (s.name.clone(), of_entity(&s.entity)))
                .collect(),
            lookups: program
                .lookups
                .iter()
                .map(|l| (l.name.clone(), of_entity(&l.entity)))
                .collect(),
        }
    }

    /// The origin of the unit of field `field` of source `source`, if a column gives it.
    pub(super) fn of_source_field(&self, source: &str, field: &str) -> Option<Origin> {
        Some(match self.sources.get(source)?.get(field)? {
            UnitFrom::Field(name) => Origin::SourceField {
                field: name.clone(),
                part: None,
            },
            UnitFrom::Column(column) => Origin::SourceColumn {
                column: column.clone(),
            },
        })
    }

    /// The origin of the unit of field `field` of lookup `lookup`'s rows, if a column gives it.
    pub(super) fn of_lookup_field(&self, lookup: &str, field: &str) -> Option<Origin> {
        Some(match self.lookups.get(lookup)?.get(field)? {
            UnitFrom::Field(name) => Origin::LookupField {
                lookup: lookup.to_string(),
                field: name.clone(),
            },
            UnitFrom::Column(column) => Origin::LookupColumn {
                lookup: lookup.to_string(),
                column: column.clone(),
            },
        })
    }
}

/// Each field of `entity` with a unit column, and where that column is: the field whose
/// column it is (as the schema's check of `unit_column:` finds it), else the column itself.
fn fields_with_unit_columns(entity: &Entity) -> BTreeMap<String, UnitFrom> {
    entity
        .fields
        .iter()
        .filter_map(|f| {
            let uc = f.unit_column.as_ref()?;
            let from = match entity
                .fields
                .iter()
                .find(|other| other.external_name() == uc.column)
            {
                Some(other) => UnitFrom::Field(other.name.clone()),
                None => UnitFrom::Column(uc.column.clone()),
            };
            Some((f.name.clone(), from))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lineage::{self, Origin};
    use crate::loader::MemoryFiles;
    use crate::source_map::SourceMap;

    /// Readings whose unit a declared field gives, against nominals whose unit a column the
    /// lookup's entity does not declare gives.
    const SCHEMA: &str = "\
entities:
  Reading:
    fields:
      part: string
      length: { type: \"float[mm]\", unit_column: unit, units: [mm, in] }
      unit: string
  Nominal:
    fields:
      part: string
      nominal: { type: \"float[mm]\", unit_column: nominal_unit, units: [mm, in] }
  Deviation:
    fields:
      part: string
      deviation: \"float[mm]\"
";

    const MAPPING: &str = "\
mapping t version \"1\"
schema \"s.yaml\"
source readings: csv(\"readings.csv\") as Reading
lookup nominals: csv(\"nominals.csv\") as Nominal key part
target out: jsonl(\"out.jsonl\") as Deviation
flow f: readings -> out {
  let n = nominals[part] else reject \"no nominal\"
  part = part
  deviation = length - n.nominal
}
";

    #[test]
    fn a_converted_value_reads_its_unit_column_in_sources_and_lookups() {
        let files = MemoryFiles::new()
            .with("t.fdi", MAPPING)
            .with("s.yaml", SCHEMA);
        let mut sources = SourceMap::reading(files);
        let program = crate::compile(Path::new("t.fdi"), &mut sources).expect("it checks");
        let lineage = lineage::lineage(&program);
        let deviation = &lineage.flows[0].fields[1];
        assert_eq!(deviation.field, "deviation");
        let unit = Origin::SourceField {
            field: "unit".to_string(),
            part: None,
        };
        let nominal_unit = Origin::LookupColumn {
            lookup: "nominals".to_string(),
            column: "nominal_unit".to_string(),
        };
        assert!(deviation.deps.values.contains(&unit));
        assert!(deviation.deps.values.contains(&nominal_unit));
        let pairs: Vec<(String, String)> = deviation
            .deps
            .units
            .iter()
            .map(|(f, c)| (f.describe("readings"), c.describe("readings")))
            .collect();
        assert_eq!(
            pairs,
            [
                ("readings.length".to_string(), "readings.unit".to_string()),
                (
                    "nominals.nominal".to_string(),
                    "nominals.nominal_unit".to_string()
                ),
            ]
        );
        // `part` reads no unit column.
        assert!(lineage.flows[0].fields[0].deps.units.is_empty());

        // The lookup's box has a row for the undeclared column, drawn into `deviation`.
        let picture = lineage::picture(&lineage);
        let lookup = picture
            .nodes
            .iter()
            .position(|n| n.title == "lookup nominals: Nominal")
            .expect("the lookup's box");
        let row = picture.nodes[lookup]
            .rows
            .iter()
            .position(|r| r == "nominal_unit (unit column)")
            .expect("a row for the unit column");
        let flow = picture
            .nodes
            .iter()
            .position(|n| n.title == "flow f")
            .expect("the flow's box");
        assert!(picture.edges.iter().any(|e| e.from == (lookup, Some(row))
            && e.to == (flow, Some(1))
            && e.kind == lineage::EdgeKind::Value));
    }
}
