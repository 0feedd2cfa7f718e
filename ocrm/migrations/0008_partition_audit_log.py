"""The audit log becomes range-partitioned by month on `at` (UTC months), rows kept, with a
default partition for rows outside the monthly ones (DESIGN §6, docs/scaling.md). Its
primary key is (id, at): bank_id is empty for entries of no bank, so it cannot be part of it."""

from django.db import migrations

from ocrm.datalife import partitions


def partition_audit_log(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "ocrm_auditlog",
        "at",
        keys=["PRIMARY KEY (id, at)"],
        indexes=[
            "CREATE INDEX audit_actor_time ON ocrm_auditlog (actor_id, at DESC)",
            "CREATE INDEX audit_bank_time ON ocrm_auditlog (bank_id, at DESC)",
            "CREATE INDEX audit_object ON ocrm_auditlog (object_type, object_id)",
            "CREATE INDEX ocrm_auditlog_action_509434ec ON ocrm_auditlog (action)",
            "CREATE INDEX ocrm_auditlog_action_509434ec_like ON ocrm_auditlog (action varchar_pattern_ops)",
            "CREATE INDEX ocrm_auditlog_actor_id_f883917b ON ocrm_auditlog (actor_id)",
            "CREATE INDEX ocrm_auditlog_at_72961a62 ON ocrm_auditlog (at)",
            "CREATE INDEX ocrm_auditlog_bank_id_b9b90561 ON ocrm_auditlog (bank_id)",
            "CREATE INDEX ocrm_auditlog_object_type_0e25ce02 ON ocrm_auditlog (object_type)",
            "CREATE INDEX ocrm_auditlog_object_type_0e25ce02_like ON ocrm_auditlog (object_type varchar_pattern_ops)",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("ocrm", "0007_export_purge_schedule")]

    operations = [migrations.RunPython(partition_audit_log, elidable=False)]
