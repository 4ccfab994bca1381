//! Topic filters with named levels: what a source subscribes to, and which values a topic gives the
//! mapping.
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

use std::fmt;

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
    /// Parses a filter. Refused, with a sentence saying why: an empty filter; a `+` or `#` that does not
    /// start its level; a `#` level that is not the last; a wildcard name that is not an identifier
    /// (letters, digits, `_`, not starting with a digit); a name used twice; a NUL character.
    pub fn parse(text: &str) -> Result<TopicFilter, String> {
        if text.is_empty() {
            return Err("a topic filter cannot be empty".into());
        }
        if text.contains('\0') {
            return Err(format!("topic filter {text:?} contains a NUL character"));
        }
        let parts: Vec<&str> = text.split('/').collect();
        let mut levels = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let level = if let Some(name) = part.strip_prefix('+') {
                Level::One(wildcard_name(text, '+', name)?)
            } else if let Some(name) = part.strip_prefix('#') {
                if index + 1 != parts.len() {
                    return Err(format!(
                        "topic filter {text:?}: `#` may only be its last level"
                    ));
                }
                Level::Rest(wildcard_name(text, '#', name)?)
            } else if part.contains(['+', '#']) {
                return Err(format!(
                    "topic filter {text:?}: level {part:?} mixes a wildcard with text; `+` and `#` stand \
                     for whole levels"
                ));
            } else {
                Level::Exact(part.to_string())
            };
            if let Some(name) = level_name(&level) {
                if levels.iter().any(|l| level_name(l) == Some(name)) {
                    return Err(format!("topic filter {text:?} names two levels {name:?}"));
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

    /// Whether `topic` matches the filter (MQTT's rules, see the module documentation).
    pub fn matches(&self, topic: &str) -> bool {
        self.levels(topic).is_some()
    }

    /// The named levels of `topic`, or `None` when it does not match the filter.
    pub fn levels<'t>(&'t self, topic: &'t str) -> Option<TopicLevels<'t>> {
        let starts_with_wildcard = matches!(self.levels[0], Level::One(_) | Level::Rest(_));
        if starts_with_wildcard && topic.starts_with('$') {
            return None;
        }
        let mut values = Vec::new();
        let mut rest = Some(topic);
        for level in &self.levels {
            match level {
                Level::Rest(name) => {
                    if let Some(name) = name {
                        values.push((name.as_str(), rest.unwrap_or("")));
                    }
                    return Some(TopicLevels { values });
                }
                Level::One(name) => {
                    let (value, remaining) = split_level(rest?);
                    if let Some(name) = name {
                        values.push((name.as_str(), value));
                    }
                    rest = remaining;
                }
                Level::Exact(text) => {
                    let (value, remaining) = split_level(rest?);
                    if value != text {
                        return None;
                    }
                    rest = remaining;
                }
            }
        }
        rest.is_none().then_some(TopicLevels { values })
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

fn wildcard_name(filter: &str, wildcard: char, name: &str) -> Result<Option<String>, String> {
    if name.is_empty() {
        return Ok(None);
    }
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(Some(name.to_string()))
    } else {
        Err(format!(
            "topic filter {filter:?}: `{wildcard}{name}` names its level with something that is not \
             an identifier (letters, digits and `_`, not starting with a digit)"
        ))
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
    fn malformed_filters_are_refused_with_a_reason() {
        for (text, expected) in [
            ("", "cannot be empty"),
            ("a/#/b", "`#` may only be its last level"),
            ("a/b+/c", "mixes a wildcard with text"),
            ("a/x#", "mixes a wildcard with text"),
            ("+1line", "not an identifier"),
            ("+a-b", "not an identifier"),
            ("+m/+m", "names two levels \"m\""),
            ("a\0", "NUL"),
        ] {
            let error = TopicFilter::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
