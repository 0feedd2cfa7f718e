"""The revenue feed (docs/profit-sharing.md, "Revenue feed"): a CSV or XLSX file of revenue
events from the core system's pre-processing layer, loaded for one bank all or nothing. Every
row and field is checked first (columns by English key or Chinese name, as every file reader of
the product maps them, ocrm.imports.readers); one error anywhere and nothing is written, the
errors naming row and field. A row whose source reference is already loaded with the same values
is skipped (a re-delivery loads nothing twice); with other values it is an error.

The job (crossborder.tasks.load_revenue_feeds) picks the files of each bank's inbox folder
(settings.REVENUE_FEED_INBOX/<bank code>/), loads them one by one and moves each to processed/
or, with an error report next to it, to rejected/."""

import datetime
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from celery import signature
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crossborder.agreements.models import CrossBorderAgreement
from crossborder.profitsharing.models import RevenueEvent, RevenueFeedUpload, RevenueType
from customers.master.models import Customer, Product
from ocrm import parameters
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.runs import run_key
from ocrm.imports import readers
from ocrm.imports.specs import Column, Columns
from sysadmin.org.models import Bank, Branch

logger = logging.getLogger("ocrm.feeds")

MAX_LISTED_ERRORS = 200
BATCH = 5000
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _col(key, label_zh, label, required=False):
    return Column(key, label_zh, label, None, required)


class RevenueFeedSpec(Columns):
    columns = (
        _col("source_reference", "来源编号", gettext_lazy("source reference"), True),
        _col("customer", "客户号", gettext_lazy("customer number"), True),
        _col("product", "产品代码", gettext_lazy("product code")),
        _col("revenue_type", "收入类型", gettext_lazy("revenue type"), True),
        _col("fee_type", "费用类型", gettext_lazy("fee type")),
        _col("amount", "金额", gettext_lazy("amount"), True),
        _col("currency", "币种", gettext_lazy("currency"), True),
        _col("booked_on", "记账日期", gettext_lazy("booking date"), True),
        _col("originating_branch", "发起机构", gettext_lazy("originating branch"), True),
        _col("servicing_branch", "服务机构", gettext_lazy("servicing branch"), True),
        _col("reversal_of", "冲正原编号", gettext_lazy("reversal of")),
        _col("reason", "冲正原因", gettext_lazy("reason")),
    )
    unknown_columns_text = gettext_lazy("Unknown columns: %(columns)s. The columns of the revenue feed are: %(known)s.")


SPEC = RevenueFeedSpec()


class FeedRejected(Exception):
    """The file is not loaded; `errors` are [{row, field, message}] (row 0: the whole file)."""

    def __init__(self, errors, more=0):
        self.errors, self.more = errors, more
        super().__init__("; ".join(f"{e['row']}/{e['field']}: {e['message']}" for e in errors[:5]))

    def report(self):
        lines = [f"{e['row']}\t{e['field']}\t{e['message']}" for e in self.errors]
        if self.more:
            lines.append(_("… and %(n)d more errors.") % {"n": self.more})
        return "\n".join(lines) + "\n"


@dataclass
class Parsed:
    row: int
    values: dict = field(default_factory=dict)


class _Errors:
    def __init__(self):
        self.items, self.more = [], 0

    def add(self, row, column, message):
        if len(self.items) < MAX_LISTED_ERRORS:
            self.items.append({"row": row, "field": column, "message": str(message)})
        else:
            self.more += 1

    def __bool__(self):
        return bool(self.items)


def _amount_minor(text):
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def _parse_row(row, data, errors):
    values = {}
    for column in SPEC.columns:
        if column.required and not data.get(column.key, "").strip():
            errors.add(row, column.key, _("%(column)s is required.") % {"column": column.label})
    reference = data.get("source_reference", "").strip()
    if len(reference) > 100:
        errors.add(row, "source_reference", _("At most 100 characters."))
    values["source_reference"] = reference
    values["customer"] = data.get("customer", "").strip()
    values["product"] = data.get("product", "").strip()
    revenue_type = data.get("revenue_type", "").strip().lower()
    if revenue_type and revenue_type not in RevenueType.values:
        errors.add(
            row,
            "revenue_type",
            _("Unknown revenue type %(value)s; use one of: %(known)s.")
            % {"value": revenue_type, "known": ", ".join(RevenueType.values)},
        )
    values["revenue_type"] = revenue_type
    fee_type = data.get("fee_type", "").strip()
    if len(fee_type) > 40:
        errors.add(row, "fee_type", _("At most 40 characters."))
    values["fee_type"] = fee_type
    _parse_money_and_day(row, data, values, errors)
    values["originating_branch"] = data.get("originating_branch", "").strip()
    values["servicing_branch"] = data.get("servicing_branch", "").strip()
    values["reversal_of"] = data.get("reversal_of", "").strip()
    values["reason"] = data.get("reason", "").strip()[:300]
    _check_reversal_row(row, values, errors)
    return Parsed(row, values)


