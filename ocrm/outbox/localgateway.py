"""A small local HTTP/JSON SMS gateway for tests, benchmarks and the demo (127.0.0.1 only).

    python -m ocrm.outbox.localgateway --port 8025 --secret demo-secret [--report delivered] [--log FILE]

It speaks what ocrm.outbox.gateways.HttpGateway speaks:

* ``POST /messages`` — JSON ``{"to", "text", "idempotency_key", "callback_url"}``, signed
  (X-Timestamp, X-Signature; ocrm.outbox.signing). A new idempotency key is recorded and answered
  ``201 {"id": "LG..."}``; a key already seen is *not* sent again and is answered
  ``200 {"id": <the first id>, "duplicate": true}``. A bad signature is 401.
* ``POST /messages/batch`` — ``{"messages": [...]}``, each item as above, signed once; answered
  ``200 {"results": [{"status": 201|200|400, "id", "duplicate"}...]}`` in order.
* ``GET /messages`` — what was recorded, ``{"messages": [...], "duplicates": n}``.
* delivery reports — for each accepted message with a callback_url, a signed
  ``POST {"id", "idempotency_key", "status", "at"}`` after ``--report-delay`` seconds
  (status ``--report``: delivered, failed or none).

Tests start it in a thread: ``server = LocalGateway(secret).start()``, ``server.url``,
``server.accepted()``, ``server.stop()``. Pure Python (no Django)."""

import argparse
import itertools
import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ocrm.outbox import signing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections: one per dispatching worker
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall per answer)

    def log_message(self, format, *args):  # quiet
        pass

    def _answer(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n" + body)  # one write: status, headers and body
        self.flush_headers()

    def do_GET(self):
        gateway = self.server.gateway
        if self.path.rstrip("/") == "/messages":
            with gateway.lock:
                self._answer(200, {"messages": list(gateway.messages), "duplicates": gateway.duplicates})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self):
        gateway = self.server.gateway
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/messages", "/messages/batch"):
            return self._answer(404, {"error": "not found"})
        refused = signing.check(
            gateway.secret, self.headers.get(signing.TIMESTAMP_HEADER), self.headers.get(signing.SIGNATURE_HEADER), raw
        )
        if refused:
            return self._answer(401, {"error": refused})
        try:
            data = json.loads(raw)
        except ValueError:
            return self._answer(400, {"error": "body is not JSON"})
        if self.path.rstrip("/") == "/messages/batch":
            results = []
            for item in data.get("messages") or []:
                key = str(item.get("idempotency_key") or "")
                if not key or not item.get("to"):
                    results.append({"status": 400, "error": "to and idempotency_key are required"})
                    continue
                status, payload = gateway.record(key, item)
                results.append({"status": status, **payload})
            if gateway.delay:
                time.sleep(gateway.delay * len(results))
            return self._answer(200, {"results": results})
        key = str(data.get("idempotency_key") or self.headers.get("Idempotency-Key") or "")
        if not key or not data.get("to"):
            return self._answer(400, {"error": "to and idempotency_key are required"})
        if gateway.delay:
            time.sleep(gateway.delay)
        status, payload = gateway.record(key, data)
        return self._answer(status, payload)


class LocalGateway:
    def __init__(self, secret, host="127.0.0.1", port=0, report="delivered", report_delay=0.0, delay=0.0, log_path=None):
        self.secret = secret
        self.report = report
        self.report_delay = report_delay
        self.delay = delay
        self.log_path = log_path
        self.lock = threading.Lock()
        self.messages = []
        self.by_key = {}
        self.duplicates = 0
        self._ids = itertools.count(1)
        self._reports = queue.Queue()
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.gateway = self
        self.reports_sent = []

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/messages"

    def record(self, key, data):
        with self.lock:
            if key in self.by_key:
                self.duplicates += 1
                return 200, {"id": self.by_key[key], "duplicate": True}
            message_id = f"LG{next(self._ids):08d}"
            self.by_key[key] = message_id
            entry = {"id": message_id, "to": data.get("to"), "text": data.get("text", ""), "idempotency_key": key}
            self.messages.append(entry)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as file:
                    file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if data.get("callback_url") and self.report in ("delivered", "failed"):
            self._reports.put((time.monotonic() + self.report_delay, data["callback_url"], message_id, key))
        return 201, {"id": message_id}

    def accepted(self):
        with self.lock:
            return list(self.messages)

    def _report_loop(self):
        while True:
            item = self._reports.get()
            if item is None:
                return
            due, url, message_id, key = item
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            body = json.dumps({"id": message_id, "idempotency_key": key, "status": self.report, "at": int(time.time())}).encode()
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json", **signing.headers(self.secret, body)}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    self.reports_sent.append((message_id, response.status))
            except OSError as exc:
                self.reports_sent.append((message_id, str(exc)))

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True, name="local-sms-gateway").start()
        threading.Thread(target=self._report_loop, daemon=True, name="local-sms-gateway-reports").start()
        return self

    def stop(self):
        self._reports.put(None)
        self.server.shutdown()
        self.server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="A local SMS gateway for the OCRM outbox (127.0.0.1).")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--secret", default="local-gateway-secret")
    parser.add_argument("--report", choices=["delivered", "failed", "none"], default="delivered")
    parser.add_argument("--report-delay", type=float, default=1.0)
    parser.add_argument("--log", default=None, help="append each accepted message to this JSON-lines file")
    args = parser.parse_args(argv)
    gateway = LocalGateway(args.secret, port=args.port, report=args.report, report_delay=args.report_delay, log_path=args.log)
    gateway.start()
    print(f"Local SMS gateway on {gateway.url} (secret {args.secret!r}); Ctrl-C stops it.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
