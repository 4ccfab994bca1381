//! Deployment settings: what differs between the lines one compiled program serves, and never
//! belongs in a mapping: the address, client id, user, password and TLS files of each connection
//! the mapping names (`mqtt(connection: "plant_broker", ...)`).
//!
//! They come from a TOML file (`--config line3.toml`, one table per connection) and from the
//! environment, which wins: `FDI_<CONNECTION>_<SETTING>` in capitals, e.g. `FDI_PLANT_BROKER_HOST`,
//! `FDI_MES_PASSWORD` (a systemd credential or a secret store sets these).
//!
//! ```toml
//! [connections.plant_broker]
//! host = "broker.line3.plant"
//! port = 8883
//! client_id = "fdi-line3"
//! username = "fdi"
//! ca_file = "/etc/fdi/plant-ca.pem"
//! ```
//!
//! A secret (a setting named like `password`, `token`, `secret` or `key`) is never shown: not in
//! a `Debug` print, an error, a log line, the summary, `--version` or the manifest.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::error::RunError;

/// The settings of every connection, by the connection's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    connections: BTreeMap<String, ConnectionSettings>,
}

/// The settings of one connection.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    name: String,
    values: BTreeMap<String, String>,
}

impl Settings {
    /// Reads the config file at `path` (when given), then applies the environment's `FDI_...`
    /// variables for each of `connections` (the names the mapping uses).
    pub fn load(
        path: Option<&Path>,
        connections: &[&str],
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, RunError> {
        let mut settings = match path {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        settings.apply_environment(connections, environment);
        Ok(settings)
    }

    fn from_file(path: &Path) -> Result<Settings, RunError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RunError::io("read the config file", path, e))?;
        let refuse =
            |detail: String| RunError::Usage(format!("config file {}: {detail}", path.display()));
        let document: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // toml's message quotes the offending line, which may hold a secret: say where only.
            let at = e.span().map(|s| line_of(&text, s.start)).unwrap_or(0);
            refuse(format!("not valid TOML (line {at}): {}", e.message()))
        })?;
        let mut settings = Settings::default();
        for (key, value) in document {
            let toml::Value::Table(connections) = value else {
                return Err(refuse(format!(
                    "`{key}` is not a table; write `[connections.NAME]` tables"
                )));
            };
            if key != "connections" {
                return Err(refuse(format!(
                    "unknown table `[{key}]`; the config file holds `[connections.NAME]` tables"
                )));
            }
            for (name, table) in connections {
                let toml::Value::Table(table) = table else {
                    return Err(refuse(format!("`connections.{name}` is not a table")));
                };
                let mut values = BTreeMap::new();
                for (setting, value) in table {
                    let text = match value {
                        toml::Value::String(s) => s,
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Boolean(b) => b.to_string(),
                        toml::Value::Float(f) => f.to_string(),
                        _ => {
                            return Err(refuse(format!(
                                "`connections.{name}.{setting}` must be text, a number or a boolean"
                            )))
                        }
                    };
                    values.insert(setting, text);
                }
                settings
                    .connections
                    .insert(name.clone(), ConnectionSettings { name, values });
            }
        }
        Ok(settings)
    }

    /// `FDI_<CONNECTION>_<SETTING>` overrides the file. A variable is matched to the longest
    /// connection name it starts with, so `FDI_PLANT_BROKER_HOST` is `host` of `plant_broker`
    /// even when a connection `plant` exists too.
    fn apply_environment(
        &mut self,
        connections: &[&str],
        environment: impl IntoIterator<Item = (String, String)>,
    ) {
        let mut prefixes: Vec<(String, &str)> = connections
            .iter()
            .map(|name| (format!("FDI_{}_", name.to_ascii_uppercase()), *name))
            .collect();
        prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        for (variable, value) in environment {
            let Some((prefix, name)) = prefixes
                .iter()
                .find(|(p, _)| variable.starts_with(p.as_str()))
            else {
                continue;
            };
            let setting = variable[prefix.len()..].to_ascii_lowercase();
            if setting.is_empty() {
                continue;
            }
            self.connections
                .entry(name.to_string())
                .or_insert_with(|| ConnectionSettings {
                    name: name.to_string(),
                    values: BTreeMap::new(),
                })
                .values
                .insert(setting, value);
        }
    }

    /// The settings of connection `name`; an error that says how to give them when there are none.
    pub fn connection(&self, name: &str) -> Result<&ConnectionSettings, RunError> {
        self.connections.get(name).ok_or_else(|| {
            RunError::Usage(format!(
                "the mapping names connection {name:?}, but no settings are given for it: add a \
                 `[connections.{name}]` table to the config file (`--config FILE`), or set \
                 each setting in the environment as FDI_{}_<SETTING> (the settings of each \
                 connector: docs/connectors/)",
                name.to_ascii_uppercase()
            ))
        })
    }
}

