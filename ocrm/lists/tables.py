"""Base table for every list page: Bootstrap look, responsive, export-aware, and the one place
where a page's size and number from the address are brought into range (a crafted
?per_page=-1 or ?page=10**30 is a normal page, never a server error)."""

import copy
from collections import OrderedDict

import django_tables2 as tables
from django.core.paginator import Paginator
from django.utils.html import conditional_escape, escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django_tables2.templatetags.django_tables2 import table_page_range

MAX_PER_PAGE = 200
# Far beyond any real list, yet an OFFSET of MAX_PAGE pages stays well inside PostgreSQL's bigint.
MAX_PAGE = 1_000_000


def as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def page_size(value, default):
    """Rows per page: `default` unless `value` is a positive number; at most MAX_PER_PAGE."""
    number = as_int(value)
    return default if number is None or number < 1 else min(number, MAX_PER_PAGE)


def page_number(value):
    """The page asked for, within [1, MAX_PAGE]; 1 when it is not a number."""
    number = as_int(value)
    return 1 if number is None else max(1, min(number, MAX_PAGE))


class ColumnsOfOneTable(OrderedDict):
    """A table class's columns, copied for each table made of it: each column by itself (django-tables2
    sets attributes on its copy: visible, accessor), not deep-copied with its attributes, labels and
    links, which no table changes. The deep copy was about 4,000 Python calls per table of the
    customer list, which makes one per page and one more to sort by the address's column."""

    def __deepcopy__(self, memo):
        return OrderedDict((name, copy.copy(column)) for name, column in self.items())


class BaseTable(tables.Table):
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.base_columns = ColumnsOfOneTable(cls.base_columns)

    class Meta:
        attrs = {"class": "table table-sm table-striped table-hover align-middle"}
        template_name = "django_tables2/bootstrap5-responsive.html"
        per_page = 25

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        # django_tables2's RequestConfig passes on whatever number the address held; a page past
        # the last is then shown as the last one (RequestConfig catches EmptyPage).
        per_page = page_size(per_page, self._meta.per_page)
        return super().paginate(paginator_class, per_page, page_number(page), *args, **kwargs)

    # The header and the page links, written here (templates/django_tables2/bootstrap5-responsive.html
    # shows them as they are): the library's template writes each link with {% querystring_replace %},
    # about 5,000 Python calls of a customer list page. The same markup.

    def query_with(self, **changes):
        """The address's query string with `changes` applied, escaped, as querystring_replace writes it
        (a table paginated without RequestConfig has no request: its links carry `changes` alone)."""
        request = getattr(self, "request", None)
        params = dict(request.GET) if request is not None else {}
        params.update(changes)
        return escape("?" + urlencode(params, doseq=True))

    def head_html(self):
        if not self.show_header:
            return ""
        cells = []
        for column in self.columns:
            header = conditional_escape(column.header)
            if column.orderable:
                link = self.query_with(**{self.prefixed_order_by_field: column.order_by_alias.next})
                header = f'<a href="{link}">{header}</a>'
            cells.append(f'<th {column.attrs["th"].as_html()} scope="col">{header}</th>')
        return mark_safe(f"<thead {self.attrs['thead'].as_html()}><tr>{''.join(cells)}</tr></thead>")  # noqa: S308

    def pagination_html(self):
        page = getattr(self, "page", None)
        if not page or self.paginator.num_pages <= 1:
            return ""
        field, items = self.prefixed_page_field, []
        if page.has_previous():
            items.append(
                f'<li class="previous page-item"><a href="{self.query_with(**{field: page.previous_page_number()})}" '
                f'class="page-link"><span aria-hidden="true">&laquo;</span> {escape(gettext("previous"))}</a></li>'
            )
        if page.has_previous() or page.has_next():
            for number in table_page_range(page, self.paginator):
                active = " active" if page.number == number else ""
                link = f' href="{self.query_with(**{field: number})}"' if number != "..." else ""
                items.append(f'<li class="page-item{active}"><a class="page-link"{link}>{number}</a></li>')
        if page.has_next():
            items.append(
                f'<li class="next page-item"><a href="{self.query_with(**{field: page.next_page_number()})}" '
                f'class="page-link">{escape(gettext("next"))} <span aria-hidden="true">&raquo;</span></a></li>'
            )
        label = escape(gettext("Table pages"))
        return mark_safe(  # noqa: S308 - every value above is escaped
            f'<nav aria-label="{label}"><ul class="pagination justify-content-center">{"".join(items)}</ul></nav>'
        )