def _parse_money_and_day(row, data, values, errors):
    amount_text = data.get("amount", "").strip()
    if amount_text:
        amount = _amount_minor(amount_text)
        if amount is None:
            errors.add(row, "amount", _("%(value)s is not an amount with at most two decimals.") % {"value": amount_text})
        elif amount == 0:
            errors.add(row, "amount", _("The amount cannot be zero."))
        values["amount_minor"] = amount
    currency = data.get("currency", "").strip().upper()
    if currency and not CURRENCY.match(currency):
        errors.add(row, "currency", _("Use a three-letter ISO 4217 code."))
    values["currency"] = currency
    day_text = data.get("booked_on", "").strip()
    if day_text:
        try:
            values["booked_on"] = datetime.date.fromisoformat(day_text[:10])
        except ValueError:
            errors.add(row, "booked_on", _("%(value)s is not a date (YYYY-MM-DD).") % {"value": day_text})


def _check_reversal_row(row, values, errors):
    amount = values.get("amount_minor")
    if values["reversal_of"]:
        if amount is not None and amount > 0:
            errors.add(row, "amount", _("A reversal's amount is negative."))
        if not values["reason"]:
            errors.add(row, "reason", _("Say why the revenue is reversed."))
    elif amount is not None and amount < 0:
        errors.add(row, "reversal_of", _("A negative amount is a reversal: name the source reference it reverses."))


def read(source, bank, errors):
    """[Parsed] of the file (bytes or a path), the cells' errors added to `errors`; FeedRejected
    when the file as a whole cannot be read."""
    parsed = []
    try:
        sheet = readers.SheetFile(source, SPEC, max_bytes=readers.upload_limit(bank))
        for row, data, stray in sheet.rows():
            if stray is not None:
                errors.add(row, "", _("A value in a column without a name in the first row."))
                continue
            parsed.append(_parse_row(row, data, errors))
    except readers.FileRejected as error:
        raise FeedRejected([{"row": 0, "field": "", "message": str(error)}]) from None
    if not parsed and not errors:
        raise FeedRejected([{"row": 0, "field": "", "message": _("The file has column names but no data rows.")}])
    return parsed


def _partner_bank_ids(bank):
    ids = {bank.pk}
    for a, b in CrossBorderAgreement.objects.of_bank(bank.pk).in_force().values_list("bank_a_id", "bank_b_id"):
        ids.update((a, b))
    return ids


def _no_progress(done, total):
    return None


def load(bank, source, progress=None):
    """Load the file for `bank` all or nothing. Returns {"rows", "loaded", "unchanged"}; raises
    FeedRejected (nothing written). A reversal names a revenue loaded by an earlier file.
    `progress(done, total)`, when given, follows the rows checked then written (2 per row)."""
    bank = bank if isinstance(bank, Bank) else Bank.objects.get(pk=bank)
    progress = progress or _no_progress
    errors = _Errors()
    rows = read(source, bank, errors)
    total = 2 * len(rows)
    progress(0, total)
    seen = _references(rows, errors)
    lookups = _lookups(bank, rows, set(seen))
    new, unchanged = [], 0
    for done, item in enumerate(rows, start=1):
        event = _event_of(bank, item, lookups, errors)
        if event == UNCHANGED:
            unchanged += 1
        elif event is not None:
            new.append(event)
        if done % BATCH == 0:
            progress(done, total)
    if not errors:
        _check_reversal_totals(new, errors)
    if errors:
        raise FeedRejected(errors.items, errors.more)
    written = len(rows) + unchanged
    progress(written, total)
    with transaction.atomic():
        for start in range(0, len(new), BATCH):
            chunk = new[start : start + BATCH]
            RevenueEvent.objects.bulk_create(chunk, batch_size=BATCH)
            written += len(chunk)
            progress(written, total)
    return {"rows": len(rows), "loaded": len(new), "unchanged": unchanged}


def _references(rows, errors):
    """{source reference: row}; a reference twice in the file is an error on its second row."""
    seen = {}
    for item in rows:
        reference = item.values["source_reference"]
        if reference and reference in seen:
            errors.add(
                item.row,
                "source_reference",
                _("%(value)s is also on row %(other)d.") % {"value": reference, "other": seen[reference]},
            )
        seen[reference] = item.row
    return seen


UNCHANGED = "unchanged"


