"""The 360° page is assembled from sections. Later apps (marketing, workbench,
crossborder) add theirs with register() in their AppConfig.ready(), without editing
the page:

    sections.register("opportunities", _("Opportunities"), "marketing/360_opportunities.html",
                      context=lambda customer, user: {...}, order=60, perm="marketing.view_opportunity")

`context(customer, user)` must issue a fixed number of queries (the page has a query
budget, asserted in tests) and only read rows visible to `user`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str
    context: object  # callable(customer, user) -> dict
    order: int = 100
    perm: str | None = None
    kinds: tuple = ("retail", "corporate")


_sections = {}


def register(key, title, template, context, order=100, perm=None, kinds=("retail", "corporate")):
    _sections[key] = Section(key, title, template, context, order, perm, tuple(kinds))


def sections_for(customer, user):
    """[(section, context)] in order, for the sections this user may see on this customer."""
    result = []
    for section in sorted(_sections.values(), key=lambda s: s.order):
        if customer.kind not in section.kinds or (section.perm and not user.has_perm(section.perm)):
            continue
        result.append((section, section.context(customer, user)))
    return result
