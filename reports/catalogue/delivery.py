"""Report files: the XLSX of a report page (its export and its scheduled delivery) and the
subscriptions' schedule.

A subscription's next delivery is the next local time of the subscriber's own zone (their
setting, else their branch's) on a day its frequency names, stored as a UTC instant and worked out
again after each run: across a daylight-saving change the local time stays and the UTC instant
moves. A local time that does not exist that day (the clocks jump over it) is read with the offset
before the change, so the delivery comes an hour later that one day rather than never.

A delivery reads the newest snapshot with the subscriber's filters and scope as they are on the
day it runs (a lost permission or a branch no longer in scope fails the run with its reason); an
empty report is skipped and logged when the subscriber asked for that, else the file lands in
their "my exports" with a notification."""

import calendar
import contextlib
import datetime
import logging
import time

import psycopg
from celery import signature
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.master.models import Product
from ocrm import links, parameters
from ocrm.errors import NotVisible
from ocrm.lists import background, events
from ocrm.lists.exports import XlsxWriter, file_properties
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify
from ocrm.outbox import services as outbox
from ocrm.outbox.models import Channel
from reports.catalogue import definitions, services
from reports.catalogue.forms import FilterForm
from reports.catalogue.models import ReportSubscription, SubscriptionRun
from reports.snapshots import db

logger = logging.getLogger("reports.catalogue.delivery")

PERMISSION = "reports.view_reports"
DUE_BATCH = 500


# --- the report as a file -------------------------------------------------------------------------


def product_choices(bank_id):
    if bank_id is None:
        return []
    products = Product.objects.filter(bank_id=bank_id).order_by("code").only("id", "code", "name_local", "name_en")
    return [(p.pk, services.product_label(p)) for p in products]


def compute(user, report, query, *, everything=False):
    """The report for `user` with the filters of `query` (a QueryDict). ValidationError for bad
    filters, NotVisible for a branch or manager outside the user's scope."""
    reader = services.Reader.of(user)
    products = product_choices(reader.bank_id) if report.uses_product else ()
    form = FilterForm(query, report=report, products=products)
    if not form.is_valid():
        raise ValidationError(form.errors)
    filters = services.resolve(reader, form.cleaned_data, query)
    filters.everything = everything
    return definitions.run(report, reader, filters)


def lists_customers(result):
    return result.level.by == services.BY_CUSTOMER


def filename_of(result):
    return f"report-{result.report.key}-{result.filters.date:%Y%m%d}" if result.filters.date else f"report-{result.report.key}"


def write(result, user, progress=None):
    """The report's workbook: the main table, then a sheet per section. (file, size, rows).
    With `progress` (a run on the worker) the rows written are reported every WRITE_CHUNK."""
    title = str(result.report.title)
    writer = XlsxWriter(file_properties(user=user, title=title))
    written = 0

    def wrote():
        nonlocal written
        written += 1
        if progress is not None and written % WRITE_CHUNK == 0:
            progress.done(written)

    try:
        rows = definitions.table_rows(result)
        main = writer.add_sheet(_("Report"), next(rows), widths=(40,))
        for row in rows:
            main.append(row)
            wrote()
        for section in result.sections:
            sheet = writer.add_sheet(str(section.title), [str(h) for h in section.header], widths=(30,))
            for row in [*section.rows, *([section.total] if section.total else [])]:
                sheet.append(row)
                wrote()
        handle, size = writer.save()
    except Exception:
        writer.discard()
        raise
    return handle, size, main.rows


def audit_export(result, user, query, rows, request=None):
    """Every report file is written to the audit log; the customers step names customers."""
    events.export_written(
        request=request,
        actor=None if request is not None else user,
        bank_id=None if request is not None else user.bank_id,
        object_type="customers.customer" if lists_customers(result) else "reports.report",
        filename=filename_of(result),
        rows=rows,
        query=query,
        pii=False,
        report=result.report.key,
    )


def to_my_exports(result, user, query, *, title=None, object_type=None):
    """Write the report into the user's "my exports" (a finished ExportFile); returns it."""
    handle, size, rows = write(result, user)
    now = timezone.now()
    with handle:
        export = ExportFile(
            owner=user,
            bank_id=user.bank_id,
            title=str(title or result.report.title)[:200],
            url_name=result.report.url_name,
            query=query,
            object_type=object_type or ("customers.customer" if lists_customers(result) else "reports.report"),
            filename=filename_of(result),
            status=ExportFile.Status.DONE,
            progress_done=rows,
            progress_total=rows,
            row_count=rows,
            size=size,
            started_at=now,
            finished_at=now,
        )
        export.file.save(f"{export.filename}.xlsx", File(handle), save=False)
        export.save()
    audit_export(result, user, query, rows)
    return export


