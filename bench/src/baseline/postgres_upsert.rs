//! Hand-written `postgres_upsert`: the same work as `bench/workloads/postgres_upsert`, reading
//! the file line by line and appending the rows to the local queue (`local_queue.rs`) in one
//! durable transaction per 1000 records read (the generated program's default
//! `--checkpoint-every`); the queue's forwarder upserts them into PostgreSQL, and the run ends
//! once the queue is empty.

use std::collections::HashMap;
use std::path::Path;

use super::job_rows::{Database, Mapper};
use super::local_queue::LocalQueue;
use super::{Machine, Rejects};

const BATCH: u64 = 1000;

pub fn run(
    input: &Path,
    machines: &HashMap<String, Machine>,
    mut rejects: Rejects,
    postgres: &str,
    queue: &Path,
) -> Result<(), String> {
    let mapper = Mapper::new(machines)?;
    let mut lines = super::Lines::open(input)?;
    let runtime = super::tokio_runtime()?;
    let database = runtime.block_on(Database::connect(postgres))?;
    let queue = LocalQueue::open(queue, database, runtime.handle().clone())?;
    let mut rows = Vec::with_capacity(BATCH as usize);
    while let Some((position, text)) = lines.next_line()? {
        if !text.trim().is_empty() {
            match mapper.row(text, position) {
                Ok(row) => rows.push(row),
                Err(r) => rejects.reject(r.stage, r.reason, &r.detail, position, text)?,
            }
        }
        if position % BATCH == 0 {
            queue.append(&mut rows)?;
        }
    }
    queue.append(&mut rows)?;
    // A batch run ends once its queue has reached PostgreSQL, as the generated program's does.
    queue.drain()?;
    queue.close()?;
    rejects.finish()
}
