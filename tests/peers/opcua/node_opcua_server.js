#!/usr/bin/env node
// An OPC UA server built with `node-opcua` (version pinned in package-lock.json), which fdi's
// tests start on 127.0.0.1 (tests/peers/src/opcua.rs). It serves the address space of
// address_space.json, the same one asyncua_server.py serves, and answers the same control
// channel (control.md): one JSON command a line on stdin, one JSON answer a line on stdout, in
// order, after a first `ready` line. The server stops when stdin closes.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const util = require("util");

// stdout is the control channel: node-opcua's own messages (console.log) go to stderr.
console.log = (...args) => process.stderr.write(util.format(...args) + "\n");
const {
    OPCUAServer,
    OPCUACertificateManager,
    Variant,
    DataType,
    VariantArrayType,
    StatusCodes,
    MessageSecurityMode,
    SecurityPolicy,
    coerceInt64,
    Int64ToBigInt,
    UInt64ToBigInt,
    nodesets,
} = require("node-opcua");

const APPLICATION_URI = "urn:fdi:test:node-opcua";
const DATETIME_EPOCH = Date.UTC(2026, 0, 1);
// 64-bit integers travel as decimal text: a JavaScript number loses digits past 2^53.
const SIXTY_FOUR_BIT = new Set(["Int64", "UInt64"]);
const INTEGER_TYPES = new Set(["SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64"]);

function parseArguments(argv) {
    const options = {};
    for (let i = 0; i < argv.length; i += 2) {
        options[argv[i].replace(/^--/, "")] = argv[i + 1];
    }
    if (!options.port) {
        throw new Error("usage: node_opcua_server.js --port PORT --pki FOLDER [--secure] [--username U --password P]");
    }
    return options;
}

function initialValue(type) {
    if (type === "Boolean") return false;
    if (type === "Float" || type === "Double") return 0.0;
    if (type === "String") return "";
    if (type === "DateTime") return new Date(DATETIME_EPOCH);
    if (SIXTY_FOUR_BIT.has(type)) return coerceInt64("0");
    return 0;
}

function formatTime(moment) {
    return moment ? moment.toISOString() : null;
}

function fromJson(type, value) {
    if (value === null || value === undefined) return null;
    if (type === "Boolean") {
        if (typeof value !== "boolean") throw new Error(`a Boolean needs true or false, not ${JSON.stringify(value)}`);
        return value;
    }
    if (type === "Float" || type === "Double") return Number(value);
    if (type === "String") return String(value);
    if (type === "DateTime") return new Date(value);
    if (INTEGER_TYPES.has(type)) {
        const text = String(value);
        if (!/^-?[0-9]+$/.test(text)) throw new Error(`a ${type} needs an integer, not ${JSON.stringify(value)}`);
        return SIXTY_FOUR_BIT.has(type) ? coerceInt64(text) : Number(text);
    }
    throw new Error(`unsupported type ${type}`);
}

function toJson(type, value) {
    if (value === null || value === undefined) return null;
    if (type === "DateTime") return formatTime(value);
    if (type === "Int64") return Int64ToBigInt(value).toString();
    if (type === "UInt64") return UInt64ToBigInt(value).toString();
    return value;
}

// The `serial`-th (1, 2, ...) value `produce` writes to a node, as asyncua_server.py computes
// it: always different from the node's previous value, since both servers report a change only
// when value or status change.
function producedValue(type, current, serial, node) {
    if (type === "Boolean") return !current;
    if (type === "Float" || type === "Double") return serial + 0.5;
    if (type === "String") return `${node}#${serial}`;
    if (type === "DateTime") return new Date(DATETIME_EPOCH + serial * 1000);
    if (type === "SByte") return serial % 128;
    if (type === "Byte") return serial % 256;
    if (type === "Int16") return serial % 32768;
    if (type === "UInt16") return serial % 65536;
    if (SIXTY_FOUR_BIT.has(type)) return coerceInt64(String(serial));
    return serial;
}

