"""Prospects: capture (checked against the bank's customers first), link to an existing customer,
convert into a new customer, drop. The duplicate check reuses the ECIF matching of
customers.ecif.matching (the same blocking keys, vetoes, weights and thresholds of the bank's
retail rules), run for one prospect; a customer holding the same identity document is a match
at once (the deterministic rule)."""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.ecif.matching.rules import rules_for
from customers.ecif.matching.services import _create_scored_pairs
from customers.master.models import ContactPoint, Customer, IdentityDocument
from customers.master.services import create_customer, normalise_contact, validate_identity_number
from marketing.credits.services import credit
from marketing.prospects.models import Prospect
from ocrm import parameters
from ocrm.errors import NotVisible

PARAMETERS = {
    "prospects.converter_is_primary_manager": (
        "bool",
        "true",
        gettext_lazy("Prospects: the manager who converts a prospect becomes the new customer's primary manager."),
    ),
}


@dataclasses.dataclass
class Candidate:
    customer: Customer
    score: float
    how: str  # "identity" or "scored"


class LikelyDuplicate(ValidationError):
    """Raised (rolling the capture or the conversion back) when the bank already has a likely match."""

    def __init__(self, candidates):
        super().__init__(_("This person may already be a customer: link the prospect to that customer instead."))
        self.candidates = candidates


