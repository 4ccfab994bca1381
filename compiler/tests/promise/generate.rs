//! Generates a whole mapping from a seed: schema types, a source with every kind of field,
//! a lookup (in a module or the mapping), functions, many flows each writing its own target,
//! and the records the source holds.

use super::ast::*;
use super::expressions::{Context, ExprGen, Maybe, Scope, STRINGS};
use super::names::{fresh, Pools};
use super::rng::Rng;
use super::time::rfc3339;
use super::widening::{int_typed, unwiden};

/// The kinds of source fields: (type, optional, with a quality).
const SOURCE_FIELDS: &[(Ty, bool, bool)] = &[
    (Ty::Int, false, false),
    (Ty::Int, false, false),
    (Ty::Int, true, false),
    (Ty::Float(None), false, false),
    (Ty::Float(None), true, false),
    (Ty::Float(Some(Unit::Mm)), false, false),
    (Ty::Float(Some(Unit::Mm)), true, false),
    (Ty::Str, false, false),
    (Ty::Str, false, false),
    (Ty::Str, true, false),
    (Ty::Bool, false, false),
    (Ty::Bool, true, false),
    (Ty::Time, false, false),
    (Ty::Time, true, false),
    (Ty::Enum, false, false),
    (Ty::Enum, true, false),
    (Ty::Float(None), false, true),
];

const TARGET_TYPES: &[Ty] = &[
    Ty::Int,
    Ty::Float(None),
    Ty::Float(Some(Unit::Mm)),
    Ty::Float(Some(Unit::In)),
    Ty::Float(Some(Unit::S)),
    Ty::Str,
    Ty::Str,
    Ty::Bool,
    Ty::Time,
    Ty::Code,
    Ty::Serial,
    Ty::Enum,
];

const LET_TYPES: &[Ty] = &[
    Ty::Int,
    Ty::Float(None),
    Ty::Float(Some(Unit::Mm)),
    Ty::Str,
    Ty::Bool,
    Ty::Time,
    Ty::Code,
    Ty::Enum,
];

const FN_TYPES: &[Ty] = &[Ty::Int, Ty::Float(None), Ty::Str, Ty::Bool];

/// 2024-03-01T12:00:00Z, around which the records' times lie.
const BASE_TIME_MS: i64 = 1_709_294_400_000;

/// Which names a mapping takes: `None` draws hostile or plain names by seed.
pub fn mapping(
    seed: u64,
    flow_count: usize,
    record_count: usize,
    hostile: Option<bool>,
) -> Mapping {
    let rng = &mut Rng::new(seed);
    let drawn = rng.chance(50);
    let pools = Pools::new(hostile.unwrap_or(drawn));
    let name = if rng.chance(40) && !pools.mappings.is_empty() {
        rng.pick(pools.mappings).to_string()
    } else {
        format!("promise_{}", seed % 1000)
    };
    let mut types = Vec::new();
    let code_type = fresh(rng, pools.types, &mut types, "Code");
    let serial_type = fresh(rng, pools.types, &mut types, "Serial");
    let enum_name = fresh(rng, pools.types, &mut types, "Kind");
    let mut codes = Vec::new();
    for _ in 0..rng.range(2, 4) {
        fresh(rng, pools.codes, &mut codes, "C");
    }
    let source_type = fresh(rng, pools.types, &mut types, "Input");
    // A value named like a type hides it in expressions (`main.RED` reads a binding `main`).
    let type_names = vec![code_type.clone(), serial_type.clone(), enum_name.clone()];
    let source = source_entity(rng, pools, source_type, &type_names);
    let mut lookup_fields = Vec::new();
    let lookup_entity = Entity {
        name: fresh(rng, pools.types, &mut types, "Master"),
        fields: [
            (Ty::Str, false),
            (Ty::Int, false),
            (Ty::Str, false),
            (Ty::Str, true),
        ]
        .iter()
        .map(|(ty, optional)| Field {
            name: fresh(rng, pools.values, &mut lookup_fields, "m"),
            column: None,
            ty: *ty,
            optional: *optional,
            quality: false,
        })
        .collect(),
    };
    // Sources, lookups, targets, flows and functions share one namespace; functions may not
    // take an identifier type's name either.
    let mut declarations = type_names.clone();
    let source_name = fresh(rng, pools.values, &mut declarations, "src");
    let lookup_name = fresh(rng, pools.values, &mut declarations, "lk");
    let mut cx = Context {
        enum_codes: codes.len(),
        lookup_fields: [1, 2, 3].map(|i| lookup_entity.fields[i].name.clone()),
        functions: Vec::new(),
        reasons: 0,
    };
    let functions = functions(rng, pools, &mut cx, &mut declarations, &type_names);
    let required_times: Vec<String> = source
        .fields
        .iter()
        .filter(|f| f.ty == Ty::Time && !f.optional)
        .map(|f| f.name.clone())
        .collect();
    let flows = (0..flow_count)
        .map(|i| {
            let target = target(rng, pools, i, &mut types, &mut declarations, flow_count);
            let name = fresh(rng, pools.values, &mut declarations, "flow");
            let reserved = [
                &required_times[..],
                &type_names,
                std::slice::from_ref(&lookup_name),
            ]
            .concat();
            flow(rng, pools, &mut cx, name, target, &source, &reserved)
        })
        .collect();
    let records = (0..record_count)
        .map(|_| record(rng, &source, &codes))
        .collect();
    let rows = ["k1", "k2", "k3", "AB12", "Ünï"]
        .iter()
        .enumerate()
        .map(|(i, key)| LookupRow {
            key: key.to_string(),
            number: [5, -3, 0, 9_000_000_000, 1][i],
            text: STRINGS[rng.below(STRINGS.len())].to_string(),
            note: rng.chance(60).then(|| format!("note {i}")),
        })
        .collect();
    Mapping {
        name,
        source_name,
        source,
        lookup_name,
        lookup_entity,
        lookup_in_module: rng.chance(50),
        rows,
        code_type,
        serial_type,
        enum_name,
        enum_codes: codes,
        functions,
        flows,
        records,
    }
}

