#!/usr/bin/env python3
"""Flatten QIF 3.0 measurement results into one CSV row per characteristic measurement.

Usage, from examples/cmm-to-qms/:

    python3 data/extract_qif.py -o data/cmm_results.csv \
        --input data/qif/SheetMetal_QIF_Results_6_samples.QIF data/qif/sheetMetalPlan.QIF \
        --input data/qif/WIDGET_QIF_RESULTS.QIF data/qif/WIDGET_QIF_PLAN.QIF

Each --input names a QIF results file and the QIF plan it was measured against. The
characteristics (type, tolerance, nominal) that the results file carries are checked
against the plan, by characteristic name, and the script stops if they differ.

One output row is written per <...CharacteristicMeasurement> element, in input order and
then document order. Nothing is computed or reformatted: numbers are the text of the QIF
elements exactly as written (e.g. "19.007000000000001"), and empty cells mean "the QIF
file does not give this". Unit of every length column: the file's
FileUnits/PrimaryUnits/LinearUnit/UnitName, written in the column length_unit.

The script stops (exit 1) on anything it does not understand (a missing reference, two
<Value> elements, a missing status, a results file with several parts...) rather than
guessing. Only the Python standard library is used; output is deterministic (same input
bytes, same output bytes).
"""

import argparse
import csv
import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://qifstandards.org/xsd/qif3}"

COLUMNS = [
    "source_file",           # file name of the QIF results document
    "results_qpid",          # QPId (UUID) of the results document
    "plan_qpid",             # QPId (UUID) of the plan document given with it
    "inspection_program",    # PreInspectionTraceability/ReportNumber
    "inspection_mode",       # PreInspectionTraceability/InspectionMode (e.g. FAI_Full)
    "part_model_number",     # Product/PartSet/Part/ModelNumber
    "part_version",          # Product/PartSet/Part/Version
    "results_seq",           # 1-based position of the MeasurementResults (one per part measured)
    "serial_number",         # ActualComponent/SerialNumber; empty if the file gives none
    "part_status",           # ActualComponent/Status (inspection status of the whole part)
    "measurement_id",        # QIF id of the characteristic measurement (unique per file)
    "characteristic_item_id",  # QIF id of the characteristic item (same for every part)
    "characteristic_name",   # CharacteristicItem/Name
    "characteristic_type",   # element name without the suffix: Diameter, Position, PointProfile...
    "feature_names",         # FeatureName of each measured feature, space-separated
    "repeat_index",          # 1, 2, ... among measurements of the same part, item and features
    "nominal",               # CharacteristicNominal/TargetValue (size characteristics only)
    "tolerance_value",       # CharacteristicDefinition/ToleranceValue (geometric: zone size)
    "tolerance_min",         # CharacteristicDefinition/Tolerance/MinValue
    "tolerance_max",         # CharacteristicDefinition/Tolerance/MaxValue
    "tolerance_is_limit",    # CharacteristicDefinition/Tolerance/DefinedAsLimit
    "measured_value",        # CharacteristicMeasurement/Value, text as written
    "status",                # CharacteristicMeasurement/Status/CharacteristicStatusEnum
    "length_unit",           # FileUnits/PrimaryUnits/LinearUnit/UnitName
    "measured_at",           # CharacteristicMeasurement/TimeStamp
    "inspection_start",      # MeasurementResults/InspectionTraceability/InspectionStart
    "report_prepared_at",    # Results/InspectionTraceability/ReportPreparationDate
    "device_qif_id",         # QIF id(s) of the measurement device(s), space-separated
    "device_name",           # MeasurementDevice/Name, space-separated if several
]


class QifError(Exception):
    pass


def local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def text_of(elem, path):
    """Text of the element at path (written without namespace, '/'-separated), or ''."""
    if elem is None:
        return ""
    qualified = "/".join(NS + step for step in path.split("/"))
    found = elem.find(qualified)
    if found is None or found.text is None:
        return ""
    return found.text


def ids_of(elem, child):
    """The <Id> texts of a QIF id list such as <FeatureItemIds>, or []."""
    lst = elem.find(NS + child)
    if lst is None:
        return []
    return [i.text for i in lst.findall(NS + "Id")]


def exact_number(text, what):
    if text == "" or text != text.strip():
        raise QifError(f"{what}: {text!r} is empty or has surrounding whitespace")
    return text


