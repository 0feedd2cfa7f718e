"""The customer search: one box that understands what was typed, plus the list filters.

`exact_match_condition` is shared with the teller look-up: a customer number, an identity
number (through its keyed hash: the clear number is never in the database), a phone
number (normalised to E.164 with `phonenumbers`) or an account number. Anything else is a
name fragment, searched through the bigram/prefix keys of customers.master.search.
"""

import copy
import re
from html import escape as esc

import django_filters
import phonenumbers
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.ecif.matching.merge import follow_merges
from customers.master.models import ContactPoint, Customer, CustomerGroup, Holding, IdentityDocument, Tag
from customers.master.search import filter_by_name, filter_by_name_text, text_tests
from ocrm import pii
from sysadmin.org.filtersets import BranchSubtreeFilter, TypedChoiceFilter, visible_branches
from sysadmin.org.models import Staff

# Something typed as a key rather than a name: digits (at least four), maybe a leading +,
# letters (X of a resident ID, a passport's or a customer number's prefix), spaces, dashes.
KEY_LIKE = re.compile(r"^\+?[0-9A-Za-z][0-9A-Za-z\s\-()]*$")


MIN_KEY_DIGITS = 4


# Query-string keys that do not describe the result (saved filters drop them).
NON_FILTER_KEYS = ("page", "per_page", "sort", "export")


LOOKUP_KINDS = (
    ("number", _("Customer number")),
    ("id", _("ID number")),
    ("phone", _("Phone")),
    ("account", _("Account number")),
)


def looks_like_key(text):
    return bool(KEY_LIKE.match(text)) and sum(ch.isdigit() for ch in text) >= MIN_KEY_DIGITS


def normalise_phone(text, region):
    """The E.164 form of a phone number typed in the user's country, or None."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def user_region(user):
    branch = getattr(user, "branch", None)
    return str(branch.country) if branch is not None and branch.country else None


def exact_match_condition(text, *, bank_id, region, kinds=None, doc_type=None):
    """A Q matching customers whose number, identity number, phone or account number is
    exactly `text` (each key through its own index). None when nothing could match."""
    text = (text or "").strip()
    kinds = set(kinds or dict(LOOKUP_KINDS))
    if not text:
        return None
    bank = {"bank_id": bank_id} if bank_id is not None else {}
    # Each key is resolved to customer ids on its own index first: one OR of subqueries
    # made PostgreSQL scan the customer table (230 ms at 1M customers, 1.9 s for the page).
    ids = set()
    if "number" in kinds:
        ids.update(follow_merges(Customer.objects.filter(number=text, **bank).values_list("pk", flat=True)))
    if "id" in kinds and pii.normalise_id_number(text):
        # The lookup index is (bank_id, doc_type, number_hash): name the types so it is used whole.
        types = [doc_type] if doc_type else list(IdentityDocument.Type.values)
        ids.update(
            IdentityDocument.objects.filter(number_hash=pii.keyed_hash(text), doc_type__in=types, **bank).values_list(
                "customer_id", flat=True
            )
        )
    if "phone" in kinds:
        phone = normalise_phone(text, region)
        if phone:
            ids.update(
                ContactPoint.objects.filter(
                    value=phone, kind__in=[ContactPoint.Kind.MOBILE, ContactPoint.Kind.PHONE], **bank
                ).values_list("customer_id", flat=True)
            )
    if "account" in kinds:
        ids.update(Holding.objects.filter(account_number=text, **bank).values_list("customer_id", flat=True))
    return Q(pk__in=sorted(ids)) if ids else None


def visible_staff(request):
    if request is None:
        return Staff.objects.none()
    user = request.user
    return Staff.objects.filter(Q(pk__in=Staff.objects.visible_to(user).values("pk")) | Q(pk=user.pk))


def bank_tags(request):
    if request is None or request.user.bank_id is None:
        return Tag.objects.none()
    return Tag.objects.filter(bank_id=request.user.bank_id).order_by("name")


def own_groups(request):
    if request is None:
        return CustomerGroup.objects.none()
    return CustomerGroup.objects.filter(owner=request.user).order_by("name")


class ManagerField(forms.ModelChoiceField):
    """A manager typed by user name: a bank has thousands of staff, too many for a select."""

    default_error_messages = {"invalid_choice": _("No staff member with this user name is within your scope.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "username")
        kwargs.setdefault("widget", PlainTextInput(attrs={"placeholder": _("user name"), "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return super().to_python((value or "").strip())


class ManagerFilter(TypedChoiceFilter):
    field_class = ManagerField
    choice_model = Staff


class PlainSelect(forms.Select):
    """A <select> written in Python: Django renders each <option> through a template (0.1 ms
    apiece), which made the list's filter form cost 8 ms of a 32 ms page. Values and labels are
    escaped with html.escape, as django.utils.html.escape does (format_html per option cost ~60
    Python calls, most of the form)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{html_text(key)}"{" selected" if str(key) in chosen else ""}>{html_text(label)}</option>'
            for key, label in self.choices
        )
        return mark_safe(f'<select name="{html_text(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>{options}</select>')  # noqa: S308


def html_text(value):
    """conditional_escape at a tenth of its cost: safe HTML as it is, anything else as text, escaped."""
    return value.__html__() if hasattr(value, "__html__") else esc(str(value))