// A scalar variant: node-opcua cannot tell a 64-bit value ([high, low]) from an array itself.
function scalar(type, value) {
    return new Variant({ dataType: DataType[type], arrayType: VariantArrayType.Scalar, value });
}

function statusCode(name) {
    const code = StatusCodes[name];
    if (!code || typeof code.name !== "string") throw new Error(`unknown status code \`${name}\``);
    return code;
}

// The current time, whole milliseconds (all a Date holds), so that what is reported is exact.
function now() {
    return new Date();
}

class AddressSpace {
    constructor(namespace, objectsFolder) {
        this.namespace = namespace;
        this.variables = new Map();
        this.produced = new Map();
        // The last value each variable had, which a status back to Good restores (a Bad status
        // nulls the value).
        this.lastValue = new Map();
        this.objectsFolder = objectsFolder;
    }

    build(parent, parentIsFolder, nodes, prefix) {
        for (const spec of nodes) {
            const identifier = prefix + spec.name;
            const common = { nodeId: `s=${identifier}`, browseName: spec.name };
            const kind = spec.kind || "variable";
            if (kind === "folder") {
                const folder = this.namespace.addFolder(parent, common);
                this.build(folder, true, spec.children, identifier + ".");
            } else if (kind === "object") {
                const placement = parentIsFolder ? { organizedBy: parent } : { componentOf: parent };
                const object = this.namespace.addObject({ ...common, ...placement });
                this.build(object, false, spec.children, identifier + ".");
            } else {
                const access = spec.writable ? "CurrentRead | CurrentWrite" : "CurrentRead";
                const variable = this.namespace.addVariable({
                    ...common,
                    componentOf: parent,
                    dataType: spec.type,
                    accessLevel: access,
                    userAccessLevel: access,
                    // 0: exception-based, every change is reported (with the server's
                    // MinSupportedSampleRate 0, see below), never sampled.
                    minimumSamplingInterval: 0,
                    value: scalar(spec.type, initialValue(spec.type)),
                });
                this.variables.set(identifier, { variable, type: spec.type });
            }
        }
    }

    lookup(identifier) {
        const found = this.variables.get(identifier);
        if (!found) {
            const known = [...this.variables.keys()].sort().join(", ");
            throw new Error(`no variable \`${identifier}\` (known: ${known})`);
        }
        return found;
    }

    write(identifier, value, status, sourceTimestamp) {
        const { variable, type } = this.lookup(identifier);
        const variant =
            value === null ? new Variant({ dataType: DataType.Null }) : scalar(type, value);
        variable.setValueFromSource(variant, statusCode(status), sourceTimestamp);
        if (value !== null) this.lastValue.set(identifier, value);
        return this.read(identifier);
    }

    currentValue(identifier) {
        const { variable, type } = this.lookup(identifier);
        const value = variable.readValue().value.value;
        if (value !== null && value !== undefined) return value;
        return this.lastValue.has(identifier) ? this.lastValue.get(identifier) : initialValue(type);
    }

    read(identifier) {
        const { variable } = this.lookup(identifier);
        const dataValue = variable.readValue();
        const type = DataType[variable.dataType.value];
        return {
            node: identifier,
            value: toJson(type, dataValue.value.value),
            data_type: type,
            status: dataValue.statusCode.name,
            source_timestamp: formatTime(dataValue.sourceTimestamp),
            server_timestamp: formatTime(dataValue.serverTimestamp),
        };
    }
}

async function produce(space, command) {
    const nodes = command.nodes;
    nodes.forEach((node) => space.lookup(node));
    const interval = Number(command.interval_ms || 0);
    const start = Date.now();
    const changes = [];
    for (let k = 0; k < Number(command.count); k++) {
        const node = nodes[k % nodes.length];
        const { type } = space.lookup(node);
        const serial = (space.produced.get(node) || 0) + 1;
        space.produced.set(node, serial);
        const value = producedValue(type, space.currentValue(node), serial, node);
        const stamp = now();
        space.write(node, value, "Good", stamp);
        changes.push({ node, value: toJson(type, value), data_type: type, source_timestamp: formatTime(stamp) });
        // Scheduled from the start, so a slow step does not slow the pace after it; a zero
        // interval still yields, so the server publishes while it produces.
        const wait = start + (k + 1) * interval - Date.now();
        await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    }
    return changes;
}

