"""Indexes for the dashboard's due card (issue 14): the holdings of a bank maturing, or with an
instalment due, in the next 30 days, read in date order (workbench.dashboard.services.card_due,
the nightly figures of workbench.dashboard.figures). Without them PostgreSQL reads every holding
of the bank through (bank_id) and sorts. Built CONCURRENTLY: the holdings table stays writable."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("customers", "0019_campaigns_contact_log")]

    operations = [
        AddIndexConcurrently(
            model_name="holding",
            index=models.Index(fields=["bank_id", "maturity_date"], name="holding_bank_maturity"),
        ),
        AddIndexConcurrently(
            model_name="holding",
            index=models.Index(fields=["bank_id", "next_instalment_date"], name="holding_bank_instalment"),
        ),
    ]
