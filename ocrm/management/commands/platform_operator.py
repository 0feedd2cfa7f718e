"""`manage.py platform_operator USERNAME [--remove]`: make a person a platform operator (or no
longer one). Run on the server by whoever runs the platform: the role is no bank's, so no page of
a bank can grant it (docs/jobs.md). The person must belong to no bank; they may open Django admin
for the global beat schedules."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog

ROLE = "platform_operator"


class Command(BaseCommand):
    help = "Grant (or with --remove, take away) the platform operator role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--remove", action="store_true")

    @transaction.atomic
    def handle(self, username, remove=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if user.bank_id is not None:
            raise CommandError(f"{username} belongs to a bank; a platform operator belongs to none.")
        group = Group.objects.filter(name=ROLE).first()
        if group is None:
            raise CommandError("The platform_operator role is missing: run migrate first.")
        if remove:
            user.groups.remove(group)
            user.is_staff = user.is_superuser
        else:
            user.groups.add(group)
            user.is_staff = True
        user.save(update_fields=["is_staff"])
        audit.record(
            AuditLog.Action.UPDATE,
            user,
            actor_name="manage.py platform_operator",
            detail={"event": "platform_operator_removed" if remove else "platform_operator_granted"},
        )
        self.stdout.write(f"{username}: platform operator {'removed' if remove else 'granted'}.")
