#!/usr/bin/env python3
"""Replays a recorded MTConnect SHDR adapter stream as a Sparkplug B edge node's plan.

Reads the OKUMA recording (`okuma_shdr_2022-08-08.txt`) and writes, on stdout, the plan file
that `tests/peers/sparkplug/edge_node.js` (Eclipse Tahu's JavaScript edge node) publishes:
one device whose birth certificate declares the metrics below, then one DDATA message per SHDR
line that changes any of them, each metric with the line's timestamp.

    python3 shdr_to_plan.py okuma_shdr_2022-08-08.txt > plan.json

The metrics, named in Sparkplug's folder style:

    Controller/Execution   String  pexecution (READY, ACTIVE, PROGRAM_COMPLETED, ...)
    Controller/Program     String  pprogram
    Controller/PartCount   Int64   ppartcount
    Conditions/<item>      String  the level of each condition (NORMAL, WARNING, FAULT)

MTConnect's UNAVAILABLE is not a value but the absence of one, so it is sent as a null metric
(is_null), as is every metric in the birth: nothing is known before the first line. Only the
Python standard library is used.
"""

import argparse
import datetime
import json
import sys

EVENTS = {
    "pexecution": ("Controller/Execution", "String"),
    "pprogram": ("Controller/Program", "String"),
    "ppartcount": ("Controller/PartCount", "Int64"),
}

# A condition's SHDR fields after its name: level, native code, native severity, qualifier, message.
CONDITION_FIELDS = 5


def is_condition(key):
    return key == "system" or key.endswith("_cond")


def condition_metric(key):
    # `CoolantSystem1_cond` -> `Conditions/CoolantSystem1`, `system` -> `Conditions/system`.
    return "Conditions/" + (key[: -len("_cond")] if key.endswith("_cond") else key)


def millis(timestamp):
    """RFC 3339 with up to 7 fractional digits (as the adapter writes it) to Unix milliseconds."""
    head, _, fraction = timestamp.rstrip("Z").partition(".")
    seconds = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc
    )
    return int(seconds.timestamp()) * 1000 + int((fraction + "000")[:3])


def observations(lines):
    """(line number, timestamp, metric name, datatype, value or None) for each observation."""
    for number, line in enumerate(lines, start=1):
        fields = line.rstrip("\n").split("|")
        # Asset documents span several lines and start with `--multiline--`; their lines and the
        # @ASSET@ commands carry no data item.
        if len(fields) < 3 or not fields[0][:4].isdigit() or fields[1].startswith("@"):
            continue
        at = millis(fields[0])
        index = 1
        while index < len(fields):
            key = fields[index]
            if is_condition(key):
                level = fields[index + 1] if index + 1 < len(fields) else ""
                index += 1 + CONDITION_FIELDS
                yield number, at, condition_metric(key), "String", None if level == "UNAVAILABLE" else level
                continue
            value = fields[index + 1] if index + 1 < len(fields) else ""
            index += 2
            if key in EVENTS:
                name, datatype = EVENTS[key]
                if value == "UNAVAILABLE":
                    yield number, at, name, datatype, None
                elif datatype == "Int64":
                    yield number, at, name, datatype, int(value)
                else:
                    yield number, at, name, datatype, value


def plan(lines, group, edge_node, device):
    births = {}
    data = []
    line = None
    for number, at, name, datatype, value in observations(lines):
        births.setdefault(name, datatype)
        # One DDATA per SHDR line that has an observation.
        if number != line:
            line = number
            current = {"device": device, "timestamp": at, "metrics": []}
            data.append(current)
        current["metrics"].append({"name": name, "value": value, "timestamp": at})
    metrics = [
        {"name": name, "type": datatype, "value": None, "alias": alias}
        for alias, (name, datatype) in enumerate(sorted(births.items()), start=1)
    ]
    return {
        "group": group,
        "edge_node": edge_node,
        "qos": 1,
        "node_metrics": [],
        "devices": [{"device": device, "metrics": metrics}],
        "data": data,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shdr", help="the SHDR recording")
    parser.add_argument("--group", default="imts")
    parser.add_argument("--edge-node", default="okuma-gw")
    parser.add_argument("--device", default="OKUMA-123456")
    arguments = parser.parse_args()
    with open(arguments.shdr, encoding="utf-8") as shdr:
        result = plan(shdr, arguments.group, arguments.edge_node, arguments.device)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
