"""Calendar pages: a person's diary by month, week or day (their own, or a team member's for a
supervisor: Staff.objects.visible_to, 404 outside), appointments (create, change, move with
htmx, cancel) and the personal iCalendar feed (issue, revoke, the feed itself)."""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from ocrm.errors import NotVisible
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView, is_htmx
from sysadmin.org.models import Staff
from workbench.calendar import services
from workbench.calendar.forms import AppointmentForm, MoveForm
from workbench.calendar.models import Appointment, CalendarFeed
from workbench.todo.forms import colleague_choices
from workbench.todo.views import visible_customer

VIEWS = ("month", "week", "day")
TEAM_LIMIT = 100


def _day(value, default):
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if datetime.date(1900, 1, 1) <= day <= datetime.date(2999, 12, 31) else default


def _span(view, day):
    if view == "day":
        return day, day, day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
    if view == "week":
        first = day - datetime.timedelta(days=day.weekday())
        return first, first + datetime.timedelta(days=6), day - datetime.timedelta(days=7), day + datetime.timedelta(days=7)
    month_first = day.replace(day=1)
    next_month = (month_first + datetime.timedelta(days=32)).replace(day=1)
    month_last = next_month - datetime.timedelta(days=1)
    first = month_first - datetime.timedelta(days=month_first.weekday())
    last = month_last + datetime.timedelta(days=6 - month_last.weekday())
    previous = (month_first - datetime.timedelta(days=1)).replace(day=1)
    return first, last, previous, next_month


def calendar_context(viewer, owner, view, day, now=None):
    """Everything a month, week or day view draws: days in owner's zone with their events and days off."""
    view = view if view in VIEWS else "month"
    zone = services.person_zone(owner)
    today = timezone.localtime(now or timezone.now(), zone).date()
    day = day or today
    first, last, previous, following = _span(view, day)
    start, end = services.local_bounds(owner, first, last)
    by_day = defaultdict(list)
    for event in services.diary(viewer, owner, start, end):
        local = timezone.localtime(event.start, zone)
        by_day[local.date()].append({"event": event, "time": "" if event.all_day else local.strftime("%H:%M")})
    off = services.days_off(owner, first, last)
    days = []
    current = first
    while current <= last:
        days.append(
            {
                "date": current,
                "items": by_day.get(current, []),
                "off": off.get(current),
                "other_month": view == "month" and current.month != day.month,
                "today": current == today,
            }
        )
        current += datetime.timedelta(days=1)
    return {
        "owner": owner,
        "view": view,
        "day": day,
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "previous": previous,
        "following": following,
        "today": today,
        "zone": owner.effective_timezone,
        "own": owner.pk == viewer.pk,
        "may_move": viewer.has_perm("workbench.change_appointment"),
    }


def owner_for(user, staff_id):
    """The person whose diary the user opens: themselves, or a colleague in their scope (else 404)."""
    if staff_id is None or int(staff_id) == user.pk:
        return user
    found = Staff.objects.visible_to(user).select_related("branch", "bank").filter(pk=staff_id).first()
    if found is None:
        raise NotVisible
    return found


