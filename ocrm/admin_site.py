"""The project's Django admin site (INSTALLED_APPS names OcrmAdminConfig instead of
django.contrib.admin): admin's own pages, with its "view on site" redirect under the data scope.

Django's "view on site" (/admin/r/<content type>/<id>/) looks the object up unscoped and
redirects to its page, so another bank's administrator learned a customer's number from the
redirect's address. Here the object is looked up through its ModelAdmin (the same scope as
the admin's list and change pages): outside the scope, or of a model with no admin, it is a 404.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import path


class OcrmAdminSite(admin.AdminSite):
    def get_urls(self):
        scoped = path("r/<int:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site")
        return [scoped if getattr(url, "name", None) == "view_on_site" else url for url in super().get_urls()]

    def view_on_site(self, request, content_type_id, object_id):
        content_type = apps.get_model("contenttypes", "ContentType").objects.filter(pk=content_type_id).first()
        model_admin = self._registry.get(content_type.model_class()) if content_type else None
        if model_admin is None:
            raise Http404
        obj = model_admin.get_object(request, unquote(object_id))  # None outside the scope, or for a malformed id
        if obj is None or not model_admin.has_view_or_change_permission(request, obj) or not hasattr(obj, "get_absolute_url"):
            raise Http404
        return HttpResponseRedirect(obj.get_absolute_url())


class OcrmAdminConfig(AdminConfig):
    default_site = "ocrm.admin_site.OcrmAdminSite"
