"""Merging two golden records into one, and undoing it (issue 4).

merge_customers() moves every row that points at the merged customer (holdings, transactions,
balances, contacts, documents, notes, relationships, group memberships, tags, source records
and whatever later apps attach to a customer: every foreign key to Customer is found through
the app registry) to the survivor with one UPDATE per table, decides each golden field by
survivorship, and keeps in a MergeRecord the ids it moved per table, the rows it had to delete
(a duplicate group membership, a relationship between the two customers) and both golden
records as they were. unmerge() puts all of it back. The survivor keeps its number; the
merged number resolves to the survivor (resolve_number) in URLs, search and the API.
review_decision() and undo_merge() are what the review and merge-history pages call; every
merge and unmerge is audited (customers.ecif.matching.events).
"""

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.ecif.matching import events
from customers.ecif.matching.models import MatchCandidate, MergeRecord
from customers.ecif.matching.rules import rules_for
from customers.master.models import ContactPoint, CorporateProfile, Customer, HoldingBalance, RetailProfile, Transaction
from customers.master.search import name_grams
from ocrm.audit import services as audit
from ocrm.errors import NotVisible, Refused

# Golden fields decided by survivorship (the first non-empty value in trust order wins).
SURVIVING_FIELDS = ("name_local", "name_latin", "risk_level")


# Consent flags: a "do not contact" from either record is kept (the stricter wins).
CONSENT_FLAGS = ("do_not_contact", "do_not_sms", "do_not_email")


# Tables that carry customer_id without a foreign key (denormalised for the 360 page).
DENORMALISED = (Transaction, HoldingBalance)


# Relations to Customer that a merge does not move: the golden record's own profile (decided by
# survivorship), the merge history itself and the review pairs (they keep naming both customers).
NOT_MOVED = {
    (Customer, "merged_into"),
    (RetailProfile, "customer"),
    (CorporateProfile, "customer"),
    (MatchCandidate, "customer_a"),
    (MatchCandidate, "customer_b"),
    (MergeRecord, "survivor"),
    (MergeRecord, "merged"),
}


MAX_MERGE_HOPS = 10


class MergeError(Refused):
    """A merge, an unmerge or a review decision refused (the message says why)."""


def resolve_number(bank_id, number):
    """The active customer a number stands for: itself, or the survivor its merges lead to. None if unknown."""
    customer = Customer.objects.filter(bank_id=bank_id, number=number).only("id", "number", "merged_into_id").first()
    for _hop in range(MAX_MERGE_HOPS):
        if customer is None or not customer.merged_into_id:
            break
        customer = Customer.objects.filter(pk=customer.merged_into_id).only("id", "number", "merged_into_id").first()
    return customer


def follow_merges(customer_ids):
    """The active customers the given ids stand for (a merged id becomes its survivor), one query per hop."""
    ids, result = set(customer_ids), set()
    for _hop in range(MAX_MERGE_HOPS):
        if not ids:
            break
        rows = list(Customer._base_manager.filter(pk__in=ids).values_list("pk", "merged_into_id"))
        result.update(pk for pk, into in rows if into is None)
        ids = {into for _pk, into in rows if into is not None}
    return result


def customer_references():
    """(model, foreign-key field) of every relation to Customer that a merge moves."""
    refs = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Customer and (model, field.name) not in NOT_MOVED:
                refs.append((model, field))
    return refs


def _table_key(model, column):
    return f"{model._meta.label_lower}.{column}"


def _dump(model, pks):
    return [audit._jsonable(row) for row in model._base_manager.filter(pk__in=pks).values()]


def _golden_row(customer):
    row = audit._jsonable(Customer._base_manager.filter(pk=customer.pk).values().get())
    profile_model = RetailProfile if customer.is_retail else CorporateProfile
    profile = profile_model._base_manager.filter(customer_id=customer.pk).values().first()
    return {"customer": row, "profile": audit._jsonable(profile) if profile else None}


