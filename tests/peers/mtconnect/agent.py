#!/usr/bin/env python3
"""A small MTConnect agent for fdi's tests (Python 3 standard library only).

It serves one device of a device model (Devices.xml) as an agent does: `/probe`, `/current`,
`/sample?from=N&count=M` (also under `/<device>/`), with a header that has `instanceId`,
`bufferSize`, `firstSequence`, `lastSequence` and `nextSequence`, and MTConnect error documents
(`OUT_OF_RANGE`, `NO_DEVICE`, `INVALID_REQUEST`). Observations come from SHDR lines posted to
`/_peer/shdr` (as an adapter would send them; keys by id or name, a condition taking five fields,
asset commands, `*` commands and multi-line blocks skipped). Its buffer holds `--buffer-size`
observations; older ones are dropped and listed at `/_peer/state`. `/_peer/restart` restarts it
as a new instance: a new `instanceId`, sequences from 1, every data item UNAVAILABLE first, as
cppagent starts.

Why not the PyPI package `mtconnect` (0.3.3): its agent class has no HTTP server, its headers
have no firstSequence, lastSequence or nextSequence (a client cannot follow the sequence), and
its errors are not MTConnect's codes; see tests/peers/src/mtconnect.rs.
"""

import argparse
import collections
import datetime
import json
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr


def local(tag):
    return tag.rsplit('}', 1)[-1]


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def pascal(type_name):
    return ''.join(part.capitalize() for part in type_name.split('_'))


class Model:
    """The device served: its data items (by id and by name) and the probe's Devices element."""

    def __init__(self, path, device):
        tree = ET.parse(path)
        self.devices_xml = None
        self.items = []
        self.by_key = {}
        for element in tree.getroot().iter():
            if local(element.tag) == 'Devices':
                self.devices_xml = element
        for dev in self.devices_xml:
            if local(dev.tag) != 'Device' or device not in (dev.get('name'), dev.get('uuid'), dev.get('id')):
                continue
            self.name, self.uuid, self.id = dev.get('name'), dev.get('uuid'), dev.get('id')
            self._walk(dev, dev)
        if not self.items:
            raise SystemExit('no device %r in %s' % (device, path))

    def _walk(self, component, dev):
        for child in component:
            if local(child.tag) == 'DataItems':
                for item in child:
                    if local(item.tag) != 'DataItem':
                        continue
                    entry = {
                        'id': item.get('id'), 'name': item.get('name'),
                        'category': item.get('category'), 'type': item.get('type'),
                        'subType': item.get('subType'),
                        'component': local(component.tag), 'componentId': component.get('id'),
                        'componentName': component.get('name'),
                    }
                    self.items.append(entry)
                    self.by_key.setdefault(entry['id'], entry)
                    if entry['name']:
                        self.by_key.setdefault(entry['name'], entry)
            elif local(child.tag) in ('Components',):
                for sub in child:
                    self._walk(sub, dev)
            elif local(child.tag) not in ('Description', 'Configuration', 'References', 'Compositions'):
                self._walk(child, dev)


