#!/usr/bin/env python3
"""An OPC UA server built with the Python `asyncua` library, which fdi's tests start on
127.0.0.1 (tests/peers/src/opcua.rs). It serves the address space of address_space.json, the
same one node_opcua_server.js serves, so a test runs unchanged against both implementations.

Control channel: one JSON command a line on stdin, exactly one JSON answer a line on stdout,
in order (the protocol is described in control.md). The first line on stdout is the `ready`
event. The server stops when stdin closes.
"""

import argparse
import asyncio
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.server.user_managers import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

HERE = Path(__file__).resolve().parent
APPLICATION_URI = "urn:fdi:test:asyncua"

VARIANT_TYPES = {
    name: getattr(ua.VariantType, name)
    for name in [
        "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64",
        "Float", "Double", "String", "DateTime",
    ]
}
# 64-bit integers travel as decimal text: JavaScript's numbers (the other server) lose digits.
SIXTY_FOUR_BIT = {"Int64", "UInt64"}
DATETIME_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def initial_value(type_name):
    if type_name == "Boolean":
        return False
    if type_name in ("Float", "Double"):
        return 0.0
    if type_name == "String":
        return ""
    if type_name == "DateTime":
        return DATETIME_EPOCH
    return 0


def format_time(moment):
    """RFC 3339 UTC with milliseconds, as node_opcua_server.js writes it (JavaScript's Date)."""
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def now_ms():
    """The current time, cut to whole milliseconds so that what is reported is exact."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def from_json(type_name, value):
    if value is None:
        return None
    if type_name == "Boolean":
        if not isinstance(value, bool):
            raise ValueError(f"a Boolean needs true or false, not {value!r}")
        return value
    if type_name in ("Float", "Double"):
        return float(value)
    if type_name == "String":
        return str(value)
    if type_name == "DateTime":
        return parse_time(value)
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"a {type_name} needs an integer, not {value!r}")
    return int(value)


def to_json(type_name, value):
    if value is None:
        return None
    if type_name == "DateTime":
        return format_time(value)
    if type_name in SIXTY_FOUR_BIT:
        return str(value)
    return value


def produced_value(type_name, current, serial, node):
    """The `serial`-th (1, 2, ...) value `produce` writes to a node: always different from the
    node's previous value, since both servers report a change only when value or status change."""
    if type_name == "Boolean":
        return not current
    if type_name in ("Float", "Double"):
        return serial + 0.5
    if type_name == "String":
        return f"{node}#{serial}"
    if type_name == "DateTime":
        return DATETIME_EPOCH + timedelta(seconds=serial)
    if type_name == "SByte":
        return serial % 128
    if type_name == "Byte":
        return serial % 256
    if type_name == "Int16":
        return serial % 32768
    if type_name == "UInt16":
        return serial % 65536
    return serial


class AddressSpace:
    """The variables of address_space.json by string identifier (`Machine.Counter1`)."""

    def __init__(self, server, index):
        self.server = server
        self.index = index
        self.types = {}
        self.writable = set()
        self.produced = {}
        # The last value each variable had, which a status back to Good restores (a Bad status
        # nulls the value).
        self.last_value = {}

    async def build(self, parent, nodes, prefix=""):
        for spec in nodes:
            name = spec["name"]
            identifier = prefix + name
            node_id = ua.NodeId(identifier, self.index)
            browse_name = ua.QualifiedName(name, self.index)
            kind = spec.get("kind", "variable")
            if kind == "folder":
                child = await parent.add_folder(node_id, browse_name)
                await self.build(child, spec["children"], identifier + ".")
            elif kind == "object":
                child = await parent.add_object(node_id, browse_name)
                await self.build(child, spec["children"], identifier + ".")
            else:
                type_name = spec["type"]
                variable = await parent.add_variable(
                    node_id,
                    browse_name,
                    ua.Variant(initial_value(type_name), VARIANT_TYPES[type_name]),
                    datatype=ua.NodeId(VARIANT_TYPES[type_name].value, 0),
                )
                if spec.get("writable"):
                    await variable.set_writable()
                    self.writable.add(node_id)
                self.types[identifier] = type_name

    def type_of(self, identifier):
        if identifier not in self.types:
            raise ValueError(f"no variable `{identifier}` (known: {', '.join(sorted(self.types))})")
        return self.types[identifier]

    def node_id(self, identifier):
        return ua.NodeId(identifier, self.index)

    async def write(self, identifier, value, status, source_timestamp):
        type_name = self.type_of(identifier)
        code = ua.StatusCode(getattr(ua.StatusCodes, status))
        data_value = ua.DataValue(
            ua.Variant(value, VARIANT_TYPES[type_name]) if value is not None else ua.Variant(None),
            StatusCode=code,
            SourceTimestamp=source_timestamp,
            ServerTimestamp=datetime.now(timezone.utc),
        )
        # The address space's own write answers with a status (a value of the wrong type is
        # refused), where Server.write_attribute_value drops it.
        result = await self.server.iserver.aspace.write_attribute_value(
            self.node_id(identifier), ua.AttributeIds.Value, data_value
        )
        if not result.is_good():
            raise ValueError(f"the server refused the value: {result.name}")
        if value is not None:
            self.last_value[identifier] = value
        return await self.read(identifier)

    async def read(self, identifier):
        self.type_of(identifier)
        data_value = self.server.read_attribute_value(self.node_id(identifier))
        data_type = self.server.read_attribute_value(self.node_id(identifier), ua.AttributeIds.DataType)
        type_name = ua.VariantType(data_type.Value.Value.Identifier).name
        value = data_value.Value.Value if data_value.Value is not None else None
        return {
            "node": identifier,
            "value": to_json(type_name, value),
            "data_type": type_name,
            "status": data_value.StatusCode.name,
            "source_timestamp": format_time(data_value.SourceTimestamp),
            "server_timestamp": format_time(data_value.ServerTimestamp),
        }


