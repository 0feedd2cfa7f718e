"""The password-expiry notices job: tells staff whose password expires soon, once per business date."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ocrm import links, parameters, tenants
from ocrm.batch.jobs import audit_once, chunk_pause, chunk_size
from ocrm.batch.per_bank import LOCAL_TODAY, PerBankJob, run_per_bank
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify
from sysadmin.org.models import Staff

PASSWORD_EXPIRY_NOTICES = "password_expiry_notices"


def send_password_expiry_notices(business_date=None, bank_id=None, *, run=None):
    """Notify active staff whose password expires within password.expiry_notice_days of
    the business date (default: each bank's local today; both parameters per bank): one
    notification per staff member per business date, so a rerun for the same date sends
    nothing new. With bank_id=None every bank in its own sub-run."""
    return run_per_bank(NOTICES, business_date, bank_id, run=run)


def expiry_notice_candidates(scope):
    """Staff of the scope's bank (None: staff without a bank) whose password expires on a day
    from the business date to notice_days later (days of the bank's head office; UTC without
    a bank). One indexed range query."""
    bank_id = scope.bank_id
    expiry_days = parameters.get("password.expiry_days", bank_id)
    notice_days = parameters.get("password.expiry_notice_days", bank_id)
    if expiry_days <= 0 or notice_days < 0:  # passwords never expire there
        return Staff.objects.none(), expiry_days
    first_day = scope.day_start()
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


def _notice_scope(run, scope):
    count_name = f"notified{scope.count_suffix}"
    candidates, expiry_days = expiry_notice_candidates(scope)
    if scope.own_run:
        run.set_total(candidates.count())
    run.add(**{count_name: 0})
    dedupe_key = f"password-expiry:{scope.business_date.isoformat()}"
    link = links.url("password_change")
    size = chunk_size()

    def body(staff):
        expires = staff.password_changed_at + datetime.timedelta(days=expiry_days)
        local = timezone.localtime(expires, timezone=tenants.zone_named(staff.effective_timezone))
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
                chunk,
                _("Your password expires soon"),
                body,
                link=link,
                level=Notification.Level.WARNING,
                dedupe_key=dedupe_key,
                event="password_expiry",
            )
            run.add(**{count_name: sent})
            if scope.own_run:
                run.advance(len(chunk))
        last_pk = chunk[-1].pk
        if len(chunk) < size:
            break
        chunk_pause()
    audit_once(run, scope.bank_id, {"notified": run.run.counts.get(count_name, 0), "expiry_days": expiry_days})


NOTICES = PerBankJob(PASSWORD_EXPIRY_NOTICES, _notice_scope, LOCAL_TODAY, without_bank=True)
