"""Creating and editing customers, with maker-checker for sensitive fields.

Which fields need a checker is the per-bank parameter "customers.checker_fields" (a JSON
list of field names; "identity" stands for the primary identity document). A change to
such a field is recorded as a pending ChangeRequest (ocrm.approvals.services) and applied by
apply_customer_update() when a different person with customers.approve_change approves
it; every other field is applied at once. The customer row's creation and changes are
audited by customers.master.events, the profile, identity and contact rows by the audit
safety net, with before/after, in the name of the person who made them (maker or checker).

customer_by_number() is the one way a route finds "customer C0000000123": in the user's
scope, their own bank's first, merged numbers followed to the survivor.

Values in a ChangeRequest are JSON: foreign keys as ids, dates as ISO text. An identity
number never appears there in clear: `changes` holds its masked form and `payload` its
ciphertext (ocrm.pii.encrypt).
"""

import dataclasses
import decimal
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master import events
from customers.master.filtersets import exact_match_condition, user_region
from customers.master.models import (
    Address,
    ContactPoint,
    CorporateProfile,
    Customer,
    CustomerDocument,
    CustomerGroup,
    CustomerNote,
    ExternalAsset,
    FxRate,
    Holding,
    Household,
    IdentityDocument,
    Product,
    Relationship,
    RetailProfile,
    ServiceContact,
    Tag,
)
from ocrm import links, parameters, pii
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit import services as audit
from ocrm.errors import NotVisible
from ocrm.notifications.services import notify
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch

ACTION_UPDATE = "customer.update"


CHECKER_PERM = "customers.approve_change"


IDENTITY = "identity"


NUMBER_SEQUENCE = "customers_customer_number_seq"


CUSTOMER_FIELDS = ("name_local", "name_latin", "branch", "risk_level", "do_not_contact", "do_not_sms", "do_not_email")


RETAIL_FIELDS = (
    "gender",
    "birth_date",
    "nationality",
    "occupation",
    "employer",
    "education",
    "marital_status",
    "income_band",
    "interests",
    "hobbies",
    "personality_notes",
    "preference_notes",
)


CORPORATE_FIELDS = (
    "registration_code",
    "industry",
    "legal_representative",
    "registered_capital",
    "capital_currency",
    "size",
    "founded_on",
    "is_listed",
)


IDENTITY_FIELDS = ("doc_type", "issuing_country", "expiry_date")


MAX_MERGE_HOPS = 5


MAX_LOOKUP_RESULTS = 10


@dataclasses.dataclass(frozen=True)
class NumberLookup:
    customer: Customer
    survivor: Customer | None = None  # set when the number was merged into another customer


def customer_by_number(user, number, *, queryset=None, select_related=()):
    """The customer numbered `number` that `user` may see (`queryset` narrows or replaces
    Customer.objects.visible_to(user)), and, when that number was merged away, the survivor
    its merges lead to. Numbers are unique per bank: a superuser, who sees several banks, gets
    their own bank's first. NotVisible when nothing in scope has the number, or its merges lead
    out of the scope."""
    visible = Customer.objects.visible_to(user) if queryset is None else queryset
    if select_related:
        visible = visible.select_related(*select_related)
    numbered = visible.filter(number=number)
    owned = Customer.objects.owned_part(user) if queryset is None else None
    if owned is not None:
        # A manager opens their own customers most: those first, without planning the grants' subqueries
        # (1M customers: the 360 page's customer query planned in 1.5 ms, of which ~1 ms is theirs).
        customer = next(iter(owned.select_related(*select_related).filter(number=number)[:1]), None)
        customer = customer or next(iter(numbered[:1]), None)
    elif scope_of(user) == "all" or queryset is not None:
        # Several banks may hold the number: the user's own bank's first.
        order = Case(When(bank_id=user.bank_id, then=Value(0)), default=Value(1), output_field=IntegerField())
        customer = numbered.order_by(order).first()
    else:
        # One bank, where numbers are unique: no order to compile (the 360 page and its sections look a customer up here).
        customer = next(iter(numbered[:1]), None)
    if customer is None:
        raise NotVisible
    survivor = customer
    for _hop in range(MAX_MERGE_HOPS):
        if survivor.merged_into_id is None:
            return NumberLookup(customer, survivor if survivor is not customer else None)
        survivor = visible.filter(pk=survivor.merged_into_id).first()
        if survivor is None:
            raise NotVisible
    raise NotVisible


