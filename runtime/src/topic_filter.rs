//! Topic filters with named levels: what an MQTT source subscribes to, and which values a topic gives
//! the mapping.
//!
//! A filter is MQTT's (`plant/+/+/state`, `plant/#`) where a wildcard may carry a name:
//! `plant/+line/+machine/state` subscribes to `plant/+/+/state` and, for the topic
//! `plant/3/m1/state`, names the levels `line` = `3` and `machine` = `m1`. A named `#rest` gives the
//! rest of the topic (`a/b`, or the empty string when `plant/#` matches `plant` itself).
//!
//! Matching follows MQTT 3.1.1 (4.7) exactly: `+` is one whole level (which may be empty), `#` is the
//! last level of a filter and matches its parent level and any number of levels below it, and a topic
//! whose first level starts with `$` (`$SYS/...`) is not matched by a filter whose first level is a
//! wildcard.
//!
//! Not behind the `mqtt` feature: the compiler checks a mapping's filters with [`TopicFilter::parse`]
//! (so `fdi check` and the program refuse the same filters in the same words), and a
//! [`crate::RawRecord`] of a broker message keeps the filter its topic matched.

use std::fmt;

/// The longest filter MQTT allows: its length is a 16-bit number of bytes.
const MAX_FILTER_BYTES: usize = u16::MAX as usize;

/// One level of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    /// A level the topic must have exactly.
    Exact(String),
    /// `+` or `+name`: any one level.
    One(Option<String>),
    /// `#` or `#name`: the rest of the topic, the last level of a filter.
    Rest(Option<String>),
}

/// A parsed topic filter; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicFilter {
    text: String,
    levels: Vec<Level>,
}

/// Why a text is not a topic filter. It says what is wrong with the filter, not which filter it is:
/// the caller names that (the compiler labels the literal, the program names the source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicFilterError {
    /// The filter is the empty text.
    Empty,
    /// The filter is longer than MQTT's 65,535 bytes.
    TooLong,
    /// The filter holds a NUL character, which MQTT forbids in topics.
    Nul,
    /// A `#` level (the one-based `level`) is not the last.
    HashNotLast { level: usize },
    /// A level holds a `+` or `#` that does not start it (`a+b`, `x#`).
    WildcardInText { level: String },
    /// A wildcard's name is not an identifier (`+1line`, `+line-no`).
    NotAnIdentifier { wildcard: char, name: String },
    /// Two wildcards have the same name.
    NameTwice { name: String },
}

impl fmt::Display for TopicFilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicFilterError::Empty => f.write_str("a topic filter cannot be empty"),
            TopicFilterError::TooLong => {
                write!(f, "a topic filter is at most {MAX_FILTER_BYTES} bytes long")
            }
            TopicFilterError::Nul => f.write_str("a topic filter cannot contain a NUL character"),
            TopicFilterError::HashNotLast { level } => write!(
                f,
                "`#` stands for the rest of the topic, so it may only be the last level, not level {level}"
            ),
            TopicFilterError::WildcardInText { level } => write!(
                f,
                "level {level:?} mixes a wildcard with text; `+` and `#` stand for whole levels"
            ),
            TopicFilterError::NotAnIdentifier { wildcard, name } => write!(
                f,
                "`{wildcard}{name}` names its level with something that is not an identifier (letters, digits \
                 and `_`, not starting with a digit)"
            ),
            TopicFilterError::NameTwice { name } => write!(f, "two levels are named `{name}`"),
        }
    }
}

impl std::error::Error for TopicFilterError {}

/// The named levels a topic gave a [`TopicFilter`], in the filter's order (names borrowed from the filter,
/// values from the topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLevels<'t> {
    values: Vec<(&'t str, &'t str)>,
}

impl<'t> TopicLevels<'t> {
    /// The value of the level named `name`, if the filter names one so.
    pub fn get(&self, name: &str) -> Option<&'t str> {
        self.values
            .iter()
            .find(|(level, _)| *level == name)
            .map(|(_, value)| *value)
    }

    /// Every named level and its value, in the filter's order.
    pub fn iter(&self) -> impl Iterator<Item = (&'t str, &'t str)> + '_ {
        self.values.iter().copied()
    }
}

