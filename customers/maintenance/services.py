"""Batch maintenance of customers: an XLSX/CSV of changes for many customers.

    batch = stage_file(uploaded_file, actor)   # read + check into staging; nothing else is written
    apply_batch(batch, actor)                  # write every planned change, one transaction
    queue_apply(batch, actor)                  # the same, on a Celery worker (files above a size)

Staging, the file checks (size, type sniffing, encodings, zip bomb, row limit, columns) and
the column/row machinery (Spec, RowState, duplicate flagging, cell parsers) are the kernel's
upload pipeline (ocrm.imports), as for every uploaded file.

Rules:
* One row per customer, keyed by customer_number; an empty cell leaves the value as it is.
* A column of a field that needs maker-checker in the bank (the one rule,
  ocrm.approvals.services.guarded_fields, which follows the parameter customers.checker_fields)
  rejects the whole file: those changes go one by one through the edit page and a checker.
* Tags must already exist in the bank (a typo must not create a new tag); add_tags and
  remove_tags take names separated by commas or 、.
* mobile / email set the customer's primary mobile / e-mail, normalised like the edit page
  (customers.master.services.normalise_contact, with the owning branch's country as default region).
* Apply is REFUSED while any row is invalid (not "valid rows only"): customer data is
  written all or nothing, and the error report says exactly what to fix. Apply re-checks
  every row, scope included, under a lock on the batch and on the customers; if a row has
  become invalid meanwhile, the new errors are stored and nothing is written.
* A file of more than customers.batch_sync_apply_max_rows rows is applied by a worker
  (tasks.apply_maintenance_batch, inside ocrm.batch.runs.job_run): a web request must not
  hold the locks, nor the person, for minutes, and a web server time-out would roll it back.
  The worker runs the same apply_batch, still one transaction; the batch page follows the
  job run (its progress is written on a connection of its own, outside that transaction).
* Unchanged rows are not touched (re-applying the same file changes nothing). Rows are
  saved with save() so the audit safety net records each field; tag links, which the net
  does not watch, get one explicit entry per customer with the tag lists before and after;
  the batch gets one summary entry.
"""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from customers.maintenance.models import APPLY_JOB, MaintenanceBatch
from customers.master.models import ContactPoint, CorporateProfile, Customer, CustomerTag, IdentityDocument, RetailProfile, Tag
from customers.master.services import IDENTITY, normalise_contact
from ocrm import parameters, pii
from ocrm.approvals import services as approvals
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.imports import staging
from ocrm.imports.models import ACTIVE_RUN
from ocrm.imports.readers import FileRejected
from ocrm.imports.specs import UNCHANGED, UPDATE, CellError, Column, Spec, boolean, choice_of, chunked, flag_duplicates, text
from ocrm.imports.specs import max_length as _max
from ocrm.imports.staging import ROW_WRITE_CHUNK, ApplyError
from ocrm.imports.workbook import template_xlsx

PERMISSION = "customers.maintain_batch"


APPLY_TASK = "customers.tasks_batch.apply_maintenance_batch"  # its pinned name (tasks.py imports this module)


PROGRESS_EVERY = 200  # rows written between two progress reports


TEMPLATE_KIND = "customers"


CUSTOMER_COLUMNS = ("risk_level", "do_not_contact", "do_not_sms", "do_not_email")


PROFILE_COLUMNS = ("occupation", "employer", "income_band", "education", "marital_status", "interests", "hobbies")


CONTACT_COLUMNS = {"mobile": ContactPoint.Kind.MOBILE, "email": ContactPoint.Kind.EMAIL}


TAG_COLUMNS = ("add_tags", "remove_tags")


TAGS = "tags"  # the key of the tag change in a row's planned changes


_TAG_SPLIT = re.compile(r"[,;，；、|]+")


# Chinese headers of fields a file may name although batch maintenance never writes them
# (they need a checker): recognised only so that the refusal can say why.
CHECKER_ONLY_LABELS = {
    "name_local": "姓名",
    "name_latin": "拼音姓名",
    "birth_date": "出生日期",
    "branch": "所属机构",
    "identity": "证件",
    "gender": "性别",
    "nationality": "国籍",
    "primary_manager": "主管客户经理",
}


def tag_names(value):
    names = []
    for part in _TAG_SPLIT.split(value):
        name = part.strip()
        if not name:
            continue
        if len(name) > Tag._meta.get_field("name").max_length:
            raise CellError(_("The tag name %(name)s is too long.") % {"name": name})
        if name not in names:
            names.append(name)
    return tuple(names)


