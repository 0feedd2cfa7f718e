"""The customer pages in Chinese show no English (issue 12, "done when"): a walk through the
customer core on the demo bank as a manager, a supervisor and an administrator, in Simplified
Chinese, that fails on

* a message the page asked gettext for and got back untranslated (every msgid the page uses
  has a translation: a spy on Django's gettext functions records them while the page renders);
* an internal identifier in the visible text (`name_local`, `bill_payment`: a regex for
  lower-case words joined by underscores);
* an English word of the interface in the visible text: a word of any msgid of the catalogue,
  or a known code a person must never read (transaction types, stages, tiers ...).

Visible text is what a person reads: the text between tags, and the placeholder, title,
aria-label and value of buttons, without <script>, <style> and the values people typed (input
values, textarea contents). Data a bank keeps in Latin script (names, e-mail addresses, street
names in London) is not a label; the words of such data are taken out by the ALLOWED list."""

import datetime
import html
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import pytz
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation
from django_countries import countries
from pypinyin import lazy_pinyin

from customers.master.models import Customer, RetailProfile
from customers.ownership.sharing import services as sharing
from sysadmin.org.models import Staff

pytestmark = pytest.mark.django_db

CATALOGUE = "locale/zh_Hans/LC_MESSAGES/django.po"
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
# Codes and English words that reached Chinese pages before (issue 12.6, 12.10).
KNOWN_CODES = {
    "transfer",
    "purchase",
    "interest",
    "deposit",
    "salary",
    "withdrawal",
    "repayment",
    "prospect",
    "dormant",
    "declining",
    "exited",
    "affluent",
    "wealth",
    "private",
    "mass",
    "retail",
    "corporate",
    "home",
    "mobile",
    "email",
    "pending",
    "approved",
    "rejected",
    "changed",
    "loaded",
    "matched",
}
# Words that are data or proper names, not the interface's labels: the product and system
# names, currency and country codes, units, and the Latin-script data of the demo bank.
ALLOWED = {
    "OCRM",
    "AUM",
    "KYC",
    "ECIF",
    "CBS",
    "CSV",
    "XLSX",
    "Excel",
    "PDF",
    "JPEG",
    "PNG",
    "UTC",
    "ID",
    "IBAN",
    "BIC",
    "SWIFT",
    "WeChat",
    "WhatsApp",
    "Django",
    "ATM",
    "POS",
    "LINE",
}
# The user's time zone in the navigation bar is its IANA name (Asia/Shanghai): a standard name,
# like a currency code. E-mail addresses and web addresses are data.
TIME_ZONE_WORDS = {part for name in pytz.all_timezones for part in re.split(r"[/_-]", name)}
DATA = re.compile(r"[\w.+-]+@[\w.-]+|https?://\S+")
# An upload page's file-format reference (ocrm/imports/_columns.html) lists the literal header
# names and codes a file holds, in <code>: what a file must contain, not labels. Those tables
# are left out here; the batch-maintenance page's allowed values are checked on their own below.
FILE_FORMAT_TABLE = re.compile(r"<table\b(?:(?!</table>).)*?<code>.*?</table>", re.S)
ROLES = {"manager": "mgr.sh1", "supervisor": "sup.sh", "admin": "admin"}


class VisibleText(HTMLParser):
    # <code>: literal text a file or a person types (a feed's name, a column's header key).
    SKIP = {"script", "style", "textarea", "noscript", "code"}
    ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping, self.foreign = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        attrs = dict(attrs)
        if not attrs.get("lang", "zh").startswith("zh"):
            # Marked as another language on purpose: the language switch names English in English.
            self.foreign.append(tag)
        for name in self.ATTRIBUTES & attrs.keys():
            self.parts.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if self.foreign and self.foreign[-1] == tag:
            self.foreign.pop()

    def handle_data(self, data):
        if not self.skipping and not self.foreign:
            self.parts.append(data)


def visible_text(content):
    parser = VisibleText()
    parser.feed(content)
    return html.unescape(" ".join(parser.parts))


@pytest.fixture(scope="module")
def interface_words():
    """Lower-case words of four letters or more from the catalogue's msgids, and the known codes."""
    words = set(KNOWN_CODES)
    for msgid in catalogue_msgids():
        for word in WORD.findall(re.sub(r"%\(\w+\)s|\{\{.*?\}\}|\{%.*?%\}|<[^>]+>", " ", msgid)):
            if len(word) >= 4:
                words.add(word.lower())
    return words


def catalogue_msgids():
    """The msgids of the catalogue (continuation lines joined)."""
    msgids, current = [], None
    with open(CATALOGUE, encoding="utf-8") as po:
        for line in po:
            if line.startswith(("msgid ", "msgid_plural ")):
                current = [line.split(" ", 1)[1].strip()[1:-1]]
                msgids.append(current)
            elif line.startswith('"') and current is not None:
                current.append(line.strip()[1:-1])
            else:
                current = None
    return ["".join(parts).replace('\\"', '"') for parts in msgids if any(parts)]


@pytest.fixture
def untranslated(monkeypatch):
    """Every message a page asks gettext for in Chinese and gets back unchanged."""
    seen = set()
    real = {name: getattr(translation._trans, name) for name in ("gettext", "ngettext", "pgettext", "npgettext")}

    def check(message, result):
        if translation.get_language() == "zh-hans" and result == message and WORD.search(message):
            seen.add(message)
        return result

    monkeypatch.setattr(translation._trans, "gettext", lambda m: check(m, real["gettext"](m)))
    monkeypatch.setattr(translation._trans, "pgettext", lambda c, m: check(m, real["pgettext"](c, m)))
    monkeypatch.setattr(translation._trans, "ngettext", lambda s, p, n: check(s if n == 1 else p, real["ngettext"](s, p, n)))
    monkeypatch.setattr(
        translation._trans, "npgettext", lambda c, s, p, n: check(s if n == 1 else p, real["npgettext"](c, s, p, n))
    )
    return seen