fn source_entity(rng: &mut Rng, pools: Pools, name: String, type_names: &[String]) -> Entity {
    let mut names = type_names.to_vec();
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    for (ty, optional, quality) in SOURCE_FIELDS {
        let field_name = fresh(rng, pools.values, &mut names, "f");
        let column = rng
            .chance(20)
            .then(|| fresh(rng, pools.values, &mut names, "col"));
        let data = column.clone().unwrap_or(field_name.clone());
        let mut data_names = vec![data.clone()];
        if *quality {
            data_names.push(format!("{data}_quality"));
            data_names.push(format!("{data}_timestamp"));
        }
        // No two fields may read the same column (E0217): leave a clashing one out.
        if data_names.iter().any(|d| columns.contains(d)) {
            continue;
        }
        columns.extend(data_names);
        fields.push(Field {
            name: field_name,
            column,
            ty: *ty,
            optional: *optional,
            quality: *quality,
        });
    }
    assert!(fields.iter().any(|f| f.ty == Ty::Time && !f.optional));
    Entity { name, fields }
}

fn functions(
    rng: &mut Rng,
    pools: Pools,
    cx: &mut Context,
    declarations: &mut Vec<String>,
    type_names: &[String],
) -> Vec<FnDef> {
    let count = rng.range(0, 4) as usize;
    let in_module = rng.range(0, count as i64) as usize;
    (0..count)
        .map(|i| {
            let name = fresh(rng, pools.values, declarations, "func");
            let mut param_names = type_names.to_vec();
            let params: Vec<(String, Ty)> = (0..rng.range(1, 2))
                .map(|_| {
                    let p = fresh(rng, pools.values, &mut param_names, "p");
                    (p, *rng.pick(FN_TYPES))
                })
                .collect();
            let ret = *rng.pick(FN_TYPES);
            let mut scope = Scope {
                in_fn: true,
                ..Scope::default()
            };
            for (p, ty) in &params {
                scope.bind(p, *ty, Maybe::No);
            }
            // A function in the module calls only functions of the module, which come first.
            let body = ExprGen { rng, cx }.expr(ret, 2, &scope);
            cx.functions.push((
                name.clone(),
                params.iter().map(|p| p.1).collect(),
                ret,
                body.maybe != Maybe::No,
            ));
            FnDef {
                name,
                params,
                ret,
                body: body.e,
                in_module: i < in_module,
            }
        })
        .collect()
}