def _column(key, label_zh, label, parse, help_text="", required=False):
    return Column(key, label_zh, label, parse, required=required, help=help_text)


EMPTY_KEEPS = gettext_lazy("Empty: unchanged.")


YES_NO = gettext_lazy("true/false, 1/0 or 是/否.")


# The allowed values as a person reads them (the labels, in the page's language), not the stored codes.
allowed_labels = lazy(lambda choices: pgettext("list separator", ", ").join(str(label) for label in choices.labels), str)


COLUMNS = (
    _column(
        "customer_number",
        "客户号",
        gettext_lazy("customer number"),
        text(_max(Customer, "number")),
        gettext_lazy("The customer's number; one row per customer."),
        required=True,
    ),
    _column(
        "add_tags",
        "添加标签",
        gettext_lazy("add tags"),
        tag_names,
        gettext_lazy("Names of existing tags, separated by commas or 、."),
    ),
    _column(
        "remove_tags",
        "移除标签",
        gettext_lazy("remove tags"),
        tag_names,
        gettext_lazy("Names of tags to take off, separated by commas or 、."),
    ),
    _column(
        "mobile",
        "手机号",
        gettext_lazy("mobile"),
        text(_max(ContactPoint, "value")),
        gettext_lazy("Becomes the primary mobile; without + it is read as a number of the owning branch's country."),
    ),
    _column(
        "email",
        "电子邮箱",
        gettext_lazy("e-mail"),
        text(_max(ContactPoint, "value")),
        gettext_lazy("Becomes the primary e-mail address."),
    ),
    _column("occupation", "职业", gettext_lazy("occupation"), text(_max(RetailProfile, "occupation")), EMPTY_KEEPS),
    _column("employer", "工作单位", gettext_lazy("employer"), text(_max(RetailProfile, "employer")), EMPTY_KEEPS),
    _column(
        "income_band",
        "收入水平",
        gettext_lazy("income band"),
        choice_of(RetailProfile.Income),
        allowed_labels(RetailProfile.Income),
    ),
    _column(
        "education",
        "学历",
        gettext_lazy("education"),
        choice_of(RetailProfile.Education),
        allowed_labels(RetailProfile.Education),
    ),
    _column(
        "marital_status",
        "婚姻状况",
        gettext_lazy("marital status"),
        choice_of(RetailProfile.Marital),
        allowed_labels(RetailProfile.Marital),
    ),
    _column("interests", "兴趣", gettext_lazy("interests"), text(_max(RetailProfile, "interests")), EMPTY_KEEPS),
    _column("hobbies", "爱好", gettext_lazy("hobbies"), text(_max(RetailProfile, "hobbies")), EMPTY_KEEPS),
    _column("risk_level", "风险等级", gettext_lazy("risk level"), choice_of(Customer.Risk), allowed_labels(Customer.Risk)),
    _column("do_not_contact", "禁止联系", gettext_lazy("do not contact"), boolean, YES_NO),
    _column("do_not_sms", "禁止短信", gettext_lazy("no SMS"), boolean, YES_NO),
    _column("do_not_email", "禁止邮件", gettext_lazy("no e-mail"), boolean, YES_NO),
)


MAINTAINABLE = {column.key for column in COLUMNS} - {"customer_number"}


class MaintenanceSpec(Spec):
    """The columns and row checks of one bank's batch-maintenance file."""

    kind = TEMPLATE_KIND
    title = gettext_lazy("Customer batch maintenance")
    natural_key_help = gettext_lazy("customer_number: each customer at most once per file.")

    def __init__(self, checker=()):
        self.checker = set(checker)
        extra = tuple(
            Column(key, CHECKER_ONLY_LABELS.get(key, key), key, text(10000))
            for key in sorted(self.checker)
            if key not in MAINTAINABLE and key != "customer_number"
        )
        self.columns = (*COLUMNS, *extra)

    def refused_columns(self, columns):
        return [key for key in columns if key in self.checker]

    def check_columns(self, columns):
        refused = self.refused_columns(columns)
        if refused:
            raise FileRejected(
                _(
                    "The column(s) %(columns)s change fields that need a checker's approval in this bank (parameter "
                    "customers.checker_fields); change them on each customer's edit page. Nothing was read from this file."
                )
                % {"columns": ", ".join(f"{key} ({self.column(key).label_zh})" for key in refused)}
            )

    def writable_columns(self):
        return [column for column in self.columns if column.key not in self.checker]

    def header_help(self):
        return ", ".join(f"{c.key} ({c.label_zh})" for c in self.writable_columns())

    def for_template(self):
        """The same spec showing only the columns a file of this bank may hold."""
        template = MaintenanceSpec(self.checker)
        template.columns = tuple(self.writable_columns())
        return template

    def check(self, bank, rows, actor):
        flag_duplicates(rows, "customer_number", lambda row: row.values.get("customer_number", ""), _("Customer"))
        customers = _customers_of(bank, actor, rows)
        state = _current_state(bank, customers.values(), rows)
        for row in rows:
            if row.has_error("customer_number") or not row.has("customer_number"):
                continue
            customer = customers.get(row.values["customer_number"])
            if customer is not None:
                _plan(row, customer, state)


