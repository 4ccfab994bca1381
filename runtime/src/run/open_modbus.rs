//! Opening Modbus TCP sources and targets (feature `modbus`): the device's address comes from the
//! deployment settings; the register map from the schema, through the generated program.

use serde::Serialize;

use super::{OpenSource, Run, TargetId};
use crate::error::RunError;
use crate::modbus::{ModbusConnection, ModbusPoll, ModbusSource, ModbusTarget, RegisterMap};

impl Run {
    /// Opens the Modbus source a mapping declares, `modbus(connection:, unit_id:, poll_interval:,
    /// emit:)`, on the device its connection's settings name (see
    /// [`ModbusConnection::from_settings`]). It connects at its first poll: a device that is not
    /// there yet is polled again with backoff and shown unreachable in health, not a failed start.
    /// A test run may replace it with a file of JSON records (`--source NAME=PATH`).
    pub fn modbus_source(
        &mut self,
        name: &str,
        connection: &str,
        poll: &ModbusPoll,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let settings = ModbusConnection::from_settings(self.connection(connection)?)?;
        self.connect_modbus_source(name, settings, *poll)
    }

    /// Opens a Modbus source polling the device at `connection` (see [`ModbusSource`]).
    pub fn connect_modbus_source(
        &mut self,
        name: &str,
        connection: ModbusConnection,
        poll: ModbusPoll,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let source = ModbusSource::new(name, connection, poll, Some(self.ops.health()));
        self.source_index(name);
        Ok(OpenSource::stream(source))
    }

    /// Opens the Modbus target a mapping declares, `modbus(connection:, unit_id:)`, writing the
    /// fields of `map` to the device its connection's settings name. When the run captures
    /// targets, the device is not contacted and the target writes JSON Lines instead.
    pub fn modbus_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: &str,
        unit_id: u8,
        map: RegisterMap,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let settings = ModbusConnection::from_settings(self.connection(connection)?)?;
        self.connect_modbus_target(name, settings, unit_id, map)
    }

    /// Opens a Modbus target writing unit `unit_id` of the device at `connection` (see
    /// [`ModbusTarget`]).
    pub fn connect_modbus_target<T: Serialize + 'static>(
        &mut self,
        name: &str,
        connection: ModbusConnection,
        unit_id: u8,
        map: RegisterMap,
    ) -> Result<TargetId<T>, RunError> {
        if let Some(captured) = self.capture(name)? {
            return Ok(captured);
        }
        let target = ModbusTarget::new(name, connection, unit_id, map, self.io())?;
        Ok(self.add_target(name, Box::new(target)))
    }
}