def characteristics_by_id(root):
    chars = root.find(NS + "Characteristics")
    if chars is None:
        raise QifError("no <Characteristics>")
    defs = {d.get("id"): d for d in chars.find(NS + "CharacteristicDefinitions")}
    noms = {n.get("id"): n for n in chars.find(NS + "CharacteristicNominals")}
    items = {i.get("id"): i for i in chars.find(NS + "CharacteristicItems")}
    return defs, noms, items


def describe_item(item, defs, noms):
    """(type, nominal, tolerance_value, min, max, is_limit) of a characteristic item."""
    kind = local(item.tag)
    if not kind.endswith("CharacteristicItem"):
        raise QifError(f"unexpected element {kind} among characteristic items")
    kind = kind[: -len("CharacteristicItem")]
    nom = noms.get(text_of(item, "CharacteristicNominalId"))
    if nom is None:
        raise QifError(f"characteristic item {item.get('id')} has no nominal")
    dfn = defs.get(text_of(nom, "CharacteristicDefinitionId"))
    if dfn is None:
        raise QifError(f"characteristic nominal {nom.get('id')} has no definition")
    for part, suffix in ((nom, "CharacteristicNominal"), (dfn, "CharacteristicDefinition")):
        if local(part.tag) != kind + suffix:
            raise QifError(f"item {item.get('id')} ({kind}) refers to {local(part.tag)}")
    return (
        kind,
        text_of(nom, "TargetValue"),
        text_of(dfn, "ToleranceValue"),
        text_of(dfn, "Tolerance/MinValue"),
        text_of(dfn, "Tolerance/MaxValue"),
        text_of(dfn, "Tolerance/DefinedAsLimit"),
    )


def plan_characteristics(plan_path):
    root = ET.parse(plan_path).getroot()
    if root.find(NS + "Plan") is None:
        raise QifError(f"{plan_path}: not a QIF plan (no <Plan>)")
    defs, noms, items = characteristics_by_id(root)
    by_name = {}
    for item in items.values():
        name = text_of(item, "Name")
        if name in by_name:
            raise QifError(f"{plan_path}: characteristic name {name!r} is used twice")
        by_name[name] = describe_item(item, defs, noms)
    return text_of(root, "QPId"), by_name


def linear_unit(root):
    unit = text_of(root, "FileUnits/PrimaryUnits/LinearUnit/UnitName")
    if unit == "":
        raise QifError("no FileUnits/PrimaryUnits/LinearUnit/UnitName: length unit unknown")
    return unit


