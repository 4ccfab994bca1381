//! mosquitto, the distribution's MQTT broker, on a free port of 127.0.0.1.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::process::{
    accepts_connections, find_program, free_port, log_tail, ServerProcess, Shutdown,
};
use crate::tls::ServerFiles;
use crate::{PeerError, TlsFiles, HOST};

const PEER: &str = "mosquitto";

/// mosquitto's default for `max_inflight_messages`.
pub const DEFAULT_MAX_INFLIGHT: u32 = 20;

/// A running mosquitto broker; dropping it stops the broker and removes its folder.
///
/// Anonymous clients may connect. Sessions persist: a client that connects with clean start
/// off and a fixed client id finds the QoS 1 messages published while it was away queued,
/// with no limit on their number, and across [`Mosquitto::restart`] of the broker too (its
/// persistence file is written when it stops).
#[derive(Debug)]
pub struct Mosquitto {
    process: ServerProcess,
    port: u16,
    max_inflight: u32,
    listener: Listener,
    binary: PathBuf,
    // Dropped after `process`, so the broker is stopped before its folder is removed.
    folder: TempDir,
}

impl Mosquitto {
    /// Starts a broker with mosquitto's own limit of 20 unacknowledged QoS 1 messages in
    /// flight per client (as a plant's broker has it), and returns once it accepts connections.
    pub fn start() -> Result<Mosquitto, PeerError> {
        Self::start_with_max_inflight(DEFAULT_MAX_INFLIGHT)
    }

    /// Starts a broker that sends each client at most `max_inflight` QoS 1 messages it has not
    /// acknowledged yet (0: no limit).
    pub fn start_with_max_inflight(max_inflight: u32) -> Result<Mosquitto, PeerError> {
        Self::launch(max_inflight, None)
    }

    /// Starts a broker that speaks MQTT over TLS only (on [`Mosquitto::port`], instead of plain
    /// TCP), presenting the server certificate of `files` (copied into the broker's folder).
    /// Clients need no certificate of their own.
    pub fn start_with_tls(files: &TlsFiles) -> Result<Mosquitto, PeerError> {
        Self::launch(DEFAULT_MAX_INFLIGHT, Some((files, false)))
    }

    /// As [`Mosquitto::start_with_tls`], and a client must present a certificate signed by the
    /// CA of `files` ([`TlsFiles::client_cert_file`]).
    pub fn start_with_client_certificates(files: &TlsFiles) -> Result<Mosquitto, PeerError> {
        Self::launch(DEFAULT_MAX_INFLIGHT, Some((files, true)))
    }

    /// Starts a broker with one listener: plain TCP, or TLS with the server files of `tls` and
    /// whether clients must present a certificate.
    fn launch(max_inflight: u32, tls: Option<(&TlsFiles, bool)>) -> Result<Mosquitto, PeerError> {
        let binary = find_program("mosquitto", &[PathBuf::from("/usr/sbin")]).ok_or_else(|| {
            PeerError::missing(
                PEER,
                "the `mosquitto` broker is not installed (looked in /usr/sbin and PATH)",
            )
        })?;
        let folder = tempfile::Builder::new()
            .prefix("fdi-mosquitto-")
            .tempdir()
            .map_err(|e| PeerError::new(PEER, format!("no temporary folder: {e}")))?;
        let listener = match tls {
            None => Listener::Plain,
            Some((files, require_certificate)) => Listener::Tls {
                files: files.install_for_server(folder.path())?,
                require_certificate,
            },
        };
        let port = free_port(PEER)?;
        let process = spawn(&binary, &folder, port, max_inflight, &listener)?;
        let mut broker = Mosquitto {
            process,
            port,
            max_inflight,
            listener,
            binary,
            folder,
        };
        broker.wait_until_accepting()?;
        Ok(broker)
    }

    /// The broker's host name, `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        HOST
    }

    /// The broker's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:PORT` (`mqtts://` for a TLS listener), as Node's and most clients'
    /// URLs say.
    pub fn url(&self) -> String {
        let scheme = match self.listener {
            Listener::Plain => "mqtt",
            Listener::Tls { .. } => "mqtts",
        };
        format!("{scheme}://{HOST}:{}", self.port)
    }

    /// The broker's log so far (connections, disconnections, errors), for a failing test's
    /// message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_default()
    }

    /// Stops the broker cleanly (it writes its sessions and queued messages to its
    /// persistence file) and starts it again on the same port with the same folder.
    pub fn restart(&mut self) -> Result<(), PeerError> {
        self.process.stop();
        self.process = spawn(
            &self.binary,
            &self.folder,
            self.port,
            self.max_inflight,
            &self.listener,
        )?;
        self.wait_until_accepting()
    }

    /// Ends the broker with SIGKILL, as a crash would, without writing its persistence file;
    /// [`Mosquitto::restart`] starts it again.
    pub fn kill(&mut self) {
        self.process.signal(libc::SIGKILL);
        self.process.stop();
    }

    fn log_file(&self) -> PathBuf {
        self.folder.path().join("mosquitto.log")
    }

    fn wait_until_accepting(&mut self) -> Result<(), PeerError> {
        let port = self.port;
        let log = self.log_file();
        self.process
            .wait_until(PEER, || accepts_connections(port), || log_tail(&log))
    }
}

/// How the broker's one listener talks to clients.
#[derive(Debug)]
enum Listener {
    /// MQTT over plain TCP.
    Plain,
    /// MQTT over TLS only, with the broker's copies of the server files; `require_certificate`:
    /// clients must present a certificate the CA signed.
    Tls {
        files: ServerFiles,
        require_certificate: bool,
    },
}

impl Listener {
    /// The listener's lines of mosquitto's configuration.
    fn config(&self, port: u16) -> String {
        let mut lines = format!("listener {port} {HOST}\n");
        if let Listener::Tls {
            files,
            require_certificate,
        } = self
        {
            lines.push_str(&format!(
                "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {require_certificate}\n",
                files.ca_file.display(),
                files.cert_file.display(),
                files.key_file.display()
            ));
        }
        lines
    }
}

/// Writes the configuration into `folder` and starts the broker with it.
fn spawn(
    binary: &PathBuf,
    folder: &TempDir,
    port: u16,
    max_inflight: u32,
    listener: &Listener,
) -> Result<ServerProcess, PeerError> {
    let dir = folder.path();
    let config = format!(
        "# Written by fdi-peers for one test.\n\
         {listener}\
         allow_anonymous true\n\
         # Sessions and queued messages survive a restart of the broker.\n\
         persistence true\n\
         persistence_location {dir}/\n\
         autosave_interval 0\n\
         # A client that is away for a whole test run may have thousands of messages queued.\n\
         max_queued_messages 0\n\
         max_inflight_messages {max_inflight}\n\
         # Sessions of clients with clean start off never expire during a test.\n\
         log_dest file {dir}/mosquitto.log\n\
         log_type error\n\
         log_type warning\n\
         log_type notice\n\
         log_type information\n\
         connection_messages true\n\
         # mosquitto started by root would switch to its own user, who cannot write here.\n\
         user root\n",
        dir = dir.display(),
        listener = listener.config(port),
    );
    let config_file = dir.join("mosquitto.conf");
    std::fs::write(&config_file, config).map_err(|e| {
        PeerError::new(PEER, format!("cannot write {}: {e}", config_file.display()))
    })?;
    ServerProcess::spawn(
        PEER,
        Command::new(binary)
            .arg("-c")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
        Shutdown::Signal {
            signal: libc::SIGTERM,
            grace: Duration::from_secs(10),
        },
    )
}
