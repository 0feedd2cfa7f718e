"""Password history: the hashes a staff member may not use again."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sysadmin.org.models import Staff


class PasswordHistory(models.Model):
    """Hashes of a user's previous passwords, to refuse re-use of the last N."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")

    def __str__(self):
        return f"{self.staff_id} {self.created_at:%Y-%m-%d}"
