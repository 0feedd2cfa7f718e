"""Reusable tests for a model's pages: declare the pages, get the permission and scope checks.

Every list, detail, edit or delete page of the site must refuse the same things in the same
way (ocrm.pages): an anonymous visitor is sent to log in, a user without the page's
permission gets 403, another bank's object and an object outside the user's data scope are
404, a list shows only rows the user may see, and a page costs a bounded number of queries.
ModelPagesTests runs all of that for one model from a few declarations (the habit of
NetBox's utilities/testing/views.py, written for pytest and for our banks and scopes).

How to use it (tests/<app>/<area>/test_views.py, one class per model):

    from ocrm.scoping import SCOPE_SUBTREE
    from tests.support.views import ModelPagesTests, Page

    class TestBranchPages(ModelPagesTests):
        model = Branch
        permission = "sysadmin.view_branch"      # what the list and detail pages need
        scope = SCOPE_SUBTREE                    # the data scope the test user holds
        pages = {
            "list": Page("sysadmin:branch_list", max_queries=12),
            "detail": Page("sysadmin:branch_detail", max_queries=16),
            "edit": Page("sysadmin:branch_edit", max_queries=18),  # needs sysadmin.change_branch
        }

        def make(self, branch, n):
            # A NEW object that belongs to `branch` (n is unique within the class).
            return make_branch(branch.bank, f"PT-{n}", parent=branch)

        def shown(self, obj):
            # Text the detail and edit pages show for the object.
            return obj.code

The class-scoped fixture `model_pages` below does the building; tests/conftest.py loads this
module as a plugin (pytest_plugins), so a test module only imports ModelPagesTests and Page.

What it builds, once per class (tests.support.shared_data; each test runs in a savepoint):
the organisation of tests.factories.build_org, and three objects from `make`:
* mine: at `user_branch` (bank A's Shanghai branch), inside the test user's scope;
* outside: at `outside_branch` (Beijing, a sibling: same bank, outside a subtree or own
  scope); set `outside_branch = None` when the model's scope is the whole bank;
* other bank: at bank B's Hong Kong branch.
The test user works at `user_branch` and holds `scope` plus every permission the pages need,
given directly (not through a role), so the test says exactly what each page requires.

The checks, one test each (test_page[<page>-<check>]), generated only where they apply:
* anonymous: GET (and POST for edit/delete) is sent to the log-in page;
* no_permission: a user holding everything but this page's own permission gets 403 (POST
  too, and the object is unchanged);
* permitted: the test user gets 200 and sees `mine` (on a list: among the rows);
* other_bank / outside_scope: object pages answer 404 to GET and POST (object unchanged);
* only_visible_rows: a list shows `mine`, neither of the others, and only rows that
  Model.objects.visible_to(user) returns (set `rows_visible_to = False` for a model
  without visible_to, or override `visible_rows`);
* queries: the page's second request issues at most `max_queries` (the first fills
  per-process caches); a list page issues as many with three more rows as with one.

A "delete" page gets the same checks as an edit page (GET and POST refused, the object left in
place) with delete_<model> as its permission; no page of ours deletes yet, so that path waits
for its first user. Override `url_kwargs(obj)` when the URL does not take the object's pk, `list_query` when the
list filters by default (e.g. a business date), `listed(response)` for a list page that is
not a django-tables2 table. A page needing another permission than the class's
`permission` (or change_/delete_<model> for edit/delete pages) names it: Page(..., permission=).
Everything else a page does (its filters, forms, messages) is tested in the area's own test
modules; the permission sweep (tests/test_permission_sweep.py) covers every URL for every role.
"""

import dataclasses
import itertools

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.forms.models import model_to_dict
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ocrm.scoping import SCOPE_SUBTREE
from tests.factories import build_org, make_staff
from tests.support.shared_data import shared_rows

OBJECT_PAGES = ("detail", "edit", "delete")
WRITING_PAGES = ("edit", "delete")


