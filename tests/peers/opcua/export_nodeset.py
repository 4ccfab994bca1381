#!/usr/bin/env python3
"""Writes the NodeSet2 XML of the test address space (address_space.json), as asyncua's own
exporter writes it, to fdi-test.NodeSet2.xml: what a mapping's `nodeset:` names to type the
nodes of the test servers at compile time. Run it again after changing address_space.json.
"""

import asyncio
import json
from pathlib import Path

from asyncua import Server

from asyncua_server import HERE, AddressSpace


async def main():
    spec = json.loads((HERE / "address_space.json").read_text())
    server = Server()
    await server.init()
    index = await server.register_namespace(spec["namespace_uri"])
    space = AddressSpace(server, index)
    await space.build(server.nodes.objects, spec["nodes"])
    ours = [server.get_node(node_id) for node_id in server.iserver.aspace.keys() if node_id.NamespaceIndex == index]
    ours.sort(key=lambda node: str(node.nodeid.Identifier))
    await server.export_xml(ours, str(Path(HERE) / "fdi-test.NodeSet2.xml"))


if __name__ == "__main__":
    asyncio.run(main())
