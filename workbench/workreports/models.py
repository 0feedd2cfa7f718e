"""Work reports (工作报告): a person's daily or weekly report, drafted from what they recorded
(workbench.desk activity sources), edited and submitted; their supervisors read and comment.

Scope: the author sees their own reports, a supervisor those of their branch subtree's people,
head-office roles their bank's."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import ScopedQuerySet


class WorkReportQuerySet(ScopedQuerySet):
    scope_bank_field = "bank"
    scope_branch_field = "author__branch"
    scope_owner_field = "author"
    scope_guardian_grants = False


class WorkReport(models.Model):
    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily report")
        WEEKLY = "weekly", _("Weekly report")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="work_reports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # What the activity sources said when the draft was made: [{"kind", "label", "count", "details"}].
    activity = models.JSONField(_("recorded activity"), default=list, blank=True, editable=False)
    summary = models.TextField(_("work done"), blank=True)
    plan = models.TextField(_("plan for the next period"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    objects = WorkReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("work report")
        verbose_name_plural = _("work reports")
        ordering = ["-period_start", "author_id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "kind", "period_start"], name="workreport_one_per_period"),
        ]
        indexes = [models.Index(fields=["bank", "kind", "period_start"], name="workreport_bank_period")]
        permissions = [("comment_workreport", "Comment on the work reports of one's team")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}"

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT


class WorkReportComment(models.Model):
    """上级反馈: a supervisor's comment on a report; the author is notified."""

    bank = models.ForeignKey("sysadmin.Bank", verbose_name=_("bank"), on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(WorkReport, verbose_name=_("work report"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("comment on a work report")
        verbose_name_plural = _("comments on work reports")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:50]
