//! Modbus TCP: a device's registers and coils as a polled source and a confirmed target.
//!
//! * [`map`]: the register map the schema declares per field (table, address, type, byte and
//!   word order, scale and offset), which the generated program passes as static tables.
//! * [`codec`]: registers to values and back, per the map.
//! * [`plan`]: the fewest read requests that cover a map.
//! * With the cargo feature `modbus`: [`ModbusSource`] polls a device (one record per poll, or
//!   per change), [`ModbusTarget`] writes records and acknowledges them once the device
//!   confirmed each write, both on tokio-modbus's TCP client on the run's tokio threads.

pub mod codec;
pub mod map;
pub mod plan;

pub use self::map::{FieldKind, Order, RegisterField, RegisterMap, RegisterTable, RegisterType};

#[cfg(feature = "modbus")]
mod connection;
#[cfg(feature = "modbus")]
mod source;
#[cfg(feature = "modbus")]
mod target;

#[cfg(feature = "modbus")]
pub use self::connection::ModbusConnection;
#[cfg(feature = "modbus")]
pub use self::source::{Emit, ModbusPoll, ModbusSource};
#[cfg(feature = "modbus")]
pub use self::target::ModbusTarget;
