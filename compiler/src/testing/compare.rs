//! Comparing what a target (or the dead letter) received with what a test expects.
//!
//! Records are compared in order, one expected record with the output record at the same
//! index, and only on the fields the expectation gives: a test states what it is about and
//! is not broken by a field it does not mention.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::ir::{TestRecord, TestValue};

use super::inputs::json_value;

/// Relative and absolute tolerance of float comparisons: output that went through float
/// arithmetic (unit conversions, sums) is not expected to match a decimal literal exactly.
const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-12;

/// A record as the program wrote it, members in the written order (serde_json's own map would
/// sort them), so that a record shown in a report reads like the output file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputRecord(pub Vec<(String, Value)>);

impl OutputRecord {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Parses one line of a JSON Lines file.
    pub fn parse(line: &str) -> Result<OutputRecord, serde_json::Error> {
        serde_json::from_str(line)
    }
}

impl<'de> Deserialize<'de> for OutputRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = OutputRecord;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OutputRecord, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(OutputRecord(members))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

/// One way a test's expectation was not met.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Both sides have the record, and some of the expected fields differ.
    Differs {
        target: String,
        /// 1-based, as people count records.
        record: usize,
        /// Line of the expected record in the mapping file.
        line: usize,
        fields: Vec<FieldDiff>,
    },
    /// The expectation lists more records than the target received.
    Missing {
        target: String,
        record: usize,
        line: usize,
        expected: Vec<(String, Value)>,
    },
    /// The target received more records than the expectation lists.
    Extra {
        target: String,
        record: usize,
        actual: OutputRecord,
    },
    /// The program did not run to the end, or its output could not be read.
    RunFailed {
        exit_code: Option<i32>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub expected: Value,
    /// `None` when the record has no such field.
    pub actual: Option<Value>,
}

/// Compares the records `target` received with the expected ones; `line_of` gives the line
/// an expected record is written on.
pub fn compare(
    target: &str,
    expected: &[TestRecord],
    actual: &[OutputRecord],
    line_of: &dyn Fn(&TestRecord) -> usize,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (index, want) in expected.iter().enumerate() {
        let record = index + 1;
        let Some(got) = actual.get(index) else {
            failures.push(Failure::Missing {
                target: target.to_string(),
                record,
                line: line_of(want),
                expected: want
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), json_value(v)))
                    .collect(),
            });
            continue;
        };
        let fields: Vec<FieldDiff> = want
            .fields
            .iter()
            .filter(|(key, value)| !value_matches(value, got.get(key)))
            .map(|(key, value)| FieldDiff {
                field: key.clone(),
                expected: json_value(value),
                actual: got.get(key).cloned(),
            })
            .collect();
        if !fields.is_empty() {
            failures.push(Failure::Differs {
                target: target.to_string(),
                record,
                line: line_of(want),
                fields,
            });
        }
    }
    for (index, got) in actual.iter().enumerate().skip(expected.len()) {
        failures.push(Failure::Extra {
            target: target.to_string(),
            record: index + 1,
            actual: got.clone(),
        });
    }
    failures
}

/// Whether an output value is what the test expects.
pub fn value_matches(expected: &TestValue, actual: Option<&Value>) -> bool {
    let actual = match actual {
        None | Some(Value::Null) => return *expected == TestValue::Null,
        Some(value) => value,
    };
    match (expected, actual) {
        (TestValue::Bool(want), Value::Bool(got)) => want == got,
        (TestValue::Int(want), Value::Number(got)) => match got.as_i64() {
            Some(got) => got == *want,
            // An int expectation of a float field: the same value, written without `.0`.
            None => got
                .as_f64()
                .is_some_and(|got| floats_match(*want as f64, got)),
        },
        (TestValue::Float(want), Value::Number(got)) => {
            got.as_f64().is_some_and(|got| floats_match(*want, got))
        }
        (TestValue::String(want), Value::String(got)) => want == got,
        // Int-based identifiers are expected as text (the checker wants identifiers as text)
        // but written as numbers; "007" and 7 are the same id.
        (TestValue::String(want), Value::Number(got)) => {
            got.as_i64().is_some() && want.trim().parse::<i64>().ok() == got.as_i64()
        }
        _ => false,
    }
}

