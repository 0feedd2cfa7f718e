"""A platform operator for the batch tests: a person of no bank holding the platform_operator role."""

from django.contrib.auth.models import Group
from django.utils import timezone

from sysadmin.org.models import Staff
from tests.conftest import PASSWORD


def platform_operator(username="platform.op"):
    user = Staff.objects.create_user(username, password=PASSWORD, bank=None, is_staff=True)
    user.groups.add(Group.objects.get(name="platform_operator"))
    Staff.objects.filter(pk=user.pk).update(must_change_password=False, password_changed_at=timezone.now())
    return Staff.objects.get(pk=user.pk)  # fresh: no stale permission cache
