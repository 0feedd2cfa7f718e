"""The password-expiry notices job: tells staff whose password expires soon, once per business date."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ocrm import parameters
from ocrm.batch.jobs import (
    _audit_once,
    _check_business_date,
    _each_bank,
    _run_or,
    _utc_midnight,
    chunk_pause,
    chunk_size,
    parse_business_date,
)
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify

PASSWORD_EXPIRY_NOTICES = "password_expiry_notices"


def send_password_expiry_notices(business_date, bank_id=None, *, run=None):
    """Notify active staff whose password expires within password.expiry_notice_days of
    the business date (both parameters per bank): one notification per staff member per
    business date, so a rerun for the same date sends nothing new."""
    business_date = parse_business_date(business_date)
    _check_business_date(business_date)
    with _run_or(run, PASSWORD_EXPIRY_NOTICES, bank_id, business_date) as run:
        if run.already_done:
            return run.summary()
        if bank_id is None:
            _each_bank(
                run,
                PASSWORD_EXPIRY_NOTICES,
                business_date,
                lambda handle, bank, suffix, track: _notice_scope(handle, business_date, bank, suffix, track),
            )
        else:
            _notice_scope(run, business_date, bank_id, "", True)
    return run.summary()


def expiry_notice_candidates(business_date, bank_id):
    """Staff of the bank (None: staff without a bank) whose password expires on a day from
    the business date to notice_days later (UTC days). One indexed range query."""
    from sysadmin.org.models import Staff

    expiry_days = parameters.get("password.expiry_days", bank_id)
    notice_days = parameters.get("password.expiry_notice_days", bank_id)
    if expiry_days <= 0 or notice_days < 0:  # passwords never expire there
        return Staff.objects.none(), expiry_days
    first_day = _utc_midnight(business_date)
    # Expires at changed_at + expiry_days; that moment must fall in [first_day, first_day + notice_days + 1).
    changed_from = first_day - datetime.timedelta(days=expiry_days)
    changed_before = changed_from + datetime.timedelta(days=notice_days + 1)
    qs = Staff.objects.filter(
        is_active=True,
        password_changed_at__gte=changed_from,
        password_changed_at__lt=changed_before,
    ).exclude(status=Staff.Status.LEFT)
    qs = qs.filter(bank_id=bank_id) if bank_id is not None else qs.filter(bank__isnull=True)
    return qs, expiry_days


def _notice_scope(run, business_date, bank_id, suffix, track_progress):
    count_name = f"notified{suffix}"
    candidates, expiry_days = expiry_notice_candidates(business_date, bank_id)
    if track_progress:
        run.set_total(candidates.count())
    run.add(**{count_name: 0})
    dedupe_key = f"password-expiry:{business_date.isoformat()}"
    link = reverse("password_change")
    size = chunk_size()

    def body(staff):
        expires = staff.password_changed_at + datetime.timedelta(days=expiry_days)
        local = timezone.localtime(expires, timezone=_zone(staff.effective_timezone))
        return _(
            "Your password expires on %(date)s. Change it before then; afterwards you must change it at your next log-in."
        ) % {"date": date_format(local.date(), "DATE_FORMAT")}

    last_pk = 0
    while True:
        chunk = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .select_related("branch")
            .only("id", "bank_id", "language", "time_zone", "password_changed_at", "branch__timezone")[:size]
        )
        if not chunk:
            break
        with transaction.atomic():
            sent = notify(
                chunk, _("Your password expires soon"), body, link=link, level=Notification.Level.WARNING, dedupe_key=dedupe_key
            )
            run.add(**{count_name: sent})
            if track_progress:
                run.advance(len(chunk))
        last_pk = chunk[-1].pk
        if len(chunk) < size:
            break
        chunk_pause()
    _audit_once(run, bank_id, {"notified": run.run.counts.get(count_name, 0), "expiry_days": expiry_days})


def _zone(name):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC
