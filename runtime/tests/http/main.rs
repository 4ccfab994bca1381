//! The HTTP connector (feature `http`) against a real HTTP server that each test starts
//! (`fdi_peers::HttpServer`, Python's http.server on a free port of 127.0.0.1), checked by what the server
//! received and answered: the target (`target.rs`: idempotency keys, credentials, batches, every failure
//! mode), the source (`source.rs`: pages by watermark, ETag and Last-Modified, restarts, answers that
//! are not JSON) and both over TLS (`tls.rs`). What must arrive is computed here from each record's number.

mod source;
mod target;
mod tls;

use fdi_peers::HttpServer;
use fdi_runtime::http::HttpConnection;

/// A server, and a connection to it as the deployment settings would describe it.
fn peer() -> (HttpServer, HttpConnection) {
    let server = HttpServer::start().expect("the HTTP peer starts (tests/peers/install)");
    let connection = HttpConnection::new("mes", &server.base_url());
    (server, connection)
}

/// The IO threads a run would have.
fn io() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}
