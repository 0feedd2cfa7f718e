"""The customer list table. The page and its XLSX export (CustomerExportTable) show identity
and phone numbers masked; the export shows them in clear only when it is an approved export
in clear (ocrm.lists.background.request_clear_export), and its audit entry says so.

field_label / display_value show a customer change (a ChangeRequest's JSON values) as a
person reads it: the edit page, the approvals inbox and its detail page use them."""

from html import escape as esc
from itertools import batched
from typing import NamedTuple
from urllib.parse import quote

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.models import F, Prefetch, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.master import services
from customers.master.models import (
    ContactPoint,
    CorporateProfile,
    Customer,
    CustomerTag,
    IdentityDocument,
    RetailProfile,
    Tag,
)
from ocrm import pii
from ocrm.lists.exports import read_ahead
from ocrm.lists.tables import BaseTable
from ocrm.scoping import AnyOf

PHONE_KINDS = (ContactPoint.Kind.MOBILE, ContactPoint.Kind.PHONE)

EMPTY_VALUES = (None, "")  # django-tables2's Column.empty_values: such a cell exports as None

URL_SAFE = "!$&'()*+,;=/~:@"  # what reverse() leaves unquoted in a path (RFC 3986 sub-delimiters and /~:@)


# The customer fields a row of the list (page or export) shows; the rest of the wide customer row
# (its search keys among them) is not read.
ROW_FIELDS = (
    "number",
    "name_local",
    "name_latin",
    "kind",
    "lifecycle_stage",
    "tier",
    "star_rating",
    "aum",
    "branch__code",
    "primary_manager__username",
)


def list_prefetches(columns=None):
    """Everything the table's `columns` (default: all) show beyond the customer row, in a
    fixed number of queries: one per shown column that needs one. Each lands in a list
    (to_attr): prefetching into `tags.all()` builds a queryset per customer, a sixth of a
    large export's time."""
    prefetches = {
        "tags": Prefetch("tags", to_attr="tag_list"),
        "phone": Prefetch(
            "contact_points",
            to_attr="phone_points",
            queryset=ContactPoint.objects.filter(kind__in=PHONE_KINDS)
            .only("id", "customer_id", "kind", "value", "is_primary")
            .order_by("-is_primary", "id"),
        ),
        "identity": Prefetch(
            "identity_documents",
            to_attr="id_documents",
            queryset=IdentityDocument.objects.only(
                "id", "customer_id", "doc_type", "number_masked", "number_encrypted", "is_primary"
            ).order_by("-is_primary", "id"),
        ),
    }
    return tuple(prefetch for name, prefetch in prefetches.items() if columns is None or name in columns)


def _stars(stars):
    return f'<span title="{stars}">{"★" * stars if stars else "0"}</span>'


def _tags(customer):
    tags = customer_tags(customer)
    if not tags:
        return "—"
    return "".join(f'<span class="badge text-bg-{esc(t.colour)}">{esc(t.name)}</span> ' for t in tags)


# The page's cells after the check box and the number (CustomerTable.row_html), in column order:
# (column, the cell's HTML of (table, customer, per-page parts)): text escaped with html.escape,
# as django.utils.html.escape does (format_html per cell cost ~20 calls more each).
ROW_CELLS = (
    ("name_local", lambda table, c, parts: f"<td>{esc(c.name_local or '—')}</td>"),
    ("name_latin", lambda table, c, parts: f"<td>{esc(c.name_latin or '—')}</td>"),
    ("kind", lambda table, c, parts: f"<td>{esc(parts['kind'].get(c.kind, c.kind))}</td>"),
    ("branch", lambda table, c, parts: f"<td>{esc(c.branch.code)}</td>"),
    (
        "manager",
        lambda table, c, parts: f"<td>{esc((c.primary_manager.username if c.primary_manager_id else '') or '—')}</td>",
    ),
    (
        "lifecycle_stage",
        lambda table, c, parts: f"<td>{esc(parts['lifecycle_stage'].get(c.lifecycle_stage, c.lifecycle_stage) or '—')}</td>",
    ),
    ("tier", lambda table, c, parts: f"<td>{esc(parts['tier'].get(c.tier, c.tier) or '—')}</td>"),
    ("star_rating", lambda table, c, parts: f'<td class="text-end">{_stars(c.star_rating)}</td>'),
    ("aum", lambda table, c, parts: f'<td class="text-end">{esc(table.render_aum(c.aum))}</td>'),
    ("identity", lambda table, c, parts: f"<td>{esc(table.render_identity(c))}</td>"),
    ("phone", lambda table, c, parts: f"<td>{esc(table.render_phone(c))}</td>"),
    ("tags", lambda table, c, parts: f"<td>{_tags(c)}</td>"),
)


