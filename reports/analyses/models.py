"""The ACRM analyses have no table of their own: they read the snapshot tables
(reports.snapshots.models) and, for the customers behind a figure, the customer scope.

`Analysis` exists only to carry the analyses' permissions (a model without a table, like a
permission model): roles are granted them in sysadmin/roles.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Analysis(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("ACRM analysis")
        verbose_name_plural = _("ACRM analyses")
        permissions = [
            ("view_analyses", "See the ACRM analyses (contribution, segments, churn warning)"),
            ("view_credit_risk", "See the potential-risk analysis of loans"),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)
