"""Personal data of the customer core, as a penetration test probed it (issue 11 #3, #4, #5,
#7): searched identity numbers never travel in a URL nor reach the access log or the audit
log in clear; masking shows a third of a value at most; every customer page and file is
sent with Cache-Control: no-store."""

import datetime
import importlib
import os
import random
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import phonenumbers
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, reverse

import customers.urls
from customers.master import urls as master_urls
from customers.master.models import Address, ContactPoint, CustomerDocument, CustomerGroup, Holding, IdentityDocument
from ocrm import pii
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.lists import export_views
from tests.factories import make_customer, make_product
from tests.support.waiting import wait_for

LIST = "customers:list"
ID_NUMBER = "310115197703170378"  # the number of the finding (a valid resident ID)
PASSPORT = "E12345678"
MOBILE = "+8613812345678"


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def customer(org):
    customer = make_customer("C0001", org.a_sh, org.manager, name_local="王伟", name_latin="Wang Wei")
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="resident_id", issuing_country="CN")
    document.set_number(ID_NUMBER)
    document.save()
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=MOBILE, is_primary=True)
    make_customer("C0002", org.a_sh, org.manager, name_local="李娜", name_latin="Li Na")
    return customer


def addresses_in(html):
    """Every address the page hands the browser: links, form targets, htmx requests, scripts."""
    return re.findall(r'(?:href|action|hx-get|hx-post|src)="([^"]*)"', html)


def all_audit_text():
    return " ".join(f"{e.object_repr} {e.changes} {e.detail}" for e in AuditLog.objects.all())


# --- masking by type (issue 11 #5) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (pii.IDENTITY, ID_NUMBER),
        (pii.IDENTITY, PASSPORT),  # was E123*5678: 8 of 9 characters
        (pii.PHONE, MOBILE),
        (pii.EMAIL, "zhang.wei@example.com"),
        (pii.MESSAGING, "wxid_zhangwei1988"),
        (pii.ADDRESS, "上海市浦东新区世纪大道100号"),
        (pii.ACCOUNT, "6222021001234567890"),
        (pii.BIRTH_DATE, "1977-03-17"),
    ],
)
def test_a_masked_value_never_shows_more_than_a_third(kind, value):
    masked = pii.mask(value, kind)
    assert len(masked) == len(value) and masked != value
    shown = sum(1 for a, b in zip(masked, value, strict=True) if a == b and a.isalnum())
    personal = sum(1 for ch in value if ch.isalnum())
    if kind == pii.PHONE:
        shown, personal = shown - 2, personal - 2  # the country code (+86) says nothing of the person
    if kind == pii.BIRTH_DATE:
        assert masked == "1977-**-**"  # the year: what an age needs, never the day
    else:
        assert shown <= personal // 3, (masked, shown, personal)


def test_masks_keep_what_a_person_recognises():
    assert pii.mask_id(ID_NUMBER) == "310************378"
    assert pii.mask_id(PASSPORT) == "E******78"
    assert pii.mask_phone(MOBILE) == "+86********678"
    assert pii.mask_account("6222021001234567890") == "*" * 15 + "7890"
    assert pii.mask_birth_date(datetime.date(1977, 3, 17)) == "1977-**-**"
    assert pii.mask_contact("wechat", "wxid_zhangwei1988") == "wx************988"  # was shown in clear


# --- the audit log never holds clear personal data (issue 11 #3) ------------------------------------


