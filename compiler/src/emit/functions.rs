//! `src/functions.rs`: the mapping's `fn` declarations as plain Rust functions.
//!
//! A function whose body may fail returns `Result<T, ::fdi_runtime::Failure>`, like every other
//! fallible value in generated code; parameters are owned values.

use std::collections::HashMap;

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
    for function in &program.functions {
        scope.push_fn(function_fn(program, names, function, origins));
    }
    scope.to_string() + "\n"
}

fn function_fn(
    program: &ir::Program,
    names: &Names,
    function: &ir::Function,
    origins: &Origins,
) -> Function {
    let params: Vec<&String> = function.params.iter().map(|(name, _)| name).collect();
    let idents = names::Scope::locals(names::EXPRESSION_BINDINGS).assign(&params);
    let locals: HashMap<String, String> =
        params.iter().map(|p| p.to_string()).zip(idents).collect();
    let emitter = ExprEmitter {
        locals,
        schema: &program.schema,
        names,
    };
    let mut f = Function::new(names.function(&function.name));
    f.vis("pub").allow("non_snake_case");
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
