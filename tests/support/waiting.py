"""Waiting for what a real worker, a browser or another connection does: one polling helper
instead of a loop per test module, and the wait for the phone menu to finish opening."""

import re
import time

from playwright.sync_api import expect


def wait_for(condition, what="condition", timeout=90, interval=0.2):
    """Poll `condition()` until it returns something truthy and return that; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def open_phone_menu(page):
    """Open the navbar behind a phone's toggler and wait until it has finished sliding open.
    Bootstrap adds `show` when the transition ends: a click during the slide can press on one
    element and release on another, because the page's scroll anchoring moves it (stop 25)."""
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
