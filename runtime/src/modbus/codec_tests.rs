//! Each byte and word order against registers laid out by hand from Rust's own big-endian bytes
//! of the value (not with the codec's helpers), and scale, offset, bits and text.

use serde_json::{json, Value};

use super::*;
use crate::modbus::map::{FieldKind, Order, RegisterField, RegisterTable, RegisterType};

/// The four layouts of a value's big-endian bytes `A B C D ...` over registers, as device
/// manuals name them, and the orders that read them.
const LAYOUTS: [(&str, Order, Order); 4] = [
    ("ABCD", Order::Big, Order::Big),
    ("BADC", Order::Little, Order::Big),
    ("CDAB", Order::Big, Order::Little),
    ("DCBA", Order::Little, Order::Little),
];

/// The registers that hold `bytes` (big-endian) in `layout`: registers in reverse for a
/// little word order, the two bytes of each swapped for a little byte order.
fn laid_out(bytes: &[u8], layout: &str) -> Vec<u16> {
    let mut pairs: Vec<[u8; 2]> = bytes.chunks(2).map(|p| [p[0], p[1]]).collect();
    if layout.starts_with('C') || layout.starts_with('D') {
        pairs.reverse();
    }
    if layout.starts_with('B') || layout.starts_with('D') {
        pairs.iter_mut().for_each(|p| p.swap(0, 1));
    }
    pairs
        .iter()
        .map(|p| (u16::from(p[0]) << 8) | u16::from(p[1]))
        .collect()
}

fn field(kind: FieldKind, ty: RegisterType, byte_order: Order, word_order: Order) -> RegisterField {
    RegisterField {
        byte_order,
        word_order,
        ..RegisterField::new("x", kind, RegisterTable::Holding, 0, ty)
    }
}

#[test]
fn the_layouts_are_the_ones_manuals_name() {
    let bytes = [0xA1, 0xB2, 0xC3, 0xD4];
    assert_eq!(laid_out(&bytes, "ABCD"), [0xA1B2, 0xC3D4]);
    assert_eq!(laid_out(&bytes, "BADC"), [0xB2A1, 0xD4C3]);
    assert_eq!(laid_out(&bytes, "CDAB"), [0xC3D4, 0xA1B2]);
    assert_eq!(laid_out(&bytes, "DCBA"), [0xD4C3, 0xB2A1]);
}

#[test]
fn every_order_of_every_wide_type_decodes_and_encodes_the_value() {
    let cases: Vec<(RegisterType, FieldKind, Vec<u8>, Value)> = vec![
        (
            RegisterType::U32,
            FieldKind::Int,
            3_000_000_001u32.to_be_bytes().to_vec(),
            json!(3_000_000_001u32),
        ),
        (
            RegisterType::I32,
            FieldKind::Int,
            (-123_456_789i32).to_be_bytes().to_vec(),
            json!(-123_456_789),
        ),
        (
            RegisterType::F32,
            FieldKind::Float,
            230.125f32.to_be_bytes().to_vec(),
            json!(230.125),
        ),
        (
            RegisterType::F64,
            FieldKind::Float,
            (-1.0e-3f64).to_be_bytes().to_vec(),
            json!(-1.0e-3),
        ),
        (
            RegisterType::F64,
            FieldKind::Float,
            12345.678901234f64.to_be_bytes().to_vec(),
            json!(12345.678901234),
        ),
    ];
    for (ty, kind, bytes, expected) in cases {
        for (layout, byte_order, word_order) in LAYOUTS {
            let field = field(kind, ty, byte_order, word_order);
            let registers = laid_out(&bytes, layout);
            assert_eq!(
                decode_registers(&field, &registers),
                expected,
                "{ty:?} {layout}"
            );
            assert_eq!(
                encode(&field, &expected),
                Ok(Encoded::Registers(registers)),
                "{ty:?} {layout}"
            );
        }
    }
}

