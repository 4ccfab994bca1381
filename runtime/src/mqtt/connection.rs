//! How to reach a broker: the settings of one named connection (from the deployment's config file, not
//! the mapping), the QoS levels fdi uses, and the backoff between reconnection attempts.

use std::fmt;
use std::time::Duration;

use crate::error::RunError;

use rumqttc::{ConnectionError, MqttOptions};

use super::tls::{MqttClientCert, MqttTls};

/// A password or token: its `Debug` and `Display` print `***`, so it never reaches a log, an error, a
/// dead letter or a summary by accident. Only the client connecting to the broker reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The settings of one broker connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttConnection {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's port (1883 for MQTT over TCP).
    pub port: u16,
    /// The client id. A source's must be fixed and its own: the broker keeps the session (subscriptions
    /// and unacknowledged messages) under it while the program is down.
    pub client_id: String,
    /// The user name, if the broker asks for one.
    pub username: Option<String>,
    /// The password, with `username`.
    pub password: Option<Secret>,
    /// TLS to the broker; `None`: plain TCP.
    pub tls: Option<MqttTls>,
    /// How often the client shows the broker it is alive; the broker considers it gone (and publishes
    /// its last will) after one and a half times this without a packet.
    pub keep_alive: Duration,
    /// The last will the program's targets on this connection register (settings `will_topic`,
    /// `will_payload`, `will_qos`, `will_retain`): a line's own topic, so deployment settings, not the
    /// mapping, which every line shares.
    pub last_will: Option<super::MqttLastWill>,
}

impl MqttConnection {
    /// A connection to `host:port` as `client_id` over plain TCP, without credentials, with a keep-alive of
    /// 30 s.
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        MqttConnection {
            host: host.into(),
            port,
            client_id: client_id.into(),
            username: None,
            password: None,
            tls: None,
            keep_alive: Duration::from_secs(30),
            last_will: None,
        }
    }

    /// The connection the deployment settings describe (`[connections.NAME]` of `--config`, or
    /// `FDI_NAME_*`): `host` and `client_id` (required), `port` (1883, or 8883 with TLS), `username`
    /// and `password`, `ca_file` for TLS with `cert_file` and `key_file` for a client certificate,
    /// `keep_alive_seconds` (30).
    pub fn from_settings(settings: &crate::settings::ConnectionSettings) -> Result<Self, RunError> {
        let tls = match settings.text("ca_file") {
            Some(ca_file) => Some(MqttTls {
                ca_file: ca_file.into(),
                client_auth: match (settings.text("cert_file"), settings.text("key_file")) {
                    (Some(cert_file), Some(key_file)) => Some(MqttClientCert {
                        cert_file: cert_file.into(),
                        key_file: key_file.into(),
                    }),
                    (None, None) => None,
                    _ => {
                        return Err(RunError::Usage(format!(
                            "connection {:?}: give both `cert_file` and `key_file`, or neither",
                            settings.name()
                        )))
                    }
                },
            }),
            None => None,
        };
        let default_port = if tls.is_some() { 8883 } else { 1883 };
        let mut connection = MqttConnection::new(
            settings.required("host")?,
            settings.number("port")?.unwrap_or(default_port),
            settings.required("client_id")?,
        );
        connection.tls = tls;
        connection.keep_alive =
            Duration::from_secs(settings.number("keep_alive_seconds")?.unwrap_or(30));
        if let Some(username) = settings.text("username") {
            let password = Secret::new(settings.text("password").unwrap_or_default());
            connection = connection.with_credentials(username, password);
        }
        connection.last_will = last_will(settings)?;
        Ok(connection)
    }

    /// The same connection with a user name and password.
    pub fn with_credentials(mut self, username: impl Into<String>, password: Secret) -> Self {
        self.username = Some(username.into());
        self.password = Some(password);
        self
    }

    /// rumqttc's options for this connection; `what` ("source plant_broker") names it in errors.
    pub(crate) fn options(&self, what: &str) -> Result<MqttOptions, String> {
        if self.client_id.is_empty() {
            return Err(format!("{what}: the MQTT client id is empty"));
        }
        if self.host.is_empty() {
            return Err(format!("{what}: the MQTT host is empty"));
        }
        if self.keep_alive < Duration::from_secs(1) {
            return Err(format!(
                "{what}: the MQTT keep-alive must be at least 1 s (it is {:?})",
                self.keep_alive
            ));
        }
        let mut options = MqttOptions::new(&self.client_id, &self.host, self.port);
        options.set_keep_alive(self.keep_alive);
        // Messages of a plant are small, but a Sparkplug birth certificate can be large.
        options.set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
        match (&self.username, &self.password) {
            (Some(user), password) => {
                options.set_credentials(user, password.as_ref().map_or("", Secret::expose));
            }
            (None, Some(_)) => return Err(format!("{what}: an MQTT password needs a user name")),
            (None, None) => {}
        }
        if let Some(tls) = &self.tls {
            options.set_transport(tls.transport(what)?);
        }
        Ok(options)
    }
}

/// The largest packet sent or taken: 16 MiB.
const MAX_PACKET_BYTES: usize = 16 << 20;

/// The quality of service of a subscription or a publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MqttQos {
    /// At most once: nothing is acknowledged, a message may be lost (on a lost connection, or when the
    /// program stops before its checkpoint).
    AtMostOnce,
    /// At least once: acknowledged only when durable, redelivered until then; may come twice.
    AtLeastOnce,
}

impl MqttQos {
    /// The QoS of MQTT's number (0 or 1); QoS 2 is not offered.
    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            0 => Some(MqttQos::AtMostOnce),
            1 => Some(MqttQos::AtLeastOnce),
            _ => None,
        }
    }

    pub(crate) fn rumqttc(self) -> rumqttc::QoS {
        match self {
            MqttQos::AtMostOnce => rumqttc::QoS::AtMostOnce,
            MqttQos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        }
    }
}