class CalendarView(PermissionPageMixin, TemplateView):
    permission_required = "workbench.view_appointment"
    template_name = "workbench/calendar/calendar.html"

    def get_template_names(self):
        if is_htmx(self.request):
            return ["workbench/calendar/grid.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        owner = owner_for(user, self.kwargs.get("staff_id"))
        context = calendar_context(user, owner, self.request.GET.get("view"), _day(self.request.GET.get("date"), None))
        team = []
        if user.has_perm("workbench.reassign_task"):
            team = list(colleague_choices(user).exclude(pk=user.pk)[:TEAM_LIMIT])
        title = _("My calendar") if context["own"] else _("Calendar of %(name)s") % {"name": owner.display_name}
        return super().get_context_data(title=title, team=team, **context, **kwargs)


def calendar_url(owner, viewer, view="week", day=None):
    url = reverse("workbench:calendar") if owner.pk == viewer.pk else reverse("workbench:staff_calendar", args=[owner.pk])
    return f"{url}?view={view}" + (f"&date={day.isoformat()}" if day else "")


class AppointmentCreateView(ServiceFormView):
    permission_required = ("workbench.view_appointment", "workbench.add_appointment")
    form_class = AppointmentForm
    template_name = "workbench/calendar/appointment_form.html"
    title = gettext_lazy("New appointment")

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if self.request.method == "GET":
            start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
            day = _day(self.request.GET.get("date"), None)
            if day is not None:
                start = start.replace(year=day.year, month=day.month, day=day.day, hour=9)
            kwargs["initial"] = {
                "customer": self.request.GET.get("customer", "")[:32],
                "start": start,
                "end": start + datetime.timedelta(hours=1),
            }
        return AppointmentForm(user=self.request.user, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.create_appointment(
            self.request.user,
            title=data["title"],
            start=data["start"],
            end=data["end"],
            customer=visible_customer(self.request.user, data.get("customer")),
            attendees=list(data.get("attendees") or ()),
            location=data.get("location", ""),
            channel=data["channel"],
            notes=data.get("notes", ""),
        )

    def get_success_message(self, appointment):
        return _("Appointment “%(title)s” planned.") % {"title": appointment.title}

    def get_success_url(self, appointment):
        return calendar_url(appointment.owner, self.request.user, "week", timezone.localtime(appointment.start).date())


class AppointmentView(ServiceFormView):
    """An appointment's page: what it is, the change form, cancel."""

    permission_required = "workbench.view_appointment"
    model = Appointment
    select_related = ("customer", "owner", "created_by")
    form_class = AppointmentForm
    template_name = "workbench/calendar/appointment_detail.html"
    success_message = gettext_lazy("Appointment saved.")

    def get_queryset(self):
        return Appointment.objects.readable_by(self.request.user).select_related(*self.select_related)

    def get_form(self):
        appointment = self.object
        initial = {
            "title": appointment.title,
            "customer": appointment.customer.number if appointment.customer_id else "",
            "start": timezone.localtime(appointment.start),
            "end": timezone.localtime(appointment.end),
            "channel": appointment.channel,
            "location": appointment.location,
            "attendees": list(appointment.attendees.values_list("pk", flat=True)),
            "notes": appointment.notes,
        }
        return AppointmentForm(user=self.request.user, initial=initial, **self.get_form_kwargs())

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("workbench.change_appointment"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.update_appointment(
            self.object,
            self.request.user,
            title=data["title"],
            start=data["start"],
            end=data["end"],
            customer=visible_customer(self.request.user, data.get("customer")),
            attendees=list(data.get("attendees") or ()),
            location=data.get("location", ""),
            channel=data["channel"],
            notes=data.get("notes", ""),
        )

    def get_success_url(self, appointment):
        return reverse("workbench:appointment", args=[appointment.pk])

    def get_title(self):
        return self.object.title

    def get_context_data(self, **kwargs):
        appointment = self.object
        may_change = (
            self.request.user.has_perm("workbench.change_appointment")
            and appointment.status != Appointment.Status.CANCELLED
            and Appointment.objects.visible_to(self.request.user).filter(pk=appointment.pk).exists()
        )
        return super().get_context_data(
            appointment=appointment,
            attendees=list(appointment.attendees.order_by("username")),
            customer_label=services.customer_label(appointment.customer),
            may_change=may_change,
            back_url=calendar_url(appointment.owner, self.request.user, "week", timezone.localtime(appointment.start).date()),
            **kwargs,
        )


class AppointmentMoveView(ServiceActionView):
    """Move an appointment (a new start, or a shift in minutes). With htmx the calendar's grid
    comes back, drawn again, and replaces the old one: no page reload."""

    permission_required = ("workbench.view_appointment", "workbench.change_appointment")
    model = Appointment
    form_class = MoveForm

    def perform(self):
        data = self.form.cleaned_data
        start = data.get("start") or self.object.start + datetime.timedelta(minutes=data["shift"])
        return services.move_appointment(self.object, self.request.user, start)

    def get_success_message(self, appointment):
        return _("Appointment moved to %(when)s.") % {"when": timezone.localtime(appointment.start).strftime("%Y-%m-%d %H:%M")}

    def succeeded(self, appointment):
        if is_htmx(self.request):
            user = self.request.user
            owner = (
                owner_for(user, self.request.POST.get("owner") or None) if self.request.POST.get("owner", "").isdigit() else user
            )
            context = calendar_context(user, owner, self.request.POST.get("view"), _day(self.request.POST.get("date"), None))
            context["moved"] = appointment.pk
            return render(self.request, "workbench/calendar/grid.html", context)
        return super().succeeded(appointment)

    def get_success_url(self, appointment):
        return calendar_url(appointment.owner, self.request.user, "week", timezone.localtime(appointment.start).date())

    def get_error_url(self):
        return reverse("workbench:appointment", args=[self.object.pk])


class AppointmentCancelView(ServiceActionView):
    permission_required = ("workbench.view_appointment", "workbench.change_appointment")
    model = Appointment
    success_message = gettext_lazy("Appointment cancelled.")

    def perform(self):
        return services.cancel_appointment(self.object, self.request.user)

    def get_success_url(self, appointment):
        return calendar_url(appointment.owner, self.request.user, "week", timezone.localtime(appointment.start).date())

    def get_error_url(self):
        return reverse("workbench:appointment", args=[self.object.pk])


class FeedView(PermissionPageMixin, View):
    """The personal feed's page: GET says whether a feed address exists; POST action=issue makes a
    new one (shown once, the old one stops working), action=revoke removes it."""

    permission_required = "workbench.view_appointment"
    template_name = "workbench/calendar/feed.html"

    def render_page(self, token=None):
        feed = CalendarFeed.objects.filter(owner=self.request.user).first()
        url = self.request.build_absolute_uri(reverse("workbench:calendar_feed", args=[token])) if token else ""
        return render(self.request, self.template_name, {"title": _("Calendar feed"), "feed": feed, "feed_url": url})

    def get(self, request):
        return self.render_page()

    def post(self, request):
        action = request.POST.get("action")
        if action == "issue":
            return self.render_page(services.issue_feed(request.user, request.user))
        if action == "revoke":
            services.revoke_feed(request.user, request.user)
        return self.render_page()


class FeedDownloadView(View):
    """The iCalendar feed itself: no log-in (calendar programs cannot log in), the secret address is
    the key; an unknown or revoked one is a 404."""

    http_method_names = ["get", "head"]

    def get(self, request, token):
        owner = services.feed_owner(token)
        response = HttpResponse(services.feed_calendar(owner), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="ocrm.ics"'
        response["Cache-Control"] = "private, no-store"
        return response