def _move(model, column, survivor_id, merged_id):
    """Point every row of one table from merged to survivor. Rows that cannot move (a unique pair
    that would repeat, a relation that would point at itself) are deleted and dumped so unmerge
    can restore them. Returns (moved ids, deleted rows)."""
    table, pk = model._meta.db_table, model._meta.pk.column
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" SET "{column}" = %s WHERE "{column}" = %s RETURNING "{pk}"', [survivor_id, merged_id]
            )
            return [r[0] for r in cursor.fetchall()], []
    except IntegrityError:
        pass
    moved, deleted = [], []
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{pk}" FROM "{table}" WHERE "{column}" = %s ORDER BY "{pk}"', [merged_id])
        for (row_id,) in cursor.fetchall():
            try:
                with transaction.atomic():
                    cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk}" = %s', [survivor_id, row_id])
                moved.append(row_id)
            except IntegrityError:
                deleted.extend(_dump(model, [row_id]))
                model._base_manager.filter(pk=row_id)._raw_delete(model._base_manager.db)
    return moved, deleted


def _trust_order(survivor, merged, priority):
    """[first, second]: the record whose values win a disagreement. Trusted source priority first
    (a record's best source system), then the most recently updated; the survivor on a tie."""

    def rank(customer):
        ranks = [priority.index(s) for s in customer.source_systems if s in priority]
        return min(ranks) if ranks else len(priority)

    key = {
        survivor.pk: (rank(survivor), -survivor.updated_at.timestamp(), 0),
        merged.pk: (rank(merged), -merged.updated_at.timestamp(), 1),
    }
    return sorted([survivor, merged], key=lambda c: key[c.pk])


def _survivorship(survivor, merged, priority):
    """{field: value} for the survivor's customer row and its profile."""
    first, second = _trust_order(survivor, merged, priority)
    customer_values = {}
    for name in SURVIVING_FIELDS:
        customer_values[name] = getattr(first, name) or getattr(second, name)
    for name in CONSENT_FLAGS:
        customer_values[name] = getattr(survivor, name) or getattr(merged, name)
    customer_values["source_systems"] = sorted(set(survivor.source_systems) | set(merged.source_systems))
    if survivor.household_id is None:
        customer_values["household_id"] = merged.household_id
    customer_values["name_grams"] = name_grams(customer_values["name_local"], customer_values["name_latin"])
    profile_model = RetailProfile if survivor.is_retail else CorporateProfile
    profiles = {p.customer_id: p for p in profile_model._base_manager.filter(customer_id__in=[first.pk, second.pk])}
    profile_values = {}
    for field in profile_model._meta.concrete_fields:
        if field.primary_key:
            continue
        values = [field.value_from_object(profiles[c.pk]) for c in (first, second) if c.pk in profiles]
        chosen = next((v for v in values if v not in (None, "")), values[0] if values else None)
        if values:
            profile_values[field.attname] = chosen
    return customer_values, profile_values


CONTACTS_KEY = _table_key(ContactPoint, "customer_id")


def _demote_moved_primary_contacts(survivor_id, moved_ids):
    """One primary contact point per kind: a moved primary of a kind the survivor already has a
    primary of stops being primary (the survivor's own wins). Returns the demoted ids."""
    if not moved_ids:
        return []
    table = ContactPoint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS moved SET is_primary = false WHERE moved.customer_id = %s AND moved.is_primary '
            f'AND moved.id = ANY(%s) AND EXISTS (SELECT 1 FROM "{table}" own WHERE own.customer_id = moved.customer_id '
            f"AND own.kind = moved.kind AND own.is_primary AND NOT own.id = ANY(%s)) RETURNING moved.id",
            [survivor_id, moved_ids, moved_ids],
        )
        return sorted(r[0] for r in cursor.fetchall())


