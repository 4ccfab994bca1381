//! The entity of a Modbus source or target against its register map: a source needs every
//! required field mapped (or taking the read time); a target needs every field mapped to a
//! table it can write.

use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{Entity, ModbusSpec};
use crate::syntax::ast::Ident;

impl Checker<'_> {
    /// Whether every field a record of `entity` must have is read from the device, and the
    /// quality columns the source fills (GOOD, as of the read time in RFC 3339) are read so.
    pub(super) fn modbus_source_entity(&mut self, entity: &Entity, used_at: &Ident) -> bool {
        let mut ok = true;
        for field in &entity.fields {
            let Some(quality) = &field.quality else {
                continue;
            };
            if quality.timestamp_format.is_none() || field.modbus.is_none() {
                continue;
            }
            ok = false;
            self.report(
                Diagnostic::error(Code::ModbusSampleTimeFormat, format!("field `{}` of `{}` reads its source timestamp with a format, but a Modbus source writes the time of its poll as RFC 3339", field.name, entity.name))
                    .label(field.span, "its source timestamp has a `timestamp_format:`")
                    .label(used_at.span, "read from a Modbus device here")
                    .help("remove `timestamp_format:` and `timestamp_zone:` from the field: the source fills its quality (GOOD) and timestamp columns itself"),
            );
        }
        for field in entity
            .fields
            .iter()
            .filter(|f| !f.optional && f.modbus.is_none())
        {
            ok = false;
            self.report(
                Diagnostic::error(Code::ModbusFieldUnmapped, format!("the Modbus source reads `{}`, whose field `{}` has no register map", entity.name, field.name))
                    .label(field.span, "no `modbus:` here")
                    .label(used_at.span, "read from a Modbus device here")
                    .help(format!("say where the device holds it, such as `{}: {{ type: ..., modbus: {{ table: holding, address: 0, type: u16 }} }}`; `modbus: read_time` on a timestamp field takes the time of the poll; or make it optional", field.name)),
            );
        }
        ok
    }

    /// Whether every field of `entity` is written to a holding register or coil.
    pub(super) fn modbus_target_entity(&mut self, entity: &Entity, used_at: &Ident) -> bool {
        let mut ok = true;
        for field in &entity.fields {
            let problem = match &field.modbus {
                None => Diagnostic::error(Code::ModbusFieldUnmapped, format!("the Modbus target writes `{}`, whose field `{}` has no register map", entity.name, field.name))
                    .label(field.span, "no `modbus:` here")
                    .label(used_at.span, "written to a Modbus device here")
                    .help(format!("say which holding register or coil takes it, such as `modbus: {{ table: holding, address: 0, type: u16 }}`, or write `{}` to an entity without the field", entity.name)),
                Some(ModbusSpec::ReadTime { span }) => Diagnostic::error(Code::ModbusReadTimeWritten, format!("the Modbus target writes `{}`, whose field `{}` is the time of a poll", entity.name, field.name))
                    .label(*span, "a poll's time, which no register holds")
                    .label(used_at.span, "written to a Modbus device here")
                    .help(format!("a target writes registers; write `{}` to an entity without the read-time field", entity.name)),
                Some(ModbusSpec::Register(register)) if !register.table.is_writable() => Diagnostic::error(Code::ModbusReadOnlyTable, format!("the Modbus target writes field `{}` of `{}` to the {} table, which a client cannot write", field.name, entity.name, register.table.name()))
                    .label(register.table_span, "read only")
                    .label(used_at.span, "written to a Modbus device here")
                    .help(if register.table == fdi_runtime::RegisterTable::Input { "devices take values in holding registers: `table: holding` at the address the device's manual gives for the setting" } else { "devices take bits in coils: `table: coil` at the address the device's manual gives" }),
                Some(ModbusSpec::Register(_)) => continue,
            };
            ok = false;
            self.report(problem);
        }
        ok
    }
}
