//! Connection settings and connecting: TLS verified by default, the password kept out of every print.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_postgres::config::SslMode;
use tokio_postgres::Client;

use super::error::PostgresError;
use crate::error::RunError;
use crate::settings::ConnectionSettings;
use crate::tls::{certificate_refusal, Trust};

/// Where and how to connect to a PostgreSQL server. The deployment's config file provides these values, not
/// the mapping. Its `Debug` print shows the password as `<redacted>`, and no error or log of the connector
/// includes it.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresConnection {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub tls: Tls,
    /// Shown in `pg_stat_activity`, so a DBA sees which program a connection belongs to.
    pub application_name: String,
    /// How long connecting may take before it fails (transient: retried).
    pub connect_timeout: Duration,
}

/// TLS: on and verified by default (libpq's `sslmode=verify-full`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub mode: TlsMode,
    /// PEM file of the certificate authorities to trust instead of the system's trust store (libpq's
    /// `sslrootcert`): a plant's own CA.
    pub ca_file: Option<PathBuf>,
}

/// Whether the connection is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS is required, the server's certificate must chain to a trusted CA and name the host (libpq's
    /// `sslmode=verify-full`). The default.
    #[default]
    VerifyFull,
    /// No TLS (libpq's `sslmode=disable`): only for a server on the same host (127.0.0.1) or a network the
    /// deployment trusts; it must be chosen explicitly.
    Disable,
}