def _customers_of(bank, actor, rows):
    """{number: Customer} of the rows' customers the actor may maintain; an error on every other row."""
    numbers = {row.values["customer_number"] for row in rows if row.has("customer_number")}
    found = {}
    for part in chunked(numbers):
        for customer in Customer.objects.filter(bank=bank, number__in=part).select_related("branch", "merged_into"):
            found[customer.number] = customer
    visible = set()
    for part in chunked([c.pk for c in found.values()]):
        visible.update(Customer.objects.visible_to(actor).filter(pk__in=part).values_list("pk", flat=True))
    usable = {}
    for row in rows:
        number = row.values.get("customer_number")
        if not number:
            continue
        customer = found.get(number)
        if customer is None:
            row.add_error(
                "customer_number", _("There is no customer with the number %(number)s in this bank.") % {"number": number}
            )
        elif customer.pk not in visible:
            row.add_error(
                "customer_number",
                _("Customer %(number)s is outside your data scope: you may not maintain this customer.") % {"number": number},
            )
        elif customer.merged_into_id:
            row.add_error(
                "customer_number",
                _("Customer %(number)s was merged into %(into)s: use that number.")
                % {"number": number, "into": customer.merged_into.number},
            )
        else:
            usable[number] = customer
    return usable


def _current_state(bank, customers, rows):
    """Profiles, primary contacts, tag links of the customers and the bank's tags the file names."""
    ids = [customer.pk for customer in customers]
    profiles, contacts, links = {}, {}, {}
    for part in chunked(ids):
        profiles.update({p.customer_id: p for p in RetailProfile.objects.filter(customer_id__in=part)})
        for contact in ContactPoint.objects.filter(customer_id__in=part, kind__in=CONTACT_COLUMNS.values()).order_by(
            "customer_id", "kind", "-is_primary", "pk"
        ):
            contacts.setdefault((contact.customer_id, contact.kind), contact)  # the primary one, else the oldest
        for link in CustomerTag.objects.filter(customer_id__in=part).select_related("tag"):
            links.setdefault(link.customer_id, {})[link.tag.name] = link.tag_id
    named = {name for row in rows for column in TAG_COLUMNS for name in row.values.get(column, ())}
    tags = dict(Tag.objects.filter(bank=bank, name__in=named).values_list("name", "pk")) if named else {}
    return {"profiles": profiles, "contacts": contacts, "links": links, "tags": tags}


def _masked(kind, value):
    if not value:
        return None
    return pii.mask_email(value) if kind == ContactPoint.Kind.EMAIL else pii.mask_phone(value)


def _plan(row, customer, state):  # noqa: C901 - one branch per maintainable column kind; a table of columns would hide the per-kind rules
    """row.changes {field: [before, after]} (contact values masked) and row.target, what apply writes."""
    row.existing = customer
    changes = {}
    target = {"customer": {}, "profile": {}, "contacts": {}, "add_tags": [], "remove_tags": []}
    for name in CUSTOMER_COLUMNS:
        if row.has(name) and getattr(customer, name) != row.values[name]:
            changes[name] = [getattr(customer, name), row.values[name]]
            target["customer"][name] = row.values[name]
    profile_columns = [name for name in PROFILE_COLUMNS if row.has(name)]
    if profile_columns and not customer.is_retail:
        for name in profile_columns:
            row.add_error(
                name,
                _("Customer %(number)s is a corporate customer; %(column)s belongs to retail customers only.")
                % {"number": customer.number, "column": name},
            )
    elif profile_columns:
        profile = state["profiles"].get(customer.pk)
        for name in profile_columns:
            before = getattr(profile, name) if profile is not None else ""
            if before != row.values[name]:
                changes[name] = [before, row.values[name]]
                target["profile"][name] = row.values[name]
    for column, kind in CONTACT_COLUMNS.items():
        if not row.has(column):
            continue
        try:
            value = normalise_contact(kind, row.values[column], customer.branch.country)
        except ValidationError as exc:
            row.add_error(column, " ".join(exc.messages))
            continue
        current = state["contacts"].get((customer.pk, kind))
        if current is None or current.value != value or not current.is_primary:
            changes[column] = [_masked(kind, current.value if current else ""), _masked(kind, value)]
            target["contacts"][kind] = (current.pk if current else None, value)
    _plan_tags(row, customer, state, changes, target)
    if row.valid:
        row.changes = changes
        row.target = target
        row.action = UPDATE if changes else UNCHANGED


