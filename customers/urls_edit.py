"""URL patterns of this area (included by customers/urls.py)."""

urlpatterns: list = []
