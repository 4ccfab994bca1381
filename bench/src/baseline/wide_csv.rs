//! Hand-written `wide_csv`: the same work as `bench/workloads/wide_csv`. One list of the
//! numeric columns and their conversion factors declares the row in, the row out and the
//! conversion, so the 48 columns are written once.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{finish_file, jsonl_writer, whole, write_line, CsvRecord, Rejects};

const MM_TO_M: f64 = 1e-3;
const MM_PER_S_TO_M_PER_MIN: f64 = 0.06;
const MM_PER_S2_TO_M_PER_S2: f64 = 1e-3;
const A_TO_MA: f64 = 1e3;
const V_TO_MV: f64 = 1e3;
const KW_TO_W: f64 = 1e3;
const DEG_TO_RAD: f64 = std::f64::consts::PI / 180.0;
const RPM_TO_RAD_PER_S: f64 = std::f64::consts::PI / 30.0;
const KG_M2_TO_KG_CM2: f64 = 1e4;
const MM_PER_MIN_TO_M_PER_S: f64 = 1.0 / 60_000.0;

macro_rules! mill_rows {
    ($($column:ident * $factor:expr),* $(,)?) => {
        #[allow(non_snake_case)]
        #[derive(Deserialize)]
        struct MillRow<'a> {
            #[serde(rename = "")]
            sample: i64,
            $($column: f64,)*
            M1_CURRENT_PROGRAM_NUMBER: f64,
            M1_sequence_number: f64,
            Machining_Process: &'a str,
            tool_condition: &'a str,
        }

        #[allow(non_snake_case)]
        #[derive(Serialize)]
        struct MillRowSi<'a> {
            sample: i64,
            $($column: f64,)*
            M1_CURRENT_PROGRAM_NUMBER: i64,
            M1_sequence_number: i64,
            Machining_Process: &'a str,
            tool_condition: &'a str,
        }

        /// The converted row, or the reason it is rejected.
        fn convert<'a>(row: &MillRow<'a>) -> Result<MillRowSi<'a>, &'static str> {
            let converted = MillRowSi {
                sample: row.sample,
                $($column: row.$column * $factor,)*
                M1_CURRENT_PROGRAM_NUMBER: whole(row.M1_CURRENT_PROGRAM_NUMBER)
                    .ok_or("M1_CURRENT_PROGRAM_NUMBER is not a whole number")?,
                M1_sequence_number: whole(row.M1_sequence_number)
                    .ok_or("M1_sequence_number is not a whole number")?,
                Machining_Process: row.Machining_Process,
                tool_condition: row.tool_condition,
            };
            Ok(converted)
        }

        fn all_finite(row: &MillRowSi) -> bool {
            true $(&& row.$column.is_finite())*
        }
    };
}

mill_rows! {
    X1_ActualPosition * MM_TO_M, X1_ActualVelocity * MM_PER_S_TO_M_PER_MIN,
    X1_ActualAcceleration * MM_PER_S2_TO_M_PER_S2, X1_CommandPosition * MM_TO_M,
    X1_CommandVelocity * MM_PER_S_TO_M_PER_MIN, X1_CommandAcceleration * MM_PER_S2_TO_M_PER_S2,
    X1_CurrentFeedback * A_TO_MA, X1_DCBusVoltage * V_TO_MV, X1_OutputCurrent * A_TO_MA,
    X1_OutputVoltage * V_TO_MV, X1_OutputPower * KW_TO_W,
    Y1_ActualPosition * MM_TO_M, Y1_ActualVelocity * MM_PER_S_TO_M_PER_MIN,
    Y1_ActualAcceleration * MM_PER_S2_TO_M_PER_S2, Y1_CommandPosition * MM_TO_M,
    Y1_CommandVelocity * MM_PER_S_TO_M_PER_MIN, Y1_CommandAcceleration * MM_PER_S2_TO_M_PER_S2,
    Y1_CurrentFeedback * A_TO_MA, Y1_DCBusVoltage * V_TO_MV, Y1_OutputCurrent * A_TO_MA,
    Y1_OutputVoltage * V_TO_MV, Y1_OutputPower * KW_TO_W,
    Z1_ActualPosition * MM_TO_M, Z1_ActualVelocity * MM_PER_S_TO_M_PER_MIN,
    Z1_ActualAcceleration * MM_PER_S2_TO_M_PER_S2, Z1_CommandPosition * MM_TO_M,
    Z1_CommandVelocity * MM_PER_S_TO_M_PER_MIN, Z1_CommandAcceleration * MM_PER_S2_TO_M_PER_S2,
    Z1_CurrentFeedback * A_TO_MA, Z1_DCBusVoltage * V_TO_MV, Z1_OutputCurrent * A_TO_MA,
    Z1_OutputVoltage * V_TO_MV,
    S1_ActualPosition * DEG_TO_RAD, S1_ActualVelocity * RPM_TO_RAD_PER_S,
    S1_ActualAcceleration * RPM_TO_RAD_PER_S, S1_CommandPosition * DEG_TO_RAD,
    S1_CommandVelocity * RPM_TO_RAD_PER_S, S1_CommandAcceleration * RPM_TO_RAD_PER_S,
    S1_CurrentFeedback * A_TO_MA, S1_DCBusVoltage * V_TO_MV, S1_OutputCurrent * A_TO_MA,
    S1_OutputVoltage * V_TO_MV, S1_OutputPower * KW_TO_W, S1_SystemInertia * KG_M2_TO_KG_CM2,
    M1_CURRENT_FEEDRATE * MM_PER_MIN_TO_M_PER_S,
}

pub fn run(input: &Path, out_dir: &Path, mut rejects: Rejects) -> Result<(), String> {
    let mut reader = super::csv_reader(input)?;
    let headers = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let mut out = jsonl_writer(&out_dir.join("out/mill_si.jsonl"))?;
    // One record buffer for the whole file: deserializing borrows the text columns from it.
    let mut record = csv::ByteRecord::new();
    let mut position = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| e.to_string())?
    {
        position += 1;
        let original = || CsvRecord::new(&headers, &record);
        let row: MillRow = match record.deserialize(Some(&headers)) {
            Ok(row) => row,
            Err(e) => {
                let reason = csv_decode_reason(&e);
                rejects.reject("decode", reason, &e.to_string(), position, &original())?;
                continue;
            }
        };
        match convert(&row) {
            Ok(converted) if all_finite(&converted) => write_line(&mut out, &converted)?,
            Ok(_) => rejects.reject(
                "write",
                "value is not a finite number",
                "",
                position,
                &original(),
            )?,
            Err(reason) => rejects.reject("map", reason, "", position, &original())?,
        }
    }
    finish_file(out)?;
    rejects.finish()
}

/// The reason fdi's decode stage gives a CSV row that the csv crate refused: the kind of rule
/// the row broke (docs/language.md, "Decode reasons").
fn csv_decode_reason(error: &csv::Error) -> &'static str {
    match error.kind() {
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields",
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text",
        csv::ErrorKind::Deserialize { err, .. } => match err.kind() {
            csv::DeserializeErrorKind::ParseFloat(_) => "not a number",
            csv::DeserializeErrorKind::ParseInt(_) => "not an integer",
            csv::DeserializeErrorKind::ParseBool(_) => "not true or false",
            csv::DeserializeErrorKind::InvalidUtf8(_) => "not UTF-8 text",
            _ => "record does not match MillRow",
        },
        _ => "record does not match MillRow",
    }
}
