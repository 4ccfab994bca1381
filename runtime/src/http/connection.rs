//! Where and how to reach an HTTP endpoint: the deployment's settings of a connection (base URL, headers,
//! credentials, timeouts, TLS), and the reqwest client made from them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::error::HttpError;
use crate::error::RunError;
use crate::settings::ConnectionSettings;

/// How requests authenticate. The secrets come from the deployment settings (or the environment), never
/// the mapping; `Debug` prints them as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic ...` of a user and password.
    Basic {
        username: String,
        password: String,
    },
}

/// The settings of one HTTP connection. A source's or target's `path` is appended to `base_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpConnection {
    /// The connection's name in the deployment settings, for messages.
    pub name: String,
    /// `https://mes.plant/api/v2` (a trailing `/` is ignored).
    pub base_url: String,
    /// Sent with every request (`header_x_api_key = "..."` is the header `x-api-key`).
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    /// How long one request may take, answer included; a request that takes longer is a transient failure.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// PEM file of the CAs trusted for an `https` base URL instead of the system's trust store.
    pub ca_file: Option<PathBuf>,
}

impl HttpConnection {
    /// A connection to `base_url` without headers or credentials, timeout 30 s, connect timeout 10 s.
    pub fn new(name: &str, base_url: &str) -> Self {
        HttpConnection {
            name: name.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            headers: Vec::new(),
            auth: Auth::None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ca_file: None,
        }
    }

    /// The settings of a connection the mapping names (see `crate::settings`): `base_url` is required;
    /// `token` (bearer) or `username` with `password` (basic), `header_<name>` (underscores become `-`),
    /// `timeout` and `connect_timeout` (seconds) and `ca_file` are optional.
    pub fn from_settings(settings: &ConnectionSettings) -> Result<Self, RunError> {
        let name = settings.name();
        let base_url = settings.required("base_url")?;
        let usage = |detail: String| RunError::Usage(format!("connection {name:?}: {detail}"));
        let parsed = reqwest::Url::parse(base_url)
            .map_err(|e| usage(format!("`base_url` {base_url:?} is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(usage(format!(
                "`base_url` {base_url:?} is not an http:// or https:// URL with a host"
            )));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(usage(format!(
                "`base_url` {base_url:?} has a query or fragment; the mapping's `path` follows the base URL"
            )));
        }
        let mut connection = HttpConnection::new(name, base_url);
        connection.auth = match (
            settings.text("token"),
            settings.text("username"),
            settings.text("password"),
        ) {
            (None, None, None) => Auth::None,
            (Some(token), None, None) => Auth::Bearer(token.to_string()),
            (None, Some(username), password) => Auth::Basic {
                username: username.to_string(),
                password: password.unwrap_or_default().to_string(),
            },
            (None, None, Some(_)) => {
                return Err(usage(
                    "a `password` without a `username`; give both for basic authentication".into(),
                ))
            }
            (Some(_), _, _) => {
                return Err(usage(
                    "both a `token` and a `username`/`password`; give one kind of authentication"
                        .into(),
                ))
            }
        };
        for setting in settings.names() {
            let Some(header) = setting.strip_prefix("header_") else {
                continue;
            };
            let header = header.replace('_', "-");
            let value = settings.text(setting).unwrap_or_default();
            if HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(usage(format!(
                    "`{setting}` does not name a valid HTTP header"
                )));
            }
            if HeaderValue::from_str(value).is_err() {
                return Err(usage(format!(
                    "`{setting}` holds characters an HTTP header cannot carry"
                )));
            }
            connection.headers.push((header, value.to_string()));
        }
        if let Some(seconds) = settings.number::<u64>("timeout")? {
            connection.timeout = Duration::from_secs(seconds.max(1));
        }
        if let Some(seconds) = settings.number::<u64>("connect_timeout")? {
            connection.connect_timeout = Duration::from_secs(seconds.max(1));
        }
        connection.ca_file = settings.text("ca_file").map(PathBuf::from);
        Ok(connection)
    }

    /// The URL of `path` (which starts with `/` or is empty) under the base URL.
    pub fn url(&self, path: &str) -> String {
        if path.is_empty() || path.starts_with('/') || path.starts_with('?') {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}/{path}", self.base_url)
        }
    }

    /// The client every request of one source or target goes through: the connection's headers and
    /// credentials on each request, its timeouts, no redirects followed (a POST redirected is not the POST
    /// the mapping meant), and for `https` rustls on ring trusting `ca_file` or the system's store.
    pub(crate) fn client(
        &self,
        role: &'static str,
        name: &str,
    ) -> Result<reqwest::Client, HttpError> {
        let fail = |detail: String| {
            HttpError::fatal(role, name, &self.base_url, "set up its client", detail)
        };
        let mut headers = HeaderMap::new();
        for (header, value) in &self.headers {
            let mut value = HeaderValue::from_str(value).map_err(|e| fail(e.to_string()))?;
            value.set_sensitive(true);
            headers.insert(
                HeaderName::from_bytes(header.as_bytes()).map_err(|e| fail(e.to_string()))?,
                value,
            );
        }
        let authorization = match &self.auth {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic { username, password } => {
                use base64::Engine as _;
                let pair = format!("{username}:{password}");
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
        };
        if let Some(authorization) = authorization {
            let mut value = HeaderValue::from_str(&authorization).map_err(|_| {
                fail("the credentials hold characters a header cannot carry".into())
            })?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .user_agent(concat!("fdi/", env!("CARGO_PKG_VERSION")));
        // reqwest wants a rustls config for plain http too (it has no provider of its own here): one that
        // trusts nothing, never used, rather than reading a trust store an http:// endpoint does not need.
        let https = self.base_url.starts_with("https:");
        builder = builder.tls_backend_preconfigured(self.tls_config(https).map_err(fail)?);
        builder.build().map_err(|e| fail(e.to_string()))
    }

    /// rustls with ring (as the PostgreSQL and MQTT connectors), trusting the CA file if there is one,
    /// else the system's trust store (nothing for an `http` base URL); HTTP/1.1 only.
    fn tls_config(&self, https: bool) -> Result<rustls::ClientConfig, String> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca_file {
            _ if !https => {}
            Some(path) => {
                let certificates = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
                let (added, _) = roots.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(format!(
                        "CA file {} holds no usable certificate",
                        path.display()
                    ));
                }
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                if roots.is_empty() {
                    return Err("the system's trust store has no certificate, so no server is trusted; \
                                set `ca_file` to the PEM file of the CA that issued the server's certificate"
                        .to_string());
                }
            }
        }
        // ring, as the other connectors: it builds with a C compiler alone.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    /// What trust a refusal of the server's certificate names.
    pub(crate) fn trust(&self) -> crate::tls::Trust<'_> {
        match &self.ca_file {
            Some(path) => crate::tls::Trust::CaFile(Some(path)),
            None => crate::tls::Trust::SystemStore,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &format_args!("<redacted>"))
                .finish(),
        }
    }
}

