//! Registers to field values and back, per the register map: byte and word order, scale and
//! offset. Pure functions, so that every order is tested without a device.

use serde_json::Value;

use super::map::{FieldKind, Order, RegisterField, RegisterType};

/// The bytes of a value of several registers in big-endian order (`ABCD...`), whatever the
/// device's byte and word order: the inverse of [`registers_of`].
fn bytes_of(words: &[u16], byte_order: Order, word_order: Order) -> Vec<u8> {
    let mut ordered: Vec<u16> = words.to_vec();
    if word_order == Order::Little {
        ordered.reverse();
    }
    ordered
        .iter()
        .flat_map(|w| match byte_order {
            Order::Big => w.to_be_bytes(),
            Order::Little => w.to_le_bytes(),
        })
        .collect()
}

/// The registers that hold big-endian `bytes` in the device's byte and word order.
fn registers_of(bytes: &[u8], byte_order: Order, word_order: Order) -> Vec<u16> {
    let mut words: Vec<u16> = bytes
        .chunks(2)
        .map(|pair| {
            let pair = [pair[0], *pair.get(1).unwrap_or(&0)];
            match byte_order {
                Order::Big => u16::from_be_bytes(pair),
                Order::Little => u16::from_le_bytes(pair),
            }
        })
        .collect();
    if word_order == Order::Little {
        words.reverse();
    }
    words
}

/// The raw number a register value holds, before scale and offset.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Raw {
    Whole(i64),
    Float(f64),
}

/// The field's value from its registers (`words.len() == field.ty.count()`). A value the field
/// cannot hold (a NaN or infinite float, text that is not UTF-8, an int that overflows after
/// scaling) becomes a JSON value of another type, so that the decode stage rejects the record
/// with the field's name and the dead letter shows what the device held: never a wrong value.
pub fn decode_registers(field: &RegisterField, words: &[u16]) -> Value {
    let bytes = bytes_of(words, field.byte_order, field.word_order);
    let raw = match field.ty {
        RegisterType::U16 => Raw::Whole(i64::from(u16::from_be_bytes(two(&bytes)))),
        RegisterType::I16 => Raw::Whole(i64::from(i16::from_be_bytes(two(&bytes)))),
        RegisterType::U32 => Raw::Whole(i64::from(u32::from_be_bytes(four(&bytes)))),
        RegisterType::I32 => Raw::Whole(i64::from(i32::from_be_bytes(four(&bytes)))),
        RegisterType::F32 => Raw::Float(f64::from(f32::from_be_bytes(four(&bytes)))),
        RegisterType::F64 => Raw::Float(f64::from_be_bytes(eight(&bytes))),
        RegisterType::Bool => return Value::Bool(words.iter().any(|w| *w != 0)),
        RegisterType::Bit(bit) => {
            let word = words.first().copied().unwrap_or(0);
            let word = match field.byte_order {
                Order::Big => word,
                Order::Little => word.swap_bytes(),
            };
            return Value::Bool(word >> bit & 1 == 1);
        }
        RegisterType::String(_) => {
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            return match std::str::from_utf8(&bytes[..end]) {
                Ok(text) => Value::String(text.to_string()),
                Err(_) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
            };
        }
    };
    scaled(field, raw)
}

/// The value of a coil or discrete input.
pub fn decode_bit(bit: bool) -> Value {
    Value::Bool(bit)
}

fn scaled(field: &RegisterField, raw: Raw) -> Value {
    let unscaled = field.scale == 1.0 && field.offset == 0.0;
    match (field.kind, raw) {
        (FieldKind::Int, Raw::Whole(n)) if unscaled => Value::from(n),
        // The schema allows an int field only whole scales and offsets: integer arithmetic keeps
        // every value of 64 bits exact.
        (FieldKind::Int, Raw::Whole(n)) => n
            .checked_mul(field.scale as i64)
            .and_then(|v| v.checked_add(field.offset as i64))
            .map_or_else(
                || Value::String(format!("{n} (scaled out of range)")),
                Value::from,
            ),
        (_, raw) => {
            let raw = match raw {
                Raw::Whole(n) => n as f64,
                Raw::Float(f) => f,
            };
            let value = if unscaled {
                raw
            } else {
                raw * field.scale + field.offset
            };
            serde_json::Number::from_f64(value)
                .map_or_else(|| Value::String(value.to_string()), Value::Number)
        }
    }
}

fn two(bytes: &[u8]) -> [u8; 2] {
    [bytes[0], bytes[1]]
}

fn four(bytes: &[u8]) -> [u8; 4] {
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

fn eight(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(&bytes[..8]);
    out
}

/// What a write of one field sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// Registers from the field's address on.
    Registers(Vec<u16>),
    /// One coil.
    Coil(bool),
    /// Bit `bit` of the register at the field's address, the others left as they are (a masked
    /// write, function code 22).
    Bit { bit: u8, set: bool },
}