impl PostgresConnection {
    /// A connection to `dbname` on `host:5432` as `user`, without password, TLS verified, application name
    /// `fdi`, connect timeout 10 s.
    pub fn new(host: &str, user: &str, dbname: &str) -> Self {
        PostgresConnection {
            host: host.to_string(),
            port: 5432,
            user: user.to_string(),
            password: None,
            dbname: dbname.to_string(),
            tls: Tls::default(),
            application_name: "fdi".to_string(),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The settings of a connection the mapping names, from the deployment's config file and environment
    /// (see `crate::settings`): `host`, `username` and `database` are required; `port` (5432), `password`,
    /// `tls` (`verify-full`, the default, or `disable`), `ca_file`, `application_name` (`fdi`) and
    /// `connect_timeout` (seconds, 10) are optional.
    pub fn from_settings(settings: &ConnectionSettings) -> Result<Self, RunError> {
        let mut connection = PostgresConnection::new(
            settings.required("host")?,
            settings.required("username")?,
            settings.required("database")?,
        );
        if let Some(port) = settings.number("port")? {
            connection.port = port;
        }
        connection.password = settings.text("password").map(str::to_string);
        connection.tls.mode = match settings.text("tls") {
            None | Some("verify-full") => TlsMode::VerifyFull,
            Some("disable") => TlsMode::Disable,
            Some(other) => {
                return Err(RunError::Usage(format!(
                    "connection {:?}: `tls` is {other:?}; it is \"verify-full\" (the default) or \"disable\"",
                    settings.name()
                )))
            }
        };
        connection.tls.ca_file = settings.text("ca_file").map(PathBuf::from);
        if let Some(name) = settings.text("application_name") {
            connection.application_name = name.to_string();
        }
        if let Some(seconds) = settings.number::<u64>("connect_timeout")? {
            connection.connect_timeout = Duration::from_secs(seconds);
        }
        Ok(connection)
    }

    /// `user@host:port/dbname`: what errors and logs name (never the password).
    pub fn server(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }

    /// Connects (on the current tokio runtime, whose task then drives the connection). `session` are
    /// settings of the session (`-c name=value` options). `role` and `name` say who connects, for errors.
    pub(crate) async fn connect(
        &self,
        role: &'static str,
        name: &str,
        session: &[(&str, &str)],
    ) -> Result<Client, PostgresError> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name(&self.application_name)
            .connect_timeout(self.connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if let Some(password) = &self.password {
            config.password(password);
        }
        let options: Vec<String> = session
            .iter()
            .map(|(setting, value)| format!("-c {setting}={value}"))
            .collect();
        if !options.is_empty() {
            config.options(options.join(" "));
        }
        let server = self.server();
        let failed =
            |e: &tokio_postgres::Error| PostgresError::client(role, name, &server, "connect", e);
        match self.tls.mode {
            TlsMode::Disable => {
                config.ssl_mode(SslMode::Disable);
                let (client, connection) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| failed(&e))?;
                tokio::spawn(drive_connection(connection, server.clone()));
                Ok(client)
            }
            TlsMode::VerifyFull => {
                config.ssl_mode(SslMode::Require);
                let tls = self.tls_config(role, name)?;
                let (client, connection) = config
                    .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                    .await
                    .map_err(|e| match self.tls_refusal(&e) {
                        Some(detail) => {
                            PostgresError::fatal(role, name, &server, "connect", detail)
                        }
                        None => failed(&e),
                    })?;
                tokio::spawn(drive_connection(connection, server.clone()));
                Ok(client)
            }
        }
    }

    /// Why TLS refused the server, in words that say what to set, when `error` is such a refusal: the server
    /// offers no TLS, or its certificate is not one this connection accepts.
    fn tls_refusal(&self, error: &tokio_postgres::Error) -> Option<String> {
        let trust = match &self.tls.ca_file {
            Some(path) => Trust::CaFile(Some(path)),
            None => Trust::SystemStore,
        };
        if let Some(refusal) = certificate_refusal(error, Some(&self.host), trust) {
            return Some(refusal);
        }
        // tokio-postgres's words when the server answers the TLS request with no; it has no error kind for it.
        let no_tls = std::error::Error::source(error)
            .is_some_and(|cause| cause.to_string() == "server does not support TLS");
        no_tls.then(|| {
            "the server does not offer TLS; turn TLS on at the server (`ssl = on` with its certificate and key), \
             or, for a server on this host or a network the deployment trusts, set `tls = \"disable\"`"
                .to_string()
        })
    }

    /// rustls with ring, trusting the CA file if there is one, else the system's trust store.
    fn tls_config(
        &self,
        role: &'static str,
        name: &str,
    ) -> Result<rustls::ClientConfig, PostgresError> {
        let fail =
            |detail: String| PostgresError::fatal(role, name, &self.server(), "set up TLS", detail);
        let mut roots = rustls::RootCertStore::empty();
        match &self.tls.ca_file {
            Some(path) => {
                let certificates = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| fail(format!("cannot read CA file {}: {e}", path.display())))?;
                let (added, _) = roots.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(fail(format!(
                        "CA file {} holds no usable certificate",
                        path.display()
                    )));
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    return Err(fail(
                        "the system's trust store has no certificate, so no server is trusted; set `ca_file` \
                         to the PEM file of the CA that issued the server's certificate (or `tls = \"disable\"` \
                         for a server on this host)"
                            .to_string(),
                    ));
                }
            }
        }
        // ring rather than aws-lc-rs: it builds with a C compiler alone. rustls deprecates its provider for
        // lacking post-quantum key exchange, which PostgreSQL's TLS (OpenSSL 3 without PQC) does not offer.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}

/// Drives one connection until it closes; a connection that ends with an error is logged (the next call on
/// its client fails and the connector reconnects).
async fn drive_connection<C: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(
    connection: C,
    server: String,
) {
    if let Err(error) = connection.await {
        tracing::warn!(target: "fdi::postgres", %server, error = %super::error::describe(&error), "connection lost");
    }
}

impl fmt::Debug for PostgresConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConnection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| Redacted))
            .field("dbname", &self.dbname)
            .field("tls", &self.tls)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_print_hides_the_password() {
        let mut connection = PostgresConnection::new("db.plant", "mes", "mes");
        connection.password = Some("s3cret-pass".into());
        let printed = format!("{connection:?} {connection:#?}");
        assert!(!printed.contains("s3cret-pass"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(!connection.server().contains("s3cret-pass"));
    }

    #[test]
    fn settings_of_the_deployment_make_a_connection() {
        let file = "[connections.mes]\nhost = \"db.plant\"\nport = 5433\nusername = \"fdi\"\n\
                    database = \"mes\"\nca_file = \"/etc/fdi/ca.pem\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("line.toml");
        std::fs::write(&path, file).unwrap();
        let environment = [("FDI_MES_PASSWORD".to_string(), "s3cret".to_string())];
        let settings = crate::settings::Settings::load(Some(&path), &["mes"], environment).unwrap();
        let connection =
            PostgresConnection::from_settings(settings.connection("mes").unwrap()).unwrap();
        assert_eq!(connection.server(), "fdi@db.plant:5433/mes");
        assert_eq!(connection.password.as_deref(), Some("s3cret"));
        assert_eq!(connection.tls.mode, TlsMode::VerifyFull);
        assert_eq!(
            connection.tls.ca_file,
            Some(PathBuf::from("/etc/fdi/ca.pem"))
        );

        std::fs::write(&path, file.replace("ca_file", "tls = \"off\"\nx")).unwrap();
        let settings = crate::settings::Settings::load(Some(&path), &["mes"], []).unwrap();
        let error =
            PostgresConnection::from_settings(settings.connection("mes").unwrap()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("\"verify-full\" (the default) or \"disable\""),
            "{error}"
        );
    }

    #[test]
    fn tls_is_verified_unless_disabled_explicitly() {
        let connection = PostgresConnection::new("db.plant", "mes", "mes");
        assert_eq!(connection.tls.mode, TlsMode::VerifyFull);
    }
}
