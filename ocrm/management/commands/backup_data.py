"""manage.py backup_data: back up the database and the stored files with a manifest (docs/backup.md)."""

from django.core.management.base import BaseCommand, CommandError

from ocrm.datalife import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and MEDIA_ROOT into a new folder with a manifest: "
        "rows per table, SHA-256 of the dump and of every file. Prints the folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--into", help="Folder to create the backup under (default: OCRM_BACKUP_DIR).")
        parser.add_argument(
            "--keep-days", type=int, default=0, help="Afterwards remove backups under it older than this (0: none)."
        )

    def handle(self, *args, **options):
        try:
            folder = backup.create_backup(options["into"])
            problems = backup.verify_backup(folder)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        if problems:
            raise CommandError("\n".join(problems))
        for name in backup.remove_old(folder.parent, options["keep_days"]):
            self.stdout.write(f"removed {name}")
        self.stdout.write(str(folder))
