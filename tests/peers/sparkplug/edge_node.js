#!/usr/bin/env node
// An independent Sparkplug B edge node: Eclipse Tahu's JavaScript client (sparkplug-client)
// publishing to a local broker what a plan file says, for fdi's tests.
//
//   node edge_node.js --url mqtt://127.0.0.1:PORT --plan plan.json [--exit-when-published]
//
// The plan (see fdi-peers' `EdgeNodePlan`): group, edge_node, client_id, qos, node_metrics and
// devices[].metrics for the births (name, type, value, alias), and data: the NDATA/DDATA
// messages to publish after the first births, in order ({device, metrics: [{name, value,
// type?, timestamp?}]}, or {wait_for_rebirth: true} to wait for an NCMD rebirth request
// first). skip_seq_before: the index in data of the message before which one sequence number
// is skipped, as a lost message would.
//
// On stdout, one JSON object a line: {"topic", "payload" (as Tahu's decoder reads it back),
// "hex"} for every message once published (acknowledged, at QoS 1), and events:
// {"event": "connected"}, {"event": "rebirth_requested"}, {"event": "published_all",
// "messages": N}. Metrics that have an alias in the birth are sent by alias alone in data.
// An NCMD `Node Control/Rebirth` = true is answered with new births (the client resets seq).
// When stdin closes (or, with --exit-when-published, once everything is published), the node
// stops with an NDEATH; killed, the broker publishes its will.
"use strict";

const fs = require("fs");
const sparkplugClient = require("sparkplug-client");
const sparkplug = require("sparkplug-payload").get("spBv1.0");
const { metricFromJson, toJson } = require("./values");

function argument(name) {
  const at = process.argv.indexOf(name);
  if (at < 0 || at + 1 >= process.argv.length) {
    process.stderr.write(`usage: node edge_node.js --url URL --plan PLAN.json (missing ${name})\n`);
    process.exit(2);
  }
  return process.argv[at + 1];
}

const plan = JSON.parse(fs.readFileSync(argument("--plan"), "utf8"));
const qos = plan.qos === undefined ? 0 : plan.qos;
const print = (object) => process.stdout.write(JSON.stringify(object) + "\n");

const client = sparkplugClient.newClient({
  serverUrl: argument("--url"),
  groupId: plan.group,
  edgeNode: plan.edge_node,
  clientId: plan.client_id || `fdi-edge-${plan.group}-${plan.edge_node}`,
  username: null,
  password: null,
  publishDeath: true,
});

// The client publishes at QoS 0 and does not say when a message left. Every publish goes
// through here: at the plan's QoS, printed once the broker has it, and awaited by the loop so
// the order on stdout is the order on the wire.
const mqttPublish = client.client.publish.bind(client.client);
let lastPublish = Promise.resolve();
client.client.publish = (topic, message, options, callback) => {
  lastPublish = new Promise((resolve, reject) => {
    mqttPublish(topic, message, Object.assign({ qos }, typeof options === "object" ? options : {}), (error) => {
      if (error) {
        reject(error);
        return;
      }
      print({ topic, payload: toJson(sparkplug.decodePayload(message)), hex: Buffer.from(message).toString("hex") });
      resolve();
    });
  });
  if (typeof callback === "function") lastPublish.then(() => callback(), callback);
  else if (typeof options === "function") lastPublish.then(() => options(), options);
  return client.client;
};

// The current value of every metric, by device ("" for the node), for births.
const current = new Map();
current.set("", birthMetrics(plan.node_metrics || []));
for (const device of plan.devices || []) current.set(device.device, birthMetrics(device.metrics || []));

function birthMetrics(metrics) {
  return new Map(metrics.map((metric) => [metric.name, Object.assign({}, metric)]));
}

function now() {
  return Date.now();
}

async function publishBirths() {
  client.publishNodeBirth({
    timestamp: now(),
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false },
      ...[...current.get("").values()].map(metricFromJson),
    ],
  });
  await lastPublish;
  for (const device of plan.devices || []) {
    client.publishDeviceBirth(device.device, {
      timestamp: now(),
      metrics: [...current.get(device.device).values()].map(metricFromJson),
    });
    await lastPublish;
  }
}

// A data metric as the plan gives it, written by alias when its birth gave one.
function dataMetric(device, metric) {
  const born = current.get(device || "").get(metric.name);
  if (!born) throw new Error(`metric ${metric.name} of ${device || "the node"} is not in its birth`);
  born.value = metric.value;
  const out = { type: metric.type || born.type, value: metric.value };
  if (born.alias !== undefined && born.alias !== null) out.alias = born.alias;
  else out.name = metric.name;
  if (metric.timestamp !== undefined) out.timestamp = metric.timestamp;
  return metricFromJson(out);
}

let rebirthRequested = null;
let started = false;

client.on("birth", () => {
  print({ event: "connected" });
  (async () => {
    await publishBirths();
    if (!started) {
      started = true;
      await publishData();
    }
  })().catch(fail);
});

client.on("ncmd", (payload) => {
  const rebirth = (payload.metrics || []).find((m) => m.name === "Node Control/Rebirth");
  if (rebirth && rebirth.value === true) {
    print({ event: "rebirth_requested" });
    publishBirths()
      .then(() => {
        if (rebirthRequested) rebirthRequested();
      })
      .catch(fail);
  }
});

client.on("error", fail);

async function publishData() {
  let messages = 0;
  const data = plan.data || [];
  for (let index = 0; index < data.length; index++) {
    const message = data[index];
    if (message.wait_for_rebirth) {
      await new Promise((resolve) => {
        rebirthRequested = resolve;
      });
      rebirthRequested = null;
      continue;
    }
    if (plan.skip_seq_before === index) {
      // The client counts seq itself; taking one number from it without publishing is the
      // gap a lost message leaves.
      client.incrementSeqNum();
    }
    const payload = {
      timestamp: message.timestamp === undefined ? now() : message.timestamp,
      metrics: message.metrics.map((metric) => dataMetric(message.device, metric)),
    };
    if (message.device) client.publishDeviceData(message.device, payload);
    else client.publishNodeData(payload);
    await lastPublish;
    messages++;
  }
  print({ event: "published_all", messages });
  if (process.argv.includes("--exit-when-published")) stop();
}

// An NDEATH, then exit once it is out.
function stop() {
  client.stop();
  lastPublish.then(() => process.exit(0), fail);
}

function fail(error) {
  process.stderr.write(`edge node: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
}

if (!process.argv.includes("--exit-when-published")) {
  process.stdin.on("end", stop);
  process.stdin.resume();
}
