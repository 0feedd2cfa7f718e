"""Date and time inputs show their value in ISO form whatever the language (issue 12, item 4).

A browser's date input accepts only 2026-12-20; the Chinese default format (2026/12/20) left
the share form's expiry empty and its first submit failed. Every form and filter of the
project is walked for date and date-time fields; each must use ocrm.widgets' inputs and
render ISO in Simplified Chinese. Then the share form, in Chinese, in Chromium."""

import datetime
import importlib
import inspect
import pkgutil
import re

import django_filters
import pytest
from django import forms
from django.utils import translation
from playwright.sync_api import expect

from customers.master.forms import CustomerForm
from customers.master.models import Customer
from customers.ownership.sharing.models import CustomerShare
from ocrm import widgets
from tests.conftest import login
from tests.factories import make_customer

PROJECT_PACKAGES = ("ocrm", "sysadmin", "customers", "workbench", "marketing", "crossborder", "reports")
A_DAY = datetime.date(2026, 12, 20)
A_TIME = datetime.datetime(2026, 12, 20, 9, 30)


def project_modules(leaf_names=("forms", "filtersets")):
    """Every module of the project's packages named forms.py or filtersets.py."""
    for package_name in PROJECT_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError:
            continue
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if info.name.rsplit(".", 1)[-1] in leaf_names:
                yield importlib.import_module(info.name)


def declared_date_fields():
    """[(where, form field)] of every date/date-time field declared on a form or filter class."""
    found = []
    for module in project_modules():
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            where = f"{module.__name__}.{name}"
            if issubclass(cls, forms.BaseForm):
                found += [(f"{where}.{field_name}", field) for field_name, field in cls.base_fields.items()]
            elif issubclass(cls, django_filters.FilterSet):
                for filter_name, flt in cls.base_filters.items():
                    if issubclass(flt.field_class, (forms.DateField, forms.DateTimeField)):
                        found.append((f"{where}.{filter_name}", flt.field))
    return [(where, field) for where, field in found if isinstance(field, (forms.DateField, forms.DateTimeField))]


def rendered_value(field):
    value = A_TIME if isinstance(field, forms.DateTimeField) else A_DAY
    html = field.widget.render("x", value)
    return re.search(r'type="([^"]+)"', html)[1], re.search(r'value="([^"]*)"', html)[1]


def test_every_date_input_of_every_form_and_filter_is_iso_in_chinese():
    fields = declared_date_fields()
    # The walk sees the forms: the share form, the feed upload, the jobs page, the 360 filters...
    wheres = {where for where, _field in fields}
    assert "customers.ownership.sharing.forms.ShareForm.expires_on" in wheres
    assert "customers.ecif.feeds.forms.FeedUploadForm.business_date" in wheres
    assert "workbench.inbox.filtersets.InboxFilterSet.requested_from" in wheres or len(wheres) >= 8, wheres
    wrong = []
    with translation.override("zh-hans"):
        for where, field in fields:
            input_type, value = rendered_value(field)
            is_datetime = isinstance(field, forms.DateTimeField)
            expected = ("datetime-local", "2026-12-20T09:30") if is_datetime else ("date", "2026-12-20")
            if (input_type, value) != expected:
                wrong.append(f"{where}: type={input_type} value={value}")
    assert not wrong, "date inputs not in ISO form in Chinese (use ocrm.widgets):\n" + "\n".join(wrong)


def test_the_widgets_read_back_what_they_wrote():
    """What the inputs send (ISO) is what the fields accept, in either language."""
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert forms.DateField(widget=widgets.DateInput()).clean("2026-12-20") == A_DAY
            parsed = forms.DateTimeField(widget=widgets.DateTimeInput()).clean("2026-12-20T09:30")
            assert parsed.replace(tzinfo=None) == A_TIME


@pytest.mark.django_db
def test_the_customer_form_built_from_the_model_shows_iso_dates(org):
    """The customer form's fields come from the models (birth date, document expiry)."""
    customer = make_customer("C7001", org.a_sh, org.manager)
    customer.retail_profile.birth_date = datetime.date(1977, 3, 17)
    customer.retail_profile.save()
    with translation.override("zh-hans"):
        form = CustomerForm(kind=Customer.Kind.RETAIL, actor=org.manager, customer=customer)
        html = str(form["birth_date"])
        assert 'type="date"' in html and 'value="1977-03-17"' in html
        new = CustomerForm(kind=Customer.Kind.RETAIL, actor=org.manager)
        assert 'type="date"' in str(new["expiry_date"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_share_form_in_chinese_has_its_expiry_filled_and_submits(page, live_server, org):
    make_customer("C7002", org.a_sh, org.manager, name_local="周星", name_latin="Zhou Xing")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    login(page, org.manager.username)
    page.goto("/customers/C7002/")
    page.click("#share-customer")
    expiry = page.locator("#id_expires_on")
    value = expiry.input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value  # the browser kept the default
    assert datetime.date.fromisoformat(value) > datetime.date.today()
    page.fill("#id_shared_with", org.manager_bj.username)
    page.click("#share-submit")
    expect(page.locator(".alert[role=alert]").first).to_be_visible()
    share = CustomerShare.objects.get()
    assert share.shared_with == org.manager_bj
    assert share.expires_at.date() >= datetime.date.fromisoformat(value) - datetime.timedelta(days=1)
