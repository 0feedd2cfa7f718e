"""A signing HTTP client for the channel API, for tests against a live server (and bench/api.py).

client, secret = credentials.register(bank, "Counter", "counter")
api = SigningClient(live_server.url, client.key_id, secret)
status, body, headers = api.get("/api/v1/channel/whoami")
status, body, headers = api.post("/api/v1/...", {"a": 1}, idempotency_key="k1")
"""

import hashlib
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

from workbench.channelapi import signing


class SigningClient:
    def __init__(self, base_url, key_id, secret, customer_ref=""):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.key_id = key_id
        self.secret_digest = hashlib.sha256(secret.encode()).hexdigest()
        self.customer_ref = customer_ref

    def headers_for(self, method, path, body=b"", *, timestamp=None, nonce=None, customer_ref=None):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or uuid.uuid4().hex
        customer_ref = self.customer_ref if customer_ref is None else customer_ref
        headers = {
            signing.HEADER_KEY: self.key_id,
            signing.HEADER_TIMESTAMP: timestamp,
            signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: signing.sign(self.secret_digest, method, path, timestamp, nonce, customer_ref, body),
            "Content-Type": "application/json",
        }
        if customer_ref:
            headers[signing.HEADER_CUSTOMER] = customer_ref
        return headers

    def request(self, method, path, data=None, *, idempotency_key=None, headers=None, **sign_options):
        body = b"" if data is None else json.dumps(data).encode()
        all_headers = self.headers_for(method, path, body, **sign_options)
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
            payload = json.loads(raw) if raw and response.getheader("Content-Type", "").startswith("application/json") else raw
            return response.status, payload, dict(response.getheaders())
        finally:
            connection.close()

    def get(self, path, **options):
        return self.request("GET", path, **options)

    def post(self, path, data, **options):
        return self.request("POST", path, data, **options)
