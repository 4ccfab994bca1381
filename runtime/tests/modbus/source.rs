//! The source on its own: each poll's record against values laid out at the device by the test.

use std::sync::Arc;
use std::time::Duration;

use fdi_peers::{laid_out, Table, LAYOUTS};
use fdi_runtime::modbus::{Emit, ModbusPoll, ModbusSource};
use fdi_runtime::ops::health::HealthBoard;
use fdi_runtime::serde_json::{json, Map, Value};
use fdi_runtime::source::{Delivery, StreamSource};
use fdi_runtime::{FieldKind, Order, RegisterField, RegisterMap, RegisterTable, RegisterType};

use crate::support::{peer, wait_for, Peer, UNIT};

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn orders(layout: &str) -> (Order, Order) {
    let byte = if layout.starts_with(['B', 'D']) {
        Order::Little
    } else {
        Order::Big
    };
    let word = if layout.starts_with(['C', 'D']) {
        Order::Little
    } else {
        Order::Big
    };
    (byte, word)
}

/// A map, the registers and bits the device holds for it, and the record a poll must give.
#[derive(Default)]
struct Plant {
    fields: Vec<RegisterField>,
    holding: Vec<(u16, Vec<u16>)>,
    coils: Vec<(u16, Vec<bool>)>,
    discrete: Vec<(u16, Vec<bool>)>,
    input: Vec<(u16, Vec<u16>)>,
    expected: Map<String, Value>,
}

impl Plant {
    fn register(&mut self, field: RegisterField, words: Vec<u16>, expected: Value) {
        match field.table {
            RegisterTable::Input => self.input.push((field.address, words)),
            _ => self.holding.push((field.address, words)),
        }
        self.expected.insert(field.name.to_string(), expected);
        self.fields.push(field);
    }

    fn load(&self, peer: &mut Peer) {
        for (address, words) in &self.holding {
            peer.device
                .set_registers(Table::Holding, *address, words)
                .unwrap();
        }
        for (address, words) in &self.input {
            peer.device
                .set_registers(Table::Input, *address, words)
                .unwrap();
        }
        for (address, bits) in &self.coils {
            peer.device.set_bits(Table::Coil, *address, bits).unwrap();
        }
        for (address, bits) in &self.discrete {
            peer.device
                .set_bits(Table::DiscreteInput, *address, bits)
                .unwrap();
        }
    }

    fn map(&self) -> RegisterMap {
        RegisterMap {
            fields: Box::leak(self.fields.clone().into_boxed_slice()),
            read_time: Some("read_at"),
            quality: &[("power_quality", "power_timestamp")],
        }
    }
}

