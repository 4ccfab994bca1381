//! The one error of every peer: what failed, and how to make it work.

use std::fmt;

/// Why a peer could not start or answer, with the steps that make it work where they are
/// known (a peer that is not installed names the install script).
pub struct PeerError {
    peer: &'static str,
    problem: String,
    fix: Option<String>,
}

/// The line that installs every peer, as `.ci/run` runs it.
pub(crate) const INSTALL: &str =
    "run `tests/peers/install` from the repository's root (as root, or with sudo: it uses apt-get and npm)";

impl PeerError {
    pub(crate) fn new(peer: &'static str, problem: impl Into<String>) -> Self {
        PeerError {
            peer,
            problem: problem.into(),
            fix: None,
        }
    }

    /// A peer that is missing from this machine: the message says how to install it.
    pub(crate) fn missing(peer: &'static str, problem: impl Into<String>) -> Self {
        PeerError {
            peer,
            problem: problem.into(),
            fix: Some(INSTALL.to_string()),
        }
    }

    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// The peer's name (`mosquitto`, `PostgreSQL`, `Sparkplug edge node`).
    pub fn peer(&self) -> &str {
        self.peer
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "test peer {}: {}", self.peer, self.problem)?;
        if let Some(fix) = &self.fix {
            write!(f, "\nto fix: {fix}")?;
        }
        Ok(())
    }
}

/// As `Display`: a test's `.expect(...)` prints the error with `{:?}`, and should say how to
/// fix it in words, not as a struct.
impl fmt::Debug for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PeerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_peer_says_how_to_install_it_even_through_expect() {
        let error = PeerError::missing("mosquitto", "the `mosquitto` broker is not installed");
        let debug = format!("{error:?}");
        assert_eq!(debug, error.to_string());
        assert!(debug.starts_with("test peer mosquitto: the `mosquitto` broker is not installed"));
        assert!(
            debug.contains("to fix: run `tests/peers/install`"),
            "{debug}"
        );
    }
}
