//! The example `examples/energy-to-historian/` end to end: its program, built unchanged, polls a
//! pymodbus device laid out as line 3's Eastron SDM630 (input registers, each value an IEEE 754
//! float high word first, at the addresses of Eastron's register map, written here from Rust's
//! own `f32::to_be_bytes`) through successive readings of a running line. The historian's
//! `energy` table must hold one row per poll with the values computed here from the readings
//! (power in kW, the net energy); a poll whose phase-1 voltage is NaN is dead-lettered with what
//! the meter held, never stored; and SIGTERM drains and exits 0 with the flow balanced.

mod support;

use fdi_peers::{ModbusDevice, Table};
use support::service::{wait_for_count, Service};

const METER: &str = "SDM630-L3";

/// What the meter measured at one poll, in its own units (V, A, W, Hz, kWh).
#[derive(Clone, Copy)]
struct Reading {
    voltages: [f32; 3],
    currents: [f32; 3],
    phase_powers: [f32; 3],
    total_power: f32,
    power_factor: f32,
    frequency: f32,
    import_energy: f32,
    export_energy: f32,
}

/// Line 3 drawing a varying load, 5 s between polls: the phase powers follow the currents at a
/// power factor near 0.97, and the import counter advances by the energy of the interval.
fn reading(poll: u32) -> Reading {
    let step = poll as f32;
    let voltages = [231.4 + 0.3 * step, 229.8 - 0.2 * step, 230.6 + 0.1 * step];
    let currents = [12.5 + 1.25 * step, 11.0 + 0.75 * step, 13.25 - 0.5 * step];
    let power_factor = 0.97 - 0.005 * step;
    let phase_powers: [f32; 3] =
        std::array::from_fn(|phase| voltages[phase] * currents[phase] * power_factor);
    let total_power: f32 = phase_powers.iter().sum();
    Reading {
        voltages,
        currents,
        phase_powers,
        total_power,
        power_factor,
        frequency: 50.02 - 0.01 * step,
        import_energy: 15234.5 + total_power * 5.0 / 3600.0 / 1000.0 * step,
        export_energy: 120.25,
    }
}

/// The SDM630's input registers 30001..30076 (addresses 0..75 on the wire) holding `reading`,
/// each float high word first as its manual says.
fn registers(reading: &Reading) -> Vec<u16> {
    // The registers the map does not read hold other quantities of the meter (VA, VAr, ...);
    // here a NaN's bit pattern, so that a read off the map would be a reject, not a wrong row.
    let mut words = vec![0xFFFF; 76];
    let mut put = |address: usize, value: f32| {
        let [a, b, c, d] = value.to_be_bytes();
        words[address] = u16::from_be_bytes([a, b]);
        words[address + 1] = u16::from_be_bytes([c, d]);
    };
    for phase in 0..3 {
        put(2 * phase, reading.voltages[phase]); // 30001, 30003, 30005
        put(6 + 2 * phase, reading.currents[phase]); // 30007, 30009, 30011
        put(12 + 2 * phase, reading.phase_powers[phase]); // 30013, 30015, 30017
    }
    put(52, reading.total_power); // 30053
    put(62, reading.power_factor); // 30063
    put(70, reading.frequency); // 30071
    put(72, reading.import_energy); // 30073
    put(74, reading.export_energy); // 30075
    words
}

/// The historian's columns after `meter` and `read_at`, in the order of [`expected_row`].
const COLUMNS: [&str; 12] = [
    "voltage_l1",
    "voltage_l2",
    "voltage_l3",
    "current_l1",
    "current_l2",
    "current_l3",
    "total_power",
    "power_factor",
    "frequency",
    "import_energy",
    "export_energy",
    "net_energy",
];
const TOTAL_POWER: usize = 6;

/// The row a reading must become, with the mapping's conversions written out here: the meter's
/// W to the historian's kW, and the net energy as import minus export (both kWh).
fn expected_row(r: &Reading) -> [f64; 12] {
    let [v1, v2, v3] = r.voltages.map(f64::from);
    let [i1, i2, i3] = r.currents.map(f64::from);
    let (import, export) = (f64::from(r.import_energy), f64::from(r.export_energy));
    [
        v1,
        v2,
        v3,
        i1,
        i2,
        i3,
        f64::from(r.total_power) / 1000.0,
        f64::from(r.power_factor),
        f64::from(r.frequency),
        import,
        export,
        import - export,
    ]
}

