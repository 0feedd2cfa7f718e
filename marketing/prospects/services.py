"""Prospects: capture (checked against the bank's customers first), link to an existing customer,
convert into a new customer, drop. The duplicate check reuses the ECIF matching of
customers.ecif.matching (the same blocking keys, vetoes, weights and thresholds of the bank's
retail rules), run for one prospect; a customer holding the same identity document is a match
at once (the deterministic rule)."""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.ecif.matching.rules import rules_for
from customers.ecif.matching.services import score_incoming
from customers.master.models import ContactPoint, Customer, IdentityDocument
from customers.master.services import create_customer, normalise_contact, validate_identity_number
from marketing.credits.services import credit
from marketing.prospects.models import Prospect
from ocrm import parameters
from ocrm.errors import NotVisible
from ocrm.imports import readers, specs
from ocrm.imports.specs import Column, Columns

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


def _matches(bank_id, prospects):
    """{prospect id: {customer id: (score, how)}} for prospects of one bank, set-based: the same
    identity document (the deterministic rule), then the ECIF scored match
    (customers.ecif.matching.services.score_incoming) over all of them at once."""
    rules = rules_for(bank_id)["retail"]
    found = {p.pk: {} for p in prospects}
    if not found:
        return found
    with_documents = [p for p in prospects if p.id_number_hash]
    if with_documents and "identity" in rules.deterministic:
        wanted = {(p.id_type, p.id_number_hash): [] for p in with_documents}
        for p in with_documents:
            wanted[(p.id_type, p.id_number_hash)].append(p.pk)
        for doc_type, number_hash, customer_id in IdentityDocument.objects.filter(
            bank_id=bank_id,
            number_hash__in={h for _t, h in wanted},
            customer__merged_into__isnull=True,
        ).values_list("doc_type", "number_hash", "customer_id"):
            for prospect_id in wanted.get((doc_type, number_hash), ()):
                found[prospect_id][customer_id] = (100.0, "identity")
    ids = ", ".join(str(int(pk)) for pk in found)
    # The prospects as the matching's incoming side; no birth date or address is captured.
    left_sql = f"""SELECT p.id, 'retail'::text AS kind, p.name AS name_local, ''::text AS name_latin,
                          NULL::date AS birth_date, p.phone, p.email, ''::text AS address,
                          p.id_type, p.id_number_hash, ''::text AS registration_code
                     FROM marketing_prospect p WHERE p.id IN ({ids})"""
    for prospect_id, customer_id, score in score_incoming(bank_id, left_sql, "retail", rules):
        found[prospect_id].setdefault(customer_id, (score, "scored"))
    return found


def _candidates(found):
    customers = Customer.objects.select_related("branch", "primary_manager").in_bulk(list(found))
    candidates = [Candidate(customers[pk], score, how) for pk, (score, how) in found.items() if pk in customers]
    return sorted(candidates, key=lambda c: (-c.score, c.customer.number))


def likely_duplicates(prospect):
    """Customers of the prospect's bank the ECIF rules call the same person, best first."""
    return _candidates(_matches(prospect.bank_id, [prospect])[prospect.pk])


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


# --- XLSX/CSV upload ---------------------------------------------------------------------------------


class ProspectColumns(Columns):
    """The columns of a prospect upload (English key or Chinese name in row 1)."""

    columns = (
        Column("name", "姓名", gettext_lazy("name"), specs.text(200), True),
        Column("phone", "手机号码", gettext_lazy("phone"), specs.text(32)),
        Column("email", "电子邮箱", gettext_lazy("e-mail"), specs.text(254)),
        Column("id_type", "证件类型", gettext_lazy("identity document"), specs.choice_of(IdentityDocument.Type)),
        Column("id_number", "证件号码", gettext_lazy("identity number"), specs.text(40)),
        Column("source", "来源", gettext_lazy("source"), specs.choice_of(Prospect.Source)),
        Column("notes", "备注", gettext_lazy("notes"), specs.text(2000)),
    )


def _row_error(row, field, message):
    label = ProspectColumns().column(field).label if field in {c.key for c in ProspectColumns.columns} else field
    return row, _("Row %(row)d, %(field)s: %(message)s") % {"row": row, "field": label, "message": message}


