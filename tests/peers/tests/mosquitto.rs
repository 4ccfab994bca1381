//! mosquitto as started by fdi-peers: messages go round, sessions persist while a client is
//! away and across a restart of the broker, and the broker is gone once its handle drops.

use fdi_peers::{Mosquitto, MqttClient, QoS};

fn numbered(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("message {i}").into_bytes())
        .collect()
}

#[test]
fn a_published_message_reaches_a_subscriber() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let mut subscriber = MqttClient::connect(&broker, "subscriber", true);
    subscriber.subscribe("plant/+/state", QoS::AtLeastOnce);
    let mut publisher = MqttClient::connect(&broker, "publisher", true);
    publisher.publish_all("plant/line3/state", &numbered(3));

    let received = subscriber.receive(3);
    let payloads: Vec<Vec<u8>> = received.iter().map(|p| p.payload.to_vec()).collect();
    assert_eq!(payloads, numbered(3));
    assert!(received.iter().all(|p| p.topic == "plant/line3/state"));
}

#[test]
fn a_persistent_session_gets_what_was_published_while_it_was_away() {
    let mut broker = Mosquitto::start().expect("mosquitto starts");
    let mut subscriber = MqttClient::connect(&broker, "line3-reader", false);
    subscriber.subscribe("plant/#", QoS::AtLeastOnce);
    subscriber.disconnect();

    // More than mosquitto's default queue of 1000 messages per client.
    let messages = numbered(2500);
    let mut publisher = MqttClient::connect(&broker, "publisher", true);
    publisher.publish_all("plant/line3/count", &messages[..2000]);
    publisher.disconnect();
    // What is queued survives a restart of the broker.
    broker.restart().expect("mosquitto restarts");
    let mut publisher = MqttClient::connect(&broker, "publisher", true);
    publisher.publish_all("plant/line3/count", &messages[2000..]);

    let mut subscriber = MqttClient::connect(&broker, "line3-reader", false);
    let received: Vec<Vec<u8>> = subscriber
        .receive(messages.len())
        .iter()
        .map(|p| p.payload.to_vec())
        .collect();
    assert_eq!(received, messages, "broker log:\n{}", broker.log());
}

#[test]
fn a_dropped_broker_no_longer_listens() {
    let broker = Mosquitto::start().expect("mosquitto starts");
    let port = broker.port();
    assert!(std::net::TcpStream::connect((broker.host(), port)).is_ok());
    drop(broker);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
