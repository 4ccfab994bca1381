//! The target on its own: records written and read back at the device, registers compared with
//! layouts computed by the test.

use fdi_peers::{laid_out, Table, LAYOUTS};
use fdi_runtime::modbus::ModbusTarget;
use fdi_runtime::serde_json::{json, Map, Value};
use fdi_runtime::target::{Durable, Target};
use fdi_runtime::{FieldKind, Order, RegisterField, RegisterMap, RegisterTable, RegisterType};

use crate::support::{peer, Peer, UNIT};

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn target(peer: &Peer, fields: Vec<RegisterField>) -> ModbusTarget<Value> {
    let map = RegisterMap {
        fields: Box::leak(fields.into_boxed_slice()),
        read_time: None,
        quality: &[],
    };
    ModbusTarget::new("limits", peer.connection(), UNIT, map, peer.io.handle()).unwrap()
}

#[test]
fn every_order_is_written_as_the_manuals_lay_it_out() {
    let mut peer = peer();
    let mut fields = Vec::new();
    let mut record = Map::new();
    // (field, registers the device must hold after the write)
    let mut expected: Vec<(u16, Vec<u16>)> = Vec::new();
    let values: [(&str, RegisterType, FieldKind, Vec<u8>, Value); 4] = [
        (
            "u32",
            RegisterType::U32,
            FieldKind::Int,
            4_000_000_000u32.to_be_bytes().to_vec(),
            json!(4_000_000_000u32),
        ),
        (
            "i32",
            RegisterType::I32,
            FieldKind::Int,
            (-2_000_000_000i32).to_be_bytes().to_vec(),
            json!(-2_000_000_000),
        ),
        (
            "f32",
            RegisterType::F32,
            FieldKind::Float,
            1.5e-3f32.to_be_bytes().to_vec(),
            json!(f64::from(1.5e-3f32)),
        ),
        (
            "f64",
            RegisterType::F64,
            FieldKind::Float,
            (-98765.4321f64).to_be_bytes().to_vec(),
            json!(-98765.4321),
        ),
    ];
    let mut address = 100;
    for (name, ty, kind, bytes, value) in values {
        for layout in LAYOUTS {
            let byte_order = if layout.starts_with(['B', 'D']) {
                Order::Little
            } else {
                Order::Big
            };
            let word_order = if layout.starts_with(['C', 'D']) {
                Order::Little
            } else {
                Order::Big
            };
            let name = leak(format!("{name}_{layout}"));
            fields.push(RegisterField {
                byte_order,
                word_order,
                ..RegisterField::new(name, kind, RegisterTable::Holding, address, ty)
            });
            record.insert(name.to_string(), value.clone());
            expected.push((address, laid_out(&bytes, layout)));
            // A gap between values, so that each is a request of its own.
            address += ty.count() + 1;
        }
    }
    fields.push(RegisterField::new(
        "label",
        FieldKind::Text,
        RegisterTable::Holding,
        300,
        RegisterType::String(4),
    ));
    record.insert("label".into(), json!("LIM-7"));
    expected.push((300, laid_out(b"LIM-7\0\0\0", "ABCD")));
    let setpoint = RegisterField {
        scale: 0.5,
        offset: 10.0,
        ..RegisterField::new(
            "setpoint",
            FieldKind::Float,
            RegisterTable::Holding,
            310,
            RegisterType::I16,
        )
    };
    fields.push(setpoint);
    record.insert("setpoint".into(), json!(-20.0));
    expected.push((310, vec![(-60i16) as u16]));
    fields.push(RegisterField::new(
        "enable",
        FieldKind::Bool,
        RegisterTable::Coil,
        5,
        RegisterType::Bool,
    ));
    record.insert("enable".into(), json!(true));
    fields.push(RegisterField::new(
        "alarm_bit",
        FieldKind::Bool,
        RegisterTable::Holding,
        320,
        RegisterType::Bit(9),
    ));
    record.insert("alarm_bit".into(), json!(true));
    peer.device
        .set_registers(Table::Holding, 320, &[0b101])
        .unwrap();

    let mut target = target(&peer, fields);
    assert_eq!(target.write(&Value::Object(record)).unwrap(), Ok(()));
    target.flush().unwrap();
    for (address, words) in expected {
        let count = words.len() as u16;
        assert_eq!(
            peer.device
                .registers(Table::Holding, address, count)
                .unwrap(),
            words,
            "at {address}"
        );
    }
    assert_eq!(peer.device.bits(Table::Coil, 5, 1).unwrap(), [true]);
    // The other bits of the register are left as they were.
    assert_eq!(
        peer.device.registers(Table::Holding, 320, 1).unwrap(),
        [0b101 | 1 << 9]
    );
}

#[test]
fn a_value_that_does_not_fit_rejects_the_record_before_anything_is_written() {
    let mut peer = peer();
    let fields = vec![
        RegisterField::new(
            "speed",
            FieldKind::Int,
            RegisterTable::Holding,
            0,
            RegisterType::U16,
        ),
        RegisterField::new(
            "level",
            FieldKind::Int,
            RegisterTable::Holding,
            1,
            RegisterType::I16,
        ),
    ];
    let mut target = target(&peer, fields);
    let reject = target
        .write(&json!({"speed": 1200, "level": 40_000}))
        .unwrap()
        .unwrap_err();
    assert_eq!(reject.reason, "field level does not fit holding register 1");
    assert!(reject.detail.unwrap().contains("does not fit a i16"));
    assert_eq!(peer.device.registers(Table::Holding, 0, 2).unwrap(), [0, 0]);
    assert_eq!(peer.device.requests(Table::Holding).unwrap().writes, 0);
}

#[test]
fn a_refused_write_is_a_reject_with_the_exception_and_silence_is_transient() {
    let mut peer = peer();
    let fields = vec![RegisterField::new(
        "speed",
        FieldKind::Int,
        RegisterTable::Holding,
        40,
        RegisterType::U16,
    )];
    let mut target = target(&peer, fields);
    peer.device.refuse(Table::Holding, 40, 1).unwrap();
    let reject = target.write(&json!({"speed": 3})).unwrap().unwrap_err();
    assert_eq!(
        reject.reason,
        "the device refused the write: IllegalDataAddress"
    );
    peer.device.accept_all().unwrap();
    assert_eq!(target.write(&json!({"speed": 4})).unwrap(), Ok(()));
    assert_eq!(peer.device.registers(Table::Holding, 40, 1).unwrap(), [4]);

    peer.device.set_silent(true).unwrap();
    let error = target.write(&json!({"speed": 5})).unwrap_err();
    assert!(target.is_transient(&error), "{error}");
    peer.device.set_silent(false).unwrap();
    // The run's retry: the same record again, written once the device answers.
    assert_eq!(target.write(&json!({"speed": 5})).unwrap(), Ok(()));
    assert_eq!(peer.device.registers(Table::Holding, 40, 1).unwrap(), [5]);
}
