"""The parameters the customers areas read (declared from CustomersConfig.ready();
values per bank in System parameters)."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "customers.checker_fields": (
        "json",
        '["name_local", "name_latin", "birth_date", "branch", "identity"]',
        _('Customer fields whose changes wait for a checker\'s approval (JSON list; "identity" = identity document).'),
    ),
    "customers.number_prefix": (
        "string",
        "C",
        _("Customer numbers given on the pages start with this text (the bank's scheme, with customers.number_digits)."),
    ),
    "customers.number_digits": (
        "int",
        "10",
        _("Customer numbers given on the pages have this many digits after customers.number_prefix."),
    ),
    "customers.document_max_bytes": (
        "int",
        "10485760",
        _("Largest customer document (PDF, JPEG or PNG) one upload may hold, in bytes."),
    ),
    "lifecycle.dormant_after_days": (
        "int",
        "365",
        _("Nightly lifecycle: a customer without activity for this many days becomes dormant."),
    ),
    "lifecycle.declining_aum_drop_percent": (
        "decimal",
        "30",
        _("Nightly lifecycle: an AUM fall of at least this percentage over the trend months is declining."),
    ),
    "lifecycle.trend_months": ("int", "6", _("Nightly lifecycle: months over which the AUM trend is measured.")),
    "lifecycle.financial_only": (
        "bool",
        "true",
        _("Nightly lifecycle: only financial customer-initiated transactions count as activity."),
    ),
    "lifecycle.run_local_hour": (
        "int",
        "2",
        _("Nightly lifecycle: local hour of the bank's head office after which yesterday's run starts."),
    ),
    "rating.tier_thresholds": (
        "json",
        '[{"tier": "private", "aum": 6000000, "contribution": 100000}, '
        '{"tier": "wealth", "aum": 500000, "contribution": 10000}, '
        '{"tier": "affluent", "aum": 50000, "contribution": 1000}]',
        _("Tiers, highest first: the first whose aum or contribution floor a customer reaches (else mass)."),
    ),
    "rating.star_thresholds": (
        "json",
        '[{"stars": 7, "aum": 6000000, "contribution": 100000}, {"stars": 6, "aum": 1000000, "contribution": 30000}, '
        '{"stars": 5, "aum": 500000, "contribution": 10000}, {"stars": 4, "aum": 200000, "contribution": 4000}, '
        '{"stars": 3, "aum": 50000, "contribution": 1000}, {"stars": 2, "aum": 10000, "contribution": 200}, '
        '{"stars": 1, "aum": 0.01, "contribution": 0.01}]',
        _("Star ratings, highest first: the first whose aum or contribution floor a customer reaches (else 0 stars)."),
    ),
    "customers.batch_sync_apply_max_rows": (
        "int",
        "500",
        _("Batch maintenance files with more rows than this are applied by a background worker."),
    ),
    "customers.list_exact_count_max": (
        "int",
        "2000",
        _("Customer list: above this many matches (estimated) the page shows an estimate, not an exact count."),
    ),
    # Personal data (docs/pii.md).
    "customers.search_token_minutes": (
        "int",
        "30",
        _("Customer search: minutes a posted search stays usable (its token in the list's address) after its last use."),
    ),
    "customers.pii_reveals_alert_per_day": (
        "int",
        "30",
        _("Reveals of clear identity and phone numbers one person may make in a day before the auditors are alerted."),
    ),
    "sharing.requires_approval": (
        "bool",
        "false",
        _("A customer share takes effect only after a supervisor approves it."),
    ),
    "sharing.max_days": ("int", "90", _("Longest time, in days, one customer share may last.")),
    # The rate board (customers.fx, docs/fx.md).
    "fx.stale_after_hours": (
        "int",
        "24",
        _("Rate board: the board warns that its rates are stale when the newest is older than this many hours."),
    ),
    "fx.board_refresh_seconds": ("int", "60", _("Rate board: the open board refreshes itself every this many seconds.")),
}
