//! An OPC UA connection as the deployment settings describe it, and the session it opens: async-opcua's
//! session and its event loop (secure channel, session keep-alive, reconnect with capped exponential
//! backoff, reactivation of the session or a new one), watched by a task of ours that tells the
//! subscriptions and targets when the session came back and whether it is the same session.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use opcua::client::{
    Client, ClientBuilder, IdentityToken, Password, Session, SessionConnectMode, SessionPollResult,
};
use opcua::crypto::{CertificateStore, SecurityPolicy};
use opcua::types::{MessageSecurityMode, StatusCode};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::watch;

use super::error::{is_transient_status, OpcuaError};
use crate::error::RunError;
use crate::ops::duration::parse_duration;
use crate::settings::ConnectionSettings;

/// The longest array the client decodes (async-opcua's default is 1000): a Publish response of a
/// server that sends everything its queues held in one message has one element per data change.
pub(crate) const MAX_ARRAY_LENGTH: usize = 100_000;

/// The settings of one OPC UA connection (`[connections.NAME]`).
#[derive(Clone)]
pub struct OpcuaConnection {
    /// `opc.tcp://host:port/path`.
    pub endpoint_url: String,
    pub security_mode: MessageSecurityMode,
    pub security_policy: SecurityPolicy,
    /// Where the program keeps its own certificate (created self-signed when none is given) and the
    /// trusted server certificates (`trusted/`); rejected server certificates land in `rejected/`.
    pub pki_dir: PathBuf,
    pub certificate_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    /// Server certificates to trust (`.der` or `.pem` files), copied into `pki_dir/trusted/` when the
    /// connection opens.
    pub trusted_server_certificates: Vec<PathBuf>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// How long the server keeps the session while the client is away: a reconnect within it
    /// reactivates the same session, with its subscriptions.
    pub session_timeout: Duration,
    /// How often the session reads the server's state; three failures in a row drop the connection.
    pub keep_alive_interval: Duration,
    /// How long one request may take.
    pub request_timeout: Duration,
}

impl std::fmt::Debug for OpcuaConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpcuaConnection")
            .field("endpoint_url", &self.endpoint_url)
            .field("security_mode", &self.security_mode)
            .field("security_policy", &self.security_policy)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(hidden)"))
            .finish_non_exhaustive()
    }
}

