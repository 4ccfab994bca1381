//! The oracle: what a generated mapping must write, computed from the language's documented
//! semantics (docs/language.md), never from fdi's output. Saturating int arithmetic, division
//! that fails, `??` and `coalesce` that evaluate only what they need, rejecting match arms,
//! lookups that miss, identifiers checked against their pattern, decimal `round`.

use std::collections::HashMap;

use super::ast::*;
use super::time;

/// `Err` is a rejecting arm's reason: it leaves the flow at once.
type Ev = Result<Option<Value>, String>;

#[derive(Debug, Default)]
pub struct FlowCounts {
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
    pub filtered: u64,
}

/// A record a target receives: its position and, per field in the entity's order, the data
/// name, type and value (`None`: written as absent).
#[derive(Debug)]
pub struct Written {
    pub position: i64,
    pub fields: Vec<(String, Ty, Option<Value>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeadLetter {
    pub position: i64,
    pub flow: Option<String>,
    pub stage: String,
    pub reason: String,
}

pub struct Expected {
    pub counts: Vec<FlowCounts>,
    pub written: Vec<Vec<Written>>,
    pub dead_letter: Vec<DeadLetter>,
}

struct Env<'a> {
    vars: HashMap<String, Option<Value>>,
    records: HashMap<String, &'a LookupRow>,
    samples: HashMap<String, &'a Sample>,
    position: i64,
}

pub fn expected(m: &Mapping) -> Expected {
    let mut out = Expected {
        counts: m.flows.iter().map(|_| FlowCounts::default()).collect(),
        written: m.flows.iter().map(|_| Vec::new()).collect(),
        dead_letter: Vec::new(),
    };
    for (index, record) in m.records.iter().enumerate() {
        let position = index as i64 + 1;
        let Some(values) = &record.values else {
            out.dead_letter.push(DeadLetter {
                position,
                flow: None,
                stage: "decode".into(),
                // A broken record has text in a required int field (see `generate.rs`).
                reason: "not an integer".to_string(),
            });
            for counts in &mut out.counts {
                counts.read += 1;
                counts.rejected += 1;
            }
            continue;
        };
        for (i, flow) in m.flows.iter().enumerate() {
            let counts = &mut out.counts[i];
            counts.read += 1;
            let mut env = Env {
                vars: values.iter().cloned().collect(),
                records: HashMap::new(),
                samples: record.samples.iter().map(|(n, s)| (n.clone(), s)).collect(),
                position,
            };
            let reject = |stage: &str, reason: String| DeadLetter {
                position,
                flow: Some(flow.name.clone()),
                stage: stage.into(),
                reason,
            };
            match map_record(m, flow, &mut env) {
                Outcome::Filtered => counts.filtered += 1,
                Outcome::Rejected(reason) => {
                    counts.rejected += 1;
                    out.dead_letter.push(reject("map", reason));
                }
                Outcome::Written(fields) => {
                    let finite = fields.iter().all(|f| match &f.2 {
                        Some(Value::Float(x)) => x.is_finite(),
                        _ => true,
                    });
                    if finite {
                        counts.written += 1;
                        out.written[i].push(Written { position, fields });
                    } else {
                        counts.rejected += 1;
                        out.dead_letter
                            .push(reject("write", "value is not a finite number".into()));
                    }
                }
            }
        }
    }
    out.dead_letter.sort();
    out
}

enum Outcome {
    Filtered,
    Rejected(String),
    Written(Vec<(String, Ty, Option<Value>)>),
}

fn map_record<'a>(m: &'a Mapping, flow: &Flow, env: &mut Env<'a>) -> Outcome {
    if let Some(filter) = &flow.filter {
        match eval(m, filter, env) {
            Ok(Some(Value::Bool(false))) => return Outcome::Filtered,
            Ok(_) => {}
            Err(reason) => return Outcome::Rejected(reason),
        }
    }
    let mut assigned: HashMap<String, Option<Value>> = HashMap::new();
    for stmt in &flow.stmts {
        match stmt {
            Stmt::Let(name, e, reason) | Stmt::Assign(name, e, reason) => {
                let value = match (eval(m, e, env), reason) {
                    (Err(reason), _) => return Outcome::Rejected(reason),
                    (Ok(None), Some(reason)) => return Outcome::Rejected(reason.clone()),
                    (Ok(value), _) => value,
                };
                if matches!(stmt, Stmt::Let(..)) {
                    env.vars.insert(name.clone(), value);
                } else {
                    assigned.insert(name.clone(), value);
                }
            }
            Stmt::LetRecord(name, key, reason) => match eval(m, key, env) {
                Err(reason) => return Outcome::Rejected(reason),
                Ok(Some(Value::Str(key))) => match m.rows.iter().find(|r| r.key == key) {
                    Some(row) => {
                        env.records.insert(name.clone(), row);
                    }
                    None => return Outcome::Rejected(reason.clone()),
                },
                Ok(other) => panic!("lookup key {other:?}"),
            },
        }
    }
    let fields = flow
        .target
        .entity
        .fields
        .iter()
        .map(|f| {
            let value = assigned.remove(&f.name).flatten();
            assert!(
                value.is_some() || f.optional,
                "required field {} absent",
                f.name
            );
            (f.data_name().to_string(), f.ty, value)
        })
        .collect();
    Outcome::Written(fields)
}

