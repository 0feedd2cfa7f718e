"""Kernel models every app writes to: the audit log and batch job runs.

Both keep bank_id as a plain indexed column (no foreign key): they are append-heavy,
will be partitioned by month (DESIGN §6), and must survive the deletion of what they
describe."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .scoping import scope_of

        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None or not user.has_perm("sysadmin.view_audit"):
            return self.none()
        return self.filter(bank_id=user.bank_id)


class AuditLog(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        LOGIN = "login", _("Log-in")
        LOGIN_FAILED = "login_failed", _("Failed log-in")
        LOGOUT = "logout", _("Log-out")
        LOCKED = "locked", _("Account locked")
        UNLOCKED = "unlocked", _("Account unlocked")
        PASSWORD_CHANGE = "password_change", _("Password change")
        EXPORT = "export", _("Export")
        VIEW_PII = "view_pii", _("View of personal data")
        IMPORT = "import", _("Import")
        JOB = "job", _("Batch job")
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        OTHER = "other", _("Other")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [before, after]}
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["bank_id", "-at"], name="audit_bank_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-at"], name="audit_actor_time"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"


class JobRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .scoping import scope_of

        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None or not user.has_perm("sysadmin.view_jobs"):
            return self.none()
        return self.filter(models.Q(bank_id=user.bank_id) | models.Q(bank_id__isnull=True))


class JobRun(models.Model):
    """One run of a batch job for one business date: what operators watch."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=100, db_index=True)
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    business_date = models.DateField(_("business date"), null=True, blank=True)
    key = models.CharField(_("run key"), max_length=300, blank=True, help_text=_("What makes a rerun the same run."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    progress_done = models.BigIntegerField(_("done"), default=0)
    progress_total = models.BigIntegerField(_("total"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error_report = models.TextField(_("error report"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["job", "key"], name="jobrun_job_key")]

    def __str__(self):
        return f"{self.job} {self.business_date or ''} {self.status}"

    @property
    def percent(self):
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def visible_to(self, user):
        """A notification is personal: only its recipient sees it (administrators too)."""
        return self.for_user(user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one staff member, shown under the bell in the navigation bar.

    Title and body are written in the recipient's language when the notification is
    made (ocrm.notifications.notify). dedupe_key makes a batch job's notice unique per
    recipient (e.g. "password-expiry:2026-11-22"), so a rerun sends nothing new."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=150, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.title}"

    @property
    def is_read(self):
        return self.read_at is not None


class ChangeRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests of the user's bank that the user made or may decide (their scope)."""
        from .scoping import scope_of

        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None:
            return self.filter(maker=user) if user is not None and user.is_authenticated else self.none()
        qs = self.filter(bank_id=user.bank_id)
        if scope == "bank":
            return qs
        if scope == "subtree":
            return qs.filter(models.Q(branch_path__startswith=user.branch.path) | models.Q(maker=user))
        return qs.filter(maker=user)

    def pending(self):
        return self.filter(status=ChangeRequest.Status.PENDING)


class ChangeRequest(models.Model):
    """Maker-checker (DESIGN §3): a sensitive change recorded as pending, applied only
    when a different user with the checker permission approves it. What a request does
    is decided by the handler registered for its `action` (ocrm.approvals)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    bank_id = models.BigIntegerField(_("bank"), db_index=True)
    # The branch whose supervisors decide (materialised path copied, so the inbox of a
    # subtree is one indexed prefix filter).
    branch_path = models.CharField(_("branch path"), max_length=500, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict)  # {field: [before, after]}
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    reason = models.TextField(_("reason for the change"), blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "status"], name="changereq_object_status")]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_repr} ({self.status})"


class ExportFileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An export is personal (it may hold clear personal data): only its owner sees it."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    def active(self):
        return self.filter(status__in=(ExportFile.Status.QUEUED, ExportFile.Status.RUNNING))


class ExportFile(models.Model):
    """A list export too big to build inside a request: written by a Celery worker as the
    owner (ocrm.export_jobs), kept for export.keep_days days in the owner's "my exports"."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="export_files"
    )
    bank_id = models.BigIntegerField(_("bank"), null=True, blank=True, db_index=True)
    title = models.CharField(_("list"), max_length=200)
    # The list page is found again by its URL name (not a stored import path) and its filter
    # by the query string the owner used.
    url_name = models.CharField(_("URL name"), max_length=200)
    url_kwargs = models.JSONField(_("URL arguments"), default=dict, blank=True)
    query = models.TextField(_("filter"), blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    pii = models.BooleanField(_("holds clear personal data"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.BigIntegerField(_("rows written"), default=0)
    progress_total = models.BigIntegerField(_("rows"), null=True, blank=True)
    row_count = models.BigIntegerField(_("row count"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, max_length=300)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    job_run = models.ForeignKey(
        JobRun, verbose_name=_("job run"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ExportFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="exportfile_owner_time"),
            models.Index(fields=["created_at"], name="exportfile_created"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_active(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, int(self.progress_done * 100 / self.progress_total))
