"""What every page of the site stands on: the permission and data-scope mixins.

A page declares `permission_required`; anonymous visitors are sent to log in, a logged-in
user without the permission gets 403, and an object outside the user's data scope is a 404
(the queryset is restricted with `visible_to(user)` before the view touches it).
"""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin


class PermissionPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A page behind `permission_required`: anonymous visitors are sent to log in, a
    logged-in user without the permission gets 403."""

    def handle_no_permission(self):
        self.raise_exception = self.request.user.is_authenticated
        return super().handle_no_permission()


class ScopedQuerysetMixin(PermissionPageMixin):
    """Restrict the view's queryset to the user's data scope (404 outside it)."""

    model = None
    select_related = ()

    def get_base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        qs = self.get_base_queryset().visible_to(self.request.user)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return qs


class AnyPermissionMixin(PermissionPageMixin):
    """Open to holders of any one of `permissions_any`."""

    permissions_any = ()

    def has_permission(self):
        return any(self.request.user.has_perm(perm) for perm in self.permissions_any)


def is_htmx(request):
    """An htmx request asks for a fragment of the page, not the whole page."""
    return request.headers.get("HX-Request") == "true"