def _labels(field):
    """A choice field's labels in the active language: {value: label}."""
    return {key: str(label) for key, label in Customer._meta.get_field(field).flatchoices}


def customer_tags(customer):
    """The customer's tags: prefetched by list_prefetches, else read."""
    tags = getattr(customer, "tag_list", None)
    return tags if tags is not None else list(customer.tags.all())


def primary_phones(customer_ids):
    """{customer_id: (kind, value)} of each customer's primary phone (the primary first, then the
    oldest), in one plain query: the page's phone column and each chunk of the export."""
    if not customer_ids:
        return {}
    with connections[router.db_for_read(ContactPoint)].cursor() as cursor:
        cursor.execute(
            f"""SELECT DISTINCT ON (customer_id) customer_id, kind, value
                FROM {ContactPoint._meta.db_table} WHERE customer_id = ANY(%s) AND kind = ANY(%s)
                ORDER BY customer_id, is_primary DESC, id""",
            [list(customer_ids), list(PHONE_KINDS)],
        )
        return {customer_id: (kind, value) for customer_id, kind, value in cursor.fetchall()}


def read_phones(customers):
    """Each customer's primary phone as `phone_points` (as list_prefetches leaves it): the page's 25
    rows through Django's prefetch machinery cost about 2 ms a page."""
    phones = primary_phones([customer.pk for customer in customers])
    for customer in customers:
        point = phones.get(customer.pk)
        customer.phone_points = [PagePhone(point[1], pii.mask_contact(*point))] if point else []


class PagePhone(NamedTuple):
    """A phone as the page shows it: what the table reads of a ContactPoint (value, masked_value)."""

    value: str
    masked_value: str


def primary_phone(customer):
    points = getattr(customer, "phone_points", None)
    return points[0] if points else None


def primary_identity(customer):
    documents = getattr(customer, "id_documents", None)
    return documents[0] if documents else None


