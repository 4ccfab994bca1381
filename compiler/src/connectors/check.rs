//! Checking one connector of a declaration against the table: its kind for the role, the file or
//! connection it names, and each option's name and value. Pure: it returns the checked connector
//! or every diagnostic.

use std::collections::BTreeMap;

use super::{spec, ConnectorSpec, Location, OptionSpec, OptionType, Role, CONNECTORS};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::source_map::Span;
use crate::syntax::ast::{self, OptionValueKind};

/// An option's value after checking, by its type in the table.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Text(String),
    Int(i64),
    Bool(bool),
    /// In milliseconds.
    Duration(u64),
    TextList(Vec<String>),
    /// Topic filters that parsed, each with the span of its literal.
    TopicFilters(Vec<(String, Span)>),
    Number(f64),
}

/// A connector that checked: its table entry, the file it names, and every option that applies
/// to its role, with the defaults filled in.
#[derive(Debug, Clone)]
pub struct Checked {
    pub spec: &'static ConnectorSpec,
    pub file: Option<String>,
    pub options: BTreeMap<&'static str, OptionValue>,
}

impl Checked {
    /// The runtime's cargo features this connector needs, as the table says: its own, and those of
    /// the option values it was given (or defaulted to).
    pub fn runtime_features(&self) -> impl Iterator<Item = &'static str> + '_ {
        let by_value = self
            .spec
            .value_features
            .iter()
            .filter(|(option, value, _)| {
                condition_value(option, self.spec, &self.options) == *value
            })
            .map(|(_, _, feature)| *feature);
        self.spec.feature.into_iter().chain(by_value)
    }

    /// A text option (also a choice); empty when it has no value.
    pub fn text(&self, name: &str) -> &str {
        match self.options.get(name) {
            Some(OptionValue::Text(text)) => text,
            _ => "",
        }
    }

    pub fn int(&self, name: &str) -> i64 {
        match self.options.get(name) {
            Some(OptionValue::Int(n)) => *n,
            _ => 0,
        }
    }

    pub fn bool(&self, name: &str) -> bool {
        matches!(self.options.get(name), Some(OptionValue::Bool(true)))
    }

    pub fn duration_ms(&self, name: &str) -> u64 {
        match self.options.get(name) {
            Some(OptionValue::Duration(ms)) => *ms,
            _ => 0,
        }
    }

