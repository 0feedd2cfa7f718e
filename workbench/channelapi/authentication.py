"""DRF authentication of a channel by its request signature (signing.py), with replay protection.

A call costs no database query and, in the common case, one Redis round trip:
- The client's row, its decrypted signing keys and its bank's field policies are kept in the worker's
  memory (clientcache.py), valid while the Redis "generation" counter is unchanged (every change of a
  client or a policy bumps it after the commit) and at most clientcache.LOCAL_TTL seconds.
- After the signature checks out, ONE pipeline reads the generation, stores the nonce (SET NX) and
  counts the call in the client's rate window (INCR, EXPIRE). A changed generation reloads the client
  and checks it again (a revoked client is refused even though its nonce is spent); the throttle
  (ratelimit.py) reads the count this pipeline left on the request.
"""

import hmac
import time

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from workbench.channelapi import clientcache, signing

CLOCK_SKEW_SECONDS = 300  # ±5 minutes
NONCE_TTL_SECONDS = 2 * CLOCK_SKEW_SECONDS + 60  # a nonce is remembered as long as its timestamp could pass


class ChannelPrincipal:
    """request.user for a channel call: authenticated, not a staff member."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, client):
        self.client = client
        self.username = f"channel:{client.name}"
        self.pk = None

    def __str__(self):
        return self.username


def _entry(key_id, valid):
    """The client's cached entry; if the signature fails against it, the generation is read and, if it
    moved (a rotation), the row decides. A forged signature costs one Redis read, no query."""
    entry = clientcache.get(key_id)
    if entry is not None and not valid(entry):
        current = clientcache.generation()
        if current != entry.generation:
            entry = clientcache.reload(key_id, current)
    return entry


class ChannelSignatureAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        headers = request.headers
        key_id = headers.get(signing.HEADER_KEY)
        if not key_id:
            return None
        timestamp = headers.get(signing.HEADER_TIMESTAMP, "")
        nonce = headers.get(signing.HEADER_NONCE, "")
        signature = headers.get(signing.HEADER_SIGNATURE, "")
        customer_ref = headers.get(signing.HEADER_CUSTOMER, "")
        if not (timestamp.isdigit() and nonce and signature) or len(nonce) > 100 or len(key_id) > 40:
            raise exceptions.AuthenticationFailed("Missing or malformed signature headers.")
        now = time.time()
        django_request = request._request
        string = signing.string_to_sign(
            request.method, django_request.get_full_path(), timestamp, nonce, customer_ref, django_request.body
        )

        def valid(entry):
            return entry is not None and any(
                hmac.compare_digest(signing.sign_string(key, string), signature) for key in entry.keys_at(now)
            )

        entry = _entry(key_id, valid)
        if entry is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked key.")
        django_request.channel_claimed_client = entry.client  # audited even if refused below
        if not entry.client.is_active:
            raise exceptions.AuthenticationFailed("Unknown or revoked key.")
        if abs(now - int(timestamp)) > CLOCK_SKEW_SECONDS:
            raise exceptions.AuthenticationFailed("Timestamp outside the allowed window.")
        if not valid(entry):
            raise exceptions.AuthenticationFailed("Bad signature.")
        # After the signature, so that a forger can neither burn a client's nonces nor its rate budget.
        generation, fresh_nonce, count, wait = clientcache.spend(entry.client.pk, nonce, NONCE_TTL_SECONDS, now)
        if generation != entry.generation:
            # Something changed a client or a policy since this copy was cached: check against the row.
            entry = clientcache.reload(key_id, generation)
            if entry is None or not entry.client.is_active or not valid(entry):
                raise exceptions.AuthenticationFailed("Unknown or revoked key.")
        if not fresh_nonce:
            raise exceptions.AuthenticationFailed("Nonce already used.")
        django_request.channel_rate = (count, wait)
        return ChannelPrincipal(entry.client), entry.client

    def authenticate_header(self, request):
        return 'Channel-HMAC realm="api"'


class ChannelSignatureScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the signature (drf-spectacular finds it by subclassing)."""

    target_class = ChannelSignatureAuthentication
    name = "ChannelSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": signing.HEADER_SIGNATURE,
            "description": "HMAC-SHA256 over method, path, timestamp, nonce, customer reference and the body's "
            "SHA-256, with the key id, timestamp and nonce headers (docs/channel-api.md).",
        }
