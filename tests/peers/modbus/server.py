"""A Modbus TCP device for fdi's tests: pymodbus's server (version pinned in requirements.txt)
on 127.0.0.1, with a unit whose four tables the test sets and reads back over stdin/stdout.

Usage: server.py --port PORT --unit UNIT

Each line on stdin is one JSON command; each gets one JSON line on stdout:
  {"op": "set", "table": "holding", "address": 0, "values": [1, 2]}    -> {"ok": true}
  {"op": "get", "table": "coil", "address": 0, "count": 8}              -> {"values": [...]}
  {"op": "refuse", "table": "input", "address": 30, "count": 2}         -> {"ok": true}
      requests touching these addresses are answered with the exception IllegalDataAddress
  {"op": "accept"}                                                      -> {"ok": true}
      refuse nothing any more
  {"op": "silent", "on": true}                                          -> {"ok": true}
      while on, requests get no answer at all (a device that stopped answering)
  {"op": "frames", "table": "input", "address": 0, "frames": [[1, 2], [3, 4]]} -> {"ok": true}
      each later read request that starts at this address first sets the registers (or
      bits) from there to the next frame: a device whose values change between polls
  {"op": "frames_left", "table": "input", "address": 0}                  -> {"left": n}
  {"op": "requests"}                      -> {"reads": {"holding": n, ...}, "writes": {...}}
      how many read and write requests each table answered
The test knows the server is up when its port accepts connections.
"""

import argparse
import collections
import asyncio
import json
import sys
import threading

from pymodbus.datastore import ModbusServerContext
from pymodbus.datastore.context import ModbusBaseSlaveContext
from pymodbus.server import StartAsyncTcpServer

SIZE = 65536
TABLES = {"holding": "h", "input": "i", "coil": "c", "discrete_input": "d"}
NAMES = {v: k for k, v in TABLES.items()}
WRITE_CODES = (5, 6, 15, 16, 22, 23)


class Device(ModbusBaseSlaveContext):
    """Four tables of 65536 items each, addressed as on the wire (0-based), with switches for
    refused addresses and silence."""

    def __init__(self):
        self.store = {
            "h": [0] * SIZE,
            "i": [0] * SIZE,
            "c": [False] * SIZE,
            "d": [False] * SIZE,
        }
        self.refused = []  # (table letter, first address, end address)
        self.answering = None  # an asyncio.Event, set while the device answers
        self.frames = {}  # (table letter, address) -> deque of frames still to show
        self.reads = {name: 0 for name in TABLES}
        self.writes = {name: 0 for name in TABLES}

    def reset(self):
        pass

    def validate(self, fc_as_hex, address, count=1):
        table = self.decode(fc_as_hex)
        if address < 0 or address + count > SIZE:
            return False
        return not any(
            t == table and address < end and start < address + count
            for (t, start, end) in self.refused
        )

    def getValues(self, fc_as_hex, address, count=1):
        return self.store[self.decode(fc_as_hex)][address : address + count]

    def setValues(self, fc_as_hex, address, values):
        store = self.store[self.decode(fc_as_hex)]
        store[address : address + len(values)] = list(values)

    async def async_getValues(self, fc_as_hex, address, count=1):
        await self.answering.wait()
        # A masked write reads the register before it writes it: count it as a write only.
        if fc_as_hex not in WRITE_CODES:
            table = self.decode(fc_as_hex)
            self.reads[NAMES[table]] += 1
            frames = self.frames.get((table, address))
            if frames:
                self.setValues(fc_as_hex, address, frames.popleft())
        return self.getValues(fc_as_hex, address, count)

    async def async_setValues(self, fc_as_hex, address, values):
        await self.answering.wait()
        self.writes[NAMES[self.decode(fc_as_hex)]] += 1
        self.setValues(fc_as_hex, address, values)


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def command(device, loop, line):
    request = json.loads(line)
    op = request["op"]
    if op == "set":
        store = device.store[TABLES[request["table"]]]
        address = request["address"]
        values = request["values"]
        if request["table"] in ("coil", "discrete_input"):
            values = [bool(v) for v in values]
        store[address : address + len(values)] = values
        return {"ok": True}
    if op == "get":
        store = device.store[TABLES[request["table"]]]
        address = request["address"]
        return {"values": store[address : address + request["count"]]}
    if op == "frames":
        key = (TABLES[request["table"]], request["address"])
        device.frames[key] = collections.deque(request["frames"])
        return {"ok": True}
    if op == "frames_left":
        key = (TABLES[request["table"]], request["address"])
        return {"left": len(device.frames.get(key, ()))}
    if op == "refuse":
        start = request["address"]
        device.refused.append((TABLES[request["table"]], start, start + request.get("count", 1)))
        return {"ok": True}
    if op == "accept":
        device.refused = []
        return {"ok": True}
    if op == "silent":
        event = device.answering
        loop.call_soon_threadsafe(event.clear if request["on"] else event.set)
        return {"ok": True}
    if op == "requests":
        return {"reads": device.reads, "writes": device.writes}
    return {"error": f"unknown op {op!r}"}


def serve_commands(device, loop):
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply(command(device, loop, line))
        except Exception as error:  # a bad command is the test's mistake: say so, keep serving
            reply({"error": repr(error)})
    # stdin closed: the test is gone.
    loop.call_soon_threadsafe(loop.stop)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unit", type=int, default=1)
    args = parser.parse_args()
    device = Device()
    device.answering = asyncio.Event()
    device.answering.set()
    context = ModbusServerContext(slaves={args.unit: device}, single=False)
    loop = asyncio.get_running_loop()
    threading.Thread(target=serve_commands, args=(device, loop), daemon=True).start()
    await StartAsyncTcpServer(context=context, address=("127.0.0.1", args.port))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except RuntimeError:
        # The loop was stopped because stdin closed.
        pass