@dataclasses.dataclass(frozen=True)
class Page:
    url_name: str
    max_queries: int
    permission: str | tuple | None = None  # None: the class's permission, or change_/delete_<model>


class ModelPagesTests:
    """Subclass as Test<Model>Pages and declare model, permission, scope, pages, make, shown."""

    pytestmark = [pytest.mark.django_db]
    model = None
    permission = None  # str or tuple: what the list and detail pages need
    scope = SCOPE_SUBTREE
    pages = {}  # {"list"|"detail"|"edit"|"delete": Page}
    user_branch = "a_sh"  # attribute names of build_org()'s branches
    outside_branch = "a_bj"
    other_bank_branch = "b_hk"
    list_query = "?per_page=200"
    rows_visible_to = True

    def make(self, branch, n):
        raise NotImplementedError("make(branch, n): a new object that belongs to branch")

    def shown(self, obj):
        return str(obj)

    def url_kwargs(self, obj):
        return {"pk": obj.pk}

    def listed(self, response):
        """The records a list page shows (django-tables2: the rows of the current page)."""
        table = response.context["table"]
        rows = table.page.object_list if getattr(table, "page", None) is not None else table.rows
        return [row.record for row in rows]

    def visible_rows(self, user):
        return self.model._default_manager.visible_to(user)

    # --- declarations read by the checks -----------------------------------------------

    def page_permissions(self, kind):
        page = self.pages[kind]
        if page.permission is not None:
            declared = page.permission
        elif kind in WRITING_PAGES:
            action = "change" if kind == "edit" else "delete"
            declared = f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"
        else:
            declared = self.permission
        return (declared,) if isinstance(declared, str) else tuple(declared)

    def all_permissions(self):
        return sorted({perm for kind in self.pages for perm in self.page_permissions(kind)})

    def checks(self):
        for kind in self.pages:
            yield kind, "anonymous"
            yield kind, "no_permission"
            yield kind, "permitted"
            if kind in OBJECT_PAGES:
                yield kind, "other_bank"
                if self.outside_branch is not None:
                    yield kind, "outside_scope"
            if kind == "list":
                yield kind, "only_visible_rows"
            yield kind, "queries"

    def pytest_generate_tests(self, metafunc):
        if "page_check" in metafunc.fixturenames:
            checks = list(self.checks())
            metafunc.parametrize("page_check", checks, ids=[f"{kind}-{check}" for kind, check in checks])

    # --- the test ----------------------------------------------------------------------

    def test_page(self, model_pages, page_check):
        kind, check = page_check
        getattr(self, f"check_{check}")(model_pages, kind)

    # --- helpers -----------------------------------------------------------------------

    def url(self, kind, obj=None):
        name = self.pages[kind].url_name
        if kind in OBJECT_PAGES:
            return reverse(name, kwargs=self.url_kwargs(obj))
        return reverse(name) + (self.list_query if kind == "list" else "")

    def client_for(self, user):
        client = Client()
        if user is not None:
            client.force_login(user)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    def row(self, obj):
        """The object's stored values, to prove a refused POST changed nothing."""
        return model_to_dict(self.model._default_manager.get(pk=obj.pk))

    def assert_refused_post(self, client, kind, obj, expect):
        before = self.row(obj)
        response = client.post(self.url(kind, obj), {})
        expect(response)
        assert self.row(obj) == before, f"a refused POST to {kind} changed {obj!r}"

    # --- the checks --------------------------------------------------------------------

    def check_anonymous(self, world, kind):
        client = self.client_for(None)
        login = resolve_url(settings.LOGIN_URL)

        def to_login(response):
            assert response.status_code == 302 and response["Location"].startswith(login), (
                f"{kind}: anonymous got {response.status_code} {response.get('Location', '')}, not the log-in page"
            )

        to_login(client.get(self.url(kind, world.mine)))
        if kind in WRITING_PAGES:
            self.assert_refused_post(client, kind, world.mine, to_login)

    def check_no_permission(self, world, kind):
        own = set(self.page_permissions(kind))
        user = world.user_with([perm for perm in self.all_permissions() if perm not in own])
        client = self.client_for(user)

        def forbidden(response):
            assert response.status_code == 403, f"{kind} without {sorted(own)}: {response.status_code}, not 403"

        forbidden(client.get(self.url(kind, world.mine)))
        if kind in WRITING_PAGES:
            self.assert_refused_post(client, kind, world.mine, forbidden)

    def check_permitted(self, world, kind):
        response = self.client_for(world.user).get(self.url(kind, world.mine))
        assert response.status_code == 200, f"{kind} with {self.all_permissions()}: {response.status_code}"
        if kind == "list":
            assert world.mine in self.listed(response), f"the list does not show {world.mine!r}"
        else:
            assert self.shown(world.mine) in response.content.decode(), f"{kind} does not show {self.shown(world.mine)!r}"

    def check_hidden_object(self, world, kind, obj):
        client = self.client_for(world.user)

        def not_found(response):
            assert response.status_code == 404, f"{kind} of {obj!r}: {response.status_code}, not 404"

        not_found(client.get(self.url(kind, obj)))
        if kind in WRITING_PAGES:
            self.assert_refused_post(client, kind, obj, not_found)

    def check_other_bank(self, world, kind):
        self.check_hidden_object(world, kind, world.other_bank)

    def check_outside_scope(self, world, kind):
        self.check_hidden_object(world, kind, world.outside)

    def check_only_visible_rows(self, world, kind):
        response = self.client_for(world.user).get(self.url(kind))
        assert response.status_code == 200, response.status_code
        records = self.listed(response)
        assert world.mine in records
        assert world.other_bank not in records, "the list shows another bank's row"
        if world.outside is not None:
            assert world.outside not in records, "the list shows a row outside the user's scope"
        if self.rows_visible_to:
            visible = set(self.visible_rows(world.user).values_list("pk", flat=True))
            assert {record.pk for record in records} <= visible, "the list shows rows that visible_to() hides"

    def check_queries(self, world, kind):
        client = self.client_for(world.user)
        url = self.url(kind, world.mine)

        def counted():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, response.status_code
            return len(queries), queries

        client.get(url)  # the first request fills per-process caches (content types, parameters)
        count, queries = counted()
        ceiling = self.pages[kind].max_queries
        listing = "\n".join(f"{n}. {q['sql'][:300]}" for n, q in enumerate(queries.captured_queries, 1))
        assert count <= ceiling, f"{kind} issued {count} queries, more than its ceiling {ceiling}:\n{listing}"
        if kind == "list":
            for _ in range(3):
                self.make(getattr(world.org, self.user_branch), world.next_n())
            assert counted()[0] == count, f"the list's queries grow with its rows ({count} with one row)"


class PagesWorld:
    """The organisation, the test user and the three objects of one ModelPagesTests class."""

    def __init__(self, tests):
        self.tests = tests
        self.numbers = itertools.count(1)
        self.org = build_org()
        branch = getattr(self.org, tests.user_branch)
        self.user = self.user_with(tests.all_permissions())
        self.mine = tests.make(branch, self.next_n())
        self.outside = tests.make(getattr(self.org, tests.outside_branch), self.next_n()) if tests.outside_branch else None
        self.other_bank = tests.make(getattr(self.org, tests.other_bank_branch), self.next_n())

    def next_n(self):
        return next(self.numbers)

    def user_with(self, permissions):
        """A staff member at the user's branch holding the scope and exactly `permissions`."""
        user = make_staff(f"pages.{self.next_n()}", branch=getattr(self.org, self.tests.user_branch))
        user.user_permissions.add(*[permission_named(perm) for perm in (self.tests.scope, *permissions) if perm])
        return user


def permission_named(perm):
    app_label, codename = perm.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture(scope="class")
def model_pages(request, django_db_setup, django_db_blocker):
    """The class's PagesWorld, built once and rolled back after the class's last test."""
    with shared_rows(django_db_blocker):
        yield PagesWorld(request.cls())
