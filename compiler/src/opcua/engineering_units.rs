//! A Variable's unit from its `EngineeringUnits` property (OPC 10000-8, 5.6.3): an
//! `EUInformation` whose `UnitId` is a UNECE Recommendation 20 code packed into an integer
//! (each character of the code one byte, `P1` is 0x5031) when its `NamespaceUri` is the UNECE
//! one. The code is looked up in the OPC Foundation's table (`unece/Schema_UNECE_to_OPCUA.csv`),
//! and its display name read as a unit of fdi's units module (`°C` is `degC`, `min⁻¹` is
//! `min^-1`, `N·m` is `N*m`). A code or a display name fdi does not know stays unknown, with the
//! reason, for the typing to report: never a guess.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use crate::units::Unit;

/// The `NamespaceUri` of an EUInformation whose `UnitId` is a UNECE code.
pub const UNECE_NAMESPACE: &str = "http://www.opcfoundation.org/UA/units/un/cefact";

/// An EUInformation as a NodeSet2 file writes it in a Variable's `<Value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EuInformation {
    pub namespace_uri: String,
    /// `UnitId` (-1, or none, when the unit has no code).
    pub unit_id: Option<i32>,
    pub display_name: String,
    pub description: String,
    /// Where the `UnitId` element is (the `EUInformation` element without one), for labels.
    pub range: Range<usize>,
}

impl EuInformation {
    /// Reads the EUInformation in a `<Value>` element, if it holds one.
    pub fn from_value(value: roxmltree::Node<'_, '_>) -> Option<EuInformation> {
        let info = value
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == "EUInformation")?;
        let child = |name: &str| info.children().find(|c| c.tag_name().name() == name);
        let text = |name: &str| {
            child(name).map_or(String::new(), |c| {
                // `DisplayName` and `Description` are LocalizedText: their `<Text>`.
                c.children()
                    .find(|t| t.tag_name().name() == "Text")
                    .unwrap_or(c)
                    .text()
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
        };
        let unit_id = child("UnitId");
        Some(EuInformation {
            namespace_uri: text("NamespaceUri"),
            unit_id: unit_id.and_then(|u| u.text()?.trim().parse().ok()),
            display_name: text("DisplayName"),
            description: text("Description"),
            range: unit_id.map_or(info.range(), |u| u.range()),
        })
    }

    /// The UNECE code of the unit, when the `UnitId` is one (`P1` for 20529).
    pub fn unece_code(&self) -> Option<String> {
        if self.namespace_uri.trim_end_matches('/') != UNECE_NAMESPACE {
            return None;
        }
        code_of(self.unit_id?)
    }

    /// The unit as fdi knows it, or why it does not.
    pub fn unit(&self) -> NodeUnit {
        let code = self.unece_code();
        let entry = code.as_deref().and_then(lookup);
        let shown = match (&code, entry) {
            (Some(code), Some(entry)) => {
                let symbol = entry.display_name.split(" or ").next().unwrap_or_default();
                format!("`{symbol}` (UNECE {code}, {})", entry.description)
            }
            (Some(code), None) => format!("`{}` (UNECE {code})", self.display_name),
            (None, _) => format!("`{}`", self.display_name),
        };
        // By the code's display name in the table where there is one: a server's own
        // DisplayName may be localized or decorated.
        let display = entry.map_or(self.display_name.as_str(), |e| e.display_name.as_str());
        if code.as_deref().is_some_and(|c| MISREAD.contains(&c)) {
            return NodeUnit::Unknown {
                shown,
                why: "its symbol names another unit in fdi".into(),
            };
        }
        match fdi_spelling(display).and_then(|text| Unit::parse(&text).ok().map(|u| (text, u))) {
            // As fdi writes it (`1/min` for `min^-1`), which the help tells to declare.
            Some((_, unit)) => NodeUnit::Known {
                text: unit.to_string(),
                unit,
                shown,
            },
            None if code.is_some() && entry.is_none() => NodeUnit::Unknown {
                shown,
                why: "the code is not in the UNECE table OPC UA publishes".into(),
            },
            None => NodeUnit::Unknown {
                shown,
                why: "fdi's units module has no such unit".into(),
            },
        }
    }
}

/// A node's unit, for the typing.
#[derive(Debug, Clone)]
pub enum NodeUnit {
    /// A unit of fdi's units module: the unit, its fdi spelling (`degC`), and how the NodeSet
    /// names it for messages (`` `°C` (UNECE CEL, degree Celsius) ``).
    Known {
        unit: Unit,
        text: String,
        shown: String,
    },
    /// A unit fdi cannot read, how the NodeSet names it, and why.
    Unknown { shown: String, why: String },
}

/// One row of the UNECE table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UneceUnit {
    pub display_name: String,
    pub description: String,
}

