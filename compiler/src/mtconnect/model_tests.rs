//! The reader against the real device models in `tests/models/mtconnect/`, with expectations
//! counted from the files themselves where a count is asserted.

use super::*;

fn read(file: &str) -> (String, DeviceModel) {
    let path = format!(
        "{}/../tests/models/mtconnect/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let model = DeviceModel::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    (text, model)
}

/// How many `<DataItem ` start tags the text of a device has (between its start tag and the
/// next `<Device `), counted without any XML reader.
fn data_item_tags(text: &str, device_name: &str) -> usize {
    let start = text
        .find(&format!("name=\"{device_name}\""))
        .expect("the device is in the file");
    let rest = &text[start..];
    let end = rest[1..].find("<Device ").map_or(rest.len(), |e| e + 1);
    rest[..end].matches("<DataItem ").count()
}

#[test]
fn the_okuma_model_has_its_devices_and_data_items() {
    let (text, model) = read("okuma_Devices.xml");
    assert_eq!(model.version.as_deref(), Some("2.7"));
    let names: Vec<&str> = model.devices.iter().map(Device::label).collect();
    assert_eq!(names, ["OKUMA", "Mazak"]);
    let okuma = model.device(Some("OKUMA")).unwrap();
    assert_eq!(okuma.data_items.len(), data_item_tags(&text, "OKUMA"));
    let execution = okuma.data_item("pexecution").unwrap();
    assert_eq!(execution.id, "Lpexecution");
    assert_eq!(execution.category, Category::Event);
    assert_eq!(execution.type_name, "EXECUTION");
    assert_eq!(&text[execution.id_range.clone()], "Lpexecution");
    assert_eq!(&text[execution.type_range.clone()], "EXECUTION");
    // By id as well as by name.
    assert_eq!(okuma.data_item("Lpexecution"), Some(execution));
    let speed = okuma.data_item("S1speed").unwrap();
    assert_eq!(speed.category, Category::Sample);
    assert_eq!(speed.type_name, "ROTARY_VELOCITY");
    assert_eq!(speed.sub_type.as_deref(), Some("ACTUAL"));
    assert_eq!(speed.units.as_deref(), Some("REVOLUTION/MINUTE"));
    assert_eq!(
        &text[speed.units_range.clone().unwrap()],
        "REVOLUTION/MINUTE"
    );
    assert_eq!(speed.component_path, ["Axes Axes", "Rotary C1"]);
    let mode = okuma.data_item("S1Mode").unwrap();
    assert_eq!(mode.constraint_values, ["SPINDLE"]);
    // Its subTypes use `x:` undeclared, which changes nothing the typing reads.
    assert_eq!(model.skipped, []);
    // With two devices, one must be named.
    assert!(model.device(None).is_none());
    assert_eq!(
        model.device(Some("OKUMA.123456")).map(Device::label),
        Some("OKUMA")
    );
}

#[test]
fn the_nist_model_is_read_although_it_uses_an_undeclared_prefix() {
    let (text, model) = read("nist_Devices.xml");
    assert_eq!(model.version.as_deref(), Some("1.3"));
    assert_eq!(model.devices.len(), text.matches("<Device ").count());
    let agie = model.device(Some("GFAgie01")).unwrap();
    assert_eq!(agie.data_items.len(), data_item_tags(&text, "GFAgie01"));
    let motion = agie.data_item("move").unwrap();
    assert_eq!(motion.type_name, "x:MOTION");
    let undeclared = text.matches(" type=\"x:").count();
    let note = model
        .skipped
        .iter()
        .find(|s| s.what.contains("prefix `x:`"))
        .expect("the undeclared prefix is reported");
    assert!(
        note.what.starts_with(&format!("{undeclared} ")),
        "{}",
        note.what
    );
}

#[test]
fn the_simple_and_fanuc_models_are_read() {
    let (text, simple) = read("SimpleDevice.xml");
    assert_eq!(simple.version.as_deref(), Some("1.4"));
    let cnc = simple.device(Some("SimpleCnc")).unwrap();
    assert_eq!(cnc.data_items.len(), data_item_tags(&text, "SimpleCnc"));
    let (text, fanuc) = read("fanuc_Devices.xml");
    assert_eq!(fanuc.version.as_deref(), Some("1.1"));
    let device = fanuc.device(None).expect("one device, named or not");
    assert_eq!(device.label(), "Fanuc-4Axis");
    assert_eq!(device.data_items.len(), text.matches("<DataItem ").count());
}

#[test]
fn an_undeclared_element_prefix_is_declared_and_reported_with_its_position() {
    let text = r#"<?xml version="1.0"?>
<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:1.3">
  <Devices>
    <Device id="d" name="mill">
      <DataItems>
        <DataItem id="avail" category="EVENT" type="AVAILABILITY"/>
      </DataItems>
      <Components>
        <x:Laser id="laser" name="laser">
          <DataItems><DataItem id="power" category="SAMPLE" type="POWER" units="WATT"/></DataItems>
        </x:Laser>
      </Components>
    </Device>
  </Devices>
</MTConnectDevices>"#;
    let model = DeviceModel::parse(text).unwrap();
    let device = model.device(None).unwrap();
    let power = device.data_item("power").unwrap();
    assert_eq!(power.component_path, ["Laser laser"]);
    // Positions are in the original text, although the text read had a declaration added.
    assert_eq!(&text[power.id_range.clone()], "power");
    assert_eq!(&text[power.units_range.clone().unwrap()], "WATT");
    let note = &model.skipped[0];
    assert!(note.what.contains("`x`"), "{}", note.what);
    assert_eq!(&text[note.range.clone()], "x");
}

#[test]
fn what_cannot_be_used_is_skipped_and_listed() {
    let text = r#"<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:2.0">
  <Devices>
    <Device id="d" name="mill">
      <DataItems>
        <DataItem category="EVENT" type="EXECUTION"/>
        <DataItem id="a" category="EVENT" type="EXECUTION"/>
        <DataItem id="a" category="SAMPLE" type="POSITION"/>
        <DataItem id="b" category="REPORT" type="POSITION"/>
        <DataItem id="c" category="EVENT"/>
        <DataItem id="d" category="SAMPLE" type="POSITION" units="MILIMETER"/>
      </DataItems>
    </Device>
    <Gadget id="g"/>
  </Devices>
</MTConnectDevices>"#;
    let model = DeviceModel::parse(text).unwrap();
    let ids: Vec<&str> = model.devices[0]
        .data_items
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    // The one in units the standard lacks is read, and said to be unchecked.
    assert_eq!(ids, ["a", "d"]);
    let reasons: Vec<&str> = model.skipped.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(reasons.len(), 6, "{reasons:?}");
    assert!(reasons[0].contains("without an `id`"));
    assert!(reasons[1].contains("second `DataItem` with the id `a`"));
    assert!(reasons[2].contains("category `REPORT`"));
    assert!(reasons[3].contains("has no `type`"));
    assert!(reasons[4].contains("the units `MILIMETER` of the data item `d`"));
    assert!(reasons[5].contains("`Gadget`"));
}

#[test]
fn documents_that_are_no_device_model_are_refused_with_the_reason() {
    let refused = |text: &str| DeviceModel::parse(text).unwrap_err();
    assert!(refused("").contains("not well-formed XML"));
    assert!(refused("<MTConnectDevices><Devices>").contains("not well-formed XML"));
    assert!(refused("<MTConnectStreams/>").contains("root element is `MTConnectStreams`"));
    assert!(refused("<MTConnectDevices/>").contains("no `Devices` element"));
    assert!(refused("<MTConnectDevices><Devices/></MTConnectDevices>").contains("no `Device`"));
    assert!(refused("<!DOCTYPE x [<!ENTITY a 'b'>]><MTConnectDevices/>").contains("XML"));
}

#[test]
fn no_truncation_or_corruption_of_a_real_model_panics() {
    let (text, _) = read("nist_Devices.xml");
    // Element prefixes undeclared too, so that the repair is exercised on every cut.
    let text = text
        .replace("<Linear ", "<x:Linear ")
        .replace("</Linear>", "</x:Linear>");
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            let _ = DeviceModel::parse(&text[..cut]);
            let corrupted = format!("{}<y:{}", &text[..cut], &text[cut..]);
            let _ = DeviceModel::parse(&corrupted);
        }
        cut += 331;
    }
    let whole = DeviceModel::parse(&text).unwrap();
    assert!(whole
        .skipped
        .iter()
        .any(|s| s.what.contains("prefix `x` is used but never declared")));
    assert_eq!(
        whole
            .device(Some("GFAgie01"))
            .unwrap()
            .data_item("Xposition")
            .unwrap()
            .component_path,
        ["Axes axes", "Linear X"]
    );
}
