"""Preferences on the staff record: one key per area, written without overwriting the others."""

import pytest

from ocrm import preferences
from sysadmin.org.models import Staff

pytestmark = pytest.mark.django_db


def test_each_key_is_written_alone(org):
    stale_copy = Staff.objects.get(pk=org.manager.pk)
    preferences.put(org.manager, "workbench.shortcuts", ["customers:list"])
    preferences.put(stale_copy, "lists.columns", {"customers": ["name", "tier"]})  # a page holding an older copy
    fresh = Staff.objects.get(pk=org.manager.pk)
    assert preferences.get(fresh, "workbench.shortcuts") == ["customers:list"]
    assert preferences.get(fresh, "lists.columns") == {"customers": ["name", "tier"]}
    assert preferences.get(fresh, "missing", default=[]) == []
    assert preferences.get(org.manager, "workbench.shortcuts") == ["customers:list"]  # the caller's copy sees it
