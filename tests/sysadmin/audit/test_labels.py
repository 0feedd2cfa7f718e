"""Issue 12 #6: the audit pages show a person translated object types, event and action names
and field labels, and the object by its own name or number — never "customers.customer #116",
"customer.update" or `fields: ["contact_points"]; page: contacts`. And older entries are masked
by a one-off job (issue 11 #3)."""

import datetime
import re

from django.test import Client

from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from sysadmin.audit.services import AUDIT_SCRUB
from sysadmin.audit.tasks import scrub_audit_log
from tests.factories import make_customer

LIST_URL = "/sysadmin/audit/"
CODES = ("customers.customer", "#", "customer.update", "contact_points", "change_requested", "name_local", "page: contacts")


def chinese_client(user):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    client.force_login(user)
    AuditLog.objects.all().delete()
    return client


def make_entries(org):
    customer = make_customer("200000000116", org.a_sh, org.manager, name_local="赵欣怡", name_latin="Zhao Xinyi")
    common = {"bank_id": org.bank_a.pk, "actor_name": "a.mgr.sh", "at": datetime.datetime.now(datetime.UTC)}
    common.update(object_type="customers.customer", object_id=str(customer.pk), object_repr=str(customer))
    viewed = AuditLog.objects.create(
        action=AuditLog.Action.VIEW_PII, detail={"page": "contacts", "fields": ["contact_points"]}, **common
    )
    requested = AuditLog.objects.create(
        action=AuditLog.Action.OTHER,
        changes={"name_local": ["赵欣", "赵欣怡"]},
        detail={"event": "change_requested", "change_request": 7, "action": "customer.update"},
        **common,
    )
    return customer, viewed, requested


def visible_text(html):
    """The page without its tags and attributes: what a person reads."""
    return re.sub(r"<[^>]*>", " ", html)


def test_the_list_names_objects_events_and_fields_in_chinese(org):
    client = chinese_client(org.auditor)
    customer, _viewed, _requested = make_entries(org)
    text = visible_text(client.get(LIST_URL).content.decode())
    assert f"客户 · {customer}" in text  # the type's name, the customer by number and name
    assert "联系方式" in text or "联系点" in text  # contact points, by the field's translated label
    assert "申请变更" in text or "变更申请" in text  # the event, translated
    for code in CODES:
        assert code not in text, code


def test_the_detail_page_labels_each_field_and_detail(org):
    client = chinese_client(org.auditor)
    _customer, viewed, requested = make_entries(org)
    for entry in (viewed, requested):
        text = visible_text(client.get(f"{LIST_URL}{entry.pk}/").content.decode())
        for code in CODES:
            assert code not in text, (entry.pk, code)
    text = visible_text(client.get(f"{LIST_URL}{requested.pk}/").content.decode())
    assert "修改客户资料" in text or "客户" in text  # the request type by its registered label


def test_older_entries_are_masked_by_the_scrub_job_and_a_rerun_changes_nothing(org):
    """Entries written before record() masked everything (the finding's export filtered by an ID
    number) are masked by the one-off job, bank by bank."""
    old = AuditLog.objects.create(  # written directly: as the log stood before the fix
        bank_id=org.bank_a.pk,
        action=AuditLog.Action.EXPORT,
        object_type="customers.customer",
        object_repr="customers (1)",
        detail={"query": "q=310115197703170378", "rows": 1, "pii": True},
        changes={"line1": ["世纪大道100号8楼", None]},
    )
    other_bank = AuditLog.objects.create(
        bank_id=org.bank_b.pk, action=AuditLog.Action.OTHER, object_repr="call +85291234567", detail={}
    )
    scrub_audit_log.run(bank_id=org.bank_a.pk)
    old.refresh_from_db()
    other_bank.refresh_from_db()
    assert old.detail == {"query": "q=310************378", "rows": 1, "pii": True}
    assert "世纪大道100号8楼" not in str(old.changes) and other_bank.object_repr == "call +85291234567"  # its own bank only
    run = JobRun.objects.filter(job=AUDIT_SCRUB, bank_id=org.bank_a.pk).latest("pk")
    assert run.counts["masked"] == 1
    assert "310115197703170378" not in " ".join(str(e.detail) for e in AuditLog.objects.all())
