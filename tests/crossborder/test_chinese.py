"""The statistics (every grouping), the revenue feed upload pages and a rule's simulation in
Chinese show no English (the product's checker of Chinese pages)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crossborder.agreements import services as agreements
from crossborder.profitsharing.models import ProfitShareRule, RevenueFeedUpload
from crossborder.requests import statistics
from sysadmin.org.models import Staff
from tests.crossborder.profitsharing.test_feed import csv, row
from tests.crossborder.profitsharing.test_statements import setup  # noqa: F401
from tests.crossborder.test_requests import submit, xb  # noqa: F401
from tests.crossborder.test_statistics import DAY, MONDAY, finish
from tests.customers.test_chinese_pages import ALLOWED, findings, interface_words, untranslated  # noqa: F401

pytestmark = pytest.mark.django_db


def chinese_client(client, user):
    Staff.objects.filter(pk=user.pk).update(language="zh-hans")
    client.force_login(Staff.objects.get(pk=user.pk))
    client.cookies["django_language"] = "zh-hans"
    return client


def english_in(client, url, params, untranslated, interface_words):  # noqa: F811
    untranslated.clear()
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, url
    return findings(response.content.decode(), interface_words) | {f"untranslated {m!r}" for m in untranslated - ALLOWED}


def test_statistics_in_chinese_show_no_english(client, xb, untranslated, interface_words):  # noqa: F811
    agreements.accept(xb.admin, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    done = submit(xb, to_branch=xb.b_ldn, now=MONDAY)
    finish(xb, xb.b_officer, done, datetime.datetime(2026, 1, 12, 13, 0, tzinfo=datetime.UTC), fee=2_500)
    submit(xb, to_branch=xb.b_ldn, now=MONDAY)
    client = chinese_client(client, xb.admin)
    params = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}
    for group, _label in statistics.GROUP_CHOICES:
        found = english_in(client, reverse("crossborder:statistics"), {**params, "group": group}, untranslated, interface_words)
        assert not found, (group, found)


def test_feed_upload_and_simulation_in_chinese_show_no_english(client, setup, untranslated, interface_words):  # noqa: F811
    client = chinese_client(client, setup["officer"])
    assert not english_in(client, reverse("crossborder:revenue_feed_upload"), {}, untranslated, interface_words)
    client.post(
        reverse("crossborder:revenue_feed_upload"),
        {"file": SimpleUploadedFile("f.csv", csv(row("R1"), row("R2", customer="NOPE")))},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    item = RevenueFeedUpload.objects.get()
    detail = reverse("crossborder:revenue_feed_upload_detail", args=[item.pk])
    assert not english_in(client, detail, {}, untranslated, interface_words)
    assert not english_in(client, reverse("crossborder:revenue_feed_uploads"), {}, untranslated, interface_words)
    ProfitShareRule.objects.filter(pk=setup["rule"].pk).update(name="跨境服务费分润")  # the data, not the page
    rule = reverse("crossborder:profit_rule", args=[setup["rule"].pk])
    assert not english_in(client, rule, {"amount": "100.01", "period": "2026-10-01"}, untranslated, interface_words)