async def builtin_type(server, data_type):
    """The built-in VariantType a DataType stands for: itself in namespace 0, else its supertype
    (an enumeration of a companion specification is an Int32 on the wire)."""
    for _ in range(32):
        if data_type.NamespaceIndex == 0 and isinstance(data_type.Identifier, int):
            if data_type.Identifier == 29:  # Enumeration
                return ua.VariantType.Int32
            if 1 <= data_type.Identifier <= 25:
                return ua.VariantType(data_type.Identifier)
        parents = await server.get_node(data_type).get_referenced_nodes(
            refs=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse
        )
        if not parents:
            break
        data_type = parents[0].nodeid
    raise ValueError(f"the DataType {data_type.to_string()} is not a built-in type")


class ModelNodes:
    """Nodes of the imported NodeSets (`--nodeset`), named by node id text as a mapping writes
    it (`nsu=<uri>;i=6070`, `ns=6;i=6070`)."""

    def __init__(self, server):
        self.server = server

    async def node(self, text):
        if text.startswith("nsu="):
            uri, _, identifier = text[len("nsu="):].partition(";")
            index = await self.server.get_namespace_index(uri)
            text = f"ns={index};{identifier}"
        return self.server.get_node(ua.NodeId.from_string(text))

    async def read(self, text):
        node = await self.node(text)
        data_value = await node.read_data_value(raise_on_bad_status=False)
        variant = await builtin_type(self.server, await node.read_data_type())
        value = data_value.Value.Value if data_value.Value is not None else None
        return {
            "node": text,
            "value": to_json(variant.name, value),
            "data_type": variant.name,
            "status": data_value.StatusCode.name,
            "source_timestamp": format_time(data_value.SourceTimestamp),
            "server_timestamp": format_time(data_value.ServerTimestamp),
        }

    async def set(self, text, value, status, stamp):
        node = await self.node(text)
        variant = await builtin_type(self.server, await node.read_data_type())
        data_value = ua.DataValue(
            ua.Variant(from_json(variant.name, value), variant) if value is not None else ua.Variant(None),
            StatusCode=ua.StatusCode(getattr(ua.StatusCodes, status)),
            SourceTimestamp=stamp,
            ServerTimestamp=datetime.now(timezone.utc),
        )
        result = await self.server.iserver.aspace.write_attribute_value(
            node.nodeid, ua.AttributeIds.Value, data_value
        )
        if not result.is_good():
            raise ValueError(f"the server refused the value: {result.name}")
        return await self.read(text)

    async def engineering_units(self, text):
        node = await self.node(text)
        for child in await node.get_properties():
            if (await child.read_browse_name()).Name == "EngineeringUnits":
                info = await child.read_value()
                return {
                    "node": text,
                    "namespace_uri": info.NamespaceUri,
                    "unit_id": info.UnitId,
                    "display_name": info.DisplayName.Text,
                }
        raise ValueError(f"`{text}` has no EngineeringUnits property")


def status_name(name):
    if not hasattr(ua.StatusCodes, name):
        raise ValueError(f"unknown status code `{name}`")
    return name


async def handle(space, command):
    op = command.get("op")
    if "node_id" in command:
        model = ModelNodes(space.server)
        node_id = command["node_id"]
        if op == "set":
            stamp = parse_time(command["source_timestamp"]) if command.get("source_timestamp") else now_ms()
            return await model.set(node_id, command.get("value"), status_name(command.get("status", "Good")), stamp)
        if op == "read":
            return await model.read(node_id)
        if op == "engineering_units":
            return await model.engineering_units(node_id)
        raise ValueError(f"`{op}` does not take a node_id")
    if op == "set":
        node = command["node"]
        value = from_json(space.type_of(node), command.get("value"))
        status = status_name(command.get("status", "Good"))
        stamp = parse_time(command["source_timestamp"]) if command.get("source_timestamp") else now_ms()
        return await space.write(node, value, status, stamp)
    if op == "set_status":
        node = command["node"]
        status = status_name(command["status"])
        current = space.server.read_attribute_value(space.node_id(node)).Value.Value
        if current is None:
            current = space.last_value.get(node, initial_value(space.type_of(node)))
        # Part 4, 7.7.1: a Bad status goes with a null value (the server would set it anyway).
        value = None if status.startswith("Bad") else current
        return await space.write(node, value, status, now_ms())
    if op == "read":
        return await space.read(command["node"])
    if op == "produce":
        return {"changes": await produce(space, command)}
    raise ValueError(f"unknown op `{op}`")