def lookup_customers(actor, value, *, kind="", doc_type=""):
    """A teller's exact look-up across the actor's bank (by number, identity, phone or account),
    audited whatever it finds. Returns (customers, ids of those the actor may open)."""
    condition = None
    if actor.bank_id is not None:
        condition = exact_match_condition(
            value, bank_id=actor.bank_id, region=user_region(actor), kinds=[kind] if kind else None, doc_type=doc_type or None
        )
    customers = []
    if condition is not None:
        customers = list(
            Customer.objects.active()
            .filter(condition, bank_id=actor.bank_id)
            .select_related("branch", "primary_manager")
            .order_by("number")[:MAX_LOOKUP_RESULTS]
        )
    visible = (
        set(Customer.objects.visible_to(actor).filter(pk__in=[c.pk for c in customers]).values_list("pk", flat=True))
        if customers
        else set()
    )
    events.customer_looked_up(
        actor,
        customers,
        lookup=kind,
        value=value,
        doc_type=doc_type,
        summary=_("Customer look-up (%(n)d found)") % {"n": len(customers)},
    )
    return customers, visible


def register_handlers():
    """Called from CustomersConfig.ready()."""
    approvals.register(
        ACTION_UPDATE,
        apply=apply_customer_update,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Change customer data"),
        on_reject=reject_customer_update,
        field_labels={IDENTITY: gettext_lazy("identity document")},
    )
    # The one rule of which customer fields need a checker (ocrm.approvals.services.guard):
    # the bank's checker fields, and the manager, which only claims and reassignments change.
    approvals.guard(Customer, lambda bank_id: (checker_fields(bank_id) & set(CUSTOMER_FIELDS)) | {"primary_manager"})
    approvals.guard(RetailProfile, lambda bank_id: checker_fields(bank_id) & set(RETAIL_FIELDS))
    approvals.guard(CorporateProfile, lambda bank_id: checker_fields(bank_id) & set(CORPORATE_FIELDS))
    approvals.guard(
        IdentityDocument,
        lambda bank_id: {*IDENTITY_FIELDS, "number_masked", "is_primary"} if IDENTITY in checker_fields(bank_id) else set(),
    )


def profile_fields(kind):
    return RETAIL_FIELDS if kind == Customer.Kind.RETAIL else CORPORATE_FIELDS


def editable_fields(kind):
    return (*CUSTOMER_FIELDS, *profile_fields(kind), IDENTITY)


def _model_field(customer, name):
    model = Customer if name in CUSTOMER_FIELDS else (RetailProfile if customer.is_retail else CorporateProfile)
    return model._meta.get_field(name)


def _to_json(customer, name, value):
    """The JSON form of a field value, as a ChangeRequest and the audit log store it."""
    if name == "branch":
        return getattr(value, "pk", value)
    if value is None:
        return None
    field = _model_field(customer, name)
    value = field.to_python(value)
    if isinstance(value, decimal.Decimal):
        # 1000 and 1000.00 are the same amount: compare them in the column's own precision.
        value = value.quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
    return audit._jsonable(value)


def _from_json(customer, name, value):
    if name == "branch" or value is None:
        return value
    return _model_field(customer, name).to_python(value)


def _profile(customer):
    model = RetailProfile if customer.is_retail else CorporateProfile
    return model.objects.get_or_create(customer=customer)[0]


def primary_identity(customer):
    return IdentityDocument.objects.filter(customer=customer).order_by("-is_primary", "pk").first()


def identity_summary(document):
    """What a person may read about an identity document (never the clear number)."""
    if document is None:
        return None
    return {
        "doc_type": document.doc_type,
        "number_masked": document.number_masked,
        "issuing_country": str(document.issuing_country or ""),
        "expiry_date": audit._jsonable(document.expiry_date),
    }


def current_values(customer):
    """{field: JSON value} of every editable field of the customer."""
    profile = _profile(customer)
    values = {
        name: _to_json(customer, name, getattr(customer, "branch_id" if name == "branch" else name)) for name in CUSTOMER_FIELDS
    }
    values.update({name: _to_json(customer, name, getattr(profile, name)) for name in profile_fields(customer.kind)})
    values[IDENTITY] = identity_summary(primary_identity(customer))
    return values


def checker_fields(bank):
    value = parameters.get("customers.checker_fields", bank)
    return set(value) if isinstance(value, list) else set(parameters.default("customers.checker_fields"))


def normalise_contact(kind, value, region):
    """A contact value in its stored form: phones in E.164 (read with the branch's country
    as the default region), e-mail lower-case. ValidationError with a readable message."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("Enter a value."))
    if kind in (ContactPoint.Kind.MOBILE, ContactPoint.Kind.PHONE):
        try:
            parsed = phonenumbers.parse(text, str(region or "") or None)
        except phonenumbers.NumberParseException:
            raise ValidationError(_("%(value)s is not a phone number.") % {"value": text}) from None
        if not phonenumbers.is_valid_number(parsed):
            raise ValidationError(
                _(
                    "%(value)s is not a valid phone number in %(region)s; write a number of another country with + "
                    "and its country code."
                )
                % {"value": text, "region": region}
            )
        if kind == ContactPoint.Kind.MOBILE and phonenumbers.number_type(parsed) not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise ValidationError(_("%(value)s is not a mobile number.") % {"value": text})
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if kind == ContactPoint.Kind.EMAIL:
        text = text.lower()
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("%(value)s is not a valid e-mail address.") % {"value": text}) from None
    return text


def validate_identity_number(doc_type, number):
    """The canonical number, or ValidationError on the field "number"."""
    text = pii.normalise_id_number(number)
    if not text:
        raise ValidationError({"number": _("Enter the document number.")})
    if doc_type == IdentityDocument.Type.RESIDENT_ID and not pii.resident_id_is_valid(text):
        raise ValidationError(
            {
                "number": _("%(masked)s is not a valid resident ID number: the check digit or the birth date in it is wrong.")
                % {"masked": pii.mask_id(text)}
            }
        )
    return text


def _check_branch(customer_bank_id, branch_id):
    if not Branch.objects.filter(pk=branch_id, bank_id=customer_bank_id, is_active=True).exists():
        raise ValidationError({"branch": _("Choose an active branch of the customer's bank.")})


def number_scheme(bank):
    """The bank's customer-number scheme: (prefix, digits) from the parameters
    customers.number_prefix and customers.number_digits (one scheme per bank, so that customers
    created on a page are numbered like the ones its core system delivers)."""
    bank_id = getattr(bank, "pk", bank)
    return str(parameters.get("customers.number_prefix", bank_id) or ""), int(parameters.get("customers.number_digits", bank_id))


def prepare_number_sequence(cursor, bank_id):
    """Make the customer-number sequence safe to draw from set-based (matching's new golden records):
    moved past the highest number of the bank's scheme. Returns the scheme, (prefix, digits)."""
    prefix, digits = number_scheme(bank_id)
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [NUMBER_SEQUENCE])
    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {NUMBER_SEQUENCE}")
    _move_sequence_past_taken_numbers(cursor, bank_id, prefix, digits)
    return prefix, digits