def extract(results_path, plan_path):
    plan_qpid, plan_chars = plan_characteristics(plan_path)
    root = ET.parse(results_path).getroot()
    results = root.find(NS + "Results")
    if results is None:
        raise QifError("not a QIF results document (no <Results>)")

    unit = linear_unit(root)
    parts = root.findall(NS + "Product/" + NS + "PartSet/" + NS + "Part")
    if len(parts) != 1:
        raise QifError(f"expected one <Part>, found {len(parts)}")
    part = parts[0]

    devices = {
        d.get("id"): text_of(d, "Name")
        for d in root.iterfind(
            NS + "MeasurementResources/" + NS + "MeasurementDevices/" + NS + "MeasurementDevice"
        )
    }
    feature_names = {}
    feature_items = root.find(NS + "Features/" + NS + "FeatureItems")
    if feature_items is not None:
        for f in feature_items:
            feature_names[f.get("id")] = text_of(f, "FeatureName")

    defs, noms, items = characteristics_by_id(root)
    described = {}
    for item_id, item in items.items():
        name = text_of(item, "Name")
        desc = describe_item(item, defs, noms)
        if plan_chars.get(name) != desc:
            raise QifError(
                f"characteristic {name!r}: results say {desc}, plan says {plan_chars.get(name)}"
            )
        described[item_id] = (name, desc)

    components = {}
    for comp in results.iterfind(
        NS + "ActualComponentSets/" + NS + "ActualComponentSet/" + NS + "ActualComponent"
    ):
        components[comp.get("id")] = (
            text_of(comp, "SerialNumber"),
            text_of(comp, "Status/InspectionStatusEnum"),
        )

    common = {
        "source_file": os.path.basename(results_path),
        "results_qpid": text_of(root, "QPId"),
        "plan_qpid": plan_qpid,
        "inspection_program": text_of(root, "PreInspectionTraceability/ReportNumber"),
        "inspection_mode": text_of(root, "PreInspectionTraceability/InspectionMode"),
        "part_model_number": text_of(part, "ModelNumber"),
        "part_version": text_of(part, "Version"),
        "length_unit": unit,
        "report_prepared_at": text_of(results, "InspectionTraceability/ReportPreparationDate"),
    }

    rows = []
    all_results = results.findall(
        NS + "MeasurementResultsSet/" + NS + "MeasurementResults"
    )
    for seq, mres in enumerate(all_results, start=1):
        comp_ids = ids_of(mres, "ActualComponentIds")
        if len(comp_ids) != 1 or comp_ids[0] not in components:
            raise QifError(f"MeasurementResults {mres.get('id')}: needs exactly one known part")
        serial, part_status = components[comp_ids[0]]
        feature_of_measurement = {
            fm.get("id"): text_of(fm, "FeatureItemId")
            for fm in mres.find(NS + "MeasuredFeatures")
        }
        seen = {}
        measurements = mres.find(
            NS + "MeasuredCharacteristics/" + NS + "CharacteristicMeasurements"
        )
        for meas in measurements:
            kind = local(meas.tag)
            if not kind.endswith("CharacteristicMeasurement"):
                raise QifError(f"unexpected element {kind} among measurements")
            kind = kind[: -len("CharacteristicMeasurement")]
            item_id = text_of(meas, "CharacteristicItemId")
            if item_id not in described:
                raise QifError(f"measurement {meas.get('id')}: unknown item {item_id}")
            name, (item_kind, nominal, tol, tmin, tmax, is_limit) = described[item_id]
            if item_kind != kind:
                raise QifError(f"measurement {meas.get('id')} is {kind}, its item {item_kind}")
            values = meas.findall(NS + "Value")
            if len(values) != 1:
                raise QifError(f"measurement {meas.get('id')}: {len(values)} <Value> elements")
            value = exact_number(values[0].text or "", f"measurement {meas.get('id')}")
            status = text_of(meas, "Status/CharacteristicStatusEnum")
            if status == "":
                raise QifError(f"measurement {meas.get('id')}: no CharacteristicStatusEnum")
            fm_ids = ids_of(meas, "FeatureMeasurementIds")
            try:
                names = [feature_names[feature_of_measurement[i]] for i in fm_ids]
            except KeyError as missing:
                raise QifError(f"measurement {meas.get('id')}: unknown feature {missing}")
            group = (item_id, tuple(fm_ids))
            seen[group] = seen.get(group, 0) + 1
            device_ids = ids_of(meas, "MeasurementDeviceIds") or ids_of(
                items[item_id], "MeasurementDeviceIds"
            )
            if any(d not in devices for d in device_ids):
                raise QifError(f"measurement {meas.get('id')}: unknown device in {device_ids}")

            row = dict(common)
            row.update(
                {
                    "results_seq": str(seq),
                    "serial_number": serial,
                    "part_status": part_status,
                    "measurement_id": meas.get("id"),
                    "characteristic_item_id": item_id,
                    "characteristic_name": name,
                    "characteristic_type": kind,
                    "feature_names": " ".join(names),
                    "repeat_index": str(seen[group]),
                    "nominal": nominal,
                    "tolerance_value": tol,
                    "tolerance_min": tmin,
                    "tolerance_max": tmax,
                    "tolerance_is_limit": is_limit,
                    "measured_value": value,
                    "status": status,
                    "measured_at": text_of(meas, "TimeStamp"),
                    "inspection_start": text_of(mres, "InspectionTraceability/InspectionStart"),
                    "device_qif_id": " ".join(device_ids),
                    "device_name": " ".join(devices[d] for d in device_ids),
                }
            )
            rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--input", nargs=2, action="append", required=True, metavar=("RESULTS", "PLAN"),
        help="a QIF results file and the QIF plan it was measured against",
    )
    parser.add_argument("-o", "--output", required=True, help="CSV file to write")
    args = parser.parse_args()

    rows = []
    for results_path, plan_path in args.input:
        try:
            rows.extend(extract(results_path, plan_path))
        except (QifError, ET.ParseError) as err:
            print(f"extract_qif: {results_path}: {err}", file=sys.stderr)
            return 1

    with open(args.output, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"extract_qif: {len(rows)} rows written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