# --- long reports: a time limit, and the worker with progress and cancel -------------------------

WORK_MEM = "64MB"  # as the analyses' statements (reports/analyses/sql.py)
LONG_RANGE_DAYS = 92  # a range report over more days than this runs on the worker
WRITE_CHUNK = 1000


class ReportTimedOut(Exception):
    """The report took longer than its time limit; the message says so (never "no data")."""


def timed_out_message(seconds):
    return _(
        "The report took longer than %(n)d seconds and was stopped, so it shows nothing rather than "
        "incomplete figures. Narrow the filters (a branch, a shorter range) or run it on the worker."
    ) % {"n": seconds}


@contextlib.contextmanager
def time_limited(seconds):
    """Every statement of the report under PostgreSQL's statement_timeout (local to a transaction
    of its own on each database the report reads); a statement cancelled for it is ReportTimedOut.
    The same transaction has the analyses' larger work_mem: a comparison's join of two days of
    customer rows hashes in memory instead of spilling to disk in batches."""
    aliases = {DEFAULT_DB_ALIAS, db.reading()}
    try:
        with contextlib.ExitStack() as stack:
            for alias in sorted(aliases):
                stack.enter_context(transaction.atomic(using=alias))
                with connections[alias].cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true), set_config('work_mem', %s, true)",
                        [str(int(seconds * 1000)), WORK_MEM],
                    )
            yield
    except OperationalError as error:
        if isinstance(error.__cause__, psycopg.errors.QueryCanceled):
            raise ReportTimedOut(timed_out_message(seconds)) from error
        raise


def runs_long(reader, filters):
    """Whether the report's file is written on the worker rather than in the request: the
    customers step of more rows than export.sync_max_rows, or a range of more than a quarter."""
    if filters.date is None:
        return False
    if filters.by == services.BY_CUSTOMER:
        return services.customer_rows(reader, filters).count() > parameters.get("export.sync_max_rows", reader.bank_id)
    return (filters.date - filters.range_start).days > LONG_RANGE_DAYS


def _worker_query(query):
    query = query.copy()
    for name in ("export", "background", "page"):
        query.pop(name, None)
    return query


def queue(user, report, query, *, lists_customers=False):
    """A report file for "my exports", written by the worker (ocrm.lists' export task, which
    rebuilds the report page as its owner and calls its export()). Returns the ExportFile."""
    query = _worker_query(query)
    with transaction.atomic():
        export = ExportFile.objects.create(
            owner=user,
            bank_id=user.bank_id,
            title=str(report.title)[:200],
            url_name=report.url_name,
            query=query.urlencode(),
            object_type="customers.customer" if lists_customers else "reports.report",
            filename=f"report-{report.key}",
            pii=False,
        )
        transaction.on_commit(lambda: signature(background.RUN_TASK, args=(export.pk,)).delay())
    return export


class _Progress:
    """Rows written so far, stored on the ExportFile (and the job run); a cancellation by the
    owner, or the time limit, stops the run at the next chunk."""

    def __init__(self, export, run, seconds):
        self.export, self.run, self.seconds = export, run, seconds
        self.deadline = time.monotonic() + seconds

    def check(self):
        if ExportFile.objects.filter(pk=self.export.pk, status=ExportFile.Status.CANCELLED).exists():
            raise background.ExportCancelled
        if time.monotonic() > self.deadline:
            raise background.ExportRefused(timed_out_message(self.seconds))

    def total(self, total):
        ExportFile.objects.filter(pk=self.export.pk).update(progress_total=total, progress_done=0)
        if self.run is not None:
            self.run.set_total(total)

    def done(self, written):
        ExportFile.objects.filter(pk=self.export.pk).update(progress_done=written)
        if self.run is not None:
            self.run.set_progress(written)
        self.check()


