//! What an OPC UA failure that stops (or pauses) a run says, and which failures are transient.

use opcua::types::StatusCode;

/// An OPC UA failure that is not about one record. Its text names the source or target, the endpoint
/// (never a password) and what was being done; [`OpcuaError::is_transient`] says whether the same call
/// may succeed later (the connection is lost and the session reconnects).
#[derive(Debug, thiserror::Error)]
#[error("OPC UA {role} {name} ({endpoint}): cannot {action}: {detail}")]
pub struct OpcuaError {
    /// "source" or "target".
    pub role: &'static str,
    pub name: String,
    pub endpoint: String,
    pub action: String,
    pub detail: String,
    transient: bool,
}

impl OpcuaError {
    /// A failure that no retry fixes (a certificate the server refuses, a node that does not exist).
    pub fn fatal(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        OpcuaError {
            role,
            name: name.to_string(),
            endpoint: endpoint.to_string(),
            action: action.into(),
            detail: detail.into(),
            transient: false,
        }
    }

    /// A failure of a service call with `status`: transient when the status says the connection
    /// or the session is gone or the server is busy (see [`is_transient_status`]).
    pub(crate) fn status(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        error: &opcua::types::Error,
    ) -> Self {
        OpcuaError {
            transient: is_transient_status(error.status()),
            ..Self::fatal(role, name, endpoint, action, error.to_string())
        }
    }

    /// A failure that a later try, on the reconnected session, may not have.
    pub(crate) fn transient(
        role: &'static str,
        name: &str,
        endpoint: &str,
        action: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        OpcuaError {
            transient: true,
            ..Self::fatal(role, name, endpoint, action, detail)
        }
    }

    /// Whether trying the same call again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

/// Boxed in the run's error: its texts would make every `Result<_, RunError>` large.
impl From<OpcuaError> for crate::error::RunError {
    fn from(error: OpcuaError) -> Self {
        crate::error::RunError::Opcua(Box::new(error))
    }
}

/// Statuses that say the connection, the secure channel or the session is gone or the server is
/// busy: the session reconnects, and the same request may then succeed.
pub(crate) fn is_transient_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BadTimeout
            | StatusCode::BadConnectionClosed
            | StatusCode::BadCommunicationError
            | StatusCode::BadNotConnected
            | StatusCode::BadDisconnect
            | StatusCode::BadSecureChannelClosed
            | StatusCode::BadSecureChannelIdInvalid
            | StatusCode::BadSessionClosed
            | StatusCode::BadSessionIdInvalid
            | StatusCode::BadSessionNotActivated
            | StatusCode::BadServerHalted
            | StatusCode::BadServerNotConnected
            | StatusCode::BadShutdown
            | StatusCode::BadTooManyOperations
            | StatusCode::BadTooManySessions
            | StatusCode::BadResourceUnavailable
            | StatusCode::BadRequestTimeout
            | StatusCode::BadInvalidState
            | StatusCode::BadTcpInternalError
    )
}
