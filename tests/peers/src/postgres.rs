//! PostgreSQL, the distribution's server, in a temporary folder on a free port of 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::process::{find_program, free_port, log_tail, ServerProcess, Shutdown};
use crate::{PeerError, TlsFiles, HOST};

const PEER: &str = "PostgreSQL";

/// The user that owns the cluster and that tests connect as (trusted, no password).
const USER: &str = "fdi";
/// The database tests connect to, created by initdb.
const DATABASE: &str = "postgres";
/// The system user that runs the server when the tests run as root (initdb refuses root).
const UNPRIVILEGED_USER: &str = "postgres";

/// A running PostgreSQL server with a fresh cluster of its own; dropping it shuts the server
/// down (fast shutdown, SIGINT) and removes the cluster.
///
/// It listens on 127.0.0.1 only (its Unix socket lives in its own folder), trusts every local
/// connection, and runs with `fsync=off`: a test may kill the programs that write to it, never
/// the server, so durability against a power cut is not what is tested.
#[derive(Debug)]
pub struct Postgres {
    process: ServerProcess,
    port: u16,
    /// The `-c` settings of TLS, kept for [`Postgres::resume`].
    tls_settings: Vec<String>,
    // Dropped after `process`, so the server is stopped before its cluster is removed.
    folder: TempDir,
}

impl Postgres {
    /// Creates a cluster, starts its server and returns once it accepts connections. It
    /// does not offer TLS.
    pub fn start() -> Result<Postgres, PeerError> {
        Self::start_serving(None)
    }

    /// The same server, offering TLS with the server certificate and key of `files` (copied
    /// into the server's folder, the key readable by the server's user only). Clients may
    /// still connect without TLS, as the tests' own checking client does.
    pub fn start_with_tls(files: &TlsFiles) -> Result<Postgres, PeerError> {
        Self::start_serving(Some(files))
    }

    fn start_serving(tls: Option<&TlsFiles>) -> Result<Postgres, PeerError> {
        let binaries = ServerBinaries::find()?;
        let run_as = RunAs::for_this_process()?;
        let folder = tempfile::Builder::new()
            .prefix("fdi-postgres-")
            .tempdir()
            .map_err(|e| PeerError::new(PEER, format!("no temporary folder: {e}")))?;
        run_as.give(folder.path())?;
        let data = folder.path().join("data");
        let init = run_as
            .command(&binaries.initdb)
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", USER, "--auth", "trust", "--encoding", "UTF8"])
            .args(["--locale", "C", "--no-sync", "--no-instructions"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                PeerError::missing(
                    PEER,
                    format!("cannot run {}: {e}", binaries.initdb.display()),
                )
            })?;
        check_output("initdb", &init)?;
        let mut tls_settings = Vec::new();
        if let Some(files) = tls {
            let installed = files.install_for_server(folder.path())?;
            for file in [
                &installed.ca_file,
                &installed.cert_file,
                &installed.key_file,
            ] {
                run_as.give(file)?;
            }
            tls_settings = vec![
                "ssl=on".to_string(),
                format!("ssl_cert_file={}", installed.cert_file.display()),
                format!("ssl_key_file={}", installed.key_file.display()),
            ];
        }

        let port = free_port(PEER)?;
        let process = spawn_server(&binaries, &run_as, folder.path(), port, &tls_settings)?;
        Ok(Postgres {
            process,
            port,
            folder,
            tls_settings,
        })
    }

    /// Stops the server (fast shutdown) and waits until it has exited, keeping its cluster: a
    /// target outage. [`Postgres::resume`] starts it again on the same port and data folder.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// Starts the server stopped by [`Postgres::stop`] again, on the same port and data folder,
    /// and returns once it accepts connections.
    pub fn resume(&mut self) -> Result<(), PeerError> {
        if self.process.exited().is_none() {
            return Ok(());
        }
        let binaries = ServerBinaries::find()?;
        let run_as = RunAs::for_this_process()?;
        self.process = spawn_server(
            &binaries,
            &run_as,
            self.folder.path(),
            self.port,
            &self.tls_settings,
        )?;
        Ok(())
    }

    /// The server's host, `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        HOST
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user tests connect as (no password).
    pub fn user(&self) -> &'static str {
        USER
    }

    /// The database tests connect to.
    pub fn database(&self) -> &'static str {
        DATABASE
    }

    /// A libpq key-value connection string (`host=127.0.0.1 port=… user=fdi dbname=postgres`),
    /// which `tokio-postgres` and `postgres` accept.
    pub fn connection_string(&self) -> String {
        format!(
            "host={HOST} port={} user={USER} dbname={DATABASE}",
            self.port
        )
    }

    /// The same as a URL: `postgresql://fdi@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgresql://{USER}@{HOST}:{}/{DATABASE}", self.port)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("postgres.log")).unwrap_or_default()
    }

    /// The server's process id (a test may check it is gone after the handle dropped).
    pub fn process_id(&self) -> u32 {
        self.process.id()
    }
}

