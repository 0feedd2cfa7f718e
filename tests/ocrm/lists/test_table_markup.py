"""BaseTable's header and page links, written in Python (head_html, pagination_html) where the
library's template wrote them with {% querystring_replace %}; and {% table_in_page %}, which renders a
table in its page's context instead of a new one (every context processor ran twice per list page)."""

import django_tables2 as tables
import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from ocrm.lists.tables import BaseTable


class Fruit(BaseTable):
    name = tables.Column(verbose_name="name & kind")
    weight = tables.Column(attrs={"th": {"class": "text-end"}})
    note = tables.Column(orderable=False)

    class Meta(BaseTable.Meta):
        per_page = 2


ROWS = [{"name": f"fruit {n}", "weight": n, "note": "<b>"} for n in range(30)]


def table_for(query):
    request = RequestFactory().get("/fruit/", query)
    table = Fruit(ROWS, request=request)
    tables.RequestConfig(request, paginate={"per_page": 2}).configure(table)
    return table


def test_the_header_links_each_sortable_column_to_its_next_order_keeping_the_other_parameters():
    head = table_for({"sort": "-name", "page": "3", "q": "a&b<"}).head_html()
    # The column sorted descending says so and links to the ascending order; the rest of the query stays, escaped.
    assert (
        '<th class="desc orderable" scope="col"><a href="?sort=name&amp;page=3&amp;q=a%26b%3C">name &amp; kind</a></th>' in head
    )
    assert '<th class="orderable text-end" scope="col"><a href="?sort=weight&amp;page=3&amp;q=a%26b%3C">Weight</a></th>' in head
    assert '<th  scope="col">Note</th>' in head  # not sortable: no link


def test_the_page_links_show_the_current_page_its_neighbours_and_the_ends():
    with translation.override("en"):
        links = table_for({"page": "8", "q": "x"}).pagination_html()
    assert links.startswith('<nav aria-label="Table pages"><ul class="pagination justify-content-center">')
    assert '<li class="previous page-item"><a href="?page=7&amp;q=x" class="page-link">' in links
    assert '<li class="page-item active"><a class="page-link" href="?page=8&amp;q=x">8</a></li>' in links
    assert '<li class="page-item"><a class="page-link" href="?page=15&amp;q=x">15</a></li>' in links  # the last
    assert '<li class="page-item"><a class="page-link">...</a></li>' in links  # a gap has no link
    assert '<li class="next page-item"><a href="?page=9&amp;q=x" class="page-link">next' in links


def test_one_page_has_no_page_links_and_the_label_is_translated():
    request = RequestFactory().get("/fruit/")
    single = Fruit(ROWS[:2], request=request)
    tables.RequestConfig(request, paginate={"per_page": 2}).configure(single)
    assert single.pagination_html() == ""
    with translation.override("zh-hans"):
        assert 'aria-label="表格分页"' in table_for({"page": "2"}).pagination_html()


@pytest.mark.django_db
def test_a_table_renders_in_the_context_of_its_page():
    """Not in a new RequestContext: a variable of the page is seen by the table's template, and the
    page's context processors are not run again (a second RequestContext would have rebuilt them)."""
    table = table_for({"page": "2"})
    template = engines["django"].from_string("{% load ocrm_tags %}{% table_in_page table %}")
    html = template.render({"table": table}, request=table.request)
    assert html.count("<table") == 1 and html.count("<thead") == 1
    assert "fruit 2" in html and "fruit 3" in html and "fruit 4" not in html
    assert "&lt;b&gt;" in html  # cells escaped as the library escapes them


def test_a_table_paginated_without_a_request_still_writes_its_links():
    table = Fruit(ROWS)
    table.paginate(per_page=2, page=2)
    assert '<a class="page-link" href="?page=3">3</a>' in table.pagination_html()
    assert '<a href="?sort=name">' in table.head_html()
