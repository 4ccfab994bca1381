//! A TCP proxy on 127.0.0.1 that a test puts between a client and a server to cut the connection
//! as a network would: [`Proxy::cut`] drops every connection through it and refuses new ones (each
//! is accepted and closed at once) until [`Proxy::restore`]. The server never learns why its
//! clients went away, as with a pulled cable or a firewall, unlike a server restart.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::{PeerError, HOST};

const PEER: &str = "TCP proxy";

/// Forwards 127.0.0.1:[`Proxy::port`] to a server; stops when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
    accepting: Option<JoinHandle<()>>,
}

struct Shared {
    server: SocketAddr,
    cut: AtomicBool,
    /// The server's answers are discarded while this is set: connections stay open.
    silenced: AtomicBool,
    stopping: AtomicBool,
    /// Both ends of every open connection, to shut them down on a cut.
    open: Mutex<Vec<(TcpStream, TcpStream)>>,
    /// Connections forwarded so far (a reconnecting client shows here).
    accepted: AtomicU64,
}

impl Proxy {
    /// Starts forwarding a free port on 127.0.0.1 to `server_port` on 127.0.0.1.
    pub fn start(server_port: u16) -> Result<Proxy, PeerError> {
        let listener = TcpListener::bind((HOST, 0))
            .map_err(|e| PeerError::new(PEER, format!("no free port on {HOST}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| PeerError::new(PEER, format!("no local address: {e}")))?
            .port();
        let server = SocketAddr::from(([127, 0, 0, 1], server_port));
        let shared = Arc::new(Shared {
            server,
            cut: AtomicBool::new(false),
            silenced: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
            accepted: AtomicU64::new(0),
        });
        let accepting = {
            let shared = shared.clone();
            std::thread::spawn(move || accept(listener, &shared))
        };
        Ok(Proxy {
            port,
            shared,
            accepting: Some(accepting),
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `opc.tcp://127.0.0.1:<port><path>` and the like: `scheme://127.0.0.1:<port><path>`.
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{HOST}:{}{path}", self.port)
    }

    /// Drops every connection through the proxy (both ends) and refuses new ones until
    /// [`Proxy::restore`].
    pub fn cut(&self) {
        self.shared.cut.store(true, Ordering::SeqCst);
        self.shared.close_all();
    }

    /// Keeps every connection open and forwards what clients send, but discards what the server
    /// answers, until [`Proxy::restore`]: the server numbers and sends messages the client never
    /// receives, as over a link that fails in one direction.
    pub fn silence(&self) {
        self.shared.silenced.store(true, Ordering::SeqCst);
    }

    /// Forwards new connections, and the server's answers, again.
    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
        self.shared.silenced.store(false, Ordering::SeqCst);
    }

    /// How many connections the proxy has forwarded.
    pub fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.close_all();
        // Wakes the accepting thread, which then sees `stopping`.
        let _ = TcpStream::connect((HOST, self.port));
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

impl Shared {
    fn close_all(&self) {
        let open = std::mem::take(&mut *self.open.lock().expect("proxy lock"));
        for (client, server) in open {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }
}

fn accept(listener: TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if shared.cut.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.server) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(client_read), Ok(server_read), Ok(client_kept), Ok(server_kept)) = (
            client.try_clone(),
            server.try_clone(),
            client.try_clone(),
            server.try_clone(),
        ) else {
            continue;
        };
        shared
            .open
            .lock()
            .expect("proxy lock")
            .push((client_kept, server_kept));
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let answers = shared.clone();
        std::thread::spawn(move || forward(client_read, server, None));
        std::thread::spawn(move || forward(server_read, client, Some(answers)));
    }
}

/// Copies `from` to `to` until either ends, then ends both directions; the server's answers
/// (`answers` given) are dropped while the proxy is silenced.
fn forward(mut from: TcpStream, mut to: TcpStream, answers: Option<Arc<Shared>>) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(_)
                if answers
                    .as_ref()
                    .is_some_and(|s| s.silenced.load(Ordering::SeqCst)) => {}
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_until_cut_and_again_after_restore() {
        let server = TcpListener::bind((HOST, 0)).unwrap();
        let server_port = server.local_addr().unwrap().port();
        let echo = std::thread::spawn(move || {
            for stream in server.incoming().take(2) {
                let mut stream = stream.unwrap();
                let mut line = [0u8; 5];
                if stream.read_exact(&mut line).is_ok() {
                    stream.write_all(&line).unwrap();
                }
            }
        });
        let proxy = Proxy::start(server_port).unwrap();
        let exchange = || {
            let mut stream = TcpStream::connect((HOST, proxy.port())).unwrap();
            stream.write_all(b"hello")?;
            let mut answer = [0u8; 5];
            stream.read_exact(&mut answer).map(|()| answer)
        };
        assert_eq!(&exchange().unwrap(), b"hello");
        proxy.cut();
        assert!(exchange().is_err(), "a cut proxy forwards nothing");
        proxy.restore();
        assert_eq!(&exchange().unwrap(), b"hello");
        assert_eq!(proxy.connections(), 2);
        echo.join().unwrap();
    }
}