def _lookups(bank, rows, references):
    """Everything the rows name, read in one query each."""
    own_branches = dict(Branch.objects.filter(bank=bank).values_list("code", "id"))
    serving = dict(Branch.objects.filter(bank_id__in=_partner_bank_ids(bank)).order_by("-bank_id").values_list("code", "id"))
    serving.update(own_branches)  # a code of the bank itself wins over a partner's
    references = references | {r.values["reversal_of"] for r in rows if r.values["reversal_of"]}
    products = {r.values["product"] for r in rows if r.values["product"]}
    return {
        "customers": dict(
            Customer.objects.filter(bank=bank, number__in={r.values["customer"] for r in rows}).values_list("number", "id")
        ),
        "products": dict(Product.objects.filter(bank=bank, code__in=products).values_list("code", "id")),
        "own_branches": own_branches,
        "serving": serving,
        "existing": {
            e.source_reference: e
            for e in RevenueEvent.objects.filter(bank=bank, source_reference__in=references).only(
                "id", "source_reference", "amount_minor", "currency", "booked_on", "reversal_of_id", "revenue_type", "fee_type"
            )
        },
    }


def _found(lookup, key, errors, row, column, message):
    found = lookup.get(key)
    if found is None:
        errors.add(row, column, message % {"value": key})
    return found


def _event_of(bank, item, lookups, errors):
    """The row's RevenueEvent (unsaved), UNCHANGED for a row loaded before, or None (errors added)."""
    v, row = item.values, item.row
    customer_id = _found(
        lookups["customers"], v["customer"], errors, row, "customer", _("No customer of the bank has the number %(value)s.")
    )
    product_id = None
    if v["product"]:
        product_id = _found(
            lookups["products"], v["product"], errors, row, "product", _("No product of the bank has the code %(value)s.")
        )
    originating = _found(
        lookups["own_branches"],
        v["originating_branch"],
        errors,
        row,
        "originating_branch",
        _("No branch of the bank has the code %(value)s."),
    )
    servicing = _found(
        lookups["serving"],
        v["servicing_branch"],
        errors,
        row,
        "servicing_branch",
        _("No branch of the bank or of a partner bank in force has the code %(value)s."),
    )
    original = _original_of(v, lookups["existing"], errors, row)
    loaded = lookups["existing"].get(v["source_reference"])
    if loaded is not None:
        if (loaded.amount_minor, loaded.currency, loaded.booked_on) != (v.get("amount_minor"), v["currency"], v.get("booked_on")):
            errors.add(
                row,
                "source_reference",
                _("%(value)s was loaded before with another amount, currency or date.") % {"value": v["source_reference"]},
            )
        return UNCHANGED
    return RevenueEvent(
        bank=bank,
        customer_id=customer_id,
        product_id=product_id,
        revenue_type=(original.revenue_type if original else v["revenue_type"]),
        fee_type=(original.fee_type if original else v["fee_type"]),
        amount_minor=v.get("amount_minor") or 0,
        currency=v["currency"],
        booked_on=v.get("booked_on"),
        source_reference=v["source_reference"],
        originating_branch_id=originating,
        servicing_branch_id=servicing,
        reversal_of=original,
        reversal_reason=v["reason"] if original else "",
    )


def _original_of(v, existing, errors, row):
    if not v["reversal_of"]:
        return None
    original = existing.get(v["reversal_of"])
    if original is None or original.amount_minor <= 0:
        errors.add(row, "reversal_of", _("No loaded revenue has the source reference %(value)s.") % {"value": v["reversal_of"]})
        return None
    if original.currency != v["currency"]:
        errors.add(
            row, "currency", _("A reversal is in the currency of its original (%(currency)s).") % {"currency": original.currency}
        )
    return original


def _check_reversal_totals(new, errors):
    """Reversals never exceed what is left of their original (earlier reversals included)."""
    by_original = {}
    for event in new:
        if event.reversal_of is not None:
            by_original.setdefault(event.reversal_of.pk, []).append(event)
    if not by_original:
        return
    already = {}
    for original_id, amount in RevenueEvent.objects.filter(reversal_of_id__in=by_original).values_list(
        "reversal_of_id", "amount_minor"
    ):
        already[original_id] = already.get(original_id, 0) + amount
    for original_id, events in by_original.items():
        original = events[0].reversal_of
        total = already.get(original_id, 0) + sum(e.amount_minor for e in events)
        if -total > original.amount_minor:
            errors.add(0, "amount", _("The reversals of %(value)s exceed its amount.") % {"value": original.source_reference})


# --- the inbox job -------------------------------------------------------------------------

