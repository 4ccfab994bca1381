//! `fdi lineage FILE TARGET.FIELD`: the lineage of one target field, or a diagnostic that
//! says which part of `TARGET.FIELD` names nothing.

use super::graph::{Deps, Lineage};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::ir::Program;
use crate::source_map::{FileId, Span};

/// What one target field depends on, per flow that assigns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAnswer {
    pub target: String,
    pub field: String,
    pub entity: String,
    pub optional: bool,
    /// Empty when no flow assigns the field (only an optional field can be left out).
    pub flows: Vec<FlowAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowAnswer {
    pub flow: String,
    pub source: String,
    pub deps: Deps,
    /// What the flow's `where` reads: it decides whether the record is written at all.
    pub filter: Option<Deps>,
    /// What the flow's `skip when` conditions read: they decide it too.
    pub skips: Option<Deps>,
}

/// Answers `query` (`TARGET.FIELD`, the whole text of file `query_file`, as the command line
/// gave it) from the program's lineage.
pub fn field_lineage(
    program: &Program,
    lineage: &Lineage,
    query: &str,
    query_file: FileId,
) -> Result<FieldAnswer, Diagnostic> {
    let whole = Span::new(query_file, 0, query.len());
    let Some((target_name, field_name)) = query.split_once('.') else {
        let targets: Vec<&str> = program.targets.iter().map(|t| t.name.as_str()).collect();
        return Err(Diagnostic::error(
            Code::BadLineageQuery,
            format!("`{query}` does not name a target field"),
        )
        .label(whole, "expected TARGET.FIELD")
        .help(format!(
            "write the target's name, a dot and the field's name, such as `{}.FIELD`",
            targets.first().copied().unwrap_or("TARGET")
        )));
    };
    let target_span = Span::new(query_file, 0, target_name.len());
    let field_span = Span::new(query_file, target_name.len() + 1, query.len());
    if target_name.is_empty() || field_name.is_empty() || field_name.contains('.') {
        return Err(Diagnostic::error(
            Code::BadLineageQuery,
            format!("`{query}` does not name a target field"),
        )
        .label(whole, "expected TARGET.FIELD, with one dot")
        .help("write the target's name, a dot and the field's name, such as `states.line`"));
    }
    let Some(target) = program.targets.iter().find(|t| t.name == target_name) else {
        let names: Vec<&str> = program.targets.iter().map(|t| t.name.as_str()).collect();
        let other_kind = if program.sources.iter().any(|s| s.name == target_name) {
            Some("a source")
        } else if program.lookups.iter().any(|l| l.name == target_name) {
            Some("a lookup")
        } else if program.flows.iter().any(|f| f.name == target_name) {
            Some("a flow")
        } else {
            None
        };
        let label = match other_kind {
            Some(kind) => format!("this is {kind}, not a target"),
            None => "no such target".to_string(),
        };
        let help = did_you_mean(target_name, names.iter().copied())
            .unwrap_or_else(|| format!("the mapping's targets are: {}", list(&names)));
        return Err(Diagnostic::error(
            Code::UnknownLineageTarget,
            format!("mapping `{}` has no target `{target_name}`", program.name),
        )
        .label(target_span, label)
        .help(help));
    };
    let entity = program.schema.entities.get(&target.entity);
    let schema_field = entity.and_then(|e| e.fields.iter().find(|f| f.name == field_name));
    let Some(schema_field) = schema_field else {
        let names: Vec<&str> = entity
            .map(|e| e.fields.iter().map(|f| f.name.as_str()).collect())
            .unwrap_or_default();
        let help = did_you_mean(field_name, names.iter().copied())
            .unwrap_or_else(|| format!("the fields of `{}` are: {}", target.entity, list(&names)));
        let mut d = Diagnostic::error(
            Code::UnknownLineageField,
            format!(
                "target `{target_name}` writes `{}` records, which have no field `{field_name}`",
                target.entity
            ),
        )
        .label(field_span, "no such field")
        .help(help);
        if let Some(e) = entity {
            d = d.label(e.span, format!("entity `{}` is declared here", e.name));
        }
        return Err(d);
    };
    let flows = lineage
        .flows
        .iter()
        .filter(|f| f.target == target.name)
        .filter_map(|f| {
            let field = f.fields.iter().find(|x| x.field == field_name)?;
            Some(FlowAnswer {
                flow: f.name.clone(),
                source: f.source.clone(),
                deps: field.deps.clone(),
                filter: f.filter.clone(),
                skips: f.skips.clone(),
            })
        })
        .collect();
    Ok(FieldAnswer {
        target: target.name.clone(),
        field: field_name.to_string(),
        entity: target.entity.clone(),
        optional: schema_field.optional,
        flows,
    })
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
