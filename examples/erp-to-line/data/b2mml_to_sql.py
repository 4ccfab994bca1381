#!/usr/bin/env python3
"""Writes the ERP table of the erp-to-line example from B2MML production schedules.

    python3 b2mml_to_sql.py PRO-20121210181416-27942.xml > work_orders.sql

Each ProductionRequest of a SyncProductionSchedule (B2MML V0401) is one work order; each of its
MaterialRequirements, in document order and at any depth of SegmentRequirements, becomes one row
of `work_orders`: the ERP's order items. Values are copied as the file writes them (quantities
as their decimal text, ids as text); nothing is computed except:

- `item`: the requirement's 1-based position within its order, in document order;
- `segment`: the ID of the SegmentRequirement holding the requirement, else its ProcessSegmentID;
- `line`: the order's `Center` production parameter. B2MML names it on a segment, not on the
  order; an order must name exactly one Center, else the script stops (no line would be a guess);
- `released_at`: the message's ApplicationArea/CreationDateTime.

Standard library only (xml.etree), so it runs wherever python3 does.
"""

import sys
import xml.etree.ElementTree as ElementTree

NS = {"b2mml": "http://www.wbf.org/xml/B2MML-V0401"}

TABLE = """CREATE TABLE work_orders (
    -- The watermark: an identity grows with every insert, so new rows are read after old ones.
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id text NOT NULL,
    item integer NOT NULL,
    segment text NOT NULL,
    material_id text NOT NULL,
    description text,
    material_use text,
    quantity numeric NOT NULL,
    unit_of_measure text NOT NULL,
    work_cell text,
    lot_id text,
    sublot_id text,
    indice text,
    line text NOT NULL,
    released_at timestamptz NOT NULL,
    UNIQUE (order_id, item)
);"""

COLUMNS = (
    "order_id", "item", "segment", "material_id", "description", "material_use", "quantity",
    "unit_of_measure", "work_cell", "lot_id", "sublot_id", "indice", "line", "released_at",
)


def text(element, path):
    """The stripped text at `path` under `element`, or None when it is missing or empty."""
    found = element.find(path, NS)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def requirements(segment, name):
    """(segment name, MaterialRequirement) pairs of `segment` and the segments inside it."""
    for requirement in segment.findall("b2mml:MaterialRequirement", NS):
        yield name, requirement
    for inner in segment.findall("b2mml:SegmentRequirement", NS):
        inner_name = text(inner, "b2mml:ID") or text(inner, "b2mml:ProcessSegmentID")
        if inner_name is None:
            raise SystemExit("a SegmentRequirement has neither an ID nor a ProcessSegmentID")
        yield from requirements(inner, inner_name)


def order_line(request, order_id):
    centers = {
        text(parameter, "b2mml:Value/b2mml:ValueString")
        for parameter in request.iter("{%s}Parameter" % NS["b2mml"])
        if text(parameter, "b2mml:ID") == "Center"
    }
    if len(centers) != 1 or None in centers:
        raise SystemExit(f"order {order_id}: expected one Center parameter, found {sorted(map(str, centers))}")
    return centers.pop()


def rows(path):
    document = ElementTree.parse(path).getroot()
    released_at = text(document, "b2mml:ApplicationArea/b2mml:CreationDateTime")
    if released_at is None:
        raise SystemExit(f"{path}: no ApplicationArea/CreationDateTime")
    for request in document.iterfind(".//b2mml:ProductionRequest", NS):
        order_id = text(request, "b2mml:ID")
        line = order_line(request, order_id)
        for item, (segment, requirement) in enumerate(requirements(request, None), start=1):
            if segment is None:
                raise SystemExit(f"order {order_id}: a MaterialRequirement outside any segment")
            yield {
                "order_id": order_id,
                "item": item,
                "segment": segment,
                "material_id": text(requirement, "b2mml:MaterialDefinitionID"),
                "description": text(requirement, "b2mml:Description"),
                "material_use": text(requirement, "b2mml:MaterialUse"),
                "quantity": text(requirement, "b2mml:Quantity/b2mml:QuantityString"),
                "unit_of_measure": text(requirement, "b2mml:Quantity/b2mml:UnitOfMeasure"),
                "work_cell": text(requirement, "b2mml:Location/b2mml:EquipmentID"),
                "lot_id": text(requirement, "b2mml:MaterialLotID"),
                "sublot_id": text(requirement, "b2mml:MaterialSubLotID"),
                "indice": next(
                    (
                        text(prop, "b2mml:Value/b2mml:ValueString")
                        for prop in requirement.findall("b2mml:MaterialRequirementProperty", NS)
                        if text(prop, "b2mml:ID") == "Indice"
                    ),
                    None,
                ),
                "line": line,
                "released_at": released_at,
            }


def main(paths):
    if not paths:
        raise SystemExit("usage: b2mml_to_sql.py SYNC_PRODUCTION_SCHEDULE.xml... > work_orders.sql")
    print("-- The ERP's work orders of the erp-to-line example, one row per order item.")
    print("-- Written by b2mml_to_sql.py from " + ", ".join(p.rsplit("/", 1)[-1] for p in paths) + ";")
    print("-- do not edit by hand. Source and licence: SOURCE.md.")
    print(TABLE)
    values = [
        "    (" + ", ".join(sql_literal(row[column]) for column in COLUMNS) + ")"
        for path in paths
        for row in rows(path)
    ]
    print(f"\nINSERT INTO work_orders ({', '.join(COLUMNS)}) VALUES")
    print(",\n".join(values) + ";")


if __name__ == "__main__":
    main(sys.argv[1:])