def widget_attrs(attrs):
    """Attributes as django/forms/widgets/attrs.html writes them (in order; True bare, False left out)."""
    return mark_safe(  # noqa: S308 - every part is escaped
        "".join(
            f" {html_text(name)}" if value is True else f' {html_text(name)}="{html_text(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


class PlainInputMixin:
    """An <input> written in Python exactly as Django's input.html writes it: the form renderer's
    templates cost about half a millisecond per field on the list's filter and the 360 page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = format_html(' value="{}"', str(widget["value"])) if widget["value"] is not None else ""
        attributes = widget_attrs(widget["attrs"])
        return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], shown, attributes)


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainNumberInput(PlainInputMixin, forms.NumberInput):
    pass


class PlainDateInput(PlainInputMixin, forms.DateInput):
    pass


class ShortListIterator(django_filters.fields.ModelChoiceIterator):
    """The choices of a short list (a bank's tags, one's groups) read with one plain query:
    ModelChoiceIterator's queryset.iterator() opens a server-side cursor, three round trips."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class ShortModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ShortListIterator


class ShortListFilter(django_filters.ModelChoiceFilter):
    field_class = ShortModelChoiceField


class FiltersOfOneSearch(dict):
    """A filter set's filters, copied for each search: each filter with its own `extra` (which
    django-filters fills with the request's queryset), not deep-copied with its widget, choices and
    labels, which every field it makes copies anyway. The deep copy was about a thousand Python calls
    a list page."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, template in self.items():
            copied = copy.copy(template)
            copied.extra = dict(template.extra)
            copied.__dict__.pop("_field", None)  # each copy makes its own field
            if template.method is not None:
                copied.method = template.method  # bound to the copy (its parent filter set), not the template
            copies[name] = copied
        return copies


class FieldsOfOneForm(dict):
    """The fields of a filter set's form: made for that one form (django-filters builds the form class
    per filter set), so the form's own deep copy of them is not needed."""

    def __deepcopy__(self, memo):
        return dict(self)


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Name (Chinese or Latin), customer number, ID number, phone or account number"),
        widget=PlainTextInput,
    )
    branch = BranchSubtreeFilter(
        label=_("Within branch"),
        field_name="branch__path",
        queryset=visible_branches,
        widget=PlainTextInput(attrs={"placeholder": _("branch code"), "autocomplete": "off"}),
    )
    manager = ManagerFilter(label=_("primary manager"), field_name="primary_manager", queryset=visible_staff)
    kind = django_filters.ChoiceFilter(label=_("kind"), choices=Customer.Kind.choices, widget=PlainSelect)
    lifecycle = django_filters.ChoiceFilter(
        label=_("lifecycle stage"), field_name="lifecycle_stage", choices=Customer.Lifecycle.choices, widget=PlainSelect
    )
    tier = django_filters.ChoiceFilter(label=_("tier"), choices=Customer.Tier.choices, widget=PlainSelect)
    stars = django_filters.ChoiceFilter(
        label=_("stars"), field_name="star_rating", choices=[(n, str(n)) for n in range(8)], widget=PlainSelect
    )
    tag = ShortListFilter(label=_("tag"), field_name="tags", queryset=bank_tags, widget=PlainSelect)
    group = ShortListFilter(label=_("group"), queryset=own_groups, method="filter_group", widget=PlainSelect)
    aum_min = django_filters.NumberFilter(label=_("AUM from"), field_name="aum", lookup_expr="gte", widget=PlainNumberInput)
    aum_max = django_filters.NumberFilter(label=_("AUM to"), field_name="aum", lookup_expr="lte", widget=PlainNumberInput)

    class Meta:
        model = Customer
        fields = ()

    def __init__(self, *args, nested=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.nested = nested

    def get_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields = FieldsOfOneForm(form_class.base_fields)
        return form_class

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        if looks_like_key(value):
            user = self.request.user
            condition = exact_match_condition(
                value, bank_id=None if user.is_superuser else user.bank_id, region=user_region(user)
            )
            return qs.filter(condition) if condition is not None else qs.none()
        if getattr(self, "_name_as_text", False):
            tested = filter_by_name_text(qs, value)
            if tested is not None:
                return tested
        return filter_by_name(qs, value)

    def name_tested_as_text(self):
        """The same customers as self.qs, the name search tested on the names' text rather than their
        grams (search.filter_by_name_text), or None when the search is no name of CJK text alone."""
        value = (self.form.cleaned_data.get("q") or "").strip()
        if not value or looks_like_key(value) or text_tests(value) is None:
            return None
        self._name_as_text = True
        try:
            return self.filter_queryset(self.queryset.all())
        finally:
            self._name_as_text = False

    def filter_group(self, qs, name, group):
        if group is None:
            return qs
        if group.kind == CustomerGroup.Kind.STATIC:
            return qs.filter(groups=group)
        if self.nested:
            # A saved filter naming another dynamic group could loop; saving one is refused
            # (services_groups.save_dynamic_group), so only rows changed since can get here.
            return qs.none()
        # A dynamic group is its saved filter, run again now against today's data.
        inner = type(self)(QueryDict(filter_query_of(group.filter_query)), queryset=qs, request=self.request, nested=True)
        return inner.qs if inner.is_valid() else qs.none()


CustomerFilterSet.base_filters = FiltersOfOneSearch(CustomerFilterSet.base_filters)


def filter_query_of(query):
    """The part of a list query string that describes the result (for saved filters)."""
    data = QueryDict(query or "", mutable=True)
    for key in NON_FILTER_KEYS:
        data.pop(key, None)
    return data.urlencode()