/// Every wide type in every layout, one-register types, bits, text, scale and offset, coils and
/// discrete inputs; values chosen so that a wrong order gives another number.
fn plant() -> Plant {
    let mut plant = Plant::default();
    let wide: [(&str, RegisterType, FieldKind, Vec<u8>, Value); 5] = [
        (
            "u32",
            RegisterType::U32,
            FieldKind::Int,
            0xA1B2_C3D4u32.to_be_bytes().to_vec(),
            json!(0xA1B2_C3D4u32),
        ),
        (
            "i32",
            RegisterType::I32,
            FieldKind::Int,
            (-123_456_789i32).to_be_bytes().to_vec(),
            json!(-123_456_789),
        ),
        (
            "f32",
            RegisterType::F32,
            FieldKind::Float,
            0.1f32.to_be_bytes().to_vec(),
            json!(f64::from(0.1f32)),
        ),
        (
            "f32_exact",
            RegisterType::F32,
            FieldKind::Float,
            230.125f32.to_be_bytes().to_vec(),
            json!(230.125),
        ),
        (
            "f64",
            RegisterType::F64,
            FieldKind::Float,
            12345.678901234f64.to_be_bytes().to_vec(),
            json!(12345.678901234),
        ),
    ];
    let mut address = 0;
    for (name, ty, kind, bytes, value) in wide {
        for layout in LAYOUTS {
            let (byte_order, word_order) = orders(layout);
            let field = RegisterField {
                byte_order,
                word_order,
                ..RegisterField::new(
                    leak(format!("{name}_{layout}")),
                    kind,
                    RegisterTable::Holding,
                    address,
                    ty,
                )
            };
            plant.register(field, laid_out(&bytes, layout), value.clone());
            address += ty.count();
        }
    }
    // One register beyond, so that the map needs a second request: a gap is never read.
    address += 1;
    let mut at = |ty: RegisterType, kind: FieldKind, name: &str| {
        address += ty.count();
        RegisterField::new(
            leak(name.to_string()),
            kind,
            RegisterTable::Holding,
            address - ty.count(),
            ty,
        )
    };
    let swapped = RegisterField {
        byte_order: Order::Little,
        ..at(RegisterType::U16, FieldKind::Int, "u16_swapped")
    };
    plant.register(swapped, vec![0x3412], json!(0x1234));
    let signed = at(RegisterType::I16, FieldKind::Int, "i16");
    plant.register(signed, vec![(-2i16) as u16], json!(-2));
    let bit = at(RegisterType::Bit(13), FieldKind::Bool, "bit13");
    plant.register(bit, vec![1 << 13], json!(true));
    let clear = at(RegisterType::Bit(2), FieldKind::Bool, "bit2");
    plant.register(clear, vec![!(1u16 << 2)], json!(false));
    let flag = at(RegisterType::Bool, FieldKind::Bool, "flag");
    plant.register(flag, vec![5], json!(true));
    let name = at(RegisterType::String(3), FieldKind::Text, "model");
    plant.register(name, laid_out(b"PM556\0", "ABCD"), json!("PM556"));
    let name_swapped = RegisterField {
        byte_order: Order::Little,
        ..at(RegisterType::String(3), FieldKind::Text, "model_swapped")
    };
    plant.register(name_swapped, laid_out(b"PM5560", "BADC"), json!("PM5560"));
    let temperature = RegisterField {
        scale: 0.1,
        offset: -40.0,
        ..at(RegisterType::I16, FieldKind::Float, "temperature")
    };
    plant.register(temperature, vec![655], json!(655.0 * 0.1 - 40.0));
    let energy = RegisterField {
        scale: 10.0,
        offset: 5.0,
        ..at(RegisterType::U32, FieldKind::Int, "energy")
    };
    plant.register(energy, vec![0x0001, 0x0002], json!(65538 * 10 + 5));
    // An input register as an energy meter has it: a float, low word first.
    let power = RegisterField {
        word_order: Order::Little,
        scale: 0.001,
        ..RegisterField::new(
            "power",
            FieldKind::Float,
            RegisterTable::Input,
            30,
            RegisterType::F32,
        )
    };
    plant.register(
        power,
        laid_out(&4500.0f32.to_be_bytes(), "CDAB"),
        json!(4500.0 * 0.001),
    );
    for (i, set) in [true, false, true].into_iter().enumerate() {
        let name = leak(format!("coil{i}"));
        plant.fields.push(RegisterField::new(
            name,
            FieldKind::Bool,
            RegisterTable::Coil,
            10 + i as u16,
            RegisterType::Bool,
        ));
        plant.expected.insert(name.to_string(), json!(set));
    }
    plant.coils.push((10, vec![true, false, true]));
    plant.fields.push(RegisterField::new(
        "door_open",
        FieldKind::Bool,
        RegisterTable::DiscreteInput,
        4,
        RegisterType::Bool,
    ));
    plant.expected.insert("door_open".into(), json!(true));
    plant.discrete.push((4, vec![true]));
    plant
}

/// Polls every 5 ms.
fn source(
    peer: &Peer,
    map: RegisterMap,
    emit: Emit,
    health: Option<Arc<HealthBoard>>,
) -> ModbusSource {
    polling(peer, map, emit, health, Duration::from_millis(5))
}

fn polling(
    peer: &Peer,
    map: RegisterMap,
    emit: Emit,
    health: Option<Arc<HealthBoard>>,
    poll_interval: Duration,
) -> ModbusSource {
    let poll = ModbusPoll {
        unit_id: UNIT,
        map,
        poll_interval,
        emit,
    };
    ModbusSource::new("meter", peer.connection(), poll, health)
}

fn record(delivery: &Delivery) -> Map<String, Value> {
    assert_eq!(delivery.records.len(), 1, "one record per poll");
    match delivery.records[0].original() {
        Value::Object(object) => object,
        other => panic!("not an object: {other}"),
    }
}

/// The record without its read time, which it must have, and without the quality columns of
/// `power`, which must say GOOD as of the read time.
fn values(delivery: &Delivery) -> Map<String, Value> {
    let mut values = record(delivery);
    let read_at = values.remove("read_at").expect("a read time");
    fdi_runtime::Timestamp::parse(read_at.as_str().unwrap()).expect("an RFC 3339 read time");
    assert_eq!(values.remove("power_quality"), Some(json!("GOOD")));
    assert_eq!(values.remove("power_timestamp"), Some(read_at));
    values
}

