//! The servers of the network workloads: a real PostgreSQL and a real mosquitto started by
//! `fdi-peers` on 127.0.0.1 for one workload and stopped after it. A peer that is not installed
//! fails the bench with fdi-peers' message, which says how to install it.
//!
//! Each program writes its own database (`generated`, `baseline`) of the one server, so that
//! the two tables can be compared after every run; the tables are dropped before each run.

use std::path::Path;
use std::time::{Duration, Instant};

use fdi_peers::{Mosquitto, MqttClient, Postgres, QoS};
use postgres::NoTls;

use crate::workload::{Feed, Workload, COUNTERS_FILTER};

/// The database each side writes.
pub const GENERATED_DATABASE: &str = "generated";
pub const BASELINE_DATABASE: &str = "baseline";

/// Messages published between waits for the broker's acknowledgements (`publish_all` waits
/// per window of 100 anyway); this only bounds what the bench holds in memory.
const PUBLISH_CHUNK: usize = 10_000;

pub struct Peers {
    pub postgres: Postgres,
    pub broker: Option<Mosquitto>,
}

fn peer_error(e: fdi_peers::PeerError) -> String {
    e.to_string()
}

fn sql_error(e: postgres::Error) -> String {
    e.to_string()
}

impl Peers {
    /// Starts the servers `workload` needs (none for a file workload).
    pub fn start(workload: Workload) -> Result<Option<Peers>, String> {
        if !workload.uses_postgres() {
            return Ok(None);
        }
        let postgres = Postgres::start().map_err(peer_error)?;
        let broker = match workload.feed() {
            // mosquitto's own limit of 20 unacknowledged messages per client, as a plant's
            // broker has it and as the generated MQTT source assumes.
            Feed::Mqtt(_) => Some(Mosquitto::start().map_err(peer_error)?),
            Feed::File => None,
        };
        let peers = Peers { postgres, broker };
        let mut admin = peers.client(peers.postgres.database())?;
        for database in [GENERATED_DATABASE, BASELINE_DATABASE] {
            admin
                .batch_execute(&format!("CREATE DATABASE {database}"))
                .map_err(sql_error)?;
        }
        Ok(Some(peers))
    }

    /// A libpq connection string for `database`.
    pub fn connection_string(&self, database: &str) -> String {
        format!(
            "host={} port={} user={} dbname={database}",
            self.postgres.host(),
            self.postgres.port(),
            self.postgres.user()
        )
    }

    pub fn client(&self, database: &str) -> Result<postgres::Client, String> {
        postgres::Client::connect(&self.connection_string(database), NoTls).map_err(sql_error)
    }

    /// Drops `table` of `database`, so the next run starts from nothing.
    pub fn drop_table(&self, database: &str, table: &str) -> Result<(), String> {
        self.client(database)?
            .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
            .map_err(sql_error)
    }

    /// The generated program's deployment settings (`--config`): the connections its mapping
    /// names, `mes` (PostgreSQL, `database`) and `plant_broker` (mosquitto, `client_id`).
    pub fn config(&self, database: &str, client_id: &str) -> String {
        let mut config = format!(
            "[connections.mes]\nhost = \"{}\"\nport = {}\nusername = \"{}\"\ndatabase = \"{database}\"\n\
             tls = \"disable\"\n",
            self.postgres.host(),
            self.postgres.port(),
            self.postgres.user()
        );
        if let Some(broker) = &self.broker {
            config.push_str(&format!(
                "\n[connections.plant_broker]\nhost = \"{}\"\nport = {}\nclient_id = \"{client_id}\"\n",
                broker.host(),
                broker.port()
            ));
        }
        config
    }

