"""The branches' time zones as the kernel reads them: registered with ocrm.tenants from
SysadminConfig.ready(), so that the batch kernel can tell a bank's business date without
importing sysadmin."""

from sysadmin.org.models import Branch


def head_office(bank_id):
    """The zone name of the bank's head office: its root branch (the first by path when there are several)."""
    roots = Branch.objects.filter(bank_id=bank_id, parent__isnull=True).order_by("path")
    return roots.values_list("timezone", flat=True).first()


def branches(bank_id):
    """{branch id: zone name} of the bank's active branches."""
    return dict(Branch.objects.filter(bank_id=bank_id, is_active=True).order_by("path").values_list("pk", "timezone"))
