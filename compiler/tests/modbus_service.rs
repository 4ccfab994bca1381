//! A generated service from a real Modbus TCP device (pymodbus, started by `fdi-peers`) into a
//! historian table in SQLite: the device shows 10,000 successive register frames of an energy
//! meter, one per poll, in four byte/word orders, scaled and offset; the program writes one row
//! per change, and every row holds the values computed here from the numbers each frame was
//! laid out from (with Rust's own `to_be_bytes`, never the runtime's codec).

mod support;

use fdi_peers::{laid_out, ModbusDevice, Table};
use support::service::{build_test_program, Service};

const POLLS: u32 = 10_000;

/// The meter's numbers at its `seq`-th poll, as the device holds them (raw) and as the
/// historian must show them.
struct Frame {
    seq: u32,
    voltage: f32,
    current: f32,
    power_raw: i32,
    energy: f64,
    frequency_raw: u16,
    temperature_raw: i16,
    overload: bool,
}

fn frame(seq: u32) -> Frame {
    Frame {
        seq,
        voltage: 230.0 + (seq % 100) as f32 * 0.1,
        current: (seq % 37) as f32 * 0.25,
        power_raw: (seq % 5000) as i32 - 1000,
        energy: 1000.0 + f64::from(seq) * 0.125,
        frequency_raw: 4990 + (seq % 20) as u16,
        temperature_raw: (seq % 800) as i16,
        overload: seq.is_multiple_of(7),
    }
}

/// Input registers 0..19 as `tests/programs/modbus_to_sqlite/schema.yaml` maps them.
fn registers(f: &Frame) -> Vec<u16> {
    let mut words = Vec::new();
    words.extend(laid_out(&f.seq.to_be_bytes(), "CDAB"));
    words.extend(laid_out(&f.voltage.to_be_bytes(), "CDAB"));
    words.extend(laid_out(&f.current.to_be_bytes(), "DCBA"));
    words.extend(laid_out(&f.power_raw.to_be_bytes(), "ABCD"));
    words.extend(laid_out(&f.energy.to_be_bytes(), "BADC"));
    words.push(f.frequency_raw);
    words.push(f.temperature_raw as u16);
    // Bit 3 is the overload flag; bit 15 is set too, which the field must not read.
    words.push(0x8000 | if f.overload { 1 << 3 } else { 0 });
    words.extend(laid_out(b"PM5560\0\0", "ABCD"));
    words
}

/// The historian's row for a frame: seq, voltage, current, power (W), energy, frequency,
/// temperature, overload, model.
type Row = (i64, f64, f64, f64, f64, f64, f64, bool, String);

fn expected(f: &Frame) -> Row {
    (
        i64::from(f.seq),
        f64::from(f.voltage),
        f64::from(f.current),
        // kW on the meter (raw * 0.001), W in the historian (`power as [W]`).
        f64::from(f.power_raw) * 0.001 * 1000.0,
        f.energy,
        f64::from(f.frequency_raw) * 0.01,
        f64::from(f.temperature_raw) * 0.1 - 40.0,
        f.overload,
        "PM5560".to_string(),
    )
}

