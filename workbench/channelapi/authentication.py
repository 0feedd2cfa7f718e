"""DRF authentication of a channel by its request signature (signing.py), with replay protection."""

import hmac
import time

from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from workbench.channelapi import signing
from workbench.channelapi.models import ChannelClient

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
        if not (timestamp.isdigit() and nonce and signature) or len(nonce) > 100:
            raise exceptions.AuthenticationFailed("Missing or malformed signature headers.")
        if abs(time.time() - int(timestamp)) > CLOCK_SKEW_SECONDS:
            raise exceptions.AuthenticationFailed("Timestamp outside the allowed window.")
        client = ChannelClient.objects.select_related("bank").filter(key_id=key_id).first()
        if client is None or not client.is_active:
            raise exceptions.AuthenticationFailed("Unknown or revoked key.")
        body = request._request.body
        path = request._request.get_full_path()
        valid = any(
            hmac.compare_digest(signing.sign(key, request.method, path, timestamp, nonce, customer_ref, body), signature)
            for key in client.signing_keys()
        )
        if not valid:
            raise exceptions.AuthenticationFailed("Bad signature.")
        # Checked after the signature so a forger cannot burn a real client's nonces.
        if not cache.add(f"channelapi:nonce:{client.pk}:{nonce}", 1, timeout=NONCE_TTL_SECONDS):
            raise exceptions.AuthenticationFailed("Nonce already used.")
        return ChannelPrincipal(client), client

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