#[test]
fn one_register_types_honour_the_byte_order() {
    let unsigned = field(FieldKind::Int, RegisterType::U16, Order::Little, Order::Big);
    assert_eq!(decode_registers(&unsigned, &[0x3412]), json!(0x1234));
    let signed = field(FieldKind::Int, RegisterType::I16, Order::Big, Order::Big);
    assert_eq!(decode_registers(&signed, &[0xFFFE]), json!(-2));
    assert_eq!(
        encode(&signed, &json!(-2)),
        Ok(Encoded::Registers(vec![0xFFFE]))
    );
    assert!(encode(&signed, &json!(40_000))
        .unwrap_err()
        .contains("does not fit a i16"));
}

#[test]
fn scale_and_offset_apply_both_ways() {
    let power = RegisterField {
        scale: 0.1,
        offset: -40.0,
        ..field(FieldKind::Float, RegisterType::I16, Order::Big, Order::Big)
    };
    // 655 * 0.1 - 40 = 25.5
    assert_eq!(decode_registers(&power, &[655]), json!(655.0 * 0.1 - 40.0));
    assert_eq!(
        encode(&power, &json!(25.5)),
        Ok(Encoded::Registers(vec![655]))
    );
    let count = RegisterField {
        scale: 10.0,
        offset: 5.0,
        ..field(FieldKind::Int, RegisterType::U32, Order::Big, Order::Big)
    };
    assert_eq!(
        decode_registers(&count, &[0x0001, 0x0000]),
        json!(65536 * 10 + 5)
    );
    assert_eq!(
        encode(&count, &json!(655_365)),
        Ok(Encoded::Registers(vec![1, 0]))
    );
    assert!(encode(&count, &json!(12))
        .unwrap_err()
        .contains("multiple of the scale 10"));
}

#[test]
fn bits_and_bools() {
    for bit in 0..16u8 {
        let f = field(
            FieldKind::Bool,
            RegisterType::Bit(bit),
            Order::Big,
            Order::Big,
        );
        assert_eq!(decode_registers(&f, &[1 << bit]), json!(true), "bit {bit}");
        assert_eq!(
            decode_registers(&f, &[!(1u16 << bit)]),
            json!(false),
            "bit {bit}"
        );
        assert_eq!(
            encode(&f, &json!(true)),
            Ok(Encoded::Bit { bit, set: true })
        );
    }
    let swapped = field(
        FieldKind::Bool,
        RegisterType::Bit(0),
        Order::Little,
        Order::Big,
    );
    assert_eq!(decode_registers(&swapped, &[0x0100]), json!(true));
    let flag = field(FieldKind::Bool, RegisterType::Bool, Order::Big, Order::Big);
    assert_eq!(decode_registers(&flag, &[7]), json!(true));
    assert_eq!(decode_registers(&flag, &[0]), json!(false));
}

#[test]
fn text_ends_at_its_first_nul_and_is_padded_when_written() {
    let name = field(
        FieldKind::Text,
        RegisterType::String(3),
        Order::Big,
        Order::Big,
    );
    let registers = laid_out(b"PM5\0\0\0", "ABCD");
    assert_eq!(decode_registers(&name, &registers), json!("PM5"));
    assert_eq!(
        encode(&name, &json!("PM5")),
        Ok(Encoded::Registers(registers))
    );
    let swapped = field(
        FieldKind::Text,
        RegisterType::String(2),
        Order::Little,
        Order::Big,
    );
    assert_eq!(
        decode_registers(&swapped, &laid_out(b"ABCD", "BADC")),
        json!("ABCD")
    );
    assert!(encode(&name, &json!("TOO LONG"))
        .unwrap_err()
        .contains("do not fit 3 registers"));
}

#[test]
fn what_a_field_cannot_hold_is_never_a_wrong_value() {
    let float = field(FieldKind::Float, RegisterType::F32, Order::Big, Order::Big);
    let nan = laid_out(&f32::NAN.to_be_bytes(), "ABCD");
    assert!(decode_registers(&float, &nan).is_string());
    let text = field(
        FieldKind::Text,
        RegisterType::String(1),
        Order::Big,
        Order::Big,
    );
    assert!(decode_registers(&text, &[0xFFFE]).is_array());
    assert!(encode(&float, &json!(1e300))
        .unwrap_err()
        .contains("beyond the range"));
}
