//! TLS to a broker (rustls on ring): the broker's certificate is verified against the CA the deployment
//! names, for the host name (or address) the connection uses; a client certificate and key are sent when
//! the deployment gives them. Verification cannot be turned off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rumqttc::{ConnectionError, TlsConfiguration, Transport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::tls::{certificate_refusal, Trust};

/// TLS settings of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttTls {
    /// PEM file of the CA certificate(s) the broker's certificate must be signed by.
    pub ca_file: PathBuf,
    /// The client's own certificate and key, for a broker that asks for one.
    pub client_auth: Option<MqttClientCert>,
}

/// PEM files of a client certificate (with its chain) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttClientCert {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl MqttTls {
    /// rumqttc's transport for these settings. The files are read here, so a missing or unreadable one
    /// is refused when the connection is opened; errors name the file, never its content.
    pub(crate) fn transport(&self, what: &str) -> Result<Transport, String> {
        // ring rather than rustls's default aws-lc-rs, which needs cmake and a long C build for every
        // generated program; rustls 0.23.48 deprecates ring's provider because it lacks post-quantum key
        // exchange, which the brokers of a plant network do not offer yet.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for certificate in read_certificates(&self.ca_file, what, "CA")? {
            roots.add(certificate).map_err(|e| {
                format!(
                    "{what}: the CA file {} holds a certificate that cannot be a root: {e}",
                    self.ca_file.display()
                )
            })?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("{what}: TLS cannot start: {e}"))?
            .with_root_certificates(roots);
        let config = match &self.client_auth {
            None => builder.with_no_client_auth(),
            Some(client) => {
                let chain = read_certificates(&client.cert_file, what, "client certificate")?;
                let key = PrivateKeyDer::from_pem_file(&client.key_file).map_err(|e| {
                    format!(
                        "{what}: cannot read a private key from {}: {e}",
                        client.key_file.display()
                    )
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!(
                        "{what}: the client certificate {} and key {} do not go together: {e}",
                        client.cert_file.display(),
                        client.key_file.display()
                    )
                })?
            }
        };
        Ok(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(config),
        )))
    }
}

/// The certificates of a PEM file; at least one.
fn read_certificates(
    path: &Path,
    what: &str,
    kind: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let unreadable = |e: &dyn std::fmt::Display| {
        format!(
            "{what}: cannot read the {kind} file {}: {e}",
            path.display()
        )
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| unreadable(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(&e))?;
    if certificates.is_empty() {
        return Err(format!(
            "{what}: the {kind} file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certificates)
}

/// A connection error that stops a source or target, as the user reads it: a refused certificate says what
/// is wrong and what to set (`crate::tls`), anything else is in rumqttc's words.
pub(crate) fn describe_connection_error(error: &ConnectionError) -> String {
    certificate_refusal(error, None, Trust::CaFile(None)).unwrap_or_else(|| error.to_string())
}

/// Whether a connection error says the broker's certificate (or the host name it is checked for) is not
/// what TLS accepts: retrying cannot help, the deployment's settings must change.
pub(crate) fn is_certificate_error(error: &ConnectionError) -> bool {
    use rumqttc::TlsError;
    let ConnectionError::Tls(error) = error else {
        return false;
    };
    let rustls_error = match error {
        TlsError::TLS(error) => Some(error),
        TlsError::Io(error) => error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        TlsError::DNSName(_) => return true,
        _ => None,
    };
    matches!(
        rustls_error,
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_missing_or_hold_no_certificate_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let missing = MqttTls {
            ca_file: dir.path().join("nowhere.pem"),
            client_auth: None,
        };
        let error = missing.transport("source s").err().unwrap();
        assert!(
            error.starts_with("source s: cannot read the CA file"),
            "{error}"
        );
        assert!(error.contains("nowhere.pem"), "{error}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = MqttTls {
            ca_file: empty,
            client_auth: None,
        }
        .transport("source s")
        .err()
        .unwrap();
        assert!(error.contains("holds no PEM certificate"), "{error}");
    }
}
