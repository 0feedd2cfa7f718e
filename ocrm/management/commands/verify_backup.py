"""manage.py verify_backup: check a backup (and optionally a restore of it) against its manifest."""

from django.core.management.base import BaseCommand, CommandError

from ocrm.datalife import backup


class Command(BaseCommand):
    help = (
        "Check a backup folder's dump and files against the SHA-256 sums of its manifest; with --database "
        "(and --media-root) also a restored copy's rows per table (and files)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup folder (holding manifest.json).")
        parser.add_argument("--database", help="A database restored from it, to compare row counts with.")
        parser.add_argument("--media-root", help="A folder its files were restored into.")

    def handle(self, *args, **options):
        try:
            problems = backup.verify_backup(options["backup"])
            if options["database"]:
                problems += backup.verify_restore(options["backup"], options["database"], options["media_root"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("backup verified")
