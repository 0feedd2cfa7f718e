"""A person changes their own phone, e-mail, language and time zone (audited)."""

import pytz
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sysadmin.personal import events

FIELDS = ("phone", "email", "language", "time_zone")


def change_details(staff, *, phone, email, language, time_zone):
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language.")})
    if time_zone and time_zone not in pytz.all_timezones_set:
        raise ValidationError({"time_zone": _("Choose a time zone.")})
    before = {name: getattr(staff, name) for name in FIELDS}
    after = {"phone": phone, "email": email, "language": language, "time_zone": time_zone}
    if before == after:
        return staff
    with transaction.atomic():
        for name, value in after.items():
            setattr(staff, name, value)
        staff.save(update_fields=list(FIELDS))
        events.details_changed(staff, before, after)
    return staff
