"""The OpenAPI documentation page is served from this server (no CDN) and every endpoint of the
schema carries examples: of its answer, and of its JSON body when it takes one."""

import json
import re
import urllib.request

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

# Endpoints still without examples: none. The test fails when one lacks them.
KNOWN_WITHOUT_EXAMPLES = set()


def _has_example(content):
    return any("examples" in media or "example" in media for media in content.values())


def test_every_endpoint_has_examples(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    schema = json.loads(out.read_text())
    missing = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            answers = [answer.get("content", {}) for answer in operation["responses"].values()]
            if (body and not _has_example(body)) or not any(_has_example(content) for content in answers):
                missing.add((method.upper(), path))
    assert missing == KNOWN_WITHOUT_EXAMPLES
    assert any(path.endswith("/channel/customers/lookup") for path in schema["paths"])


def test_the_documentation_page_and_its_assets_come_from_this_server(live_server):
    with urllib.request.urlopen(live_server.url + "/api/v1/docs") as response:
        assert response.status == 200
        page = response.read().decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    # Nothing from another host: every script and stylesheet is a path on this server.
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    for url in [url for url in assets if url.endswith((".js", ".css"))]:
        with urllib.request.urlopen(live_server.url + url) as asset:
            assert asset.status == 200, url
    with urllib.request.urlopen(live_server.url + "/api/v1/schema") as schema:
        assert b"/api/v1/channel/customers/lookup" in schema.read()
