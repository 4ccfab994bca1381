//! `fdi graph` and `fdi lineage`: the pictures of the examples and of small cases are
//! snapshotted in Mermaid and DOT; every query in `tests/lineage_cases/*.txt` (first line
//! `// expect: ok` or `// expect: E06xx`, second line `MAPPING TARGET.FIELD`) is answered and
//! the answer or diagnostic snapshotted; the examples' answers are checked against what their
//! mappings say; the SVG pictures in `docs/` must be what `fdi graph --format svg` draws now.

mod support;

use std::path::Path;

use fdi_compiler::lineage::{self, FieldAnswer};
use fdi_compiler::loader::DiskFiles;
use fdi_compiler::source_map::SourceMap;
use support::{fdi, workspace_root};

/// The mappings whose pictures are snapshotted: both examples and small cases that show a
/// crosswalk, quality fields, functions from a module and every construct.
const PICTURED: &[(&str, &str)] = &[
    ("mill_to_mes", "examples/mill-to-mes/mill_to_mes.fdi"),
    ("cmm_to_qms", "examples/cmm-to-qms/cmm_to_qms.fdi"),
    ("all_constructs", "tests/cases/valid/all_constructs.fdi"),
    (
        "crosswalk",
        "tests/cases/crosswalk/crosswalk_mes_to_erp.fdi",
    ),
    (
        "quality",
        "tests/cases/quality/quality_handled_every_way.fdi",
    ),
    ("functions", "tests/cases/reuse/functions_and_imports.fdi"),
    (
        "skip_when",
        "tests/programs/inspection_filters/inspection_filters.fdi",
    ),
    // Composite lookup keys: an edge from each value of the key to its own key field.
    (
        "composite_keys",
        "tests/cases/keys/composite_keys_of_text_identifier_and_int.fdi",
    ),
    (
        "per_source",
        "tests/programs/shared_bindings/shared_bindings.fdi",
    ),
    // Units given by a column: the unit column feeds the field it converts, a declared one as
    // its field's row, an undeclared one as a row of its own.
    ("unit_column", "tests/programs/unit_column/unit_column.fdi"),
];

fn program(relative: &str) -> fdi_compiler::ir::Program {
    let mut sources = SourceMap::new();
    fdi_compiler::compile(&workspace_root().join(relative), &mut sources)
        .unwrap_or_else(|d| panic!("{relative} checks: {d:?}"))
}

#[test]
fn graphs_in_mermaid_and_dot() {
    for (name, path) in PICTURED {
        let picture = lineage::picture(&lineage::lineage(&program(path)));
        let mermaid = lineage::render_mermaid(&picture);
        let dot = lineage::render_dot(&picture);
        insta::with_settings!({ snapshot_suffix => format!("{name}.mermaid"), input_file => workspace_root().join(path) }, {
            insta::assert_snapshot!(mermaid);
        });
        insta::with_settings!({ snapshot_suffix => format!("{name}.dot"), input_file => workspace_root().join(path) }, {
            insta::assert_snapshot!(dot);
        });
    }
}

/// The pictures linked from the README are current: `fdi graph --format svg` draws them
/// byte for byte (regenerate with the command in the failure message).
#[test]
fn svg_pictures_in_docs_are_current() {
    for (example, path) in [
        ("mill-to-mes", "examples/mill-to-mes/mill_to_mes.fdi"),
        ("cmm-to-qms", "examples/cmm-to-qms/cmm_to_qms.fdi"),
    ] {
        let svg = lineage::render_svg(&lineage::picture(&lineage::lineage(&program(path))));
        let doc = format!("docs/lineage-{example}.svg");
        let checked_in = std::fs::read_to_string(workspace_root().join(&doc)).unwrap_or_default();
        assert!(
            checked_in == svg,
            "{doc} is stale; regenerate it with `cargo run -p fdi-compiler -- graph --format svg {path} -o {doc}`"
        );
        let cli = fdi(&["graph", "--format", "svg", path]);
        assert_eq!(cli.status.code(), Some(0));
        assert_eq!(
            String::from_utf8_lossy(&cli.stdout),
            svg,
            "the CLI draws the same"
        );
    }
}

