"""Bad list parameters are a 400 or ignored, never a 500 (issue 11, finding 10).

The list pages are found in the urlconf, not named by hand: every GET route of the site
(the permission sweep's walk, tests/test_permission_sweep.py, with its objects filled into
the URL parameters) whose page renders a table, a filter form or a paginator is a list
page. Each is asked, as a superuser and as a customer manager, for every parameter it
reads: page, per_page and sort of its table, and every field of its filter form (range
filters by the names their widgets read), each with negative, zero, beyond-bigint, non-
numeric, NUL-byte and very long values, and sort with unknown columns."""

import pytest
from django.db import transaction
from django.test import override_settings
from django_filters import FilterSet
from django_tables2 import Table

from tests.factories import build_org
from tests.support.shared_data import shared_rows
from tests.test_permission_sweep import all_routes, build_sweep_data, logged_in_clients, variants_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]

BAD_VALUES = ("-1", "0", str(10**30), "-" + str(10**30), "abc", "\x00", "a\x00b", "x" * 5000, "1e400", "%")
BAD_SORTS = ("nonexistent", "-nonexistent", "--name", "pk__class", "\x00", "x" * 5000, "-")
USERS = ("superuser", "a.customer_manager")


@pytest.fixture(scope="module")
def lists(django_db_setup, django_db_blocker, tmp_path_factory):
    """The sweep's data (both banks, one object of every model) and the list pages found."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media"))), shared_rows(django_db_blocker):
        data = build_sweep_data(build_org())
        data.clients = logged_in_clients({who: data.users[who] for who in USERS})
        data.pages = discover_list_pages(data)
        yield data


@pytest.fixture(autouse=True)
def _clear_cache():
    """The clients' sessions live in Redis for the whole module (shared_rows clears it)."""
    yield


def parameter_names(context):
    """The GET parameters a list page reads: its table's page/per_page/sort, its filter's fields."""
    names = set()
    for value in context.flatten().values() if hasattr(context, "flatten") else []:
        if isinstance(value, Table):
            names |= {value.prefixed_page_field, value.prefixed_per_page_field, value.prefixed_order_by_field}
            names |= {"page", "per_page", "sort"}
        elif isinstance(value, FilterSet):
            for name, field in value.form.fields.items():
                suffixes = getattr(field.widget, "suffixes", None)
                names |= {f"{name}_{suffix}" if suffix else name for suffix in suffixes} if suffixes else {name}
        elif hasattr(value, "paginator") and hasattr(value, "number"):
            names.add("page")
    return names


def discover_list_pages(data):
    """[(route key, url, {parameters})] of every site route that renders a list, as the superuser."""
    pages = []
    client = data.clients["superuser"]
    for route in all_routes():
        if route.is_admin:
            continue
        for variant in variants_for(route, data)[:1]:
            response = client.get(variant.url)
            if response.status_code != 200 or response.context is None:
                continue
            names = set()
            for context in response.context if isinstance(response.context, list) else [response.context]:
                names |= parameter_names(context)
            if names:
                pages.append((route.key, variant.url, names))
    return pages


def test_the_list_pages_are_found_in_the_urlconf(lists):
    found = {key for key, _url, _names in lists.pages}
    # A few of each app, and their filter fields: the walk is not empty nor blind to filters.
    assert {
        "customers:list",
        "customers:feed_list",
        "customers:batch_list",
        "sysadmin:branch_list",
        "sysadmin:staff_list",
        "sysadmin:audit_list",
        "jobs:list",
    } <= found, found
    assert len(found) >= 13
    names = dict((key, names) for key, _url, names in lists.pages)
    assert {"page", "per_page", "sort"} <= names["customers:list"] and len(names["customers:list"]) > 3


def get(client, url, params):
    """(status, what went wrong): an exception the view let escape counts as a 500; each request
    runs in a savepoint so that one view's database error cannot poison the next request."""
    try:
        with transaction.atomic():
            response = client.get(url, params)
    except Exception as exc:  # reported as the server error it would be
        return 500, f"{type(exc).__name__}: {exc}"[:200]
    return response.status_code, ""


def fuzz(client, url, names):
    """[(parameter, value, status, what)] of every request answered with a server error."""
    failures = []
    for name in sorted(names):
        for value in BAD_SORTS if name == "sort" else BAD_VALUES:
            status, what = get(client, url, {name: value})
            if status >= 500:
                failures.append((name, value[:20], status, what))
    # All at once, as a crafted link would send them.
    status, what = get(client, url, {name: "\x00" for name in names})
    if status >= 500:
        failures.append(("all", "\\x00", status, what))
    # The same through the list's export (filtered and sorted as the page is).
    status, what = get(client, url, {"export": "xlsx", "sort": "-nonexistent", **{name: "\x00" for name in names}})
    if status >= 500:
        failures.append(("export", "\\x00", status, what))
    return failures


# The walk is a few minutes of requests: cut into tests (a user and every SHARDS-th page each) that
# the test processes share out, so it does not hold one process to the end of the run.
SHARDS = 3


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("who", USERS)
def test_no_list_page_answers_a_bad_parameter_with_a_server_error(lists, who, shard):
    client, failures = lists.clients[who], []
    pages = lists.pages[shard::SHARDS]
    assert pages
    for key, url, names in pages:
        failures += [f"{key} as {who}: {failure}" for failure in fuzz(client, url, names)]
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:100])


def test_bad_page_numbers_fall_back_and_bad_sizes_are_clamped(lists):
    """Ignored means the list still shows: a page beyond the last is the last, a size out of
    range is the nearest allowed, an unknown sort column is no sort."""
    client = lists.clients["superuser"]
    for params in ({"page": str(10**30)}, {"page": "-1"}, {"per_page": "-1"}, {"per_page": str(10**30)}, {"sort": "nope"}):
        response = client.get("/sysadmin/staff/", params)
        assert response.status_code == 200, params
        table = response.context["table"]
        assert 1 <= table.paginator.per_page <= 200
        assert table.page.number in (1, table.paginator.num_pages)
