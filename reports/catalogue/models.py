"""Scheduled delivery of report pages (subscriptions) and the log of each delivery.

A person subscribes to one report of the catalogue with the filters they were looking at (kept
as the page's query string), at a local time of their own zone and a frequency. `next_run_at`
is the next such local time as a UTC instant, worked out again after every run, so a
daylight-saving change moves the UTC instant and never the local time. Every run leaves a
SubscriptionRun: delivered (an XLSX in "my exports" and a notification), skipped because the
report was empty (when the subscriber asked for that), or failed with its reason.

The permissions of the report pages sit on ReportSubscription's Meta (Django needs a model):
reports.view_reports reads the catalogue within one's data scope."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportSubscription(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    bank = models.ForeignKey("sysadmin.Bank", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(_("report"), max_length=40)  # a key of reports.catalogue.definitions.REPORTS
    query = models.TextField(_("filters"), blank=True)  # the report page's query string
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    local_time = models.TimeField(_("local time"))
    weekday = models.SmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    day_of_month = models.SmallIntegerField(_("day of the month"), null=True, blank=True)
    skip_if_empty = models.BooleanField(_("skip when empty"), default=True)
    # Also by e-mail (through the outbox, in the subscriber's language), besides the notification.
    by_email = models.BooleanField(_("also by e-mail"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next delivery"), db_index=True)
    last_run_at = models.DateTimeField(_("last delivery"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["owner", "report", "id"]
        permissions = [
            ("view_reports", "Read the report pages within one's data scope"),
            ("subscribe_reports", "Subscribe to scheduled deliveries of reports"),
        ]
        indexes = [models.Index(fields=["is_active", "next_run_at"], name="rpt_sub_due")]

    def __str__(self):
        return f"{self.report} {self.get_frequency_display()} {self.local_time:%H:%M}"


class SubscriptionRun(models.Model):
    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        SKIPPED = "skipped", _("Skipped: the report was empty")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="runs")
    due_at = models.DateTimeField(_("due"))
    ran_at = models.DateTimeField(_("ran"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows = models.IntegerField(_("rows"), default=0)
    export_id = models.BigIntegerField(null=True, blank=True)  # the ocrm.lists ExportFile written
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-ran_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "due_at"], name="rpt_sub_run_once")]

    def __str__(self):
        return f"{self.subscription_id} {self.due_at} {self.status}"
