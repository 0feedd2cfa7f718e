"""A platform operator for the batch tests: a person of no bank holding the platform_operator role."""

from tests.factories import make_staff


def platform_operator(username="platform.op"):
    return make_staff(username, roles=["platform_operator"], is_staff=True)