/// One query case: its expectation and its answer (or diagnostic) as text.
fn run_case(path: &Path) -> (String, String, String) {
    let text = std::fs::read_to_string(path).expect("case file");
    let mut lines = text.lines();
    let expect = lines
        .next()
        .and_then(|l| l.strip_prefix("// expect:"))
        .map(str::trim)
        .expect("first line `// expect: ...`")
        .to_string();
    let (mapping, query) = lines
        .next()
        .and_then(|l| l.split_once(' '))
        .expect("second line `MAPPING TARGET.FIELD`");
    // Relative paths, read from the workspace root, so that diagnostics show the paths a user
    // types.
    let mut sources = SourceMap::reading(DiskFiles::in_folder(workspace_root()));
    let program =
        fdi_compiler::compile(Path::new(mapping), &mut sources).expect("the mapping checks");
    let query_file = sources.add("<TARGET.FIELD>", query);
    let lineage = lineage::lineage(&program);
    match lineage::field_lineage(&program, &lineage, query, query_file) {
        Ok(answer) => ("ok".to_string(), expect, lineage::describe(&answer)),
        Err(d) => (
            d.code.as_str().trim_start_matches("fdi::").to_string(),
            expect,
            d.render_plain(&sources),
        ),
    }
}

#[test]
fn lineage_cases() {
    insta::glob!("../../tests/lineage_cases", "*.txt", |path| {
        let (got, expect, text) = run_case(path);
        assert_eq!(got, expect, "{}", path.display());
        insta::assert_snapshot!(text);
    });
}

fn answer(mapping: &str, query: &str) -> FieldAnswer {
    let program = program(mapping);
    let mut sources = SourceMap::new();
    let file = sources.add("<TARGET.FIELD>", query);
    lineage::field_lineage(&program, &lineage::lineage(&program), query, file)
        .unwrap_or_else(|d| panic!("{query}: {}", d.message))
}

/// The reads of one flow's answer, as `kind name` strings, and its lookup keys as
/// `lookup <- name`.
fn reads(answer: &FieldAnswer, flow: &str) -> (Vec<String>, Vec<String>) {
    let json = lineage::to_json(answer);
    let flow = json["flows"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["flow"] == flow))
        .unwrap_or_else(|| panic!("flow {flow} in {json}"));
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|o| o["name"].as_str().expect("a name").to_string())
            .collect()
    };
    let keys = flow["lookup_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .flat_map(|k| {
            names(&k["reads"])
                .into_iter()
                .map(|n| format!("{} <- {n}", k["lookup"].as_str().expect("lookup")))
                .collect::<Vec<_>>()
        })
        .collect();
    (names(&flow["reads"]), keys)
}