const TABLE: &str = include_str!("unece/Schema_UNECE_to_OPCUA.csv");

/// Codes whose display name reads as an fdi unit that is not theirs (found by reviewing the
/// snapshot of `every_unece_code_fdi_reads`): `rad` the absorbed dose (C80), `MW` a module
/// width (H77), `mil` the angle (M43), `lb/in²` a pressure (80, pound-force), `in·lb` of
/// force or mass (IA), and two whose display and description disagree (Q27 `N·m/m²` "per
/// metre", TQD `km³/d` "thousand cubic metre per day").
const MISREAD: &[&str] = &["C80", "H77", "M43", "80", "IA", "Q27", "TQD"];

/// The UNECE table by code.
fn table() -> &'static HashMap<String, UneceUnit> {
    static TABLE_BY_CODE: OnceLock<HashMap<String, UneceUnit>> = OnceLock::new();
    TABLE_BY_CODE.get_or_init(|| {
        let mut reader = csv::Reader::from_reader(TABLE.trim_start_matches('\u{feff}').as_bytes());
        reader
            .records()
            .filter_map(Result::ok)
            .filter_map(|row| {
                Some((
                    row.get(0)?.trim().to_string(),
                    UneceUnit {
                        display_name: row.get(2)?.trim().to_string(),
                        description: row.get(3)?.trim().to_string(),
                    },
                ))
            })
            .collect()
    })
}

/// The table's row of a UNECE code.
pub fn lookup(code: &str) -> Option<&'static UneceUnit> {
    table().get(code)
}

/// The UNECE code packed into a `UnitId`: its bytes from the most significant that is not
/// zero, each an ASCII letter or digit.
fn code_of(unit_id: i32) -> Option<String> {
    let bytes: Vec<u8> = u32::try_from(unit_id)
        .ok()?
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    (!bytes.is_empty() && bytes.iter().all(u8::is_ascii_alphanumeric))
        .then(|| String::from_utf8(bytes).ok())
        .flatten()
}

/// The `UnitId` of a UNECE code (`P1` is 20529), for tests and `fdi schema import`'s reader.
pub fn unit_id_of(code: &str) -> Option<i32> {
    if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(code.bytes().fold(0, |id, b| (id << 8) | i32::from(b)))
}