JOB = "crossborder_revenue_feed"
EXTENSIONS = (".csv", ".xlsx")
SETTLE_SECONDS = 10  # a younger file may still be being copied in


def inbox_dir():
    return Path(getattr(settings, "REVENUE_FEED_INBOX", "") or Path(settings.OCRM_FEED_INBOX) / "revenue")


def _move(path, folder):
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}-{int(time.time())}{path.suffix}"
    path.rename(target)
    return target


def load_inbox_scope(run, scope):
    """The job's work for one bank: each settled file of <inbox>/<bank code>/ in name order, all
    or nothing per file; loaded files go to processed/, refused ones to rejected/ with a
    <file>.errors.txt naming row and field."""
    bank = Bank.objects.get(pk=scope.bank_id)
    folder = inbox_dir() / bank.code
    counts = {"files": 0, "loaded": 0, "unchanged": 0, "rejected_files": 0}
    if folder.is_dir():
        now = time.time()
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS):
            if now - path.stat().st_mtime < SETTLE_SECONDS:
                continue
            counts["files"] += 1
            try:
                summary = load(bank, str(path))
            except FeedRejected as error:
                counts["rejected_files"] += 1
                target = _move(path, "rejected")
                target.with_name(target.name + ".errors.txt").write_text(error.report(), encoding="utf-8")
                logger.warning("revenue feed %s of bank %s rejected: %s", path.name, bank.code, error)
                continue
            counts["loaded"] += summary["loaded"]
            counts["unchanged"] += summary["unchanged"]
            _move(path, "processed")
    run.count(**counts)


# --- the upload page ---------------------------------------------------------------------------

UPLOAD_JOB = "crossborder_revenue_upload"
UPLOAD_TASK = "crossborder.tasks.load_uploaded_revenue_feed"
UPLOAD_PERMISSION = "crossborder.add_revenueevent"


def upload(actor, uploaded_file):
    """Store a file uploaded on the revenue feed page and load it for the uploader's bank: in the
    request when it is at most profitsharing.feed_upload_sync_bytes, else on a worker (the page
    follows its progress). Every upload and its outcome is audited. Returns the RevenueFeedUpload."""
    bank = actor.bank
    limit = readers.upload_limit(bank)
    if uploaded_file.size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(limit)d MB: split it.") % {"limit": max(1, limit // (1024 * 1024))}}
        )
    content = uploaded_file.read()
    item = RevenueFeedUpload(
        bank=bank,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
        original_name=os.path.basename(uploaded_file.name or "feed")[:200],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    item.file.save(item.original_name, ContentFile(content), save=False)
    if len(content) <= parameters.get("profitsharing.feed_upload_sync_bytes", bank):
        item.save()
        audit.record(AuditLog.Action.IMPORT, item, actor=actor, detail={"step": "uploaded", **_summary(item)})
        return load_upload(item, actor, content)
    with transaction.atomic():
        item.save()
        item.job_run = JobRun.objects.create(
            job=UPLOAD_JOB, key=upload_run_key(item), bank_id=bank.pk, status=JobRun.Status.QUEUED, triggered_by=actor
        )
        item.save(update_fields=["job_run"])
        audit.record(AuditLog.Action.IMPORT, item, actor=actor, detail={"step": "queued", **_summary(item)})
        run_id = item.job_run_id
        transaction.on_commit(lambda: signature(UPLOAD_TASK, args=(item.pk, actor.pk, run_id)).delay())
    return item


def upload_run_key(item):
    return run_key(UPLOAD_JOB, item.bank_id, extra=f"upload:{item.pk}")


def load_upload(item, actor, source=None, progress=None):
    """Load an upload's file (all or nothing) and record the outcome on it and in the audit log."""
    try:
        summary = load(item.bank, source if source is not None else item.file.path, progress=progress)
    except FeedRejected as error:
        item.status, item.errors, item.more_errors = RevenueFeedUpload.Status.REJECTED, error.errors, error.more
    else:
        item.status, item.errors, item.more_errors = RevenueFeedUpload.Status.LOADED, [], 0
        item.rows, item.loaded, item.unchanged = summary["rows"], summary["loaded"], summary["unchanged"]
    item.save(update_fields=["status", "errors", "more_errors", "rows", "loaded", "unchanged"])
    audit.record(AuditLog.Action.IMPORT, item, actor=actor, detail={"step": item.status, **_summary(item)})
    return item


def _summary(item):
    return {
        "file": item.original_name,
        "sha256": item.sha256,
        "size": item.size,
        "rows": item.rows,
        "loaded": item.loaded,
        "unchanged": item.unchanged,
        "errors": len(item.errors) + item.more_errors,
    }