/// Expectations read off the example mappings by hand.
#[test]
fn the_examples_lineage_is_what_the_mappings_say() {
    let mill = "examples/mill-to-mes/mill_to_mes.fdi";
    // state = match Machining_Process { ... }, in the phase flow, which filters on the same field.
    let state = answer(mill, "states.state");
    assert_eq!(state.flows.len(), 1);
    assert_eq!(reads(&state, "phase").0, ["mill.Machining_Process"]);
    let filter = lineage::to_json(&state)["flows"][0]["filter"]["reads"].clone();
    assert_eq!(
        filter,
        serde_json::json!([{ "kind": "source_field", "name": "mill.Machining_Process" }])
    );
    // sample_no = source.position, in both flows' targets separately.
    assert_eq!(
        reads(&answer(mill, "history.sample_no"), "spindle").0,
        ["mill.position"]
    );
    // equipment_id = m.equipment_id, m = machines[MachineCode("MILL-01")] in the source's
    // `per source` block: a constant key, through the shared binding.
    let eq = answer(mill, "history.equipment_id");
    assert_eq!(
        reads(&eq, "spindle"),
        (vec!["machines.equipment_id".to_string()], vec![])
    );
    assert!(eq.flows[0].deps.bindings.contains("m (per source mill)"));
    assert!(eq.flows[0]
        .deps
        .rejects
        .contains("MILL-01 is not in master data"));
    assert!(
        eq.flows[0].filter.is_none(),
        "the spindle flow has no where"
    );

    let cmm = "examples/cmm-to-qms/cmm_to_qms.fdi";
    // work_centre = op.work_centre; op = operations[c.operation];
    // c = characteristics[link.qms_characteristic_id]; link = crosswalk[<characteristic name>],
    // the CMM's name being item.name with item = result_items[characteristic_item_id].
    let wc = answer(cmm, "spc.work_centre");
    let flows: Vec<&str> = wc.flows.iter().map(|f| f.flow.as_str()).collect();
    assert_eq!(flows, ["cmm_spc", "gauge_spc"]);
    let chain = |name_keys: &[&str]| {
        let mut keys = vec![
            "characteristics <- crosswalk.qms_characteristic_id".to_string(),
            "operations <- characteristics.operation".to_string(),
        ];
        keys.extend(name_keys.iter().map(|k| k.to_string()));
        keys.sort();
        keys
    };
    assert_eq!(
        reads(&wc, "cmm_spc"),
        (
            vec!["operations.work_centre".to_string()],
            chain(&[
                "crosswalk <- result_items.name",
                "result_items <- cmm.characteristic_item_id"
            ])
        )
    );
    assert_eq!(
        reads(&wc, "gauge_spc"),
        (
            vec!["operations.work_centre".to_string()],
            chain(&["crosswalk <- gauge.characteristic"])
        )
    );
    // in_tolerance = within(deviation, c.lower_tol, c.upper_tol), deviation = deviation_of(measured, c.nominal).
    let tol = answer(cmm, "spc.in_tolerance");
    assert_eq!(
        reads(&tol, "cmm_spc").0,
        [
            "cmm.measured_value",
            "characteristics.lower_tol",
            "characteristics.nominal",
            "characteristics.upper_tol"
        ]
    );
    // measured = inches_to_mm(inches), inches = reading (GOOD quality only).
    assert_eq!(
        reads(&tol, "gauge_spc").0,
        [
            "gauge.reading",
            "characteristics.lower_tol",
            "characteristics.nominal",
            "characteristics.upper_tol"
        ]
    );
    let gauge = tol
        .flows
        .iter()
        .find(|f| f.flow == "gauge_spc")
        .expect("gauge flow");
    for f in ["deviation_of", "within", "inches_to_mm"] {
        assert!(gauge.deps.functions.contains(f), "{f}");
    }
    // measured_at = reading.timestamp else reject ... in the gauge flow.
    assert_eq!(
        reads(&answer(cmm, "spc.measured_at"), "gauge_spc").0,
        ["gauge.reading.timestamp"]
    );
    // measured_by = MeasurementSource.CMM: a constant.
    let by = answer(cmm, "spc.measured_by");
    assert!(by.flows.iter().all(|f| f.deps.is_constant()));
    // The nonconformance flow filters on the CMM's verdict and the repeat: whether the result
    // before it measured the same item on the same feature.
    let nc = answer(cmm, "nonconformances.serial_no");
    let filter = lineage::to_json(&nc)["flows"][0]["filter"]["reads"].clone();
    assert_eq!(
        filter,
        serde_json::json!([
            { "kind": "source_field", "name": "cmm.characteristic_item_id" },
            { "kind": "source_field", "name": "cmm.feature_id" },
            { "kind": "source_field", "name": "cmm.previous_feature_id" },
            { "kind": "source_field", "name": "cmm.previous_item_id" },
            { "kind": "source_field", "name": "cmm.status" },
        ])
    );

    // equipment is keyed by (edge_node, sparkplug_device): its key's reads come in that order,
    // not in the order of their names.
    let machines = "examples/machines-to-mes/machines_to_mes.fdi";
    assert_eq!(
        reads(&answer(machines, "counts.equipment_id"), "count"),
        (
            vec!["equipment.equipment_id".to_string()],
            vec![
                "equipment <- part_counts.edge_node".to_string(),
                "equipment <- part_counts.device".to_string()
            ]
        )
    );
}

#[test]
fn lineage_cli_answers_in_json_and_fails_on_a_misspelling() {
    let out = fdi(&[
        "lineage",
        "--format",
        "json",
        "examples/mill-to-mes/mill_to_mes.fdi",
        "states.line",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["flows"][0]["reads"][0]["name"], "machines.line");
    let bad = fdi(&[
        "lineage",
        "examples/mill-to-mes/mill_to_mes.fdi",
        "states.lnie",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("fdi::E0602") && stderr.contains("did you mean `line`?"),
        "{stderr}"
    );
}

#[test]
fn graph_writes_to_a_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("mill.dot");
    let run = fdi(&[
        "graph",
        "--format",
        "dot",
        "examples/mill-to-mes/mill_to_mes.fdi",
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status.code(), Some(0));
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("the file");
    assert!(text.contains("digraph lineage"));
    assert_eq!(fdi(&["graph", "no/such.fdi"]).status.code(), Some(1));
}
