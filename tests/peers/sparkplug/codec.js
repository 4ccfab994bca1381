#!/usr/bin/env node
// Eclipse Tahu's Sparkplug B payload codec (sparkplug-payload) as a command, so fdi's own
// encoder and decoder can be checked against an independent implementation.
//
//   node codec.js decode   reads hex-encoded payloads, one a line, and prints each as JSON
//   node codec.js encode   reads payloads as JSON (Tahu's form: timestamp, seq, metrics with
//                          name, alias, type, value, timestamp), one a line, and prints hex
//
// A line that fails prints {"error": "..."} (decode) or "error: ..." (encode) in its place, so
// line n of the output always answers line n of the input.
"use strict";

const readline = require("readline");
const sparkplug = require("sparkplug-payload").get("spBv1.0");
const { payloadFromJson, toJson } = require("./values");

const mode = process.argv[2];
if (mode !== "decode" && mode !== "encode") {
  process.stderr.write("usage: node codec.js decode|encode < lines\n");
  process.exit(2);
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  if (mode === "decode") {
    try {
      const payload = sparkplug.decodePayload(Buffer.from(line.trim(), "hex"));
      process.stdout.write(JSON.stringify(toJson(payload)) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + "\n");
    }
  } else {
    try {
      const bytes = sparkplug.encodePayload(payloadFromJson(JSON.parse(line)));
      process.stdout.write(Buffer.from(bytes).toString("hex") + "\n");
    } catch (e) {
      process.stdout.write("error: " + String(e && e.message ? e.message : e).replace(/\n/g, " ") + "\n");
    }
  }
});