impl fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(h, v)| {
                let shown = if ConnectionSettings::is_secret(&h.replace('-', "_")) {
                    "<redacted>".to_string()
                } else {
                    v.clone()
                };
                (h.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpConnection")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("headers", &headers)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str, environment: &[(&str, &str)]) -> Result<HttpConnection, RunError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("line.toml");
        std::fs::write(&path, toml).unwrap();
        let environment = environment
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let settings = crate::settings::Settings::load(Some(&path), &["mes"], environment)?;
        HttpConnection::from_settings(settings.connection("mes")?)
    }

    #[test]
    fn settings_make_a_connection_whose_secrets_are_never_printed() {
        let connection = settings(
            "[connections.mes]\nbase_url = \"https://mes.plant/api/\"\nheader_x_plant = \"line3\"\ntimeout = 5\n",
            &[("FDI_MES_TOKEN", "t0k3n"), ("FDI_MES_HEADER_X_API_KEY", "k3y")],
        )
        .unwrap();
        assert_eq!(connection.url("/orders"), "https://mes.plant/api/orders");
        assert_eq!(connection.auth, Auth::Bearer("t0k3n".into()));
        assert!(connection
            .headers
            .contains(&("x-plant".into(), "line3".into())));
        assert!(connection
            .headers
            .contains(&("x-api-key".into(), "k3y".into())));
        assert_eq!(connection.timeout, Duration::from_secs(5));
        let printed = format!("{connection:?}");
        assert!(
            !printed.contains("t0k3n") && !printed.contains("k3y"),
            "{printed}"
        );
    }

    #[test]
    fn a_base_url_that_is_not_http_or_mixed_credentials_are_refused() {
        let error = settings("[connections.mes]\nbase_url = \"ftp://mes\"\n", &[]).unwrap_err();
        assert!(
            error.to_string().contains("not an http:// or https:// URL"),
            "{error}"
        );
        let error = settings(
            "[connections.mes]\nbase_url = \"http://mes\"\ntoken = \"t\"\nusername = \"u\"\n",
            &[],
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("one kind of authentication"),
            "{error}"
        );
    }
}
