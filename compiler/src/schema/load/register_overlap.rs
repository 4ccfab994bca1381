//! The checks of an entity's register map across its fields: no two read the same registers,
//! and one field at most takes the read time.

use fdi_runtime::RegisterType;

use super::FileLoader;
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{Field, ModbusRegister, ModbusSpec};

impl FileLoader<'_> {
    /// No two fields of `entity` read the same register or bit of one table (two bits of one
    /// register may).
    pub(super) fn registers_distinct(&mut self, entity: &str, fields: &[Field]) {
        // One poll has one time: a second read-time field would never be set.
        let read_times: Vec<&Field> = fields
            .iter()
            .filter(|f| matches!(f.modbus, Some(ModbusSpec::ReadTime { .. })))
            .collect();
        if let [first, second, ..] = read_times[..] {
            let span = |f: &Field| f.modbus.as_ref().map_or(f.span, ModbusSpec::span);
            self.errors.push(
                Diagnostic::error(
                    Code::ModbusMapShape,
                    format!(
                        "`{entity}` takes the read time twice, in `{}` and `{}`",
                        first.name, second.name
                    ),
                )
                .label(span(second), "a second read time")
                .label(span(first), "the first")
                .help(format!(
                    "a poll has one time: keep `modbus: read_time` on `{}` only",
                    first.name
                )),
            );
        }
        let registers: Vec<(&Field, &ModbusRegister)> = fields
            .iter()
            .filter_map(|f| match &f.modbus {
                Some(ModbusSpec::Register(r)) => Some((f, r)),
                _ => None,
            })
            .collect();
        for (i, (field, register)) in registers.iter().enumerate() {
            let clash = registers[..i].iter().find(|(_, earlier)| {
                let overlap = earlier.table == register.table
                    && u32::from(earlier.address) < u32::from(register.address) + u32::from(register.ty.count())
                    && u32::from(register.address) < u32::from(earlier.address) + u32::from(earlier.ty.count());
                let distinct_bits = matches!((earlier.ty, register.ty), (RegisterType::Bit(a), RegisterType::Bit(b)) if a != b);
                overlap && !distinct_bits
            });
            if let Some((earlier_field, earlier)) = clash {
                let what = |r: &ModbusRegister| match r.ty {
                    RegisterType::Bit(bit) => {
                        format!("bit {bit} of {} register {}", r.table.name(), r.address)
                    }
                    ty if ty.count() == 1 => format!(
                        "{} {} {}",
                        r.table.name(),
                        if r.table.is_bits() { "bit" } else { "register" },
                        r.address
                    ),
                    ty => format!(
                        "{} registers {} to {}",
                        r.table.name(),
                        r.address,
                        u32::from(r.address) + u32::from(ty.count()) - 1
                    ),
                };
                self.errors.push(
                    Diagnostic::error(Code::ModbusOverlap, format!("fields `{}` and `{}` of `{entity}` read the same registers", earlier_field.name, field.name))
                        .label(register.address_span, format!("`{}` reads {}", field.name, what(register)))
                        .label(earlier.address_span, format!("`{}` reads {}", earlier_field.name, what(earlier)))
                        .help("check the addresses against the device's register map: each value has registers of its own (two `bit`s of one register may share it)"),
                );
            }
        }
    }
}