/// Starts the server of the cluster in `folder` on `port` (its log appended to
/// `folder/postgres.log`) and waits until it accepts connections.
fn spawn_server(
    binaries: &ServerBinaries,
    run_as: &RunAs,
    folder: &Path,
    port: u16,
    tls_settings: &[String],
) -> Result<ServerProcess, PeerError> {
    let data = folder.join("data");
    let log = folder.join("postgres.log");
    // Appended to: a server resumed after a stop keeps the log of its first start.
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(|e| PeerError::new(PEER, format!("cannot create {}: {e}", log.display())))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| PeerError::new(PEER, format!("cannot share {}: {e}", log.display())))?;
    let mut process = ServerProcess::spawn(
        PEER,
        run_as
            .command(&binaries.postgres)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-h", HOST, "-k"])
            .arg(folder)
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=200"])
            .args(tls_settings.iter().flat_map(|setting| ["-c", setting]))
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err),
        Shutdown::Signal {
            signal: libc::SIGINT,
            grace: Duration::from_secs(20),
        },
    )?;
    let pg_isready = binaries.pg_isready.clone();
    process.wait_until(
        PEER,
        || is_ready(pg_isready.as_deref(), port),
        || log_tail(&log),
    )?;
    Ok(process)
}

/// The server programs of one PostgreSQL installation.
struct ServerBinaries {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_isready: Option<PathBuf>,
}

impl ServerBinaries {
    /// `initdb` and `postgres` from `pg_config --bindir`, else Debian's
    /// `/usr/lib/postgresql/<newest version>/bin`, else PATH.
    fn find() -> Result<Self, PeerError> {
        let mut folders = Vec::new();
        if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
            if output.status.success() {
                let bindir = String::from_utf8_lossy(&output.stdout).trim().to_string();
                folders.push(PathBuf::from(bindir));
            }
        }
        folders.extend(debian_server_folders());
        // One installation's programs belong together: take the first folder with both.
        let folder = folders
            .iter()
            .find(|folder| folder.join("initdb").is_file() && folder.join("postgres").is_file());
        let (initdb, postgres) =
            match folder {
                Some(folder) => (folder.join("initdb"), folder.join("postgres")),
                None => match (find_program("initdb", &[]), find_program("postgres", &[])) {
                    (Some(initdb), Some(postgres)) => (initdb, postgres),
                    _ => return Err(PeerError::missing(
                        PEER,
                        "the PostgreSQL server programs `initdb` and `postgres` are not installed \
                         (looked in `pg_config --bindir`, /usr/lib/postgresql/*/bin and PATH)",
                    )),
                },
            };
        let pg_isready = postgres
            .parent()
            .map(|bin| bin.join("pg_isready"))
            .filter(|path| path.is_file())
            .or_else(|| find_program("pg_isready", &[]));
        Ok(ServerBinaries {
            initdb,
            postgres,
            pg_isready,
        })
    }
}

/// Debian's `/usr/lib/postgresql/<version>/bin` folders, newest version first.
fn debian_server_folders() -> Vec<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, folder)| folder).collect()
}

/// Who runs initdb and the server: this process's user, or, for root (whom initdb refuses),
/// the unprivileged `postgres` user.
enum RunAs {
    CurrentUser,
    Unprivileged { uid: u32, gid: u32 },
}

impl RunAs {
    fn for_this_process() -> Result<Self, PeerError> {
        // SAFETY: geteuid(2) cannot fail and touches no memory.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(RunAs::CurrentUser);
        }
        let id = |flag: &str| -> Option<u32> {
            let output = Command::new("id")
                .args([flag, UNPRIVILEGED_USER])
                .output()
                .ok()?;
            if !output.status.success() {
                return None;
            }
            String::from_utf8_lossy(&output.stdout).trim().parse().ok()
        };
        match (id("-u"), id("-g")) {
            (Some(uid), Some(gid)) => Ok(RunAs::Unprivileged { uid, gid }),
            _ => Err(PeerError::missing(
                PEER,
                format!(
                    "the tests run as root, whom initdb refuses, and there is no `{UNPRIVILEGED_USER}` \
                     user to run the server as"
                ),
            )),
        }
    }

    /// Hands `folder` (or a file) to the user that runs the server.
    fn give(&self, folder: &Path) -> Result<(), PeerError> {
        if let RunAs::Unprivileged { uid, gid } = self {
            std::os::unix::fs::chown(folder, Some(*uid), Some(*gid)).map_err(|e| {
                PeerError::new(
                    PEER,
                    format!(
                        "cannot give {} to {UNPRIVILEGED_USER}: {e}",
                        folder.display()
                    ),
                )
            })?;
        }
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(program);
        if let RunAs::Unprivileged { uid, gid } = self {
            // std drops root's supplementary groups when it changes the user.
            command.uid(*uid).gid(*gid);
            // initdb and the server look for their home; root's is not theirs to read.
            command
                .env("HOME", folder_of_temp())
                .current_dir(folder_of_temp());
        }
        command
    }
}

/// A folder every user may enter, for the unprivileged server's working directory.
fn folder_of_temp() -> PathBuf {
    std::env::temp_dir()
}

fn is_ready(pg_isready: Option<&Path>, port: u16) -> bool {
    match pg_isready {
        // pg_isready says yes only once the server accepts sessions, not while it recovers.
        Some(program) => Command::new(program)
            .args([
                "-h",
                HOST,
                "-p",
                &port.to_string(),
                "-U",
                USER,
                "-d",
                DATABASE,
                "-q",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|status| status.success())
            .unwrap_or(false),
        None => crate::process::accepts_connections(port),
    }
}

fn check_output(step: &str, output: &Output) -> Result<(), PeerError> {
    if output.status.success() {
        return Ok(());
    }
    Err(PeerError::new(
        PEER,
        format!(
            "{step} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    ))
}
