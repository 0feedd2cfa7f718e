"""The request signature both sides compute (the server here, channels and tests with the same code).

string to sign = METHOD \n PATH?QUERY \n TIMESTAMP \n NONCE \n CUSTOMER-REF \n sha256(body) hex
key            = sha256(secret) hex, as bytes
X-Channel-Signature = hex HMAC-SHA256(key, string to sign)
"""

import hashlib
import hmac

HEADER_KEY = "X-Channel-Key"
HEADER_TIMESTAMP = "X-Channel-Timestamp"
HEADER_NONCE = "X-Channel-Nonce"
HEADER_SIGNATURE = "X-Channel-Signature"
HEADER_CUSTOMER = "X-Channel-Customer"  # online banking: the customer number the channel authenticated


def body_digest(body):
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(method, path, timestamp, nonce, customer_ref, body):
    return "\n".join([method.upper(), path, str(timestamp), nonce, customer_ref or "", body_digest(body)])


def sign_string(secret_digest, message):
    return hmac.new(secret_digest.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(secret_digest, method, path, timestamp, nonce, customer_ref, body):
    return sign_string(secret_digest, string_to_sign(method, path, timestamp, nonce, customer_ref, body))
