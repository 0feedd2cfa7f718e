"""The parameters webhook delivery reads (declared from WorkbenchConfig.ready(); values per bank)."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "channelapi.webhook_pause_after_failures": (
        "int",
        "5",
        _("Channel API: consecutive failed webhook deliveries after which a client's webhooks are paused."),
    ),
    "channelapi.webhook_max_attempts": (
        "int",
        "8",
        _("Channel API: attempts at one webhook delivery before it becomes a dead letter."),
    ),
    "channelapi.webhook_backoff_seconds": (
        "int",
        "30",
        _("Channel API: wait before the first webhook retry; each further retry waits twice as long."),
    ),
}
