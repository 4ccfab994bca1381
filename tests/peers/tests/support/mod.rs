//! An MQTT client for the tests of the peers (rumqttc's blocking client): what the mosquitto
//! and edge-node tests share.

#![allow(dead_code)] // each test file uses a part

use std::time::{Duration, Instant};

use fdi_peers::Mosquitto;
use rumqttc::{Client, Connection, Event, MqttOptions, Outgoing, Packet, Publish, QoS};

/// How long a test waits for a message before it fails: a guard, not a measurement.
const DEADLINE: Duration = Duration::from_secs(60);

/// A connected client whose connection the test drives.
pub struct MqttClient {
    pub client: Client,
    connection: Connection,
}

impl MqttClient {
    /// Connects with `client_id`; `clean` false keeps the session (and its queued messages)
    /// while the client is away.
    pub fn connect(broker: &Mosquitto, client_id: &str, clean: bool) -> MqttClient {
        let mut options = MqttOptions::new(client_id, broker.host(), broker.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(clean);
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, connection) = Client::new(options, 1000);
        let mut client = MqttClient { client, connection };
        client.wait_for(|event| matches!(event, Event::Incoming(Packet::ConnAck(_))));
        client
    }

    /// Subscribes to `filter` and waits until the broker confirms.
    pub fn subscribe(&mut self, filter: &str, qos: QoS) {
        self.client.subscribe(filter, qos).expect("subscribe");
        self.wait_for(|event| matches!(event, Event::Incoming(Packet::SubAck(_))));
    }

    /// Publishes each payload at QoS 1 and waits until the broker acknowledged them all. In
    /// windows: the client's request queue is bounded and only drains while its connection
    /// is driven.
    pub fn publish_all(&mut self, topic: &str, payloads: &[Vec<u8>]) {
        for window in payloads.chunks(100) {
            for payload in window {
                self.client
                    .publish(topic, QoS::AtLeastOnce, false, payload.clone())
                    .expect("publish");
            }
            let mut acknowledged = 0;
            while acknowledged < window.len() {
                if let Event::Incoming(Packet::PubAck(_)) = self.next_event() {
                    acknowledged += 1;
                }
            }
        }
    }

    /// The next `count` messages that arrive.
    pub fn receive(&mut self, count: usize) -> Vec<Publish> {
        let mut received = Vec::with_capacity(count);
        while received.len() < count {
            if let Event::Incoming(Packet::Publish(publish)) = self.next_event() {
                received.push(publish);
            }
        }
        received
    }

    /// Disconnects cleanly (a DISCONNECT packet, so no will is published).
    pub fn disconnect(mut self) {
        self.client.disconnect().expect("disconnect");
        self.wait_for(|event| matches!(event, Event::Outgoing(Outgoing::Disconnect)));
    }

    fn wait_for(&mut self, wanted: impl Fn(&Event) -> bool) {
        while !wanted(&self.next_event()) {}
    }

    fn next_event(&mut self) -> Event {
        let deadline = Instant::now() + DEADLINE;
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.connection.recv_timeout(wait) {
            Ok(Ok(event)) => event,
            Ok(Err(error)) => panic!("MQTT connection failed: {error}"),
            Err(_) => panic!("no MQTT event within {} s", DEADLINE.as_secs()),
        }
    }
}