def _clean(values, branch):
    """The stored form of the contact fields and the identity number (ValidationError by field)."""
    errors = {}
    cleaned = dict(values)
    cleaned["name"] = (values.get("name") or "").strip()
    if not cleaned["name"]:
        errors["name"] = _("Enter the name.")
    for field, kind in (("phone", ContactPoint.Kind.PHONE), ("email", ContactPoint.Kind.EMAIL)):
        text = (values.get(field) or "").strip()
        try:
            cleaned[field] = normalise_contact(kind, text, branch.country) if text else ""
        except ValidationError as error:
            errors[field] = error.messages
    id_type, id_number = values.get("id_type") or "", (values.get("id_number") or "").strip()
    if bool(id_type) != bool(id_number):
        errors["id_number"] = _("Give both the identity document type and its number, or neither.")
    elif id_number:
        try:
            cleaned["id_number"] = validate_identity_number(id_type, id_number)
        except ValidationError as error:
            errors["id_number"] = error.message_dict.get("number", error.messages)
    if not (cleaned.get("phone") or cleaned.get("email") or id_number):
        errors.setdefault("phone", _("Give a phone number, an e-mail address or an identity document."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def likely_duplicates(prospect):
    """Customers of the prospect's bank the ECIF rules call the same person, best first.
    Runs inside the caller's transaction (the matching's temporary tables drop at commit)."""
    rules = rules_for(prospect.bank_id)["retail"]
    found = {}
    if prospect.id_number_hash and "identity" in rules.deterministic:
        for customer_id in IdentityDocument.objects.filter(
            bank_id=prospect.bank_id,
            doc_type=prospect.id_type,
            number_hash=prospect.id_number_hash,
            customer__merged_into__isnull=True,
        ).values_list("customer_id", flat=True):
            found[customer_id] = (100.0, "identity")
    with transaction.atomic(), connection.cursor() as cursor:
        # One prospect as the matching's incoming side; no birth date or address is captured.
        left_sql = f"""SELECT p.id, 'retail'::text AS kind, p.name AS name_local, ''::text AS name_latin,
                              NULL::date AS birth_date, p.phone, p.email, ''::text AS address,
                              p.id_type, p.id_number_hash, ''::text AS registration_code
                         FROM marketing_prospect p WHERE p.id = {int(prospect.pk)}"""
        _create_scored_pairs(cursor, prospect.bank_id, left_sql, "retail", rules)
        cursor.execute(
            "SELECT customer_id, score FROM match_scored WHERE score >= %s ORDER BY score DESC, customer_id",
            [rules.lower],
        )
        for customer_id, score in cursor.fetchall():
            found.setdefault(customer_id, (float(score), "scored"))
        cursor.execute("DROP TABLE match_scored, match_pairs, match_left, match_crowded")
    customers = Customer.objects.select_related("branch", "primary_manager").in_bulk(list(found))
    candidates = [Candidate(customers[pk], score, how) for pk, (score, how) in found.items() if pk in customers]
    return sorted(candidates, key=lambda c: (-c.score, c.customer.number))


def _require_owner_in_bank(owner, branch):
    if owner.bank_id != branch.bank_id or branch.bank_id is None:
        raise ValidationError({"owner": _("Choose a manager of your bank.")})


def capture(values, *, owner, branch=None, actor=None, ignore_duplicates=False, link_to=None):
    """A new open prospect of `owner`. Refuses (LikelyDuplicate, nothing written) when the bank
    has a likely match, unless the user looked at the candidates and chose to capture anyway, or
    chose one of them (`link_to`): the prospect is then kept linked to that customer."""
    branch = branch or owner.branch
    if branch is None:
        raise ValidationError({"owner": _("The person credited must belong to a branch.")})
    _require_owner_in_bank(owner, branch)
    cleaned = _clean(values, branch)
    with transaction.atomic():
        prospect = Prospect(
            bank_id=branch.bank_id,
            branch=branch,
            owner=owner,
            name=cleaned["name"],
            phone=cleaned["phone"],
            email=cleaned["email"],
            id_type=cleaned.get("id_type") or "",
            source=cleaned.get("source") or Prospect.Source.WALK_IN,
            notes=(cleaned.get("notes") or "").strip(),
        )
        if cleaned.get("id_number"):
            prospect.set_id_number(cleaned["id_number"])
        prospect.full_clean(exclude=["id_number_hash", "id_number_encrypted", "id_number_masked", "customer"])
        prospect.save()
        if link_to is not None:
            return link(prospect.pk, link_to, actor or owner, visible=Prospect.objects.filter(pk=prospect.pk))
        if not ignore_duplicates:
            candidates = likely_duplicates(prospect)
            if candidates:
                raise LikelyDuplicate(candidates)
    return prospect


def _lock_open(prospect_id, visible):
    prospect = visible.select_for_update(of=("self",)).filter(pk=prospect_id).first()
    if prospect is None:
        raise NotVisible
    if prospect.status != Prospect.Status.OPEN:
        raise ValidationError(_("This prospect is no longer open."))
    return prospect


@transaction.atomic
def link(prospect_id, customer, actor, *, visible):
    """Mark the prospect as this existing customer (one of its likely duplicates)."""
    prospect = _lock_open(prospect_id, visible)
    if customer.pk not in {c.customer.pk for c in likely_duplicates(prospect)}:
        raise ValidationError({"customer": _("Link only to one of the likely duplicates shown.")})
    prospect.status, prospect.customer = Prospect.Status.LINKED, customer
    prospect.closed_at, prospect.closed_by = timezone.now(), actor
    prospect.save(update_fields=["status", "customer", "closed_at", "closed_by"])
    return prospect


@transaction.atomic
def convert(prospect_id, actor, *, visible, ignore_duplicates=False):
    """Create the customer (lifecycle stage "prospect") through customers' master service and
    credit the converting manager once ("prospect:<id>"). Checked for duplicates again first."""
    prospect = _lock_open(prospect_id, visible)
    if not ignore_duplicates:
        candidates = likely_duplicates(prospect)
        if candidates:
            raise LikelyDuplicate(candidates)
    make_primary = parameters.get("prospects.converter_is_primary_manager", prospect.bank_id)
    identity = None
    if prospect.id_number_encrypted:
        identity = {
            "doc_type": prospect.id_type,
            "number": prospect.clear_id_number(),
            "issuing_country": prospect.branch.country,
        }
    contacts = [
        {"kind": kind, "value": value, "is_primary": True}
        for kind, value in ((ContactPoint.Kind.PHONE, prospect.phone), (ContactPoint.Kind.EMAIL, prospect.email))
        if value
    ]
    customer = create_customer(
        {
            "kind": Customer.Kind.RETAIL,
            "name_local": prospect.name,
            "branch": prospect.branch,
            "primary_manager": actor if make_primary else None,
            "identity": identity,
            "contacts": contacts,
        },
        actor,
    )
    credit(customer=customer, manager=actor, source_key=f"prospect:{prospect.pk}", actor=actor)
    prospect.status, prospect.customer = Prospect.Status.CONVERTED, customer
    prospect.closed_at, prospect.closed_by = timezone.now(), actor
    prospect.save(update_fields=["status", "customer", "closed_at", "closed_by"])
    return prospect


@transaction.atomic
def drop(prospect_id, actor, *, visible):
    prospect = _lock_open(prospect_id, visible)
    prospect.status = Prospect.Status.DROPPED
    prospect.closed_at, prospect.closed_by = timezone.now(), actor
    prospect.save(update_fields=["status", "closed_at", "closed_by"])
    return prospect