def run_queued(export, user, report, query, *, run=None):
    """Write a queued report file as its owner (in the worker): the report under the worker's
    time limit, then the workbook chunk by chunk with progress. A time-out, a lost scope or bad
    filters fail the file with that reason (ExportRefused); a cancellation stops it."""
    seconds = parameters.get("reports.worker_timeout_seconds", user.bank_id)
    progress = _Progress(export, run, seconds)
    query = _worker_query(query)
    try:
        with time_limited(seconds):
            result = compute(user, report, query, everything=True)
    except ReportTimedOut as error:
        raise background.ExportRefused(str(error)) from None
    except NotVisible:
        raise background.ExportRefused(_("You may no longer read this report with these filters.")) from None
    except ValidationError as error:
        raise background.ExportRefused(
            _("The report's filters are no longer valid: %(errors)s") % {"errors": "; ".join(error.messages)}
        ) from None
    progress.check()
    progress.total(len(result.level.lines) + 2 + sum(len(s.rows) + 2 for s in result.sections))
    handle, size, rows = write(result, user, progress=progress)
    with handle:
        export.file.save(f"{export.filename}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", File(handle), save=False)
    with transaction.atomic():
        finished = ExportFile.objects.filter(pk=export.pk, status=ExportFile.Status.RUNNING).update(
            status=ExportFile.Status.DONE,
            file=export.file.name,
            size=size,
            row_count=rows,
            progress_done=rows,
            filename=filename_of(result),
            finished_at=timezone.now(),
        )
        if finished:
            audit_export(result, user, export.query, rows)
    if not finished:  # cancelled during the last chunk: the file goes again
        export.file.delete(save=False)
        raise background.ExportCancelled
    if run is not None:
        run.count(rows=rows)
    title = str(report.title)
    notify(
        [user],
        lambda r: _("Your report “%(title)s” is ready") % {"title": title},
        lambda r: _("%(n)d lines; download it from My exports.") % {"n": rows},
        link=links.url("my_exports"),
        level=Notification.Level.SUCCESS,
        dedupe_key=f"export:{export.pk}",
    )
    export.refresh_from_db()
    return export


# --- the schedule ---------------------------------------------------------------------------------


def _matches(subscription, day):
    if subscription.frequency == ReportSubscription.Frequency.WEEKLY:
        return day.weekday() == subscription.weekday
    if subscription.frequency == ReportSubscription.Frequency.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(subscription.day_of_month or 1, last)
    return True


def next_run(subscription, after, zone=None):
    """The first delivery strictly after `after`: the subscription's local time in the owner's
    zone, on a day its frequency names, as a UTC instant."""
    zone = zone or services.user_zone(subscription.owner)
    day = after.astimezone(zone).date()
    for _step in range(400):
        if _matches(subscription, day):
            local = datetime.datetime.combine(day, subscription.local_time, tzinfo=zone)
            # A local time the clocks jumped over does not round-trip: read it with the offset before.
            moment = local.astimezone(datetime.UTC)
            if moment > after:
                return moment
        day += datetime.timedelta(days=1)
    raise ValueError("no delivery day within a year")


def subscribe(user, cleaned):
    """A new subscription of `user` (checked: the report's filters are valid and within scope)."""
    report = definitions.REPORTS[cleaned["report"]]
    query = _delivery_query(cleaned.get("query") or "")
    compute(user, report, query)  # bad filters or a branch out of scope: refused now, not at 07:00
    subscription = ReportSubscription(
        bank_id=user.bank_id,
        owner=user,
        report=report.key,
        query=query.urlencode(),
        frequency=cleaned["frequency"],
        local_time=cleaned["local_time"],
        weekday=cleaned.get("weekday"),
        day_of_month=cleaned.get("day_of_month"),
        skip_if_empty=cleaned.get("skip_if_empty", False),
        by_email=cleaned.get("by_email", False),
    )
    subscription.next_run_at = next_run(subscription, timezone.now())
    subscription.save()
    return subscription


def cancel(user, subscription_id):
    subscription = ReportSubscription.objects.filter(pk=subscription_id, owner=user, is_active=True).first()
    if subscription is None:
        raise NotVisible
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])
    return subscription


def _delivery_query(text):
    """The page's filters without its date and page: each delivery reads the newest snapshot."""
    query = QueryDict(text, mutable=True)
    for name in ("date", "page", "export", "compare"):
        query.pop(name, None)
    return query


