//! A field's Modbus register map (`modbus: { table: input, address: 30, type: f32 }`), checked
//! as the schema is loaded: its shape, that the register type fits the field and its table,
//! counts, bits and scales (the checks across an entity's fields are in `register_overlap.rs`).

use fdi_runtime::{Order, RegisterTable, RegisterType};
use serde_yaml::{Mapping, Value};

use super::FileLoader;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::schema::{ModbusRegister, ModbusSpec};
use crate::source_map::Span;

const KEYS: [&str; 10] = [
    "table",
    "address",
    "type",
    "count",
    "bit",
    "order",
    "byte_order",
    "word_order",
    "scale",
    "offset",
];

/// `order:` as device manuals write it, by where the bytes `A B C D` of the big-endian value go:
/// the byte and word order it stands for.
const LAYOUTS: [(&str, Order, Order); 4] = [
    ("ABCD", Order::Big, Order::Big),
    ("BADC", Order::Little, Order::Big),
    ("CDAB", Order::Big, Order::Little),
    ("DCBA", Order::Little, Order::Little),
];

const SHAPE_HELP: &str = "write `modbus: { table: holding, address: 40, type: u16 }` (tables: holding, input, coil, discrete_input; types: u16, i16, u32, i32, f32, f64, bool, bit, string), or `modbus: read_time` on a timestamp field";