/// The `energy` table in the order the rows were written: (meter, read_at, the values of
/// [`COLUMNS`]).
fn historian_rows(database: &std::path::Path) -> Vec<(String, String, [f64; 12])> {
    let Ok(connection) = rusqlite::Connection::open(database) else {
        return Vec::new();
    };
    let query = format!(
        "SELECT meter, read_at, {} FROM energy ORDER BY rowid",
        COLUMNS.join(", ")
    );
    // The table exists once the program has opened its target.
    let Ok(mut statement) = connection.prepare(&query) else {
        return Vec::new();
    };
    statement
        .query_map([], |row| {
            let mut values = [0.0; 12];
            for (index, value) in values.iter_mut().enumerate() {
                *value = row.get(index + 2)?;
            }
            Ok((row.get(0)?, row.get(1)?, values))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn each_poll_of_the_meter_is_a_row_in_kilowatts_and_a_nan_is_dead_lettered() {
    let root = support::workspace_root().join("examples/energy-to-historian");
    let scratch = tempfile::tempdir().unwrap();
    let binary = support::build(
        &root.join("energy_to_historian.fdi"),
        &scratch.path().join("crate"),
    );

    // The mapping polls unit 1. The second poll finds phase 1's voltage not a number (a meter
    // that has no measurement to give); the others are the line's readings.
    let mut device =
        ModbusDevice::start(1).expect("pymodbus (install it with tests/peers/install)");
    let mut unmeasured = reading(2);
    unmeasured.voltages[0] = f32::NAN;
    let polls = [reading(1), unmeasured, reading(3), reading(4), reading(5)];
    let frames: Vec<Vec<u16>> = polls.iter().map(registers).collect();
    // The poll's first request reads from address 0: each poll shows the next frame.
    device.play_frames(Table::Input, 0, &frames).unwrap();
    let stored: Vec<Reading> = [0, 2, 3, 4].map(|poll| polls[poll]).to_vec();

    // The example's deployment settings as shipped, pointed at the device.
    let example_settings = std::fs::read_to_string(root.join("line.toml.example")).unwrap();
    let port = format!("port = {}", device.port());
    let settings = example_settings
        .replace("host = \"10.3.0.41\"", "host = \"127.0.0.1\"")
        .replace("port = 502", &port);
    assert!(
        settings.contains("host = \"127.0.0.1\"") && settings.contains(&port),
        "line.toml.example names the meter's host and port: {example_settings}"
    );
    let dir = scratch.path().join("line3");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("line.toml"), settings).unwrap();
    let database = dir.join("out/historian.db");
    let service = Service::start(&binary, &dir);
    wait_for_count("rows in the historian", stored.len(), || {
        historian_rows(&database).len()
    });
    assert_eq!(device.frames_left(Table::Input, 0).unwrap(), 0);
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "SIGTERM drains and exits 0: {summary}");
    support::assert_balanced(&summary);

    // Every poll is a row (`emit` is "poll"): polls after the last frame, before the SIGTERM
    // arrived, found the last reading again and are rows of it at their own read time.
    let rows = historian_rows(&database);
    let repeats = rows.len() - stored.len();
    let want: Vec<[f64; 12]> = stored
        .iter()
        .chain(std::iter::repeat_n(&polls[4], repeats))
        .map(expected_row)
        .collect();
    for (index, ((meter, read_at, got), want)) in rows.iter().zip(&want).enumerate() {
        assert_eq!(meter, METER, "row {index}");
        assert!(
            read_at.ends_with('Z') && read_at.len() >= 20,
            "row {index}'s read time {read_at}"
        );
        for (column, (got, want)) in COLUMNS.iter().zip(got.iter().zip(want)) {
            // The compiler converts W to kW by multiplying with 0.001, which is not exact in
            // binary: the result may differ from the division in the last bit.
            let close = if *column == COLUMNS[TOTAL_POWER] {
                (got - want).abs() <= want.abs() * f64::EPSILON
            } else {
                got == want
            };
            assert!(close, "row {index}, {column}: {got}, not {want}");
        }
    }
    let times: std::collections::BTreeSet<&String> =
        rows.iter().map(|(_, read_at, _)| read_at).collect();
    assert_eq!(times.len(), rows.len(), "one row per poll: {times:?}");

    let flow = support::flow(&summary, "sample");
    assert_eq!(flow["written"], rows.len(), "{summary}");
    assert_eq!(flow["rejected"], 1, "{summary}");
    assert_eq!(flow["read"], rows.len() + 1, "{summary}");

    let dead = support::read_jsonl(&dir.join("dead-letter.jsonl"));
    assert_eq!(dead.len(), 1, "{dead:?}");
    let nan = &dead[0];
    assert_eq!(
        (&nan["stage"], &nan["source"], &nan["position"]),
        (&"decode".into(), &"meter".into(), &2.into()),
        "{nan}"
    );
    assert!(
        nan["detail"].as_str().unwrap_or("").contains("voltage_l1"),
        "the reject names the field: {nan}"
    );
    // The dead letter keeps what the meter held: the NaN, and the poll's other values.
    assert_eq!(nan["record"]["voltage_l1"], "NaN", "{nan}");
    assert_eq!(
        nan["record"]["total_power"],
        f64::from(unmeasured.total_power),
        "{nan}"
    );
}
