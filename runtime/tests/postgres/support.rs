//! What every PostgreSQL test needs: a server of its own, the run's kind of IO runtime, and a client to check
//! at the server.

use fdi_peers::{Postgres, TlsFiles};
use fdi_runtime::postgres::{PostgresConnection, TlsMode};

/// A server for one test and a tokio runtime like the run's IO threads.
pub struct Peer {
    pub server: Postgres,
    pub io: tokio::runtime::Runtime,
}

/// Starts a server; a missing PostgreSQL fails the test with the peer's message on how to install it.
pub fn peer() -> Peer {
    serving(Postgres::start())
}

/// Starts a server that offers TLS with the server certificate of `files`.
pub fn tls_peer(files: &TlsFiles) -> Peer {
    serving(Postgres::start_with_tls(files))
}

fn serving(server: Result<Postgres, fdi_peers::PeerError>) -> Peer {
    let server = server.unwrap_or_else(|error| panic!("{error}"));
    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    Peer { server, io }
}

impl Peer {
    /// The connector's settings for this server: no TLS (loopback), named `application_name` so that a test
    /// can find (and cut) the connector's connections.
    pub fn connection(&self, application_name: &str) -> PostgresConnection {
        let mut connection = PostgresConnection::new(
            self.server.host(),
            self.server.user(),
            self.server.database(),
        );
        connection.port = self.server.port();
        connection.tls.mode = TlsMode::Disable;
        connection.application_name = application_name.to_string();
        connection
    }

    /// A client of the test's own.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.server.connection_string(), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the test server: {e}\n{}", self.server.log()))
    }

    pub fn execute(&self, sql: &str) {
        self.client()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The rows of `sql`, every column as text (NULL as `None`), in the query's order.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut client = self.client();
        client.batch_execute("SET TimeZone = 'UTC'").unwrap();
        client
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .filter_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }

    /// The one value `sql` selects, as text.
    pub fn value(&self, sql: &str) -> String {
        self.rows(sql)[0][0].clone().expect("a value")
    }
}
