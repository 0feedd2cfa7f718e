"""The models of every customers area, gathered for Django (it loads `customers.master.models`) and
for the migrations, which name `document_path` and `maintenance_upload_path` here.

Each model lives in its area's models.py; import it from there in new code.
"""

from customers.consent.models import ContactPolicy
from customers.ecif.feeds.models import FeedError, FeedLoad, SourceRecord
from customers.ecif.matching.models import MatchCandidate, MatchRule, MergeRecord
from customers.lifecycle.models import LifecycleChange, RatingChange
from customers.maintenance.models import MaintenanceBatch, MaintenanceRow, maintenance_upload_path
from customers.master.models import (
    Address,
    ContactPoint,
    CorporateProfile,
    Customer,
    CustomerDocument,
    CustomerGroup,
    CustomerNamePair,
    CustomerNote,
    CustomerTag,
    ExternalAsset,
    FxRate,
    Holding,
    HoldingBalance,
    Household,
    IdentityDocument,
    Product,
    Relationship,
    RetailProfile,
    ServiceContact,
    Tag,
    Transaction,
    document_path,
)
from customers.ownership.assignment.models import AssignmentChange, AttributionRule, MarketingCredit
from customers.ownership.sharing.models import CustomerShare

__all__ = [
    "Address", "AssignmentChange", "ContactPolicy", "AttributionRule", "ContactPoint", "CorporateProfile", "Customer",
    "CustomerDocument", "CustomerGroup", "CustomerNamePair", "CustomerNote", "CustomerShare", "CustomerTag", "ExternalAsset",
    "FeedError", "FeedLoad", "FxRate", "Holding", "HoldingBalance", "Household", "IdentityDocument",
    "LifecycleChange", "MaintenanceBatch", "MaintenanceRow", "MarketingCredit", "MatchCandidate", "MatchRule",
    "MergeRecord", "Product", "RatingChange", "Relationship", "RetailProfile", "ServiceContact", "SourceRecord",
    "Tag", "Transaction", "document_path", "maintenance_upload_path",
]  # fmt: skip