def test_the_phone_country_code_is_found_as_phonenumbers_finds_it():
    """mask_phone reads the country code off the leading digits instead of parsing the number
    (a tenth of an export's time): on plain, odd and junk numbers it agrees with phonenumbers."""

    def parsed(text):
        try:
            return len(str(phonenumbers.parse(text, None).country_code))
        except phonenumbers.NumberParseException:
            return 0

    rng = random.Random(19)
    numbers = ["+8613812345678", "+44 20 7946 0958", "+1-212-555-0100", "+85291234567", "+", "+86", "+0123456"]
    numbers += ["+" + " ".join(str(rng.randint(0, 9)) for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    numbers += ["+" + "".join(rng.choice("0123456789" * 3 + " -().aA/x") for _ in range(rng.randint(1, 16))) for _ in range(3000)]
    assert [(n, pii._country_code_digits(n)) for n in numbers] == [(n, parsed(n)) for n in numbers]
    assert pii.mask_phone("+8613812345678") == "+86********678"


def test_the_audit_service_masks_whatever_a_caller_passes(org, customer):
    """record() is the one writer: a caller that forgets to mask cannot write clear PII."""
    entry = audit.record(
        AuditLog.Action.OTHER,
        None,
        actor=org.manager,
        object_repr=f"look-up of {ID_NUMBER}",
        detail={"query": f"q={ID_NUMBER}&tier=wealth", "note": f"called {MOBILE} and 13912345678", "q": PASSPORT},
        changes={
            "line1": ["Old Road 1", "世纪大道100号"],
            "account_number": [None, "6222021001234567890"],
            "birth_date": ["1977-03-17", None],
        },
    )
    entry.refresh_from_db()
    text = f"{entry.object_repr} {entry.detail} {entry.changes}"
    for clear in (ID_NUMBER, MOBILE, "13912345678", PASSPORT, "Old Road 1", "世纪大道100号", "6222021001234567890", "03-17"):
        assert clear not in text, clear
    assert entry.detail["query"] == "q=310************378&tier=wealth"  # still readable: which filter, masked
    assert entry.changes["account_number"] == [None, "***************7890"]


def test_an_address_change_is_audited_without_the_street(org, customer):
    address = Address.objects.create(
        bank_id=customer.bank_id, customer=customer, kind="home", country="CN", city="上海", line1="世纪大道100号8楼"
    )
    entry = AuditLog.objects.get(object_type="customers.address", object_id=str(address.pk))
    assert "世纪大道100号8楼" not in f"{entry.object_repr} {entry.changes}" and "上海" in entry.object_repr


# --- searches never in URLs (issue 11 #4) -----------------------------------------------------------


def test_a_search_by_identity_number_never_reaches_a_url_or_the_audit_log(client, org, customer):
    manager = as_user(client, org.manager)
    response = manager.post(reverse(LIST), {"q": ID_NUMBER})
    assert response.status_code == 302 and ID_NUMBER not in response["Location"]
    assert response["Location"].startswith(reverse(LIST) + "?s=")
    page = manager.get(response["Location"])
    assert [row.record.number for row in page.context["table"].page.object_list] == ["C0001"]
    html = page.content.decode()
    assert 'id="filter-form"' in html and 'method="post"' in html.split('id="filter-form"')[0][-200:]
    assert not [url for url in addresses_in(html) if ID_NUMBER in url or pii.normalise_id_number(ID_NUMBER) in url]

    # Paging, sorting and exporting go on through the token; the export's audit entry says what
    # was searched, masked (the finding: "q=310115197703170378" in the audit detail).
    export = manager.get(response["Location"] + "&export=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=org.manager)
    assert entry.detail["query"].startswith("q=310") and entry.detail["rows"] == 1
    assert ID_NUMBER not in all_audit_text()

    # An old bookmark with the number in it is moved behind a token at once.
    response = manager.get(reverse(LIST) + f"?q={ID_NUMBER}&sort=number")
    assert response.status_code == 302 and ID_NUMBER not in response["Location"] and "sort=number" in response["Location"]

    # The token is the searcher's own: another person gets the plain list and a message.
    other = as_user(client, org.supervisor).get(response["Location"], follow=True)
    assert other.redirect_chain[-1][0] == reverse(LIST)
    assert any("expired" in str(m) for m in other.context["messages"])


def test_the_teller_lookup_goes_by_post(client, org, customer):
    teller = as_user(client, org.teller)
    response = teller.get(reverse("customers:lookup"), {"value": ID_NUMBER})
    assert response.status_code == 200 and response.context["results"] is None  # a GET looks nothing up
    assert not AuditLog.objects.filter(actor=org.teller, object_type="customers.customer").exists()
    page = teller.get(reverse("customers:lookup")).content.decode()
    assert '<form method="post" class="card card-body" id="lookup-form">' in page
    response = teller.post(reverse("customers:lookup"), {"value": ID_NUMBER})
    assert [r["customer"].number for r in response.context["results"]] == ["C0001"]
    assert "no-store" in response["Cache-Control"]
    assert ID_NUMBER not in all_audit_text()


def test_saving_a_searched_filter_as_a_group_keeps_the_search_not_the_token(client, org, customer):
    supervisor = as_user(client, org.supervisor)
    location = supervisor.post(reverse(LIST), {"q": "王伟"})["Location"]
    query = location.split("?", 1)[1]
    supervisor.post(reverse("customers:bulk_tag"), {"action": "dynamic", "dynamic_name": "Wangs", "query": query})
    group = CustomerGroup.objects.get(name="Wangs")
    assert group.filter_query == "q=%E7%8E%8B%E4%BC%9F" and "s=" not in group.filter_query


# --- the access log (issue 11 #4) -------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_access_log_drops_the_query_strings_of_customer_pages(tmp_path):
    """A real gunicorn with the logger class make run uses (ocrm/devstack.py)."""
    log, port = tmp_path / "access.log", free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "ocrm.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--access-logfile",
            str(log),
            "--logger-class=ocrm.accesslog.PrivateQueryLogger",
        ],  # fmt: skip
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ocrm.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(NoRedirect)
        wait_for(lambda: reachable(opener, base + "/healthz"), what="gunicorn")  # a loaded machine starts Django slowly
        for path, referer in (
            (f"/customers/?q={ID_NUMBER}", None),
            (f"/customers/lookup/?value={MOBILE.replace('+', '%2B')}", None),
            (f"/accounts/login/?next=/customers/%3Fq%3D{ID_NUMBER}", f"{base}/customers/?q={ID_NUMBER}"),
            ("/reports/?phone=13812345678", None),
            ("/healthz?probe=kept", None),
        ):
            request = urllib.request.Request(base + path, headers={"Referer": referer} if referer else {})
            reachable(opener, request)
        wait_for(lambda: log.exists() and log.read_text().count("\n") >= 6, what="the access log", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    for clear in (ID_NUMBER, "8613812345678", "13812345678"):
        assert clear not in text, text
    assert "GET /customers/?- HTTP" in text and "GET /accounts/login/?- HTTP" in text and "probe=kept" in text


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def reachable(opener, request):
    try:
        opener.open(request, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


# --- Cache-Control: no-store (issue 11 #7) ----------------------------------------------------------


def customer_routes():
    """Every route below a customer's number, from all areas (customers.urls)."""

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    return list(walk(customers.urls.customer_urlpatterns))


def view_class(pattern):
    return getattr(pattern.callback, "view_class", pattern.callback)


def test_every_page_with_personal_data_is_marked_no_store_by_construction():
    marked = [*customer_routes(), *(p for p in master_urls.urlpatterns if p.name in ("list", "lookup"))]
    assert len(marked) > 10
    assert [p.name for p in marked if not getattr(view_class(p), "shows_personal_data", False)] == []
    for view in (export_views.export_list, export_views.export_progress, export_views.export_download):
        assert view.shows_personal_data


def test_the_customer_pages_and_files_are_sent_no_store(client, org, customer, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    product = make_product(org.bank_a)
    holding = Holding.objects.create(
        bank_id=customer.bank_id, customer=customer, product=product, account_number="6222021001234567890", currency="CNY"
    )
    document = CustomerDocument(
        bank_id=customer.bank_id,
        customer=customer,
        doc_type="other",
        original_name="scan.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=org.manager,
    )
    document.file.save("scan.pdf", ContentFile(b"%PDF-1.4 x"))
    manager = as_user(client, org.manager)
    number = customer.number
    responses = {
        "list": manager.get(reverse(LIST)),
        "search": manager.get(manager.post(reverse(LIST), {"q": ID_NUMBER})["Location"]),
        "export": manager.get(reverse(LIST) + "?export=xlsx"),
        "lookup": manager.post(reverse("customers:lookup"), {"value": ID_NUMBER}),
        "360": manager.get(reverse("customers:detail", args=[number])),
        "transactions": manager.get(reverse("customers:transactions", args=[number])),
        "reveal": manager.post(reverse("customers:reveal", args=[number])),
        "document": manager.get(reverse("customers:document", args=[number, document.pk])),
        "contacts": manager.get(reverse("customers:contacts", args=[number])),
        "my exports": manager.get(reverse("export_list")),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.status_code)
        assert "no-store" in response.get("Cache-Control", ""), name
    assert holding.account_number not in responses["360"].content.decode()


def test_the_migration_masks_stored_identity_numbers_again(customer):
    """customers/0013: a number masked under the old rule (first 4 + last 4) is masked again."""
    remask = importlib.import_module("customers.migrations.0014_remask_identity_numbers").remask
    document = IdentityDocument.objects.get(customer=customer)
    IdentityDocument.objects.filter(pk=document.pk).update(number_masked="3101**********0378")
    undecryptable = IdentityDocument.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        doc_type="passport",
        number_hash="x",
        number_encrypted="garbage",
        number_masked="E123*5678",
    )
    remask(django_apps, None)
    document.refresh_from_db()
    undecryptable.refresh_from_db()
    assert document.number_masked == "310************378" and undecryptable.number_masked == "*********"