def _plan_tags(row, customer, state, changes, target):
    adds, removes = row.values.get("add_tags", ()), row.values.get("remove_tags", ())
    if not adds and not removes:
        return
    for column, names in (("add_tags", adds), ("remove_tags", removes)):
        unknown = [name for name in names if name not in state["tags"]]
        if unknown:
            row.add_error(
                column,
                _(
                    "Unknown tag(s): %(names)s. Tags are created by the bank first; batch maintenance "
                    "only adds and removes existing ones."
                )
                % {"names": ", ".join(unknown)},
            )
    both = [name for name in adds if name in removes]
    if both:
        row.add_error("remove_tags", _("%(names)s is both added and removed in this row.") % {"names": ", ".join(both)})
    if row.has_error("add_tags") or row.has_error("remove_tags"):
        return
    current = state["links"].get(customer.pk, {})
    after = (set(current) | set(adds)) - set(removes)
    if after != set(current):
        changes[TAGS] = [sorted(current), sorted(after)]
        target["add_tags"] = [state["tags"][name] for name in adds if name not in current]
        target["remove_tags"] = [current[name] for name in removes if name in current]


def check_actor(actor):
    if actor is None or not actor.is_active or not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("You may not upload batch maintenance files."))
    if actor.bank_id is None:
        raise PermissionDenied(_("Your account belongs to no bank."))


def checker_columns(bank):
    """The columns a file of this bank may not hold: the fields of the models it writes that only
    an approved change request may change (ocrm.approvals.services.guarded_fields)."""
    bank_id = getattr(bank, "pk", bank)
    columns = set().union(*(approvals.guarded_fields(model, bank_id) for model in (Customer, RetailProfile, CorporateProfile)))
    if approvals.guarded_fields(IdentityDocument, bank_id):
        columns.add(IDENTITY)
    return columns


def spec_for(bank):
    return MaintenanceSpec(checker_columns(bank))


def stage_file(uploaded_file, actor):
    """Read and check `uploaded_file` (a Django File) into a new MaintenanceBatch of the actor's bank."""
    check_actor(actor)
    batch = MaintenanceBatch(bank=actor.bank, uploaded_by=actor)
    return staging.stage_file(batch, uploaded_file, spec_for(actor.bank), actor)


def apply_batch(batch, actor, progress=None):
    """Write every planned change of `batch` in one transaction, or nothing (ApplyError says why).
    Applying an applied batch again changes nothing. `progress(done, total)`, when given, is
    called after the re-check and after each chunk of written rows."""
    check_actor(actor)
    progress = progress or (lambda done, total: None)
    refusal = None
    with transaction.atomic(), audit.acting_as(actor):
        locked = (
            MaintenanceBatch.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("bank")
            .filter(pk=batch.pk)
            .first()
        )
        if locked is None:
            raise NotVisible
        if locked.status == MaintenanceBatch.Status.APPLIED:
            return locked
        if locked.status == MaintenanceBatch.Status.REJECTED:
            raise ApplyError(staging.rejected_message(locked))
        if locked.invalid_rows or not locked.total_rows:
            raise ApplyError(
                _(
                    "Nothing was applied: %(n)d row(s) have errors. Correct them as the error report says "
                    "and upload the file again."
                )
                % {"n": locked.invalid_rows}
            )
        spec = spec_for(locked.bank)
        refused = spec.refused_columns(locked.columns)
        if refused:
            raise ApplyError(
                _("Nothing was applied: since the upload, %(columns)s need a checker's approval.")
                % {"columns": ", ".join(refused)}
            )
        # Lock the customers (in id order: no deadlock with another batch) before re-checking them.
        numbers = list(locked.rows.values_list("customer_number", flat=True))
        for part in chunked(numbers):
            list(
                Customer.objects.filter(bank=locked.bank, number__in=part)
                .order_by("pk")
                .select_for_update(of=("self",))
                .values_list("pk", flat=True)
            )
        states = staging.recheck(locked, spec, actor)
        # Checking every row is about as much work as writing the changed ones.
        total = len(states) + locked.changed_rows
        progress(len(states), total)
        if locked.invalid_rows:
            # The rows' new errors are kept (they are staging, not customer data); nothing else is written.
            locked.save()
            refusal = _("Nothing was applied: since the upload, %(n)d row(s) became invalid (see the errors).") % {
                "n": locked.invalid_rows
            }
        else:
            _write(locked, states, actor, lambda written: progress(len(states) + written, total))
            staging.mark_applied(locked, actor)
    if refusal:
        raise ApplyError(refusal)
    return locked


