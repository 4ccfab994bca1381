//! Reconnects: a connection cut by a proxy and restored within the subscription's lifetime loses
//! nothing (the lost count stays 0); a server restarted in the middle loses its subscription, which
//! the source creates anew (counted) and records flow again.

use std::thread;
use std::time::Duration;

use fdi_peers::opcua::OpcuaImplementation;
use fdi_peers::proxy::Proxy;

use super::*;

/// Changes made while the connection is cut, every 2 ms: the server queues them (the queue holds
/// them all) and the source gets them after the reconnect.
const DURING_CUT: usize = 1500;

fn cut_and_restored(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let proxy = Proxy::start(server.port()).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = server.endpoint_url().replacen(
        &format!(":{}/", server.port()),
        &format!(":{}/", proxy.port()),
        1,
    );
    let settings = subscription(&server, &MONITORED);
    let (mut source, counters) = open_source(&io, &endpoint, &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len()
    });
    let ids = node_ids(&server);
    // The server makes changes on its own thread while the connection is cut under the source.
    let producer = thread::spawn(move || {
        let changes = server
            .produce(&MONITORED, DURING_CUT, Duration::from_millis(2))
            .unwrap_or_else(|e| panic!("{e}"));
        (server, changes)
    });
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len() + 50
    });
    proxy.cut();
    // The outage lasts while the server goes on producing, far within the session's timeout.
    thread::sleep(Duration::from_secs(2));
    proxy.restore();
    let (server, changes) = producer.join().expect("producer");
    read_until(&io, &mut source, &mut records, |r| {
        has_all(&ids, &changes, r)
    });
    assert_eq!(check_changes(&server, &changes, &records), DURING_CUT);
    assert!(
        counters.reconnects.get() >= 1,
        "the session reconnected through the proxy"
    );
    assert_eq!(counters.lost_notifications.get(), 0, "nothing lost");
    check_sequences(&records, counters.lost_notifications.get());
    assert_eq!(counters.recreations.get(), 0, "the subscription survived");
    assert!(proxy.connections() >= 2);
}

#[test]
fn cut_and_restored_loses_nothing_with_asyncua() {
    cut_and_restored(OpcuaImplementation::Asyncua);
}

#[test]
fn cut_and_restored_loses_nothing_with_node_opcua() {
    cut_and_restored(OpcuaImplementation::NodeOpcua);
}

/// While the proxy drops the server's answers, the server numbers and sends messages the source
/// never receives; once answers flow again, the gap shows and Republish recovers every one of them
/// from the server's retransmission queue: nothing lost.
fn silenced_answers(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let proxy = Proxy::start(server.port()).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = server.endpoint_url().replacen(
        &format!(":{}/", server.port()),
        &format!(":{}/", proxy.port()),
        1,
    );
    let mut connection = OpcuaConnection::insecure(&endpoint);
    connection.keep_alive_interval = Duration::from_secs(1);
    connection.request_timeout = Duration::from_secs(2);
    let settings = subscription(&server, &MONITORED);
    let (mut source, counters) = open_source_on(&io, &connection, &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len()
    });
    let ids = node_ids(&server);
    let producer = thread::spawn(move || {
        let changes = server
            .produce(&MONITORED, 600, Duration::from_millis(5))
            .unwrap_or_else(|e| panic!("{e}"));
        (server, changes)
    });
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len() + 20
    });
    proxy.silence();
    thread::sleep(Duration::from_millis(1500));
    proxy.restore();
    let (server, changes) = producer.join().expect("producer");
    read_until(&io, &mut source, &mut records, |r| {
        has_all(&ids, &changes, r)
    });
    assert_eq!(check_changes(&server, &changes, &records), 600);
    assert!(
        counters.republished.get() >= 1,
        "the answers dropped on the way were republished"
    );
    assert_eq!(counters.lost_notifications.get(), 0, "nothing lost");
    check_sequences(&records, counters.lost_notifications.get());
    assert_eq!(counters.recreations.get(), 0);
}

#[test]
fn silenced_answers_are_republished_by_asyncua() {
    silenced_answers(OpcuaImplementation::Asyncua);
}

#[test]
fn silenced_answers_are_republished_by_node_opcua() {
    silenced_answers(OpcuaImplementation::NodeOpcua);
}

fn server_restarted(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = server(implementation);
    let settings = subscription(&server, &MONITORED);
    let (mut source, counters) = open_source(&io, server.endpoint_url(), &settings);
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= MONITORED.len()
    });
    let before = server
        .produce(&MONITORED, 500, Duration::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    let ids = node_ids(&server);
    read_until(&io, &mut source, &mut records, |r| {
        has_all(&ids, &before, r)
    });
    assert_eq!(check_changes(&server, &before, &records), 500);
    server.restart().unwrap_or_else(|e| panic!("{e}"));
    // The restarted server has none of the old session's state: the source reconnects, finds its
    // subscription gone and creates it anew; the changes made after that arrive.
    let mut after_restart = records.len();
    read_until(&io, &mut source, &mut records, |r| {
        r.len() >= after_restart + MONITORED.len()
    });
    assert_eq!(
        counters.recreations.get(),
        1,
        "the subscription was created anew once"
    );
    assert!(counters.reconnects.get() >= 1);
    after_restart = records.len();
    let after = server
        .produce(&MONITORED, 500, Duration::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    read_until(&io, &mut source, &mut records, |r| has_all(&ids, &after, r));
    assert_eq!(
        check_changes(&server, &after, &records[after_restart..]),
        500
    );
}

#[test]
fn server_restarted_in_the_middle_with_asyncua() {
    server_restarted(OpcuaImplementation::Asyncua);
}

#[test]
fn server_restarted_in_the_middle_with_node_opcua() {
    server_restarted(OpcuaImplementation::NodeOpcua);
}
