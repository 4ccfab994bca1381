//! Records written to a Modbus device: holding registers and coils, per the register map.

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio_modbus::client::Context;

use super::codec::{encode, Encoded};
use super::connection::{write_bit, write_coils, write_registers, CallError, ModbusConnection};
use super::map::{RegisterField, RegisterMap, RegisterTable};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::target::{Durable, Target};

/// The most registers and coils one write request may carry (Modbus application protocol, 6.12
/// and 6.11).
const MAX_WRITE_REGISTERS: usize = 123;
const MAX_WRITE_COILS: usize = 1968;

/// Writes each record's fields to the device as `write` is called, and returns only once the
/// device confirmed every write of the record: a record the run acknowledges is on the device
/// (there is nothing to flush).
///
/// A field whose value does not fit its registers (out of range of the type, text longer than
/// its registers, not a multiple of an int field's scale) rejects the record before anything is
/// written. An exception the device answers (an address it does not have, a value it refuses)
/// rejects the record with the exception's name; writes of the record that came before it stay
/// written, as the detail says. A device that does not answer is a transient error
/// ([`Durable::is_transient`]): the run retries the record's writes (all of them, which only
/// writes the same values again) and shows the device unreachable in health meanwhile.
/// Optional fields that are absent are not written.
pub struct ModbusTarget<T> {
    name: String,
    connection: ModbusConnection,
    unit_id: u8,
    map: RegisterMap,
    io: Handle,
    client: Option<Context>,
    /// The start of every transient error's message.
    transient: String,
    record: PhantomData<fn(&T)>,
}

/// One request of a record's writes.
#[derive(Debug, Clone, PartialEq)]
struct Write {
    address: u16,
    what: WriteKind,
    /// The fields it writes, for messages.
    fields: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
enum WriteKind {
    Registers(Vec<u16>),
    Coils(Vec<bool>),
    Bit { bit: u8, set: bool },
}

impl<T> ModbusTarget<T> {
    /// A target writing unit `unit_id` of the device at `connection`; it connects at its first
    /// write. Refused: a map that writes a table a client cannot write (the compiler refuses it
    /// first).
    pub fn new(
        name: &str,
        connection: ModbusConnection,
        unit_id: u8,
        map: RegisterMap,
        io: &Handle,
    ) -> Result<Self, RunError> {
        if let Some(field) = map.fields.iter().find(|f| !f.table.is_writable()) {
            return Err(RunError::Program(format!(
                "Modbus target {name}: field {} is mapped to {}, which cannot be written",
                field.name,
                field.location()
            )));
        }
        let transient = format!("Modbus target {name} ({}):", connection.server());
        Ok(ModbusTarget {
            name: name.to_string(),
            connection,
            unit_id,
            map,
            io: io.clone(),
            client: None,
            transient,
            record: PhantomData,
        })
    }
}

/// The requests that write `values` (the record as JSON), adjacent fields of one table in one
/// request; an error names the field whose value does not fit.
fn plan_writes(fields: &[RegisterField], values: &Value) -> Result<Vec<Write>, Reject> {
    let mut encoded: Vec<(&RegisterField, Encoded)> = Vec::with_capacity(fields.len());
    for field in fields {
        let value = values.get(field.name).unwrap_or(&Value::Null);
        if value.is_null() {
            continue;
        }
        let bits = encode(field, value).map_err(|why| {
            Reject::new(format!(
                "field {} does not fit {}",
                field.name,
                field.location()
            ))
            .with_detail(why)
        })?;
        encoded.push((field, bits));
    }
    encoded.sort_by_key(|(f, _)| (f.table, f.address));
    let mut writes: Vec<Write> = Vec::new();
    for (field, bits) in encoded {
        let last = writes.last_mut();
        match (bits, last) {
            (Encoded::Registers(words), Some(last))
                if matches!(&last.what, WriteKind::Registers(w)
                    if field.table == RegisterTable::Holding
                        && usize::from(last.address) + w.len() == usize::from(field.address)
                        && w.len() + words.len() <= MAX_WRITE_REGISTERS) =>
            {
                if let WriteKind::Registers(w) = &mut last.what {
                    w.extend(words);
                }
                last.fields.push(field.name);
            }
            (Encoded::Coil(set), Some(last))
                if matches!(&last.what, WriteKind::Coils(c)
                    if usize::from(last.address) + c.len() == usize::from(field.address)
                        && c.len() < MAX_WRITE_COILS) =>
            {
                if let WriteKind::Coils(c) = &mut last.what {
                    c.push(set);
                }
                last.fields.push(field.name);
            }
            (bits, _) => writes.push(Write {
                address: field.address,
                what: match bits {
                    Encoded::Registers(words) => WriteKind::Registers(words),
                    Encoded::Coil(set) => WriteKind::Coils(vec![set]),
                    Encoded::Bit { bit, set } => WriteKind::Bit { bit, set },
                },
                fields: vec![field.name],
            }),
        }
    }
    Ok(writes)
}

impl<T> Durable for ModbusTarget<T> {
    fn name(&self) -> &str {
        &self.name
    }

