"""ocrm.lists.exports.table_values: the values of a table's rows as django-tables2's as_values
gives them (what every export wrote before), worked out once per column instead of once per cell."""

from decimal import Decimal
from types import SimpleNamespace

import django_tables2 as tables
import pytest
from django.test import RequestFactory
from django.utils import translation

from customers.master.models import ContactPoint, Customer, CustomerTag, IdentityDocument, Tag
from customers.master.tables import CustomerExportTable, list_prefetches
from ocrm.lists.exports import table_rows, table_values
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RESIDENT_ID = "11010519491231002X"


@pytest.fixture
def customers(org):
    first = make_customer("V-1", org.a_sh, org.manager, tier="private", star_rating=3, aum=Decimal("1234567.80"))
    second = make_customer("V-2", org.a_sh_sub, None, name_latin="", kind="corporate", lifecycle_stage="dormant")
    third = make_customer("V-3", org.a_bj, org.manager_bj, name_local="=HYPERLINK(1)")
    document = IdentityDocument(bank_id=first.bank_id, customer=first, doc_type="resident_id", issuing_country="CN")
    document.set_number(RESIDENT_ID)
    document.save()
    ContactPoint.objects.create(bank_id=first.bank_id, customer=first, kind="mobile", value="+8613912345678", is_primary=True)
    ContactPoint.objects.create(bank_id=third.bank_id, customer=third, kind="phone", value="+862161234567")
    for name in ("VIP", "房贷意向"):
        CustomerTag.objects.create(customer=first, tag=Tag.objects.get_or_create(bank=org.bank_a, name=name)[0])
    return [first, second, third]


def request_of(user):
    request = RequestFactory().get("/customers/")
    request.user = user
    return request


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_customer_export_rows_are_what_as_values_gave(org, customers, language):
    queryset = (
        Customer.objects.select_related("branch", "primary_manager").prefetch_related(*list_prefetches()).order_by("number")
    )
    request = request_of(org.admin)
    with translation.override(language):
        expected = list(CustomerExportTable(list(queryset), request=request).as_values(exclude_columns=("selection",)))
        fast = list(table_values(CustomerExportTable(list(queryset), request=request_of(org.admin)), ("selection",)))
        chunked = list(table_rows(CustomerExportTable, queryset, request=request_of(org.admin), exclude=("selection",)))
    assert fast == expected == chunked
    header, first, second, third = fast
    assert "selection" not in header and len(header) == len(first) == 13
    # Not vacuous: choice labels, masked numbers, empty values and tags are all there.
    assert first[3] == ("Retail" if language == "en" else "零售") and first[8] == 3 and first[9] == Decimal("1234567.80")
    assert RESIDENT_ID not in first and first[10].endswith("02X") and "VIP" in first[12]
    assert second[5] is None and second[2] is None  # no manager, an empty Latin name: None as django-tables2 gives
    assert third[1] == "=HYPERLINK(1)"


def test_an_approved_export_in_clear_reads_the_same_clear_values(org, customers):
    """CustomerExportTable.export_rows (plain values) against as_values (model instances), in clear."""
    queryset = (
        Customer.objects.select_related("branch", "primary_manager").prefetch_related(*list_prefetches()).order_by("number")
    )
    request = request_of(org.admin)
    request.clear_pii_export = SimpleNamespace(owner_id=org.admin.pk)
    expected = list(CustomerExportTable(list(queryset), request=request).as_values(exclude_columns=("selection",)))
    assert list(CustomerExportTable.export_rows(queryset, request=request, exclude=("selection",), chunk_size=2)) == expected
    assert RESIDENT_ID in expected[1] and "+8613912345678" in expected[1]


class Sample(tables.Table):
    """Columns of every kind: plain, a choice label through a relation, a render_ method, a
    value_ method, an accessor through a missing row, a callable, a link and a check box."""

    number = tables.Column()
    kind = tables.Column()
    branch_country = tables.Column(accessor="branch__country")
    manager = tables.Column(accessor="primary_manager__username")
    manager_branch = tables.Column(accessor="primary_manager__branch__code")
    aum = tables.Column()
    stars = tables.Column(accessor="star_rating")
    url = tables.Column(accessor="get_absolute_url")
    linked = tables.LinkColumn("customers:detail", args=[tables.A("number")], accessor="name_local")
    selection = tables.CheckBoxColumn(accessor="pk")
    everything = tables.Column(accessor="number", empty_values=())

    def render_aum(self, value):
        return f"{value:,.2f}"

    def value_stars(self, value, record):
        return f"{record.number}:{value}"

    def render_everything(self, value, record, column, bound_column, bound_row, table):
        return f"{value}/{bound_column.name}/{table.__class__.__name__}"


def test_any_table_gets_the_values_as_values_gives(org, customers):
    objects = list(Customer.objects.select_related("branch", "primary_manager__branch").order_by("number"))
    for exclude in ((), ("selection", "url")):
        assert list(table_values(Sample(objects), exclude)) == list(Sample(objects).as_values(exclude_columns=exclude))
    rows = list(table_values(Sample(objects)))
    assert rows[2][3] is None and rows[1][6] == "V-1:3" and rows[1][5] == "1,234,567.80"
