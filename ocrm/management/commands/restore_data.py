"""manage.py restore_data: restore a backup into a new database and verify it (docs/backup.md)."""

from django.core.management.base import BaseCommand, CommandError

from ocrm.datalife import backup


class Command(BaseCommand):
    help = (
        "Check a backup against its manifest, restore it into a NEW database (and its files into a new "
        "folder), then compare rows per table and file checksums with the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup folder (holding manifest.json).")
        parser.add_argument("--database", required=True, help="Name of the new database to create and restore into.")
        parser.add_argument("--media-root", help="New or empty folder to restore the stored files into.")

    def handle(self, *args, **options):
        try:
            manifest = backup.restore(options["backup"], options["database"], options["media_root"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        tables, files = len(manifest["database"]["tables"]), len(manifest["files"])
        self.stdout.write(f"restored and verified: {tables} tables, {files} files into {options['database']}")