impl FileLoader<'_> {
    /// The `modbus:` of field `path` (whose type is written `type_name`); `None` after an error.
    pub(super) fn register_map(
        &mut self,
        path: &[&str],
        type_name: &str,
        spec: &Value,
    ) -> Option<ModbusSpec> {
        let field = path.last().copied().unwrap_or("");
        let map_path = [path, &["modbus"]].concat();
        let span = self.key_span(&map_path);
        let options = match spec {
            Value::String(word) if word == "read_time" => {
                if type_name != "timestamp" {
                    self.errors.push(
                        Diagnostic::error(Code::ModbusTypeMismatch, format!("field `{field}` takes the read time, but its type `{type_name}` is not `timestamp`"))
                            .label(self.value_span(&map_path, word), "a time into a non-timestamp field")
                            .help("give the field `type: timestamp`, or map it to registers"),
                    );
                    return None;
                }
                return Some(ModbusSpec::ReadTime { span });
            }
            Value::Mapping(options) => options,
            _ => {
                self.modbus_shape(
                    span,
                    format!("the register map of field `{field}` is not a mapping"),
                    "not a register map",
                    SHAPE_HELP.to_string(),
                );
                return None;
            }
        };
        let mut ok = true;
        for key in options.keys() {
            let key = key.as_str().unwrap_or("");
            if !KEYS.contains(&key) {
                let help = did_you_mean(key, KEYS).unwrap_or_else(|| {
                    format!(
                        "a register map has the keys {}",
                        KEYS.map(|k| format!("`{k}`")).join(", ")
                    )
                });
                let span = self.key_span(&[&map_path[..], &[key]].concat());
                self.modbus_shape(
                    span,
                    format!("unknown key `{key}` in the register map of field `{field}`"),
                    "unknown key",
                    help,
                );
                ok = false;
            }
        }
        let table_span = self.modbus_value_span(&map_path, "table", options);
        let table = match options.get("table") {
            None => {
                self.modbus_shape(span, format!("the register map of field `{field}` has no `table`"), "no `table`", "say which table holds it: `table: holding`, `input`, `coil` or `discrete_input`".into());
                None
            }
            Some(value) => match value.as_str().and_then(RegisterTable::parse) {
                Some(table) => Some(table),
                None => {
                    let written = text_of(value);
                    let help = did_you_mean(&written, RegisterTable::NAMES).unwrap_or_else(|| {
                        "the tables are `holding`, `input`, `coil` and `discrete_input`".into()
                    });
                    self.modbus_shape(
                        table_span,
                        format!("unknown Modbus table `{written}` for field `{field}`"),
                        "not a table",
                        help,
                    );
                    None
                }
            },
        };
        let address_span = self.modbus_value_span(&map_path, "address", options);
        let address = match options.get("address") {
            None => {
                self.modbus_shape(span, format!("the register map of field `{field}` has no `address`"), "no `address`", "give the first register's address as the device sends it on the wire, from 0 (`address: 30`)".into());
                None
            }
            Some(value) => match value.as_u64().and_then(|a| u16::try_from(a).ok()) {
                Some(address) => Some(address),
                None => {
                    self.modbus_shape(address_span, format!("the address of field `{field}` is not a whole number from 0 to 65535"), "not an address", "addresses are 0-based as on the wire: a manual's register 40031 (1-based, holding) is `table: holding, address: 30`".into());
                    None
                }
            },
        };
        let ty = self.register_type(&map_path, field, table, options);
        let (byte_order, word_order) = self.orders(&map_path, field, options)?;
        let scale = self.modbus_number(&map_path, field, "scale", options, 1.0)?;
        let offset = self.modbus_number(&map_path, field, "offset", options, 0.0)?;
        let (table, address, ty) = (table?, address?, ty?);
        if !ok {
            return None;
        }
        if u32::from(address) + u32::from(ty.count()) > 65536 {
            self.modbus_shape(
                address_span,
                format!(
                    "field `{field}` runs past the last address: {} registers from {address}",
                    ty.count()
                ),
                "too close to the end",
                "the last address is 65535".into(),
            );
            return None;
        }
        let register = ModbusRegister {
            table,
            address,
            ty,
            byte_order,
            word_order,
            scale,
            offset,
            span,
            address_span,
            table_span,
        };
        self.register_fits(&map_path, field, type_name, &register, options)
            .then_some(ModbusSpec::Register(register))
    }

    /// `type:`, `count:` and `bit:`: a coil or discrete input is a `bool` when `type` is left out.
    fn register_type(
        &mut self,
        map_path: &[&str],
        field: &str,
        table: Option<RegisterTable>,
        options: &Mapping,
    ) -> Option<RegisterType> {
        let type_span = self.modbus_value_span(map_path, "type", options);
        let count_span = self.modbus_value_span(map_path, "count", options);
        let bit_span = self.modbus_value_span(map_path, "bit", options);
        let count = match options.get("count") {
            None => None,
            Some(value) => {
                match value.as_u64().and_then(|c| u16::try_from(c).ok()) {
                    Some(count) => Some(count),
                    None => {
                        self.errors.push(Diagnostic::error(Code::ModbusCount, format!("the count of field `{field}` is not a whole number of registers")).label(count_span, "not a count").help("write the number of registers, such as `count: 8`"));
                        return None;
                    }
                }
            }
        };
        let written = match options.get("type") {
            Some(value) => text_of(value),
            None if table.is_some_and(RegisterTable::is_bits) => "bool".to_string(),
            None => {
                let span = self.key_span(map_path);
                self.modbus_shape(span, format!("the register map of field `{field}` has no `type`"), "no `type`", "say how the registers hold the value: `type: u16` (or i16, u32, i32, f32, f64, bool, bit, string)".into());
                return None;
            }
        };
        let ty = match written.as_str() {
            "u16" => RegisterType::U16,
            "i16" => RegisterType::I16,
            "u32" => RegisterType::U32,
            "i32" => RegisterType::I32,
            "f32" => RegisterType::F32,
            "f64" => RegisterType::F64,
            "bool" => RegisterType::Bool,
            "bit" => {
                let Some(value) = options.get("bit") else {
                    self.errors.push(
                        Diagnostic::error(
                            Code::ModbusBit,
                            format!("field `{field}` is a bit of a register, but says not which"),
                        )
                        .label(type_span, "which bit?")
                        .help("add `bit: N`, N from 0 (the least significant bit) to 15"),
                    );
                    return None;
                };
                match value.as_u64().filter(|b| *b <= 15) {
                    Some(bit) => RegisterType::Bit(bit as u8),
                    None => {
                        self.errors.push(
                            Diagnostic::error(
                                Code::ModbusBit,
                                format!(
                                    "bit {} of field `{field}` is not a bit of a register",
                                    text_of(value)
                                ),
                            )
                            .label(bit_span, "not from 0 to 15")
                            .help("a register has 16 bits: 0 (the least significant) to 15"),
                        );
                        return None;
                    }
                }
            }
            "string" => match count {
                Some(count @ 1..=125) => RegisterType::String(count),
                Some(_) => {
                    self.errors.push(
                        Diagnostic::error(
                            Code::ModbusCount,
                            format!("text of field `{field}` must take 1 to 125 registers"),
                        )
                        .label(count_span, "not from 1 to 125")
                        .help("a read request carries at most 125 registers (250 bytes of text)"),
                    );
                    return None;
                }
                None => {
                    self.errors.push(
                        Diagnostic::error(
                            Code::ModbusCount,
                            format!("text of field `{field}` needs its number of registers"),
                        )
                        .label(type_span, "how many registers?")
                        .help("add `count: N`: the text takes N registers, two bytes each"),
                    );
                    return None;
                }
            },
            other => {
                let help = did_you_mean(other, RegisterType::NAMES).unwrap_or_else(|| {
                    "the register types are u16, i16, u32, i32, f32, f64, bool, bit and string"
                        .into()
                });
                self.modbus_shape(
                    type_span,
                    format!("unknown register type `{other}` for field `{field}`"),
                    "not a register type",
                    help,
                );
                return None;
            }
        };
        if options.contains_key("bit") && !matches!(ty, RegisterType::Bit(_)) {
            self.errors.push(
                Diagnostic::error(
                    Code::ModbusBit,
                    format!(
                        "field `{field}` names a bit, but its type is `{}`",
                        ty.name()
                    ),
                )
                .label(bit_span, "a bit of a non-bit type")
                .help("write `type: bit` to read one bit of the register, or remove `bit:`"),
            );
            return None;
        }
        if let (Some(count), false) = (count, matches!(ty, RegisterType::String(_))) {
            if count != ty.count() {
                let plural = if ty.count() == 1 { "" } else { "s" };
                self.errors.push(Diagnostic::error(Code::ModbusCount, format!("field `{field}` is a `{}`, which takes {} register{plural}, not {count}", ty.name(), ty.count())).label(count_span, format!("a `{}` takes {}", ty.name(), ty.count())).help(format!("remove `count:` (a `{}` takes {} register{plural}), or choose the type the device's manual gives", ty.name(), ty.count())));
                return None;
            }
        }
        Some(ty)
    }

    /// `order: CDAB`, or `byte_order:` and `word_order:` (big when left out).
    fn orders(
        &mut self,
        map_path: &[&str],
        field: &str,
        options: &Mapping,
    ) -> Option<(Order, Order)> {
        let order_of = |this: &mut Self, key: &str| {
            match options.get(key) {
            None => Some(Order::Big),
            Some(value) => value.as_str().and_then(Order::parse).or_else(|| {
                let span = this.modbus_value_span(map_path, key, options);
                this.modbus_shape(span, format!("`{key}` of field `{field}` is `{}`", text_of(value)), "not big or little", format!("write `{key}: big` (the most significant first, the Modbus standard's order) or `{key}: little`"));
                None
            }),
        }
        };
        let (byte, word) = (order_of(self, "byte_order")?, order_of(self, "word_order")?);
        let Some(value) = options.get("order") else {
            return Some((byte, word));
        };
        let span = self.modbus_value_span(map_path, "order", options);
        if options.contains_key("byte_order") || options.contains_key("word_order") {
            self.modbus_shape(
                span,
                format!("field `{field}` gives its order twice"),
                "a second order",
                "keep `order:` or `byte_order:` and `word_order:`, not both".into(),
            );
            return None;
        }
        let written = text_of(value);
        match LAYOUTS.iter().find(|(name, ..)| *name == written) {
            Some((_, byte, word)) => Some((*byte, *word)),
            None => {
                let help = did_you_mean(&written, LAYOUTS.map(|(n, ..)| n)).unwrap_or_else(|| "`order:` is where the bytes A B C D of the big-endian value are: ABCD, BADC (bytes swapped), CDAB (words swapped) or DCBA".into());
                self.modbus_shape(
                    span,
                    format!("unknown order `{written}` for field `{field}`"),
                    "not a byte layout",
                    help,
                );
                None
            }
        }
    }

    fn modbus_number(
        &mut self,
        map_path: &[&str],
        field: &str,
        key: &str,
        options: &Mapping,
        default: f64,
    ) -> Option<f64> {
        match options.get(key) {
            None => Some(default),
            Some(value) => match value
                .as_f64()
                .filter(|v| v.is_finite() && (key != "scale" || *v != 0.0))
            {
                Some(number) => Some(number),
                None => {
                    let span = self.modbus_value_span(map_path, key, options);
                    self.modbus_shape(
                        span,
                        format!(
                            "`{key}` of field `{field}` is not a number{}",
                            if key == "scale" { " other than 0" } else { "" }
                        ),
                        "not a number",
                        format!("the field's value is `raw * scale + offset`; write `{key}: 0.1`"),
                    );
                    None
                }
            },
        }
    }

    /// Whether the register type fits the field's type and its table, and scale, offset and
    /// orders apply to it.
    fn register_fits(
        &mut self,
        map_path: &[&str],
        field: &str,
        type_name: &str,
        register: &ModbusRegister,
        options: &Mapping,
    ) -> bool {
        let ty = register.ty;
        let type_span = match options.get("type") {
            Some(_) => self.modbus_value_span(map_path, "type", options),
            None => register.span,
        };
        let mismatch = |message: String, label: &str, help: String| {
            Diagnostic::error(Code::ModbusTypeMismatch, message)
                .label(type_span, label.to_string())
                .help(help)
        };
        if register.table.is_bits() && ty != RegisterType::Bool {
            self.errors.push(mismatch(format!("field `{field}` reads a `{}` from a {} table, which holds single bits", ty.name(), register.table.name()), "not a bit", "coils and discrete inputs are `type: bool`; numbers are in `holding` or `input` registers".into()));
            return false;
        }
        let fits: &[&str] = match type_name {
            "int" => &["u16", "i16", "u32", "i32"],
            "float" => &["u16", "i16", "u32", "i32", "f32", "f64"],
            "bool" => &["bool", "bit"],
            "string" => &["string"],
            _ => &[],
        };
        if fits.is_empty() {
            self.errors.push(mismatch(format!("field `{field}` of type `{type_name}` cannot be read from registers"), "no register type for it", "registers hold `int`, `float`, `bool` and `string` fields; a `timestamp` field may take the time of the poll with `modbus: read_time`".into()));
            return false;
        }
        if !fits.contains(&ty.name()) {
            let help = if type_name == "int" && ty.is_number() {
                format!("a `{}` is not a whole number: make the field `float`, or read the register as the integer type its manual gives", ty.name())
            } else {
                format!(
                    "a `{type_name}` field is read as {}",
                    fits.iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.errors.push(mismatch(
                format!(
                    "field `{field}` is `{type_name}`, but its registers hold a `{}`",
                    ty.name()
                ),
                "does not fit the field",
                help,
            ));
            return false;
        }
        let misplaced = |this: &mut Self, key: &str, message: String, help: String| {
            let span = this.key_span(&[map_path, &[key]].concat());
            this.errors.push(
                Diagnostic::error(Code::ModbusOptionMisplaced, message)
                    .label(span, "does not apply here")
                    .help(help),
            );
        };
        let mut ok = true;
        for key in ["scale", "offset"] {
            if options.contains_key(key) && !ty.is_number() {
                misplaced(
                    self,
                    key,
                    format!("field `{field}` is a `{}`, which has no {key}", ty.name()),
                    format!("remove `{key}:`; only numbers are scaled"),
                );
                ok = false;
            } else if options.contains_key(key) && type_name == "int" {
                let value = if key == "scale" {
                    register.scale
                } else {
                    register.offset
                };
                if value.fract() != 0.0 {
                    misplaced(self, key, format!("field `{field}` is `int`, but its {key} {value} is not a whole number"), "make the field `float` (`raw * scale + offset` is then not a whole number), or use a whole scale and offset".into());
                    ok = false;
                }
            }
        }
        let one_register = ty.count() == 1 && ty.is_number();
        if (one_register
            || matches!(
                ty,
                RegisterType::String(_) | RegisterType::Bool | RegisterType::Bit(_)
            ))
            && options.contains_key("word_order")
        {
            misplaced(self, "word_order", format!("field `{field}` is a `{}`, which has no words to order", ty.name()), "remove `word_order:`; it orders the registers of a value of two or more (u32, i32, f32, f64)".into());
            ok = false;
        }
        if register.table.is_bits() {
            for key in ["byte_order", "order"] {
                if options.contains_key(key) {
                    misplaced(
                        self,
                        key,
                        format!("field `{field}` is a single bit, which has no byte order"),
                        format!("remove `{key}:`"),
                    );
                    ok = false;
                }
            }
        } else if options.contains_key("order") && !(ty.count() > 1 && ty.is_number()) {
            misplaced(self, "order", format!("`order:` of field `{field}` names a layout of two registers, but a `{}` is not", ty.name()), "write `byte_order: little` if the device swaps the bytes of each register, or remove `order:`".into());
            ok = false;
        }
        ok
    }

    fn modbus_shape(&mut self, span: Span, message: String, label: &str, help: String) {
        self.errors.push(
            Diagnostic::error(Code::ModbusMapShape, message)
                .label(span, label.to_string())
                .help(help),
        );
    }

    /// The value of `key` in the register map, or the key.
    fn modbus_value_span(&self, map_path: &[&str], key: &str, options: &Mapping) -> Span {
        let path = [map_path, &[key]].concat();
        match options.get(key) {
            Some(value) => self.value_span(&path, text_of(value).trim()),
            None => self.key_span(&path),
        }
    }
}

/// A YAML scalar as written (near enough for a message and for finding it in the text).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}