fn floats_match(want: f64, got: f64) -> bool {
    let difference = (want - got).abs();
    want == got || difference <= ABSOLUTE || difference <= RELATIVE * want.abs().max(got.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::record;
    use serde_json::json;

    fn output(line: &str) -> OutputRecord {
        OutputRecord::parse(line).expect("a JSON object")
    }

    #[test]
    fn values_match_by_kind_with_float_tolerance() {
        let cases: &[(TestValue, Option<Value>, bool)] = &[
            (TestValue::Null, None, true),
            (TestValue::Null, Some(Value::Null), true),
            (TestValue::Null, Some(json!(0)), false),
            (TestValue::Int(3), Some(json!(3)), true),
            (TestValue::Int(3), Some(json!(3.0)), true),
            (TestValue::Int(3), Some(json!(3.5)), false),
            (TestValue::Int(3), None, false),
            (TestValue::Float(0.1 + 0.2), Some(json!(0.3)), true),
            (TestValue::Float(1e6), Some(json!(1e6 + 1e-4)), true),
            (TestValue::Float(1e6), Some(json!(1e6 + 1e-2)), false),
            (TestValue::Float(0.0), Some(json!(1e-13)), true),
            (TestValue::Float(0.0), Some(json!(1e-11)), false),
            (TestValue::Float(2.0), Some(json!(2)), true),
            (TestValue::Bool(true), Some(json!(true)), true),
            (TestValue::Bool(true), Some(json!("true")), false),
            (TestValue::String("a".into()), Some(json!("a")), true),
            (TestValue::String("a".into()), Some(json!("A")), false),
            (TestValue::String("007".into()), Some(json!(7)), true),
            (TestValue::String("7.0".into()), Some(json!(7)), false),
            (TestValue::String("1".into()), Some(json!(true)), false),
        ];
        for (want, got, matches) in cases {
            assert_eq!(
                value_matches(want, got.as_ref()),
                *matches,
                "{want:?} against {got:?}"
            );
        }
    }

    #[test]
    fn only_the_fields_given_are_compared() {
        let failures = compare(
            "t",
            &[record(&[("a", TestValue::Int(1))])],
            &[output(r#"{"a":1,"b":"anything"}"#)],
            &|_| 7,
        );
        assert_eq!(failures, []);
    }

    #[test]
    fn differing_missing_and_extra_records_are_reported_by_index() {
        let want = [
            record(&[
                ("a", TestValue::Int(1)),
                ("b", TestValue::String("x".into())),
            ]),
            record(&[("a", TestValue::Int(2))]),
        ];
        let failures = compare("t", &want, &[output(r#"{"a":5}"#)], &|_| 7);
        assert_eq!(
            failures,
            [
                Failure::Differs {
                    target: "t".into(),
                    record: 1,
                    line: 7,
                    fields: vec![
                        FieldDiff {
                            field: "a".into(),
                            expected: json!(1),
                            actual: Some(json!(5))
                        },
                        FieldDiff {
                            field: "b".into(),
                            expected: json!("x"),
                            actual: None
                        },
                    ],
                },
                Failure::Missing {
                    target: "t".into(),
                    record: 2,
                    line: 7,
                    expected: vec![("a".into(), json!(2))],
                },
            ]
        );
        let failures = compare("t", &[], &[output(r#"{"z":1,"a":2}"#)], &|_| 7);
        assert_eq!(
            failures,
            [Failure::Extra {
                target: "t".into(),
                record: 1,
                actual: OutputRecord(vec![("z".into(), json!(1)), ("a".into(), json!(2))]),
            }]
        );
    }
}