    /// Every write was confirmed when it returned.
    fn flush(&mut self) -> Result<(), RunError> {
        Ok(())
    }

    fn is_transient(&self, error: &RunError) -> bool {
        matches!(error, RunError::Connector(message) if message.starts_with(&self.transient))
    }
}

impl<T: Serialize> Target<T> for ModbusTarget<T> {
    fn write(&mut self, record: &T) -> Result<Result<(), Reject>, RunError> {
        // A NaN or infinite value would serialize as null, which writes nothing.
        if let Err(reject) = crate::target::check_writable(record) {
            return Ok(Err(reject));
        }
        let values = serde_json::to_value(record)
            .map_err(|e| RunError::Program(format!("a record does not serialize: {e}")))?;
        let writes = match plan_writes(self.map.fields, &values) {
            Ok(writes) => writes,
            Err(reject) => return Ok(Err(reject)),
        };
        let (connection, unit_id, io) = (&self.connection, self.unit_id, self.io.clone());
        let client = &mut self.client;
        let outcome = io.block_on(async {
            if client.is_none() {
                *client = Some(connection.connect(unit_id).await.map_err(|e| (0, e))?);
            }
            let context = client.as_mut().expect("connected above");
            for (done, write) in writes.iter().enumerate() {
                let result = match &write.what {
                    WriteKind::Registers(words) => {
                        write_registers(connection, context, write.address, words).await
                    }
                    WriteKind::Coils(bits) => {
                        write_coils(connection, context, write.address, bits).await
                    }
                    WriteKind::Bit { bit, set } => {
                        write_bit(connection, context, write.address, *bit, *set).await
                    }
                };
                result.map_err(|e| (done, e))?;
            }
            Ok::<(), (usize, CallError)>(())
        });
        match outcome {
            Ok(()) => Ok(Ok(())),
            Err((done, CallError::Exception(name))) => {
                let failed = &writes[done];
                let written: Vec<&str> = writes[..done]
                    .iter()
                    .flat_map(|w| w.fields.clone())
                    .collect();
                let mut detail = format!(
                    "writing {} at address {} (unit {unit_id})",
                    failed.fields.join(", "),
                    failed.address
                );
                if !written.is_empty() {
                    detail.push_str(&format!("; already written: {}", written.join(", ")));
                }
                Ok(Err(Reject::new(format!(
                    "the device refused the write: {name}"
                ))
                .with_detail(detail)))
            }
            Err((_, error @ CallError::NoAnswer(_))) => {
                self.client = None;
                Err(RunError::Connector(format!("{} {error}", self.transient)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::modbus::map::{FieldKind, RegisterType};

    #[test]
    fn adjacent_fields_are_one_request_and_a_misfit_rejects_the_record() {
        let fields = [
            RegisterField::new(
                "b",
                FieldKind::Int,
                RegisterTable::Holding,
                2,
                RegisterType::U32,
            ),
            RegisterField::new(
                "a",
                FieldKind::Int,
                RegisterTable::Holding,
                0,
                RegisterType::U32,
            ),
            RegisterField::new(
                "c",
                FieldKind::Bool,
                RegisterTable::Coil,
                9,
                RegisterType::Bool,
            ),
            RegisterField::new(
                "d",
                FieldKind::Bool,
                RegisterTable::Coil,
                10,
                RegisterType::Bool,
            ),
            RegisterField::new(
                "e",
                FieldKind::Bool,
                RegisterTable::Holding,
                7,
                RegisterType::Bit(3),
            ),
        ];
        let writes = plan_writes(
            &fields,
            &json!({"a": 1, "b": 65536, "c": true, "d": false, "e": true}),
        )
        .unwrap();
        let kinds: Vec<(u16, WriteKind)> =
            writes.into_iter().map(|w| (w.address, w.what)).collect();
        assert_eq!(
            kinds,
            [
                (0, WriteKind::Registers(vec![0, 1, 1, 0])),
                (7, WriteKind::Bit { bit: 3, set: true }),
                (9, WriteKind::Coils(vec![true, false])),
            ]
        );
        let reject = plan_writes(&fields, &json!({"a": -1})).unwrap_err();
        assert_eq!(reject.reason, "field a does not fit holding register 0");
        assert!(plan_writes(&fields, &json!({"a": null}))
            .unwrap()
            .is_empty());
    }
}