def _move_sequence_past_taken_numbers(cursor, bank_id, prefix, digits):
    cursor.execute(
        f"""SELECT setval(%s, greatest((SELECT last_value FROM {NUMBER_SEQUENCE}),
                (SELECT coalesce(max(substr(number, %s)::bigint), 0) FROM customers_customer
                  WHERE bank_id = %s AND number ~ %s)))""",
        [NUMBER_SEQUENCE, len(prefix) + 1, bank_id, f"^{re.escape(prefix)}[0-9]{{{digits}}}$"],
    )


def next_customer_number(bank):
    """The bank's prefix + a zero-padded counter from one PostgreSQL sequence: race-free without
    locking any row. A number already taken (loaded from a feed, or by an earlier scheme) moves
    the sequence past the highest number of the bank's scheme at once, not one by one."""
    bank_id = getattr(bank, "pk", bank)
    prefix, digits = number_scheme(bank_id)
    with connection.cursor() as cursor:
        # The advisory lock makes the first creation of the sequence safe when two requests race.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [NUMBER_SEQUENCE])
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {NUMBER_SEQUENCE}")
        while True:
            cursor.execute("SELECT nextval(%s)", [NUMBER_SEQUENCE])
            value = cursor.fetchone()[0]
            if value >= 10**digits:
                raise ValidationError(
                    _(
                        "Customer numbers of this bank are used up (%(digits)s digits after %(prefix)s): "
                        "widen customers.number_digits."
                    )
                    % {"digits": digits, "prefix": prefix or "—"}
                )
            number = f"{prefix}{value:0{digits}d}"
            if not Customer.objects.filter(bank_id=bank_id, number=number).exists():
                return number
            _move_sequence_past_taken_numbers(cursor, bank_id, prefix, digits)


@transaction.atomic
def create_customer(data, actor):
    """Create a customer with its profile, optional identity document and contact points.

    data: kind, name_local, name_latin, branch, primary_manager, risk_level, do_not_* flags,
    "profile" {field: value}, "identity" {doc_type, number, issuing_country, expiry_date} or
    None, "contacts" [{kind, value, is_primary}]. The new customer must be in the actor's
    scope (else ValidationError on branch)."""
    branch = data["branch"]
    if actor.bank_id and branch.bank_id != actor.bank_id:
        raise ValidationError({"branch": _("Choose a branch of your bank.")})
    _check_branch(branch.bank_id, branch.pk)
    with audit.acting_as(actor):
        customer = Customer(
            bank_id=branch.bank_id,
            number=next_customer_number(branch.bank_id),
            kind=data["kind"],
            name_local=data["name_local"].strip(),
            name_latin=(data.get("name_latin") or "").strip(),
            branch=branch,
            primary_manager=data.get("primary_manager"),
            risk_level=data.get("risk_level") or "",
            **{flag: bool(data.get(flag)) for flag in ("do_not_contact", "do_not_sms", "do_not_email")},
        )
        customer.full_clean(exclude=["name_grams"])
        with audit.written_by_event(Customer):
            customer.save()
        events.customer_created(customer, actor)
        profile_model = RetailProfile if customer.is_retail else CorporateProfile
        profile_model.objects.create(
            customer=customer, **{k: v for k, v in (data.get("profile") or {}).items() if k in profile_fields(customer.kind)}
        )
        identity = data.get("identity")
        if identity:
            document = IdentityDocument(
                bank_id=customer.bank_id,
                customer=customer,
                doc_type=identity["doc_type"],
                issuing_country=identity["issuing_country"],
                expiry_date=identity.get("expiry_date"),
                is_primary=True,
            )
            document.set_number(validate_identity_number(identity["doc_type"], identity["number"]))
            document.save()
        for contact in data.get("contacts") or ():
            ContactPoint.objects.create(
                bank_id=customer.bank_id,
                customer=customer,
                kind=contact["kind"],
                value=normalise_contact(contact["kind"], contact["value"], branch.country),
                is_primary=bool(contact.get("is_primary")),
            )
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise ValidationError(
            {
                "branch": _(
                    "You could not see a customer of this branch and manager: choose a branch "
                    "in your scope, or yourself as the manager."
                )
            }
        )
    return customer


