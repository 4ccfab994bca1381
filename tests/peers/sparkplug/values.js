// How the edge node and the codec command write Sparkplug values as JSON and read them back:
// 64-bit integers (Int64, UInt64, DateTime, and UInt32 as Tahu stores it) as decimal strings
// or numbers, bytes as hex strings, a null value as `null` (is_null). One place for it, so
// the JSON a test reads means the same in both commands.
"use strict";

const Long = require("long");

const LONG_TYPES = { INT64: false, UINT64: true, DATETIME: true, UINT32: true };

// A metric as Tahu's sparkplug-payload encoder takes it, from its JSON form.
function metricFromJson(metric) {
  const out = Object.assign({}, metric);
  const type = String(metric.type || "").toUpperCase();
  if (metric.value !== null && metric.value !== undefined) {
    if (type in LONG_TYPES) {
      out.value = Long.fromValue(
        typeof metric.value === "string"
          ? Long.fromString(metric.value, LONG_TYPES[type])
          : Long.fromNumber(metric.value, LONG_TYPES[type]),
      );
    } else if (type === "BYTES" || type === "FILE") {
      out.value = Buffer.from(metric.value, "hex");
    }
  }
  if (typeof metric.timestamp === "string") {
    out.timestamp = Long.fromString(metric.timestamp, true);
  }
  return out;
}

function payloadFromJson(payload) {
  const out = Object.assign({}, payload);
  if (typeof payload.timestamp === "string") {
    out.timestamp = Long.fromString(payload.timestamp, true);
  }
  out.metrics = (payload.metrics || []).map(metricFromJson);
  return out;
}

// What Tahu's decoder returned, as plain JSON: Longs as decimal strings, bytes as hex.
function toJson(value) {
  if (value === null || value === undefined) return value === undefined ? undefined : null;
  if (Long.isLong(value)) return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const out = {};
    for (const [key, inner] of Object.entries(value)) {
      const converted = toJson(inner);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

module.exports = { metricFromJson, payloadFromJson, toJson };
