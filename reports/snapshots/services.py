"""The nightly snapshot job and the snapshots' retention (the SQL of a build is in build.py).

* NIGHTLY: each active bank, for its local yesterday, once its head office's local time has
  passed reports.snapshot_run_local_hour (the beat ticks hourly, as the lifecycle job's); a
  date already built is a no-op (SnapshotRun), so every later tick of the same day costs a
  look-up.
* retention: the monthly partitions of the day tables (and the roll-up) older than
  reports.snapshot_retention_months whole months (the longest any bank keeps) are dropped
  (ocrm.datalife.partitions.drop_before), with their SnapshotRun rows.
"""

import datetime

from django.utils import timezone

from ocrm import parameters, tenants
from ocrm.batch.jobs import audit_once
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.datalife import partitions
from reports.snapshots import build as snapshot_build
from reports.snapshots.models import (
    CustomerDay,
    HoldingBranchDay,
    HoldingDay,
    MeasureDay,
    RollupDay,
    RollupMoveDay,
    SnapshotRun,
    TransactionBranchDay,
    TransactionDay,
)

JOB = "reports_snapshots"
RETENTION_JOB = "reports_snapshot_retention"
# The tables a snapshot date writes (one list: retention, the demo's ANALYZE and reset read it).
DAY_MODELS = (
    CustomerDay,
    HoldingDay,
    TransactionDay,
    MeasureDay,
    RollupDay,
    RollupMoveDay,
    HoldingBranchDay,
    TransactionBranchDay,
)
DAY_TABLES = [model._meta.db_table for model in DAY_MODELS]
# Tables derived from the snapshots (the analyses' precomputed days), partitioned the same way:
# registered by their area so retention drops their months with the snapshots'.
_DERIVED_TABLES = []


def register_day_tables(tables):
    for table in tables:
        if table not in _DERIVED_TABLES:
            _DERIVED_TABLES.append(table)


def _nightly_scope(run, scope):
    if scope.bank_id is None:
        return
    snapshot = snapshot_build.build(scope.bank_id, scope.business_date)
    rows = snapshot.rows
    run.count(
        customer_rows=rows.get("customers", 0),
        holding_rows=rows.get("holdings", 0),
        transaction_rows=rows.get("transactions", 0),
        measure_rows=rows.get("measures", 0),
    )
    run.advance(1)


NIGHTLY = PerBankJob(
    JOB,
    _nightly_scope,
    BusinessDay(days_back=1, not_before_hour="reports.snapshot_run_local_hour"),
    banks=active_banks,
)


def retention_cutoff(today=None):
    """The first month kept (a date, day 1): the current month less the longest retention of
    any bank (and the global value); None when one keeps everything (0)."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    banks = tenants.tenant_model().objects.values_list("pk", flat=True)
    months = [parameters.get("reports.snapshot_retention_months", None)]
    months += [parameters.get("reports.snapshot_retention_months", bank) for bank in banks]
    if min(months) <= 0:
        return None
    return partitions.add_months(partitions.month_start(today), -max(months))


def drop_old_months(today=None):
    """Drop the snapshot months before the cut-off; {"dropped": partitions, "deleted": rows of the
    default partitions, "runs": SnapshotRun rows}, with the cut-off."""
    cutoff = retention_cutoff(today)
    report = {"cutoff": cutoff, "dropped": [], "deleted": 0, "runs": 0}
    if cutoff is None:
        return report
    for table in [*DAY_TABLES, *_DERIVED_TABLES]:
        dropped, deleted = partitions.drop_before(table, cutoff)
        report["dropped"] += dropped
        report["deleted"] += deleted
    report["runs"], _detail = SnapshotRun.objects.filter(business_date__lt=cutoff).delete()
    return report


def run_retention(run):
    report = drop_old_months()
    run.count(dropped=len(report["dropped"]), deleted=report["deleted"] + report["runs"])
    audit_once(run, None, report)
