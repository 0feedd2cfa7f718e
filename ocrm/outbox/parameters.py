"""The outbox's per-bank parameters (declared from OcrmConfig.ready())."""

from django.utils.translation import gettext_lazy as _

PARAMETERS = {
    "outbox.quiet_start": ("string", "21:00", _("Outbox: quiet hours begin (HH:MM, the recipient's own time zone).")),
    "outbox.quiet_end": ("string", "08:00", _("Outbox: quiet hours end (HH:MM, the recipient's own time zone).")),
    "outbox.frequency_cap_messages": (
        "int",
        "3",
        _("Outbox: at most this many marketing messages to one recipient within outbox.frequency_cap_days."),
    ),
    "outbox.frequency_cap_days": ("int", "7", _("Outbox: the rolling window of the marketing frequency cap, in days.")),
    "outbox.expire_after_hours": (
        "int",
        "48",
        _("Outbox: a message with no final delivery report this many hours after it was sent becomes expired."),
    ),
    "outbox.languages": (
        "json",
        '["zh-hans", "en"]',
        _("Outbox: the languages every message template must have (JSON list of language codes)."),
    ),
    "outbox.retry_seconds": ("int", "60", _("Outbox: seconds before a message the gateway did not answer is tried again.")),
    "outbox.max_attempts": ("int", "10", _("Outbox: after this many unanswered attempts a message fails.")),
}
