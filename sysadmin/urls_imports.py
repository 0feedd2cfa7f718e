"""URL patterns of this area (included by sysadmin/urls.py)."""

urlpatterns: list = []