    /// Creates the persistent session `session` (clean start off, subscribed at QoS 1 to the
    /// workload's filter) and publishes every line of `input` to `topic` at QoS 1, so the
    /// broker holds them all for the program that connects as `session`.
    pub fn publish_backlog(&self, session: &str, topic: &str, input: &Path) -> Result<(), String> {
        let broker = self.broker.as_ref().ok_or("this workload has no broker")?;
        let mut subscriber = MqttClient::connect(broker, session, false);
        subscriber.subscribe(COUNTERS_FILTER, QoS::AtLeastOnce);
        subscriber.disconnect();
        let text =
            std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let mut publisher = MqttClient::connect(broker, "fdi-bench-publisher", true);
        let messages: Vec<&str> = text.lines().collect();
        for chunk in messages.chunks(PUBLISH_CHUNK) {
            let payloads: Vec<Vec<u8>> = chunk.iter().map(|m| m.as_bytes().to_vec()).collect();
            publisher.publish_all(topic, &payloads);
        }
        publisher.disconnect();
        Ok(())
    }
}

/// The row the last message of a stream leaves (its key and its `sequence`, the message's
/// position): once it is in the table, the program has read every message.
pub struct LastRow {
    pub equipment_id: String,
    pub job: String,
    pub sequence: i64,
}

impl LastRow {
    /// From the last line of the input (the generator makes it name a known machine) and the
    /// master data the mapping looks the machine up in.
    pub fn of_input(input: &Path, machines: &Path) -> Result<LastRow, String> {
        let text =
            std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let last = text.lines().last().ok_or("the input is empty")?;
        let event: serde_json::Value = serde_json::from_str(last).map_err(|e| e.to_string())?;
        let code = event["machine"].as_str().ok_or("no machine")?;
        let mut reader = csv::Reader::from_path(machines).map_err(|e| e.to_string())?;
        let equipment_id = reader
            .records()
            .filter_map(Result::ok)
            .find(|row| &row[0] == code)
            .map(|row| row[1].to_string())
            .ok_or_else(|| format!("the last message names {code}, not in the master data"))?;
        Ok(LastRow {
            equipment_id,
            job: event["job"].as_str().ok_or("no job")?.to_string(),
            sequence: text.lines().count() as i64,
        })
    }

    /// Whether the row is in `client`'s `job_counters` (a table not created yet: not yet).
    pub fn is_in(&self, client: &mut postgres::Client) -> Result<bool, String> {
        let query =
            "SELECT 1 FROM job_counters WHERE equipment_id = $1 AND job = $2 AND sequence = $3";
        match client.query_opt(query, &[&self.equipment_id, &self.job, &self.sequence]) {
            Ok(row) => Ok(row.is_some()),
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => Ok(false),
            Err(e) => Err(sql_error(e)),
        }
    }
}

/// How long a service may go without committing a new row before the bench gives up on it.
const STALLED_AFTER: Duration = Duration::from_secs(60);
/// How often the watchdog looks (a scan of the table: seldom, to load the server little).
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Notices a service that stopped committing rows, so that the bench fails with what it found
/// instead of waiting for a row that never comes.
pub struct Watchdog {
    last_sequence: i64,
    progressed: Instant,
    looked: Instant,
}

impl Watchdog {
    pub fn new() -> Self {
        let now = Instant::now();
        Watchdog {
            last_sequence: 0,
            progressed: now,
            looked: now,
        }
    }

    /// An error once the highest `sequence` in the table has not grown for [`STALLED_AFTER`].
    pub fn check(&mut self, client: &mut postgres::Client) -> Result<(), String> {
        if self.looked.elapsed() < PROGRESS_EVERY {
            return Ok(());
        }
        self.looked = Instant::now();
        let query = "SELECT coalesce(max(sequence), 0) FROM job_counters";
        let sequence: i64 = match client.query_one(query, &[]) {
            Ok(row) => row.get(0),
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => 0,
            Err(e) => return Err(sql_error(e)),
        };
        if sequence > self.last_sequence {
            self.last_sequence = sequence;
            self.progressed = Instant::now();
        } else if self.progressed.elapsed() > STALLED_AFTER {
            return Err(format!(
                "no row committed for {} s: the highest sequence in the table is {sequence}",
                STALLED_AFTER.as_secs()
            ));
        }
        Ok(())
    }
}
