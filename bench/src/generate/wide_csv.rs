//! Rows shaped like the University of Michigan CNC mill samples
//! (`examples/mill-to-mes/data/experiment_01.csv`): the same header, each numeric column drawn
//! uniformly from the range it has in that file, with its three significant digits, and the
//! text columns from the values it holds. Synthetic: not measurements.

use std::io::Write;

use super::io_error;
use crate::fdi::workspace_root;
use crate::rng::Rng;

/// Columns that hold whole numbers in the real file (the mapping converts them with `to_int`).
const WHOLE: [&str; 2] = ["M1_CURRENT_PROGRAM_NUMBER", "M1_sequence_number"];

enum Column {
    Index,
    Number { low: f64, high: f64, whole: bool },
    Text(Vec<String>),
}

pub fn write(out: &mut impl Write, rng: &mut Rng, records: u64) -> Result<(), String> {
    let (header, columns) = columns_of_real_file()?;
    let fail = |e: std::io::Error| e.to_string();
    writeln!(out, "{}", header.join(",")).map_err(fail)?;
    let mut line = String::new();
    for i in 0..records {
        line.clear();
        for (n, column) in columns.iter().enumerate() {
            if n > 0 {
                line.push(',');
            }
            match column {
                Column::Index => line.push_str(&i.to_string()),
                Column::Number { low, high, whole } => {
                    let x = rng.between(*low, *high);
                    let x = if *whole { x.round() } else { significant(x, 3) };
                    line.push_str(&format!("{x:?}"));
                }
                Column::Text(values) => line.push_str(rng.pick::<String>(values)),
            }
        }
        writeln!(out, "{line}").map_err(fail)?;
    }
    Ok(())
}

/// `x` rounded to `digits` significant digits, as the real file writes its values.
fn significant(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1).parse().unwrap_or(x)
}

fn columns_of_real_file() -> Result<(Vec<String>, Vec<Column>), String> {
    let path = workspace_root().join("examples/mill-to-mes/data/experiment_01.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| io_error(&path, e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| io_error(&path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .map_err(|e| io_error(&path, e))?;
    let columns = header
        .iter()
        .enumerate()
        .map(|(n, name)| {
            if name.is_empty() {
                return Column::Index;
            }
            let numbers: Option<Vec<f64>> = rows.iter().map(|r| r[n].parse().ok()).collect();
            match numbers {
                Some(xs) => Column::Number {
                    low: xs.iter().copied().fold(f64::INFINITY, f64::min),
                    high: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    whole: WHOLE.contains(&name.as_str()),
                },
                None => {
                    let mut values: Vec<String> = rows.iter().map(|r| r[n].to_string()).collect();
                    values.sort();
                    values.dedup();
                    // The file is the first experiment, before the tool wore; the data set's
                    // later experiments say "worn".
                    if name == "tool_condition" && !values.iter().any(|v| v == "worn") {
                        values.push("worn".into());
                    }
                    Column::Text(values)
                }
            }
        })
        .collect();
    Ok((header, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(significant(198.4321, 3), 198.0);
        assert_eq!(significant(-0.0014249, 3), -0.00142);
    }
}
