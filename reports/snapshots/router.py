"""The database router of the report layer (settings.DATABASE_ROUTERS): reads of the snapshot
models go to the `reports` alias when one is configured (a replica: reports.snapshots.db),
writes to the primary; the `reports` alias is never migrated (a replica follows the primary)."""

from django.db import DEFAULT_DB_ALIAS

from reports.snapshots import db

SNAPSHOT_MODELS = {
    "snapshotrun",
    "customerday",
    "holdingday",
    "transactionday",
    "measureday",
    "rollupday",
    "rollupmoveday",
    "holdingbranchday",
    "transactionbranchday",
}


def is_snapshot(model):
    return model._meta.app_label == "reports" and model._meta.model_name in SNAPSHOT_MODELS


class ReportsRouter:
    def db_for_read(self, model, **hints):
        if is_snapshot(model) and db.configured():
            return db.REPORTS
        return None

    def db_for_write(self, model, **hints):
        if is_snapshot(model):
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, database, app_label, model_name=None, **hints):
        if database == db.REPORTS:
            return False
        return None