def _checked_rows(table, branch):
    """[(row number, cleaned values)] of the rows that pass the capture's checks, and the errors."""
    errors, cleaned_rows = [], []
    spec = ProspectColumns()
    for number, data in table.rows:
        values, row_ok = {}, True
        for column in spec.columns:
            raw = data.get(column.key, "")
            if raw == "":
                continue
            try:
                values[column.key] = column.parse(raw)
            except specs.CellError as error:
                errors.append(_row_error(number, column.key, str(error)))
                row_ok = False
        if not row_ok:
            continue
        try:
            cleaned_rows.append((number, _clean(values, branch)))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.extend(_row_error(number, field, message) for message in messages)
    return cleaned_rows, errors


def _repeated_in_file(cleaned_rows):
    """The same identity document, phone or e-mail on two rows of the file: both rows are named."""
    errors = []
    for key in ("id_number", "phone", "email"):
        rows_of = {}
        for number, cleaned in cleaned_rows:
            if cleaned.get(key):
                value = (cleaned.get("id_type", ""), cleaned[key]) if key == "id_number" else cleaned[key]
                rows_of.setdefault(value, []).append(number)
        for numbers in rows_of.values():
            for number in numbers if len(numbers) > 1 else ():
                others = ", ".join(str(n) for n in numbers if n != number)
                errors.append(_row_error(number, key, _("the same value as row %(rows)s.") % {"rows": others}))
    return errors


def _duplicate_errors(found, numbers):
    duplicates = {pk: matches for pk, matches in found.items() if matches}
    if not duplicates:
        return []
    customers = dict(Customer.objects.filter(pk__in={c for m in duplicates.values() for c in m}).values_list("pk", "number"))
    errors = []
    for pk, matches in duplicates.items():
        field = "id_number" if any(how == "identity" for _s, how in matches.values()) else "name"
        listed = ", ".join(sorted(customers[c] for c in matches if c in customers))
        message = _("this person may already be customer %(numbers)s: capture the row on its own and link it.")
        errors.append(_row_error(numbers[pk], field, message % {"numbers": listed}))
    return errors


def upload(content, *, owner):
    """Prospects of `owner` from an XLSX/CSV file (the upload pipeline's reader and limits):
    every row is checked like a captured prospect, then against the other rows of the file and
    the bank's customers (the ECIF duplicate check, set-based over the whole file). All or
    nothing: one bad row (named by row and field) and no prospect is kept. Returns the prospects."""
    branch = owner.branch
    if branch is None:
        raise ValidationError(_("The person credited must belong to a branch."))
    try:
        table = readers.read_table(
            content, ProspectColumns(), max_rows=readers.row_limit(branch.bank_id), max_bytes=readers.upload_limit(branch.bank_id)
        )
    except readers.FileRejected as error:
        raise ValidationError(str(error)) from error
    cleaned_rows, errors = _checked_rows(table, branch)
    errors += _repeated_in_file(cleaned_rows)
    if errors:
        raise ValidationError([text for _row, text in sorted(set(errors))])
    with transaction.atomic():
        prospects = []
        for _number, cleaned in cleaned_rows:
            prospect = Prospect(
                bank_id=branch.bank_id,
                branch=branch,
                owner=owner,
                name=cleaned["name"],
                phone=cleaned["phone"],
                email=cleaned["email"],
                id_type=cleaned.get("id_type") or "",
                source=cleaned.get("source") or Prospect.Source.OTHER,
                notes=(cleaned.get("notes") or "").strip(),
            )
            if cleaned.get("id_number"):
                prospect.set_id_number(cleaned["id_number"])
            prospects.append(prospect)
        Prospect.objects.bulk_create(prospects)
        numbers = {p.pk: number for p, (number, _c) in zip(prospects, cleaned_rows, strict=True)}
        errors = _duplicate_errors(_matches(branch.bank_id, prospects), numbers)
        if errors:
            transaction.set_rollback(True)
            raise ValidationError([text for _row, text in sorted(errors)])
    return prospects