async function handle(space, command) {
    switch (command.op) {
        case "set": {
            const { type } = space.lookup(command.node);
            const stamp = command.source_timestamp ? new Date(command.source_timestamp) : now();
            return space.write(command.node, fromJson(type, command.value), command.status || "Good", stamp);
        }
        case "set_status": {
            statusCode(command.status);
            // Part 4, 7.7.1: a Bad status goes with a null value.
            const value = command.status.startsWith("Bad") ? null : space.currentValue(command.node);
            return space.write(command.node, value, command.status, now());
        }
        case "read":
            return space.read(command.node);
        case "produce":
            return { changes: await produce(space, command) };
        default:
            throw new Error(`unknown op \`${command.op}\``);
    }
}

// The server's certificate in DER, the form asyncua_server.py writes too (node-opcua keeps PEM).
function derCertificate(pemFile, folder) {
    const der = path.join(folder, "server_cert.der");
    fs.writeFileSync(der, new crypto.X509Certificate(fs.readFileSync(pemFile)).raw);
    return der;
}

function say(message) {
    process.stdout.write(JSON.stringify(message) + "\n");
}

async function main() {
    const options = parseArguments(process.argv.slice(2));
    const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "address_space.json"), "utf8"));
    const secure = options.secure === "true";
    const certificateManager = new OPCUACertificateManager({
        rootFolder: path.join(options.pki, "server"),
        // The tests' clients make their own self-signed certificates: trust whoever connects.
        automaticallyAcceptUnknownCertificate: true,
    });
    const server = new OPCUAServer({
        port: Number(options.port),
        host: "127.0.0.1",
        hostname: "127.0.0.1",
        // The certificate names the address clients connect to, so that a client that checks the
        // endpoint's host against it (async-opcua does) accepts it: IP literals here go into its
        // subjectAltName.
        alternateHostname: ["127.0.0.1"],
        resourcePath: "/fdi/",
        nodeset_filename: [nodesets.standard],
        serverCertificateManager: certificateManager,
        serverInfo: { applicationUri: APPLICATION_URI, applicationName: { text: "fdi test server (node-opcua)" } },
        // node-opcua reports every change of an exception-based variable only when it advertises
        // a MinSupportedSampleRate of 0; otherwise a sampling interval of 0 is revised to 50 ms
        // and the changes within it are coalesced into one.
        serverCapabilities: { minSupportedSampleRate: 0 },
        securityPolicies: secure ? [SecurityPolicy.Basic256Sha256] : [SecurityPolicy.None],
        securityModes: secure ? [MessageSecurityMode.SignAndEncrypt] : [MessageSecurityMode.None],
        allowAnonymous: !options.username,
        userManager: options.username
            ? { isValidUser: (username, password) => username === options.username && password === options.password }
            : undefined,
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    const namespace = addressSpace.registerNamespace(spec.namespace_uri);
    const space = new AddressSpace(namespace);
    space.build(addressSpace.rootFolder.objects, true, spec.nodes, "");
    await server.start();
    say({
        event: "ready",
        endpoint_url: `opc.tcp://127.0.0.1:${options.port}/fdi/`,
        namespace_index: namespace.index,
        server_certificate: secure ? derCertificate(server.certificateFile, options.pki) : null,
    });

    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
        if (!line.trim()) continue;
        try {
            say({ ok: true, ...(await handle(space, JSON.parse(line))) });
        } catch (error) {
            say({ ok: false, error: `${error.name}: ${error.message}` });
        }
    }
    await server.shutdown(0);
    process.exit(0);
}

main().catch((error) => {
    process.stderr.write(`node_opcua_server.js: ${error.stack || error}\n`);
    process.exit(1);
});
