"""The log-in lock-out: failures are counted per user name *and address*, and per address,
inside a cooling-off window, so

- an attacker who guesses at someone's password pauses log-in for that name from their own
  address only; the real owner logs in from anywhere else;
- an address that tries many names pauses whatever name it tries next;
- every pause ends by itself once the address has not failed for the cooling-off period;
- a burst of failures against one bank's accounts alerts its administrators and auditors.

An administrator's explicit lock (Staff.locked_at, services.lock_staff) is separate and stays
until lifted. The log-in form gives one message for every failure, so none of this tells a
guesser whether a user name exists (docs/authentication.md)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm import links, parameters
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify
from sysadmin.accounts import events
from sysadmin.accounts.models import LoginFailure
from sysadmin.org.models import Staff

# Who hears of a burst: the bank's security staff.
ALERT_ROLES = ("system_admin", "auditor")
# Failures older than this are deleted: a cooling-off period longer than this cannot hold.
KEEP_FAILURES = datetime.timedelta(days=7)


def _window(bank_id):
    minutes = parameters.get("login.cooling_off_minutes", bank_id)
    return min(datetime.timedelta(minutes=max(minutes, 1)), KEEP_FAILURES)


def _bank_id_of(username):
    return Staff.objects.filter(username=username).values_list("bank_id", flat=True).first()


def is_paused(username, ip, now=None):
    """Whether log-in as `username` from `ip` waits: too many recent failures of this name
    from this address, or of any name from this address."""
    now = now or timezone.now()
    ip = ip or ""
    bank_id = _bank_id_of(username)
    pair_limit = parameters.get("login.max_failed_attempts", bank_id)
    if pair_limit > 0:
        recent = LoginFailure.objects.filter(username=username, ip=ip, at__gte=now - _window(bank_id))
        if recent.count() >= pair_limit:
            return True
    ip_limit = parameters.get("login.ip_max_failed_attempts")
    if ip_limit > 0 and ip:
        if LoginFailure.objects.filter(ip=ip, at__gte=now - _window(None)).count() >= ip_limit:
            return True
    return False


def record_failure(username, ip, user, request):
    """Count one failed log-in; audit the pause it starts and alert on a burst."""
    ip = ip or ""
    bank_id = user.bank_id if user is not None else None
    now = timezone.now()
    LoginFailure.objects.create(username=username[:150], ip=ip[:64], bank_id=bank_id, at=now)
    # Rows past every cooling-off period count no more (the audit log keeps the failures).
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()

    # "==" : only the failure that reaches a limit writes the entry, not every one after it.
    pair_limit = parameters.get("login.max_failed_attempts", bank_id)
    if pair_limit > 0:
        pair = LoginFailure.objects.filter(username=username, ip=ip, at__gte=now - _window(bank_id)).count()
        if pair == pair_limit:
            events.login_paused(user, username, request, "user name and address", pair, _minutes(bank_id))
    ip_limit = parameters.get("login.ip_max_failed_attempts")
    if ip_limit > 0 and ip:
        from_ip = LoginFailure.objects.filter(ip=ip, at__gte=now - _window(None))
        if from_ip.count() == ip_limit:
            events.login_paused(None, username, request, "address", ip_limit, _minutes(None))
            for tried_bank in set(from_ip.exclude(bank_id=None).values_list("bank_id", flat=True)):
                _alert(tried_bank, ip, now, reason="address")
    if bank_id is not None:
        alert_at = parameters.get("login.alert_failures", bank_id)
        bank_failures = LoginFailure.objects.filter(bank_id=bank_id, at__gte=now - _window(bank_id)).count()
        if alert_at > 0 and bank_failures >= alert_at:
            _alert(bank_id, ip, now, reason="burst", count=bank_failures)


def _minutes(bank_id):
    return int(_window(bank_id).total_seconds() // 60)


def _alert(bank_id, ip, now, reason, count=None):
    """Notify the bank's system administrators and auditors; once per cooling-off window."""
    minutes = _minutes(bank_id)
    bucket = int(now.timestamp() // (minutes * 60))
    recipients = Staff.objects.filter(
        bank_id=bank_id, is_active=True, status=Staff.Status.ACTIVE, groups__name__in=ALERT_ROLES
    ).distinct()
    if reason == "address":
        title = _("Log-in paused for an address trying many accounts")
        text = _(
            "The address %(ip)s failed to log in to many accounts, some of them this bank's; log-in from it pauses for "
            "%(minutes)d minutes. See the audit log's failed log-ins."
        )
    else:
        title = _("Many failed log-ins")
        text = _(
            "%(count)d failed log-ins to this bank's accounts in the last %(minutes)d minutes, the latest from %(ip)s. "
            "See the audit log's failed log-ins."
        )
    values = {"count": count, "minutes": minutes, "ip": ip or "?"}

    def body(recipient):  # formatted in each recipient's language (notify renders it under it)
        return str(text) % values

    notify(
        recipients,
        title,
        body,
        link=f"{links.url('audit_log')}?action=login_failed",
        level=Notification.Level.WARNING,
        dedupe_key=f"login-alert:{reason}:{bank_id}:{ip if reason == 'address' else ''}:{bucket}",
    )


def clear_failures(username):
    """An administrator's unlock also lifts every pause of the name."""
    LoginFailure.objects.filter(username=username).delete()