def _write(batch, states, actor, written):
    changed = [state for state in states if state.action == UPDATE]
    profiles = {}
    profile_ids = [s.existing.pk for s in changed if s.target["profile"]]
    for part in chunked(profile_ids):
        profiles.update(RetailProfile.objects.in_bulk(part))
    links_to_add, links_to_remove = [], []
    for done, state in enumerate(changed, 1):
        if done % PROGRESS_EVERY == 0:
            written(done)
        customer, target = state.existing, state.target
        if target["customer"]:
            for name, value in target["customer"].items():
                setattr(customer, name, value)
            customer.save(update_fields=[*target["customer"], "updated_at"])
        if target["profile"]:
            profile = profiles.get(customer.pk) or RetailProfile(customer=customer)
            for name, value in target["profile"].items():
                setattr(profile, name, value)
            profile.save()
        for kind, (contact_id, value) in target["contacts"].items():
            _set_primary_contact(customer, kind, contact_id, value)
        links_to_add += [CustomerTag(customer=customer, tag_id=tag_id, added_by=actor) for tag_id in target["add_tags"]]
        links_to_remove += [(customer.pk, tag_id) for tag_id in target["remove_tags"]]
        if TAGS in state.changes:
            before, after = state.changes[TAGS]
            audit.record(
                AuditLog.Action.UPDATE,
                customer,
                actor=actor,
                changes={TAGS: [before, after]},
                detail={"batch": batch.pk, "row": state.row_number},
            )
    # Tag links are set-based: one insert, one delete per chunk.
    CustomerTag.objects.bulk_create(links_to_add, batch_size=ROW_WRITE_CHUNK, ignore_conflicts=True)
    for part in chunked(links_to_remove):
        condition = Q(pk__in=[])
        for customer_id, tag_id in part:
            condition |= Q(customer_id=customer_id, tag_id=tag_id)
        CustomerTag.objects.filter(condition).delete()


def _set_primary_contact(customer, kind, contact_id, value):
    """The customer's primary contact of `kind` becomes `value`: an existing contact with that
    value is promoted, else the current one is changed, else one is added. Saved one by one
    so that the safety net audits each (masked)."""
    contacts = list(ContactPoint.objects.filter(customer=customer, kind=kind).order_by("pk"))
    target = (
        next((c for c in contacts if c.value == value), None)
        or next((c for c in contacts if c.pk == contact_id), None)
        or ContactPoint(bank_id=customer.bank_id, customer=customer, kind=kind)
    )
    for other in contacts:
        if other.is_primary and other.pk != target.pk:
            other.is_primary = False
            other.save()
    target.value, target.is_primary = value, True
    target.save()


def applies_in_background(batch):
    return batch.total_rows > parameters.get("customers.batch_sync_apply_max_rows", batch.bank_id)


def latest_apply_run(batch):
    """The newest job run that applies (or applied, or failed to apply) `batch` on a worker, or None."""
    return batch.apply_run()


def queue_apply(batch, actor):
    """Hand the apply of `batch` to a worker (APPLY_TASK) and return
    its JobRun; while one is queued or running, that one is returned and nothing more queued."""
    check_actor(actor)
    with transaction.atomic():
        locked = MaintenanceBatch.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=batch.pk).first()
        if locked is None:
            raise NotVisible
        run = latest_apply_run(locked)
        if locked.status == MaintenanceBatch.Status.APPLIED or (run is not None and run.status in ACTIVE_RUN):
            return run
        if not locked.can_apply:
            raise ApplyError(
                staging.rejected_message(locked)
                if locked.status == MaintenanceBatch.Status.REJECTED
                else _(
                    "Nothing was applied: %(n)d row(s) have errors. Correct them as the error report says "
                    "and upload the file again."
                )
                % {"n": locked.invalid_rows}
            )
        run = staging.queue_apply_run(locked, actor, APPLY_JOB, APPLY_TASK)
        audit.record(AuditLog.Action.OTHER, locked, actor=actor, detail={"step": "queued", "job_run": run.pk})
    return run


def template_xlsx_for(bank):
    """The empty workbook of the bank's maintenance file (only the columns it may hold): (file, size)."""
    return template_xlsx(spec_for(bank).for_template(), TEMPLATE_KIND)
