"""Notifications to staff: the notify() service, the unread count behind the bell in
the navigation bar (a context processor), and the personal notifications page.

    notify(supervisors, _("A batch job failed"), lambda staff: ...,
           link=reverse("jobs:detail", args=[run.pk]), level=Notification.Level.DANGER)

Title and body may be plain text, lazy translations or callables(recipient) -> text;
each is rendered in the recipient's own language. The unread count is cached in Redis so
that the bell costs no database query per page; every write below clears it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ocrm.notifications.models import Notification, NotificationPreference
from ocrm.notifications.services import mark_read, save_preferences

PAGE_SIZE = 25


@login_required
def notification_list(request):
    qs = Notification.objects.visible_to(request.user)
    if request.GET.get("unread"):
        qs = qs.unread()
    page = Paginator(qs.only("id", "created_at", "level", "title", "body", "link", "read_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "ocrm/notifications.html",
        {
            "page_obj": page,
            "notifications": page.object_list,
            "only_unread": bool(request.GET.get("unread")),
        },
    )


@require_POST
@login_required
def notification_read(request, pk):
    """Mark one notification read, then follow its link (or go back to the list)."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    mark_read(request.user, [notification.pk])
    target = notification.link if request.POST.get("follow") else request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect("notifications")


@require_POST
@login_required
def notification_read_all(request):
    mark_read(request.user)
    return redirect("notifications")


CHANNELS = ("in_app", "email", "sms")


@login_required
def notification_preferences(request):
    """The person's own choice, per event type, of how they are told: in the application, by
    e-mail, by SMS (the outbox sends those, respecting their quiet hours)."""
    current = {p.event: p for p in NotificationPreference.objects.filter(user=request.user)}
    if request.method == "POST":
        chosen = {
            event: {channel: f"{event}:{channel}" in request.POST for channel in CHANNELS}
            for event, _label in NotificationPreference.Event.choices
        }
        save_preferences(request.user, chosen)
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("notification_preferences")
    rows = []
    for event, label in NotificationPreference.Event.choices:
        pref = current.get(event) or NotificationPreference(event=event)
        rows.append({"event": event, "label": label, "channels": [(c, getattr(pref, c)) for c in CHANNELS]})
    return render(
        request,
        "ocrm/notification_preferences.html",
        {"rows": rows, "missing_phone": not getattr(request.user, "phone", ""), "missing_email": not request.user.email},
    )
