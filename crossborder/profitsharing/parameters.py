"""The parameters profit sharing reads (declared from CrossborderConfig.ready())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "profitsharing.run_local_hour": (
        "int",
        "2",
        _("Profit sharing: local hour (head office) after which the month that ended is computed."),
    ),
}

PARAMETERS["profitsharing.feed_local_hour"] = (
    "int",
    "1",
    _("Profit sharing: local hour (head office) after which the day's revenue feed files are loaded."),
)

PARAMETERS["profitsharing.feed_upload_sync_bytes"] = (
    "int",
    "262144",
    _(
        "Profit sharing: a revenue feed file uploaded on its page up to this size (bytes) is loaded at once; "
        "a larger one by a worker."
    ),
)
