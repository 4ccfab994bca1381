//! What every peer shares: a free port, finding a program, a child process that is ended and
//! waited for when dropped, and waiting until a server accepts connections.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::{PeerError, HOST};

/// How long a server may take to accept connections after it was started. Generous, since the
/// machine may be busy building; a server that is up answers at once.
pub(crate) const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

/// A port nobody listens on at the moment: the system picks it for a listener that is then
/// closed. Another process could take it before the server does; the server then fails to
/// listen, which its start reports.
pub(crate) fn free_port(peer: &'static str) -> Result<u16, PeerError> {
    let listener = TcpListener::bind((HOST, 0))
        .map_err(|e| PeerError::new(peer, format!("no free port on {HOST}: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| PeerError::new(peer, format!("no free port on {HOST}: {e}")))?
        .port();
    Ok(port)
}

/// The first of `folders`, then of `PATH`, that holds an executable `name`.
pub(crate) fn find_program(name: &str, folders: &[PathBuf]) -> Option<PathBuf> {
    let path_folders = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    folders
        .iter()
        .chain(path_folders.iter())
        .map(|folder| folder.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// How a server is asked to stop when its handle drops.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shutdown {
    /// SIGKILL: nothing of the server's state is needed afterwards.
    Kill,
    /// A signal the server answers by shutting down cleanly (its children too), then SIGKILL
    /// if it is still running after `grace`.
    Signal { signal: i32, grace: Duration },
}

/// A server process that is ended and waited for when dropped, so no test leaves one behind.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    shutdown: Shutdown,
}

impl ServerProcess {
    pub(crate) fn spawn(
        peer: &'static str,
        command: &mut Command,
        shutdown: Shutdown,
    ) -> Result<Self, PeerError> {
        let child = command.spawn().map_err(|e| {
            PeerError::missing(
                peer,
                format!("could not start {:?}: {e}", command.get_program()),
            )
        })?;
        Ok(ServerProcess { child, shutdown })
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the process has ended.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends `signal` to the process.
    pub(crate) fn signal(&self, signal: i32) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) with the id of a child this handle has not yet waited for, so
            // the id still names that child.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    /// Ends the process as its `Shutdown` says and waits for it.
    pub(crate) fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        if let Shutdown::Signal { signal, grace } = self.shutdown {
            self.signal(signal);
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                if self.exited().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until `ready` says yes, while the process runs; `describe` words what the server
    /// said (its log) for the error.
    pub(crate) fn wait_until(
        &mut self,
        peer: &'static str,
        mut ready: impl FnMut() -> bool,
        describe: impl Fn() -> String,
    ) -> Result<(), PeerError> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            if ready() {
                return Ok(());
            }
            if let Some(status) = self.exited() {
                return Err(PeerError::new(
                    peer,
                    format!(
                        "the server exited ({status}) before it accepted connections:\n{}",
                        describe()
                    ),
                ));
            }
            if Instant::now() > deadline {
                return Err(PeerError::new(
                    peer,
                    format!(
                        "the server did not accept connections within {} s:\n{}",
                        STARTUP_DEADLINE.as_secs(),
                        describe()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether something accepts TCP connections on `HOST:port`.
pub(crate) fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// The end of a log file, for an error that says why a server did not start.
pub(crate) fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(30);
            lines[start..].join("\n")
        }
        Err(e) => format!("(no log at {}: {e})", path.display()),
    }
}

impl ServerProcess {
    /// The child's standard streams, for a peer that talks through them.
    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// One request to a peer's control channel on 127.0.0.1:`port` (the connection closed after the
/// answer, so the body is read to its end), and its answer's JSON body; an answer other than
/// 200 is an error naming `peer`.
pub(crate) fn control_request(
    peer: &'static str,
    port: u16,
    method: &str,
    path: &str,
    body: &str,
) -> Result<serde_json::Value, PeerError> {
    use std::io::{Read, Write};
    let fail = |e: std::io::Error| PeerError::new(peer, format!("{method} {path}: {e}"));
    let mut stream = std::net::TcpStream::connect((HOST, port)).map_err(fail)?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .map_err(fail)?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {HOST}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(fail)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(PeerError::new(
            peer,
            format!("{method} {path} answered {head}"),
        ));
    }
    serde_json::from_str(body)
        .map_err(|e| PeerError::new(peer, format!("{method} {path}: not JSON ({e})")))
}