/// Waits between attempts to reach the broker: 100 ms, doubling up to 30 s; back to the start once a
/// connection is accepted.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MOST: Duration = Duration::from_secs(30);

    pub(crate) fn new() -> Self {
        Backoff { next: Self::FIRST }
    }

    /// The wait before the next attempt.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(Self::MOST);
        wait
    }

    pub(crate) fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// Whether a connection error is for good: the broker refused the client (bad credentials, a client
/// id it does not accept) or TLS refused the broker's certificate, which no retry changes. Anything else
/// (refused or lost connections, time-outs, a broker restarting) is retried.
pub(crate) fn is_fatal(error: &ConnectionError) -> bool {
    use rumqttc::ConnectReturnCode as Code;
    super::tls::is_certificate_error(error)
        || matches!(
            error,
            ConnectionError::ConnectionRefused(
                Code::BadUserNamePassword
                    | Code::NotAuthorized
                    | Code::BadClientId
                    | Code::RefusedProtocolVersion
            )
        )
}

/// The last will of a connection's settings: `will_topic` (one topic, without wildcards), then
/// `will_payload` (default `offline`), `will_qos` (default 1) and `will_retain` (default false).
fn last_will(
    settings: &crate::settings::ConnectionSettings,
) -> Result<Option<super::MqttLastWill>, RunError> {
    let name = settings.name();
    let Some(topic) = settings.text("will_topic") else {
        if let Some(other) = ["will_payload", "will_qos", "will_retain"]
            .into_iter()
            .find(|s| settings.text(s).is_some())
        {
            return Err(RunError::Usage(format!(
                "connection {name:?}: `{other}` without `will_topic`; give the topic the will is published to"
            )));
        }
        return Ok(None);
    };
    if topic.is_empty() || topic.contains(['+', '#', '\0']) {
        return Err(RunError::Usage(format!(
            "connection {name:?}: `will_topic` {topic:?} must be one topic, without `+` or `#`"
        )));
    }
    let qos = match settings.number::<u8>("will_qos")?.unwrap_or(1) {
        0 => super::MqttQos::AtMostOnce,
        1 => super::MqttQos::AtLeastOnce,
        other => {
            return Err(RunError::Usage(format!(
                "connection {name:?}: `will_qos` is {other}; it is 0 or 1"
            )))
        }
    };
    Ok(Some(super::MqttLastWill {
        topic: topic.to_string(),
        payload: settings
            .text("will_payload")
            .unwrap_or("offline")
            .as_bytes()
            .to_vec(),
        qos,
        retain: settings.flag("will_retain")?.unwrap_or(false),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_debug() {
        let connection = MqttConnection::new("127.0.0.1", 1883, "line3")
            .with_credentials("fdi", Secret::new("hunter2"));
        let printed = format!("{connection:?} {}", connection.password.as_ref().unwrap());
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut backoff = Backoff::new();
        let waits: Vec<u64> = (0..12)
            .map(|_| backoff.next_wait().as_millis() as u64)
            .collect();
        assert_eq!(&waits[..4], [100, 200, 400, 800]);
        assert_eq!(*waits.last().unwrap(), 30_000);
        backoff.reset();
        assert_eq!(backoff.next_wait(), Duration::from_millis(100));
    }

    #[test]
    fn settings_that_cannot_connect_are_refused() {
        let mut connection = MqttConnection::new("127.0.0.1", 1883, "");
        assert!(connection
            .options("source s")
            .unwrap_err()
            .contains("client id is empty"));
        connection.client_id = "c".into();
        connection.password = Some(Secret::new("x"));
        let error = connection.options("source s").unwrap_err();
        assert!(
            error.contains("needs a user name") && !error.contains('x'),
            "{error}"
        );
    }

    /// The connection `line_broker` of a config file holding `settings`.
    fn from_config(settings: &str) -> Result<MqttConnection, RunError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("line.toml");
        let file = format!(
            "[connections.line_broker]\nhost = \"127.0.0.1\"\nclient_id = \"line3\"\n{settings}"
        );
        std::fs::write(&path, file).unwrap();
        let settings = crate::settings::Settings::load(Some(&path), &["line_broker"], [])?;
        MqttConnection::from_settings(settings.connection("line_broker")?)
    }

    #[test]
    fn a_last_will_comes_from_the_deployment_settings() {
        assert_eq!(from_config("").unwrap().last_will, None);
        let will = from_config("will_topic = \"plant/line3/fdi/status\"\n")
            .unwrap()
            .last_will
            .unwrap();
        assert_eq!(
            will,
            crate::mqtt::MqttLastWill {
                topic: "plant/line3/fdi/status".into(),
                payload: b"offline".to_vec(),
                qos: MqttQos::AtLeastOnce,
                retain: false,
            }
        );
        let will = from_config(
            "will_topic = \"s\"\nwill_payload = \"{\\\"online\\\": false}\"\nwill_qos = 0\nwill_retain = true\n",
        )
        .unwrap()
        .last_will
        .unwrap();
        assert_eq!(
            (will.payload.as_slice(), will.qos, will.retain),
            (&b"{\"online\": false}"[..], MqttQos::AtMostOnce, true)
        );
        for (settings, says) in [
            ("will_payload = \"gone\"\n", "without `will_topic`"),
            ("will_topic = \"plant/+/status\"\n", "without `+` or `#`"),
            ("will_topic = \"s\"\nwill_qos = 2\n", "it is 0 or 1"),
        ] {
            let error = from_config(settings).unwrap_err().to_string();
            assert!(error.contains(says), "{settings}: {error}");
        }
    }
}
