//! `src/functions.rs`: the mapping's `fn` declarations as plain Rust functions.
//!
//! A function whose body may fail returns `Result<T, ::fdi_runtime::Failure>`, like every other
//! fallible value in generated code; parameters are owned values.

use std::collections::{HashMap, HashSet};

use codegen::{Function, Scope};

use super::expr::ExprEmitter;
use super::names::{self, Names};
use super::origin::Origins;
use crate::ir::{self, Type};

pub fn functions_rs(program: &ir::Program, names: &Names, origins: &Origins) -> String {
    let mut scope = Scope::new();
    scope.raw(super::header(program));
    scope
        .raw("//! The mapping's functions. They see only their parameters: no record, no lookups.");
    let called = called_by_flows(program);
    for function in &program.functions {
        let called = called.contains(function.name.as_str());
        scope.push_fn(function_fn(program, names, function, called, origins));
    }
    scope.to_string() + "\n"
}

fn function_fn(
    program: &ir::Program,
    names: &Names,
    function: &ir::Function,
    called: bool,
    origins: &Origins,
) -> Function {
    // A parameter the body never reads is named as unused, as rustc asks: `_limit`.
    let read = ir::locals_read([&function.body]);
    let spellings: Vec<String> = function
        .params
        .iter()
        .map(|(name, _)| match read.contains(name.as_str()) {
            true => name.clone(),
            false => format!("_{name}"),
        })
        .collect();
    let idents = names::Scope::locals(names::EXPRESSION_BINDINGS).assign(&spellings);
    let params: Vec<&str> = function
        .params
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    let locals = names::by_name(&params, &idents);
    let emitter = ExprEmitter {
        topic_locals: HashMap::new(),
        locals,
        schema: &program.schema,
        names,
        borrowed_locals: Default::default(),
    };
    let mut f = Function::new(names.function(&function.name));
    f.vis("pub");
    let mut allow = Vec::new();
    if !called {
        // Declared but called by no flow (a mapping may hold functions for its tests, or for
        // flows still to come): compiled all the same, so that a build still proves its code,
        // without rustc's warning about dead code.
        allow.push("dead_code");
    }
    // The function and its parameters keep the mapping's spelling (`Err`, `maxRpm`).
    let idents = std::iter::once(names.function(&function.name)).chain(
        function
            .params
            .iter()
            .map(|(p, _)| emitter.locals[p].as_str()),
    );
    if !idents.into_iter().all(names::is_snake_case) {
        allow.push("non_snake_case");
    }
    if emitter.has_unreachable_wildcard(&function.body) {
        allow.push("unreachable_patterns");
    }
    // A parameter keeps the mapping's spelling even when an enum has a code of that name.
    if emitter.locals.values().any(|local| names.is_variant(local)) {
        allow.push("bindings_with_variant_name");
    }
    if !allow.is_empty() {
        f.allow(allow.join(", "));
    }
    for (name, ty) in &function.params {
        f.arg(&emitter.locals[name], rust_type(ty, names));
    }
    let returns = rust_type(&function.returns, names);
    if function.is_fallible() {
        f.ret(format!("Result<{returns}, ::fdi_runtime::Failure>"));
    } else {
        f.ret(returns);
    }
    f.line(format!(
        "{}{}",
        origins.comment(function.span),
        emitter.value(&function.body)
    ));
    f
}

/// The Rust type of a value of the typed program.
pub fn rust_type(ty: &Type, names: &Names) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Int => "i64".into(),
        Type::Float | Type::Quantity(_) => "f64".into(),
        Type::Bool => "bool".into(),
        Type::Timestamp => "::fdi_runtime::Timestamp".into(),
        Type::Identifier(n) | Type::Enum(n) => names.type_path(n),
        Type::Entity(n) => format!("&{}", names.type_path(n)),
    }
}

/// The functions a flow calls, directly or through other functions.
fn called_by_flows(program: &ir::Program) -> HashSet<&str> {
    let mut called = HashSet::new();
    let mut pending: Vec<&ir::Expr> = program.flows.iter().flat_map(|f| f.expressions()).collect();
    // The `per source` bindings are computed for the flows, so what they call is called too.
    pending.extend(
        program
            .shared
            .iter()
            .flat_map(|s| s.bindings().map(|(_, value)| value)),
    );
    while let Some(expr) = pending.pop() {
        expr.walk(&mut |e| {
            if let ir::ExprKind::CallFunction { name, .. } = &e.kind {
                if called.insert(name.as_str()) {
                    if let Some(f) = program.functions.iter().find(|f| f.name == *name) {
                        pending.push(&f.body);
                    }
                }
            }
        });
    }
    called
}
