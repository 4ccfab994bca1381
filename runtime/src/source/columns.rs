//! The columns a data file must have for the records of its entity.
//!
//! Schema drift (an export that gains, loses or renames a column) is the most common way an integration
//! breaks. A CSV source checks its header against the columns its entity requires when it opens, so a renamed
//! column stops the run before the first record instead of rejecting every one of them; `fdi check` makes the
//! same comparison against the files it finds at check time. Both word the finding with [`MissingColumns`], so
//! the compiler and the program say the same thing about the same file.

use std::fmt;
use std::path::PathBuf;

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

/// The columns an entity's records are read from, as a file must have them: what generated code hands a CSV
/// source when it opens it, and what `fdi check` compares with the files it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityColumns<'a> {
    /// The columns of the entity's required fields (a field's `column:`, else its name): a file must have them.
    pub required: &'a [&'a str],
    /// The other columns the entity reads: those of optional fields, and a sample's quality and timestamp
    /// columns. A file may lack them; they are not suggested for a missing column, which they are not.
    pub optional: &'a [&'a str],
}

impl EntityColumns<'_> {
    /// The required columns `present` lacks, in their order, each with a suggestion among the columns of
    /// `present` the entity does not read (a column some field reads already is not another's new name). Names
    /// are compared exactly, as records are decoded: `Speed` is not `speed`, but is suggested for it.
    pub fn missing_from<'p>(
        &self,
        present: impl IntoIterator<Item = &'p str>,
    ) -> Vec<MissingColumn> {
        let present: Vec<&str> = present.into_iter().collect();
        let spare: Vec<&str> = present
            .iter()
            .copied()
            .filter(|column| !self.required.contains(column) && !self.optional.contains(column))
            .collect();
        self.required
            .iter()
            .filter(|column| !present.contains(column))
            .map(|column| MissingColumn {
                column: column.to_string(),
                closest: crate::suggest::closest(column, spare.iter().copied()).map(str::to_string),
            })
            .collect()
    }
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

    fn required(required: &'static [&'static str]) -> EntityColumns<'static> {
        EntityColumns {
            required,
            optional: &[],
        }
    }

    #[test]
    fn a_renamed_column_is_missing_and_suggested() {
        let missing = required(&["S1_ActualVelocity", "tool_condition"]).missing_from([
            "",
            "S1_ActualVelocty",
            "tool_condition",
        ]);
        assert_eq!(
            missing,
            vec![MissingColumn {
                column: "S1_ActualVelocity".into(),
                closest: Some("S1_ActualVelocty".into()),
            }]
        );
    }

    #[test]
    fn a_column_the_entity_reads_is_not_suggested() {
        // `speed_rpm` is the file's column for another required field, `speed_quality` the quality of `speed`:
        // neither is a new name of `speed`.
        let columns = EntityColumns {
            required: &["speed", "speed_rpm"],
            optional: &["speed_quality", "speed_timestamp"],
        };
        let missing = columns.missing_from(["speed_rpm", "speed_quality", "power"]);
        assert_eq!(
            missing,
            vec![MissingColumn {
                column: "speed".into(),
                closest: None,
            }]
        );
        // An optional column the file lacks is not missing.
        assert!(columns.missing_from(["speed", "speed_rpm"]).is_empty());
    }

    #[test]
    fn case_differs_and_is_still_suggested() {
        let missing = required(&["Machine"]).missing_from(["MACHINE", "load"]);
        assert_eq!(missing[0].closest.as_deref(), Some("MACHINE"));
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        let missing = required(&["feed_rate"]).missing_from(["x", "timestamp"]);
        assert_eq!(missing[0].closest, None);
        assert!(required(&["x"]).missing_from(["x", "y"]).is_empty());
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
