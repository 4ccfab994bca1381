//! The `topics:` of an MQTT source: each filter is parsed by the runtime's own parser
//! (`fdi_runtime::TopicFilter`), so `fdi check` refuses exactly the filters the program would, and
//! a refused one is reported on its literal, with a rewrite where one is certain.

use fdi_runtime::topic_filter::is_level_name;
use fdi_runtime::{TopicFilter, TopicFilterError};

use crate::diagnostic::{Code, Diagnostic};
use crate::source_map::Span;
use crate::syntax::ast::{self, OptionValueKind};

/// What a `topics:` value holds.
pub(super) enum Filters {
    /// Every filter parsed: each with the span of its literal.
    Parsed(Vec<(String, Span)>),
    /// Texts, some of which are not filters: reported here.
    Refused,
    /// Not a text or a non-empty list of texts: the caller reports the option's type.
    NotTexts,
}

/// The filters of a `topics:` value; each that does not parse is one E0803 on its literal.
pub(super) fn topic_filters(value: &ast::OptionValue, problems: &mut Vec<Diagnostic>) -> Filters {
    let literals: Vec<(&str, Span)> = match &value.kind {
        OptionValueKind::Text(text) => vec![(text.as_str(), value.span)],
        OptionValueKind::List(items) if !items.is_empty() => {
            let texts: Option<Vec<(&str, Span)>> = items
                .iter()
                .map(|item| match &item.kind {
                    OptionValueKind::Text(text) => Some((text.as_str(), item.span)),
                    _ => None,
                })
                .collect();
            match texts {
                Some(texts) => texts,
                None => return Filters::NotTexts,
            }
        }
        _ => return Filters::NotTexts,
    };
    let mut refused = false;
    for (text, span) in &literals {
        if let Err(error) = TopicFilter::parse(text) {
            problems.push(bad_filter(text, *span, &error));
            refused = true;
        }
    }
    if refused {
        Filters::Refused
    } else {
        Filters::Parsed(
            literals
                .into_iter()
                .map(|(text, span)| (text.to_string(), span))
                .collect(),
        )
    }
}

fn bad_filter(text: &str, span: Span, error: &TopicFilterError) -> Diagnostic {
    let (label, explanation) = match error {
        TopicFilterError::Empty => ("empty", "a filter names the topics to subscribe to, such as `plant/+line/+machine/state`".to_string()),
        TopicFilterError::TooLong => ("too long", "MQTT allows filters of at most 65,535 bytes".to_string()),
        TopicFilterError::Nul => ("holds a NUL character", "MQTT forbids the NUL character in topics and filters; remove it".to_string()),
        TopicFilterError::HashNotLast { .. } => (
            "`#` before another level",
            "`#` matches every level below its own, so nothing can follow it; `+` matches one level".to_string(),
        ),
        TopicFilterError::WildcardInText { .. } => (
            "a wildcard inside a level",
            "`+` and `#` stand for whole levels (`plant/+/state`), and a name after one names that level (`+line`)".to_string(),
        ),
        TopicFilterError::NotAnIdentifier { .. } => (
            "not a name",
            "a level's name is what the mapping reads it by (`source.levels.line`), so it is written like a field's name: letters, digits and `_`, not starting with a digit".to_string(),
        ),
        TopicFilterError::NameTwice { .. } => (
            "a name given twice",
            "each name stands for one level of the topic; a level the mapping does not read needs no name (`+`)".to_string(),
        ),
    };
    let help = match rewrite(text, error) {
        Some(fixed) => format!("{explanation}: replace `\"{text}\"` with `\"{fixed}\"`"),
        None => explanation,
    };
    Diagnostic::error(
        Code::BadTopicFilter,
        format!("{text:?} is not a topic filter: {error}"),
    )
    .label(span, label)
    .help(help)
}

/// The filter with its one fault repaired, when the repair is certain and the result parses; only for
/// a filter written as plain text (no character a literal would escape), so that the rewrite quotes
/// the literal exactly as it is written.
fn rewrite(text: &str, error: &TopicFilterError) -> Option<String> {
    if text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return None;
    }
    let levels: Vec<&str> = text.split('/').collect();
    let fixed: Vec<String> = match error {
        // A `#` with levels after it meant one level.
        TopicFilterError::HashNotLast { level } => levels
            .iter()
            .enumerate()
            .map(|(i, l)| match l.strip_prefix('#') {
                Some(name) if i + 1 == *level => format!("+{name}"),
                _ => l.to_string(),
            })
            .collect(),
        // `line+` meant `+line`: the wildcard written after its name.
        TopicFilterError::WildcardInText { level } => {
            let moved = [
                ('+', level.strip_suffix('+')),
                ('#', level.strip_suffix('#')),
            ]
            .into_iter()
            .find_map(|(wildcard, name)| {
                name.filter(|n| is_level_name(n))
                    .map(|n| format!("{wildcard}{n}"))
            })?;
            levels
                .iter()
                .map(|l| {
                    if l == level {
                        moved.clone()
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        }
        // `+line-no` meant `+line_no`.
        TopicFilterError::NotAnIdentifier { wildcard, name } => {
            let mut renamed: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            if renamed.starts_with(|c: char| c.is_ascii_digit()) {
                renamed.insert(0, '_');
            }
            let written = format!("{wildcard}{name}");
            levels
                .iter()
                .map(|l| {
                    if *l == written {
                        format!("{wildcard}{renamed}")
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        }
        // The second level of that name left unnamed.
        TopicFilterError::NameTwice { name } => {
            let mut seen = false;
            levels
                .iter()
                .map(|l| {
                    let named = l.len() > 1 && &l[1..] == name && l.starts_with(['+', '#']);
                    if named && seen {
                        l[..1].to_string()
                    } else {
                        seen |= named;
                        l.to_string()
                    }
                })
                .collect()
        }
        _ => return None,
    };
    let fixed = fixed.join("/");
    TopicFilter::parse(&fixed).ok().map(|_| fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> Option<String> {
        rewrite(text, &TopicFilter::parse(text).unwrap_err())
    }

    #[test]
    fn certain_repairs_parse_and_uncertain_ones_are_not_offered() {
        assert_eq!(rewritten("plant/#/state").as_deref(), Some("plant/+/state"));
        assert_eq!(
            rewritten("plant/#line/state").as_deref(),
            Some("plant/+line/state")
        );
        assert_eq!(
            rewritten("plant/line+/state").as_deref(),
            Some("plant/+line/state")
        );
        assert_eq!(rewritten("plant/rest#").as_deref(), Some("plant/#rest"));
        assert_eq!(
            rewritten("plant/+line-no/x").as_deref(),
            Some("plant/+line_no/x")
        );
        assert_eq!(rewritten("plant/+1st").as_deref(), Some("plant/+_1st"));
        assert_eq!(rewritten("+m/+m/#m").as_deref(), Some("+m/+/#"));
        assert_eq!(rewritten("a+b/c"), None);
        assert_eq!(
            rewritten("a/#/b+c"),
            None,
            "two faults: no single certain repair"
        );
        assert_eq!(rewritten(""), None);
    }
}
