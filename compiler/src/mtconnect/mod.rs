//! The compiler side of MTConnect's device models: a mapping that names a device model
//! (`devices:`, a `Devices.xml` or a `/probe` answer) has its data items looked up in it and its
//! entity's `value` typed by them, in a stage after the check (the checker does no IO).
//!
//! `model.rs` reads `MTConnectDevices` documents leniently and lists what it skipped;
//! `standard.rs` holds what the standard says values are (`standard.yaml`, extracted from the
//! 2.7 Streams schema by `extract_standard.py`) and its units in the compiler's units.

pub mod model;
pub mod standard;
