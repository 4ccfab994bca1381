//! The lineage picture as a standalone SVG, laid out here: no Graphviz needed.
//!
//! The layout is columns, left to right: sources; lookups, in as many columns as their keys
//! chain (a lookup whose key reads another lookup's field stands right of it); flows;
//! targets. Boxes stack in each column in the picture's order, every row is one line of
//! text, and each arrow runs from the right edge of the row it starts at to the left edge of
//! the row it ends at, as a curve with level ends, so that its ends show their rows
//! unambiguously. Arrows are drawn first and boxes over them, so an arrow that crosses a
//! column passes behind its boxes. Text is monospace, so widths are known without fonts;
//! every number is printed with one decimal, so the output is the same on every machine.

use std::fmt::Write as _;

use super::picture::{BoxKind, EdgeKind, End, Picture};

const ROW: f64 = 22.0;
const CHAR: f64 = 7.8;
const PAD: f64 = 10.0;
const COLUMN_GAP: f64 = 120.0;
const BOX_GAP: f64 = 24.0;
const MARGIN: f64 = 20.0;
const TITLE: f64 = 36.0;
/// The width the legend under the picture needs: its 50-pixel sample line and its longest
/// text (62 characters), between the margins.
const LEGEND_WIDTH: f64 = 2.0 * MARGIN + 50.0 + 62.0 * CHAR;

/// The picture as an SVG document.
pub fn render_svg(picture: &Picture) -> String {
    let columns = columns(picture);
    let column_count = columns.iter().copied().max().map_or(0, |c| c + 1);
    let text_width = |s: &str| s.chars().count() as f64 * CHAR + 2.0 * PAD;
    let box_width: Vec<f64> = picture
        .nodes
        .iter()
        .map(|n| {
            std::iter::once(&n.title)
                .chain(n.rows.iter())
                .map(|s| text_width(s))
                .fold(0.0, f64::max)
        })
        .collect();
    let box_height: Vec<f64> = picture
        .nodes
        .iter()
        .map(|n| ROW * (1 + n.rows.len()) as f64)
        .collect();
    let mut column_width = vec![0.0f64; column_count];
    let mut column_height = vec![0.0f64; column_count];
    for (i, &c) in columns.iter().enumerate() {
        column_width[c] = column_width[c].max(box_width[i]);
        if column_height[c] > 0.0 {
            column_height[c] += BOX_GAP;
        }
        column_height[c] += box_height[i];
    }
    let height = column_height.iter().copied().fold(0.0, f64::max);
    let mut column_x = Vec::with_capacity(column_count);
    let mut x = MARGIN;
    for w in &column_width {
        column_x.push(x);
        x += w + COLUMN_GAP;
    }
    // At least as wide as the title and the legend, also when there is nothing to draw (a
    // module, a mapping without flows).
    let title_width = picture.title.chars().count() as f64 * CHAR + 2.0 * MARGIN;
    let width = (x - COLUMN_GAP + MARGIN).max(title_width).max(LEGEND_WIDTH);
    // Each column is centred vertically.
    let mut next_y: Vec<f64> = column_height
        .iter()
        .map(|h| MARGIN + TITLE + (height - h) / 2.0)
        .collect();
    let mut position = Vec::with_capacity(picture.nodes.len());
    for (i, &c) in columns.iter().enumerate() {
        position.push((column_x[c], next_y[c]));
        next_y[c] += box_height[i] + BOX_GAP;
    }
    let total_height = MARGIN + TITLE + height + MARGIN + 3.0 * ROW;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.1}\" height=\"{total_height:.1}\" viewBox=\"0 0 {width:.1} {total_height:.1}\" font-family=\"monospace\" font-size=\"13\">"
    );
    out.push_str(DEFS);
    let _ = writeln!(
        out,
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{MARGIN:.1}\" y=\"{:.1}\" font-size=\"16\" font-weight=\"bold\">{}</text>",
        MARGIN + 16.0,
        escape(&picture.title)
    );
    let anchor = |(node, row): End, right: bool| -> (f64, f64) {
        let (x, y) = position[node];
        let x = if right { x + box_width[node] } else { x };
        let row = row.map_or(0.0, |r| (r + 1) as f64);
        (x, y + row * ROW + ROW / 2.0)
    };
    out.push_str("<g fill=\"none\">\n");
    for edge in &picture.edges {
        let (x1, y1) = anchor(edge.from, true);
        let (x2, y2) = anchor(edge.to, false);
        let bend = ((x2 - x1) / 2.0).max(40.0);
        let style = match edge.kind {
            EdgeKind::Value => "stroke=\"#4d4d4d\" stroke-width=\"1.2\"",
            EdgeKind::Filter => "stroke=\"#b35806\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"",
            EdgeKind::Key => "stroke=\"#1b7837\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"",
            EdgeKind::Records => "stroke=\"#762a83\" stroke-width=\"3\"",
        };
        let _ = writeln!(
            out,
            "<path d=\"M {x1:.1} {y1:.1} C {:.1} {y1:.1}, {:.1} {y2:.1}, {x2:.1} {y2:.1}\" {style} marker-end=\"url(#arrow)\"/>",
            x1 + bend,
            x2 - bend
        );
    }
    out.push_str("</g>\n");
    for (i, node) in picture.nodes.iter().enumerate() {
        let (x, y) = position[i];
        let (w, h) = (box_width[i], box_height[i]);
        let (stroke, fill) = colors(node.kind);
        let _ = writeln!(
            out,
            "<g><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"white\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{ROW:.1}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            x + PAD,
            y + ROW * 0.7,
            escape(&node.title)
        );
        for (r, row) in node.rows.iter().enumerate() {
            let top = y + ROW * (r + 1) as f64;
            if r > 0 {
                let _ = writeln!(
                    out,
                    "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{:.1}\" y2=\"{top:.1}\" stroke=\"#dddddd\"/>",
                    x + w
                );
            }
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + PAD,
                top + ROW * 0.7,
                escape(row)
            );
        }
        out.push_str("</g>\n");
    }
    legend(&mut out, MARGIN + TITLE + height + MARGIN);
    out.push_str("</svg>\n");
    out
}

