//! Prints a generated mapping as the files a user would write: the `.fdi` mapping, its
//! module, the YAML schema, and the JSON Lines data.

use std::fmt::Write;

use super::ast::*;

pub const MODULE_PATH: &str = "lib/shared.fdi";

pub fn target_file(index: usize) -> String {
    format!("out/t{index}.jsonl")
}

pub const SQLITE_FILE: &str = "out/store.db";
pub const DEAD_LETTER: &str = "out/rejected.jsonl";

/// A string literal of the language, with its escapes.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn type_name(m: &Mapping, ty: Ty) -> String {
    match ty {
        Ty::Int => "int".into(),
        Ty::Float(None) => "float".into(),
        Ty::Float(Some(unit)) => format!("float[{}]", unit.symbol()),
        Ty::Str => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::Time => "timestamp".into(),
        Ty::Code => m.code_type.clone(),
        Ty::Serial => m.serial_type.clone(),
        Ty::Enum => m.enum_name.clone(),
    }
}

fn builtin_name(f: Builtin) -> &'static str {
    match f {
        Builtin::Trim => "trim",
        Builtin::Lower => "lower",
        Builtin::Upper => "upper",
        Builtin::Round => "round",
        Builtin::ParseInt => "parse_int",
        Builtin::ParseFloat => "parse_float",
        Builtin::ToInt => "to_int",
        Builtin::ToFloat => "to_float",
        Builtin::Concat => "concat",
        Builtin::String => "string",
        Builtin::FormatTimestamp => "format_timestamp",
        Builtin::ToEpochMillis => "to_epoch_millis",
    }
}

fn value(m: &Mapping, v: &Value, unit: Option<Unit>) -> String {
    let text = match v {
        Value::Int(n) | Value::Serial(n) => n.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Str(s) | Value::Code(s) => quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Enum(i) => format!("{}.{}", m.enum_name, m.enum_codes[*i]),
        Value::Time(_) => unreachable!("timestamps have no literal"),
    };
    match unit {
        Some(unit) => format!("{text}[{}]", unit.symbol()),
        None => text,
    }
}

fn arm(m: &Mapping, a: &Arm) -> String {
    match a {
        Arm::Value(e) => expr(m, e),
        Arm::Reject(reason) => format!("reject {}", quote(reason)),
    }
}