@transaction.atomic
def merge_customers(survivor, merged, actor, reason="", candidate=None):  # noqa: C901 - one transaction: lock, survivorship, move every reference, record; split it and the steps lose their shared locks
    """Merge `merged` into `survivor` (see the module doc). Returns the MergeRecord."""
    if survivor.pk == merged.pk:
        raise MergeError(_("A customer cannot be merged with itself."))
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.bank_id != merged.bank_id:
        raise MergeError(_("Customers of different banks are never merged."))
    if survivor.kind != merged.kind:
        raise MergeError(_("A retail and a corporate customer are never merged."))
    if survivor.merged_into_id or merged.merged_into_id:
        raise MergeError(_("One of the two customers has already been merged into another."))
    before = {"survivor": _golden_row(survivor), "merged": _golden_row(merged), "moved": {}, "deleted": {}}
    for model, field in customer_references():
        moved, deleted = _move(model, field.column, survivor.pk, merged.pk)
        if moved:
            before["moved"][_table_key(model, field.column)] = moved
        if deleted:
            before["deleted"][_table_key(model, field.column)] = deleted
    for model in DENORMALISED:
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" SET customer_id = %s WHERE customer_id = %s RETURNING id',
                [survivor.pk, merged.pk],
            )
            moved = [r[0] for r in cursor.fetchall()]
        if moved:
            before["moved"][_table_key(model, "customer_id")] = moved
    demoted = _demote_moved_primary_contacts(survivor.pk, before["moved"].get(CONTACTS_KEY, []))
    if demoted:
        before["demoted_primary_contacts"] = demoted
    priority = rules_for(survivor.bank_id)[survivor.kind].source_priority
    customer_values, profile_values = _survivorship(survivor, merged, priority)
    now = timezone.now()
    Customer._base_manager.filter(pk=survivor.pk).update(updated_at=now, **customer_values)
    profile_model = RetailProfile if survivor.is_retail else CorporateProfile
    if profile_values:
        profile_model._base_manager.filter(customer_id=survivor.pk).update(**profile_values)
    Customer._base_manager.filter(pk=merged.pk).update(merged_into=survivor, updated_at=now)
    record = MergeRecord.objects.create(
        bank_id=survivor.bank_id,
        survivor=survivor,
        merged=merged,
        merged_number=merged.number,
        candidate=candidate,
        reason=reason[:300],
        before_state=before,
        merged_by=actor,
        merged_at=now,
    )
    if candidate is not None:
        MatchCandidate.objects.filter(pk=candidate.pk).update(
            status=MatchCandidate.Status.MERGED, decided_by=actor, decided_at=now, reason=reason[:300]
        )
    after = _golden_row(Customer._base_manager.get(pk=survivor.pk))
    events.customer_merged(
        survivor,
        actor,
        record,
        audit.diff(before["survivor"]["customer"], after["customer"]),
        reason=reason,
        moved={k: len(v) for k, v in before["moved"].items()},
        demoted=len(demoted),
    )
    return record


@transaction.atomic
def unmerge(record, actor, reason=""):
    """Undo one merge: the moved rows go back, deleted rows return, both golden records get their
    before-state values. Merges into the same survivor are undone newest first."""
    record = MergeRecord.objects.select_for_update().get(pk=record.pk)
    if record.unmerged_at is not None:
        raise MergeError(_("This merge has already been undone."))
    survivor = Customer.objects.select_for_update().get(pk=record.survivor_id)
    merged = Customer.objects.select_for_update().get(pk=record.merged_id)
    if survivor.merged_into_id:
        raise MergeError(_("The surviving customer has since been merged into another: undo that merge first."))
    if merged.merged_into_id != survivor.pk:
        raise MergeError(_("The merged customer no longer points at the survivor."))
    later = MergeRecord.objects.filter(survivor_id=survivor.pk, unmerged_at__isnull=True, merged_at__gt=record.merged_at)
    if later.exists():
        raise MergeError(
            _("Later merges into this customer must be undone first: %(numbers)s.")
            % {"numbers": ", ".join(later.values_list("merged_number", flat=True))}
        )
    state = record.before_state
    labels = {_table_key(model, field.column): model for model, field in customer_references()}
    labels.update({_table_key(model, "customer_id"): model for model in DENORMALISED})
    for key, ids in state.get("moved", {}).items():
        model = labels.get(key)
        if model is None:
            raise MergeError(_("The table %(table)s of this merge no longer exists.") % {"table": key})
        column = key.rsplit(".", 1)[1]
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" SET "{column}" = %s WHERE "{model._meta.pk.column}" = ANY(%s) '
                f'AND "{column}" = %s',
                [merged.pk, ids, survivor.pk],
            )
    # The demoted contacts (back on the merged customer by now) were its primary ones.
    ContactPoint._base_manager.filter(pk__in=state.get("demoted_primary_contacts", [])).update(is_primary=True)
    for key, rows in state.get("deleted", {}).items():
        model = labels[key]
        for row in rows:
            model._base_manager.bulk_create([model(**_from_json(model, row))])
    for side in ("survivor", "merged"):
        golden = state[side]
        customer_row = _from_json(Customer, golden["customer"])
        customer_row.pop("id")
        Customer._base_manager.filter(pk=golden["customer"]["id"]).update(**customer_row)
        if golden["profile"]:
            profile_model = RetailProfile if golden["customer"]["kind"] == Customer.Kind.RETAIL else CorporateProfile
            profile_row = _from_json(profile_model, golden["profile"])
            pk = profile_row.pop("customer_id")
            profile_model._base_manager.filter(customer_id=pk).update(**profile_row)
    now = timezone.now()
    MergeRecord.objects.filter(pk=record.pk).update(unmerged_by=actor, unmerged_at=now)
    # An undone merge says the two are different people: never propose the pair again.
    a, b = sorted([survivor.pk, merged.pk])
    MatchCandidate.objects.update_or_create(
        customer_a_id=a,
        customer_b_id=b,
        defaults={
            "bank_id": survivor.bank_id,
            "status": MatchCandidate.Status.DIFFERENT,
            "decided_by": actor,
            "decided_at": now,
            "reason": (reason or _("merge undone"))[:300],
        },
        create_defaults={
            "bank_id": survivor.bank_id,
            "status": MatchCandidate.Status.DIFFERENT,
            "decided_by": actor,
            "decided_at": now,
            "reason": (reason or _("merge undone"))[:300],
            "score": 0,
            "found_by": "unmerge",
        },
    )
    events.customer_unmerged(survivor, actor, record, reason)
    record.refresh_from_db()
    return record


