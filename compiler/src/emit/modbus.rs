//! The register map of a Modbus source's or target's entity, as the `const` the generated
//! `run` passes to it: one `RegisterField` per mapped field, only what differs from the
//! standard's orders and an unscaled value spelled out.

use fdi_runtime::{Order, RegisterTable, RegisterType};

use crate::schema::{Entity, FieldType, ModbusRegister, ModbusSpec};

/// `const NAME: ::fdi_runtime::RegisterMap = ...;` for `entity`.
pub(super) fn register_map_const(name: &str, entity: &Entity) -> String {
    let mut fields = Vec::new();
    let mut read_time = None;
    // A poll that answered is GOOD as of its read time (`quality: true` of a mapped field).
    let quality: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| matches!(f.modbus, Some(ModbusSpec::Register(_))))
        .filter_map(|f| f.quality.as_ref())
        .map(|q| format!("({:?}, {:?})", q.quality, q.timestamp))
        .collect();
    for field in &entity.fields {
        match &field.modbus {
            Some(ModbusSpec::Register(register)) => {
                fields.push(register_field(field.external_name(), &field.ty, register))
            }
            Some(ModbusSpec::ReadTime { .. }) => read_time = Some(field.external_name()),
            None => {}
        }
    }
    format!(
        "// Where the device holds each field of `{}` (its schema's `modbus:`).\nconst {name}: ::fdi_runtime::RegisterMap = ::fdi_runtime::RegisterMap {{ fields: &[{}], read_time: {read_time:?}, quality: &[{}] }};",
        entity.name,
        fields.join(", "),
        quality.join(", ")
    )
}

fn register_field(name: &str, ty: &FieldType, register: &ModbusRegister) -> String {
    let kind = match ty {
        FieldType::Int => "Int",
        FieldType::Bool => "Bool",
        FieldType::String => "Text",
        // The schema maps registers to int, float, bool and string fields only.
        _ => "Float",
    };
    let new = format!(
        "::fdi_runtime::RegisterField::new({name:?}, ::fdi_runtime::FieldKind::{kind}, ::fdi_runtime::RegisterTable::{}, {}, ::fdi_runtime::RegisterType::{})",
        table(register.table),
        register.address,
        register_type(register.ty)
    );
    let mut changed = Vec::new();
    if register.byte_order == Order::Little {
        changed.push("byte_order: ::fdi_runtime::Order::Little".to_string());
    }
    if register.word_order == Order::Little {
        changed.push("word_order: ::fdi_runtime::Order::Little".to_string());
    }
    if register.scale != 1.0 {
        changed.push(format!("scale: {:?}", register.scale));
    }
    if register.offset != 0.0 {
        changed.push(format!("offset: {:?}", register.offset));
    }
    if changed.is_empty() {
        new
    } else {
        format!(
            "::fdi_runtime::RegisterField {{ {}, ..{new} }}",
            changed.join(", ")
        )
    }
}

fn table(table: RegisterTable) -> &'static str {
    match table {
        RegisterTable::Holding => "Holding",
        RegisterTable::Input => "Input",
        RegisterTable::Coil => "Coil",
        RegisterTable::DiscreteInput => "DiscreteInput",
    }
}

fn register_type(ty: RegisterType) -> String {
    match ty {
        RegisterType::U16 => "U16".into(),
        RegisterType::I16 => "I16".into(),
        RegisterType::U32 => "U32".into(),
        RegisterType::I32 => "I32".into(),
        RegisterType::F32 => "F32".into(),
        RegisterType::F64 => "F64".into(),
        RegisterType::Bool => "Bool".into(),
        RegisterType::Bit(bit) => format!("Bit({bit})"),
        RegisterType::String(registers) => format!("String({registers})"),
    }
}