fn list(m: &Mapping, args: &[Expr]) -> String {
    args.iter()
        .map(|a| expr(m, a))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every compound expression is bracketed, so the text means the tree whatever the precedence.
pub fn expr(m: &Mapping, e: &Expr) -> String {
    let bin = |op: &str, a: &Expr, b: &Expr| format!("({} {op} {})", expr(m, a), expr(m, b));
    match e {
        Expr::Lit(v, unit) => value(m, v, *unit),
        Expr::Var(name) => name.clone(),
        Expr::Position => "source.position".into(),
        Expr::Neg(x) => {
            let inner = expr(m, x);
            if inner.starts_with('-') {
                format!("(-({inner}))")
            } else {
                format!("(-{inner})")
            }
        }
        Expr::Arith(op, a, b) => {
            let op = match op {
                ArithOp::Add => "+",
                ArithOp::Sub => "-",
                ArithOp::Mul => "*",
                ArithOp::Div => "/",
                ArithOp::Rem => "%",
            };
            bin(op, a, b)
        }
        Expr::Join(a, b) | Expr::TimeDiff(a, b) => bin(
            if matches!(e, Expr::Join(..)) {
                "+"
            } else {
                "-"
            },
            a,
            b,
        ),
        Expr::Cmp(op, a, b) => {
            let op = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            bin(op, a, b)
        }
        Expr::And(a, b) => bin("and", a, b),
        Expr::Or(a, b) => bin("or", a, b),
        Expr::Not(x) => format!("(not {})", expr(m, x)),
        Expr::Default(a, b) => bin("??", a, b),
        Expr::Coalesce(args) => format!("coalesce({})", list(m, args)),
        Expr::Match { on, arms, wildcard } => {
            let mut text = format!("(match {} {{ ", expr(m, on));
            for (patterns, a) in arms {
                let patterns: Vec<String> = patterns.iter().map(|p| value(m, p, None)).collect();
                let _ = write!(text, "{} => {}, ", patterns.join(" | "), arm(m, a));
            }
            if let Some(a) = wildcard {
                let _ = write!(text, "_ => {}, ", arm(m, a));
            }
            text + "})"
        }
        Expr::MatchQuality(field, arms) => {
            let mut text = format!("(match {field}.quality {{ ");
            for (code, a) in ["GOOD", "UNCERTAIN", "BAD"].iter().zip(arms) {
                let _ = write!(text, "Quality.{code} => {}, ", arm(m, a));
            }
            text + "})"
        }
        Expr::Call(f, args) => format!("{}({})", builtin_name(*f), list(m, args)),
        Expr::MakeCode(x) => format!("{}({})", m.code_type, expr(m, x)),
        Expr::MakeSerial(x) => format!("{}({})", m.serial_type, expr(m, x)),
        Expr::Lookup(key, field) => format!("{}[{}].{field}", m.lookup_name, expr(m, key)),
        Expr::RecordField(record, field) => format!("{record}.{field}"),
        Expr::CallFn(name, args) => format!("{name}({})", list(m, args)),
        Expr::Convert(x, _, to) => format!("({} as [{}])", expr(m, x), to.symbol()),
        Expr::Widen(x) => expr(m, x),
        Expr::Sample(field, SamplePart::Good) => field.clone(),
        Expr::Sample(field, SamplePart::Value) => format!("{field}.value"),
        Expr::Sample(field, SamplePart::Timestamp) => format!("{field}.timestamp"),
        Expr::Shift(t, n, unit) => {
            let sign = if *n < 0 { '-' } else { '+' };
            format!("({} {sign} {}[{}])", expr(m, t), n.abs(), unit.symbol())
        }
    }
}

fn else_reject(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" else reject {}", quote(r)))
        .unwrap_or_default()
}

fn function(m: &Mapping, f: &FnDef) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|(p, ty)| format!("{p}: {}", type_name(m, *ty)))
        .collect();
    format!(
        "fn {}({}) -> {} = {}\n",
        f.name,
        params.join(", "),
        type_name(m, f.ret),
        expr(m, &f.body)
    )
}

fn lookup_declaration(m: &Mapping, data_dir: &str) -> String {
    format!(
        "lookup {}: jsonl(\"{data_dir}/master.jsonl\") as {} key {}\n",
        m.lookup_name, m.lookup_entity.name, m.lookup_entity.fields[0].name
    )
}

pub fn has_module(m: &Mapping) -> bool {
    m.lookup_in_module || m.functions.iter().any(|f| f.in_module)
}

pub fn module_text(m: &Mapping) -> String {
    let mut text = String::from("module shared\n\nschema \"../schema.yaml\"\n\n");
    if m.lookup_in_module {
        text += &lookup_declaration(m, "../data");
    }
    for f in m.functions.iter().filter(|f| f.in_module) {
        text += &function(m, f);
    }
    text
}

