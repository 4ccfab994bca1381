//! The checker's promise, as a property: every mapping that passes `fdi check` builds, and the
//! program maps what the mapping says.
//!
//! A seeded generator (`promise/generate.rs`, `promise/expressions.rs`) writes mappings that
//! combine the language's features over generated schemas and names: `let`s (shadowing source
//! fields), `??`, `coalesce`, matches with rejecting arms, identifier types (string and int
//! based), a lookup (declared in the mapping or in an imported module), units and conversions,
//! fallible arithmetic and parsing, timestamps, fields with a signal quality, functions (some
//! in the module), a SQLite target with a key, targets `with provenance`, and names that are
//! Rust keywords, prelude or std names, or names the generated program uses itself. Each
//! mapping has many flows over one JSON Lines source, so one cargo build covers many
//! expressions. `promise/print.rs` writes the files; mappings `fdi check` refuses are
//! discarded and counted. The others are built and run on generated records (missing optional
//! fields, values that make arithmetic fail, records that do not decode), and every target
//! record, the dead letter (which records, which flow, stage and reason) and the summary's
//! counts (read = written + rejected + filtered) are compared with `promise/oracle.rs`, an
//! evaluator of docs/language.md written here, never with fdi's own output.
//!
//! In CI a few mappings run (`cargo test -p fdi-compiler --test promise`). A longer run:
//!
//! ```sh
//! FDI_PROMISE_CASES=500 FDI_PROMISE_SEED=1 cargo test -p fdi-compiler --test promise -- --nocapture
//! ```
//!
//! Half the mappings (drawn by seed) take their names from the hostile pools of
//! `promise/names.rs`, half get plain names (`flow3`, `f12`), so a failure of the emitter's
//! expressions shows apart from a failure of its names; `FDI_PROMISE_NAMES=plain` (or
//! `hostile`) gives every mapping one kind.
//!
//! Long runs so far (2026-12-06, 24 flows and 40 records a mapping, on the `prop` branch
//! with the `exprs` branch checked out under it):
//!
//! * seeds 1000 to 1038, mixed names: 39 mappings, all checked; the 22 with plain names
//!   built and matched the oracle record for record; the 17 with hostile names failed to
//!   build on names only (keywords, `Ok`/`None` locals, types named `str`, `i64`, `Self`),
//!   which the `names` branch fixes (on main with `names`, what is left of them is the
//!   integer-literal class `exprs` fixes);
//! * seeds 2000 to 2049, `FDI_PROMISE_NAMES=plain`: 50 mappings, all checked; 48 matched the
//!   oracle; seed 2000 differed in the sign of a difference of two equal conversions (the
//!   oracle divided by 25.4 where the language multiplies by the ratio rounded once: fixed in
//!   the oracle); seed 2036 did not build (`borrow of moved value`: a fallible binding
//!   handled twice, a regression of `exprs`, not on main).
//!
//! Long runs after the `names`, `exprs`, `units` and `install` branches were merged, every
//! mapping built with `--deny-warnings` (2026-12-06, 24 flows, 40 records, mixed names):
//!
//! * seeds 3000 to 3039: 36 of 40 matched; the 4 others warned about lookup fields spelt
//!   `PROGRAM` and `Lot` (fixed: the `Lookups` struct allows their spelling), and pass now;
//! * seeds 4000 to 4039: 37 of 40 matched; 4004 and 4006 were mistakes of the oracle (it still
//!   multiplied by 5/127 where the language now divides by 25.4, and widened an int inside
//!   `string()`), 4020 a real one (a binding spelt like an enum code, which rustc refuses by
//!   default; case `tests/cases/promise/binding_named_like_an_enum_code.fdi`); all three fixed
//!   and passing;
//! * seeds 5000 to 5023, with every fix above: 24 of 24 built without a warning and matched
//!   the oracle record for record. Nothing found is left open.
//!
//! Without `exprs`, untyped integer literals and `else reject` on a match with an optional
//! arm break most mappings. The cases under `tests/cases/promise/` are the minimal forms of each failure found.
//!
//! `FDI_PROMISE_FLOWS` sets the flows per mapping (default 24); `FDI_PROMISE_CHECK_ONLY=1`
//! stops after `fdi check` (to see quickly how many generated mappings check);
//! Every mapping is built with `--deny-warnings`: a generated program that makes rustc warn
//! fails the property as a build error does. Each case's
//! files stay in `target/fdi-promise/seed-N/` (`mapping.fdi`, `schema.yaml`, `lib/`,
//! `data/`), so a failure is rebuilt with `fdi build target/fdi-promise/seed-N/mapping.fdi` or rerun alone with
//! `FDI_PROMISE_SEED=N FDI_PROMISE_CASES=1`.