def _from_json(model, row):
    """A dumped row (JSON values, attnames) back to Python values the ORM writes as they were."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname in row:
            values[field.attname] = field.to_python(row[field.attname]) if row[field.attname] is not None else None
    return values


def _pending_candidate(candidate):
    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != MatchCandidate.Status.PENDING:
        raise MergeError(_("This pair has already been decided."))
    return candidate


@transaction.atomic
def decide_same(candidate, survivor, actor, reason=""):
    """'Same customer': merge the pair into `survivor` (one of its two customers)."""
    candidate = _pending_candidate(candidate)
    if survivor.pk not in (candidate.customer_a_id, candidate.customer_b_id):
        raise MergeError(_("The surviving customer must be one of the pair."))
    merged_id = candidate.customer_b_id if survivor.pk == candidate.customer_a_id else candidate.customer_a_id
    merged = Customer.objects.get(pk=merged_id)
    return merge_customers(survivor, merged, actor, reason=reason or _("review: same customer"), candidate=candidate)


@transaction.atomic
def decide_different(candidate, actor, reason):
    """'Different customers': remembered, so the pair is never proposed again."""
    if not (reason or "").strip():
        raise MergeError(_("Say why these are different customers."))
    candidate = _pending_candidate(candidate)
    now = timezone.now()
    MatchCandidate.objects.filter(pk=candidate.pk).update(
        status=MatchCandidate.Status.DIFFERENT, decided_by=actor, decided_at=now, reason=reason.strip()[:300]
    )
    events.pair_found_different(candidate, actor, candidate.status, reason.strip()[:300])
    candidate.refresh_from_db()
    return candidate


def review_decision(candidate, actor, decision, survivor_id=None, reason=""):
    """The review page's decision on a pending pair: "same" merges it into `survivor_id` (one
    of the pair, and a customer the actor may see), "different" remembers the pair as two people.
    Returns the MergeRecord, or the candidate."""
    if decision == "same":
        if str(survivor_id) not in (str(candidate.customer_a_id), str(candidate.customer_b_id)):
            raise MergeError(_("Choose which customer survives."))
        survivor = Customer.objects.visible_to(actor).filter(pk=survivor_id).first()
        if survivor is None:
            raise NotVisible
        return decide_same(candidate, survivor, actor, reason)
    if decision == "different":
        return decide_different(candidate, actor, reason)
    raise MergeError(_("Choose 'same customer' or 'different'."))


def undo_merge(record, actor, reason):
    """The merge history page's unmerge: a person says why."""
    reason = (reason or "").strip()
    if not reason:
        raise MergeError(_("Say why the merge is undone."))
    return unmerge(record, actor, reason)
