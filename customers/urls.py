"""customers' routes, gathered from its areas.

Every area's fixed-word routes ("batch/", "feeds/", "sharing/with-me/" ...) come first; the
routes below one customer's number come last, under one "<str:number>/" include, so that
no fixed word can ever be read as a customer number. An area adds per-customer routes to
its `customer_urlpatterns` (paths relative to the number), never to `urlpatterns`.
"""

from django.urls import include, path

from customers.consent import urls as consent
from customers.ecif.feeds import urls as feeds
from customers.ecif.matching import urls as matching
from customers.fx import urls as fx
from customers.lifecycle import urls as lifecycle
from customers.maintenance import urls as maintenance
from customers.master import urls as master
from customers.ownership.assignment import urls as assignment
from customers.ownership.sharing import urls as sharing
from customers.profile import urls as profile

app_name = "customers"

AREAS = (master, maintenance, feeds, matching, lifecycle, assignment, sharing, profile, consent, fx)

customer_urlpatterns = [route for area in AREAS for route in getattr(area, "customer_urlpatterns", [])]

urlpatterns = [
    *(route for area in AREAS for route in getattr(area, "urlpatterns", [])),
    # Last, by construction: "<str:number>/" matches any single path segment.
    path("<str:number>/", include(customer_urlpatterns)),
]
