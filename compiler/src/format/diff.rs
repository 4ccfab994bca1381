//! A line diff in the unified format, for `fdi fmt --check` to show what would change.
//!
//! Mapping files are small, so a longest-common-subsequence table over the lines that differ
//! is fast enough; past a size limit the changed middle is shown as removed and added whole.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// Cells of the LCS table above which the diff gives up on finding common lines.
const MAX_TABLE: usize = 4_000_000;

/// A unified diff from `old` to `new` with `context` unchanged lines around each change;
/// empty when they are equal.
pub fn unified_diff(old: &str, new: &str, context: usize) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    // Line numbers (0-based) in old and new before each op.
    let mut numbers = Vec::with_capacity(ops.len() + 1);
    let (mut i, mut j) = (0, 0);
    for op in &ops {
        numbers.push((i, j));
        match op {
            Op::Same(_) => (i, j) = (i + 1, j + 1),
            Op::Removed(_) => i += 1,
            Op::Added(_) => j += 1,
        }
    }
    numbers.push((i, j));

    let changed: Vec<usize> = (0..ops.len())
        .filter(|&k| !matches!(ops[k], Op::Same(_)))
        .collect();
    let mut out = String::new();
    let mut next = 0;
    while next < changed.len() {
        // A hunk runs from one change to the last change within 2 * context of the one before.
        let first = changed[next];
        let mut last = first;
        next += 1;
        while next < changed.len() && changed[next] - last <= 2 * context + 1 {
            last = changed[next];
            next += 1;
        }
        let start = first.saturating_sub(context);
        let end = (last + 1 + context).min(ops.len());
        let (old_start, new_start) = numbers[start];
        let (old_end, new_end) = numbers[end];
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_start, old_end - old_start),
            range(new_start, new_end - new_start)
        ));
        for op in &ops[start..end] {
            let (sign, line) = match op {
                Op::Same(l) => (' ', l),
                Op::Removed(l) => ('-', l),
                Op::Added(l) => ('+', l),
            };
            out.push(sign);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `start,len` as the unified format writes it: 1-based, and the line before for an empty range.
fn range(start: usize, len: usize) -> String {
    if len == 0 {
        format!("{start},0")
    } else {
        format!("{},{len}", start + 1)
    }
}

fn edit_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = a[..prefix].iter().map(|l| Op::Same(l)).collect();
    if (mid_a.len() + 1).saturating_mul(mid_b.len() + 1) > MAX_TABLE {
        ops.extend(mid_a.iter().map(|l| Op::Removed(l)));
        ops.extend(mid_b.iter().map(|l| Op::Added(l)));
    } else {
        ops.extend(lcs_ops(mid_a, mid_b));
    }
    ops.extend(a[a.len() - suffix..].iter().map(|l| Op::Same(l)));
    ops
}

/// The edit script through a longest common subsequence; removals before additions.
fn lcs_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let width = b.len() + 1;
    // table[i * width + j]: length of the LCS of a[i..] and b[j..].
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i * width + j] = if a[i] == b[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let mut ops = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == b.len()
            || (i < a.len() && table[(i + 1) * width + j] >= table[i * width + j + 1])
        {
            ops.push(Op::Removed(a[i]));
            i += 1;
        } else {
            ops.push(Op::Added(b[j]));
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified_diff("a\nb\n", "a\nb\n", 2), "");
    }

    #[test]
    fn a_change_shows_with_its_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n";
        let new = "1\n2\n3\nfour\n5\n6\n7\n";
        assert_eq!(
            unified_diff(old, new, 1),
            "@@ -3,3 +3,3 @@\n 3\n-4\n+four\n 5\n"
        );
    }

    #[test]
    fn distant_changes_make_separate_hunks_and_near_ones_share_one() {
        let old = "a\n1\n2\n3\n4\n5\n6\nb\n";
        let new = "A\n1\n2\n3\n4\n5\n6\nB\n";
        assert_eq!(unified_diff(old, new, 1).matches("@@ -").count(), 2);
        assert_eq!(unified_diff(old, new, 3).matches("@@ -").count(), 1);
    }

    #[test]
    fn insertions_and_deletions_at_the_ends() {
        assert_eq!(unified_diff("", "x\n", 2), "@@ -0,0 +1,1 @@\n+x\n");
        assert_eq!(
            unified_diff("x\ny\n", "y\n", 2),
            "@@ -1,2 +1,1 @@\n-x\n y\n"
        );
    }
}
