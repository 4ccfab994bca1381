//! The Modbus TCP connector (feature `modbus`) against a real device each test starts
//! (`fdi_peers::ModbusDevice`, pymodbus's server on a free port of 127.0.0.1): the source
//! (`source.rs`: every byte and word order, bits, text, scale and offset, polls on change,
//! exceptions and a silent device) and the target (`target.rs`: the same map written and read
//! back at the device, values that do not fit, refused writes, a silent device). Expected
//! registers are laid out by `fdi_peers::laid_out` from Rust's own `to_be_bytes`, never by the
//! runtime's codec.

mod source;
mod support;
mod target;
