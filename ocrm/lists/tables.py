"""Base table for every list page: Bootstrap look, responsive, export-aware, and the one place
where a page's size and number from the address are brought into range (a crafted
?per_page=-1 or ?page=10**30 is a normal page, never a server error)."""

import django_tables2 as tables
from django.core.paginator import Paginator

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


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-striped table-hover align-middle"}
        template_name = "django_tables2/bootstrap5-responsive.html"
        per_page = 25

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        # django_tables2's RequestConfig passes on whatever number the address held; a page past
        # the last is then shown as the last one (RequestConfig catches EmptyPage).
        per_page = page_size(per_page, self._meta.per_page)
        return super().paginate(paginator_class, per_page, page_number(page), *args, **kwargs)
