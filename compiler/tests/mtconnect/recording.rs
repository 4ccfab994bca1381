//! The OKUMA recording as this test reads it, independently of the runtime's SHDR parser: lines
//! `timestamp|key|value|...`, a condition (`system`, `*_cond`) taking five fields after its key,
//! asset commands and multi-line blocks skipped.

use std::path::{Path, PathBuf};

/// One observation of the recording.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    /// The line of the file, 1-based.
    pub line: usize,
    pub timestamp: String,
    pub key: String,
    pub value: String,
}

/// The recording in the example's data folder.
pub fn path() -> PathBuf {
    crate::support::workspace_root().join("examples/okuma-to-mes/data/okuma_shdr_2022-08-08.txt")
}

/// Every observation of `keys` in the file at `path`, in file order.
pub fn observations(path: &Path, keys: &[&str]) -> Vec<Seen> {
    let text = std::fs::read_to_string(path).expect("the recording");
    let mut out = Vec::new();
    let mut in_block: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(marker) = &in_block {
            if line.trim() == marker {
                in_block = None;
            }
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        if let Some(last) = fields.last().filter(|l| l.starts_with("--multiline--")) {
            in_block = Some(last.to_string());
            continue;
        }
        if fields.len() < 3 || !fields[0].starts_with("20") || fields[1].starts_with('@') {
            continue;
        }
        let mut rest = &fields[1..];
        while let [key, tail @ ..] = rest {
            let width = if *key == "system" || key.ends_with("_cond") {
                5
            } else {
                1
            };
            let value = tail.first().copied().unwrap_or("");
            rest = &tail[width.min(tail.len())..];
            if keys.contains(key) {
                out.push(Seen {
                    line: i + 1,
                    timestamp: fields[0].to_string(),
                    key: key.to_string(),
                    value: value.to_string(),
                });
            }
            if width > 1 {
                break;
            }
        }
    }
    out
}

/// An RFC 3339 time as (date and time to the second, nanoseconds), so that
/// `13:58:01.0811320Z` and `13:58:01.081132Z` compare equal.
pub fn instant(text: &str) -> (String, u32) {
    let text = text.trim_end_matches('Z');
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(9)
        .collect();
    (seconds.to_string(), digits.parse().expect("nanoseconds"))
}