@dataclasses.dataclass
class UpdateResult:
    applied: dict  # {field: [before, after]} applied at once
    pending: dict  # {field: [before, after]} waiting for a checker
    change_request: object = None


def _identity_change(customer, requested, current_document):
    """({field: [before, after]} or {}, payload or {}) for a requested identity document."""
    doc_type = requested.get("doc_type")
    if not doc_type:
        return {}, {}
    number = requested.get("number") or ""
    new_number = validate_identity_number(doc_type, number) if number or current_document is None else None
    if new_number is None and doc_type == IdentityDocument.Type.RESIDENT_ID and current_document is not None:
        # The type changes to resident ID but the number stays: it must then be a valid one.
        validate_identity_number(doc_type, current_document.clear_number() or "")
    before = identity_summary(current_document)
    after = {
        "doc_type": doc_type,
        "number_masked": pii.mask_id(new_number) if new_number else before["number_masked"],
        "issuing_country": str(requested.get("issuing_country") or ""),
        "expiry_date": audit._jsonable(requested.get("expiry_date")),
    }
    number_changes = new_number is not None and (
        current_document is None or pii.keyed_hash(new_number) != current_document.number_hash
    )
    if after == before and not number_changes:
        return {}, {}
    if not after["issuing_country"]:
        raise ValidationError({"issuing_country": _("Choose the country that issued the document.")})
    payload = {key: after[key] for key in ("doc_type", "issuing_country", "expiry_date")}
    if number_changes:
        payload["number_encrypted"] = pii.encrypt(new_number)
    return {IDENTITY: [before, after]}, payload


def update_customer(customer, changes, actor, reason=""):  # noqa: C901 - the maker-checker split of one edit: direct fields, checker fields, identity, each with its refusal
    """Apply `changes` ({field: new value}; "identity": {doc_type, number, issuing_country,
    expiry_date}, a blank number keeps the current one) to a customer the actor may see.
    Checker fields become one pending ChangeRequest; the rest is applied at once. Returns
    an UpdateResult. ValidationError names the field; a customer outside the scope is NotVisible."""
    unknown = set(changes) - set(editable_fields(customer.kind))
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic(), audit.acting_as(actor):
        locked = (
            Customer.objects.visible_to(actor)
            .active()
            .select_for_update(of=("self",))
            .select_related("branch")
            .filter(pk=customer.pk)
            .first()
        )
        if locked is None:
            raise NotVisible
        customer = locked
        before = current_values(customer)
        diffs, payload = {}, {}
        for name, value in changes.items():
            if name == IDENTITY:
                identity_diff, identity_payload = _identity_change(customer, value or {}, primary_identity(customer))
                diffs.update(identity_diff)
                if identity_payload:
                    payload[IDENTITY] = identity_payload
                continue
            new = _to_json(customer, name, value)
            if name == "name_local" and not (new or "").strip():
                raise ValidationError({"name_local": _("The customer's name cannot be empty.")})
            if new != before[name]:
                diffs[name] = [before[name], new]
        if "branch" in diffs:
            _check_branch(customer.bank_id, diffs["branch"][1])
        needs_checker = checker_fields(customer.bank_id)
        pending = {k: v for k, v in diffs.items() if k in needs_checker}
        applied = {k: v for k, v in diffs.items() if k not in needs_checker}
        change_request = None
        if pending:
            waiting = set()
            for request in approvals.pending_for(customer).filter(action=ACTION_UPDATE):
                waiting |= set(request.changes) & set(pending)
            if waiting:
                raise ValidationError(
                    {
                        field if field != IDENTITY else "doc_type": _(
                            "A change of this field already awaits approval; wait for the decision."
                        )
                        for field in waiting
                    }
                )
            change_request = approvals.submit(
                action=ACTION_UPDATE,
                obj=customer,
                changes=pending,
                maker=actor,
                bank_id=customer.bank_id,
                branch_path=customer.branch.path,
                payload={k: v for k, v in payload.items() if k in pending},
                reason=reason or "",
            )
        if applied:
            _apply(customer, applied, {k: v for k, v in payload.items() if k in applied}, actor)
    return UpdateResult(applied=applied, pending=pending, change_request=change_request)