fn target(
    rng: &mut Rng,
    pools: Pools,
    index: usize,
    types: &mut Vec<String>,
    declarations: &mut Vec<String>,
    flow_count: usize,
) -> Target {
    let mut names = Vec::new();
    let position = fresh(rng, pools.values, &mut names, "pos");
    let mut fields = vec![Field {
        name: position.clone(),
        column: None,
        ty: Ty::Int,
        optional: false,
        quality: false,
    }];
    for _ in 0..rng.range(1, 4) {
        let name = fresh(rng, pools.values, &mut names, "v");
        let column = rng
            .chance(15)
            .then(|| fresh(rng, pools.values, &mut names, "c"));
        fields.push(Field {
            name,
            column,
            ty: *rng.pick(TARGET_TYPES),
            optional: rng.chance(35),
            quality: false,
        });
    }
    let sqlite = index == 0 && flow_count > 1;
    Target {
        name: fresh(rng, pools.values, declarations, "out"),
        entity: Entity {
            name: fresh(rng, pools.types, types, "Out"),
            fields,
        },
        kind: if sqlite {
            TargetKind::Sqlite
        } else {
            TargetKind::Jsonl
        },
        key: sqlite.then_some(position),
        provenance: index == 1 || rng.chance(10),
    }
}

fn flow(
    rng: &mut Rng,
    pools: Pools,
    cx: &mut Context,
    name: String,
    target: Target,
    source: &Entity,
    reserved: &[String],
) -> Flow {
    let mut scope = Scope::default();
    for f in &source.fields {
        if f.quality {
            scope.samples.push(f.name.clone());
        } else {
            let maybe = if f.optional {
                Maybe::Optional
            } else {
                Maybe::No
            };
            scope.vars.push((f.name.clone(), f.ty, maybe));
        }
    }
    let filter = rng
        .chance(20)
        .then(|| ExprGen { rng, cx }.present(Ty::Bool, 2, &scope));
    scope.may_reject = true;
    let mut stmts = Vec::new();
    let mut bound: Vec<String> = reserved.to_vec();
    if rng.chance(30) {
        let mut ex = ExprGen { rng, cx };
        let key = ex.present(Ty::Str, 2, &scope);
        let reason = ex.reason();
        let name = fresh(rng, pools.values, &mut bound, "m");
        scope.bind_record(&name);
        stmts.push(Stmt::LetRecord(name, key, reason));
    }
    let mut order: Vec<usize> = (0..target.entity.fields.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    for i in order {
        while rng.chance(40) {
            let name = fresh(rng, pools.values, &mut bound, "l");
            let ty = *rng.pick(LET_TYPES);
            let mut ex = ExprGen { rng, cx };
            let mut value = ex.expr(ty, 3, &scope);
            // A binding has the type of its value: an int stays an int.
            let ty = if int_typed(&value.e) {
                value.e = unwiden(value.e);
                Ty::Int
            } else {
                ty
            };
            let (reject, maybe) = if value.maybe != Maybe::No && ex.rng.chance(50) {
                (Some(ex.reason()), Maybe::No)
            } else {
                (None, value.maybe)
            };
            scope.bind(&name, ty, maybe);
            stmts.push(Stmt::Let(name, value.e, reject));
        }
        let field = &target.entity.fields[i];
        if i == 0 {
            stmts.push(Stmt::Assign(field.name.clone(), Expr::Position, None));
            continue;
        }
        let mut ex = ExprGen { rng, cx };
        let value = ex.arm_value(field.ty, 3, &scope);
        let stmt = if value.maybe == Maybe::No
            || (field.optional && value.maybe == Maybe::Optional && ex.rng.chance(70))
        {
            Stmt::Assign(field.name.clone(), value.e, None)
        } else if ex.rng.chance(50) {
            Stmt::Assign(field.name.clone(), value.e, Some(ex.reason()))
        } else {
            let handled = ex.or_default(value.e, field.ty, |ex, ty| ex.present(ty, 0, &scope));
            Stmt::Assign(field.name.clone(), handled, None)
        };
        stmts.push(stmt);
    }
    Flow {
        name,
        target,
        filter,
        stmts,
    }
}

fn record(rng: &mut Rng, source: &Entity, codes: &[String]) -> Record {
    let mut json = serde_json::Map::new();
    let mut values = Vec::new();
    let mut samples = Vec::new();
    let broken = rng.chance(8);
    for f in &source.fields {
        let key = f.data_name().to_string();
        if f.quality {
            let sample = sample(rng, &key, &mut json);
            samples.push((f.name.clone(), sample));
            continue;
        }
        if f.optional && rng.chance(30) {
            if rng.chance(50) {
                json.insert(key, serde_json::Value::Null);
            }
            values.push((f.name.clone(), None));
            continue;
        }
        let (value, data) = match f.ty {
            Ty::Int => {
                let n = *rng.pick(&[0, 1, 2, 3, -1, 7, 42, i64::MAX, i64::MIN, 1 << 40, -5, 100]);
                (Value::Int(n), serde_json::json!(n))
            }
            Ty::Float(_) => {
                let x = *rng.pick(&[0.0, 1.5, -2.25, 2.675, 1234.5, 1e-3, 3.0, -0.5, 1e6, 25.4]);
                (Value::Float(x), serde_json::json!(x))
            }
            Ty::Str => {
                let s = rng.pick(STRINGS).to_string();
                (Value::Str(s.clone()), serde_json::json!(s))
            }
            Ty::Bool => {
                let b = rng.chance(50);
                (Value::Bool(b), serde_json::json!(b))
            }
            Ty::Time => {
                let ms = BASE_TIME_MS + rng.range(-100_000, 100_000) * 1000;
                let offset = *rng.pick(&[0, 60, -330]);
                (Value::Time(ms), serde_json::json!(rfc3339(ms, offset)))
            }
            Ty::Enum => {
                let i = rng.below(codes.len());
                (Value::Enum(i), serde_json::json!(codes[i]))
            }
            Ty::Code | Ty::Serial => unreachable!("no identifier fields in the source"),
        };
        json.insert(key, data);
        values.push((f.name.clone(), Some(value)));
    }
    if broken {
        // A required int that is text: the record does not decode.
        let f = source
            .fields
            .iter()
            .find(|f| f.ty == Ty::Int && !f.optional)
            .expect("int");
        json.insert(f.data_name().to_string(), serde_json::json!("n/a"));
    }
    Record {
        values: (!broken).then_some(values),
        samples,
        json: serde_json::Value::Object(json),
    }
}

fn sample(
    rng: &mut Rng,
    key: &str,
    json: &mut serde_json::Map<String, serde_json::Value>,
) -> Sample {
    let value = match rng.below(6) {
        0 => SampleValue::Missing,
        1 => SampleValue::Unavailable,
        2 => SampleValue::Garbled("abc".to_string()),
        _ => SampleValue::Number(*rng.pick(&[0.0, 12.5, -3.0, 1500.0])),
    };
    // MTConnect's UNAVAILABLE comes with a bad quality here, so that the test does not depend
    // on what an UNAVAILABLE value with a good quality column means (see docs/language.md 16).
    let qualities: &[(&str, Quality)] = if matches!(value, SampleValue::Unavailable) {
        &[
            ("BAD", Quality::Bad),
            ("BadCommunicationError", Quality::Bad),
        ]
    } else {
        &[
            ("GOOD", Quality::Good),
            ("good", Quality::Good),
            ("GoodClamped", Quality::Good),
            ("0", Quality::Good),
            ("Bad", Quality::Bad),
            ("2147483648", Quality::Bad),
            ("UncertainLastUsableValue", Quality::Uncertain),
            ("1073741824", Quality::Uncertain),
            ("", Quality::Uncertain),
        ]
    };
    let unavailable = matches!(value, SampleValue::Unavailable);
    let (quality_text, quality) = if !unavailable && rng.chance(10) {
        (None, Quality::Uncertain)
    } else {
        let (text, q) = *rng.pick(qualities);
        (Some(text.to_string()), q)
    };
    let timestamp = rng
        .chance(70)
        .then(|| BASE_TIME_MS + rng.range(-5000, 5000) * 1000);
    match &value {
        SampleValue::Missing => {}
        SampleValue::Unavailable => {
            json.insert(key.to_string(), serde_json::json!("UNAVAILABLE"));
        }
        SampleValue::Garbled(text) => {
            json.insert(key.to_string(), serde_json::json!(text));
        }
        SampleValue::Number(x) => {
            json.insert(key.to_string(), serde_json::json!(x));
        }
    }
    // Without a quality column the quality is UNCERTAIN, as for an empty one.
    if let Some(text) = &quality_text {
        json.insert(format!("{key}_quality"), serde_json::json!(text));
    }
    if let Some(ms) = timestamp {
        json.insert(
            format!("{key}_timestamp"),
            serde_json::json!(rfc3339(ms, 0)),
        );
    }
    Sample {
        value,
        quality,
        timestamp,
    }
}