impl TopicFilter {
    /// Parses a filter; see [`TopicFilterError`] for what is refused.
    pub fn parse(text: &str) -> Result<TopicFilter, TopicFilterError> {
        if text.is_empty() {
            return Err(TopicFilterError::Empty);
        }
        if text.len() > MAX_FILTER_BYTES {
            return Err(TopicFilterError::TooLong);
        }
        if text.contains('\0') {
            return Err(TopicFilterError::Nul);
        }
        let parts: Vec<&str> = text.split('/').collect();
        let mut levels = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let level = if let Some(name) = part.strip_prefix('+') {
                Level::One(wildcard_name('+', name)?)
            } else if let Some(name) = part.strip_prefix('#') {
                if index + 1 != parts.len() {
                    return Err(TopicFilterError::HashNotLast { level: index + 1 });
                }
                Level::Rest(wildcard_name('#', name)?)
            } else if part.contains(['+', '#']) {
                return Err(TopicFilterError::WildcardInText {
                    level: part.to_string(),
                });
            } else {
                Level::Exact(part.to_string())
            };
            if let Some(name) = level_name(&level) {
                if levels.iter().any(|l| level_name(l) == Some(name)) {
                    return Err(TopicFilterError::NameTwice {
                        name: name.to_string(),
                    });
                }
            }
            levels.push(level);
        }
        Ok(TopicFilter {
            text: text.to_string(),
            levels,
        })
    }

    /// The filter as it was written, names included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The filter to subscribe to: the names left out (`plant/+line/#` -> `plant/+/#`).
    pub fn subscription(&self) -> String {
        let parts: Vec<&str> = self
            .levels
            .iter()
            .map(|level| match level {
                Level::Exact(text) => text.as_str(),
                Level::One(_) => "+",
                Level::Rest(_) => "#",
            })
            .collect();
        parts.join("/")
    }

    /// The names of the filter's named levels, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().filter_map(level_name)
    }

    /// Whether `topic` matches the filter (MQTT's rules, see the module documentation). Allocates nothing.
    pub fn matches(&self, topic: &str) -> bool {
        self.walk(topic, |_, _| {})
    }

    /// The value `topic` gives the level named `name`: `None` when the topic does not match the filter or
    /// the filter names no level so. Allocates nothing.
    pub fn level<'t>(&self, topic: &'t str, name: &str) -> Option<&'t str> {
        let mut found = None;
        let matched = self.walk(topic, |level, value| {
            if level == name {
                found = Some(value);
            }
        });
        found.filter(|_| matched)
    }

    /// The named levels of `topic`, or `None` when it does not match the filter.
    pub fn levels<'t>(&'t self, topic: &'t str) -> Option<TopicLevels<'t>> {
        let mut values = Vec::new();
        self.walk(topic, |name, value| values.push((name, value)))
            .then_some(TopicLevels { values })
    }

    /// Matches `topic` level by level, handing `named` each named level and its value as it goes (also
    /// those of a topic that turns out not to match); whether the whole topic matched.
    fn walk<'f, 't>(&'f self, topic: &'t str, mut named: impl FnMut(&'f str, &'t str)) -> bool {
        let starts_with_wildcard = matches!(self.levels[0], Level::One(_) | Level::Rest(_));
        if starts_with_wildcard && topic.starts_with('$') {
            return false;
        }
        let mut rest = Some(topic);
        for level in &self.levels {
            match level {
                Level::Rest(name) => {
                    if let Some(name) = name {
                        named(name, rest.unwrap_or(""));
                    }
                    return true;
                }
                Level::One(name) => {
                    let Some(remaining) = rest else {
                        return false;
                    };
                    let (value, remaining) = split_level(remaining);
                    if let Some(name) = name {
                        named(name, value);
                    }
                    rest = remaining;
                }
                Level::Exact(text) => {
                    let Some(remaining) = rest else {
                        return false;
                    };
                    let (value, remaining) = split_level(remaining);
                    if value != text {
                        return false;
                    }
                    rest = remaining;
                }
            }
        }
        rest.is_none()
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The first level of `topic` and what follows its `/` (`None` when it was the last level).
fn split_level(topic: &str) -> (&str, Option<&str>) {
    match topic.split_once('/') {
        Some((level, rest)) => (level, Some(rest)),
        None => (topic, None),
    }
}

fn level_name(level: &Level) -> Option<&str> {
    match level {
        Level::One(name) | Level::Rest(name) => name.as_deref(),
        Level::Exact(_) => None,
    }
}

/// Whether `name` is an identifier as a level's name must be: letters, digits and `_`, not starting
/// with a digit (ASCII, so that it is a name in the mapping too).
pub fn is_level_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn wildcard_name(wildcard: char, name: &str) -> Result<Option<String>, TopicFilterError> {
    if name.is_empty() {
        Ok(None)
    } else if is_level_name(name) {
        Ok(Some(name.to_string()))
    } else {
        Err(TopicFilterError::NotAnIdentifier {
            wildcard,
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> TopicFilter {
        TopicFilter::parse(text).unwrap()
    }

    #[test]
    fn plus_is_one_whole_level_and_may_be_empty() {
        let f = filter("plant/+/state");
        assert!(f.matches("plant/3/state"));
        assert!(f.matches("plant//state"));
        assert!(!f.matches("plant/3/4/state"));
        assert!(!f.matches("plant/state"));
        assert!(!f.matches("plant/3/state/x"));
        assert!(filter("+/+").matches("/finance"));
        assert!(filter("/+").matches("/finance"));
        assert!(!filter("+").matches("/finance"));
    }

    #[test]
    fn hash_matches_the_parent_and_everything_below() {
        let f = filter("sport/tennis/#");
        assert!(f.matches("sport/tennis"));
        assert!(f.matches("sport/tennis/player1"));
        assert!(f.matches("sport/tennis/player1/ranking"));
        assert!(!f.matches("sport/tennisplayer1"));
        assert!(!f.matches("sport"));
        assert!(filter("#").matches("a/b/c"));
        assert!(filter("#").matches("/"));
    }

    #[test]
    fn exact_levels_are_case_sensitive_and_complete() {
        let f = filter("plant/m1");
        assert!(f.matches("plant/m1"));
        assert!(!f.matches("Plant/m1"));
        assert!(!f.matches("plant/m1/"));
        assert!(!f.matches("plant"));
    }

    #[test]
    fn dollar_topics_are_not_matched_by_a_leading_wildcard() {
        assert!(!filter("#").matches("$SYS/broker/uptime"));
        assert!(!filter("+/broker/uptime").matches("$SYS/broker/uptime"));
        assert!(filter("$SYS/#").matches("$SYS/broker/uptime"));
        assert!(filter("$SYS/+/uptime").matches("$SYS/broker/uptime"));
        // Only the first level counts.
        assert!(filter("a/+").matches("a/$b"));
    }

    #[test]
    fn named_levels_give_their_values() {
        let f = filter("plant/+line/+machine/state");
        assert_eq!(f.subscription(), "plant/+/+/state");
        assert_eq!(f.names().collect::<Vec<_>>(), ["line", "machine"]);
        let levels = f.levels("plant/3/m1/state").unwrap();
        assert_eq!(levels.get("line"), Some("3"));
        assert_eq!(levels.get("machine"), Some("m1"));
        assert_eq!(levels.get("plant"), None);
        assert!(f.levels("plant/3/m1/alarm").is_none());

        let rest = filter("site/+area/#path");
        assert_eq!(rest.subscription(), "site/+/#");
        let levels = rest.levels("site/north/a/b/c").unwrap();
        assert_eq!(
            levels.iter().collect::<Vec<_>>(),
            [("area", "north"), ("path", "a/b/c")]
        );
        assert_eq!(rest.levels("site/north").unwrap().get("path"), Some(""));
    }

    #[test]
    fn one_level_is_read_without_the_others() {
        let f = filter("plant/+line/+machine/state");
        assert_eq!(f.level("plant/3/m1/state", "machine"), Some("m1"));
        assert_eq!(f.level("plant//m1/state", "line"), Some(""));
        assert_eq!(f.level("plant/3/m1/state", "plant"), None);
        // A level seen before the topic stops matching is not a value of a match.
        assert_eq!(f.level("plant/3/m1/alarm", "line"), None);
        assert_eq!(f.level("plant/3", "line"), None);
        assert_eq!(filter("a/#rest").level("a", "rest"), Some(""));
        assert_eq!(filter("+x/#").level("$SYS/a", "x"), None);
    }

    #[test]
    fn malformed_filters_are_refused_with_a_reason() {
        let too_long = "a".repeat(70_000);
        for (text, expected) in [
            ("", "cannot be empty"),
            ("a/#/b", "may only be the last level, not level 2"),
            ("a/b+/c", "mixes a wildcard with text"),
            ("a/x#", "mixes a wildcard with text"),
            ("+1line", "not an identifier"),
            ("+a-b", "not an identifier"),
            ("+m/+m", "two levels are named `m`"),
            ("a\0", "NUL"),
            (too_long.as_str(), "at most 65535 bytes"),
        ] {
            let error = TopicFilter::parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