#[test]
fn every_byte_and_word_order_decodes_the_known_values() {
    let mut peer = peer();
    let plant = plant();
    plant.load(&mut peer);
    // The first poll is at once, the next only in an hour: the device's counts are one poll's.
    let mut source = polling(
        &peer,
        plant.map(),
        Emit::Poll,
        None,
        Duration::from_secs(3600),
    );
    let delivery = peer.io.block_on(source.next()).unwrap().unwrap();
    assert_eq!(values(&delivery), plant.expected);
    assert_eq!(delivery.position, 1);
    // The map's holding registers lie in two runs (the wide values, then the others beyond a
    // gap); the input register, coils and discrete input are one request each.
    assert_eq!(peer.device.requests(Table::Holding).unwrap().reads, 2);
    assert_eq!(peer.device.requests(Table::Input).unwrap().reads, 1);
    assert_eq!(peer.device.requests(Table::Coil).unwrap().reads, 1);
    assert_eq!(peer.device.requests(Table::DiscreteInput).unwrap().reads, 1);
}

fn counter_map() -> RegisterMap {
    static FIELDS: [RegisterField; 1] = [RegisterField::new(
        "count",
        FieldKind::Int,
        RegisterTable::Holding,
        0,
        RegisterType::U16,
    )];
    RegisterMap {
        fields: &FIELDS,
        read_time: None,
        quality: &[],
    }
}

#[test]
fn on_change_a_poll_that_finds_the_same_values_is_no_record() {
    let mut peer = peer();
    peer.device.set_registers(Table::Holding, 0, &[41]).unwrap();
    let mut source = source(&peer, counter_map(), Emit::Change, None);
    let first = peer.io.block_on(source.next()).unwrap().unwrap();
    assert_eq!(record(&first)["count"], json!(41));
    let next = peer.io.spawn(async move { source.next().await });
    // Several polls find 41 again; only then does the value change.
    let polls_before = peer.device.requests(Table::Holding).unwrap().reads;
    wait_for("three more polls", || {
        peer.device.requests(Table::Holding).unwrap().reads >= polls_before + 3
    });
    peer.device.set_registers(Table::Holding, 0, &[42]).unwrap();
    let second = peer.io.block_on(next).unwrap().unwrap().unwrap();
    assert_eq!(
        (record(&second)["count"].clone(), second.position),
        (json!(42), 2)
    );
}

/// A device that answers with an exception, then one that does not answer: no record, the
/// device unreachable in health, and the right values once it answers again.
#[test]
fn exceptions_and_silence_are_no_record_and_show_in_health() {
    let mut peer = peer();
    peer.device.set_registers(Table::Holding, 0, &[7]).unwrap();
    let health = Arc::new(HealthBoard::new(Duration::ZERO));
    let mut source = source(&peer, counter_map(), Emit::Poll, Some(health.clone()));
    peer.device.refuse(Table::Holding, 0, 1).unwrap();
    let next = peer.io.spawn(async move {
        let delivery = source.next().await;
        (source, delivery)
    });
    wait_for("health to show the exception", || {
        health.verdict().body.contains("IllegalDataAddress")
    });
    assert!(!health.verdict().healthy);
    peer.device.set_registers(Table::Holding, 0, &[8]).unwrap();
    peer.device.accept_all().unwrap();
    let (mut source, delivery) = peer.io.block_on(next).unwrap();
    let delivery = delivery.unwrap().unwrap();
    assert_eq!(
        (record(&delivery)["count"].clone(), delivery.position),
        (json!(8), 1)
    );
    assert!(health.verdict().healthy, "{}", health.verdict().body);

    peer.device.set_silent(true).unwrap();
    // The source holds at most one poll made before the silence, which may still come: the task
    // keeps the source (whose poller ends when it is dropped) and takes records until the 9.
    let next = peer.io.spawn(async move {
        let mut counts = Vec::new();
        while counts.last() != Some(&json!(9)) {
            let delivery = source.next().await.unwrap().unwrap();
            counts.push(record(&delivery)["count"].clone());
        }
        counts
    });
    wait_for("health to show the silence", || {
        health.verdict().body.contains("no answer")
    });
    peer.device.set_registers(Table::Holding, 0, &[9]).unwrap();
    peer.device.set_silent(false).unwrap();
    let counts = peer.io.block_on(next).unwrap();
    let (last, before) = counts.split_last().unwrap();
    assert_eq!(last, &json!(9));
    assert!(before.iter().all(|c| c == &json!(8)), "{counts:?}");
    assert!(health.verdict().healthy, "{}", health.verdict().body);
}
