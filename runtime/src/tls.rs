//! What a connector that verifies a server with rustls (PostgreSQL, MQTT, HTTP) tells the user when TLS refuses
//! the server's certificate: what is wrong with it, and which setting of the connection fixes it. rustls's
//! own words (`invalid peer certificate: UnknownIssuer`) name the check that failed, not the fix.

use std::path::Path;

/// What the connection trusts, for the words of a refusal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Trust<'a> {
    /// The CA certificates of the deployment's `ca_file`, at this path where the caller knows it.
    CaFile(Option<&'a Path>),
    /// The system's trust store (no `ca_file` is set). Only PostgreSQL connections trust it; MQTT's need a
    /// `ca_file` for TLS.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    SystemStore,
}

/// If `error`, or an error under it, is TLS refusing the server's certificate: what is wrong and what to
/// set, naming the host the certificate was checked for (`host` where rustls does not say) and what the
/// connection trusts; rustls's words follow in parentheses. `None` for every other error.
pub(crate) fn certificate_refusal(
    error: &(dyn std::error::Error + 'static),
    host: Option<&str>,
    trust: Trust<'_>,
) -> Option<String> {
    use rustls::CertificateError as Certificate;
    let refusal = rustls_error(error)?;
    let words = match refusal {
        rustls::Error::InvalidCertificate(
            Certificate::UnknownIssuer | Certificate::BadSignature,
        ) => {
            let trusted = match trust {
                Trust::CaFile(Some(path)) => format!("`ca_file` {}", path.display()),
                Trust::CaFile(None) => "its `ca_file`".to_string(),
                Trust::SystemStore => "the system's trust store; no `ca_file` is set".to_string(),
            };
            format!(
                "the server's certificate is not signed by a CA this connection trusts ({trusted}); set \
                 `ca_file` to the PEM file of the CA that issued the server's certificate"
            )
        }
        rustls::Error::InvalidCertificate(
            certificate @ (Certificate::NotValidForName | Certificate::NotValidForNameContext { .. }),
        ) => {
            let checked = match certificate {
                Certificate::NotValidForNameContext { expected, .. } => Some(expected.to_str().into_owned()),
                _ => host.map(str::to_string),
            };
            let (host, reissued_for) = match &checked {
                Some(host) => (format!("the host {host}"), host.as_str()),
                None => ("the host".to_string(), "that host"),
            };
            format!(
                "the server's certificate does not name {host} this connection uses; set `host` to a name \
                 the certificate names, or have the certificate reissued for {reissued_for}"
            )
        }
        rustls::Error::InvalidCertificate(
            Certificate::Expired
            | Certificate::ExpiredContext { .. }
            | Certificate::NotValidYet
            | Certificate::NotValidYetContext { .. },
        ) => "the server's certificate is outside its validity period; renew it on the server (or correct \
              this machine's clock)"
            .to_string(),
        rustls::Error::InvalidCertificate(
            Certificate::InvalidPurpose | Certificate::InvalidPurposeContext { .. },
        ) => "the server's certificate is not issued for TLS server authentication; have it reissued for \
              that purpose (extended key usage serverAuth)"
            .to_string(),
        rustls::Error::InvalidCertificate(_) => {
            "the server's certificate is refused; have it reissued or replaced on the server".to_string()
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".to_string(),
        _ => return None,
    };
    Some(format!("{words} (TLS: {refusal})"))
}

/// The rustls error in `error`'s chain of sources, also where an `io::Error` wraps it, directly or through
/// other `io::Error`s (whose `source` skips the error they wrap).
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(rustls) = error.downcast_ref::<rustls::Error>() {
            return Some(rustls);
        }
        // An io::Error may wrap another that wraps rustls's (hyper's connector does): look through each.
        let mut wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref());
        while let Some(inner) = wrapped {
            if let Some(rustls) = inner.downcast_ref::<rustls::Error>() {
                return Some(rustls);
            }
            wrapped = inner
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref());
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(certificate: rustls::CertificateError) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(certificate),
        )
    }

    #[test]
    fn an_unknown_issuer_says_what_is_trusted_and_to_set_the_ca_file() {
        let error = refused(rustls::CertificateError::UnknownIssuer);
        let text = certificate_refusal(&error, Some("db.plant"), Trust::SystemStore).unwrap();
        assert!(
            text.starts_with(
                "the server's certificate is not signed by a CA this connection trusts (the system's trust \
                 store; no `ca_file` is set); set `ca_file` to the PEM file"
            ) && text.ends_with("(TLS: invalid peer certificate: UnknownIssuer)"),
            "{text}"
        );
        let ca_file = Path::new("/etc/fdi/ca.pem");
        let text = certificate_refusal(&error, None, Trust::CaFile(Some(ca_file))).unwrap();
        assert!(
            text.contains("trusts (`ca_file` /etc/fdi/ca.pem)"),
            "{text}"
        );
        let text = certificate_refusal(&error, None, Trust::CaFile(None)).unwrap();
        assert!(text.contains("trusts (its `ca_file`)"), "{text}");
    }

    #[test]
    fn a_name_mismatch_names_the_host_that_was_checked() {
        let error = refused(rustls::CertificateError::NotValidForName);
        let text = certificate_refusal(&error, Some("db.plant"), Trust::SystemStore).unwrap();
        assert!(
            text.starts_with(
                "the server's certificate does not name the host db.plant this connection uses"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_refusal_wrapped_in_two_io_errors_is_found() {
        // hyper's connector (under reqwest) wraps rustls's io::Error in one of its own.
        let error = std::io::Error::other(refused(rustls::CertificateError::UnknownIssuer));
        let text = certificate_refusal(&error, None, Trust::CaFile(None)).unwrap();
        assert!(text.contains("set `ca_file`"), "{text}");
    }

    #[test]
    fn other_errors_are_left_to_their_own_words() {
        let error = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(certificate_refusal(&error, None, Trust::SystemStore), None);
        let alert = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
        );
        assert_eq!(certificate_refusal(&alert, None, Trust::SystemStore), None);
    }
}
