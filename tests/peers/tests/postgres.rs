//! PostgreSQL as started by fdi-peers: it answers queries over TCP on 127.0.0.1 as the
//! connection string says, and it is gone, with its cluster, once its handle drops.

use fdi_peers::Postgres;

#[test]
fn a_query_runs_against_the_server() {
    let server = Postgres::start().expect("PostgreSQL starts");
    let mut client =
        postgres::Client::connect(&server.connection_string(), postgres::NoTls).expect("connects");
    client
        .batch_execute(
            "CREATE TABLE machine_state (machine text PRIMARY KEY, cycles bigint NOT NULL, \
             at timestamptz NOT NULL)",
        )
        .expect("creates a table");
    for (machine, cycles) in [("mill-1", 10_i64), ("mill-2", 20), ("mill-1", 11)] {
        client
            .execute(
                "INSERT INTO machine_state VALUES ($1, $2, now()) \
                 ON CONFLICT (machine) DO UPDATE SET cycles = EXCLUDED.cycles",
                &[&machine, &cycles],
            )
            .expect("upserts");
    }
    let rows: Vec<(String, i64)> = client
        .query(
            "SELECT machine, cycles FROM machine_state ORDER BY machine",
            &[],
        )
        .expect("selects")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(
        rows,
        [("mill-1".to_string(), 11), ("mill-2".to_string(), 20)]
    );

    let url_client = postgres::Client::connect(&server.url(), postgres::NoTls);
    assert!(url_client.is_ok(), "the URL connects too");
}

#[test]
fn a_dropped_server_no_longer_listens() {
    let server = Postgres::start().expect("PostgreSQL starts");
    let port = server.port();
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
