"""The transaction-bus (ESB) look-up: a real HTTP/JSON client per bank.

Timeouts, retries with exponential backoff (on timeouts, connection errors and 5xx), a circuit
breaker whose state lives in the shared cache (Redis), so every web process sees it open; response
validation; a cache for the duration of one page request (the client object is made per request
and remembers its answers); every call audited. Results are shown, never stored."""

import json
import time
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django.core.cache import cache

from crossborder.requests import events
from ocrm import parameters


class BusError(Exception):
    """The bus could not answer (unreachable, timed out, failing, or the breaker is open)."""


class BusUnavailable(BusError):
    pass


class BusInvalid(BusError):
    """The bus answered something that is not a valid customer answer."""


class CircuitBreaker:
    """Closed → open after `threshold` failures in a row; open for `cool_off` seconds (calls fail
    at once); then one trial call (half-open): success closes, failure opens again."""

    def __init__(self, name, *, threshold=3, cool_off=30.0):
        self.key = f"crossborder:bus:breaker:{name}"
        self.threshold, self.cool_off = threshold, cool_off

    def _state(self):
        return cache.get(self.key) or {"failures": 0, "opened_at": None}

    def state(self):
        state = self._state()
        if state["opened_at"] is None:
            return "closed"
        return "half_open" if time.time() - state["opened_at"] >= self.cool_off else "open"

    def allow(self):
        return self.state() != "open"

    def success(self):
        cache.delete(self.key)

    def failure(self):
        state = self._state()
        state["failures"] += 1
        if state["failures"] >= self.threshold or state["opened_at"] is not None:
            state["opened_at"] = time.time()
        cache.set(self.key, state, timeout=None)


def validate(answer):
    """The answer as the page shows it, or BusInvalid naming what is wrong."""
    if not isinstance(answer, dict):
        raise BusInvalid("answer is not an object")
    kyc = answer.get("kyc_status")
    if not isinstance(kyc, str) or not kyc:
        raise BusInvalid("kyc_status missing or not text")
    accounts = answer.get("accounts")
    if not isinstance(accounts, list):
        raise BusInvalid("accounts is not a list")
    clean = []
    for index, account in enumerate(accounts, start=1):
        if not isinstance(account, dict):
            raise BusInvalid(f"account {index} is not an object")
        currency = account.get("currency")
        if not isinstance(currency, str) or len(currency) != 3:
            raise BusInvalid(f"account {index}: currency")
        try:
            balance = Decimal(str(account.get("balance")))
        except InvalidOperation:
            raise BusInvalid(f"account {index}: balance") from None
        clean.append({"number": str(account.get("number", ""))[-12:], "currency": currency.upper(), "balance": balance})
    return {"kyc_status": kyc, "accounts": clean}


class BusClient:
    def __init__(self, endpoint, *, name, timeout=2.0, retries=2, backoff=0.1, breaker=None):
        self.endpoint = endpoint.rstrip("/")
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.breaker = breaker or CircuitBreaker(name)
        self._answers = {}  # for the duration of one page request

    @classmethod
    def for_bank(cls, bank_id, **kwargs):
        endpoint = parameters.get("crossborder.bus_endpoint", bank_id)
        if not endpoint:
            return None
        return cls(endpoint, name=f"bank{bank_id}", **kwargs)

    def _fetch(self, reference):
        url = f"{self.endpoint}/customers/{quote(reference, safe='')}"
        with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 (http(s) endpoint set by an administrator)
            return response.read()

    def lookup(self, reference, *, request=None, actor=None, bank_id=None):
        if reference in self._answers:
            return self._answers[reference]
        began = time.monotonic()
        outcome = "ok"
        try:
            result = self._lookup(reference)
        except BusInvalid:
            outcome = "invalid"
            raise
        except BusError as error:
            outcome = "unavailable" if not isinstance(error, BreakerOpen) else "breaker_open"
            raise
        finally:
            if request is not None:
                events.bus_called(
                    request,
                    actor,
                    outcome=outcome,
                    duration_ms=round((time.monotonic() - began) * 1000),
                    bank_id=bank_id if bank_id is not None else request.to_bank_id,
                )
        self._answers[reference] = result
        return result

    def _lookup(self, reference):
        if not self.breaker.allow():
            raise BreakerOpen("circuit breaker open")
        last_error = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                raw = self._fetch(reference)
            except urllib.error.HTTPError as error:
                last_error = error
                if error.code < 500:
                    break  # a 4xx will not get better by asking again
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last_error = error
                continue
            try:
                answer = validate(json.loads(raw))
            except (ValueError, BusInvalid) as error:
                self.breaker.failure()
                raise BusInvalid(str(error)) from None
            self.breaker.success()
            return answer
        self.breaker.failure()
        raise BusUnavailable(str(last_error))


class BreakerOpen(BusUnavailable):
    pass