/// The registers or bit that hold `value` (the field's value in the record) on the device; an
/// error says why the value does not fit (the record is rejected with it).
pub fn encode(field: &RegisterField, value: &Value) -> Result<Encoded, String> {
    if field.table.is_bits() {
        let set = value
            .as_bool()
            .ok_or_else(|| format!("a coil holds true or false, not {value}"))?;
        return Ok(Encoded::Coil(set));
    }
    let order = |bytes: &[u8]| registers_of(bytes, field.byte_order, field.word_order);
    let words = match field.ty {
        RegisterType::Bool => {
            let set = value
                .as_bool()
                .ok_or_else(|| format!("expected true or false, not {value}"))?;
            vec![u16::from(set)]
        }
        RegisterType::Bit(bit) => {
            let set = value
                .as_bool()
                .ok_or_else(|| format!("expected true or false, not {value}"))?;
            let bit = match field.byte_order {
                Order::Big => bit,
                // The register's bytes are swapped on the device: bit 0 is bit 8 on the wire.
                Order::Little => (bit + 8) % 16,
            };
            return Ok(Encoded::Bit { bit, set });
        }
        RegisterType::String(registers) => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("expected text, not {value}"))?;
            let room = usize::from(registers) * 2;
            if text.len() > room {
                return Err(format!(
                    "{} bytes of text do not fit {registers} registers ({room} bytes)",
                    text.len()
                ));
            }
            let mut bytes = text.as_bytes().to_vec();
            bytes.resize(room, 0);
            order(&bytes)
        }
        ty => order(&number_bytes(field, ty, value)?),
    };
    Ok(Encoded::Registers(words))
}

/// The big-endian bytes of `value` unscaled (`(value - offset) / scale`) as `ty`.
fn number_bytes(field: &RegisterField, ty: RegisterType, value: &Value) -> Result<Vec<u8>, String> {
    let unscaled = field.scale == 1.0 && field.offset == 0.0;
    if let (FieldKind::Int, Some(n)) = (field.kind, value.as_i64()) {
        // Integer arithmetic, as when reading: exact for every 64-bit value.
        let (scale, offset) = (field.scale as i64, field.offset as i64);
        let shifted = n
            .checked_sub(offset)
            .ok_or_else(|| format!("{n} is out of range"))?;
        if scale == 0 || shifted % scale != 0 {
            return Err(format!(
                "{n} is not {offset} plus a multiple of the scale {scale}"
            ));
        }
        return whole_bytes(ty, shifted / scale, n);
    }
    let number = value
        .as_f64()
        .ok_or_else(|| format!("expected a number, not {value}"))?;
    let raw = if unscaled {
        number
    } else {
        (number - field.offset) / field.scale
    };
    if !raw.is_finite() {
        return Err(format!("{number} is not a finite number"));
    }
    match ty {
        RegisterType::F32 => {
            let single = raw as f32;
            if single.is_infinite() {
                return Err(format!("{number} is beyond the range of an f32"));
            }
            Ok(single.to_be_bytes().to_vec())
        }
        RegisterType::F64 => Ok(raw.to_be_bytes().to_vec()),
        // A float written to an integer register: the register's resolution is the scale, so
        // the value is rounded to it.
        _ => {
            let rounded = raw.round();
            if rounded.abs() > 9.0e15 {
                return Err(format!("{number} is out of range of a {}", ty.name()));
            }
            whole_bytes(ty, rounded as i64, number)
        }
    }
}

fn whole_bytes(
    ty: RegisterType,
    raw: i64,
    shown: impl std::fmt::Display,
) -> Result<Vec<u8>, String> {
    let out_of_range = || format!("{shown} does not fit a {} (raw value {raw})", ty.name());
    Ok(match ty {
        RegisterType::U16 => u16::try_from(raw)
            .map_err(|_| out_of_range())?
            .to_be_bytes()
            .to_vec(),
        RegisterType::I16 => i16::try_from(raw)
            .map_err(|_| out_of_range())?
            .to_be_bytes()
            .to_vec(),
        RegisterType::U32 => u32::try_from(raw)
            .map_err(|_| out_of_range())?
            .to_be_bytes()
            .to_vec(),
        RegisterType::I32 => i32::try_from(raw)
            .map_err(|_| out_of_range())?
            .to_be_bytes()
            .to_vec(),
        RegisterType::F32 => (raw as f32).to_be_bytes().to_vec(),
        RegisterType::F64 => (raw as f64).to_be_bytes().to_vec(),
        other => return Err(format!("a {} holds no number", other.name())),
    })
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