class Agent:
    def __init__(self, model, buffer_size):
        self.model = model
        self.buffer_size = buffer_size
        self.lock = threading.Lock()
        self.restarts = 0
        self.start()

    def start(self):
        self.instance_id = str(int(time.time()) * 100 + self.restarts)
        self.restarts += 1
        self.buffer = collections.deque()
        self.next_sequence = 1
        self.dropped = []
        at = now()
        for item in self.model.items:
            self.add(item, at, 'UNAVAILABLE', {})

    def add(self, item, timestamp, value, attrs):
        if len(self.buffer) == self.buffer_size:
            old = self.buffer.popleft()
            self.dropped.append({'sequence': old['sequence'], 'id': old['item']['id'],
                                 'name': old['item']['name'], 'timestamp': old['timestamp'],
                                 'value': old['value']})
        self.buffer.append({'sequence': self.next_sequence, 'item': item, 'timestamp': timestamp,
                            'value': value, 'attrs': attrs})
        self.next_sequence += 1

    def first_sequence(self):
        return self.buffer[0]['sequence'] if self.buffer else self.next_sequence

    def feed(self, text):
        """SHDR lines; returns the observations added."""
        added = 0
        block = None
        for line in text.splitlines():
            if block is not None:
                if line.strip() == block:
                    block = None
                continue
            fields = line.split('|')
            if fields[-1].startswith('--multiline--'):
                block = fields[-1].strip()
                continue
            if len(fields) < 3 or line.startswith('*') or fields[1].startswith('@'):
                continue
            timestamp = fields[0] if fields[0].endswith('Z') else fields[0] + 'Z'
            rest = fields[1:]
            while rest:
                key, tail = rest[0], rest[1:]
                item = self.model.by_key.get(key)
                width = 5 if item and item['category'] == 'CONDITION' else 1
                values, rest = tail[:width], tail[width:]
                if item is None:
                    continue
                value = values[0] if values else ''
                attrs = {}
                if item['category'] == 'CONDITION':
                    value = (value or 'UNAVAILABLE').upper()
                    for name, at in (('nativeCode', 1), ('nativeSeverity', 2), ('qualifier', 3), ('text', 4)):
                        if len(values) > at and values[at]:
                            attrs[name] = values[at]
                self.add(item, timestamp, value, attrs)
                added += 1
                if width > 1:
                    break
        return added

    def header(self):
        first = self.first_sequence()
        return ('<Header creationTime=%s sender="fdi-peer" instanceId="%s" version="2.0.0" '
                'bufferSize="%d" firstSequence="%d" lastSequence="%d" nextSequence="%%d"/>'
                % (quoteattr(now()), self.instance_id, self.buffer_size, first, self.next_sequence - 1))

    def error(self, code, text):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectError xmlns="urn:mtconnect.org:MTConnectError:2.0">'
                '<Header creationTime=%s sender="fdi-peer" instanceId="%s" version="2.0.0" bufferSize="%d"/>'
                '<Errors><Error errorCode="%s">%s</Error></Errors></MTConnectError>'
                % (quoteattr(now()), self.instance_id, self.buffer_size, code, escape(text)))

    def probe(self):
        devices = ET.tostring(self.model.devices_xml, encoding='unicode')
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:2.0">'
                + self.header().replace('nextSequence="%d"', '') + devices + '</MTConnectDevices>')

    def streams(self, observations, next_sequence):
        components = collections.OrderedDict()
        for o in observations:
            item = o['item']
            key = (item['component'], item['componentId'], item['componentName'])
            category = {'SAMPLE': 'Samples', 'EVENT': 'Events'}.get(item['category'], 'Condition')
            components.setdefault(key, collections.OrderedDict()).setdefault(category, []).append(o)
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectStreams xmlns="urn:mtconnect.org:MTConnectStreams:2.0">',
               self.header() % next_sequence, '<Streams>',
               '<DeviceStream name=%s uuid=%s>' % (quoteattr(self.model.name), quoteattr(self.model.uuid or ''))]
        for (component, component_id, name), categories in components.items():
            out.append('<ComponentStream component=%s componentId=%s%s>' % (
                quoteattr(component), quoteattr(component_id or ''),
                ' name=%s' % quoteattr(name) if name else ''))
            for category, obs in categories.items():
                out.append('<%s>' % category)
                for o in obs:
                    item = o['item']
                    attrs = ' dataItemId=%s timestamp=%s sequence="%d"' % (
                        quoteattr(item['id']), quoteattr(o['timestamp']), o['sequence'])
                    if item['name']:
                        attrs += ' name=%s' % quoteattr(item['name'])
                    if item['subType']:
                        attrs += ' subType=%s' % quoteattr(item['subType'])
                    if category == 'Condition':
                        tag = o['value'].capitalize()
                        attrs += ' type=%s' % quoteattr(item['type'])
                        for name in ('nativeCode', 'nativeSeverity', 'qualifier'):
                            if name in o['attrs']:
                                attrs += ' %s=%s' % (name, quoteattr(o['attrs'][name]))
                        text = o['attrs'].get('text', '')
                    else:
                        tag = pascal(item['type'])
                        text = o['value']
                    out.append('<%s%s>%s</%s>' % (tag, attrs, escape(text), tag))
                out.append('</%s>' % category)
            out.append('</ComponentStream>')
        out.append('</DeviceStream></Streams></MTConnectStreams>')
        return ''.join(out)

    def current(self):
        latest = collections.OrderedDict()
        for o in self.buffer:
            latest[o['item']['id']] = o
        return self.streams(sorted(latest.values(), key=lambda o: o['sequence']), self.next_sequence)

    def sample(self, start, count):
        first = self.first_sequence()
        if start is None:
            start = first
        if start < first or start > self.next_sequence:
            return 400, self.error('OUT_OF_RANGE', "'from' must be between %d and %d" % (first, self.next_sequence))
        end = min(start + count, self.next_sequence)
        observations = [o for o in self.buffer if start <= o['sequence'] < end]
        return 200, self.streams(observations, end)


def serve(agent, port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, *args):
            pass

        def answer(self, status, body, kind='application/xml'):
            data = body.encode('utf-8')
            self.send_response(status)
            self.send_header('Content-Type', kind)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get('Content-Length', '0'))
            body = self.rfile.read(length).decode('utf-8')
            with agent.lock:
                if self.path == '/_peer/shdr':
                    added = agent.feed(body)
                    return self.answer(200, json.dumps({'added': added}), 'application/json')
                if self.path == '/_peer/restart':
                    agent.start()
                    return self.answer(200, json.dumps({'instance_id': agent.instance_id}), 'application/json')
            self.answer(404, json.dumps({'error': 'no such control'}), 'application/json')

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            parts = [p for p in url.path.split('/') if p]
            with agent.lock:
                if parts == ['_peer', 'state']:
                    state = {'instance_id': agent.instance_id, 'first_sequence': agent.first_sequence(),
                             'next_sequence': agent.next_sequence, 'dropped': agent.dropped}
                    return self.answer(200, json.dumps(state), 'application/json')
                if len(parts) == 2:
                    device = urllib.parse.unquote(parts[0])
                    if device not in (agent.model.name, agent.model.uuid, agent.model.id):
                        return self.answer(404, agent.error('NO_DEVICE', 'no device %s' % device))
                    parts = parts[1:]
                request = parts[0] if parts else 'probe'
                try:
                    start = int(query['from'][0]) if 'from' in query else None
                    count = int(query['count'][0]) if 'count' in query else 100
                except ValueError:
                    return self.answer(400, agent.error('INVALID_REQUEST', 'from and count are numbers'))
                if request == 'probe':
                    return self.answer(200, agent.probe())
                if request == 'current':
                    return self.answer(200, agent.current())
                if request == 'sample':
                    status, body = agent.sample(start, count)
                    return self.answer(status, body)
                self.answer(400, agent.error('UNSUPPORTED', 'no request %s' % request))

    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--devices', required=True)
    parser.add_argument('--device', required=True)
    parser.add_argument('--buffer-size', type=int, default=131072)
    args = parser.parse_args()
    serve(Agent(Model(args.devices, args.device), args.buffer_size), args.port)


if __name__ == '__main__':
    main()
