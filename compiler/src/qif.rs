//! QIF 3.0 documents at check time: the units a document states once, in `FileUnits`, against
//! the units of the schema fields read from it.
//!
//! QIF writes every length and angle of a document in the document's own units
//! (`FileUnits/PrimaryUnits/LinearUnit` and `AngularUnit`: a name, the SI unit, and the factor to
//! it). A schema that types a QIF `Value` as `float[mm]` is right only for documents in
//! millimetres; read from a document in inches, every value would be 25.4 times too small and no
//! check downstream could tell. So when a data file an `xml` source or lookup reads exists at
//! check time and is a QIF document, every length field of its entity must be in the document's
//! linear unit and every angle field in its angular unit (E0850), as the data check compares a
//! CSV file's header with its entity (`crate::data_check`). A document read only at run time
//! (another report given with `--source`) is not seen here: the mapping guards it itself (the
//! cmm-to-qms example reads `FileUnits` into each record and rejects a unit it does not expect).

use crate::diagnostic::{Code, Diagnostic};
use crate::schema::Entity;
use crate::units::Unit;

/// The most bytes of a document read to find its units: `FileUnits` comes before the document's
/// bulk (features, characteristics, results), and the runtime refuses bigger documents anyway.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// One primary unit of a QIF document: `LinearUnit` or `AngularUnit`.
#[derive(Debug, Clone, PartialEq)]
struct DocumentUnit {
    /// `UnitName` as written (`mm`, `inch`, `degree`).
    name: String,
    /// One of it in the SI unit (`UnitConversion/Factor`, 1 when absent: the unit is the SI one).
    factor: f64,
}

/// The primary units a QIF document states, each if it states it.
#[derive(Debug, Default, PartialEq)]
struct FileUnits {
    linear: Option<DocumentUnit>,
    angular: Option<DocumentUnit>,
}

/// The primary units of `text` when it is a QIF document (its root element is `QIFDocument`, in
/// any namespace); `None` for any other document, or one that does not parse (the program
/// reports that when it opens it).
fn file_units(text: &str) -> Option<FileUnits> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options).ok()?;
    let root = document.root_element();
    if root.tag_name().name() != "QIFDocument" {
        return None;
    }
    let primary = child(root, "FileUnits").and_then(|units| child(units, "PrimaryUnits"));
    let unit = |name: &str| {
        let unit = child(primary?, name)?;
        let factor = match child(unit, "UnitConversion") {
            Some(conversion) => text_of(conversion, "Factor")?.parse::<f64>().ok()?,
            None => 1.0,
        };
        (factor.is_finite() && factor > 0.0).then(|| DocumentUnit {
            name: text_of(unit, "UnitName").unwrap_or_default(),
            factor,
        })
    };
    Some(FileUnits {
        linear: unit("LinearUnit"),
        angular: unit("AngularUnit"),
    })
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
}

/// The unit of fdi's table the document's unit is, when one of the usual ones is: its symbol for
/// the help's suggested type.
fn symbol_of(unit: &DocumentUnit, si: &Unit) -> Option<&'static str> {
    ["mm", "cm", "m", "um", "in", "ft", "deg", "rad"]
        .into_iter()
        .find(|symbol| {
            Unit::parse(symbol).ok().is_some_and(|candidate| {
                candidate.same_dimension(si) && nearly(factor_of(&candidate, si), unit.factor)
            })
        })
}

/// One `unit` in `si` (both of one dimension).
fn factor_of(unit: &Unit, si: &Unit) -> f64 {
    unit.conversion_to(si).map_or(f64::NAN, |c| c.scale)
}