def deliver(subscription, due_at, now=None):
    """One delivery of the subscription (once per due time); returns its SubscriptionRun."""
    now = now or timezone.now()
    already = SubscriptionRun.objects.filter(subscription=subscription, due_at=due_at).first()
    if already is not None:
        return already
    owner = subscription.owner
    run = SubscriptionRun(subscription=subscription, due_at=due_at, ran_at=now)
    report = definitions.REPORTS.get(subscription.report)
    with translation.override(owner.language or translation.get_language()):
        try:
            if report is None or not owner.is_active or not owner.has_perm(PERMISSION):
                raise NotVisible
            seconds = parameters.get("reports.worker_timeout_seconds", owner.bank_id)
            with time_limited(seconds):
                result = compute(owner, report, _delivery_query(subscription.query), everything=True)
        except ReportTimedOut as error:
            run.status, run.message = SubscriptionRun.Status.FAILED, str(error)
        except NotVisible:
            run.status, run.message = SubscriptionRun.Status.FAILED, _("You may no longer read this report with these filters.")
        except ValidationError as error:
            run.status = SubscriptionRun.Status.FAILED
            run.message = _("The report's filters are no longer valid: %(errors)s") % {"errors": "; ".join(error.messages)}
        else:
            if result.empty and subscription.skip_if_empty:
                run.status = SubscriptionRun.Status.SKIPPED
                run.message = _("Nothing to report on %(date)s.") % {"date": result.filters.date or "—"}
                logger.info("report subscription %s skipped at %s: the report was empty", subscription.pk, due_at)
            else:
                export = to_my_exports(result, owner, subscription.query)
                run.status, run.rows, run.export_id = SubscriptionRun.Status.DELIVERED, export.row_count or 0, export.pk
                title = str(report.title)
                subject = _("Your report “%(title)s” is ready") % {"title": title}
                body = _("%(n)d lines; download it from My exports.") % {"n": export.row_count or 0}
                notify(
                    [owner],
                    lambda r: subject,
                    lambda r: body,
                    link=links.url("my_exports"),
                    level=Notification.Level.SUCCESS,
                    dedupe_key=f"report-subscription:{subscription.pk}:{due_at.isoformat()}",
                )
                email(subscription, due_at, subject, body)
        if run.status == SubscriptionRun.Status.FAILED:
            logger.warning("report subscription %s failed at %s: %s", subscription.pk, due_at, run.message)
            notify(
                [owner],
                lambda r: _("Your scheduled report could not be delivered"),
                run.message,
                link=links.url("my_exports"),
                level=Notification.Level.WARNING,
                dedupe_key=f"report-subscription:{subscription.pk}:{due_at.isoformat()}",
            )
            email(subscription, due_at, _("Your scheduled report could not be delivered"), run.message)
    run.save()
    return run


def email(subscription, due_at, subject, body):
    """The delivery by e-mail too, when the subscriber asked for it: through the outbox (its deny
    list, quiet hours and dedupe key apply), with the link to "my exports" where the file waits
    (a report can list customers: it is not sent out of the bank as an attachment). The caller
    has switched to the subscriber's language."""
    if not subscription.by_email:
        return None
    owner = subscription.owner
    text = _("%(body)s\n\nMy exports: %(link)s") % {"body": body, "link": links.url("my_exports")}
    return outbox.send_text(
        owner.bank_id,
        Channel.EMAIL,
        ("staff", owner.pk),
        str(subject)[:300],
        text,
        dedupe_key=f"report-subscription:{subscription.pk}:{due_at.isoformat()}",
    )


def run_due(now=None, *, run=None):
    """Deliver every subscription due at `now` (each in its own transaction, locked so two workers
    never deliver one twice) and move each to its next local time. Returns the counts."""
    now = now or timezone.now()
    counts = {"delivered": 0, "skipped": 0, "failed": 0}
    due = list(
        ReportSubscription.objects.filter(is_active=True, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", flat=True)[:DUE_BATCH]
    )
    for pk in due:
        with transaction.atomic():
            subscription = (
                ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("owner", "owner__branch")
                .filter(pk=pk, is_active=True, next_run_at__lte=now)
                .first()
            )
            if subscription is None:
                continue
            done = deliver(subscription, subscription.next_run_at, now)
            subscription.last_run_at = now
            subscription.next_run_at = next_run(subscription, now)
            subscription.save(update_fields=["last_run_at", "next_run_at"])
        counts[done.status] = counts.get(done.status, 0) + 1
    if run is not None:
        run.count(**counts)
    return counts