def _apply(customer, diffs, payload, actor, change_request=None):
    """Write {field: [before, after]} to the customer's rows: the customer row audited by the
    customer_updated event, the profile and identity rows by the safety net."""
    customer_fields = [name for name in diffs if name in CUSTOMER_FIELDS]
    before = audit.row_values(customer)
    for name in customer_fields:
        if name == "branch":
            customer.branch_id = diffs[name][1]
        else:
            setattr(customer, name, _from_json(customer, name, diffs[name][1]))
    if customer_fields:
        with audit.written_by_event(Customer):
            customer.save(update_fields=["branch" if n == "branch" else n for n in customer_fields] + ["updated_at"])
        events.customer_updated(customer, actor, audit.diff(before, audit.row_values(customer)), change_request=change_request)
    profile_changes = [name for name in diffs if name in profile_fields(customer.kind)]
    if profile_changes:
        profile = _profile(customer)
        for name in profile_changes:
            setattr(profile, name, _from_json(customer, name, diffs[name][1]))
        profile.full_clean(exclude=["customer"])
        profile.save(update_fields=profile_changes)
    if IDENTITY in diffs:
        values = payload[IDENTITY]
        document = primary_identity(customer) or IdentityDocument(bank_id=customer.bank_id, customer=customer, is_primary=True)
        document.doc_type, document.issuing_country = values["doc_type"], values["issuing_country"]
        document.expiry_date = _from_json_date(values.get("expiry_date"))
        if values.get("number_encrypted"):
            document.set_number(pii.decrypt(values["number_encrypted"]))
        document.save()


def _from_json_date(value):
    return IdentityDocument._meta.get_field("expiry_date").to_python(value) if value else None


def apply_customer_update(change_request, checker):
    """The approval handler: apply exactly the recorded changes, inside the approving
    transaction, to a customer that still exists, is visible to the checker and has not
    changed since the request (else the checker decided on stale values)."""
    customer = (
        Customer.objects.select_for_update(of=("self",)).select_related("branch").filter(pk=change_request.object_id).first()
    )
    if customer is None or customer.merged_into_id:
        raise ValidationError(_("The customer of this request no longer exists (or was merged); reject the request."))
    if not Customer.objects.visible_to(checker).filter(pk=customer.pk).exists():
        raise NotVisible
    now = current_values(customer)
    stale = [name for name, (before, _after) in change_request.changes.items() if now.get(name) != before]
    if stale:
        raise ValidationError(
            _("These fields changed since the request was made: %(f)s. Reject it and ask for a new one.")
            % {"f": ", ".join(stale)}
        )
    with audit.acting_as(checker):
        _apply(customer, change_request.changes, change_request.payload or {}, checker, change_request)
    _notify_maker_after_commit(change_request, gettext_lazy("Your change of customer data was approved"))


def reject_customer_update(change_request, checker):
    _notify_maker_after_commit(change_request, gettext_lazy("Your change of customer data was rejected"))


def _notify_maker_after_commit(change_request, title):
    """Tell the maker once the decision is committed; the reason is read then, because the
    kernel saves it after calling the handler."""
    request_id = change_request.pk

    def send():
        request = ChangeRequest.objects.select_related("maker").get(pk=request_id)
        number = Customer.objects.filter(pk=request.object_id).values_list("number", flat=True).first()
        notify(
            [request.maker],
            title,
            lambda _r: (
                _("%(customer)s: %(fields)s. %(reason)s")
                % {
                    "customer": request.object_repr,
                    "fields": ", ".join(approvals.field_labels(request)),
                    "reason": request.decision_reason,
                }
            ),
            link=links.url("customer", number) if number else "",
            event="approval_decision",
        )

    transaction.on_commit(send)


