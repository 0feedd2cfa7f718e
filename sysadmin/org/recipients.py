"""The outbox's recipient resolver for staff (kind "staff", model sysadmin.staff): their own phone,
e-mail and language, their own time zone else their branch's (one query for any number of staff).
Registered from SysadminConfig.ready()."""

from ocrm.outbox import recipients
from sysadmin.org.models import Staff

KIND = "staff"


def resolve_staff(bank_id, ids):
    numeric = [int(i) for i in ids if str(i).isdigit()]
    found = {}
    for staff in Staff.objects.filter(bank_id=bank_id, pk__in=numeric, is_active=True).select_related("branch"):
        found[str(staff.pk)] = recipients.Recipient(
            kind=KIND,
            id=str(staff.pk),
            bank_id=bank_id,
            phone=staff.phone,
            email=staff.email,
            language=staff.language,
            time_zone=staff.effective_timezone,
            ref=staff.username,
            branch_path=staff.branch.path if staff.branch_id else "",
        )
    return found


def register():
    recipients.register_resolver(KIND, resolve_staff, model="sysadmin.staff")