mod support;

#[path = "promise/ast.rs"]
mod ast;
#[path = "promise/expressions.rs"]
mod expressions;
#[path = "promise/generate.rs"]
mod generate;
#[path = "promise/matches.rs"]
mod matches;
#[path = "promise/names.rs"]
mod names;
#[path = "promise/oracle.rs"]
mod oracle;
#[path = "promise/print.rs"]
mod print;
#[path = "promise/rng.rs"]
mod rng;
#[path = "promise/run.rs"]
mod run;
#[path = "promise/time.rs"]
mod time;
#[path = "promise/widening.rs"]
mod widening;

use run::Verdict;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} is not a number: {v}"))
        })
        .unwrap_or(default)
}

#[test]
fn every_mapping_that_checks_builds_and_maps_what_it_says() {
    // Four mappings: two with hostile names and two with plain ones, from the default seed.
    let cases = setting("FDI_PROMISE_CASES", 4);
    let first_seed = setting("FDI_PROMISE_SEED", 20_261_206);
    let flows = setting("FDI_PROMISE_FLOWS", 24) as usize;
    let hostile = match std::env::var("FDI_PROMISE_NAMES").as_deref() {
        Ok("hostile") => Some(true),
        Ok("plain") => Some(false),
        Ok("mixed") | Err(_) => None,
        Ok(other) => panic!("FDI_PROMISE_NAMES is hostile, plain or mixed, not {other}"),
    };
    let (mut passed, mut checked_only, mut discarded, mut failures) =
        (0, 0, Vec::new(), Vec::new());
    for seed in first_seed..first_seed + cases {
        match run::run_case(seed, flows, 40, hostile) {
            Verdict::Passed => passed += 1,
            Verdict::CheckedOnly => checked_only += 1,
            Verdict::Discarded(why) => discarded.push((seed, why)),
            Verdict::Failed(why) => {
                let mapping = run::case_dir(seed).join("mapping.fdi");
                eprintln!("seed {seed} FAILED ({}): {why}", mapping.display());
                failures.push((seed, why));
            }
        }
    }
    eprintln!(
        "promise: {cases} mappings from seed {first_seed}: {passed} passed, {checked_only} checked only (not built), {} failed, {} refused by fdi check",
        failures.len(),
        discarded.len()
    );
    for (seed, why) in &discarded {
        eprintln!("seed {seed} refused by fdi check:\n{why}");
    }
    // The generator writes mostly valid mappings; if fdi check refuses most, the property
    // tests nothing.
    assert!(
        discarded.len() * 2 <= cases as usize,
        "fdi check refused {} of {cases} generated mappings",
        discarded.len()
    );
    if !failures.is_empty() {
        let report: Vec<String> = failures
            .iter()
            .map(|(seed, why)| {
                let dir = run::case_dir(*seed);
                let text = std::fs::read_to_string(dir.join("mapping.fdi")).unwrap_or_default();
                format!(
                    "seed {seed} ({}):\n{why}\n--- mapping.fdi ---\n{text}",
                    dir.display()
                )
            })
            .collect();
        panic!(
            "{} of {cases} generated mappings broke the promise:\n\n{}",
            failures.len(),
            report.join("\n\n")
        );
    }
}
