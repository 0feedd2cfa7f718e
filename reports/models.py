"""Gathers the models of reports' areas for Django and the migrations (no code of its own)."""

from reports.analyses.models import Analysis  # noqa: F401
from reports.appraisal.models import KpiIndicator, KpiScheme, ManagerTarget, Score, ScoreAdjustment, ScoreLine  # noqa: F401
from reports.catalogue.models import ReportSubscription, SubscriptionRun  # noqa: F401
from reports.snapshots.models import CustomerDay, HoldingDay, MeasureDay, SnapshotRun, TransactionDay  # noqa: F401
