"""customers' entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

CUSTOMERS = _("Customers")


def register_nav():
    navigation.register(CUSTOMERS, _("Customer search"), "customers:list", ["customers.view_customer"], icon="search", order=1)
    navigation.register(CUSTOMERS, _("New customer"), "customers:create", ["customers.add_customer"], icon="person-plus", order=2)
    navigation.register(
        CUSTOMERS,
        _("Batch maintenance"),
        "customers:batch_list",
        ["customers.maintain_batch"],
        icon="file-earmark-arrow-up",
        order=4,
    )
    navigation.register(
        CUSTOMERS, _("Source-system feeds"), "customers:feed_list", ["customers.load_feeds"], icon="database-down", order=40
    )
    navigation.register(CUSTOMERS, _("My exports"), "export_list", ["customers.export_customers"], icon="download", order=5)
    navigation.register(
        CUSTOMERS, _("Shared with me"), "customers:shared_with_me", ["customers.view_customershare"], icon="people", order=6
    )
    navigation.register(
        CUSTOMERS, _("Shared by me"), "customers:shared_by_me", ["customers.view_customershare"], icon="share", order=7
    )
    navigation.register(
        CUSTOMERS,
        _("Lifecycle changes"),
        "customers:lifecycle_changes",
        ["customers.view_lifecyclechange"],
        icon="arrow-left-right",
        order=8,
    )
    # The assignment area (customers.ownership.assignment.views).
    navigation.register(
        CUSTOMERS, _("Branch pool"), "customers:pool", ["customers.view_assignmentchange"], icon="inbox", order=20
    )
    navigation.register(
        CUSTOMERS,
        _("My assignment requests"),
        "customers:my_assignment_requests",
        ["customers.view_assignmentchange"],
        icon="hourglass-split",
        order=21,
    )
    navigation.register(
        CUSTOMERS,
        _("Assignment requests"),
        "customers:assignment_requests",
        ["customers.approve_assignment"],
        icon="person-check",
        order=22,
    )
    navigation.register(
        CUSTOMERS,
        _("Reassign customers"),
        "customers:reassign",
        ["customers.reassign_customer"],
        icon="arrow-left-right",
        order=23,
    )
    navigation.register(
        CUSTOMERS, _("Hand over a book"), "customers:handover", ["customers.reassign_customer"], icon="box-arrow-right", order=24
    )
    navigation.register(
        CUSTOMERS,
        _("Attribution rules"),
        "customers:attribution_rule",
        ["customers.change_attributionrule"],
        icon="diagram-3",
        order=25,
    )
    navigation.register(
        CUSTOMERS, _("Merge reviews"), "customers:match_review_list", ["customers.review_match"], icon="union", order=30
    )
    navigation.register(
        CUSTOMERS, _("Merge history"), "customers:merge_history", ["customers.view_mergerecord"], icon="clock-history", order=31
    )
    # The rate board (customers.fx.views): every staff member of the bank reads it.
    navigation.register(
        CUSTOMERS, _("Exchange rate board"), "customers:fx_board", ["customers.view_fxrate"], icon="currency-exchange", order=50
    )
