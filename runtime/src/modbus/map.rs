//! The register map: where each field of an entity is read from and written to on a Modbus
//! device, as the schema declares it (`modbus: { table: input, address: 30, type: f32 }`). The
//! generated program passes it to the source and target as `&'static` tables, so these types are
//! `Copy` and hold only static text.

/// The four data tables of a Modbus device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegisterTable {
    /// 16-bit registers, read and written (function codes 3, 6, 16).
    Holding,
    /// 16-bit registers, read only (function code 4).
    Input,
    /// Single bits, read and written (function codes 1, 5, 15).
    Coil,
    /// Single bits, read only (function code 2).
    DiscreteInput,
}

impl RegisterTable {
    pub const NAMES: [&'static str; 4] = ["holding", "input", "coil", "discrete_input"];

    pub fn parse(name: &str) -> Option<RegisterTable> {
        Some(match name {
            "holding" => RegisterTable::Holding,
            "input" => RegisterTable::Input,
            "coil" => RegisterTable::Coil,
            "discrete_input" => RegisterTable::DiscreteInput,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RegisterTable::Holding => "holding",
            RegisterTable::Input => "input",
            RegisterTable::Coil => "coil",
            RegisterTable::DiscreteInput => "discrete_input",
        }
    }

    /// Whether the table holds single bits rather than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, RegisterTable::Coil | RegisterTable::DiscreteInput)
    }

    /// Whether a client may write it (holding registers and coils).
    pub fn is_writable(self) -> bool {
        matches!(self, RegisterTable::Holding | RegisterTable::Coil)
    }

    /// The most items one read request may ask for (Modbus application protocol, 6.1-6.4):
    /// 125 registers or 2000 bits.
    pub fn max_read(self) -> u16 {
        if self.is_bits() {
            2000
        } else {
            125
        }
    }
}

/// How the raw value of a field is laid out in its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterType {
    U16,
    I16,
    U32,
    I32,
    F32,
    F64,
    /// A coil or discrete input; in a register, true when the register is not zero.
    Bool,
    /// Bit `0..=15` of one register (bit 0 the least significant).
    Bit(u8),
    /// Text of this many registers, two bytes each, ending at the first NUL.
    String(u16),
}

impl RegisterType {
    /// The names of the types as the schema writes them (`bit` and `string` take a number).
    pub const NAMES: [&'static str; 9] = [
        "u16", "i16", "u32", "i32", "f32", "f64", "bool", "bit", "string",
    ];

    /// How many registers (or bits, in a bit table) the value takes.
    pub fn count(self) -> u16 {
        match self {
            RegisterType::U16 | RegisterType::I16 | RegisterType::Bool | RegisterType::Bit(_) => 1,
            RegisterType::U32 | RegisterType::I32 | RegisterType::F32 => 2,
            RegisterType::F64 => 4,
            RegisterType::String(registers) => registers,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RegisterType::U16 => "u16",
            RegisterType::I16 => "i16",
            RegisterType::U32 => "u32",
            RegisterType::I32 => "i32",
            RegisterType::F32 => "f32",
            RegisterType::F64 => "f64",
            RegisterType::Bool => "bool",
            RegisterType::Bit(_) => "bit",
            RegisterType::String(_) => "string",
        }
    }

    /// Whether the raw value is a number that scale and offset apply to.
    pub fn is_number(self) -> bool {
        !matches!(
            self,
            RegisterType::Bool | RegisterType::Bit(_) | RegisterType::String(_)
        )
    }
}

/// The order of bytes within each register, or of registers within a value: `Big` puts the most
/// significant first (the Modbus standard's order). With both orders a value of two registers
/// is written as the bytes of the big-endian value `ABCD` are placed: both big `ABCD`, bytes
/// little `BADC`, words little `CDAB`, both little `DCBA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    Big,
    Little,
}

impl Order {
    pub fn parse(name: &str) -> Option<Order> {
        match name {
            "big" => Some(Order::Big),
            "little" => Some(Order::Little),
            _ => None,
        }
    }
}

/// What the schema field holds, which decides the JSON value a read becomes and what a write
/// accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    Int,
    Float,
    Bool,
    Text,
}

/// One field of the register map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegisterField {
    /// The field's external name: its key in the record's JSON object.
    pub name: &'static str,
    pub kind: FieldKind,
    pub table: RegisterTable,
    /// The first register (or bit), 0-based as on the wire.
    pub address: u16,
    pub ty: RegisterType,
    pub byte_order: Order,
    pub word_order: Order,
    /// The field's value is `raw * scale + offset`; a write stores `(value - offset) / scale`.
    pub scale: f64,
    pub offset: f64,
}

impl RegisterField {
    /// A field read as `ty` from `table` at `address`, in the standard's orders, unscaled.
    pub const fn new(
        name: &'static str,
        kind: FieldKind,
        table: RegisterTable,
        address: u16,
        ty: RegisterType,
    ) -> Self {
        RegisterField {
            name,
            kind,
            table,
            address,
            ty,
            byte_order: Order::Big,
            word_order: Order::Big,
            scale: 1.0,
            offset: 0.0,
        }
    }

    /// The address after its last register (or bit): `address + count`, which may be 65536.
    pub fn end(&self) -> u32 {
        u32::from(self.address) + u32::from(self.ty.count())
    }

    /// Where it is, for messages: `input register 30`, `coil 7`.
    pub fn location(&self) -> String {
        let what = match self.table {
            RegisterTable::Holding => "holding register",
            RegisterTable::Input => "input register",
            RegisterTable::Coil => "coil",
            RegisterTable::DiscreteInput => "discrete input",
        };
        format!("{what} {}", self.address)
    }
}

/// The register map of an entity: the fields read from (or written to) the device, the field
/// that takes the time of each read, and the quality columns of its fields that carry one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegisterMap {
    pub fields: &'static [RegisterField],
    /// A timestamp field that holds when the poll's answers arrived (`modbus: read_time`).
    pub read_time: Option<&'static str>,
    /// `(quality column, source timestamp column)` of each field with `quality: true`: a poll
    /// that answered is GOOD, as of when its answers arrived (a poll that did not is no record).
    pub quality: &'static [(&'static str, &'static str)],
}
