//! `fdi graph` and `fdi lineage`: where every target field's value comes from.
//!
//! [`lineage`] analyses a checked program (`ir::Program`) into a [`Lineage`]: per flow, what
//! each assigned field reads (source fields, lookup fields, `source.position`, constants),
//! through which `let` bindings, functions and `else reject` rules, what the `where` filter
//! reads, and what each lookup key reads; a field whose unit a column gives (`unit_column:`)
//! reads that column too. [`picture`] turns that into boxes and arrows, which
//! [`render_mermaid`], [`render_dot`] and [`render_svg`] spell; [`field_lineage`] answers for
//! one target field and [`describe`] words the answer.
//!
//! Everything here is pure: the CLI reads the files and writes the output.

mod graph;
mod picture;
mod query;
mod render_dot;
mod render_mermaid;
mod render_svg;
mod unit_columns;
mod walk;
mod words;

pub use graph::{
    lineage, Deps, Endpoint, FieldLineage, FlowLineage, KeyRead, Lineage, LookupUse, Origin,
};
pub use picture::{picture, BoxKind, Edge, EdgeKind, Node, Picture};
pub use query::{field_lineage, FieldAnswer, FlowAnswer};
pub use render_dot::render_dot;
pub use render_mermaid::render_mermaid;
pub use render_svg::render_svg;
pub use words::{describe, to_json};
