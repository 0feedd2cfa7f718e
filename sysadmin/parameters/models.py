"""System parameters: one row per key and bank (or global), typed, validated when saved."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ocrm.parameters import parse_value, validate
from sysadmin.org.models import Bank


class SystemParameter(models.Model):
    """A typed setting: bank is empty for the global default, set for a bank's own value."""

    class Type(models.TextChoices):
        INT = "int", _("Whole number")
        DECIMAL = "decimal", _("Decimal")
        BOOL = "bool", _("Yes/no")
        STRING = "string", _("Text")
        DURATION = "duration", _("Duration (seconds)")
        JSON = "json", _("JSON")

    bank = models.ForeignKey(
        Bank, verbose_name=_("bank"), null=True, blank=True, on_delete=models.CASCADE, related_name="parameters"
    )
    key = models.CharField(_("key"), max_length=100)
    value_type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    value = models.TextField(_("value"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("system parameter")
        verbose_name_plural = _("system parameters")
        ordering = ["key", "bank"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=models.Q(bank__isnull=True), name="param_global_unique"),
            models.UniqueConstraint(fields=["bank", "key"], condition=models.Q(bank__isnull=False), name="param_bank_unique"),
        ]

    def __str__(self):
        return f"{self.key}={self.value}" + (f" [{self.bank.code}]" if self.bank_id else "")

    def clean(self):
        errors = validate(self.key, self.value_type, self.value)
        if errors:
            raise ValidationError(errors)

    @property
    def typed_value(self):
        return parse_value(self.value_type, self.value)