/// Equal to within what a factor written with 15 significant digits keeps (QIF writes a degree as
/// 0.017453292519943 rad).
fn nearly(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// E0850 for every length or angle field of `entity` whose unit is not the document's, when the
/// file `text` that `reader` (`source \`cmm\``) reads is a QIF document that states it.
pub fn check_file_units(
    reader: &str,
    path: &std::path::Path,
    entity: &Entity,
    text: &str,
) -> Vec<Diagnostic> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Vec::new();
    }
    let Some(units) = file_units(text) else {
        return Vec::new();
    };
    let (Ok(metre), Ok(radian)) = (Unit::parse("m"), Unit::parse("rad")) else {
        return Vec::new();
    };
    let mut diagnostics = Vec::new();
    for field in &entity.fields {
        let Some(field_unit) = &field.unit else {
            continue;
        };
        let (document_unit, si, kind) = if field_unit.unit.same_dimension(&metre) {
            (&units.linear, &metre, "LinearUnit")
        } else if field_unit.unit.same_dimension(&radian) {
            (&units.angular, &radian, "AngularUnit")
        } else {
            continue;
        };
        let Some(document_unit) = document_unit else {
            continue;
        };
        if nearly(factor_of(&field_unit.unit, si), document_unit.factor) {
            continue;
        }
        let field_symbol = &sources_text_of(field_unit);
        let document_says = if document_unit.name.is_empty() {
            format!("a unit of {} {}", document_unit.factor, si_name(si))
        } else {
            format!(
                "`{}` ({} {})",
                document_unit.name,
                document_unit.factor,
                si_name(si)
            )
        };
        let help = match symbol_of(document_unit, si) {
            Some(symbol) => format!(
                "type the field in the document's unit, `float[{symbol}]`, and convert it with \
                 `as [{field_symbol}]` where the mapping needs {field_symbol}; or read a document \
                 written in {field_symbol}"
            ),
            None => format!(
                "type the field in the document's unit and convert it where the mapping needs \
                 {field_symbol}; or read a document written in {field_symbol}"
            ),
        };
        diagnostics.push(
            Diagnostic::error(
                Code::QifUnitDiffers,
                format!(
                    "field `{}` of `{}` is in {field_symbol}, but the QIF document {} that \
                     {reader} reads states its values in {document_says}",
                    field.name,
                    entity.name,
                    path.display()
                ),
            )
            .label(
                field_unit.span,
                format!("the document's FileUnits/PrimaryUnits/{kind} is {document_says}"),
            )
            .help(help),
        );
    }
    diagnostics
}

fn si_name(si: &Unit) -> &'static str {
    if si.angle_power() == 0 {
        "m"
    } else {
        "rad"
    }
}

/// The field's unit as the schema spells it, for messages.
fn sources_text_of(unit: &crate::schema::FieldUnit) -> String {
    unit.unit.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INCHES: &str = r#"<?xml version="1.0"?>
<q:QIFDocument xmlns:q="http://qifstandards.org/xsd/qif3"><q:FileUnits><q:PrimaryUnits>
  <q:AngularUnit><q:SIUnitName>radian</q:SIUnitName><q:UnitName>degree</q:UnitName>
    <q:UnitConversion><q:Factor>0.017453292519943</q:Factor></q:UnitConversion></q:AngularUnit>
  <q:LinearUnit><q:SIUnitName>meter</q:SIUnitName><q:UnitName>inch</q:UnitName>
    <q:UnitConversion><q:Factor>0.0254</q:Factor></q:UnitConversion></q:LinearUnit>
</q:PrimaryUnits></q:FileUnits></q:QIFDocument>"#;

    #[test]
    fn reads_the_primary_units_of_a_qif_document_only() {
        let units = file_units(INCHES).expect("a QIF document");
        assert_eq!(
            units.linear,
            Some(DocumentUnit {
                name: "inch".into(),
                factor: 0.0254
            })
        );
        assert_eq!(units.angular.map(|u| u.name), Some("degree".into()));
        assert_eq!(file_units("<ProductionSchedule/>"), None);
        assert_eq!(file_units("<QIFDocument"), None);
        assert_eq!(
            file_units("<QIFDocument><FileUnits/></QIFDocument>"),
            Some(FileUnits::default())
        );
    }

    #[test]
    fn names_the_document_unit_in_fdi_symbols() {
        let units = file_units(INCHES).expect("a QIF document");
        let metre = Unit::parse("m").unwrap();
        let radian = Unit::parse("rad").unwrap();
        assert_eq!(
            symbol_of(units.linear.as_ref().unwrap(), &metre),
            Some("in")
        );
        assert_eq!(
            symbol_of(units.angular.as_ref().unwrap(), &radian),
            Some("deg")
        );
        let odd = DocumentUnit {
            name: "league".into(),
            factor: 4828.0,
        };
        assert_eq!(symbol_of(&odd, &metre), None);
    }
}