def contact_rows(customer, unmasked):
    """The customer's contact points as the contacts form edits them (values masked unless `unmasked`)."""
    return [
        {
            "id": c.pk,
            "kind": c.kind,
            "value": c.value if unmasked else c.masked_value,
            "is_primary": c.is_primary,
            "is_verified": c.is_verified,
            "opted_out": c.opted_out,
        }
        for c in ContactPoint.objects.filter(customer=customer).order_by("kind", "pk")
    ]


def contacts_shown(customer, actor):
    """The contact rows the contacts page opens with: in clear for actors who may unmask, and
    then audited as a view of personal data; masked for everyone else."""
    unmasked = actor.has_perm("customers.unmask_pii")
    rows = contact_rows(customer, unmasked)
    if unmasked and rows:
        events.contacts_viewed(customer, actor)
    return rows


@transaction.atomic
def save_contacts(customer, rows, actor):
    """Add, change and remove contact points in one go (they need no checker).

    rows: [{"id": existing id or None, "kind", "value", "is_primary", "is_verified",
    "opted_out", "delete": bool}]; value None keeps the stored value. Returns the number of
    rows written. ValidationError lists the row numbers (1-based) at fault."""
    customer = (
        Customer.objects.visible_to(actor).select_for_update(of=("self",)).select_related("branch").filter(pk=customer.pk).first()
    )
    if customer is None:
        raise NotVisible
    existing = {c.pk: c for c in ContactPoint.objects.filter(customer=customer)}
    errors, written = [], 0
    with audit.acting_as(actor):
        for number, row in enumerate(rows, start=1):
            contact = existing.get(row["id"]) if row.get("id") else None
            if row.get("id") and contact is None:
                errors.append(_("Row %(row)d: this contact point no longer exists.") % {"row": number})
                continue
            if row.get("delete"):
                if contact is not None:
                    contact.delete()
                    written += 1
                continue
            contact = contact or ContactPoint(bank_id=customer.bank_id, customer=customer)
            kind_changes = contact.kind != row["kind"]
            contact.kind = row["kind"]
            if row.get("value") is not None or kind_changes or not contact.value:
                try:
                    contact.value = normalise_contact(row["kind"], row.get("value") or "", customer.branch.country)
                except ValidationError as exc:
                    errors.append(_("Row %(row)d: %(error)s") % {"row": number, "error": " ".join(exc.messages)})
                    continue
            for flag in ("is_primary", "is_verified", "opted_out"):
                setattr(contact, flag, bool(row.get(flag)))
            if (
                contact.pk is None
                or ContactPoint.objects.filter(pk=contact.pk)
                .exclude(
                    kind=contact.kind,
                    value=contact.value,
                    is_primary=contact.is_primary,
                    is_verified=contact.is_verified,
                    opted_out=contact.opted_out,
                )
                .exists()
            ):
                contact.save()
                written += 1
    if errors:
        raise ValidationError(errors)
    return written


def register_audit():
    """The safety net: every single-row change of customer data is audited with before/after;
    contact values are recorded masked (the log says a phone changed, not the number)."""
    for model in (
        Customer, RetailProfile, CorporateProfile, IdentityDocument, ContactPoint, Address, Relationship, Household,
        Holding, ExternalAsset, ServiceContact, CustomerDocument, CustomerNote, Tag, CustomerGroup, Product, FxRate,
    ):  # fmt: skip
        audit.register(
            model,
            exclude=("name_grams", "updated_at", "number_encrypted", "number_hash"),
            masked={"value": mask_contact_value} if model is ContactPoint else None,
        )


def mask_contact_value(value):
    return pii.mask_email(value) if "@" in str(value) else pii.mask_phone(value)
