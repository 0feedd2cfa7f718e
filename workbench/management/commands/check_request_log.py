from django.core.management.base import BaseCommand, CommandError

from ocrm.errors import NotVisible
from workbench.servicerequests import services


class Command(BaseCommand):
    help = "Verify a service request's hash-chained operation log and name the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument("reference")

    def handle(self, *args, reference, **options):
        try:
            request = services.get_by_reference(reference)
        except NotVisible:
            raise CommandError(f"No service request {reference}.") from None
        intact, problem = services.verify_log(request)
        if not intact:
            sequence, why = problem
            raise CommandError(f"{reference}: entry {sequence} is bad ({why}).")
        self.stdout.write(f"{reference}: log intact ({services.last_sequence(request)} entries).")