#[test]
fn ten_thousand_polls_of_an_energy_meter_reach_the_historian_with_every_value_exact() {
    let mut device =
        ModbusDevice::start(3).expect("pymodbus (install it with tests/peers/install)");
    let frames: Vec<Frame> = (1..=POLLS).map(frame).collect();
    let words: Vec<Vec<u16>> = frames.iter().map(registers).collect();
    device.play_frames(Table::Input, 0, &words).unwrap();

    let binary = build_test_program("modbus_to_sqlite");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        format!(
            "[connections.meter]\nhost = \"127.0.0.1\"\nport = {}\ntimeout = \"2s\"\n",
            device.port()
        ),
    )
    .unwrap();
    let database = dir.path().join("historian.db");
    let service = Service::start(&binary, dir.path());
    let count = || {
        rusqlite::Connection::open(&database)
            .and_then(|c| c.query_row("SELECT count(*) FROM meter", [], |r| r.get::<_, i64>(0)))
            .map_or(0, |n| n as usize)
    };
    // A poll takes a few milliseconds of a busy machine's time: 10,000 may take minutes there,
    // so the guard against a program that never gets there is generous.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(900);
    while count() < POLLS as usize {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {POLLS} rows after 900 s",
            count()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(device.frames_left(Table::Input, 0).unwrap(), 0);
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);
    // Polls after the last frame find the same values: with `emit: "change"` no record.
    assert_eq!(
        support::flow(&summary, "record")["read"].as_u64(),
        Some(u64::from(POLLS))
    );

    let connection = rusqlite::Connection::open(&database).unwrap();
    let mut statement = connection
        .prepare("SELECT seq, voltage, current, power, energy, frequency, temperature, overload, model, read_at FROM meter ORDER BY seq")
        .unwrap();
    let rows: Vec<(Row, String)> = statement
        .query_map([], |r| {
            Ok((
                (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ),
                r.get(9)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), frames.len());
    for ((row, read_at), frame) in rows.iter().zip(&frames) {
        assert_eq!(row, &expected(frame), "poll {}", frame.seq);
        assert!(
            read_at.ends_with('Z') && read_at.len() >= 20,
            "read time {read_at}"
        );
    }
}

/// A setpoint of the MES: (seq, speed, temperature, limit, enable, trim). Every 7th speed does
/// not fit a u16 (except where the trim refuses first); every 10th has a trim, which the
/// device refuses (its address is refused).
fn setpoint(seq: u32) -> (u32, u32, f64, f32, bool, Option<u32>) {
    let speed = if seq.is_multiple_of(7) {
        70_000 + seq
    } else {
        seq * 37 % 60_000
    };
    let temperature = (f64::from(seq % 900) - 200.0) / 10.0;
    let trim = seq.is_multiple_of(10).then_some(seq);
    (
        seq,
        speed,
        temperature,
        seq as f32 * 0.5,
        seq.is_multiple_of(2),
        trim,
    )
}

/// Holding registers 0..4 as the drive holds a setpoint: speed, temperature * 10, the limit's
/// float low word first.
fn drive_registers(seq: u32) -> Vec<u16> {
    let (_, speed, _, limit, _, _) = setpoint(seq);
    let mut words = vec![speed as u16, ((seq % 900) as i16 - 200) as u16];
    words.extend(laid_out(&limit.to_be_bytes(), "CDAB"));
    words
}

#[test]
fn setpoints_reach_a_drive_and_what_it_refuses_is_dead_lettered_with_the_exception() {
    const RECORDS: u32 = 1_000;
    let mut device =
        ModbusDevice::start(4).expect("pymodbus (install it with tests/peers/install)");
    device.refuse(Table::Holding, 50, 1).unwrap();
    let binary = build_test_program("setpoints_to_modbus");
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (1..=RECORDS)
        .map(setpoint)
        .map(|(seq, speed, temperature, limit, enable, trim)| {
            serde_json::json!({"seq": seq, "speed": speed, "temperature": temperature, "limit": f64::from(limit), "enable": enable, "trim": trim}).to_string()
        })
        .collect();
    std::fs::write(dir.path().join("setpoints.jsonl"), lines.join("\n") + "\n").unwrap();
    let config = dir.path().join("line.toml");
    std::fs::write(
        &config,
        format!(
            "[connections.drive]\nhost = \"127.0.0.1\"\nport = {}\n",
            device.port()
        ),
    )
    .unwrap();
    let dead_letter = dir.path().join("dead-letter.jsonl");
    let (code, summary) = support::run_json(
        &binary,
        &[
            "--base-dir",
            dir.path().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--dead-letter",
            dead_letter.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);

    let misfit = |seq: &u32| seq.is_multiple_of(7);
    let refused = |seq: &u32| seq.is_multiple_of(10) && !misfit(seq);
    let accepted: Vec<u32> = (1..=RECORDS)
        .filter(|s| !misfit(s) && !refused(s))
        .collect();
    let flow = support::flow(&summary, "download");
    assert_eq!(
        (flow["read"].as_u64(), flow["written"].as_u64()),
        (Some(u64::from(RECORDS)), Some(accepted.len() as u64))
    );

    let rejects = support::read_jsonl(&dead_letter);
    let rejected: Vec<(u64, String)> = rejects
        .iter()
        .map(|r| {
            (
                r["record"]["seq"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = (1..=RECORDS)
        .filter_map(|seq| {
            let reason = if misfit(&seq) {
                "field speed does not fit holding register 0"
            } else if refused(&seq) {
                "the device refused the write: IllegalDataAddress"
            } else {
                return None;
            };
            Some((u64::from(seq), reason.to_string()))
        })
        .collect();
    assert_eq!(rejected, expected);
    assert!(rejects.iter().all(|r| r["stage"] == "write"), "{rejects:?}");

    // A refused record's writes before the refused one stay written (its detail says so): the
    // last record, refused at its trim, left its holding registers; the coil is the last
    // accepted record's.
    assert_eq!(
        device.registers(Table::Holding, 0, 4).unwrap(),
        drive_registers(RECORDS)
    );
    let last = *accepted.last().unwrap();
    assert_eq!(device.bits(Table::Coil, 0, 1).unwrap(), [setpoint(last).4]);
    let refused_count = (1..=RECORDS).filter(refused).count() as u64;
    assert_eq!(
        device.requests(Table::Holding).unwrap().writes,
        accepted.len() as u64 + refused_count,
        "one request for the adjacent registers of each record written or refused at its trim"
    );
    assert_eq!(
        device.requests(Table::Coil).unwrap().writes,
        accepted.len() as u64
    );
}

/// A meter that stops answering: no row for the polls it missed, `/healthz` lists the source as
/// unreachable and says why (unhealthy once `--unhealthy-after` has passed) until it answers
/// again; a SIGTERM then drains.
#[test]
fn a_silent_meter_shows_in_health_and_the_polls_go_on_when_it_answers() {
    let mut device =
        ModbusDevice::start(3).expect("pymodbus (install it with tests/peers/install)");
    device
        .set_registers(Table::Input, 0, &registers(&frame(1)))
        .unwrap();
    let binary = build_test_program("modbus_to_sqlite");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        format!(
            "[connections.meter]\nhost = \"127.0.0.1\"\nport = {}\ntimeout = \"200ms\"\n",
            device.port()
        ),
    )
    .unwrap();
    let database = dir.path().join("historian.db");
    let rows = || {
        rusqlite::Connection::open(&database)
            .and_then(|c| c.query_row("SELECT count(*) FROM meter", [], |r| r.get::<_, i64>(0)))
            .map_or(0, |n| n as usize)
    };
    let service = Service::start_serving_metrics(&binary, dir.path());
    support::service::wait_for_count("the first row", 1, rows);
    assert!(service.health().1.contains("\"unreachable\":[]"));

    device.set_silent(true).unwrap();
    support::service::wait_for_count("health to name the silent meter", 1, || {
        let (_, body) = service.health();
        usize::from(body.contains("\"target\":\"meter\"") && body.contains("no answer"))
    });
    device
        .set_registers(Table::Input, 0, &registers(&frame(2)))
        .unwrap();
    device.set_silent(false).unwrap();
    support::service::wait_for_count("the row of the poll after the silence", 2, rows);
    support::service::wait_for_count("health to be clear again", 1, || {
        usize::from(service.health().1.contains("\"unreachable\":[]"))
    });
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);
    let seqs: Vec<i64> = rusqlite::Connection::open(&database)
        .unwrap()
        .prepare("SELECT seq FROM meter ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(seqs, [1, 2]);
}
