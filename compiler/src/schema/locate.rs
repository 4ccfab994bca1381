//! Finding the place of a key in a YAML file's text.
//!
//! serde_yaml gives positions only for syntax errors, so the loader finds the spans of names
//! it wants to point at by walking the text's indentation. This understands block mappings
//! (the style schema files are written in) and falls back to the start of the file otherwise.

/// The byte range of the key at `path` (e.g. `["entities", "MillSample", "fields", "x"]`).
pub fn locate_key(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut found = None;
    walk_keys(text, |stack, start, key| {
        if stack.len() == path.len() && stack.iter().zip(path).all(|((_, k), p)| k == p) {
            found = Some((start, start + key.len()));
            return false;
        }
        true
    });
    found
}

/// Calls `visit` with every block key of `text` in order: the path of keys down to it (with
/// their indentation), the key's offset and the key; stops when `visit` returns false.
fn walk_keys<'t>(
    text: &'t str,
    mut visit: impl FnMut(&[(usize, &'t str)], usize, &'t str) -> bool,
) {
    let mut stack: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let Some((indent, key, key_start)) = key_of_line(line) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
        if !visit(&stack, line_start + key_start, key) {
            return;
        }
    }
}

/// The byte range of the `nth` (0-based) whole-word occurrence of `needle` (a code in
/// `[SETUP, RUNNING, RUNNING]`, not a part of a longer word) in the value written after the
/// key at `path` on the same line.
pub fn locate_word_in_value(
    text: &str,
    path: &[&str],
    needle: &str,
    nth: usize,
) -> Option<(usize, usize)> {
    let (_, key_end) = locate_key(text, path)?;
    let line_end = text[key_end..]
        .find('\n')
        .map(|i| key_end + i)
        .unwrap_or(text.len());
    let rest = &text[key_end..line_end];
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let (at, _) = rest
        .match_indices(needle)
        .filter(|(i, _)| {
            let before = rest[..*i].chars().next_back();
            let after = rest[i + needle.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
        .nth(nth)?;
    Some((key_end + at, key_end + at + needle.len()))
}

/// Every block key of a YAML text by its path, at its first occurrence: what [`locate_key`]
/// finds, worked out in one pass. The loader asks for the span of every declaration and field;
/// walking the text for each was quadratic in the size of the schema.
pub struct KeyIndex<'t> {
    text: &'t str,
    /// Paths joined with NUL, which cannot occur in a key.
    keys: std::collections::HashMap<String, (usize, usize)>,
}

impl<'t> KeyIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut keys = std::collections::HashMap::new();
        walk_keys(text, |stack, start, key| {
            let path: Vec<&str> = stack.iter().map(|(_, k)| *k).collect();
            keys.entry(path.join("\0"))
                .or_insert((start, start + key.len()));
            true
        });
        KeyIndex { text, keys }
    }

    /// The byte range of the key at `path`, as [`locate_key`] finds it.
    pub fn key(&self, path: &[&str]) -> Option<(usize, usize)> {
        self.keys.get(&path.join("\0")).copied()
    }

    /// The byte range of the key at `path`, where the end of the path may continue into flow
    /// mappings on one line: `["identifiers", "Gtin", "length", "min"]` finds `min` in
    /// `Gtin: { length: { min: 8 } }` as well as in indented blocks.
    pub fn nested_key(&self, path: &[&str]) -> Option<(usize, usize)> {
        nested(self.text, path, |p| self.key(p)).map(|(key, _)| key)
    }

    /// The byte range of `needle` in the value of the key at `path` (block or flow form, as
    /// for [`KeyIndex::nested_key`]), on the key's line.
    pub fn nested_value(&self, path: &[&str], needle: &str) -> Option<(usize, usize)> {
        if needle.is_empty() {
            return None;
        }
        let ((_, key_end), line_end) = nested(self.text, path, |p| self.key(p))?;
        let at = self.text[key_end..line_end].find(needle)?;
        Some((key_end + at, key_end + at + needle.len()))
    }
}

/// The key's range and the end of its line: the longest prefix of `path` that has a line of
/// its own (found by `block_key`), then the rest of the path as `key:` words on that line.
fn nested(
    text: &str,
    path: &[&str],
    block_key: impl Fn(&[&str]) -> Option<(usize, usize)>,
) -> Option<((usize, usize), usize)> {
    let (block, (mut start, mut end)) = (1..=path.len())
        .rev()
        .find_map(|k| block_key(&path[..k]).map(|range| (k, range)))?;
    let line_end = text[end..]
        .find('\n')
        .map(|i| end + i)
        .unwrap_or(text.len());
    for key in &path[block..] {
        let rest = &text[end..line_end];
        let at = flow_key(rest, key)?;
        (start, end) = (end + at, end + at + key.len());
    }
    Some(((start, end), line_end))
}

/// The offset of `key` used as a key (a whole word followed by `:`) in a line of flow YAML.
fn flow_key(line: &str, key: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(key).map(|(i, _)| i).find(|&i| {
        let before = line[..i].chars().next_back();
        let after = line[i + key.len()..].trim_start_matches(['"', '\'', ' ']);
        !before.is_some_and(is_word) && after.starts_with(':')
    })
}

