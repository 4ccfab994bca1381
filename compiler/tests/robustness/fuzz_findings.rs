//! What fuzzing found, kept: every input under `fuzz/findings/` is rejected with diagnostics,
//! no panic, and the grammar's keywords that begin a statement or an expression (`let`,
//! `match`) are whole words, which is what made those inputs slow: each `match1` of a long sum
//! parsed the rest of it as a match first, doubling the work per occurrence.

use fdi_compiler::source_map::SourceMap;
use fdi_compiler::syntax::ast::{ExprKind, Item, Statement};

use super::codes_for;

#[test]
fn every_finding_of_the_fuzzer_is_rejected_with_diagnostics() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/findings");
    let mut findings = 0;
    for entry in std::fs::read_dir(&folder).expect("fuzz/findings") {
        let path = entry.expect("a finding").path();
        let codes = codes_for(&path);
        assert!(!codes.is_empty(), "{} gave no diagnostic", path.display());
        findings += 1;
    }
    assert!(findings > 0, "no findings under {}", folder.display());
}

#[test]
fn names_that_begin_with_let_or_match_are_names() {
    let text = "mapping words version \"1\"\n\
                flow f: src -> tgt {\n\
                  letter = match_count + matched\n\
                  let_code = 1\n\
                  let lettered = letter\n\
                }\n";
    let mut sources = SourceMap::new();
    let file = sources.add("words.fdi", text);
    let Ok(tree) = fdi_compiler::parse(&sources, file) else {
        panic!("the mapping must parse");
    };
    let Some(Item::Flow(flow)) = tree.items.into_iter().next() else {
        panic!("one flow");
    };
    let shapes: Vec<String> = flow
        .statements
        .iter()
        .map(|statement| match statement {
            Statement::Assign { field, value, .. } => {
                format!("{} = {}", field.name, shape(&value.kind))
            }
            Statement::Let { name, value, .. } => {
                format!("let {} = {}", name.name, shape(&value.kind))
            }
            Statement::Skip { condition, .. } => format!("skip when {}", shape(&condition.kind)),
        })
        .collect();
    assert_eq!(
        shapes,
        [
            "letter = name + name",
            "let_code = literal",
            "let lettered = name"
        ]
    );
}

fn shape(kind: &ExprKind) -> String {
    match kind {
        ExprKind::Name(_) => "name".into(),
        ExprKind::Literal(_) => "literal".into(),
        ExprKind::Binary(_, left, right) => {
            format!("{} + {}", shape(&left.kind), shape(&right.kind))
        }
        _ => "other".into(),
    }
}