const DEFS: &str = "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" refX=\"8\" refY=\"4\" orient=\"auto\" markerUnits=\"userSpaceOnUse\"><path d=\"M 0 0 L 8 4 L 0 8 z\" fill=\"#4d4d4d\"/></marker></defs>\n";

fn legend(out: &mut String, top: f64) {
    let items = [
        (
            "#4d4d4d",
            "",
            "value: the field flows into the target field",
        ),
        (
            "#b35806",
            "6 4",
            "filter: the flow's `where` reads it (decides the whole record)",
        ),
        ("#1b7837", "2 3", "key: it chooses the lookup's row"),
    ];
    for (i, (color, dash, text)) in items.iter().enumerate() {
        let y = top + ROW * i as f64 + ROW / 2.0;
        let x = MARGIN;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"{dash}\"/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 40.0,
            x + 50.0,
            y + 4.0,
            escape(text)
        );
    }
}

fn colors(kind: BoxKind) -> (&'static str, &'static str) {
    let stroke = super::render_dot::color(kind);
    let fill = match kind {
        BoxKind::Source => "#d1e5f0",
        BoxKind::Lookup => "#d9f0d3",
        BoxKind::Flow => "#e7d4e8",
        BoxKind::Target => "#fddbc7",
        BoxKind::Shared => "#f6e8c3",
    };
    (stroke, fill)
}

/// The column of each box: sources 0; a lookup one right of every box its key reads (so at
/// least 1); `per source` blocks right of every lookup; flows right of them; targets right of
/// the flows.
fn columns(picture: &Picture) -> Vec<usize> {
    let n = picture.nodes.len();
    let mut column: Vec<usize> = picture
        .nodes
        .iter()
        .map(|node| usize::from(node.kind == BoxKind::Lookup))
        .collect();
    // Key chains; a cycle of lookups (possible across flows) stops after n rounds.
    for _ in 0..n {
        let mut moved = false;
        for edge in picture.edges.iter().filter(|e| e.kind == EdgeKind::Key) {
            let (from, to) = (edge.from.0, edge.to.0);
            if picture.nodes[to].kind == BoxKind::Lookup && column[to] <= column[from] {
                column[to] = column[from] + 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    let lookups = picture
        .nodes
        .iter()
        .zip(&column)
        .filter(|(node, _)| node.kind == BoxKind::Lookup)
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(0);
    // A `per source` block takes a column of its own only when there is one.
    let shared = usize::from(picture.nodes.iter().any(|n| n.kind == BoxKind::Shared));
    for (node, c) in picture.nodes.iter().zip(column.iter_mut()) {
        match node.kind {
            BoxKind::Shared => *c = lookups + 1,
            BoxKind::Flow => *c = lookups + 1 + shared,
            BoxKind::Target => *c = lookups + 2 + shared,
            _ => {}
        }
    }
    column
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