@pytest.fixture
def demo():
    call_command("seed_demo", "--customers-count", "300", verbosity=0)
    Staff.objects.filter(username__in=ROLES.values()).update(language="zh-hans")
    manager = Staff.objects.get(username=ROLES["manager"])
    # The manager's customer with the most to show: history, holdings, contacts.
    customer = (
        Customer.objects.filter(primary_manager=manager)
        .exclude(lifecycle_history=None)
        .exclude(holdings=None)
        .order_by("-aum")
        .first()
    )
    colleague = Staff.objects.filter(branch=manager.branch, groups__name="customer_manager").exclude(pk=manager.pk).first()
    # A share, so that the sharing pages and the 360 page's sharing section have a row.
    sharing.share_customer(
        customer,
        manager,
        colleague,
        can_edit=False,
        expires_at=timezone.now() + datetime.timedelta(days=10),
        reason="休假期间代为维护",
    )
    return customer


def pages(customer):
    number = customer.number
    return [
        "/customers/",
        f"/customers/?q={customer.name_local[:2]}",
        "/customers/lookup/",
        f"/customers/{number}/",
        f"/customers/{number}/transactions/",
        f"/customers/{number}/contacts/",
        f"/customers/{number}/edit/",
        f"/customers/{number}/share/",
        f"/customers/{number}/notes/add/",
        f"/customers/{number}/service-contacts/add/",
        f"/customers/{number}/relationships/",
        f"/customers/{number}/tags/",
        "/customers/new/",
        "/customers/change-requests/",
        "/customers/batch/",
        "/customers/batch/upload/",
        "/customers/feeds/",
        "/customers/feeds/upload/",
        "/customers/match-reviews/",
        "/customers/merges/",
        "/customers/lifecycle/changes/",
        "/customers/assignment/pool/",
        "/customers/assignment/my-requests/",
        "/customers/assignment/requests/",
        "/customers/assignment/reassign/",
        "/customers/assignment/handover/",
        "/customers/assignment/rules/",
        "/customers/sharing/with-me/",
        "/customers/sharing/by-me/",
    ]


def findings(content, interface_words):
    text = DATA.sub(" ", visible_text(FILE_FORMAT_TABLE.sub(" ", content)))
    found = {f"identifier {m}" for m in IDENTIFIER.findall(text)}
    for word in WORD.findall(text):
        # All-capital words are codes of data (source systems, currencies, products), not labels.
        if word.isupper() or word in ALLOWED or word in TIME_ZONE_WORDS:
            continue
        if word.lower() in interface_words:
            found.add(f"English word {word!r}")
    return found


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", list(ROLES))
def test_customer_pages_in_chinese_show_no_english(role, demo, untranslated, interface_words):
    client = Client()
    client.force_login(Staff.objects.get(username=ROLES[role]))
    client.cookies["django_language"] = "zh-hans"
    customer = demo
    if role != "manager":
        customer = Customer.objects.filter(branch__code="SH", bank__code="OGB").exclude(holdings=None).order_by("-aum").first()
    problems, seen_pages = {}, 0
    for url in pages(customer):
        untranslated.clear()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
        if response.status_code in (403, 404):
            continue  # not this role's page: the permission sweep covers who sees what
        assert response.status_code == 200, (url, response.status_code)
        seen_pages += 1
        assert 'lang="zh-hans"' in response.content.decode()[:400], url
        found = findings(response.content.decode(), interface_words)
        found |= {f"untranslated {message!r}" for message in untranslated - ALLOWED}
        if found:
            problems[url] = sorted(found)
    assert seen_pages >= 12
    assert not problems, "\n".join(f"{url}: {', '.join(items)}" for url, items in problems.items())


def test_batch_maintenance_shows_allowed_values_as_labels(demo):
    """The allowed values of a choice column are the labels in the page's language (issue 12.10),
    not the stored codes."""
    client = Client()
    client.force_login(Staff.objects.get(username=ROLES["supervisor"]))
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/customers/batch/upload/", follow=True)
    if page.status_code != 200:
        client.force_login(Staff.objects.get(username=ROLES["admin"]))
        page = client.get("/customers/batch/upload/", follow=True)
    assert page.status_code == 200
    text = visible_text(page.content.decode())
    with translation.override("zh-hans"):
        labels = [str(label) for label in RetailProfile.Income.labels + RetailProfile.Marital.labels]
    assert "、".join(labels[:2]) in text
    for code in ("very_high", "married", "divorced", "widowed"):
        assert code not in text


def test_amounts_carry_thousands_separators_in_chinese():
    """Django's zh_Hans format writes 1234567.89 (no separator); Chinese banks print 1,234,567.89
    (issue 12.10). ocrm/formats corrects it for every floatformat "g" and intcomma."""
    template = Template('{% load humanize %}{{ amount|floatformat:"2g" }} {{ count|intcomma }}')
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert template.render(Context({"amount": Decimal("1234567.891"), "count": 98765})) == "1,234,567.89 98,765"


def test_countries_are_sorted_by_pinyin_in_chinese_and_by_name_in_english():
    """Country lists in Chinese were in the order of the English names (issue 12.10)."""
    with translation.override("zh-hans"):
        names = [str(country.name).strip() for country in countries]
    keys = [lazy_pinyin(name) for name in names]
    assert keys == sorted(keys)
    assert names.index("阿富汗") < names.index("德国") < names.index("中国")  # a-fu-han, de-guo, zhong-guo
    with translation.override("en"):
        english = [str(country.name) for country in countries]
    assert english.index("Afghanistan") < english.index("China") < english.index("Germany")