fn lookup_field(m: &Mapping, row: &LookupRow, field: &str) -> Option<Value> {
    let names: Vec<&str> = m
        .lookup_entity
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    match names.iter().position(|n| *n == field) {
        Some(1) => Some(Value::Int(row.number)),
        Some(2) => Some(Value::Str(row.text.clone())),
        Some(3) => row.note.clone().map(Value::Str),
        _ => panic!("no lookup field {field}"),
    }
}

fn is_code(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 4
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// `round(x, digits)`: half away from zero on the decimal text of `x` as Rust prints it
/// (shortest round trip, no exponent).
pub fn round(x: f64, digits: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let text = format!("{}", x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let all: Vec<u8> = format!("{whole}{fraction}").into_bytes();
    let keep = whole.len() as i64 + digits;
    if keep >= all.len() as i64 {
        return x;
    }
    if keep < 0 {
        return 0.0_f64.copysign(x);
    }
    let mut kept: Vec<u8> = all[..keep as usize].to_vec();
    if all[keep as usize] >= b'5' {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let mut number = String::from_utf8(kept).expect("digits");
    if number.is_empty() {
        number.push('0');
    }
    // `number` counts units of 10^-digits.
    let text = if digits >= 0 {
        let d = digits as usize;
        let padded = format!("{number:0>width$}", width = d + 1);
        format!(
            "{}.{}",
            &padded[..padded.len() - d],
            &padded[padded.len() - d..]
        )
    } else {
        format!("{number}{}", "0".repeat(-digits as usize))
    };
    text.parse::<f64>().expect("a number").copysign(x)
}

fn text_of(m: &Mapping, v: &Value) -> String {
    match v {
        Value::Int(n) | Value::Serial(n) => n.to_string(),
        Value::Float(x) => format!("{x}"),
        Value::Str(s) | Value::Code(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Time(ms) => time::rfc3339(*ms, 0),
        Value::Enum(i) => m.enum_codes[*i].clone(),
    }
}

fn both(m: &Mapping, a: &Expr, b: &Expr, env: &Env) -> Result<Option<(Value, Value)>, String> {
    let a = eval(m, a, env)?;
    let b = eval(m, b, env)?;
    Ok(a.zip(b))
}

fn eval(m: &Mapping, e: &Expr, env: &Env) -> Ev {
    use Value::*;
    Ok(match e {
        Expr::Lit(v, _) => Some(v.clone()),
        Expr::Var(name) => env
            .vars
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone(),
        Expr::Position => Some(Int(env.position)),
        Expr::Neg(x) => match eval(m, x, env)? {
            Some(Int(n)) => Some(Int(n.saturating_neg())),
            Some(Float(x)) => Some(Float(-x)),
            other => panic!("negate {other:?}"),
        },
        Expr::Arith(op, a, b) => match (both(m, a, b, env)?, op) {
            (None, _) => None,
            (Some((Int(a), Int(b))), ArithOp::Add) => Some(Int(a.saturating_add(b))),
            (Some((Int(a), Int(b))), ArithOp::Sub) => Some(Int(a.saturating_sub(b))),
            (Some((Int(a), Int(b))), ArithOp::Mul) => Some(Int(a.saturating_mul(b))),
            (Some((Int(a), Int(b))), ArithOp::Div) => a.checked_div(b).map(Int),
            (Some((Int(a), Int(b))), ArithOp::Rem) => a.checked_rem(b).map(Int),
            (Some((Float(a), Float(b))), op) => Some(Float(match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                ArithOp::Mul => a * b,
                ArithOp::Div => a / b,
                ArithOp::Rem => a % b,
            })),
            (other, _) => panic!("arithmetic on {other:?}"),
        },
        Expr::Join(a, b) => match both(m, a, b, env)? {
            Some((Str(a), Str(b))) => Some(Str(a + &b)),
            other => panic!("join {other:?}"),
        },
        Expr::Cmp(op, a, b) => both(m, a, b, env)?.map(|(a, b)| {
            let order = match (&a, &b) {
                (Int(a), Int(b)) | (Time(a), Time(b)) | (Serial(a), Serial(b)) => a.partial_cmp(b),
                (Float(a), Float(b)) => a.partial_cmp(b),
                (Str(a), Str(b)) | (Code(a), Code(b)) => a.partial_cmp(b),
                (Bool(a), Bool(b)) => a.partial_cmp(b),
                (Enum(a), Enum(b)) => a.partial_cmp(b),
                other => panic!("compare {other:?}"),
            };
            use std::cmp::Ordering::*;
            Bool(match op {
                CmpOp::Lt => order == Some(Less),
                CmpOp::Le => matches!(order, Some(Less | Equal)),
                CmpOp::Gt => order == Some(Greater),
                CmpOp::Ge => matches!(order, Some(Greater | Equal)),
                CmpOp::Eq => order == Some(Equal),
                CmpOp::Ne => order != Some(Equal),
            })
        }),
        Expr::And(a, b) => match eval(m, a, env)? {
            Some(Bool(true)) => eval(m, b, env)?,
            other => other,
        },
        Expr::Or(a, b) => match eval(m, a, env)? {
            Some(Bool(false)) => eval(m, b, env)?,
            other => other,
        },
        Expr::Not(x) => eval(m, x, env)?.map(|v| Bool(v != Bool(true))),
        Expr::Default(a, b) => match eval(m, a, env)? {
            Some(v) => Some(v),
            None => eval(m, b, env)?,
        },
        Expr::Coalesce(args) => {
            let mut result = None;
            for arg in args {
                result = eval(m, arg, env)?;
                if result.is_some() {
                    break;
                }
            }
            result
        }
        Expr::Match { on, arms, wildcard } => {
            let on = eval(m, on, env)?.expect("a match value is present");
            let text = |v: &Value| match v {
                Str(s) | Code(s) => Some(s.clone()),
                _ => None,
            };
            let hit = arms.iter().find(|(patterns, _)| {
                patterns
                    .iter()
                    .any(|p| *p == on || (text(p).is_some() && text(p) == text(&on)))
            });
            let arm = match hit {
                Some((_, arm)) => arm,
                None => wildcard.as_deref().expect("the match is exhaustive"),
            };
            match arm {
                Arm::Value(e) => eval(m, e, env)?,
                Arm::Reject(reason) => return Err(reason.clone()),
            }
        }
        Expr::MatchQuality(field, arms) => {
            let index = env.samples[field].quality as usize;
            match &arms[index] {
                Arm::Value(e) => eval(m, e, env)?,
                Arm::Reject(reason) => return Err(reason.clone()),
            }
        }
        Expr::Call(f, args) => {
            let mut values = Vec::new();
            for arg in args {
                // `string()` takes a value of any type, so the checker widens no int there: an
                // int the generator put where it wanted a float is written as an int.
                let arg = match (f, arg) {
                    (Builtin::String, Expr::Widen(inner)) => inner,
                    _ => arg,
                };
                match eval(m, arg, env)? {
                    Some(v) => values.push(v),
                    None => return Ok(None),
                }
            }
            call(m, *f, &values)
        }
        Expr::MakeCode(x) => match eval(m, x, env)? {
            Some(Str(text)) => is_code(&text).then_some(Code(text)),
            other => panic!("code from {other:?}"),
        },
        Expr::MakeSerial(x) => match eval(m, x, env)? {
            Some(Int(n)) => Some(Serial(n)),
            Some(Str(text)) => text.trim().parse().ok().map(Serial),
            other => panic!("serial from {other:?}"),
        },
        Expr::Lookup(key, field) => match eval(m, key, env)? {
            Some(Str(key)) => m
                .rows
                .iter()
                .find(|r| r.key == key)
                .and_then(|row| lookup_field(m, row, field)),
            other => panic!("lookup key {other:?}"),
        },
        Expr::RecordField(record, field) => lookup_field(m, env.records[record], field),
        Expr::CallFn(name, args) => {
            let f = m
                .functions
                .iter()
                .find(|f| f.name == *name)
                .expect("function");
            let mut vars = HashMap::new();
            for ((param, _), arg) in f.params.iter().zip(args) {
                vars.insert(param.clone(), eval(m, arg, env)?);
            }
            let inner = Env {
                vars,
                records: HashMap::new(),
                samples: HashMap::new(),
                position: 0,
            };
            eval(m, &f.body, &inner)?
        }
        Expr::Convert(x, from, to) => match eval(m, x, env)? {
            Some(Float(x)) => Some(Float(convert(x, *from, *to))),
            other => panic!("convert {other:?}"),
        },
        Expr::Widen(x) => match eval(m, x, env)? {
            Some(Int(n)) => Some(Float(n as f64)),
            None => None,
            other => panic!("widen {other:?}"),
        },
        Expr::Sample(field, part) => {
            let sample = env.samples[field];
            match (part, &sample.value) {
                (SamplePart::Good, SampleValue::Number(x)) if sample.quality == Quality::Good => {
                    Some(Float(*x))
                }
                (SamplePart::Value, SampleValue::Number(x)) => Some(Float(*x)),
                (SamplePart::Timestamp, _) => sample.timestamp.map(Time),
                _ => None,
            }
        }
        Expr::Shift(t, n, unit) => match eval(m, t, env)? {
            Some(Time(ms)) => Some(Time(ms + n * (unit.to_si() as i64) * 1000)),
            other => panic!("shift {other:?}"),
        },
        Expr::TimeDiff(a, b) => match both(m, a, b, env)? {
            Some((Time(a), Time(b))) => Some(Float((a - b) as f64 / 1000.0)),
            other => panic!("time difference {other:?}"),
        },
    })
}

/// A conversion as docs/language.md (section 14) says: one multiplication by the exact ratio of
/// the units rounded once, except where that ratio is not a finite decimal and its reciprocal
/// is: then a division by the reciprocal, so that exact values stay exact (`mm` to `in` is
/// `x / 25.4`, `s` to `min` is `x / 60`). The two can differ in the last bit and, after a
/// subtraction or a rounding, in the sign.
fn convert(x: f64, from: Unit, to: Unit) -> f64 {
    match (from, to) {
        (Unit::Mm, Unit::In) => x / 25.4,
        (Unit::In, Unit::Mm) => x * 25.4,
        (Unit::S, Unit::Min) => x / 60.0,
        (Unit::Min, Unit::S) => x * 60.0,
        _ => x,
    }
}

fn call(m: &Mapping, f: Builtin, args: &[Value]) -> Option<Value> {
    use Value::*;
    Some(match (f, args) {
        (Builtin::Trim, [Str(s)]) => Str(s.trim().to_string()),
        (Builtin::Lower, [Str(s)]) => Str(s.to_lowercase()),
        (Builtin::Upper, [Str(s)]) => Str(s.to_uppercase()),
        (Builtin::Round, [Float(x)]) => Float(round(*x, 0)),
        (Builtin::Round, [Float(x), Int(d)]) => Float(round(*x, *d)),
        (Builtin::ParseInt, [Str(s)]) => Int(s.trim().parse().ok()?),
        (Builtin::ParseFloat, [Str(s)]) => {
            let x: f64 = s.trim().parse().ok()?;
            Float(x.is_finite().then_some(x)?)
        }
        (Builtin::ToInt, [Float(x)]) => {
            let whole = x.fract() == 0.0
                && *x >= -9.223_372_036_854_776e18
                && *x < 9.223_372_036_854_776e18;
            Int(whole.then_some(*x as i64)?)
        }
        (Builtin::ToFloat, [Int(n)]) => Float(*n as f64),
        (Builtin::Concat, parts) => Str(parts.iter().map(|p| text_of(m, p)).collect()),
        (Builtin::String, [v]) => Str(text_of(m, v)),
        (Builtin::FormatTimestamp, [Time(ms), Str(format), Str(zone)]) => {
            Str(time::format(*ms, format, zone))
        }
        (Builtin::ToEpochMillis, [Time(ms)]) => Int(*ms),
        other => panic!("call {other:?}"),
    })
}
