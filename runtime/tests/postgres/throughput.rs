//! The measurement behind the target's batch strategy (ignored by default; run with
//! `cargo test -p fdi-runtime --features postgres --test postgres -- --ignored --nocapture throughput`):
//! 100,000 rows inserted and then upserted again, in batches of 1,000 (the default checkpoint) and in one
//! batch, by (a) one `INSERT .. SELECT * FROM UNNEST(arrays) ON CONFLICT DO UPDATE` per batch, the target's
//! statement, and (b) `COPY` (binary) into a temporary staging table and one `INSERT .. SELECT ..
//! ON CONFLICT DO UPDATE` from it; then (c) the target itself, records serialized through serde. It prints
//! rows per second and checks the table after each, so a strategy that loses rows cannot look fast.

use std::time::Instant;

use fdi_runtime::postgres::PostgresTarget;
use fdi_runtime::{Durable, Target};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use crate::support::{peer, Peer};
use crate::target::{count, Count, COUNTS_TABLE};

const ROWS: i64 = 100_000;

const CREATE: &str = "DROP TABLE IF EXISTS counts; CREATE TABLE counts (machine text NOT NULL, \
    shift bigint NOT NULL, count bigint NOT NULL, load double precision NOT NULL, PRIMARY KEY (machine, shift))";

const UPSERT: &str = "INSERT INTO counts (machine, shift, count, load) \
    SELECT * FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::float8[]) \
    ON CONFLICT (machine, shift) DO UPDATE SET count = EXCLUDED.count, load = EXCLUDED.load";

const MERGE: &str = "INSERT INTO counts SELECT * FROM staging \
    ON CONFLICT (machine, shift) DO UPDATE SET count = EXCLUDED.count, load = EXCLUDED.load";

fn unnest(client: &mut postgres::Client, batch: &[Count]) {
    let mut transaction = client.transaction().unwrap();
    let machines: Vec<&str> = batch.iter().map(|c| c.machine.as_str()).collect();
    let shifts: Vec<i64> = batch.iter().map(|c| c.shift).collect();
    let counts: Vec<i64> = batch.iter().map(|c| c.count).collect();
    let loads: Vec<f64> = batch.iter().map(|c| c.load).collect();
    transaction
        .execute(UPSERT, &[&machines, &shifts, &counts, &loads])
        .unwrap();
    transaction.commit().unwrap();
}

fn copy_and_merge(client: &mut postgres::Client, batch: &[Count]) {
    let mut transaction = client.transaction().unwrap();
    transaction
        .batch_execute("CREATE TEMP TABLE staging (LIKE counts) ON COMMIT DROP")
        .unwrap();
    let sink = transaction
        .copy_in("COPY staging FROM STDIN (FORMAT binary)")
        .unwrap();
    let types = [Type::TEXT, Type::INT8, Type::INT8, Type::FLOAT8];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for c in batch {
        writer
            .write(&[&c.machine, &c.shift, &c.count, &c.load])
            .unwrap();
    }
    writer.finish().unwrap();
    transaction.execute(MERGE, &[]).unwrap();
    transaction.commit().unwrap();
}

/// Rows per second of `write` over `records` in batches of `batch` rows, into an empty table and then again
/// over the full one; the table is checked after each pass.
fn measure(
    peer: &Peer,
    name: &str,
    records: &[Count],
    batch: usize,
    mut write: impl FnMut(&[Count]),
) {
    peer.execute(CREATE);
    for pass in ["insert", "upsert"] {
        let started = Instant::now();
        for part in records.chunks(batch) {
            write(part);
        }
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(peer.value("SELECT count(*) FROM counts"), ROWS.to_string());
        assert_eq!(
            peer.value("SELECT sum(count)::text FROM counts"),
            (3 * ROWS * (ROWS - 1) / 2).to_string()
        );
        println!(
            "{name:<28} batches of {batch:>6}, {pass}: {:>9.0} rows/s ({seconds:.2} s)",
            records.len() as f64 / seconds
        );
    }
}

#[test]
#[ignore = "a measurement: run it on purpose, on a quiet machine"]
fn throughput_of_the_batch_strategies() {
    let peer = peer();
    let records: Vec<Count> = (0..ROWS).map(count).collect();
    for batch in [1_000, ROWS as usize] {
        let mut client = peer.client();
        measure(&peer, "UNNEST upsert", &records, batch, |part| {
            unnest(&mut client, part)
        });
        measure(&peer, "COPY to staging + merge", &records, batch, |part| {
            copy_and_merge(&mut client, part)
        });
    }
    // The target as a run uses it (one open, then write and flush per checkpoint).
    peer.execute(CREATE);
    let mut target: PostgresTarget<Count> = PostgresTarget::open(
        "counts",
        &peer.connection("fdi-throughput"),
        &COUNTS_TABLE,
        peer.io.handle(),
    )
    .unwrap();
    for batch in [1_000, ROWS as usize] {
        measure(
            &peer,
            "PostgresTarget (serde+UNNEST)",
            &records,
            batch,
            |part| {
                for record in part {
                    target.write(record).unwrap().unwrap();
                }
                target.flush().unwrap();
            },
        );
    }
}
