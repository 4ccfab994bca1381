#![doc = include_str!("../../ARCHITECTURE.md")]

pub mod codes;
pub mod diagnostic;
pub mod schema;
pub mod source_map;
pub mod syntax;
pub mod check;
pub mod ir;
