"""Waiting for what a real worker, a browser or another connection does: one polling helper
instead of a loop per test module."""

import time


def wait_for(condition, what="condition", timeout=90, interval=0.2):
    """Poll `condition()` until it returns something truthy and return that; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