impl ConnectionSettings {
    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A setting as text, if given.
    pub fn text(&self, setting: &str) -> Option<&str> {
        self.values.get(setting).map(String::as_str)
    }

    /// The names of the settings given, in order (an HTTP connection's `header_...` settings).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A setting that must be given.
    pub fn required(&self, setting: &str) -> Result<&str, RunError> {
        self.text(setting).ok_or_else(|| {
            RunError::Usage(format!(
                "connection {:?} has no `{setting}`: give it in the config file \
                 (`[connections.{}]` {setting} = ...) or as FDI_{}_{}",
                self.name,
                self.name,
                self.name.to_ascii_uppercase(),
                setting.to_ascii_uppercase()
            ))
        })
    }

    /// A whole-number setting, if given; an error names the setting, never its value when secret.
    pub fn number<T: std::str::FromStr>(&self, setting: &str) -> Result<Option<T>, RunError> {
        match self.text(setting) {
            None => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|_| {
                RunError::Usage(format!(
                    "connection {:?}: `{setting}` is {}, not a number",
                    self.name,
                    shown(setting, text)
                ))
            }),
        }
    }

    /// A boolean setting (`true`/`false`), if given.
    pub fn flag(&self, setting: &str) -> Result<Option<bool>, RunError> {
        match self.text(setting) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(text) => Err(RunError::Usage(format!(
                "connection {:?}: `{setting}` is {}, not true or false",
                self.name,
                shown(setting, text)
            ))),
        }
    }

    /// Whether `setting` holds a secret, by its name.
    pub fn is_secret(setting: &str) -> bool {
        ["password", "passwd", "secret", "token", "key", "credential"]
            .iter()
            .any(|word| setting.contains(word))
    }
}

/// A setting's value for a message: itself, or `(hidden)` for a secret.
fn shown(setting: &str, value: &str) -> String {
    if ConnectionSettings::is_secret(setting) {
        "(hidden)".to_string()
    } else {
        format!("{value:?}")
    }
}

impl fmt::Debug for ConnectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (setting, value) in &self.values {
            map.entry(setting, &shown(setting, value));
        }
        map.finish()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_environment_wins_over_the_file_and_matches_the_longest_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("line3.toml");
        std::fs::write(
            &path,
            "[connections.plant_broker]\nhost = \"broker.line3\"\nport = 8883\ntls = true\n\n[connections.plant]\nhost = \"x\"\n",
        )
        .unwrap();
        let settings = Settings::load(
            Some(&path),
            &["plant", "plant_broker", "mes"],
            env(&[
                ("FDI_PLANT_BROKER_HOST", "127.0.0.1"),
                ("FDI_PLANT_BROKER_PASSWORD", "hunter2"),
                ("FDI_MES_USER", "fdi"),
                ("FDI_OTHER_HOST", "ignored"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        let broker = settings.connection("plant_broker").unwrap();
        assert_eq!(broker.text("host"), Some("127.0.0.1"));
        assert_eq!(broker.number::<u16>("port").unwrap(), Some(8883));
        assert_eq!(broker.flag("tls").unwrap(), Some(true));
        assert_eq!(broker.text("password"), Some("hunter2"));
        assert_eq!(
            settings.connection("plant").unwrap().text("host"),
            Some("x")
        );
        assert_eq!(
            settings.connection("mes").unwrap().text("user"),
            Some("fdi")
        );
        let missing = settings.connection("other").unwrap_err().to_string();
        assert!(missing.contains("[connections.other]"), "{missing}");
    }

    #[test]
    fn secrets_are_never_shown() {
        let settings = Settings::load(
            None,
            &["mes"],
            env(&[("FDI_MES_PASSWORD", "hunter2"), ("FDI_MES_TOKEN", "t0k3n")]),
        )
        .unwrap();
        let mes = settings.connection("mes").unwrap();
        let debug = format!("{settings:?} {mes:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("t0k3n"),
            "{debug}"
        );
        let error = mes.number::<u16>("password").unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn a_config_file_that_is_not_valid_toml_is_refused_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[connections.mes]\npassword = \"hunter2\nhost = 1\n").unwrap();
        let error = Settings::load(Some(&path), &["mes"], Vec::new())
            .unwrap_err()
            .to_string();
        assert!(error.contains("not valid TOML"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }
}
