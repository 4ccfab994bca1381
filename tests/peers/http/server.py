#!/usr/bin/env python3
"""The HTTP test peer of fdi (tests/peers/src/http.rs starts it): a JSON endpoint on 127.0.0.1 that an
HTTP target posts to and an HTTP source polls, built on the standard library's http.server alone.

Control requests under /_peer/ (on --control-port, always plain HTTP; the data port serves TLS with --cert
and --key) set how it misbehaves and read what it received:
  POST /_peer/behaviour  {"fail": N, "rate_limit": N, "retry_after": "2" | "date:+2", "delay_ms": M,
                          "refuse": {"field": F, "values": [...]}, "non_json": N, "drop": N,
                          "require_auth": "Bearer ...", "page_size": N}
                         (counts are for the next N requests to the data endpoints; keys not given stay)
  GET  /_peer/received   every data request: method, path, headers (lower case), body, the status answered
  GET  /_peer/counts     how many data requests came, and how many POSTs and PUTs were answered 2xx
  POST /_peer/items      {"items": [...]} appended to the records the source endpoints serve
Data endpoints:
  GET  /items?after=W    {"data": {"items": [...]}}: the records whose `seq` is above W (all when W is
                         empty), in `seq` order, at most page_size of them
  GET  /document         {"data": {"items": [...]}}: every record, with an ETag and a Last-Modified, and
                         304 for If-None-Match / If-Modified-Since of the current version
  POST, PUT anything     recorded, answered 201 {"ok": true} (or as the behaviour says)
"""

import argparse
import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = {
    "fail": 0,
    "rate_limit": 0,
    "retry_after": "1",
    "delay_ms": 0,
    "refuse": None,
    "non_json": 0,
    "drop": 0,
    "require_auth": None,
    "page_size": 100,
    "received": [],
    "items": [],
    "version": 0,
    # Whole seconds: Last-Modified has no finer resolution.
    "modified": int(time.time()),
}


def take(counter):
    """Whether the next request is one of the `counter` ones, counting it down."""
    if STATE[counter] > 0:
        STATE[counter] -= 1
        return True
    return False


def retry_after():
    value = STATE["retry_after"]
    if value.startswith("date:+"):
        return email.utils.formatdate(time.time() + float(value[6:]), usegmt=True)
    return value


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the second waits for the client's
    # delayed ACK (40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json", headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def control(self, raw):
        path = urlsplit(self.path).path
        if path == "/_peer/behaviour" and self.command == "POST":
            with LOCK:
                STATE.update(json.loads(raw or b"{}"))
            return self.answer(200, {"ok": True})
        if path == "/_peer/received" and self.command == "GET":
            with LOCK:
                received = list(STATE["received"])
            return self.answer(200, {"requests": received})
        if path == "/_peer/counts" and self.command == "GET":
            with LOCK:
                received = STATE["received"]
                taken = sum(
                    1
                    for r in received
                    if r["method"] != "GET" and 200 <= r.get("status", 0) < 300
                )
                return self.answer(200, {"requests": len(received), "taken": taken})
        if path == "/_peer/items" and self.command == "POST":
            with LOCK:
                STATE["items"].extend(json.loads(raw)["items"])
                STATE["version"] += 1
                STATE["modified"] = max(int(time.time()), STATE["modified"] + 1)
            return self.answer(200, {"ok": True})
        return self.answer(404, {"error": "no such control"})

    def handle_any(self):
        raw = self.read_body()
        if self.path.startswith("/_peer/"):
            return self.control(raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with LOCK:
            entry = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "at": time.time(),
            }
            STATE["received"].append(entry)
            delay = STATE["delay_ms"]
            decided = self.decide(body)
        if delay:
            time.sleep(delay / 1000)
        if decided is None:
            # Close without an answer: the client sees the connection end.
            with LOCK:
                entry["status"] = 0
            self.close_connection = True
            return
        status, answer, content_type, headers = decided
        with LOCK:
            entry["status"] = status
        self.answer(status, answer, content_type, headers)

    def decide(self, body):
        """The answer to a data request (under the lock), or None to drop the connection."""
        if take("drop"):
            return None
        wanted = STATE["require_auth"]
        if wanted and self.headers.get("Authorization") != wanted:
            return 401, {"error": "unauthorized"}, "application/json", ()
        if take("fail"):
            return 503, {"error": "unavailable"}, "application/json", ()
        if take("rate_limit"):
            return 429, {"error": "slow down"}, "application/json", [("Retry-After", retry_after())]
        if self.command == "GET":
            if take("non_json"):
                return 200, b"<html>maintenance</html>", "text/html", ()
            return self.serve()
        refuse = STATE["refuse"]
        if refuse:
            records = body if isinstance(body, list) else [body]
            for record in records:
                if isinstance(record, dict) and record.get(refuse["field"]) in refuse["values"]:
                    value = record.get(refuse["field"])
                    return 422, {"error": f"{refuse['field']} {value} refused"}, "application/json", ()
        return 201, {"ok": True}, "application/json", ()

    def serve(self):
        url = urlsplit(self.path)
        if url.path == "/items":
            after = parse_qs(url.query).get("after", [""])[0]
            items = sorted(STATE["items"], key=lambda item: item["seq"])
            if after != "":
                items = [item for item in items if item["seq"] > int(after)]
            page = items[: STATE["page_size"]]
            return 200, {"data": {"items": page}}, "application/json", ()
        if url.path == "/document":
            etag = f'"v{STATE["version"]}"'
            modified = email.utils.formatdate(STATE["modified"], usegmt=True)
            headers = [("ETag", etag), ("Last-Modified", modified)]
            if self.headers.get("If-None-Match") == etag:
                return 304, b"", "application/json", headers
            since = self.headers.get("If-Modified-Since")
            if since and email.utils.parsedate_to_datetime(since).timestamp() >= STATE["modified"]:
                return 304, b"", "application/json", headers
            return 200, {"data": {"items": STATE["items"]}}, "application/json", headers
        return 404, {"error": "not found"}, "application/json", ()

    do_GET = handle_any
    do_POST = handle_any
    do_PUT = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up waiting (a timeout test) closes its end: not the peer's error.
        import sys
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--cert", help="serve the data port over TLS with this certificate (PEM)")
    parser.add_argument("--key", help="the certificate's private key (PEM)")
    args = parser.parse_args()
    # The control port is plain HTTP, so a test talks to it the same way whether the data port is TLS.
    control = Server(("127.0.0.1", args.control_port), Handler)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    server = Server(("127.0.0.1", args.port), Handler)
    if args.cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