    /// A number option; `None` when it has no value (its default is none).
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.options.get(name) {
            Some(OptionValue::Number(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn texts(&self, name: &str) -> Vec<String> {
        match self.options.get(name) {
            Some(OptionValue::TextList(texts)) => texts.clone(),
            Some(OptionValue::TopicFilters(filters)) => {
                filters.iter().map(|(text, _)| text.clone()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The spans of a topic-filter option's literals, in the order of [`Checked::texts`].
    pub fn spans(&self, name: &str) -> Vec<Span> {
        match self.options.get(name) {
            Some(OptionValue::TopicFilters(filters)) => {
                filters.iter().map(|(_, span)| *span).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Option names that hold secrets: never in a mapping, always in the deployment settings.
const SECRET_OPTIONS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "credentials",
    "auth",
];

/// Checks `connector` as the connector of a `role` declaration.
pub fn check_connector(connector: &ast::Connector, role: Role) -> Result<Checked, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let Some(spec) = spec_for(connector, role, &mut problems) else {
        return Err(problems);
    };
    let file = check_location(connector, spec, role, &mut problems);
    let mut options = BTreeMap::new();
    // Names given but refused (a secret, a wrong value, a misspelling): an option they were meant
    // as is not reported missing as well, so the root cause comes alone.
    let mut refused: Vec<&str> = Vec::new();
    for option in &connector.options {
        match check_option(option, spec, role, &options, &mut problems) {
            Some((name, value)) => {
                options.insert(name, value);
            }
            None => refused.push(&option.name.name),
        }
    }
    // An option that applies only with a value of another (an MQTT target's `topic` only with
    // `payload: "json"`) is an error given with another value, and is not required then.
    for given in &connector.options {
        let Some(option) = spec.options_for(role).find(|o| o.name == given.name.name) else {
            continue;
        };
        if options.contains_key(option.name)
            && applies(option, spec, &options, &refused) == Some(false)
        {
            options.remove(option.name);
            problems.push(not_applicable(given, spec, role, option, &options));
        }
    }
    for option in spec.options_for(role) {
        if options.contains_key(option.name) {
            continue;
        }
        if applies(option, spec, &options, &refused) != Some(true) {
            continue;
        }
        let meant = refused
            .iter()
            .any(|given| *given == option.name || did_you_mean(given, [option.name]).is_some());
        // A file or address where the connection belongs is reported as that.
        let misplaced = option.name == "connection" && connector.location.is_some();
        match option.default {
            Some(default) => {
                options.insert(option.name, default_value(option.ty, default));
            }
            None if meant || misplaced => {}
            None => problems.push(missing_option(connector, spec, role, option)),
        }
    }
    if problems.is_empty() {
        Ok(Checked {
            spec,
            file,
            options,
        })
    } else {
        Err(problems)
    }
}

/// Whether `option` applies given the other options: by its condition (`OptionSpec::when`) on
/// the value given or defaulted; `None` when the option it depends on was refused (that problem
/// is reported already, and this one would only follow from it).
fn applies(
    option: &OptionSpec,
    spec: &'static ConnectorSpec,
    options: &BTreeMap<&'static str, OptionValue>,
    refused: &[&str],
) -> Option<bool> {
    let Some((other, wanted)) = option.when else {
        return Some(true);
    };
    if refused.contains(&other) {
        return None;
    }
    Some(condition_value(other, spec, options) == wanted)
}

/// The text value of option `name`: given, or its default.
fn condition_value<'a>(
    name: &str,
    spec: &'static ConnectorSpec,
    options: &'a BTreeMap<&'static str, OptionValue>,
) -> &'a str {
    match options.get(name) {
        Some(OptionValue::Text(text)) => text,
        _ => spec
            .options
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.default)
            .unwrap_or(""),
    }
}

fn not_applicable(
    given: &ast::ConnectorOption,
    spec: &'static ConnectorSpec,
    role: Role,
    option: &OptionSpec,
    options: &BTreeMap<&'static str, OptionValue>,
) -> Diagnostic {
    let (other, wanted) = option.when.unwrap_or_default();
    let actual = condition_value(other, spec, options);
    Diagnostic::error(
        Code::UnknownConnector,
        format!(
            "`{}` is an option of {} {} {} only with `{other}: \"{wanted}\"`",
            option.name,
            article(spec.kind),
            spec.kind,
            role.describe()
        ),
    )
    .label(
        given.name.span,
        format!("not an option with `{other}: \"{actual}\"`"),
    )
    .help(format!(
        "remove `{}:` ({}); it applies only with `{other}: \"{wanted}\"`",
        option.name, option.doc
    ))
}

fn kinds_for(role: Role) -> Vec<&'static str> {
    CONNECTORS
        .iter()
        .filter(|c| c.roles.contains(&role))
        .map(|c| c.kind)
        .collect()
}

fn spec_for(
    connector: &ast::Connector,
    role: Role,
    problems: &mut Vec<Diagnostic>,
) -> Option<&'static ConnectorSpec> {
    let kind = &connector.kind;
    let allowed = kinds_for(role);
    let what = role.describe();
    match spec(&kind.name) {
        Some(spec) if spec.roles.contains(&role) => Some(spec),
        Some(spec) => {
            let roles: Vec<&str> = spec.roles.iter().map(|r| r.describe()).collect();
            problems.push(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{}` cannot be a {what}", kind.name),
                )
                .label(
                    kind.span,
                    format!("`{}` is for a {}", kind.name, list_or(&roles)),
                )
                .help(format!("a {what} can be {}", list_code(&allowed))),
            );
            None
        }
        None => {
            problems.push(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{}` is not a connector for a {what}", kind.name),
                )
                .label(kind.span, "unknown connector")
                .help(
                    did_you_mean(&kind.name, allowed.iter().copied())
                        .unwrap_or_else(|| format!("a {what} can be {}", list_code(&allowed))),
                ),
            );
            None
        }
    }
}

fn check_location(
    connector: &ast::Connector,
    spec: &ConnectorSpec,
    role: Role,
    problems: &mut Vec<Diagnostic>,
) -> Option<String> {
    match (spec.location, &connector.location) {
        (Location::File, Some(path)) => {
            if path.value.trim().is_empty() {
                problems.push(
                    Diagnostic::error(
                        Code::UnknownConnector,
                        format!("the {} has an empty path", role.describe()),
                    )
                    .label(path.span, "empty")
                    .help("give a file path, relative to the mapping file's folder"),
                );
            }
            if let Some(secret) = secret_in_text(&path.value) {
                problems.push(secret_literal(path.span, secret));
            }
            Some(path.value.clone())
        }
        (Location::File, None) => {
            problems.push(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{}` needs the file it reads or writes", spec.kind),
                )
                .label(connector.span, "no file named")
                .help(format!(
                    "write the path first: {}(\"data/file.{}\"{})",
                    spec.kind,
                    if spec.kind == "sqlite" {
                        "db"
                    } else {
                        spec.kind
                    },
                    if spec.kind == "sqlite" {
                        ", table: \"name\""
                    } else {
                        ""
                    }
                )),
            );
            None
        }
        (Location::Connection, Some(path)) => {
            problems.push(
                Diagnostic::error(
                    Code::UnknownConnector,
                    format!("`{}` names a connection, not a file", spec.kind),
                )
                .label(path.span, "a file or address here")
                .help(format!(
                    "name the connection of the deployment settings instead: `{}(connection: \"plant_broker\", ...)`; its address and credentials go in the config file given with `--config`",
                    spec.kind
                )),
            );
            if let Some(secret) = secret_in_text(&path.value) {
                problems.push(secret_literal(path.span, secret));
            }
            None
        }
        (Location::Connection, None) => None,
    }
}

fn check_option(
    option: &ast::ConnectorOption,
    spec: &ConnectorSpec,
    role: Role,
    seen: &BTreeMap<&'static str, OptionValue>,
    problems: &mut Vec<Diagnostic>,
) -> Option<(&'static str, OptionValue)> {
    let name = &option.name;
    if SECRET_OPTIONS.contains(&name.name.to_ascii_lowercase().as_str()) {
        problems.push(secret_option(option));
        return None;
    }
    let for_role: Vec<&str> = spec.options_for(role).map(|o| o.name).collect();
    let Some(known) = spec.options.iter().find(|o| o.name == name.name) else {
        let help = did_you_mean(&name.name, for_role.iter().copied()).unwrap_or_else(|| {
            if for_role.is_empty() {
                format!("`{}` takes no options", spec.kind)
            } else {
                format!(
                    "the options of a {} {} are {}",
                    spec.kind,
                    role.describe(),
                    list_code(&for_role)
                )
            }
        });
        problems.push(
            Diagnostic::error(
                Code::UnknownConnector,
                format!("unknown option `{}`", name.name),
            )
            .label(name.span, "not an option here")
            .help(help),
        );
        return None;
    };
    if !known.roles.contains(&role) {
        let roles: Vec<&str> = known.roles.iter().map(|r| r.describe()).collect();
        problems.push(
            Diagnostic::error(
                Code::UnknownConnector,
                format!(
                    "`{}` is an option of {} {} {}, not of a {}",
                    name.name,
                    article(spec.kind),
                    spec.kind,
                    list_or(&roles),
                    role.describe()
                ),
            )
            .label(
                name.span,
                format!("not an option of a {} {}", spec.kind, role.describe()),
            )
            .maybe_help(did_you_mean(&name.name, for_role.iter().copied())),
        );
        return None;
    }
    if seen.contains_key(known.name) {
        problems.push(
            Diagnostic::error(
                Code::UnknownConnector,
                format!("option `{}` is given twice", name.name),
            )
            .label(name.span, "given again here")
            .help("keep one of them"),
        );
        return None;
    }
    let value = match known.ty {
        OptionType::TopicFilters => match super::topics::topic_filters(&option.value, problems) {
            super::topics::Filters::Parsed(filters) => OptionValue::TopicFilters(filters),
            super::topics::Filters::Refused => return None,
            super::topics::Filters::NotTexts => typed_value(&option.value, known, problems)?,
        },
        _ => typed_value(&option.value, known, problems)?,
    };
    if let OptionValue::Text(text) = &value {
        if let Some(secret) = secret_in_text(text) {
            problems.push(secret_literal(option.value.span, secret));
            return None;
        }
    }
    Some((known.name, value))
}

/// The value of `option` as its type in the table, or a diagnostic on the value.
fn typed_value(
    value: &ast::OptionValue,
    option: &OptionSpec,
    problems: &mut Vec<Diagnostic>,
) -> Option<OptionValue> {
    let typed = match (option.ty, &value.kind) {
        (OptionType::Text, OptionValueKind::Text(text)) => Some(OptionValue::Text(text.clone())),
        (OptionType::TopicLevel, OptionValueKind::Text(text)) if is_topic_level(text) => {
            Some(OptionValue::Text(text.clone()))
        }
        (OptionType::Choice(words), OptionValueKind::Text(text))
            if words.contains(&text.as_str()) =>
        {
            Some(OptionValue::Text(text.clone()))
        }
        (OptionType::Bool, OptionValueKind::Bool(b)) => Some(OptionValue::Bool(*b)),
        (OptionType::Int { min, max }, OptionValueKind::Number(written)) => written
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(OptionValue::Int),
        (OptionType::Duration, OptionValueKind::Duration(written)) => {
            fdi_runtime::ops::duration::parse_duration(written)
                .ok()
                .and_then(|d| u64::try_from(d.as_millis()).ok())
                .map(OptionValue::Duration)
        }
        (OptionType::Number, OptionValueKind::Number(written)) => written
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(OptionValue::Number),
        (OptionType::TextList, OptionValueKind::Text(text)) => {
            Some(OptionValue::TextList(vec![text.clone()]))
        }
        (OptionType::TextList, OptionValueKind::List(items)) => items
            .iter()
            .map(|item| match &item.kind {
                OptionValueKind::Text(text) => Some(text.clone()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()
            .filter(|texts| !texts.is_empty())
            .map(OptionValue::TextList),
        _ => None,
    };
    if typed.is_none() {
        if let (OptionType::TextList, OptionValueKind::List(items)) = (option.ty, &value.kind) {
            if items.is_empty() {
                problems.push(
                    Diagnostic::error(
                        Code::BadConnectorOption,
                        format!("option `{}` is an empty list", option.name),
                    )
                    .label(value.span, "names nothing")
                    .help(match option.default {
                        Some(_) => format!("name at least one, or leave `{}` out", option.name),
                        None => format!("name at least one: {}", option.doc),
                    }),
                );
                return None;
            }
        }
        let help = match (option.ty, &value.kind) {
            (OptionType::Choice(words), OptionValueKind::Text(text)) => {
                did_you_mean(text, words.iter().copied())
            }
            (OptionType::TopicLevel, OptionValueKind::Text(text)) => {
                let level = text.trim().replace(['/', '+', '#'], "-");
                Some(if is_topic_level(&level) {
                    format!("write it as one level: `{}: {level:?}`", option.name)
                } else {
                    format!("give a name: `{}: \"line3\"`", option.name)
                })
            }
            (
                OptionType::Int { .. }
                | OptionType::Bool
                | OptionType::Duration
                | OptionType::Number,
                OptionValueKind::Text(text),
            ) => Some(format!(
                "write it without quotes: `{}: {}`",
                option.name, text
            )),
            _ => None,
        };
        problems.push(
            Diagnostic::error(
                Code::BadConnectorOption,
                format!("option `{}` must be {}", option.name, option.ty.describe()),
            )
            .label(value.span, "not a value this option takes")
            .help(help.unwrap_or_else(|| format!("`{}`: {}", option.name, option.doc))),
        );
    }
    typed
}

/// Whether `text` can be one level of an MQTT topic, as Sparkplug ids must be.
fn is_topic_level(text: &str) -> bool {
    !text.is_empty() && !text.contains(['/', '+', '#', '\0'])
}

fn default_value(ty: OptionType, default: &str) -> OptionValue {
    match ty {
        OptionType::Int { .. } => OptionValue::Int(default.parse().unwrap_or(0)),
        OptionType::Bool => OptionValue::Bool(default == "true"),
        OptionType::Duration => OptionValue::Duration(
            fdi_runtime::ops::duration::parse_duration(default)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
        ),
        // `""`: no default, an empty list.
        OptionType::TextList if default.is_empty() => OptionValue::TextList(Vec::new()),
        OptionType::TextList => OptionValue::TextList(vec![default.to_string()]),
        // Not defaulted by the table (a source needs its filters); none is no filter.
        OptionType::TopicFilters => OptionValue::TopicFilters(Vec::new()),
        OptionType::Text | OptionType::TopicLevel | OptionType::Choice(_) => {
            OptionValue::Text(default.to_string())
        }
        // `""`: no default; [`Checked::number`] is `None` then.
        OptionType::Number => default
            .parse()
            .map_or(OptionValue::Text(String::new()), OptionValue::Number),
    }
}

fn missing_option(
    connector: &ast::Connector,
    spec: &ConnectorSpec,
    role: Role,
    option: &OptionSpec,
) -> Diagnostic {
    let example = match option.ty {
        OptionType::TextList if option.name == "writes" => {
            "[\"field = ns=2;s=Machine.Setpoint\"]".to_string()
        }
        OptionType::TextList => "[\"plant/+/+/state\"]".to_string(),
        OptionType::TopicFilters => "[\"plant/+line/+machine/state\"]".to_string(),
        OptionType::Int { min, .. } => min.to_string(),
        OptionType::Bool => "true".into(),
        OptionType::Duration => "1s".into(),
        OptionType::Choice(words) => format!("\"{}\"", words[0]),
        OptionType::Text if option.name == "connection" => "\"plant_broker\"".to_string(),
        OptionType::Text | OptionType::TopicLevel => format!("\"{}\"", option.name),
        OptionType::Number => "0.5".into(),
    };
    Diagnostic::error(
        Code::UnknownConnector,
        format!(
            "{} {} {}{} needs `{}:`",
            article(spec.kind),
            spec.kind,
            role.describe(),
            option
                .when
                .map(|(other, value)| format!(" with `{other}: \"{value}\"`"))
                .unwrap_or_default(),
            option.name
        ),
    )
    .label(connector.span, format!("no `{}:` given", option.name))
    .help(format!("add `{}: {example}`: {}", option.name, option.doc))
}

/// What in `text` is a credential: the user information of a URL (`scheme://user:secret@host`).
fn secret_in_text(text: &str) -> Option<&'static str> {
    let (_, rest) = text.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.contains(':').then_some("a password in a URL")
}

fn secret_literal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(Code::SecretInMapping, format!("{what} in the mapping"))
        .label(span, "a credential written into the mapping file")
        .help(
            "a mapping is versioned and shared; credentials are deployment settings: name a connection (`connection: \"plant_broker\"`) and give its password in the config file (`--config`) or the environment (`FDI_PLANT_BROKER_PASSWORD`)",
        )
}

fn secret_option(option: &ast::ConnectorOption) -> Diagnostic {
    Diagnostic::error(
        Code::SecretInMapping,
        format!("`{}` is a secret, and secrets are not written in a mapping", option.name.name),
    )
    .label(option.value.span, "a credential written into the mapping file")
    .help(
        "remove this option; name a connection (`connection: \"plant_broker\"`) and give its credentials in the config file (`--config`) or the environment (`FDI_PLANT_BROKER_PASSWORD`)",
    )
}

fn list_code(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    list_or(&quoted.iter().map(String::as_str).collect::<Vec<_>>())
}

fn list_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// "a" or "an" before a connector's kind, as it is spoken (an MQTT, an SQLite, a CSV).
fn article(kind: &str) -> &'static str {
    match kind {
        "mqtt" | "sqlite" | "http" | "opcua" | "mtconnect" | "mtconnect_adapter" => "an",
        _ => "a",
    }
}

/// The texts of a text or text-list option, each with its span: the text inside the quotes when
/// the literal is written without escapes (its length is then the text's plus the two quotes).
pub fn text_items(connector: &ast::Connector, name: &str) -> Vec<crate::ir::TextItem> {
    let Some(option) = connector.option(name) else {
        return Vec::new();
    };
    let values = match &option.value.kind {
        OptionValueKind::List(items) => items.iter().collect(),
        _ => vec![&option.value],
    };
    values
        .into_iter()
        .filter_map(|value| match &value.kind {
            OptionValueKind::Text(text) => {
                let exact = value.span.len() == text.len() + 2;
                let span = if exact {
                    Span::new(value.span.file, value.span.start + 1, value.span.end - 1)
                } else {
                    value.span
                };
                Some(crate::ir::TextItem {
                    text: text.clone(),
                    span,
                    exact,
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_found() {
        assert!(secret_in_text("postgres://fdi:hunter2@db/mes").is_some());
        assert!(secret_in_text("mqtt://user:pw@broker:1883/x").is_some());
        assert!(secret_in_text("postgres://fdi@db/mes").is_none());
        assert!(secret_in_text("plant/+/state").is_none());
        assert!(
            secret_in_text("http://host/a:b@c").is_none(),
            "a colon after the path is no credential"
        );
    }
}
