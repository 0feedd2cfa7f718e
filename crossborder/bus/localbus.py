"""A small local transaction bus (ESB) for development, the demo and the tests.

    .venv/bin/python -m crossborder.bus.localbus --port 8765

GET /customers/<reference> answers {"reference", "kyc_status", "accounts": [{"number", "currency",
"balance"}]}. The reference chooses misbehaviour, so failures can be tested for real:
SLOW... sleeps (2 s, or ?delay=seconds), FAIL... answers 503, BAD... answers broken JSON, ODD...
answers JSON of the wrong shape, anything else a well-formed answer. `hits` counts requests."""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class BusHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet in tests
        pass

    def _send(self, status, body, content_type="application/json"):
        payload = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.server.hits += 1
        parts = urlsplit(self.path)
        if not parts.path.startswith("/customers/"):
            return self._send(404, json.dumps({"error": "not found"}))
        reference = parts.path.removeprefix("/customers/")
        if reference.startswith("SLOW"):
            delay = float(parse_qs(parts.query).get("delay", ["2"])[0])
            time.sleep(delay)
        if reference.startswith("FAIL") or self.server.failing:
            return self._send(503, json.dumps({"error": "core system unavailable"}))
        if reference.startswith("BAD"):
            return self._send(200, '{"reference": "BAD", "accounts": [')
        if reference.startswith("ODD"):
            return self._send(200, json.dumps({"reference": reference, "accounts": "none", "kyc_status": 7}))
        return self._send(
            200,
            json.dumps(
                {
                    "reference": reference,
                    "kyc_status": "verified",
                    "accounts": [
                        {"number": "GB29****7654", "currency": "GBP", "balance": "12500.00"},
                        {"number": "GB29****1122", "currency": "USD", "balance": "300.50"},
                    ],
                }
            ),
        )


class LocalBus(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host="127.0.0.1", port=0):
        super().__init__((host, port), BusHandler)
        self.hits = 0
        self.failing = False  # the whole bus answers 503 while set

    @property
    def url(self):
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


def main():
    parser = argparse.ArgumentParser(prog="python -m crossborder.bus.localbus")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    bus = LocalBus(port=args.port)
    print(f"local transaction bus on {bus.url}", flush=True)
    bus.serve_forever()


if __name__ == "__main__":
    main()