impl OpcuaConnection {
    /// A connection to `endpoint_url` without security (mode and policy `None`) and anonymous: for
    /// tests and for programs whose deployment says so explicitly. Its `pki_dir` is a folder of the
    /// system's temporary folder: the self-signed certificate made there secures nothing.
    pub fn insecure(endpoint_url: &str) -> Self {
        OpcuaConnection {
            endpoint_url: endpoint_url.to_string(),
            security_mode: MessageSecurityMode::None,
            security_policy: SecurityPolicy::None,
            pki_dir: std::env::temp_dir().join("fdi-opcua-pki"),
            certificate_file: None,
            private_key_file: None,
            trusted_server_certificates: Vec::new(),
            username: None,
            password: None,
            session_timeout: Duration::from_secs(60),
            keep_alive_interval: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Reads the deployment settings of an OPC UA connection: `endpoint_url` (required),
    /// `security_mode` (`SignAndEncrypt`, the default, `Sign` or `None`), `security_policy`
    /// (`Basic256Sha256`, the default, `Aes128_Sha256_RsaOaep`, `Aes256_Sha256_RsaPss` or `None`),
    /// `pki_dir` (`pki`), `certificate_file` and `private_key_file`, `trusted_server_certificates` (a
    /// folder) or `trust_server_certificate` (a file), `username` and `password`, `session_timeout`
    /// (`60s`), `keep_alive_interval` (`5s`), `request_timeout` (`10s`). Relative paths are relative
    /// to `base_dir`. Mode and policy must both be `None` or neither.
    pub fn from_settings(settings: &ConnectionSettings, base_dir: &Path) -> Result<Self, RunError> {
        let name = settings.name();
        let usage = |text: String| RunError::Usage(format!("connection {name:?}: {text}"));
        let mut connection = OpcuaConnection::insecure(settings.required("endpoint_url")?);
        if !connection.endpoint_url.starts_with("opc.tcp://") {
            return Err(usage(format!(
                "`endpoint_url` is {:?}; an OPC UA endpoint is opc.tcp://host:port/path",
                connection.endpoint_url
            )));
        }
        connection.security_mode = match settings.text("security_mode").unwrap_or("SignAndEncrypt")
        {
            "SignAndEncrypt" => MessageSecurityMode::SignAndEncrypt,
            "Sign" => MessageSecurityMode::Sign,
            "None" => MessageSecurityMode::None,
            other => {
                return Err(usage(format!(
                    "`security_mode` is {other:?}; expected SignAndEncrypt, Sign or None"
                )))
            }
        };
        let policy = settings.text("security_policy").unwrap_or(
            if connection.security_mode == MessageSecurityMode::None {
                "None"
            } else {
                "Basic256Sha256"
            },
        );
        // The names of the policies' URIs (`...SecurityPolicy#Aes128_Sha256_RsaOaep`), as OPC UA
        // tools show them; async-opcua's own short names use hyphens instead.
        connection.security_policy = match policy {
            "None" => SecurityPolicy::None,
            "Basic256Sha256" => SecurityPolicy::Basic256Sha256,
            "Aes128_Sha256_RsaOaep" => SecurityPolicy::Aes128Sha256RsaOaep,
            "Aes256_Sha256_RsaPss" => SecurityPolicy::Aes256Sha256RsaPss,
            _ => {
                return Err(usage(format!(
                "`security_policy` is {policy:?}; expected Basic256Sha256, Aes128_Sha256_RsaOaep, \
                     Aes256_Sha256_RsaPss or None"
            )))
            }
        };
        let insecure_mode = connection.security_mode == MessageSecurityMode::None;
        let insecure_policy = connection.security_policy == SecurityPolicy::None;
        if insecure_mode != insecure_policy {
            return Err(usage(
                "`security_mode` and `security_policy` must both be None or neither: a secure \
                 channel needs a policy, and a policy needs a mode that signs"
                    .to_string(),
            ));
        }
        let path = |setting: &str| settings.text(setting).map(|p| base_dir.join(p));
        connection.pki_dir = path("pki_dir").unwrap_or_else(|| base_dir.join("pki"));
        connection.certificate_file = path("certificate_file");
        connection.private_key_file = path("private_key_file");
        if connection.certificate_file.is_some() != connection.private_key_file.is_some() {
            return Err(usage(
                "give both `certificate_file` and `private_key_file`, or neither (a self-signed \
                 certificate is then created in `pki_dir`)"
                    .to_string(),
            ));
        }
        if let Some(file) = path("trust_server_certificate") {
            connection.trusted_server_certificates.push(file);
        }
        if let Some(folder) = path("trusted_server_certificates") {
            let entries = std::fs::read_dir(&folder)
                .map_err(|e| RunError::io("read the trusted server certificates in", &folder, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| {
                    RunError::io("read the trusted server certificates in", &folder, e)
                })?;
                let file = entry.path();
                if matches!(
                    file.extension().and_then(|e| e.to_str()),
                    Some("der" | "pem")
                ) {
                    connection.trusted_server_certificates.push(file);
                }
            }
        }
        connection.username = settings.text("username").map(str::to_string);
        connection.password = settings.text("password").map(str::to_string);
        if connection.username.is_some() != connection.password.is_some() {
            return Err(usage(
                "give both `username` and `password`, or neither (anonymous)".to_string(),
            ));
        }
        let duration = |setting: &str, default: Duration| match settings.text(setting) {
            None => Ok(default),
            Some(text) => {
                parse_duration(text).map_err(|e| usage(format!("`{setting}` is {text:?}: {e}")))
            }
        };
        connection.session_timeout = duration("session_timeout", connection.session_timeout)?;
        connection.keep_alive_interval =
            duration("keep_alive_interval", connection.keep_alive_interval)?;
        connection.request_timeout = duration("request_timeout", connection.request_timeout)?;
        Ok(connection)
    }

    /// What to do about a refused connection, when the status says.
    fn hint(&self, status: StatusCode) -> String {
        match status {
            StatusCode::BadSecurityChecksFailed
            | StatusCode::BadCertificateUntrusted
            | StatusCode::BadCertificateInvalid
            | StatusCode::BadCertificateHostNameInvalid
            | StatusCode::BadCertificateUriInvalid
            | StatusCode::BadCertificateTimeInvalid => format!(
                "; if the server's certificate is not trusted, name it in `trust_server_certificate` \
                 (or a folder of them in `trusted_server_certificates`); a refused certificate is kept \
                 in {} for inspection; the certificate must name the endpoint's host, and the server \
                 must trust this program's certificate ({})",
                self.pki_dir.join("rejected").display(),
                self.pki_dir.join("own").display()
            ),
            StatusCode::BadUserAccessDenied
            | StatusCode::BadIdentityTokenInvalid
            | StatusCode::BadIdentityTokenRejected => {
                "; check `username` and `password`".to_string()
            }
            _ => String::new(),
        }
    }

    /// Whether the connection runs without security (mode `None`).
    pub fn is_insecure(&self) -> bool {
        self.security_mode == MessageSecurityMode::None
    }

    /// Copies the trusted server certificates into `pki_dir/trusted/` under the names the
    /// certificate store looks for (its issuer and thumbprint).
    fn install_trust_list(&self) -> Result<(), String> {
        if self.trusted_server_certificates.is_empty() {
            return Ok(());
        }
        let trusted = self.pki_dir.join("trusted");
        std::fs::create_dir_all(&trusted)
            .map_err(|e| format!("cannot create {}: {e}", trusted.display()))?;
        for file in &self.trusted_server_certificates {
            let certificate = CertificateStore::read_cert(file)?;
            let der = certificate
                .to_der()
                .map_err(|e| format!("cannot encode {}: {e}", file.display()))?;
            let name = CertificateStore::cert_file_name(&certificate);
            let target = trusted.join(&name);
            std::fs::write(&target, der)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            // A certificate the client refused before (saved in `rejected/`) stays refused while
            // it is there: the deployment's trust list says otherwise now.
            let rejected = self.pki_dir.join("rejected").join(&name);
            if rejected.exists() {
                std::fs::remove_file(&rejected)
                    .map_err(|e| format!("cannot remove {}: {e}", rejected.display()))?;
            }
        }
        Ok(())
    }

    /// Opens a session (role and name say whose, for messages and the session's name) and waits
    /// until it is active: a server that cannot be reached, a certificate or a user it refuses fail
    /// here. From then on the session reconnects by itself, for ever; `reconnects` counts it.
    pub(crate) async fn connect(
        &self,
        role: &'static str,
        name: &str,
        reconnects: Counter,
    ) -> Result<OpcuaSession, OpcuaError> {
        let fail =
            |detail: String| OpcuaError::fatal(role, name, &self.endpoint_url, "connect", detail);
        self.install_trust_list().map_err(fail)?;
        let mut builder = ClientBuilder::new()
            .application_name("fdi")
            .application_uri(format!("urn:fdi:{name}"))
            .product_uri("urn:fdi")
            .pki_dir(&self.pki_dir)
            // Without a certificate given, a self-signed one in `pki_dir` (made once, kept); even
            // without security, since async-opcua logs errors for a client without one.
            .create_sample_keypair(self.certificate_file.is_none())
            .trust_server_certs(false)
            .verify_server_certs(true)
            .session_retry_limit(-1)
            .session_retry_initial(Duration::from_millis(250))
            .session_retry_max(Duration::from_secs(30))
            .keep_alive_interval(self.keep_alive_interval)
            .max_failed_keep_alive_count(3)
            .request_timeout(self.request_timeout)
            .max_array_length(MAX_ARRAY_LENGTH)
            .session_timeout(u32::try_from(self.session_timeout.as_millis()).unwrap_or(u32::MAX))
            .session_name(format!("fdi {role} {name}"))
            // The subscriptions are ours (see subscription.rs): the session must not recreate any.
            .recreate_subscriptions(false);
        if let (Some(certificate), Some(key)) = (&self.certificate_file, &self.private_key_file) {
            builder = builder.certificate_path(certificate).private_key_path(key);
        }
        let mut client = builder
            .client()
            .map_err(|problems| fail(problems.join("; ")))?;
        let identity = match (&self.username, &self.password) {
            (Some(user), Some(password)) => {
                IdentityToken::UserName(user.clone(), Password::new(password.clone()))
            }
            _ => IdentityToken::Anonymous,
        };
        let endpoints = client
            .get_server_endpoints_from_url(self.endpoint_url.as_str())
            .await
            .map_err(|e| fail(format!("GetEndpoints failed: {e}")))?;
        let Some(mut endpoint) = Client::find_matching_endpoint(
            &endpoints,
            &self.endpoint_url,
            self.security_policy,
            self.security_mode,
        ) else {
            let offered: Vec<String> = endpoints
                .iter()
                .map(|e| format!("{} {:?}", e.security_policy_uri, e.security_mode))
                .collect();
            return Err(fail(format!(
                "the server offers no endpoint with security policy {} and mode {:?} (it offers: {})",
                self.security_policy.to_uri(),
                self.security_mode,
                offered.join(", ")
            )));
        };
        // The server advertises its own host and port; the deployment's URL is what reaches it
        // (through a gateway, a port forward): connect there, always.
        endpoint.endpoint_url = self.endpoint_url.as_str().into();
        let (session, event_loop) = client
            .connect_to_endpoint_directly(endpoint, identity)
            .map_err(|e| fail(format!("{} ({})", e, e.status())))?;
        let (state_tx, mut state_rx) = watch::channel(SessionState::default());
        let events = event_loop.enter();
        let (role_text, owner) = (role, name.to_string());
        let task = tokio::spawn(async move {
            tokio::pin!(events);
            let mut connected_once = false;
            while let Some(event) = events.next().await {
                match event {
                    Ok(SessionPollResult::Reconnected(mode)) => {
                        let new_session = matches!(mode, SessionConnectMode::NewSession(_));
                        if connected_once {
                            reconnects.inc();
                            tracing::info!(target: "fdi::opcua", role = role_text, name = %owner, new_session, "reconnected");
                        }
                        connected_once = true;
                        state_tx.send_modify(|state| {
                            state.generation += 1;
                            state.connected = true;
                            state.new_session = new_session;
                            state.failure = None;
                        });
                    }
                    Ok(SessionPollResult::ConnectionLost(status)) => {
                        tracing::warn!(target: "fdi::opcua", role = role_text, name = %owner, %status, "connection lost; reconnecting");
                        state_tx.send_modify(|state| state.connected = false);
                    }
                    Ok(SessionPollResult::ReconnectFailed(status)) => {
                        tracing::debug!(target: "fdi::opcua", role = role_text, name = %owner, %status, "reconnect failed");
                        state_tx.send_modify(|state| {
                            state.failure = Some(status);
                            state.failures += 1;
                        });
                    }
                    Ok(_) => {}
                    Err(status) => {
                        state_tx.send_modify(|state| {
                            state.connected = false;
                            state.failure = Some(status);
                            state.failures = u32::MAX;
                        });
                        break;
                    }
                }
            }
        });
        // The first connection decides whether the settings work: a refusal (a certificate, a user)
        // is the answer at once; a failure that may pass (the server busy, a session it dropped
        // while activating it: asyncua does so when several clients connect at once) is the answer
        // only when it repeats, a second or two later.
        let first = state_rx
            .wait_for(|state| {
                state.connected
                    || state
                        .failure
                        .is_some_and(|status| !is_transient_status(status))
                    || state.failures >= FIRST_CONNECTION_TRIES
            })
            .await
            .map(|state| state.clone());
        match first {
            Ok(state) if state.connected => Ok(OpcuaSession {
                session,
                state: state_rx,
                task,
            }),
            Ok(state) => {
                task.abort();
                let status = state.failure.unwrap_or(StatusCode::BadCommunicationError);
                Err(fail(format!(
                    "the server refused or could not be reached: {status}{}",
                    self.hint(status)
                )))
            }
            Err(_) => Err(fail("the session ended before it connected".to_string())),
        }
    }
}

/// What the session's watcher knows.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionState {
    /// Counts the session's (re)activations.
    pub generation: u64,
    pub connected: bool,
    /// Whether the last activation created a new session (the old one was gone), so that the
    /// subscriptions must be transferred to it.
    pub new_session: bool,
    /// The last failure to connect.
    pub failure: Option<StatusCode>,
    /// Failures to connect so far (`u32::MAX` once the session gave up).
    pub failures: u32,
}

/// How often a first connection may fail for a reason that may pass before the run gives up.
const FIRST_CONNECTION_TRIES: u32 = 3;

/// An open session, its state as its watcher sees it, and the watcher (which drives the session's
/// event loop: nothing happens on the session unless it runs).
pub(crate) struct OpcuaSession {
    pub session: Arc<Session>,
    pub state: watch::Receiver<SessionState>,
    task: tokio::task::JoinHandle<()>,
}

impl OpcuaSession {
    /// Waits until the session is connected.
    pub async fn connected(&mut self) {
        let _ = self.state.wait_for(|state| state.connected).await.is_ok();
    }

    /// Whether the session is connected now.
    pub fn is_connected(&self) -> bool {
        self.state.borrow().connected
    }
}

impl Drop for OpcuaSession {
    fn drop(&mut self) {
        self.task.abort();
    }
}
