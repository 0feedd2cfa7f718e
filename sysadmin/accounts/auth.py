"""The authentication backend: a locked or inactive account cannot log in."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class LockoutAwareBackend(ModelBackend):
    """Refuses locked accounts and staff who have left or are on leave."""

    def get_user(self, user_id):
        """The person of a request with their branch in the same query: every page reads the
        branch (time zone, scope path), and a cheap request (the messages poll) stays at one query."""
        try:
            user = get_user_model()._default_manager.select_related("branch").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        if getattr(user, "locked_at", None) is not None:
            return False
        if getattr(user, "status", "active") != "active":
            return False
        return super().user_can_authenticate(user)
