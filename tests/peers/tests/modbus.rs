//! The pymodbus device as started by fdi-peers: it answers Modbus TCP requests, written here
//! byte by byte from the protocol's specification, with what the test set; refused addresses
//! answer with the exception, a silent device not at all; frames change the registers per read.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fdi_peers::{laid_out, ModbusDevice, Table};

/// Sends a Modbus TCP request (MBAP header, unit, function code 4 or 3, address, count) and
/// returns the PDU of the answer (function code onwards), or `None` when nothing came in time.
fn read_registers(
    stream: &mut TcpStream,
    unit: u8,
    function: u8,
    address: u16,
    count: u16,
) -> Option<Vec<u8>> {
    let mut request = vec![0x00, 0x01, 0x00, 0x00, 0x00, 0x06, unit, function];
    request.extend(address.to_be_bytes());
    request.extend(count.to_be_bytes());
    stream.write_all(&request).unwrap();
    let mut header = [0u8; 7];
    stream.read_exact(&mut header).ok()?;
    let length = u16::from_be_bytes([header[4], header[5]]) as usize;
    let mut pdu = vec![0u8; length - 1];
    stream.read_exact(&mut pdu).ok()?;
    Some(pdu)
}

fn connect(device: &ModbusDevice) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", device.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    stream
}

#[test]
fn the_device_answers_with_what_the_test_set_and_refuses_what_it_is_told_to() {
    let mut device = ModbusDevice::start(5).expect("pymodbus starts (tests/peers/install)");
    device
        .set_registers(Table::Input, 10, &[0x1234, 0xABCD])
        .unwrap();
    assert_eq!(
        device.registers(Table::Input, 10, 3).unwrap(),
        [0x1234, 0xABCD, 0]
    );
    let mut stream = connect(&device);
    assert_eq!(
        read_registers(&mut stream, 5, 4, 10, 2).unwrap(),
        [4, 4, 0x12, 0x34, 0xAB, 0xCD]
    );
    device.refuse(Table::Input, 11, 1).unwrap();
    // Exception responses: the function code with its high bit set, then the code (2: illegal
    // data address).
    assert_eq!(read_registers(&mut stream, 5, 4, 10, 2).unwrap(), [0x84, 2]);
    device.accept_all().unwrap();
    assert_eq!(
        read_registers(&mut stream, 5, 4, 11, 1).unwrap(),
        [4, 2, 0xAB, 0xCD]
    );
    assert_eq!(device.requests(Table::Input).unwrap().reads, 2);

    device.set_silent(true).unwrap();
    assert_eq!(read_registers(&mut stream, 5, 4, 10, 1), None);
    device.set_silent(false).unwrap();

    let mut stream = connect(&device);
    device
        .play_frames(Table::Holding, 0, &[vec![1], vec![2]])
        .unwrap();
    assert_eq!(
        read_registers(&mut stream, 5, 3, 0, 1).unwrap(),
        [3, 2, 0, 1]
    );
    assert_eq!(
        read_registers(&mut stream, 5, 3, 0, 1).unwrap(),
        [3, 2, 0, 2]
    );
    assert_eq!(
        read_registers(&mut stream, 5, 3, 0, 1).unwrap(),
        [3, 2, 0, 2],
        "the last frame stays"
    );
    assert_eq!(device.frames_left(Table::Holding, 0).unwrap(), 0);
}

#[test]
fn the_layouts_are_the_ones_manuals_name() {
    let bytes = [0xA1, 0xB2, 0xC3, 0xD4];
    assert_eq!(laid_out(&bytes, "ABCD"), [0xA1B2, 0xC3D4]);
    assert_eq!(laid_out(&bytes, "BADC"), [0xB2A1, 0xD4C3]);
    assert_eq!(laid_out(&bytes, "CDAB"), [0xC3D4, 0xA1B2]);
    assert_eq!(laid_out(&bytes, "DCBA"), [0xD4C3, 0xB2A1]);
}