/// The byte ranges of the items of the top-level block sequence of a YAML file (`- A`), each
/// from its `-` to the end of its last line. Empty when the file is not written that way.
pub fn locate_sequence_items(text: &str) -> Vec<(usize, usize)> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut indent = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let trimmed = line.trim_start_matches(' ');
        let this_indent = line.len() - trimmed.len();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let starts_item = (trimmed.starts_with("- ") || trimmed.trim_end() == "-")
            && indent.is_none_or(|i| i == this_indent);
        if starts_item {
            indent = Some(this_indent);
            items.push((line_start + this_indent, line_start + line.trim_end().len()));
        } else if let Some(last) = items.last_mut().filter(|_| indent < Some(this_indent)) {
            last.1 = line_start + line.trim_end().len();
        } else if !items.is_empty() || indent.is_none() && trimmed.starts_with('[') {
            return Vec::new();
        }
    }
    items
}

/// The byte range of the first whole-word occurrence of `word` in `text[range]`.
pub fn locate_word_in(text: &str, range: (usize, usize), word: &str) -> Option<(usize, usize)> {
    let slice = text.get(range.0..range.1)?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let (at, _) = slice.match_indices(word).find(|(i, _)| {
        let before = slice[..*i].chars().next_back();
        let after = slice[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })?;
    Some((range.0 + at, range.0 + at + word.len()))
}

/// Indentation, key text (without quotes) and the key's byte offset within the line, for a
/// line of the form `   key: ...`.
fn key_of_line(line: &str) -> Option<(usize, &str, usize)> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    if trimmed.starts_with('#') || trimmed.starts_with('-') || trimmed.trim().is_empty() {
        return None;
    }
    let (key, start) = if let Some(rest) = trimmed.strip_prefix('"') {
        let end = rest.find('"')?;
        (&rest[..end], indent + 1)
    } else if let Some(rest) = trimmed.strip_prefix('\'') {
        let end = rest.find('\'')?;
        (&rest[..end], indent + 1)
    } else {
        let end = trimmed.find(':')?;
        (trimmed[..end].trim_end(), indent)
    };
    let after = &line[start + key.len()..];
    let after = after.trim_start_matches(['"', '\'']).trim_start();
    if !after.starts_with(':') {
        return None;
    }
    Some((indent, key, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "entities:\n  Machine:\n    fields:\n      code: string\n      id: { type: EquipmentId }\nenums:\n  code: [A]\n";

    #[test]
    fn finds_nested_keys_by_indentation() {
        let (s, e) = locate_key(TEXT, &["entities", "Machine", "fields", "code"]).unwrap();
        assert_eq!(&TEXT[s..e], "code");
        let (s, _) = locate_key(TEXT, &["enums", "code"]).unwrap();
        assert!(s > TEXT.find("enums").unwrap());
    }

    #[test]
    fn the_index_finds_what_a_walk_finds() {
        let index = KeyIndex::new(TEXT);
        for path in [
            &["entities"][..],
            &["entities", "Machine", "fields", "id"],
            &["enums"],
            &["entities", "Nothing"],
        ] {
            assert_eq!(index.key(path), locate_key(TEXT, path), "{path:?}");
        }
    }

    #[test]
    fn finds_a_word_in_a_value() {
        let (s, e) = KeyIndex::new(TEXT)
            .nested_value(&["entities", "Machine", "fields", "id"], "EquipmentId")
            .unwrap();
        assert_eq!(&TEXT[s..e], "EquipmentId");
    }

    #[test]
    fn follows_a_path_into_flow_mappings() {
        let text = "identifiers:\n  Gtin: { base: string, length: { min: 8, max: 20 } }\n  Sscc:\n    length:\n      min: 18\n";
        let (s, e) = KeyIndex::new(text)
            .nested_key(&["identifiers", "Gtin", "length", "max"])
            .unwrap();
        assert_eq!(&text[s..e], "max");
        let (s, e) = KeyIndex::new(text)
            .nested_value(&["identifiers", "Gtin", "length", "max"], "20")
            .unwrap();
        assert_eq!(&text[s..e], "20");
        let (s, e) = KeyIndex::new(text)
            .nested_value(&["identifiers", "Sscc", "length", "min"], "18")
            .unwrap();
        assert_eq!(&text[s..e], "18");
        assert!(KeyIndex::new(text)
            .nested_key(&["identifiers", "Gtin", "pattern"])
            .is_none());
    }

    #[test]
    fn a_word_used_as_a_value_is_not_a_key() {
        let text = "fields:\n  x: { type: unit, unit: rpm }\n";
        let (s, _) = KeyIndex::new(text)
            .nested_key(&["fields", "x", "unit"])
            .unwrap();
        assert_eq!(&text[s..s + 9], "unit: rpm");
    }

    #[test]
    fn finds_the_items_of_a_block_sequence() {
        let text = "# states\n- SETUP\n- code: RUNNING\n  description: Running\n\n- IDLE\n";
        let items = locate_sequence_items(text);
        let shown: Vec<&str> = items.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            shown,
            [
                "- SETUP",
                "- code: RUNNING\n  description: Running",
                "- IDLE"
            ]
        );
        assert!(locate_sequence_items("[A, B]\n").is_empty());
        let (s, e) = locate_word_in(text, items[1], "RUNNING").unwrap();
        assert_eq!(&text[s..e], "RUNNING");
    }
}
