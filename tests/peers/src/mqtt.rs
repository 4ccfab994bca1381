//! A blocking MQTT client (rumqttc's) for tests: publish to a broker, subscribe and receive,
//! with or without a persistent session. It is test support: every method panics, with a
//! message that says what failed, when the broker does not answer as MQTT says it must.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rumqttc::{Client, Connection, Event, MqttOptions, Outgoing, Packet};
pub use rumqttc::{Publish, QoS};

use crate::Mosquitto;

/// How long a test waits for a message before it fails: a guard, not a measurement.
const DEADLINE: Duration = Duration::from_secs(60);

/// A connected client whose connection the test drives (nothing happens between calls).
pub struct MqttClient {
    client: Client,
    connection: Connection,
    /// Messages that arrived while the client waited for something else (an acknowledgement),
    /// kept for [`MqttClient::receive`].
    arrived: VecDeque<Publish>,
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
        let mut client = MqttClient {
            client,
            connection,
            arrived: VecDeque::new(),
        };
        client.wait_for(|event| matches!(event, Event::Incoming(Packet::ConnAck(_))));
        client
    }

    /// Subscribes to `filter` and waits until the broker confirms.
    pub fn subscribe(&mut self, filter: &str, qos: QoS) {
        self.client.subscribe(filter, qos).expect("subscribe");
        self.wait_for(|event| matches!(event, Event::Incoming(Packet::SubAck(_))));
    }

    /// Publishes each payload to `topic` at QoS 1 and waits until the broker acknowledged
    /// them all. In
    /// windows: the client's request queue is bounded and only drains while its connection
    /// is driven.
    pub fn publish_all(&mut self, topic: &str, payloads: &[Vec<u8>]) {
        for window in payloads.chunks(100) {
            for payload in window {
                self.client
                    .publish(topic, QoS::AtLeastOnce, false, payload.clone())
                    .expect("publish");
            }
            let deadline = Instant::now() + DEADLINE;
            let mut acknowledged = 0;
            while acknowledged < window.len() {
                if let Event::Incoming(Packet::PubAck(_)) = self.next_event(deadline) {
                    acknowledged += 1;
                }
            }
        }
    }

    /// The next `count` messages that arrive.
    pub fn receive(&mut self, count: usize) -> Vec<Publish> {
        // Many messages may take a while to arrive on a busy machine.
        let deadline = Instant::now() + DEADLINE + Duration::from_millis(10) * count as u32;
        let mut received = Vec::with_capacity(count);
        while received.len() < count {
            match self.arrived.pop_front() {
                Some(publish) => received.push(publish),
                None => {
                    self.next_event(deadline);
                }
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
        let deadline = Instant::now() + DEADLINE;
        while !wanted(&self.next_event(deadline)) {}
    }

    /// The next event of the connection; a message that arrived is also kept for `receive`.
    /// Waits for it until `deadline`, the end of what the caller waits for as a whole (the
    /// connection's pings are events too, so a wait per event could last for ever).
    fn next_event(&mut self, deadline: Instant) -> Event {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.connection.recv_timeout(wait) {
            Ok(Ok(event)) => {
                if let Event::Incoming(Packet::Publish(publish)) = &event {
                    self.arrived.push_back(publish.clone());
                }
                event
            }
            Ok(Err(error)) => panic!("MQTT connection failed: {error}"),
            Err(_) => panic!(
                "waited {} s for the broker; {} messages had arrived unread",
                DEADLINE.as_secs(),
                self.arrived.len()
            ),
        }
    }
}
