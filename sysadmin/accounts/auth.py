"""The authentication backend: a locked or inactive account cannot log in."""

from django.contrib.auth.backends import ModelBackend


class LockoutAwareBackend(ModelBackend):
    """Refuses locked accounts and staff who have left or are on leave."""

    def user_can_authenticate(self, user):
        if getattr(user, "locked_at", None) is not None:
            return False
        if getattr(user, "status", "active") != "active":
            return False
        return super().user_can_authenticate(user)
