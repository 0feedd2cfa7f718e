"""The matching area (issue 4): match rules, review candidates, merge records; fuzzystrmatch
for the scoring (levenshtein), available in Debian's PostgreSQL and the embedded one; the
nightly duplicate scan's beat schedule (administrators may edit it afterwards)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from ocrm import beat_schedules

SCHEDULE = {
    "name": "Nightly duplicate customer scan",
    "task": "customers.tasks_matching.find_duplicates",
    "minute": "30", "hour": "2",
    "description": "Nightly at 02:30 UTC: score every bank's customers against its match rules for review.",
}


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_source_records"),
        ("sysadmin", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch", reverse_sql=migrations.RunSQL.noop),
        # 1 - edit distance / longer length; NULL when either side is empty (the field is not compared).
        migrations.RunSQL(
            """
            CREATE OR REPLACE FUNCTION ocrm_text_sim(a text, b text) RETURNS double precision
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT CASE WHEN coalesce(a, '') = '' OR coalesce(b, '') = '' THEN NULL
                          WHEN a = b THEN 1.0
                          ELSE 1.0 - levenshtein(left(a, 255), left(b, 255))::double precision
                                     / greatest(length(left(a, 255)), length(left(b, 255)))
                     END
            $$
            """,
            reverse_sql="DROP FUNCTION IF EXISTS ocrm_text_sim(text, text)",
        ),
        migrations.CreateModel(
            name="MatchRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("kind", models.CharField(choices=[("deterministic", "Deterministic (equal keys)"),
                                                   ("scored", "Scored (weighted similarity)")],
                                          max_length=15, verbose_name="kind")),
                ("applies_to", models.CharField(choices=[("retail", "Retail"), ("corporate", "Corporate")],
                                                max_length=10, verbose_name="customer kind")),
                ("fields", models.JSONField(default=dict, verbose_name="fields / weights")),
                ("upper_threshold", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True,
                                                        verbose_name="merge automatically at or above")),
                ("lower_threshold", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True,
                                                        verbose_name="review at or above")),
                ("source_priority", models.JSONField(blank=True, default=list, verbose_name="trusted source priority")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                ("bank", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                           to="sysadmin.bank", verbose_name="bank")),
            ],
            options={"verbose_name": "match rule", "verbose_name_plural": "match rules",
                     "ordering": ["bank", "applies_to", "kind", "name"]},
        ),
        migrations.CreateModel(
            name="MatchCandidate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bank_id", models.BigIntegerField(verbose_name="bank")),
                ("score", models.DecimalField(decimal_places=2, max_digits=5, verbose_name="score")),
                ("comparison", models.JSONField(default=dict, verbose_name="field comparison")),
                ("status", models.CharField(choices=[("pending", "Waiting for review"),
                                                     ("merged", "Same customer (merged)"),
                                                     ("different", "Different customers")],
                                            default="pending", max_length=10, verbose_name="status")),
                ("found_by", models.CharField(default="feed", max_length=20, verbose_name="found by")),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="found")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided")),
                ("customer_a", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                 to="customers.customer", verbose_name="customer A")),
                ("customer_b", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                 to="customers.customer", verbose_name="customer B")),
                ("decided_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                 related_name="+", to=settings.AUTH_USER_MODEL,
                                                 verbose_name="decided by")),
            ],
            options={
                "verbose_name": "match candidate", "verbose_name_plural": "match candidates",
                "ordering": ["-score", "id"],
                "permissions": [("review_match", "Review match candidates (same customer / different)")],
                "constraints": [
                    models.UniqueConstraint(fields=("customer_a", "customer_b"), name="matchcandidate_pair"),
                    models.CheckConstraint(condition=models.Q(customer_a__lt=models.F("customer_b")),
                                           name="matchcandidate_ordered"),
                ],
                "indexes": [
                    models.Index(fields=["bank_id", "status", "-score"], name="matchcandidate_queue"),
                    models.Index(fields=["customer_b"], name="matchcandidate_b"),
                ],
            },
        ),
        migrations.CreateModel(
            name="MergeRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("bank_id", models.BigIntegerField(verbose_name="bank")),
                ("merged_number", models.CharField(max_length=32, verbose_name="merged customer number")),
                ("reason", models.CharField(blank=True, max_length=300, verbose_name="reason")),
                ("before_state", models.JSONField(default=dict, verbose_name="before-state")),
                ("merged_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="merged")),
                ("unmerged_at", models.DateTimeField(blank=True, null=True, verbose_name="unmerged")),
                ("candidate", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                related_name="+", to="customers.matchcandidate",
                                                verbose_name="match candidate")),
                ("merged", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="merges_given",
                                             to="customers.customer", verbose_name="merged customer")),
                ("merged_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                related_name="+", to=settings.AUTH_USER_MODEL,
                                                verbose_name="merged by")),
                ("survivor", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                               related_name="merges_received", to="customers.customer",
                                               verbose_name="surviving customer")),
                ("unmerged_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                  related_name="+", to=settings.AUTH_USER_MODEL,
                                                  verbose_name="unmerged by")),
            ],
            options={
                "verbose_name": "merge record", "verbose_name_plural": "merge records",
                "ordering": ["-merged_at", "-id"],
                "permissions": [("unmerge", "Undo a customer merge")],
                "indexes": [models.Index(fields=["bank_id", "-merged_at"], name="mergerecord_bank_time")],
            },
        ),
        migrations.RunPython(*beat_schedules.run_python([SCHEDULE])),
    ]
