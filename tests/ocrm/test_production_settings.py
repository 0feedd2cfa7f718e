"""Production settings (OCRM_ENV=production): `manage.py check --deploy` is clean, the site
refuses to start without a real secret or with DEBUG on, plain HTTP is redirected to HTTPS
(except the probes) and HTTPS answers carry HSTS. Each case runs Django in a subprocess with the
production environment, as a deployment would."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(**changes):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocrm.settings",
        "OCRM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "crm.bank.example",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the tests' own (conftest); a deployment never sets it
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args, env):
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_the_production_switch():
    """The same check outside production names what production settings fix (so the test above
    cannot pass by the check being blind)."""
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(OCRM_ENV=None))
    assert result.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in result.stderr + result.stdout, warning


def test_production_refuses_to_start_without_a_secret_or_with_debug():
    no_secret = run(["manage.py", "check"], production_env(SECRET_KEY=None))
    assert no_secret.returncode != 0 and "SECRET_KEY" in no_secret.stderr
    debug = run(["manage.py", "check"], production_env(DEBUG="1"))
    assert debug.returncode != 0 and "DEBUG must be off" in debug.stderr


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="crm.bank.example")
plain = client.get("/accounts/login/")
proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
health = client.get("/healthz")
csrf = proxied.cookies.get("csrftoken")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security"), csrf["secure"] if csrf else None],
    "health": health.status_code,
}))
"""


def test_http_is_redirected_to_https_and_https_carries_hsts():
    result = run(["-c", PROBE], production_env())
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["plain"] == [301, "https://crm.bank.example/accounts/login/"]
    status, hsts, secure_cookie = answers["proxied"]
    assert status == 200
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert secure_cookie is True
    # The load balancer's probe inside the network speaks plain HTTP and is not redirected.
    assert answers["health"] in (200, 503)
