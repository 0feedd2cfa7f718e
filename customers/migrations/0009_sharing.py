"""Customer sharing (issue 5): the CustomerShare record and the hourly clean-up schedule of
the guardian grants of shares that have ended (access itself ends at query time)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ocrm import beat_schedules

SCHEDULE = {
    "name": "Customer shares clean-up",
    "task": "customers.tasks.clean_up_ended_shares",
    "minute": "5",
    "description": "Hourly at :05 UTC: remove the object permissions of expired or revoked shares.",
}


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_search"),
        ("ocrm", "0005_change_requests"),
        ("sysadmin", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerShare",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("can_edit", models.BooleanField(default=False, verbose_name="may edit")),
                ("expires_at", models.DateTimeField(verbose_name="until")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("status", models.CharField(
                    choices=[("pending", "Waiting for approval"), ("active", "Approved"), ("rejected", "Rejected"),
                             ("revoked", "Revoked")],
                    default="active", max_length=10, verbose_name="status")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("approved_at", models.DateTimeField(blank=True, null=True, verbose_name="in force since")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                ("bank", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                           to="sysadmin.bank", verbose_name="bank")),
                ("change_request", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                     related_name="+", to="ocrm.changerequest",
                                                     verbose_name="change request")),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="shares",
                                               to="customers.customer", verbose_name="customer")),
                ("revoked_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                 related_name="+", to=settings.AUTH_USER_MODEL,
                                                 verbose_name="revoked by")),
                ("shared_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                related_name="customer_shares_made", to=settings.AUTH_USER_MODEL,
                                                verbose_name="shared by")),
                ("shared_with", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                  related_name="customer_shares_received", to=settings.AUTH_USER_MODEL,
                                                  verbose_name="shared with")),
            ],
            options={
                "verbose_name": "customer share",
                "verbose_name_plural": "customer shares",
                "ordering": ["-created_at", "-id"],
                "permissions": [("approve_share", "Approve or reject customer shares (checker)")],
                "indexes": [
                    models.Index(fields=["shared_with", "status", "expires_at"], name="custshare_with_status"),
                    models.Index(fields=["shared_by", "status"], name="custshare_by_status"),
                    models.Index(fields=["customer", "status"], name="custshare_customer_status"),
                ],
            },
        ),
        migrations.RunPython(*beat_schedules.run_python([SCHEDULE])),
    ]
