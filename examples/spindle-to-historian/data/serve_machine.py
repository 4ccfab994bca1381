#!/usr/bin/env python3
"""An OPC UA server that is the OKUMA MULTUS U3000 of the recording, as the MachineTool example
instance of the OPC Foundation models it (see SOURCE.md).

It loads the companion specifications and the instance from ../models/ into a python-asyncua
server on 127.0.0.1, prints `ready <endpoint url>`, waits for a line on stdin (so that a client
can subscribe first), then replays the recording into the instance's variables:

  S1speed    -> Monitoring/Spindel1/IsRotating      (Boolean: the speed is not 0)
  S1ovr      -> Monitoring/Spindel1/Override        (Double, %)
  pFovr      -> Monitoring/Channel1/FeedOverride    (Double, %)
  pexecution -> Monitoring/Channel1/ChannelState    (ChannelState: Active 0, Interrupted 1, Reset 2)
  pprogram   -> Production/ActiveProgram/Name       (String)

each with the recording line's time as its source timestamp. UNAVAILABLE is written as the
status BadNoCommunication with no value (the controller cannot say). A variable is written only
when its value or status changes, since a server reports only changes. Then it prints
`replayed <count>` and keeps serving until stdin closes.

Usage: python3 serve_machine.py PORT [RECORDING]
"""

import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

from asyncua import Server, ua

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"
# In the order they depend on each other.
NODESETS = [
    "DI_Opc.Ua.Di.NodeSet2.xml",
    "IA_Opc.Ua.IA.NodeSet2.xml",
    "Machinery_Opc.Ua.Machinery.NodeSet2.xml",
    "MachineTool_Opc.Ua.MachineTool.NodeSet2.xml",
    "MachineTool_Machinetool-Example.xml",
]
INSTANCE_URI = "http://yourorganisation.org/MachineTool-Example/"

# Recording item -> (numeric id in the instance's namespace, variant type, value from SHDR text).
CHANNEL_STATE = {
    "ACTIVE": 0,
    "INTERRUPTED": 1,
    "FEED_HOLD": 1,
    "STOPPED": 1,
    "OPTIONAL_STOP": 1,
    "PROGRAM_STOPPED": 1,
    "PROGRAM_OPTIONAL_STOP": 1,
    "READY": 2,
    "PROGRAM_COMPLETED": 2,
    "WAIT": 1,
}
ITEMS = {
    "S1speed": (6067, ua.VariantType.Boolean, lambda text: float(text) != 0.0),
    "S1ovr": (6070, ua.VariantType.Double, float),
    "pFovr": (6063, ua.VariantType.Double, float),
    "pexecution": (6062, ua.VariantType.Int32, lambda text: CHANNEL_STATE[text]),
    "pprogram": (6005, ua.VariantType.String, str),
}


def parse_time(text):
    # SHDR times carry up to 7 fractional digits; Python parses 6.
    stamp = text.rstrip("Z")
    if "." in stamp:
        whole, fraction = stamp.split(".")
        stamp = f"{whole}.{fraction[:6]}"
    return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)


def items(fields):
    """(item, value) of one SHDR line; a condition's value is its level, followed by its native
    code, severity, qualifier and message."""
    index = 0
    while index + 1 < len(fields):
        name = fields[index]
        yield name, fields[index + 1]
        index += 6 if name == "system" or name.endswith("_cond") else 2


def plan(recording):
    """The writes, in order: (numeric id, variant type, value or None, time)."""
    last = {}
    writes = []
    for line in recording.read_text(encoding="utf-8").splitlines():
        fields = line.split("|")
        if len(fields) < 3 or fields[1].startswith("@"):
            continue
        time = parse_time(fields[0])
        for name, text in items(fields[1:]):
            if name not in ITEMS:
                continue
            numeric, variant, convert = ITEMS[name]
            value = None if text == "UNAVAILABLE" else convert(text)
            if last.get(numeric, object()) == value:
                continue
            last[numeric] = value
            writes.append((numeric, variant, value, time))
    return writes


async def serve(port, recording):
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/machine")
    server.set_server_name("OKUMA MULTUS U3000 (replayed)")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    for nodeset in NODESETS:
        await server.import_xml(str(MODELS / nodeset))
    namespace = await server.get_namespace_index(INSTANCE_URI)
    writes = plan(recording)
    async with server:
        print(f"ready opc.tcp://127.0.0.1:{port}/machine", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for numeric, variant, value, time in writes:
            node = ua.NodeId(numeric, namespace)
            if value is None:
                data = ua.DataValue(
                    StatusCode_=ua.StatusCode(ua.StatusCodes.BadNoCommunication),
                    SourceTimestamp=time,
                    ServerTimestamp=datetime.now(timezone.utc),
                )
            else:
                data = ua.DataValue(
                    ua.Variant(value, variant),
                    SourceTimestamp=time,
                    ServerTimestamp=datetime.now(timezone.utc),
                )
            await server.write_attribute_value(node, data)
            # Let the subscription sample each value: a server reports changes, not writes.
            await asyncio.sleep(0.002)
        print(f"replayed {len(writes)}", flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    port = int(sys.argv[1])
    # The recording is the machines-to-mes example's (one copy in the repository).
    default = HERE.parent.parent / "machines-to-mes" / "data" / "okuma_shdr_2022-08-08.txt"
    recording = Path(sys.argv[2]) if len(sys.argv) > 2 else default
    asyncio.run(serve(port, recording))
