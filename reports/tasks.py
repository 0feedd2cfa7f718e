"""Celery imports `reports.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks."""
from reports.snapshots.tasks import build_snapshots, drop_old_snapshots  # noqa: E402, F401
