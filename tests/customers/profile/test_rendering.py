"""Parts of the 360 page written in Python for speed (issue 19) write what the templates wrote."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.template import engines
from django.utils import timezone, translation

from customers.master.filtersets import PlainDateInput, PlainNumberInput, PlainSelect, PlainTextInput
from customers.master.models import Holding, Transaction
from customers.profile import sections
from customers.profile.forms import TransactionFilterForm
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db

# The rows as customers/transactions.html wrote them before they were written in Python.
TEMPLATE_ROWS = """{% load pii_tags %}{% for txn in transactions %}<tr class="txn-row">
    <td>{{ txn.occurred_at|date:"Y-m-d H:i" }}</td><td class="font-monospace">{{ txn.holding.account_number|masked:"account" }}</td>
    <td>{{ txn.get_channel_display }}</td><td>{{ txn.type_label }}</td>
    <td class="text-end {% if txn.direction == 'D' %}text-danger{% else %}text-success{% endif %}">{% if txn.direction == 'D' %}−{% else %}+{% endif %}{{ txn.amount|floatformat:"2g" }} {{ txn.currency }}</td>
    <td>{{ txn.description }}</td></tr>
  {% endfor %}"""  # noqa: E501


def tags_only(html):
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("value", [None, datetime.date(2026, 3, 5), "2026-13-40", '"><script>', 12.5, ""])
@pytest.mark.parametrize(
    ("ours", "djangos"),
    [(PlainDateInput, forms.DateInput), (PlainTextInput, forms.TextInput), (PlainNumberInput, forms.NumberInput)],
)
def test_the_plain_inputs_write_what_django_writes(ours, djangos, value):
    attrs = {"type": "date", "class": "form-control form-control-sm"} if djangos is forms.DateInput else {"placeholder": "x"}
    extra = {"id": "id_field", "required": True, "disabled": False, "autocomplete": "off"}
    assert ours(attrs=attrs).render("field", value, extra) == djangos(attrs=attrs).render("field", value, extra)


def test_the_channel_select_writes_what_django_writes():
    choices = [("", "All channels"), *Transaction.Channel.choices]
    for value in ("", "atm", "nonsense"):
        django_html = forms.Select(attrs={"class": "form-select"}, choices=choices).render("channel", value, {"id": "id_channel"})
        ours = PlainSelect(attrs={"class": "form-select"}, choices=choices).render("channel", value, {"id": "id_channel"})
        assert tags_only(ours) == tags_only(django_html)
    assert 'value="atm" selected' in TransactionFilterForm({"channel": "atm"})["channel"].as_widget()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_transaction_rows_are_what_the_template_wrote(org, language):
    customer = make_customer("T-ROWS", org.a_sh, org.manager)
    holding = Holding.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        product=make_product(customer.bank),
        account_number="6222020000001111",
        currency="CNY",
        balance=Decimal("10"),
    )
    start = timezone.now() - datetime.timedelta(days=1)
    Transaction.objects.bulk_create(
        [
            Transaction(
                bank_id=customer.bank_id,
                customer_id=customer.pk,
                holding=holding,
                occurred_at=start - datetime.timedelta(hours=7 * i),
                amount=Decimal("1234567.5") + i,
                currency="CNY",
                direction="DC"[i % 2],
                channel=["atm", "online", "pos"][i % 3],
                txn_type=["withdrawal", "unknown-type", ""][i % 3],
                description=["<b>x</b>", "", "工资"][i % 3],
            )
            for i in range(6)
        ]
    )
    with translation.override(language), timezone.override("Asia/Shanghai"):
        page = sections.transactions_page(customer)
        # The reference: the template over the model instances, read as the section once read them.
        instances = Transaction.objects.filter(customer_id=customer.pk).select_related("holding").order_by("-occurred_at", "-id")
        expected = engines["django"].from_string(TEMPLATE_ROWS).render({"transactions": list(instances)})
        assert str(page["transaction_rows"]) == expected
    assert "6222020000001111" not in expected and "&lt;b&gt;" in expected and expected.count('class="txn-row"') == 6
