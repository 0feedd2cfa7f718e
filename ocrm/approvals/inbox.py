"""Sources of the approvals inbox besides ChangeRequests (which it reads through
ocrm.approvals.services.pending_for_checker). An app whose approvals are not ChangeRequests,
e.g. the ECIF merge review queue, registers a source from its AppConfig.ready():

    inbox.register("merge_review", _("Merge reviews"), pending=lambda user: MatchCandidate.objects...,
                   url_name="customers:match_review_list", perm="customers.review_match")

`pending(user)` returns a QuerySet of the items waiting for this user (already scoped);
the inbox shows its count and a link to the source's own page, and the navigation badge
adds the counts up.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode


@dataclass(frozen=True)
class Source:
    key: str
    label: object
    pending: object  # callable(user) -> QuerySet
    url_name: str
    perm: str | None = None


_sources = {}


def register(key, label, pending, url_name, perm=None):
    _sources[key] = Source(key, label, pending, url_name, perm)


def sources_for(user):
    return [s for s in _sources.values() if s.perm is None or user.has_perm(s.perm)]


# The page where approvers decide, and the page where makers follow and withdraw what they
# asked (the workbench registers both); pages of lower apps send people there without naming
# the app that draws them.
_page = {"url_name": None, "own_url_name": None}


def set_page(url_name, own_url_name=None):
    _page["url_name"] = url_name
    _page["own_url_name"] = own_url_name


def _url(url_name, filters):
    url = reverse(url_name or "home")
    return f"{url}?{urlencode(filters)}" if filters else url


def page_url(**filters):
    """The inbox page, filtered (e.g. action="customer.update"); the home page when no app draws one."""
    return _url(_page["url_name"], filters)


def own_page_url(**filters):
    """The maker's "My requests" page, filtered (e.g. status="pending"); the home page when no app draws one."""
    return _url(_page["own_url_name"], filters)