class CustomerTable(BaseTable):
    """The page renders its rows with customers/customer_table.html, one hand-written row
    (django-tables2's per-cell rendering of 25 rows x 14 columns took 22 ms of Python, the
    template 6 ms); the columns, their headers, sort orders and export values stay defined here."""

    accepts_request = True  # ocrm.lists.exports passes the request: the table decides on masking
    unmask_permitted = False  # only the export table may show clear values, and only when approved

    selection = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {"form": "bulk-form", "class": "form-check-input", "aria-label": _("select")},
            "th__input": {
                "form": "bulk-form",
                "class": "form-check-input",
                "id": "select-all",
                "aria-label": _("select all on this page"),
            },
        },
    )
    number = tables.Column(verbose_name=_("customer number"), linkify=lambda record: record.get_absolute_url())
    # The key breaks ties between namesakes: without it their order, and so the pages, could change.
    name_local = tables.Column(verbose_name=_("name"), order_by=("name_local", "pk"))
    name_latin = tables.Column(verbose_name=_("name (Latin script)"), order_by=("name_latin", "pk"))
    kind = tables.Column(verbose_name=_("kind"))
    branch = tables.Column(verbose_name=_("owning branch"), accessor="branch__code", order_by=("branch__code",))
    manager = tables.Column(
        verbose_name=_("primary manager"), accessor="primary_manager__username", order_by=("primary_manager__username",)
    )
    lifecycle_stage = tables.Column(verbose_name=_("lifecycle stage"))
    tier = tables.Column(verbose_name=_("tier"))
    star_rating = tables.Column(verbose_name=_("stars"), attrs={"td": {"class": "text-end"}})
    aum = tables.Column(verbose_name=_("AUM (base currency)"), attrs={"td": {"class": "text-end"}}, order_by=("aum", "number"))
    identity = tables.Column(verbose_name=_("ID number"), empty_values=(), orderable=False)
    phone = tables.Column(verbose_name=_("primary phone"), empty_values=(), orderable=False)
    tags = tables.Column(verbose_name=_("tags"), empty_values=(), orderable=False)

    class Meta(BaseTable.Meta):
        model = Customer
        fields = ()
        order_by_field = "sort"

    # Always on the page; the rest is the user's choice (views_list), these by default.
    FIXED_COLUMNS = ("selection", "number")
    DEFAULT_COLUMNS = ("name_local", "name_latin", "branch", "manager", "tier", "aum", "phone")

    def __init__(self, *args, request=None, name_search=False, **kwargs):
        self.name_search = name_search
        super().__init__(*args, **kwargs)
        user = getattr(request, "user", None)
        # An approved export in clear, and its owner still holds the permission (ocrm.lists.background).
        approved = getattr(request, "clear_pii_export", None)
        self.unmask = bool(self.unmask_permitted and approved is not None and user is not None and user.pk == approved.owner_id)
        # What the row template shows: every column named, so that no lookup in it fails (a failed
        # template lookup costs a dir() of the object, 25 rows x each hidden column).
        shown = {column.name for column in self.columns}
        self.show = {name: name in shown for name in self.base_columns}

    @classmethod
    def optional_columns(cls):
        return [(name, column.verbose_name) for name, column in cls.base_columns.items() if name not in cls.FIXED_COLUMNS]

    def before_render(self, request):
        # The page's rows, written here (customers/customer_table.html shows them as they are):
        # the row template's lookups and filters cost about 1 ms a row. The amount as the export
        # and the 360 page write it (1,234.56 in any language).
        records = [row.record for row in self.paginated_rows]
        if self.show["phone"]:
            read_phones([c for c in records if not hasattr(c, "phone_points")])
        self.rows_html = mark_safe("".join(self.row_html(c) for c in records))  # noqa: S308

    def row_html(self, c):
        """One row of the page, cells in the table's column order, the chosen columns only."""
        show = self.show
        if not hasattr(self, "_row_parts"):
            # Per page, not per row: the detail page's address (reverse() once), the choices' labels.
            self._row_parts = {
                "url": esc(reverse("customers:detail", args=["0"]).removesuffix("0/")),
                "select": esc(gettext("select")),
                "transfer": format_html(
                    ' <span class="badge text-bg-warning pending-transfer" title="{}">{}</span>',
                    gettext("A branch transfer waits for approval"),
                    gettext("Transfer in progress"),
                ),
                "claim": format_html(
                    ' <span class="badge text-bg-info pending-claim" title="{}">{}</span>',
                    gettext("A claim waits for approval"),
                    gettext("Claim pending"),
                ),
                **{name: _labels(name) for name in ("kind", "lifecycle_stage", "tier")},
            }
        parts = self._row_parts
        number = esc(c.number)
        cells = [
            f'<td><input type="checkbox" name="selection" value="{c.pk}" data-number="{number}" form="bulk-form" '
            f'class="form-check-input" aria-label="{parts["select"]}"></td>',
            f'<td><a href="{parts["url"]}{esc(quote(c.number, safe=URL_SAFE))}/">{number}</a>'
            f"{parts['transfer'] if getattr(c, 'pending_transfer', False) else ''}"
            f"{parts['claim'] if getattr(c, 'pending_claim', False) else ''}</td>",
        ]
        cells.extend(cell(self, c, parts) for name, cell in ROW_CELLS if show[name])
        return "<tr>" + "".join(cells) + "</tr>\n"  # every value escaped above

    def order_name_local(self, queryset, is_descending):
        return self.order_by_name(queryset, "name_local", is_descending)

    def order_name_latin(self, queryset, is_descending):
        return self.order_by_name(queryset, "name_latin", is_descending)

    def order_by_name(self, queryset, field, is_descending):
        """Sorted by a name expression that the (bank, name) indexes (migration 0008) cannot
        serve when a name search is on: its matches cluster in one stretch of the alphabet, which
        the planner does not know, and walking the index to them could read most of the bank
        (2.6 s for "wang" at 1M customers). Without a search, the index walk is what makes the
        sort fast."""
        if not self.name_search:
            return queryset, False
        key = Concat(F(field), Value(""))
        return queryset.order_by(*((key.desc(), "-pk") if is_descending else (key.asc(), "pk"))), True

    def render_aum(self, value):
        return f"{value:,.2f}"

    def value_aum(self, value):
        return value

    def render_identity(self, record):
        document = primary_identity(record)
        return document.number_masked if document else "—"

    def value_identity(self, record):
        document = primary_identity(record)
        if document is None:
            return ""
        return (document.clear_number() or "") if self.unmask else document.number_masked

    def render_phone(self, record):
        point = primary_phone(record)
        return point.masked_value if point else "—"

    def value_phone(self, record):
        point = primary_phone(record)
        if point is None:
            return ""
        return point.value if self.unmask else point.masked_value

    def render_tags(self, record):
        tags = customer_tags(record)
        if not tags:
            return "—"
        return format_html_join(" ", '<span class="badge text-bg-{}">{}</span>', ((t.colour, t.name) for t in tags))

    def value_tags(self, record):
        return ", ".join(t.name for t in customer_tags(record))

    def render_star_rating(self, value):
        return format_html('<span title="{}">{}</span>', value, "★" * value or "0")

    def value_star_rating(self, value):
        return value


