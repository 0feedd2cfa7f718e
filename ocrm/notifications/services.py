"""In-app notifications: written in each recipient's language, deduplicated by key, unread count cached."""

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject

from ocrm.notifications.models import Notification, NotificationPreference
from ocrm.outbox import services as outbox
from ocrm.outbox.models import Channel

UNREAD_CACHE_SECONDS = 300


def _unread_cache_key(user_id):
    return f"notifications:unread:{user_id}"


def _forget_unread(user_ids):
    keys = [_unread_cache_key(pk) for pk in set(user_ids)]
    if keys:
        cache.delete_many(keys)


def forget_unread_after_commit(user_ids):
    """Clear cached unread counts once the transaction that changed them commits (before
    that, another request could cache the old count again)."""
    user_ids = list(user_ids)
    transaction.on_commit(lambda: _forget_unread(user_ids))


def _render(text, recipient):
    if callable(text):
        text = text(recipient)
    return str(text) if text is not None else ""


def preferences_of(user_ids, event):
    """{user id: NotificationPreference} of those who chose how to hear of `event`."""
    if not event:
        return {}
    return {p.user_id: p for p in NotificationPreference.objects.filter(event=event, user_id__in=list(user_ids))}


def _deliver_outside(recipients, prefs, title, body, link, event, dedupe_key):
    """E-mail and SMS to those who asked for them (through the outbox, after commit: quiet hours,
    the deny list and the dedupe key apply as to every message)."""
    key = dedupe_key or f"once:{timezone.now().timestamp()}"
    for recipient in recipients:
        pref = prefs.get(recipient.pk)
        if pref is None or getattr(recipient, "bank_id", None) is None:
            continue
        with translation.override(getattr(recipient, "language", None) or translation.get_language()):
            subject = _render(title, recipient)[:300]
            text = _render(body, recipient)
        for channel, wanted in ((Channel.EMAIL, pref.email), (Channel.SMS, pref.sms)):
            if not wanted:
                continue
            message = f"{subject}\n{text}".strip() if channel == Channel.SMS else f"{text}\n\n{link}".strip()
            outbox.send_text(
                recipient.bank_id,
                channel,
                ("staff", recipient.pk),
                subject,
                message,
                dedupe_key=f"notify:{event}:{key}:{recipient.pk}:{channel}"[:200],
            )


def notify(recipients, title, body="", *, link="", level=Notification.Level.INFO, dedupe_key="", event=""):
    """Create one notification per recipient in one bulk INSERT; returns how many were made.

    With a dedupe_key, a recipient who already holds a notification with that key gets
    nothing new (a rerun of a batch job for the same business date sends nothing twice).

    With an `event` (NotificationPreference.Event: approval_decision, job_failure,
    password_expiry, lifecycle_change) each recipient's preference decides the channels:
    in the application (the default), by e-mail and/or SMS through the outbox."""
    recipients = list(recipients)
    if not recipients:
        return 0
    dedupe_key = dedupe_key[:150]
    prefs = preferences_of([r.pk for r in recipients], event)
    with transaction.atomic():
        if prefs:
            _deliver_outside(recipients, prefs, title, body, link, event, dedupe_key)
            recipients = [r for r in recipients if r.pk not in prefs or prefs[r.pk].in_app]
        if dedupe_key:
            already = set(
                Notification.objects.filter(dedupe_key=dedupe_key, recipient_id__in=[r.pk for r in recipients]).values_list(
                    "recipient_id", flat=True
                )
            )
            recipients = [r for r in recipients if r.pk not in already]
        rows, seen = [], set()
        for recipient in recipients:
            if recipient.pk in seen:
                continue
            seen.add(recipient.pk)
            with translation.override(getattr(recipient, "language", None) or translation.get_language()):
                rows.append(
                    Notification(
                        recipient_id=recipient.pk,
                        bank_id=getattr(recipient, "bank_id", None),
                        level=level,
                        title=_render(title, recipient)[:200],
                        body=_render(body, recipient),
                        link=link,
                        dedupe_key=dedupe_key,
                    )
                )
        # The unique (recipient, dedupe_key) index is the last word if two runs race.
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        forget_unread_after_commit(seen)
    return len(rows)


def unread_count(user):
    if user is None or not user.is_authenticated:
        return 0
    key = _unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.for_user(user).unread().count()
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def mark_read(user, notification_ids=None):
    """Mark the user's unread notifications read (all of them, or those ids); returns the number."""
    qs = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    with transaction.atomic():
        changed = qs.update(read_at=timezone.now())
        forget_unread_after_commit([user.pk])
    return changed


def context_processor(request):
    """`unread_notifications` for the bell in base.html (read lazily: pages that do not
    show the bell, and anonymous visitors, cost nothing)."""
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}


@transaction.atomic
def save_preferences(user, chosen):
    """chosen = {event: {"in_app": bool, "email": bool, "sms": bool}}; replaces the user's own."""
    for event, channels in chosen.items():
        NotificationPreference.objects.update_or_create(user=user, event=event, defaults=channels)