/// A UNECE display name in fdi's unit syntax, or `None` when it is not a plain symbol (a
/// qualified name such as `gal (US)` or `cmH₂O (4 °C)`, which fdi has no unit for).
fn fdi_spelling(display: &str) -> Option<String> {
    // `% or pct`, `kg/l or kg/L`: the first spelling.
    let display = display.split(" or ").next().unwrap_or(display).trim();
    if display.is_empty() || display.contains([' ', '\u{a0}', '(', ')', ',', '[', ']']) {
        return None;
    }
    if display == "%" {
        return Some("%".into());
    }
    let mut out = String::new();
    let mut in_power = false;
    for c in display.chars() {
        let power = match c {
            '⁻' => Some('-'),
            '⁰' => Some('0'),
            '¹' => Some('1'),
            '²' => Some('2'),
            '³' => Some('3'),
            '⁴' => Some('4'),
            '⁵' => Some('5'),
            _ => None,
        };
        if let Some(p) = power {
            if !in_power {
                out.push('^');
                in_power = true;
            }
            out.push(p);
            continue;
        }
        in_power = false;
        match c {
            'µ' | 'μ' => out.push('u'),
            '°' | 'º' => out.push_str("deg"),
            '\u{3a9}' | '\u{2126}' => out.push_str("ohm"),
            '·' | '‧' => out.push('*'),
            c if c.is_ascii() => out.push(c),
            _ => return None,
        }
    }
    // UNECE writes a revolution `r` (`r/min`, `r/s`), fdi `rev`.
    let spelled: Vec<String> = out
        .split_inclusive(['*', '/'])
        .map(|term| {
            let (symbol, rest) = term.split_at(term.find(['*', '/', '^']).unwrap_or(term.len()));
            match symbol {
                "r" => format!("rev{rest}"),
                _ => term.to_string(),
            }
        })
        .collect();
    Some(spelled.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_of(code: &str) -> Option<String> {
        let info = EuInformation {
            namespace_uri: UNECE_NAMESPACE.into(),
            unit_id: unit_id_of(code),
            display_name: String::new(),
            description: String::new(),
            range: 0..0,
        };
        match info.unit() {
            NodeUnit::Known { unit, .. } => Some(unit.to_string()),
            NodeUnit::Unknown { .. } => None,
        }
    }

    #[test]
    fn unit_ids_are_codes_packed_into_bytes() {
        assert_eq!(code_of(20529).as_deref(), Some("P1"));
        assert_eq!(code_of(4408652).as_deref(), Some("CEL"));
        assert_eq!(unit_id_of("CEL"), Some(4408652));
        assert_eq!(code_of(-1), None);
        assert_eq!(code_of(0), None);
    }

    #[test]
    fn common_machine_units_are_read() {
        let same = |code: &str, fdi: &str| {
            let read = unit_of(code).unwrap_or_else(|| panic!("{code} is known"));
            let want = Unit::parse(fdi).unwrap();
            assert!(
                Unit::parse(&read).unwrap().same_unit(&want),
                "{code}: {read} is not {fdi}"
            );
        };
        same("P1", "%");
        same("CEL", "degC");
        same("FAH", "degF");
        same("KEL", "K");
        same("MMT", "mm");
        same("RPM", "rpm");
        same("M46", "rpm");
        same("C94", "1/min");
        same("H81", "mm/min");
        same("NU", "N*m");
        same("KWT", "kW");
        same("BAR", "bar");
        same("HUR", "h");
        same("4H", "um");
        same("DD", "deg");
        same("2A", "rad/s");
        same("MTS", "m/s");
        same("MSK", "m/s^2");
        same("SIE", "S");
    }

    #[test]
    fn what_fdi_has_no_unit_for_stays_unknown() {
        // Microsiemens per centimetre, a qualified name, a code that is not in the table, a
        // symbol fdi reads as another unit (UNECE's `rad` of absorbed dose).
        assert_eq!(unit_of("G42"), None);
        assert_eq!(unit_of("C80"), None);
        assert_eq!(unit_of("N14"), None);
        assert_eq!(unit_of("ZZZ"), None);
        let info = EuInformation {
            namespace_uri: "urn:vendor:units".into(),
            unit_id: Some(7),
            display_name: "Umdrehungen".into(),
            description: String::new(),
            range: 0..0,
        };
        assert!(matches!(info.unit(), NodeUnit::Unknown { .. }));
    }

    /// Every UNECE code whose display name reads as an fdi unit, with that unit's name: a
    /// reviewed list (the snapshot), so that a unit read as something it is not shows.
    #[test]
    fn every_unece_code_fdi_reads() {
        let mut codes: Vec<(&String, &UneceUnit)> = table().iter().collect();
        codes.sort_by_key(|(code, _)| *code);
        let read: Vec<String> = codes
            .into_iter()
            .filter(|(code, _)| !MISREAD.contains(&code.as_str()))
            .filter_map(|(code, entry)| {
                let text = fdi_spelling(&entry.display_name)?;
                let unit = Unit::parse(&text).ok()?;
                Some(format!(
                    "{code}\t{}\t{}\t=> {unit} ({})",
                    entry.display_name,
                    entry.description,
                    unit.name().unwrap_or("derived")
                ))
            })
            .collect();
        insta::assert_snapshot!(read.join("\n"));
    }
}
