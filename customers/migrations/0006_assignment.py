"""The assignment area: attribution rules per bank, marketing credits, assignment history,
and the nightly attribution job's beat schedule (written by hand, see customers/models_assignment.py)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from ocrm import beat_schedules

SCHEDULE = {
    "name": "Nightly customer attribution",
    "task": "customers.tasks_assignment.apply_attribution_rules",
    "minute": "15", "hour": "1",
    "description": "Nightly at 01:15 UTC: apply each bank's attribution rules to unassigned customers.",
}


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_matching"),
        ("sysadmin", "0003_imports"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AttributionRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("branch_rule", models.CharField(choices=[
                    ("opening_branch", "Branch where the first account was opened"),
                    ("largest_aum", "Branch holding the largest assets (AUM)"),
                    ("manager_branch", "Branch of the primary manager")],
                    default="opening_branch", max_length=20, verbose_name="owning branch by")),
                ("manager_rule", models.CharField(choices=[
                    ("marketing_credit", "Marketing credit: whoever converted the customer"),
                    ("claim", "Claim by a manager, approved by a supervisor"),
                    ("supervisor", "Assignment by a supervisor")],
                    default="claim", max_length=20, verbose_name="primary manager by")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="changed")),
                ("bank", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="attribution_rule", to="sysadmin.bank", verbose_name="bank")),
                ("updated_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+", to=settings.AUTH_USER_MODEL,
                                                 verbose_name="changed by")),
            ],
            options={"verbose_name": "attribution rule", "verbose_name_plural": "attribution rules",
                     "ordering": ["bank"]},
        ),
        migrations.CreateModel(
            name="AssignmentChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bank_id", models.BigIntegerField(verbose_name="bank")),
                ("kind", models.CharField(choices=[
                    ("claim", "Claim"), ("assignment", "Assignment from the pool"), ("reassignment", "Reassignment"),
                    ("handover", "Hand-over of a book"), ("transfer", "Branch transfer"),
                    ("attribution", "Attribution rule (nightly)")], max_length=12, verbose_name="kind")),
                ("change_request_id", models.BigIntegerField(blank=True, null=True, verbose_name="change request")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                ("business_date", models.DateField(blank=True, null=True, verbose_name="business date")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("actor", models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                            to=settings.AUTH_USER_MODEL, verbose_name="by")),
                ("customer", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                               related_name="assignment_history", to="customers.customer",
                                               verbose_name="customer")),
                ("from_branch", models.ForeignKey(blank=True, db_index=False, null=True,
                                                  on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                  to="sysadmin.branch", verbose_name="from branch")),
                ("from_manager", models.ForeignKey(blank=True, db_index=False, null=True,
                                                   on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                   to=settings.AUTH_USER_MODEL, verbose_name="from manager")),
                ("to_branch", models.ForeignKey(blank=True, db_index=False, null=True,
                                                on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                to="sysadmin.branch", verbose_name="to branch")),
                ("to_manager", models.ForeignKey(blank=True, db_index=False, null=True,
                                                 on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                 to=settings.AUTH_USER_MODEL, verbose_name="to manager")),
            ],
            options={
                "verbose_name": "assignment change",
                "verbose_name_plural": "assignment history",
                "ordering": ["-at", "-id"],
                "permissions": [
                    ("claim_customer", "Claim unassigned customers (maker)"),
                    ("approve_assignment",
                     "Approve or reject claims, reassignments, hand-overs and transfers (checker)"),
                    ("reassign_customer", "Reassign customers and hand over a manager's book (maker)"),
                    ("transfer_customer", "Propose moving a customer to another branch (maker)"),
                ],
                "indexes": [
                    models.Index(fields=["customer", "-at"], name="assignchg_customer_time"),
                    models.Index(fields=["bank_id", "-at"], name="assignchg_bank_time"),
                    models.Index(condition=models.Q(("change_request_id__isnull", False)), fields=["change_request_id"],
                                 name="assignchg_request"),
                ],
            },
        ),
        migrations.CreateModel(
            name="MarketingCredit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bank_id", models.BigIntegerField(verbose_name="bank")),
                ("credited_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="credited")),
                ("source", models.CharField(blank=True, max_length=60, verbose_name="source")),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                               related_name="marketing_credits", to="customers.customer",
                                               verbose_name="customer")),
                ("manager", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                              to=settings.AUTH_USER_MODEL, verbose_name="credited manager")),
            ],
            options={
                "verbose_name": "marketing credit",
                "verbose_name_plural": "marketing credits",
                "indexes": [models.Index(fields=["customer", "-credited_at"], name="mktcredit_customer_time")],
            },
        ),
        migrations.RunPython(*beat_schedules.run_python([SCHEDULE])),
    ]