async def produce(space, command):
    """Writes `count` changes round-robin over `nodes`, one every `interval_ms` (0: as fast as
    the server takes them), each with its own source timestamp, and returns every one."""
    nodes = command["nodes"]
    for node in nodes:
        space.type_of(node)
    interval = float(command.get("interval_ms", 0)) / 1000.0
    loop = asyncio.get_running_loop()
    start = loop.time()
    changes = []
    for k in range(int(command["count"])):
        node = nodes[k % len(nodes)]
        type_name = space.types[node]
        serial = space.produced.get(node, 0) + 1
        space.produced[node] = serial
        current = space.server.read_attribute_value(space.node_id(node)).Value.Value
        value = produced_value(type_name, current, serial, node)
        stamp = now_ms()
        await space.write(node, value, "Good", stamp)
        changes.append({
            "node": node,
            "value": to_json(type_name, value),
            "data_type": type_name,
            "source_timestamp": format_time(stamp),
        })
        # Scheduled from the start, so a slow step does not slow the pace after it; a zero
        # interval still yields, so the server publishes while it produces.
        await asyncio.sleep(max(0.0, start + (k + 1) * interval - loop.time()))
    return changes


def answer_not_writable(server, space):
    """asyncua answers a write to a variable without CurrentWrite with BadUserAccessDenied;
    Part 4 (5.10.4) names BadNotWritable for it, as node-opcua answers: the test servers agree."""
    service = server.iserver.attribute_service
    original = service.write

    async def write(params, user=User(role=UserRole.User)):
        results = await original(params, user=user)
        for i, (item, result) in enumerate(zip(params.NodesToWrite, results)):
            if (
                result.value == ua.StatusCodes.BadUserAccessDenied
                and item.AttributeId == ua.AttributeIds.Value
                and item.NodeId not in space.writable
            ):
                results[i] = ua.StatusCode(ua.StatusCodes.BadNotWritable)
        return results

    service.write = write


class PasswordUsers:
    """Accepts the one username and password the test gave, nobody else (no anonymous)."""

    def __init__(self, username, password):
        self.username = username
        self.password = password

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username == self.username and password == self.password:
            return User(role=UserRole.User)
        return None


async def read_commands():
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pki", type=Path, required=True, help="folder for the server's certificate")
    parser.add_argument("--secure", default="false", help="`true`: Basic256Sha256 SignAndEncrypt only")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument(
        "--nodeset", type=Path, action="append", default=[],
        help="a NodeSet2 file to serve too, after those it depends on (repeat, in that order)",
    )
    args = parser.parse_args()
    spec = json.loads((HERE / "address_space.json").read_text())

    user_manager = PasswordUsers(args.username, args.password) if args.username else None
    server = Server(user_manager=user_manager)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{args.port}/fdi/")
    server.set_server_name("fdi test server (asyncua)")
    await server.set_application_uri(APPLICATION_URI)
    certificate = None
    if args.secure == "true":
        args.pki.mkdir(parents=True, exist_ok=True)
        key, certificate = args.pki / "server_key.pem", args.pki / "server_cert.der"
        await setup_self_signed_certificate(
            key, certificate, APPLICATION_URI, "127.0.0.1",
            [ExtendedKeyUsageOID.SERVER_AUTH], {"commonName": "fdi test server (asyncua)"},
        )
        await server.load_certificate(str(certificate))
        await server.load_private_key(str(key))
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    server.set_identity_tokens([ua.UserNameIdentityToken] if args.username else [ua.AnonymousIdentityToken])

    index = await server.register_namespace(spec["namespace_uri"])
    space = AddressSpace(server, index)
    await space.build(server.nodes.objects, spec["nodes"])
    # Information models after the test namespace, so that its index stays 2.
    for nodeset in args.nodeset:
        await server.import_xml(str(nodeset))
    answer_not_writable(server, space)

    async with server:
        commands = await read_commands()
        say({
            "event": "ready",
            "endpoint_url": f"opc.tcp://127.0.0.1:{args.port}/fdi/",
            "namespace_index": index,
            "namespaces": await server.get_namespace_array(),
            "server_certificate": str(certificate) if certificate else None,
        })
        while line := await commands.readline():
            if not line.strip():
                continue
            try:
                say({"ok": True, **await handle(space, json.loads(line))})
            except Exception as error:  # noqa: BLE001 - every failure is the test's to read
                say({"ok": False, "error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    asyncio.run(main())
