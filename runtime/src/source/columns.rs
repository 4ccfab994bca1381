//! The columns a data file must have for the records of its entity.
//!
//! Schema drift (an export that gains, loses or renames a column) is the most common way an integration
//! breaks. A CSV source checks its header against the columns its entity requires when it opens, so a renamed
//! column stops the run before the first record instead of rejecting every one of them; `fdi check` makes the
//! same comparison against the files it finds at check time. Both word the finding with [`MissingColumns`], so
//! the compiler and the program say the same thing about the same file.

use std::fmt;
use std::path::PathBuf;

/// How close a column the file has must be to a missing one to be suggested (Jaro-Winkler, ignoring case): the
/// threshold of the compiler's other "did you mean" hints.
const SUGGESTION_SIMILARITY: f64 = 0.8;

/// A required column the file lacks, and the file's column that is probably it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    /// The column's name in the data (a schema field's `column:`, else the field's name).
    pub column: String,
    /// The closest column the file has that no required column reads, when one is close.
    pub closest: Option<String>,
}

impl fmt::Display for MissingColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.column)?;
        if let Some(closest) = &self.closest {
            write!(f, " (did you mean `{closest}`?)")?;
        }
        Ok(())
    }
}

/// The columns of `required` that `present` lacks, in the order of `required`, each with a suggestion among the
/// columns of `present` that are not required (a column some field already reads is not another's new name).
/// Names are compared exactly, as records are decoded: `Speed` is not `speed`, but is suggested for it.
pub fn missing_columns<'a>(
    required: &[&str],
    present: impl IntoIterator<Item = &'a str>,
) -> Vec<MissingColumn> {
    let present: Vec<&str> = present.into_iter().collect();
    let spare: Vec<&str> = present
        .iter()
        .copied()
        .filter(|column| !required.contains(column))
        .collect();
    required
        .iter()
        .filter(|column| !present.contains(column))
        .map(|column| MissingColumn {
            column: column.to_string(),
            closest: closest(column, &spare).map(str::to_string),
        })
        .collect()
}

fn closest<'a>(column: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = column.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), *c))
        .filter(|(score, _)| *score >= SUGGESTION_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// What of a file was compared with the required columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSample {
    /// The header row of a CSV file.
    Header,
    /// The first records of a JSON Lines file (how many were read): a key is missing when none of them has it.
    /// Blank lines are not records; lines that are not JSON objects are, and have no keys.
    FirstRecords(usize),
}

/// Required columns a data file lacks: the finding and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumns {
    /// Who reads the file, as the mapping names it: "source `mill`", "lookup `machines`".
    pub reader: String,
    pub path: PathBuf,
    pub sample: FileSample,
    /// Never empty.
    pub missing: Vec<MissingColumn>,
}

impl fmt::Display for MissingColumns {
    /// One sentence: "source `mill`: the header of data/mill.csv has no column `speed` (did you mean `sped`?)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = self.missing.len() > 1;
        let path = self.path.display();
        match self.sample {
            FileSample::Header => write!(
                f,
                "{}: the header of {path} has no column{} ",
                self.reader,
                if plural { "s" } else { "" }
            )?,
            FileSample::FirstRecords(n) => write!(
                f,
                "{}: {} of {path} {} no key{} ",
                self.reader,
                match n {
                    1 => "the first record".to_string(),
                    n => format!("the first {n} records"),
                },
                if n == 1 { "has" } else { "have" },
                if plural { "s" } else { "" }
            )?,
        }
        for (i, column) in self.missing.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{column}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_column_is_missing_and_suggested() {
        let missing = missing_columns(
            &["S1_ActualVelocity", "tool_condition"],
            ["", "S1_ActualVelocty", "tool_condition"],
        );
        assert_eq!(
            missing,
            vec![MissingColumn {
                column: "S1_ActualVelocity".into(),
                closest: Some("S1_ActualVelocty".into()),
            }]
        );
    }

    #[test]
    fn a_column_read_by_another_field_is_not_suggested() {
        // `speed_rpm` is the file's column for another required field: not a new name of `speed`.
        let missing = missing_columns(&["speed", "speed_rpm"], ["speed_rpm", "power"]);
        assert_eq!(missing[0].closest, None);
        assert_eq!(missing.len(), 1);
    }

    #[test]
    fn case_differs_and_is_still_suggested() {
        let missing = missing_columns(&["Machine"], ["MACHINE", "load"]);
        assert_eq!(missing[0].closest.as_deref(), Some("MACHINE"));
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        let missing = missing_columns(&["feed_rate"], ["x", "timestamp"]);
        assert_eq!(missing[0].closest, None);
        assert!(missing_columns(&["x"], ["x", "y"]).is_empty());
    }

    #[test]
    fn words_name_the_reader_the_file_and_every_column() {
        let finding = MissingColumns {
            reader: "source `mill`".into(),
            path: PathBuf::from("data/mill.csv"),
            sample: FileSample::Header,
            missing: vec![
                MissingColumn {
                    column: "speed".into(),
                    closest: Some("sped".into()),
                },
                MissingColumn {
                    column: "load".into(),
                    closest: None,
                },
            ],
        };
        assert_eq!(
            finding.to_string(),
            "source `mill`: the header of data/mill.csv has no columns `speed` (did you mean `sped`?), `load`"
        );
        let finding = MissingColumns {
            sample: FileSample::FirstRecords(100),
            missing: finding.missing[1..].to_vec(),
            ..finding
        };
        assert_eq!(
            finding.to_string(),
            "source `mill`: the first 100 records of data/mill.csv have no key `load`"
        );
    }
}
