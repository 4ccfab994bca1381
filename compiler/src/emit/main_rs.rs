//! `src/main.rs`: the program's entry point and the loop that drives every source through
//! the stages read, decode, map, write and acknowledge.

use codegen::{Function, Scope};

use super::names::{field_ident, local_ident};
use super::types::{columns_const, traced_columns_const};
use super::EmitOptions;
use crate::ir::{self, FileFormat, TargetKind};

/// Names `run` uses itself.
const RESERVED: &[&str] = &[
    "run", "raw", "record", "lookups", "main", "flows", "types", "manifest", "read_at",
];

pub fn main_rs(program: &ir::Program, options: &EmitOptions) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope.raw(format!(
        "//! The integration program of mapping `{}` version {:?}.\n//!\n//! Run it with `--help` for its options. Every record read is written to its targets,\n//! filtered, or rejected into the dead-letter file with its reason.",
        program.name, program.version
    ));
    scope.raw(if program.functions.is_empty() {
        "mod flows;\nmod manifest;\nmod types;"
    } else {
        "mod flows;\nmod functions;\nmod manifest;\nmod types;"
    });
    scope.raw("// The read stage of every source.\nuse fdi_runtime::Source as _;");
    // The names let `--source NAME=PATH` and `--lookup NAME=PATH` refuse a name the mapping does not have.
    let names = |names: Vec<&String>| {
        let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        format!("&[{}]", quoted.join(", "))
    };
    scope.raw(format!(
        "/// What the runtime needs to know about this program.\npub const PROGRAM: fdi_runtime::ProgramInfo = fdi_runtime::ProgramInfo {{\n    \
             mapping: {:?},\n    \
             version: {:?},\n    \
             mapping_dir: {:?},\n    \
             dead_letter: {:?},\n    \
             sources: {},\n    \
             lookups: {},\n    \
             manifest: &manifest::MANIFEST,\n\
         }};",
        program.name,
        program.version,
        options.mapping_dir,
        program.dead_letter,
        names(program.sources.iter().map(|s| &s.name).collect()),
        names(program.lookups.iter().map(|l| &l.name).collect()),
    ));
    scope
        .new_fn("main")
        .ret("std::process::ExitCode")
        .line("fdi_runtime::cli::main(&PROGRAM, run)");
    scope.push_fn(run_fn(program));
    scope.to_string() + "\n"
}

/// The type of the records a target receives: its entity's, traced when it keeps provenance.
fn record_type(target: &ir::Target) -> String {
    if target.provenance {
        format!("fdi_runtime::Traced<types::{}>", target.entity)
    } else {
        format!("types::{}", target.entity)
    }
}

fn name(n: &str) -> String {
    local_ident(n, RESERVED)
}

fn run_fn(program: &ir::Program) -> Function {
    let mut f = Function::new("run");
    f.doc("Loads the lookups, opens the targets, then drives each source through its flows.")
        .arg("run", "&mut fdi_runtime::Run")
        .ret("Result<(), fdi_runtime::RunError>");

    let mut lookups = vec!["let lookups = flows::Lookups {".to_string()];
    for l in &program.lookups {
        let load = match l.format {
            FileFormat::Csv => "lookup_csv",
            FileFormat::Jsonl => "lookup_jsonl",
        };
        lookups.push(format!(
            "    {}: run.{load}({:?}, {:?}, {:?}, |row: &types::{}| row.{}.to_string())?,",
            field_ident(&l.name),
            l.name,
            l.path,
            l.entity,
            l.entity,
            field_ident(&l.key_field)
        ));
    }
    lookups.push("};".into());
    f.line(lookups.join("\n"));

    for t in &program.targets {
        let line = match &t.kind {
            TargetKind::Sqlite { path, table } => {
                let key: Vec<String> = t
                    .key
                    .iter()
                    .map(|k| {
                        let field = program.schema.entities[&t.entity]
                            .field(k)
                            .map(|f| f.external_name())
                            .unwrap_or(k);
                        format!("{field:?}")
                    })
                    .collect();
                let columns = if t.provenance {
                    traced_columns_const(&t.entity)
                } else {
                    columns_const(&t.entity)
                };
                format!(
                    "let mut {} = run.sqlite_target::<{}>({:?}, {path:?}, {table:?}, types::{columns}, &[{}])?;",
                    name(&t.name),
                    record_type(t),
                    t.name,
                    key.join(", ")
                )
            }
            TargetKind::Jsonl { path } => format!(
                "let mut {} = run.jsonl_target::<{}>({:?}, {path:?})?;",
                name(&t.name),
                record_type(t),
                t.name
            ),
        };
        f.line(line);
    }

    for source in &program.sources {
        let flows: Vec<&ir::Flow> = program.flows_of(&source.name).collect();
        if flows.is_empty() {
            continue;
        }
        f.line("");
        let flow_names: Vec<String> = flows.iter().map(|fl| fl.name.clone()).collect();
        f.line(format!(
            "// Source `{}` feeds {}.",
            source.name,
            flow_names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let open = match source.format {
            FileFormat::Csv => "csv_source",
            FileFormat::Jsonl => "jsonl_source",
        };
        let src = name(&source.name);
        f.line(format!(
            "let mut {src} = run.{open}({:?}, {:?})?;",
            source.name, source.path
        ));
        for fl in &flows {
            f.line(format!(
                "let {} = run.flow({:?}, {:?}, {:?});",
                name(&fl.name),
                fl.name,
                fl.source,
                fl.target
            ));
        }
        let mut targets: Vec<String> = Vec::new();
        for fl in &flows {
            let t = format!("&mut {}", name(&fl.target));
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        let targets = targets.join(", ");
        let ids: Vec<String> = flows.iter().map(|fl| name(&fl.name)).collect();
        let traced = |fl: &ir::Flow| {
            program
                .targets
                .iter()
                .any(|t| t.name == fl.target && t.provenance)
        };
        let mut body = Vec::new();
        // Provenance of a source without a time of its own: when the record was read.
        let source_time = match &source.time_field {
            Some(field) => format!("record.{}", field_ident(field)),
            None => {
                if flows.iter().any(|fl| traced(fl)) {
                    body.push("    let read_at = fdi_runtime::Timestamp::now();".to_string());
                }
                "read_at".to_string()
            }
        };
        body.push(format!(
            "    if let Some(record) = run.decode::<types::{}>(&raw, {:?}, &[{}])? {{",
            source.entity,
            source.entity,
            ids.join(", ")
        ));
        for fl in &flows {
            let mapped = format!("flows::{}(&record, &raw, &lookups)", fl.name);
            let outcome = if traced(fl) {
                format!(
                    "fdi_runtime::FlowTrace::new({:?}, &manifest::MANIFEST).attach({mapped}, &raw, {source_time})",
                    fl.name
                )
            } else {
                mapped
            };
            body.push(format!(
                "        run.deliver({id}, &raw, {outcome}, &mut {})?;",
                name(&fl.target),
                id = name(&fl.name)
            ));
        }
        body.push("    }".into());
        body.push(format!(
            "    run.checkpoint(&mut {src}, raw.position(), &mut [{targets}])?;"
        ));
        // Hands the record's buffers back for the next read.
        body.push(format!("    {src}.recycle(raw);"));
        f.line(format!(
            "while let Some(raw) = {src}.read()? {{\n{}\n}}",
            body.join("\n")
        ));
        f.line(format!("run.finish(&mut {src}, &mut [{targets}])?;"));
    }
    f.line("Ok(())");
    f
}
