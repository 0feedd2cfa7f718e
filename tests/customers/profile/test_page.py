"""The customer 360° page: scope on every route, merged numbers, masking and the audited
reveal, totals in the base currency, household AUM, relationships both ways, the
transactions partial, documents, and a query count that does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.master.models import (
    Address,
    ContactPoint,
    Customer,
    CustomerDocument,
    CustomerNote,
    FxRate,
    Holding,
    HoldingBalance,
    Household,
    IdentityDocument,
    Relationship,
    RetailProfile,
    ServiceContact,
    Transaction,
)
from customers.profile import sections as detail_sections
from customers.profile import services as services_360
from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_product
from tests.support.mfa import second_factor_queries

pytestmark = pytest.mark.django_db

RESIDENT_ID = "11010519491231002X"  # a valid PRC resident ID (check digit X)
MOBILE = "+8613812345678"
WECHAT = "wxid_zhangwei1988"
STREET = "浦东新区世纪大道100号环球金融中心58楼"
ACCOUNT = "6222021001234567890"
BIRTH = datetime.date(1949, 12, 31)


def client_for(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # staff default to Chinese; these tests read English
    return client


def routes(customer, document):
    """(method, url) of every route of the 360 page for this customer."""
    return [
        ("get", reverse("customers:detail", args=[customer.number])),
        ("get", reverse("customers:transactions", args=[customer.number])),
        ("get", reverse("customers:document", args=[customer.number, document.pk])),
        ("post", reverse("customers:reveal", args=[customer.number])),
    ]


def add_document(customer, name="scan.png", content=b"\x89PNG fake image"):
    document = CustomerDocument(
        bank_id=customer.bank_id,
        customer=customer,
        doc_type="id_scan",
        original_name=name,
        content_type="image/png",
        size=len(content),
    )
    document.file.save(name, ContentFile(content), save=False)
    document.save()
    return document


def add_holding(customer, account, product, balance, currency=None):
    return Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=product,
        account_number=account,
        currency=currency or product.currency,
        balance=Decimal(balance),
    )


def add_transactions(holding, count, channel="atm", start=None):
    start = start or timezone.now() - datetime.timedelta(days=1)
    Transaction.objects.bulk_create(
        [
            Transaction(
                bank_id=holding.bank_id,
                customer_id=holding.customer_id,
                holding=holding,
                occurred_at=start - datetime.timedelta(minutes=i),
                amount=Decimal("10.00") + i,
                currency=holding.currency,
                direction="D",
                channel=channel,
                txn_type="withdrawal",
                description=f"txn {channel} {i}",
            )
            for i in range(count)
        ]
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def fx(org):
    """USD -> CNY: an old rate and the latest one (the latest must be used)."""
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("6.5"), as_of=datetime.date(2025, 1, 2))
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.1"), as_of=datetime.date(2026, 1, 2))
    return org


# --- scope --------------------------------------------------------------------------------------------------------


def test_another_managers_customer_is_404_on_every_route(org, media):
    customer = make_customer("C-SH-1", org.a_sh, org.manager)
    document = add_document(customer)
    own = client_for(org.manager)
    assert own.get(reverse("customers:detail", args=[customer.number])).status_code == 200
    for user in (org.manager_bj, org.manager_sub, org.b_manager, org.b_supervisor):
        client = client_for(user)
        for method, url in routes(customer, document):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (user.username, url, response.status_code)
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).exists()


def test_supervisor_sees_exactly_the_subtree(org):
    in_branch = make_customer("C-SH", org.a_sh, org.manager)
    in_sub_branch = make_customer("C-SH1", org.a_sh_sub, org.manager_sub)
    elsewhere = make_customer("C-BJ", org.a_bj, org.manager_bj)
    client = client_for(org.supervisor)
    assert client.get(reverse("customers:detail", args=[in_branch.number])).status_code == 200
    assert client.get(reverse("customers:detail", args=[in_sub_branch.number])).status_code == 200
    assert client.get(reverse("customers:detail", args=[elsewhere.number])).status_code == 404
    assert client.get(reverse("customers:transactions", args=[elsewhere.number])).status_code == 404


def test_anonymous_is_sent_to_log_in_and_roles_without_permission_are_refused(org):
    customer = make_customer("C-SH", org.a_sh, org.manager)
    url = reverse("customers:detail", args=[customer.number])
    response = Client().get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    # A teller may look customers up but not browse them: outside every scope.
    assert client_for(org.teller).get(url).status_code == 404
    # The product manager sees the bank's customers but holds no unmask permission.
    assert client_for(org.product_manager).post(reverse("customers:reveal", args=[customer.number])).status_code == 403


def test_merged_number_redirects_to_the_survivor(org):
    survivor = make_customer("C-NEW", org.a_sh, org.manager)
    merged = make_customer("C-OLD", org.a_sh, org.manager, merged_into=survivor)
    client = client_for(org.manager)
    response = client.get(reverse("customers:detail", args=[merged.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[survivor.number])
    response = client.get(reverse("customers:transactions", args=[merged.number]) + "?channel=atm")
    assert response["Location"] == reverse("customers:transactions", args=[survivor.number]) + "?channel=atm"
    # A survivor outside the user's scope is still a 404, never a redirect that names it.
    Customer.objects.filter(pk=survivor.pk).update(primary_manager=org.manager_bj)
    assert client.get(reverse("customers:detail", args=[merged.number])).status_code == 404


# --- masking and the audited reveal -------------------------------------------------------------------------------


def test_page_is_masked_and_the_reveal_shows_clear_values_and_is_audited(org):
    customer = make_customer("C-PII", org.a_sh, org.manager)
    document = IdentityDocument(
        bank_id=customer.bank_id,
        customer=customer,
        doc_type="resident_id",
        issuing_country="CN",
        expiry_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    document.set_number(RESIDENT_ID)
    document.save()
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=MOBILE, is_primary=True)
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="wechat", value=WECHAT)
    Address.objects.create(bank_id=customer.bank_id, customer=customer, kind="home", country="CN", city="上海", line1=STREET)
    holding = Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=make_product(org.bank_a, "DEP-PII"),
        account_number=ACCOUNT,
        currency="CNY",
        balance=Decimal("100.00"),
    )
    RetailProfile.objects.update_or_create(customer=customer, defaults={"bank_id": customer.bank_id, "birth_date": BIRTH})
    client = client_for(org.manager)
    before = AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).count()

    # Issue 11 #5: every kind of personal data masked by its kind, a third of it shown at most.
    page = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert "110************02X" in page and "+86********678" in page
    assert pii.mask_text(WECHAT) in page and pii.mask_account(ACCOUNT) in page and "1949-**-**" in page
    assert pii.mask_address(STREET) in page
    for clear in (RESIDENT_ID, MOBILE, WECHAT, STREET, ACCOUNT, "1949-12-31", ACCOUNT[-5:]):
        assert clear not in page, clear
    assert "expires on" in page  # the ID expiring within 90 days is an alert in the header
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).count() == before  # masked views are not PII views

    response = client.post(reverse("customers:reveal", args=[customer.number]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    for clear in (RESIDENT_ID, MOBILE, WECHAT, STREET, ACCOUNT, "1949-12-31"):
        assert clear in text, clear
    entries = AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII)
    assert entries.count() == before + 1
    entry = entries.latest("pk")
    assert entry.actor == org.manager and entry.object_id == str(customer.pk)
    assert entry.detail["identity_documents"] == [document.pk] and entry.detail["holdings"] == [holding.pk]
    assert RESIDENT_ID not in str(entry.detail) and ACCOUNT not in str(entry.detail)
    # GET is not a way round the POST (and its audit entry).
    assert client.get(reverse("customers:reveal", args=[customer.number])).status_code == 405


# --- holdings, household, relationships ---------------------------------------------------------------------------------


def test_holding_totals_are_in_the_base_currency_with_the_latest_rate(fx, org):
    customer = make_customer("C-FX", org.a_sh, org.manager)
    add_holding(customer, "A-CNY", make_product(org.bank_a, "DD-CNY"), "1000.00")
    add_holding(customer, "A-USD", make_product(org.bank_a, "DD-USD", currency="USD"), "100.00")
    add_holding(customer, "L-CNY", make_product(org.bank_a, "LN-CNY", "liability", "loan"), "5000.00")
    add_holding(customer, "A-EUR", make_product(org.bank_a, "DD-EUR", currency="EUR"), "50.00")  # no EUR rate

    context = detail_sections.holdings_context(Customer.objects.select_related("bank").get(pk=customer.pk), org.manager)
    groups = {group["category"]: group for group in context["holding_groups"]}
    assert groups["asset"]["total"] == Decimal("1710.00")  # 1000 + 100 * 7.1
    assert groups["asset"]["missing_rates"] == ["EUR"]  # named, not silently dropped
    assert groups["liability"]["total"] == Decimal("5000.00")
    assert groups["fee"]["total"] == 0 and context["base_currency"] == "CNY"

    page = client_for(org.manager).get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert 'data-category="asset">1,710.00</strong> CNY' in page
    assert "No exchange rate for EUR" in page


def test_household_aum_sums_the_members_holdings_in_base_currency(fx, org):
    household = Household.objects.create(bank=org.bank_a, name="Wang family")
    husband = make_customer("C-H1", org.a_sh, org.manager, household=household)
    wife = make_customer("C-H2", org.a_sh, org.manager_bj, name_local="李娜", household=household)
    outsider = make_customer("C-X", org.a_sh, org.manager)
    household.primary_member = husband
    household.save()
    add_holding(husband, "H1", make_product(org.bank_a, "DD-CNY"), "1000.00")
    add_holding(wife, "H2", make_product(org.bank_a, "DD-USD", currency="USD"), "100.00")
    add_holding(wife, "H3", make_product(org.bank_a, "LN-CNY", "liability", "loan"), "9999.00")  # a loan is not AUM
    add_holding(outsider, "X1", make_product(org.bank_a, "DD-CNY"), "5555.00")

    customer = Customer.objects.select_related("bank", "household").get(pk=husband.pk)
    context = detail_sections.household_context(customer, org.manager)
    assert context["household_aum"] == Decimal("1710.00")
    members = {member.number: member for member in context["members"]}
    assert set(members) == {"C-H1", "C-H2"}
    assert members["C-H2"].aum_base == Decimal("710.00")
    assert members["C-H1"].visible and not members["C-H2"].visible  # the wife is another manager's customer

    client = client_for(org.manager)
    page = client.get(reverse("customers:detail", args=[husband.number])).content.decode()
    section = client.get(reverse("customers:section", args=[husband.number, "household"])).content.decode()
    assert '<strong id="household-aum">1,710.00</strong> CNY' in section
    assert "李娜" not in page and "李娜" not in section  # the total is shown, the other manager's customer is not named


def test_relationships_are_shown_from_both_sides(org):
    parent = make_customer("C-P", org.a_sh, org.manager, name_local="王父")
    child = make_customer("C-C", org.a_sh, org.manager, name_local="王子")
    company = make_customer("C-CO", org.a_sh, org.manager, name_local="王氏公司", kind="corporate")
    Relationship.objects.create(bank_id=org.bank_a.pk, from_customer=parent, to_customer=child, kind="parent")
    Relationship.objects.create(
        bank_id=org.bank_a.pk, from_customer=parent, to_customer=company, kind="shareholder", share_percent=Decimal("60")
    )
    client = client_for(org.manager)

    def section(customer):  # deferred: the 360 page loads it from customers:section
        return client.get(reverse("customers:section", args=[customer.number, "relationships"])).content.decode()

    parent_page, child_page, company_page = section(parent), section(child), section(company)
    assert 'relationship-label">Parent of</span>' in parent_page and "王子" in parent_page
    assert 'relationship-label">Shareholder of</span>' in parent_page and "60.00%" in parent_page
    assert 'relationship-label">Child of</span>' in child_page and "王父" in child_page
    assert 'relationship-label">Has shareholder</span>' in company_page
    assert 'id="relationship-graph"' in parent_page and parent_page.count('class="graph-node"') == 2
    company_page = client.get(reverse("customers:detail", args=[company.number])).content.decode()
    parent_page = client.get(reverse("customers:detail", args=[parent.number])).content.decode()
    assert 'id="corporate-profile"' in company_page and 'id="retail-profile"' in parent_page


def test_deferred_sections_load_through_their_placeholder_within_the_scope(org):
    """The page draws a deferred section's controls and a placeholder (none of its queries); the
    placeholder's address gives the section as the page would have drawn it, 404 outside the
    scope, for a section the user may not see, or for a key that names no deferred section."""
    mine = make_customer("C-DEF", org.a_sh, org.manager)
    foreign = make_customer("C-DEF-BJ", org.a_bj, org.manager_bj)
    CustomerNote.objects.create(bank_id=mine.bank_id, customer=mine, author=org.manager, text="Deferred note")
    client = client_for(org.manager)
    page = client.get(reverse("customers:detail", args=[mine.number])).content.decode()
    address = reverse("customers:section", args=[mine.number, "notes"])
    assert f'hx-get="{address}"' in page and 'id="note-add-form"' in page and "Deferred note" not in page
    response = client.get(address)
    assert response.status_code == 200 and "Deferred note" in response.content.decode()
    assert 'id="note-add-form"' in response.content.decode()  # the same template: controls and rows
    assert client.get(reverse("customers:section", args=[foreign.number, "notes"])).status_code == 404
    for key in ("header", "no-such-section", "transactions"):  # not deferred: drawn by the page itself
        assert client.get(reverse("customers:section", args=[mine.number, key])).status_code == 404, key
    corporate = make_customer("C-DEF-CO", org.a_sh, org.manager, kind="corporate")
    assert client.get(reverse("customers:section", args=[corporate.number, "household"])).status_code == 404  # retail only
    assert client.get(reverse("customers:section", args=[mine.number, "household"])).status_code == 200


# --- transactions ---------------------------------------------------------------------------------------------------------------


def test_transactions_channel_filter_and_paging(org):
    customer = make_customer("C-TX", org.a_sh, org.manager)
    holding = add_holding(customer, "TX-1", make_product(org.bank_a, "DD-CNY"), "10.00")
    add_transactions(holding, 30, "atm")
    add_transactions(holding, 15, "online")
    client = client_for(org.manager)
    url = reverse("customers:transactions", args=[customer.number])

    first = client.get(url, {"channel": "atm"}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    text = first.content.decode()
    assert "<html" not in text  # an htmx partial
    assert text.count('class="txn-row"') == 20 and "Online banking" not in text.split("<tbody>")[1]
    assert 'id="txn-next"' in text and "channel=atm&amp;page=2" in text

    second = client.get(url, {"channel": "atm", "page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert second.count('class="txn-row"') == 10 and 'id="txn-next"' not in second and 'id="txn-previous"' in second

    online = client.get(url, {"channel": "online"}, HTTP_HX_REQUEST="true").content.decode()
    assert online.count('class="txn-row"') == 15 and "ATM" not in online.split("<tbody>")[1]

    # Dates: yesterday's rows only; a reversed range is an error naming the field.
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert client.get(url, {"date_from": "2001-01-01", "date_to": "2001-01-02"}).content.decode().count('class="txn-row"') == 0
    page = client.get(url, {"date_from": yesterday, "date_to": "2001-01-01"}).content.decode()
    assert "<html" in page and "To: The end date is before the start date." in page

    detail = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert detail.count('class="txn-row"') == 20  # the first page is on the 360 page itself


# --- documents ------------------------------------------------------------------------------------------------------------------


def test_document_view_is_audited_and_another_customers_document_is_404(org, media):
    customer = make_customer("C-DOC", org.a_sh, org.manager)
    other = make_customer("C-DOC2", org.a_sh, org.manager)
    document = add_document(customer, content=b"\x89PNG one")
    foreign = add_document(other, content=b"\x89PNG two")
    client = client_for(org.manager)
    url = reverse("customers:document", args=[customer.number, document.pk])

    for expected in (1, 2):
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"\x89PNG one"
        assert (
            AuditLog.objects.filter(
                action=AuditLog.Action.VIEW_PII, object_type="customers.customerdocument", object_id=str(document.pk)
            ).count()
            == expected
        )
    response = client.get(url, {"download": "1"})
    assert response["Content-Disposition"].startswith("attachment")
    # Another customer's document id under this customer's number: 404, and nothing audited.
    assert client.get(reverse("customers:document", args=[customer.number, foreign.pk])).status_code == 404
    assert not AuditLog.objects.filter(
        object_type="customers.customerdocument", object_id=str(foreign.pk), action=AuditLog.Action.VIEW_PII
    ).exists()
    # Linked from the documents section (deferred: the 360 page loads it from customers:section).
    assert f'href="{url}"' in client.get(reverse("customers:section", args=[customer.number, "documents"])).content.decode()


# --- query budget ---------------------------------------------------------------------------------------------------------------


def fill_customer(customer, org, holdings, transactions):
    products = [
        make_product(org.bank_a, "DD-CNY"),
        make_product(org.bank_a, "DD-USD", currency="USD"),
        make_product(org.bank_a, "LN-CNY", "liability", "loan"),
        make_product(org.bank_a, "FEE", "fee", "insurance"),
    ]
    created = [
        add_holding(customer, f"{customer.number}-{i}", products[i % len(products)], f"{1000 + i}.00") for i in range(holdings)
    ]
    per_holding, extra = divmod(transactions, holdings)
    for index, holding in enumerate(created):
        add_transactions(holding, per_holding + (1 if index < extra else 0), ["atm", "online", "pos"][index % 3])
    today = timezone.localdate()
    HoldingBalance.objects.bulk_create(
        [
            HoldingBalance(
                bank_id=customer.bank_id,
                customer_id=customer.pk,
                holding=holding,
                business_date=today - datetime.timedelta(days=day),
                balance=holding.balance,
                balance_base=holding.balance,
            )
            for holding in created
            for day in range(0, 360, 30)
        ]
    )
    for i in range(holdings // 2):
        ServiceContact.objects.create(
            bank_id=customer.bank_id, customer=customer, staff=org.manager, channel="phone", subject=f"call {i}"
        )
        ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="email", value=f"x{i}@example.com")


def detail_queries(client, customer):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("customers:detail", args=[customer.number]))
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("user_attr", ["manager", "supervisor"])
def test_detail_page_query_count_is_fixed_and_within_budget(fx, org, django_assert_max_num_queries, user_attr):
    user = getattr(org, user_attr)
    household = Household.objects.create(bank=org.bank_a, name="family")
    small = make_customer("C-SMALL", org.a_sh, org.manager, household=household)
    big = make_customer("C-BIG", org.a_sh, org.manager, household=household)
    fill_customer(small, org, holdings=2, transactions=5)
    fill_customer(big, org, holdings=20, transactions=200)
    for i in range(6):
        relative = make_customer(f"C-REL-{i}", org.a_sh, org.manager if i % 2 else org.manager_bj)
        Relationship.objects.create(bank_id=org.bank_a.pk, from_customer=big, to_customer=relative, kind="sibling")
    client = client_for(user)
    client.get(reverse("customers:detail", args=[small.number]))  # warm the per-process caches (content types)

    with django_assert_max_num_queries(25 + second_factor_queries(user)):
        client.get(reverse("customers:detail", args=[big.number]))
    assert detail_queries(client, small) == detail_queries(client, big)
    page = client.get(reverse("customers:detail", args=[big.number])).content.decode()
    assert page.count('class="txn-row"') == 20
    # The assets chart is deferred: the page carries its placeholder, the section its chart.
    chart_url = reverse("customers:section", args=[big.number, "assets_chart"])
    assert chart_url in page and 'id="assets-chart"' not in page
    assert 'id="assets-chart"' in client.get(chart_url).content.decode()


# --- personal data shown by the services, audited there ------------------------------------------------------------------


def test_the_reveal_service_audits_whoever_calls_it(org):
    """The page, the API or anything else that reveals clear numbers goes through
    services.reveal_pii, and the audit entry is written there."""
    customer = make_customer("C-REVEAL-SVC", org.a_sh, org.manager)
    document = IdentityDocument(bank_id=customer.bank_id, customer=customer, doc_type="resident_id", issuing_country="CN")
    document.set_number(RESIDENT_ID)
    document.save()
    phone = ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=MOBILE)
    revealed = services_360.reveal_pii(customer, org.manager)
    assert revealed.documents == [(document, RESIDENT_ID)] and revealed.contacts == [phone]
    entry = AuditLog.objects.get(action=AuditLog.Action.VIEW_PII, object_id=str(customer.pk))
    assert entry.actor == org.manager and entry.detail == {
        "event": "pii_revealed",
        "identity_documents": [document.pk],
        "contact_points": [phone.pk],
        "addresses": [],
        "holdings": [],
        "birth_date": False,
    }
    # Without the unmask permission nothing is revealed, and nothing is written.
    with pytest.raises(PermissionDenied):
        services_360.reveal_pii(customer, org.teller)
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII, object_id=str(customer.pk)).count() == 1


def test_the_document_service_audits_each_view_and_hides_what_is_not_the_users(org, media):
    customer = make_customer("C-DOC-SVC", org.a_sh, org.manager)
    document = add_document(customer, content=b"\x89PNG svc")
    opened, handle = services_360.open_document(customer, document.pk, org.manager)
    with handle:
        assert opened == document and handle.read() == b"\x89PNG svc"
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII, object_id=str(document.pk), actor=org.manager).count() == 1
    with pytest.raises(NotVisible):
        services_360.open_document(customer, document.pk, org.manager_bj)
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII, object_id=str(document.pk)).count() == 1


def test_more_reveals_in_a_day_than_the_bank_allows_alert_the_auditors_once(org):
    """Issue 11 #6: seeing one customer's numbers is audited and rate-watched; past the bank's
    customers.pii_reveals_alert_per_day the bank's auditors get one notification a day."""
    parameters.set_value("customers.pii_reveals_alert_per_day", 2, bank=org.bank_a)
    customers = [make_customer(f"C-RW{i}", org.a_sh, org.manager) for i in range(4)]
    alerts = Notification.objects.filter(dedupe_key__startswith=f"pii-reveals:{org.manager.pk}:")
    for customer in customers[:2]:
        services_360.reveal_pii(customer, org.manager)
    assert not alerts.exists()
    services_360.reveal_pii(customers[2], org.manager)  # the third: over the limit
    recipients = set(alerts.values_list("recipient", flat=True))  # who may read the audit log
    assert org.auditor.pk in recipients and org.manager.pk not in recipients
    alert = alerts.get(recipient=org.auditor)
    assert org.manager.username in alert.title and "3" in alert.title and "action=view_pii" in alert.link
    services_360.reveal_pii(customers[3], org.manager)
    assert alerts.count() == len(recipients)  # once a day per person, however many more
    assert AuditLog.objects.filter(actor=org.manager, detail__event="pii_reveals_alert").count() == 2
    assert services_360.reveals_today(org.manager, org.bank_a.pk) == 4
    # Another bank's auditors hear nothing of it.
    assert not Notification.objects.filter(recipient__bank_id=org.bank_b.pk, dedupe_key__startswith="pii-reveals:").exists()
