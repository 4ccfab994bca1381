//! Unit errors and their "did you mean" suggestions.

use super::table::table;
use super::Unit;

/// Why a unit expression or a unit operation is wrong, in the reader's terms.
///
/// `suggestion` is text the user can write instead: for [`Unit::parse`] the whole corrected
/// unit expression (`rpm` for `rmp`, `kg/m^2` for `kg/m²`, `K/min` for `degC/min`), checked
/// to parse; for [`Unit::mul`] and [`Unit::div`] the unit to convert the offending operand to
/// (`K`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UnitError {
    pub message: String,
    pub suggestion: Option<String>,
}

impl UnitError {
    pub(crate) fn new(message: impl Into<String>) -> UnitError {
        UnitError {
            message: message.into(),
            suggestion: None,
        }
    }
}

/// `degC * s`, `1/degC`, `degC^2`: an offset unit has no meaningful product, since its zero is
/// not the quantity's zero (20 degC is not twice 10 degC).
pub(crate) fn offset_combined(unit: &Unit, action: &str) -> UnitError {
    UnitError {
        message: format!(
            "cannot {action}: 0 {unit} is not zero temperature, so `{unit}` cannot be \
             multiplied, divided or raised to a power; convert to `K` first"
        ),
        suggestion: Some("K".to_owned()),
    }
}

/// What to write instead of a word that is not a unit, if anything is close enough. Not yet
/// checked to parse: the parser splices it into the whole text and tries.
pub(crate) fn suggest_atom(atom: &str) -> Option<String> {
    let table = table();
    if let Some(fix) = table.corrections.get(atom) {
        return Some(fix.clone());
    }
    let mut buf = [0u8; 4];
    let ascii: String = atom
        .chars()
        .map(|c| {
            let c = &*c.encode_utf8(&mut buf);
            table.characters.get(c).map_or(c, String::as_str).to_owned()
        })
        .collect();
    if ascii != atom {
        return Some(ascii);
    }
    if let Some(fix) = power_without_caret(atom) {
        return Some(fix);
    }
    // `KW`, `hz`, `MPA`: only the letter case is wrong.
    let lower = atom.to_lowercase();
    let mut same_letters: Vec<usize> = table
        .spellings()
        .filter(|(s, _)| s.to_lowercase() == lower)
        .map(|(_, i)| i)
        .collect();
    same_letters.sort_unstable();
    same_letters.dedup();
    if let [only] = same_letters.as_slice() {
        return Some(table.atoms[*only].symbol.clone());
    }
    // `rmp`, `celcius`: a letter wrong, missing, extra or swapped. Short words are too close to
    // too many units for a guess to help.
    let length = atom.chars().count();
    if length < 3 {
        return None;
    }
    let limit = if length <= 4 { 1 } else { 2 };
    table
        .spellings()
        .map(|(s, i)| {
            let distance = strsim::damerau_levenshtein(atom, s);
            (distance, strsim::jaro_winkler(atom, s), i)
        })
        .filter(|(distance, _, _)| *distance <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)))
        .map(|(_, _, i)| table.atoms[i].symbol.clone())
}

/// `s2` -> `s^2`, `s-1` -> `s^-1`: a power written without `^`, as some standards do.
fn power_without_caret(atom: &str) -> Option<String> {
    let base = atom.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &atom[base.len()..];
    if digits.is_empty() {
        return None;
    }
    let (base, sign) = match base.strip_suffix('-') {
        Some(base) => (base, "-"),
        None => (base, ""),
    };
    table().find(base)?;
    Some(format!("{base}^{sign}{digits}"))
}
