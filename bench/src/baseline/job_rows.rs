//! What the two PostgreSQL baselines share: a counter event mapped to a `job_counters` row as the
//! mapping maps it (the checks of `sqlite_upsert.rs`), and a batch of rows upserted with one
//! `INSERT ... SELECT * FROM UNNEST(...) ON CONFLICT DO UPDATE` in one transaction, through
//! tokio-postgres as the runtime's target does.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, NoTls, Statement};

use super::Machine;

#[derive(Deserialize)]
struct CounterEvent<'a> {
    #[serde(borrow)]
    machine: Cow<'a, str>,
    #[serde(borrow)]
    job: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    good_parts: i64,
    scrap_parts: i64,
    energy: f64,
}

/// A row of `job_counters`; serialized as JSON in the local queue (`local_queue.rs`).
#[derive(Serialize, Deserialize)]
pub struct JobRow {
    equipment_id: String,
    job: String,
    line: String,
    updated_at: DateTime<Utc>,
    good_parts: i64,
    total_parts: i64,
    energy: f64,
    sequence: i64,
}

/// Why an event is not a row: the dead letter's stage, reason and detail.
pub struct Rejection {
    pub stage: &'static str,
    pub reason: &'static str,
    pub detail: String,
}

fn rejected(stage: &'static str, reason: &'static str) -> Rejection {
    Rejection {
        stage,
        reason,
        detail: String::new(),
    }
}

/// The mapping's checks and computations, with the master data.
pub struct Mapper<'m> {
    machine_code: Regex,
    job_id: Regex,
    machines: &'m HashMap<String, Machine>,
}

impl<'m> Mapper<'m> {
    pub fn new(machines: &'m HashMap<String, Machine>) -> Result<Self, String> {
        Ok(Mapper {
            machine_code: Regex::new("^(?:[A-Z]+-[0-9]{3})$").map_err(|e| e.to_string())?,
            job_id: Regex::new("^(?:J-[0-9]{6})$").map_err(|e| e.to_string())?,
            machines,
        })
    }

    /// The row that the event `text`, read at `position`, becomes.
    pub fn row(&self, text: &str, position: u64) -> Result<JobRow, Rejection> {
        let decode_failure = |reason: &'static str, detail: String| Rejection {
            stage: "decode",
            reason,
            detail,
        };
        let event: CounterEvent = serde_json::from_str(text)
            .map_err(|e| decode_failure(super::json_decode_reason(&e), e.to_string()))?;
        let updated_at = DateTime::parse_from_rfc3339(event.timestamp.trim())
            .map_err(|_| {
                let detail = format!("{:?} is not a timestamp", event.timestamp);
                decode_failure("not a timestamp", detail)
            })?
            .to_utc();
        if !self.machine_code.is_match(&event.machine) {
            return Err(rejected("map", "malformed machine code"));
        }
        let Some(machine) = self.machines.get(event.machine.as_ref()) else {
            return Err(rejected("map", "unknown machine"));
        };
        if !self.job_id.is_match(&event.job) {
            return Err(rejected("map", "malformed job id"));
        }
        let energy = event.energy * 1e-3;
        if !energy.is_finite() {
            return Err(rejected("write", "value is not a finite number"));
        }
        Ok(JobRow {
            equipment_id: machine.equipment_id.clone(),
            job: event.job.into_owned(),
            line: machine.line.clone(),
            updated_at,
            good_parts: event.good_parts,
            total_parts: event.good_parts.saturating_add(event.scrap_parts),
            energy,
            sequence: position as i64,
        })
    }
}

/// The table as the runtime creates it for the `JobCounter` entity.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS job_counters (equipment_id text NOT NULL, \
    job text NOT NULL, line text NOT NULL, updated_at timestamp with time zone NOT NULL, \
    good_parts bigint NOT NULL, total_parts bigint NOT NULL, energy double precision NOT NULL, \
    sequence bigint NOT NULL, PRIMARY KEY (equipment_id, job))";

const UPSERT: &str = "INSERT INTO job_counters (equipment_id, job, line, updated_at, good_parts, \
    total_parts, energy, sequence) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], \
    $4::timestamptz[], $5::int8[], $6::int8[], $7::float8[], $8::int8[]) \
    ON CONFLICT (equipment_id, job) DO UPDATE SET line = EXCLUDED.line, \
    updated_at = EXCLUDED.updated_at, good_parts = EXCLUDED.good_parts, \
    total_parts = EXCLUDED.total_parts, energy = EXCLUDED.energy, sequence = EXCLUDED.sequence";

/// A connection with the table in place and the upsert prepared.
pub struct Database {
    client: Client,
    upsert: Statement,
}

fn sql(e: tokio_postgres::Error) -> String {
    e.to_string()
}

impl Database {
    /// Connects (the connection runs in a task of its own), creates the table if it is missing
    /// and prepares the upsert.
    pub async fn connect(connection: &str) -> Result<Database, String> {
        let (client, connection) = tokio_postgres::connect(connection, NoTls)
            .await
            .map_err(sql)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("PostgreSQL connection: {e}");
            }
        });
        client.batch_execute(CREATE).await.map_err(sql)?;
        let upsert = client.prepare(UPSERT).await.map_err(sql)?;
        Ok(Database { client, upsert })
    }

    /// Upserts `rows` in one transaction and empties it. One statement may not update a row
    /// twice, so of the rows with the same key only the last is sent, which is what writing
    /// them one by one would leave.
    pub async fn commit(&mut self, rows: &mut Vec<JobRow>) -> Result<(), String> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut seen = HashSet::with_capacity(rows.len());
        let mut last: Vec<&JobRow> = rows
            .iter()
            .rev()
            .filter(|r| seen.insert((r.equipment_id.as_str(), r.job.as_str())))
            .collect();
        last.reverse();
        let texts = |f: fn(&JobRow) -> &str| last.iter().map(|r| f(r)).collect::<Vec<&str>>();
        let numbers = |f: fn(&JobRow) -> i64| last.iter().map(|r| f(r)).collect::<Vec<i64>>();
        let equipment_ids = texts(|r| &r.equipment_id);
        let jobs = texts(|r| &r.job);
        let lines = texts(|r| &r.line);
        let times: Vec<DateTime<Utc>> = last.iter().map(|r| r.updated_at).collect();
        let good_parts = numbers(|r| r.good_parts);
        let total_parts = numbers(|r| r.total_parts);
        let energies: Vec<f64> = last.iter().map(|r| r.energy).collect();
        let sequences = numbers(|r| r.sequence);
        let transaction = self.client.transaction().await.map_err(sql)?;
        transaction
            .execute(
                &self.upsert,
                &[
                    &equipment_ids,
                    &jobs,
                    &lines,
                    &times,
                    &good_parts,
                    &total_parts,
                    &energies,
                    &sequences,
                ],
            )
            .await
            .map_err(sql)?;
        transaction.commit().await.map_err(sql)?;
        rows.clear();
        Ok(())
    }
}
