"""Models arrive with the issues that build this app (see DESIGN.md §1)."""

from crossborder.agreements.models import CrossBorderAgreement  # noqa: E402,F401
from crossborder.requests.models import CrossBorderRequest, RequestEvent, RequestMessage, ServiceType  # noqa: E402,F401