pub fn mapping_text(m: &Mapping, seed: u64) -> String {
    let mut t = format!("// Written by compiler/tests/promise.rs from seed {seed}.\n");
    let _ = writeln!(t, "mapping {} version \"1\"\n", m.name);
    // The module loads the schema for both: the same file loaded by the mapping and by its
    // module is reported as declaring every type twice (E0206).
    if has_module(m) {
        let _ = writeln!(t, "import \"{MODULE_PATH}\"");
    } else {
        t += "schema \"schema.yaml\"\n";
    }
    let _ = writeln!(
        t,
        "\nsource {}: jsonl(\"data/input.jsonl\") as {}",
        m.source_name, m.source.name
    );
    if !m.lookup_in_module {
        t += &lookup_declaration(m, "data");
    }
    for (i, flow) in m.flows.iter().enumerate() {
        let target = &flow.target;
        let connector = match target.kind {
            TargetKind::Jsonl => format!("jsonl(\"{}\")", target_file(i)),
            TargetKind::Sqlite => format!("sqlite(\"{SQLITE_FILE}\", table: \"t{i}\")"),
        };
        let key = target
            .key
            .as_ref()
            .map(|k| format!(" key {k}"))
            .unwrap_or_default();
        let provenance = if target.provenance {
            " with provenance"
        } else {
            ""
        };
        let _ = writeln!(
            t,
            "target {}: {connector} as {}{key}{provenance}",
            target.name, target.entity.name
        );
    }
    let _ = writeln!(t, "dead_letter: jsonl(\"{DEAD_LETTER}\")\n");
    for f in m.functions.iter().filter(|f| !f.in_module) {
        t += &function(m, f);
    }
    for flow in &m.flows {
        let filter = flow
            .filter
            .as_ref()
            .map(|w| format!(" where {}", expr(m, w)))
            .unwrap_or_default();
        let _ = writeln!(
            t,
            "\nflow {}: {} -> {}{filter} {{",
            flow.name, m.source_name, flow.target.name
        );
        for stmt in &flow.stmts {
            let line = match stmt {
                Stmt::Let(name, e, reason) => {
                    format!("let {name} = {}{}", expr(m, e), else_reject(reason))
                }
                Stmt::LetRecord(name, key, reason) => format!(
                    "let {name} = {}[{}] else reject {}",
                    m.lookup_name,
                    expr(m, key),
                    quote(reason)
                ),
                Stmt::Assign(field, e, reason) => {
                    format!("{field} = {}{}", expr(m, e), else_reject(reason))
                }
            };
            let _ = writeln!(t, "  {line}");
        }
        t += "}\n";
    }
    t
}

fn yaml(text: &str) -> String {
    serde_json::to_string(text).expect("a JSON string is a YAML string")
}

fn entity_yaml(m: &Mapping, e: &Entity, out: &mut String) {
    let _ = writeln!(out, "  {}:\n    fields:", yaml(&e.name));
    for f in &e.fields {
        let mut keys = vec![format!("type: {}", yaml(&type_name(m, f.ty)))];
        if f.optional {
            keys.push("optional: true".into());
        }
        if let Some(column) = &f.column {
            keys.push(format!("column: {}", yaml(column)));
        }
        if f.quality {
            keys.push("quality: true".into());
        }
        let _ = writeln!(out, "      {}: {{ {} }}", yaml(&f.name), keys.join(", "));
    }
}

pub fn schema_yaml(m: &Mapping) -> String {
    let mut out = String::from("identifiers:\n");
    let _ = writeln!(
        out,
        "  {}: {{ base: string, pattern: \"[A-Z]{{2}}[0-9]{{2}}\" }}",
        yaml(&m.code_type)
    );
    let _ = writeln!(out, "  {}: {{ base: int }}", yaml(&m.serial_type));
    let codes: Vec<String> = m.enum_codes.iter().map(|c| yaml(c)).collect();
    let _ = writeln!(
        out,
        "enums:\n  {}: {{ codes: [{}] }}\nentities:",
        yaml(&m.enum_name),
        codes.join(", ")
    );
    entity_yaml(m, &m.source, &mut out);
    entity_yaml(m, &m.lookup_entity, &mut out);
    for flow in &m.flows {
        entity_yaml(m, &flow.target.entity, &mut out);
    }
    out
}

pub fn input_jsonl(m: &Mapping) -> String {
    m.records.iter().map(|r| format!("{}\n", r.json)).collect()
}

pub fn master_jsonl(m: &Mapping) -> String {
    let names: Vec<&str> = m
        .lookup_entity
        .fields
        .iter()
        .map(|f| f.data_name())
        .collect();
    m.rows
        .iter()
        .map(|row| {
            let mut object = serde_json::Map::new();
            object.insert(names[0].into(), row.key.clone().into());
            object.insert(names[1].into(), row.number.into());
            object.insert(names[2].into(), row.text.clone().into());
            if let Some(note) = &row.note {
                object.insert(names[3].into(), note.clone().into());
            }
            format!("{}\n", serde_json::Value::Object(object))
        })
        .collect()
}
