//! Finding the place of a key in a YAML file's text.
//!
//! serde_yaml gives positions only for syntax errors, so the loader finds the spans of names
//! it wants to point at by walking the text's indentation. This understands block mappings
//! (the style schema files are written in) and falls back to the start of the file otherwise.

/// The byte range of the key at `path` (e.g. `["entities", "MillSample", "fields", "x"]`).
pub fn locate_key(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut stack: Vec<(usize, String)> = Vec::new();
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
        stack.push((indent, key.to_string()));
        if stack.len() == path.len() && stack.iter().zip(path).all(|((_, k), p)| k == p) {
            return Some((line_start + key_start, line_start + key_start + key.len()));
        }
    }
    None
}

/// The byte range of `needle` in the value written after the key at `path` on the same line
/// (a shorthand `x: flaot`, or a flow mapping `x: { type: flaot }`).
pub fn locate_in_value(text: &str, path: &[&str], needle: &str) -> Option<(usize, usize)> {
    let (_, key_end) = locate_key(text, path)?;
    let line_end = text[key_end..]
        .find('\n')
        .map(|i| key_end + i)
        .unwrap_or(text.len());
    let rest = &text[key_end..line_end];
    let at = rest.find(needle)?;
    Some((key_end + at, key_end + at + needle.len()))
}

/// Like [`locate_in_value`], for the `nth` (0-based) whole-word occurrence of `needle`: a
/// code in `[SETUP, RUNNING, RUNNING]`, not a part of a longer word.
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
    fn finds_a_word_in_a_value() {
        let (s, e) = locate_in_value(
            TEXT,
            &["entities", "Machine", "fields", "id"],
            "EquipmentId",
        )
        .unwrap();
        assert_eq!(&TEXT[s..e], "EquipmentId");
    }
}
