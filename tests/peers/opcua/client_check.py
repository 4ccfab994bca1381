#!/usr/bin/env python3
"""An OPC UA client (asyncua's) that checks what the test servers promise, for
tests/peers/tests/opcua.rs: that a subscription with sampling interval 0 reports every change
(`subscribe`), and how a client's write is answered (`write`). It prints JSON lines.

  client_check.py ENDPOINT subscribe NODE_ID... --count N
      prints {"event": "subscribed"} once the items are created, then, after N data changes
      (the initial values not counted), one line {"changes": [{node_id, value, status,
      source_timestamp}, ...]} in the order they arrived.
  client_check.py ENDPOINT write NODE_ID TYPE VALUE
      prints {"status": "<status code name>"}.

--username/--password and --pki (secure: Basic256Sha256 SignAndEncrypt, a self-signed client
certificate made there) connect to a server started with OpcuaSecurity::SignAndEncrypt.
"""

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

CLIENT_URI = "urn:fdi:test:client-check"


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def to_json(value):
    """A DateTime as the test servers write theirs (RFC 3339 UTC, milliseconds), with the
    microseconds only when there are any, so equal times compare equal as text."""
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
        fraction = f"{moment.microsecond // 1000:03d}" if moment.microsecond % 1000 == 0 else f"{moment.microsecond:06d}"
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction + "Z"
    return value


class Collector:
    def __init__(self, count):
        self.count = count
        self.initial = {}
        self.changes = []
        self.done = asyncio.Event()

    def datachange_notification(self, node, value, data):
        node_id = node.nodeid.to_string()
        # The first notification of each item is its value when the item was created.
        if node_id not in self.initial:
            self.initial[node_id] = value
            return
        dv = data.monitored_item.Value
        self.changes.append({
            "node_id": node_id,
            "value": to_json(value),
            "status": dv.StatusCode.name,
            "source_timestamp": to_json(dv.SourceTimestamp),
        })
        if len(self.changes) >= self.count:
            self.done.set()


async def connect(args):
    client = Client(args.endpoint, timeout=30)
    client.application_uri = CLIENT_URI
    if args.pki:
        args.pki.mkdir(parents=True, exist_ok=True)
        key, cert = args.pki / "client_key.pem", args.pki / "client_cert.der"
        await setup_self_signed_certificate(
            key, cert, CLIENT_URI, "127.0.0.1", [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": "fdi client check"}
        )
        await client.set_security(
            SecurityPolicyBasic256Sha256, str(cert), str(key), mode=ua.MessageSecurityMode.SignAndEncrypt
        )
    if args.username:
        client.set_user(args.username)
        client.set_password(args.password)
    await client.connect()
    return client


async def subscribe(client, args):
    collector = Collector(args.count)
    subscription = await client.create_subscription(
        ua.CreateSubscriptionParameters(RequestedPublishingInterval=50, RequestedMaxKeepAliveCount=20,
                                        RequestedLifetimeCount=200, MaxNotificationsPerPublish=0),
        collector,
    )
    nodes = [client.get_node(node_id) for node_id in args.nodes]
    # Sampling interval 0: exception-based, every change; a queue deep enough for a burst.
    await subscription.subscribe_data_change(nodes, sampling_interval=0, queuesize=10000)
    while len(collector.initial) < len(nodes):
        await asyncio.sleep(0.01)
    say({"event": "subscribed"})
    await asyncio.wait_for(collector.done.wait(), timeout=args.timeout)
    # Anything after the expected count is reported too: the test compares all of it.
    await asyncio.sleep(0.5)
    say({"changes": collector.changes})


async def write(client, args):
    variant_type = getattr(ua.VariantType, args.type)
    value = json.loads(args.value)
    if args.type == "DateTime":
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif args.type in ("Int64", "UInt64"):
        value = int(value)
    node = client.get_node(args.node)
    result = await client.uaclient.write_attributes([node.nodeid], [ua.DataValue(ua.Variant(value, variant_type))])
    say({"status": result[0].name})


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("endpoint")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--pki", type=Path)
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("subscribe")
    sub.add_argument("nodes", nargs="+")
    sub.add_argument("--count", type=int, required=True)
    sub.add_argument("--timeout", type=float, default=120)
    wr = commands.add_parser("write")
    wr.add_argument("node")
    wr.add_argument("type")
    wr.add_argument("value", help="JSON")
    args = parser.parse_args()
    client = await connect(args)
    try:
        await (subscribe if args.command == "subscribe" else write)(client, args)
    finally:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
