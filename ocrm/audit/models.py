"""The audit log: who did what, when, from where, with before/after."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of


class AuditLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope == "all":
            return self
        if scope is None or not user.has_perm("sysadmin.view_audit"):
            return self.none()
        return self.filter(bank_id=user.bank_id)


class AuditLog(models.Model):
    """One audit entry. Range-partitioned by month on `at` (UTC months; ocrm.datalife.partitions,
    migration 0008): the database's primary key is (id, at), and retention drops whole months
    (docs/scaling.md). Django still addresses an entry by its id alone (unique: one sequence)."""

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
