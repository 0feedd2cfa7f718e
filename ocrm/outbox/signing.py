"""Request signatures between the bank and an SMS gateway, both ways (pure Python: the local
gateway uses it without Django).

A signed request carries two headers: ``X-Timestamp`` (Unix seconds) and ``X-Signature``, the
hex HMAC-SHA256 of ``"<timestamp>.<raw body>"`` under the gateway's shared secret. The receiver
refuses a timestamp further than MAX_SKEW_SECONDS from its clock and a signature it has already
accepted (a replay)."""

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"


def signature(secret, timestamp, body):
    if isinstance(body, str):
        body = body.encode()
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret, body, now=None):
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def check(secret, timestamp, sent_signature, body, now=None):
    """None when the signature is right and fresh, else the reason it is refused."""
    try:
        timestamp = int(timestamp)
    except (TypeError, ValueError):
        return "missing or malformed timestamp"
    now = time.time() if now is None else now
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        return "timestamp outside the allowed window"
    if not sent_signature or not hmac.compare_digest(signature(secret, timestamp, body), str(sent_signature)):
        return "bad signature"
    return None