class CustomerExportTable(CustomerTable):
    """The export: identity and phone numbers masked, in clear in an approved export in clear."""

    unmask_permitted = True

    # Each exported column: the customer value it starts from (values_list) and whether it is a choice label.
    EXPORT_SOURCES = {
        "number": "number",
        "name_local": "name_local",
        "name_latin": "name_latin",
        "kind": "kind",
        "branch": "branch__code",
        "manager": "primary_manager__username",
        "lifecycle_stage": "lifecycle_stage",
        "tier": "tier",
        "star_rating": "star_rating",
        "aum": "aum",
    }
    EXPORT_CHOICES = ("kind", "lifecycle_stage", "tier")

    @classmethod
    def export_rows(cls, queryset, request=None, exclude=(), chunk_size=2000):
        """The header and the rows of `queryset` exactly as as_values() writes them
        (ocrm.lists.exports.table_rows uses this when a table has it), read as plain values: a
        customer, its branch, manager, phones, documents and tags as model instances cost three
        quarters of a large export's time, the spreadsheet itself the rest. Per chunk of
        customers one query each for phones, identity documents and tags, as the prefetches."""
        table = cls(Customer.objects.none(), request=request)
        columns = [c for c in table.columns.iterall() if not (c.column.exclude_from_export or c.name in exclude)]
        yield [force_str(column.header, strings_only=True) for column in columns]
        names = [column.name for column in columns]
        sources = ["pk", *cls.EXPORT_SOURCES.values()]
        position = {name: index + 1 for index, name in enumerate(cls.EXPORT_SOURCES)}
        labels = {
            name: {make_hashable(key): force_str(label) for key, label in Customer._meta.get_field(name).flatchoices}
            for name in cls.EXPORT_CHOICES
        }
        rows = queryset.prefetch_related(None).values_list(*sources)
        with read_ahead(queryset.db) as submit:
            # A chunk's phones, documents and tags are read while the chunk before it is written.
            pending = None
            for chunk in batched(rows.iterator(chunk_size=chunk_size), chunk_size):
                side = submit(cls._export_side, [row[0] for row in chunk])
                if pending is not None:
                    yield from cls._export_chunk(*pending, names, position, labels, table.unmask)
                pending = (chunk, side)
            if pending is not None:
                yield from cls._export_chunk(*pending, names, position, labels, table.unmask)

    @classmethod
    def _export_side(cls, ids):
        """The phones, identity documents and tags of the customers `ids`: one query each."""
        phones, documents, tags = primary_phones(ids), {}, {}
        for customer_id, masked, encrypted in (
            IdentityDocument.objects.filter(AnyOf(F("customer_id"), ids))
            .order_by("customer_id", "-is_primary", "id")
            .values_list("customer_id", "number_masked", "number_encrypted")
        ):
            documents.setdefault(customer_id, (masked, encrypted))
        tag_order = [f"tag__{field}" if not field.startswith("-") else f"-tag__{field[1:]}" for field in Tag._meta.ordering]
        for customer_id, name in (
            CustomerTag.objects.filter(AnyOf(F("customer_id"), ids))
            .order_by("customer_id", *tag_order)
            .values_list("customer_id", "tag__name")
        ):
            tags.setdefault(customer_id, []).append(name)
        return phones, documents, tags

    @classmethod
    def _export_chunk(cls, chunk, side, names, position, labels, unmask):
        phones, documents, tags = side.result()
        for row in chunk:
            values = []
            for name in names:
                if name == "identity":
                    document = documents.get(row[0])
                    value = "" if document is None else ((pii.decrypt(document[1]) or "") if unmask else document[0])
                elif name == "phone":
                    point = phones.get(row[0])
                    value = "" if point is None else (point[1] if unmask else pii.mask_contact(*point))
                elif name == "tags":
                    value = ", ".join(tags.get(row[0], ()))
                else:
                    value = row[position[name]]
                    if name in labels:
                        value = labels[name].get(make_hashable(value), value)
                    if value in EMPTY_VALUES:
                        value = None
                values.append(force_str(value, strings_only=True))
            yield values


def field_label(name):
    """The readable name of an editable customer field (services.editable_fields)."""
    if name == services.IDENTITY:
        return gettext("identity document")
    for model in (Customer, RetailProfile, CorporateProfile):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def display_value(name, value, branches):
    """A stored JSON value as a person reads it (choices by label, branches by name)."""
    if value is None or value == "":
        return "—"
    if name == "branch":
        return str(branches.get(value, value))
    if name == services.IDENTITY:
        doc_type = IdentityDocument.Type(value["doc_type"]).label if value.get("doc_type") else ""
        parts = [doc_type, value.get("number_masked") or "", value.get("issuing_country") or ""]
        if value.get("expiry_date"):
            parts.append(gettext("valid until %(date)s") % {"date": value["expiry_date"]})
        return " ".join(str(p) for p in parts if p)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    for model in (Customer, RetailProfile, CorporateProfile):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
    return str(value)
