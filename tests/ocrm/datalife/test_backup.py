"""Backup and restore (ocrm.datalife.backup, manage.py backup_data / restore_data / verify_backup):
a backup restored into a new database verifies (rows per table, file checksums); a tampered
file or dump, a wrong database or a missing tool fails with a message that names it."""

import datetime
import json
import os

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from customers.master.models import Transaction
from ocrm.audit.models import AuditLog
from ocrm.batch.runs import job_run
from ocrm.datalife import backup
from tests.factories import make_customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def restored_name():
    """A database name for the restore, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    yield name
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stored(org, settings, tmp_path):
    """Rows in the database (a partitioned table among them) and files under MEDIA_ROOT."""
    media = tmp_path / "media"
    (media / "documents" / "2026").mkdir(parents=True)
    (media / "documents" / "2026" / "contract.pdf").write_bytes(b"%PDF-1.4 contract of " + "王伟".encode())
    (media / "uploads" / "BKA").mkdir(parents=True)
    (media / "uploads" / "BKA" / "staff.csv").write_text("name\n张伟\n", encoding="utf-8")
    settings.MEDIA_ROOT = str(media)
    customer = make_customer("B1", org.a_sh)
    Transaction.objects.create(
        bank_id=customer.bank_id,
        customer_id=customer.pk,
        holding_id=1,
        occurred_at=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC),
        amount=1,
        currency="CNY",
        direction="C",
        channel="atm",
        txn_type="x",
    )
    return tmp_path


def test_backup_restore_into_a_new_database_verifies(stored, restored_name, capsys):
    call_command("backup_data", "--into", str(stored / "backups"))
    folder = capsys.readouterr().out.strip().splitlines()[-1]
    manifest = json.loads((stored / "backups" / os.path.basename(folder) / "manifest.json").read_text())
    tables = manifest["database"]["tables"]
    assert tables["customers_customer"] == 1 and tables["customers_transaction"] == 1
    assert tables["ocrm_auditlog"] == AuditLog.objects.count() > 0
    assert set(manifest["files"]) == {"documents/2026/contract.pdf", "uploads/BKA/staff.csv"}

    call_command("restore_data", folder, "--database", restored_name, "--media-root", str(stored / "restored-media"))
    assert "restored and verified" in capsys.readouterr().out
    call_command("verify_backup", folder, "--database", restored_name, "--media-root", str(stored / "restored-media"))
    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    with psycopg.connect(f"{base}/{restored_name}") as db:
        assert db.execute("SELECT number FROM customers_customer").fetchall() == [("B1",)]
        # The partitioned table came back partitioned, the 2001 row in its default partition.
        assert db.execute("SELECT tableoid::regclass::text FROM customers_transaction").fetchone() == (
            "customers_transaction_default",
        )
    assert (stored / "restored-media" / "documents" / "2026" / "contract.pdf").read_bytes().startswith(b"%PDF")

    # Rows added to the restored database after the fact: verification names the table.
    with psycopg.connect(f"{base}/{restored_name}", autocommit=True) as db:
        db.execute("DELETE FROM customers_transaction")
    with pytest.raises(CommandError, match="Table customers_transaction holds 0 rows, the backup 1"):
        call_command("verify_backup", folder, "--database", restored_name)


def test_a_tampered_file_fails_verification_and_is_not_restored(stored, restored_name, capsys):
    call_command("backup_data", "--into", str(stored / "backups"))
    folder = capsys.readouterr().out.strip().splitlines()[-1]
    target = os.path.join(folder, "files", "uploads", "BKA", "staff.csv")
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("李娜\n")
    with pytest.raises(CommandError, match="File changed since the backup \\(SHA-256 differs\\): uploads/BKA/staff.csv"):
        call_command("verify_backup", folder)
    with pytest.raises(CommandError, match="does not match its manifest:\nFile changed .*staff.csv"):
        call_command("restore_data", folder, "--database", restored_name)
    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres") as admin:
        assert not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restored_name]).fetchone()


def test_a_tampered_dump_or_a_missing_file_is_named(stored, capsys):
    call_command("backup_data", "--into", str(stored / "backups"))
    folder = capsys.readouterr().out.strip().splitlines()[-1]
    with open(os.path.join(folder, "database.dump"), "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    os.remove(os.path.join(folder, "files", "documents", "2026", "contract.pdf"))
    problems = backup.verify_backup(folder)
    assert problems == [
        "File changed since the backup (SHA-256 differs): database.dump",
        "File missing: documents/2026/contract.pdf",
    ]


def test_restore_refuses_an_existing_database_and_a_bad_name(stored, capsys):
    call_command("backup_data", "--into", str(stored / "backups"))
    folder = capsys.readouterr().out.strip().splitlines()[-1]
    with pytest.raises(CommandError, match="exists already"):
        call_command("restore_data", folder, "--database", connection.settings_dict["NAME"])
    with pytest.raises(CommandError, match="not a valid new database name"):
        call_command("restore_data", folder, "--database", 'x"; DROP DATABASE y; --')


def test_the_client_tools_match_the_servers_version(db):
    connection.ensure_connection()
    major = connection.connection.info.server_version // 10000
    assert backup._major_of(backup.pg_tool("pg_dump", major)) == major
    with pytest.raises(backup.BackupError, match="No pg_dump of PostgreSQL 7 was found"):
        backup.pg_tool("pg_dump", 7)


def test_the_scheduled_backup_keeps_n_days(stored):
    root = stored / "backups"
    old = root / "20200101T000000Z"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text("{}")
    (root / "notes").mkdir()  # not a backup: left alone
    with job_run("backup", business_date=datetime.date.today()) as run:
        folder = backup.scheduled_backup(14, run, root=root)
    assert sorted(p.name for p in root.iterdir()) == sorted([folder.name, "notes"])
    assert run.run.counts["removed"] == 1 and run.run.counts["files"] == 2
    assert backup.verify_backup(folder) == []
