"""The monthly formatted branch report (格式报表): a fixed-layout XLSX per branch and month end,
read from that date's snapshot (and the previous month end's, for the change).

Layout (one sheet, openpyxl write-only: rows go straight to disk, memory stays flat):

    row 1   the bank's name                     (merged across the table)
    row 2   "Monthly branch report" + branch    (merged)
    row 3   period, as-of date, currency        (merged)
    row 5-6 two header rows: groups merged over their columns; panes frozen below them
    ...     one line per manager of the branch's subtree, then the total
    ...     customers by tier × lifecycle stage, with its own two header rows
    ...     holdings by product category and currency

Numbers carry number formats (#,##0 and #,##0.00); the layout never depends on the data, so a
branch with no customers still gets the same, empty, report.

The month-end job (reports.catalogue.tasks) writes one per branch into "my exports" of the
branch's head (the branch's active supervisors) once the month-end snapshot is done."""

import calendar
import datetime
import logging
import tempfile

from django.core.files import File
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from customers.master.models import Customer, Product
from ocrm import links
from ocrm.batch.jobs import JobError
from ocrm.lists import events
from ocrm.lists.exports import file_properties
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify
from reports.catalogue import services
from reports.snapshots.models import CustomerDay, HoldingDay, SnapshotRun
from sysadmin.org.models import Bank, Branch, Staff

logger = logging.getLogger("reports.catalogue.formatted")

WIDTH = 12  # columns of the layout
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
URL_NAME = "reports:monthly_report"
OBJECT_TYPE = "reports.monthly_branch_report"
JOB = "reports_monthly_branch_report"


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month_end(day):
    return day.replace(day=1) - datetime.timedelta(days=1)


def is_month_end(day):
    return day == month_end(day)


class Styles:
    def __init__(self):
        thin = Side(style="thin", color="999999")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(bold=True, size=14)
        self.bold = Font(bold=True)
        self.fill = PatternFill("solid", fgColor="DDE5F0")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)


class Layout:
    """One write-only sheet, its row counter, its merged ranges."""

    def __init__(self, sheet):
        self.sheet, self.row, self.styles = sheet, 0, Styles()

    def cell(self, value, *, font=None, fill=None, number_format=None, border=True, align=None):
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        if border:
            cell.border = self.styles.border
        if align is not None:
            cell.alignment = align
        return cell

    def append(self, cells):
        self.sheet.append(cells)
        self.row += 1

    def merge(self, first_col, last_col, rows=1):
        self.sheet.merged_cells.add(
            f"{get_column_letter(first_col)}{self.row - rows + 1}:{get_column_letter(last_col)}{self.row}"
        )

    def banner(self, text, font):
        self.append([self.cell(text, font=font, border=False)])
        self.merge(1, WIDTH)

    def headers(self, groups):
        """Two header rows: groups = [(group label, [column labels])]; a group of one column spans both rows."""
        top, bottom = [], []
        for label, columns in groups:
            for index, column in enumerate(columns):
                top.append(
                    self.cell(
                        label if index == 0 else None, font=self.styles.bold, fill=self.styles.fill, align=self.styles.center
                    )
                )
                bottom.append(
                    self.cell(
                        column if len(columns) > 1 else None,
                        font=self.styles.bold,
                        fill=self.styles.fill,
                        align=self.styles.center,
                    )
                )
        self.append(top)
        first_row = self.row
        self.append(bottom)
        col = 1
        for _label, columns in groups:
            last = col + len(columns) - 1
            if len(columns) == 1:
                self.sheet.merged_cells.add(f"{get_column_letter(col)}{first_row}:{get_column_letter(col)}{self.row}")
            else:
                self.sheet.merged_cells.add(f"{get_column_letter(col)}{first_row}:{get_column_letter(last)}{first_row}")
            col = last + 1

    def values(self, label, numbers, *, bold=False):
        cells = [self.cell(label, font=self.styles.bold if bold else None)]
        for value, number_format in numbers:
            cells.append(self.cell(value, number_format=number_format, font=self.styles.bold if bold else None))
        self.append(cells)


class MonthFigures:
    """The figures of every branch's report for one bank and month end, read once for the bank
    (a grouped statement per part, by branch) and summed over each branch's subtree in Python:
    the month-end job writes 3,000 branches' reports from five statements, not eight each."""

    def __init__(self, bank, day, *, branch=None):
        self.bank, self.day, self.before = bank, day, previous_month_end(day)
        branches = Branch.objects.filter(bank_id=bank.pk)
        if branch is not None:  # one report (the page): only that subtree's rows are read
            branches = branches.filter(path__startswith=branch.path)
        self._paths = dict(branches.values_list("id", "path"))
        self._ids = list(self._paths)
        self.run_at = (
            SnapshotRun.objects.filter(bank_id=bank.pk, business_date=day, status=SnapshotRun.Status.DONE)
            .values_list("finished_at", flat=True)
            .first()
        )
        self.managers = {day: self._managers(day), self.before: self._managers(self.before)}
        self.tier_stage = self._tier_stage()
        self.holdings = self._holdings()
        ids = {m for per_day in self.managers.values() for rows in per_day.values() for m in rows}
        self.names = services.staff_names(list(ids))

    def _rows(self, model, day):
        rows = model.objects.filter(bank_id=self.bank.pk, business_date=day)
        return rows.filter(branch_id__in=self._ids) if len(self._ids) < 500 else rows

    def _ancestors(self, branch_id):
        """The branch and every branch above it (whose reports include its rows)."""
        path = self._paths.get(branch_id)
        return [int(part) for part in path.strip("/").split("/")] if path else []

    def _add(self, target, branch_id, key, values):
        # A row's cell is shared by the branch and every branch above it until a second row adds
        # to it there (then a new dict; a cell is never changed in place): at 20,000 managers one
        # dict per manager, not one per manager and level (the month-end job's peak memory).
        values = {name: value or 0 for name, value in values.items()}
        for owner in self._ancestors(branch_id):
            cells = target.setdefault(owner, {})
            cell = cells.get(key)
            if cell is None:
                cells[key] = values
            else:
                cells[key] = {name: (cell.get(name) or 0) + (values.get(name) or 0) for name in {**cell, **values}}

    def _managers(self, day):
        found = {}
        rows = (
            self._rows(CustomerDay, day)
            .values("branch_id", "manager_id")
            .order_by()
            .annotate(
                customers=Count("id"),
                aum=Sum("aum"),
                liabilities=Sum("liabilities"),
                fee_income=Sum("fee_income"),
                contribution=Sum("contribution"),
            )
        )
        for row in rows:
            self._add(found, row.pop("branch_id"), row.pop("manager_id"), row)
        return found

    def _tier_stage(self):
        stages = [c.value for c in Customer.Lifecycle]
        found = {}
        rows = (
            self._rows(CustomerDay, self.day)
            .values("branch_id", "tier")
            .order_by()
            .annotate(**{f"s_{stage}": Count("id", filter=Q(lifecycle_stage=stage)) for stage in stages}, n=Count("id"))
        )
        for row in rows:
            self._add(found, row.pop("branch_id"), row.pop("tier"), row)
        return found

    def _holdings(self):
        found = {}
        rows = (
            self._rows(HoldingDay, self.day)
            .values("branch_id", "category", "currency")
            .order_by()
            .annotate(holders=Sum("holders"), accounts=Sum("accounts"), balance=Sum("balance"), balance_base=Sum("balance_base"))
        )
        for row in rows:
            self._add(found, row.pop("branch_id"), (row.pop("category"), row.pop("currency")), row)
        return found

    def of(self, branch):
        """(managers now, managers a month before, tier × stage, holdings) of the branch's subtree."""
        holdings = [
            {"category": category, "currency": currency, **values}
            for (category, currency), values in sorted(self.holdings.get(branch.pk, {}).items())
        ]
        return (
            self.managers[self.day].get(branch.pk, {}),
            self.managers[self.before].get(branch.pk, {}),
            self.tier_stage.get(branch.pk, {}),
            holdings,
        )


def write(branch, day, handle, *, user=None, figures=None):
    """Write the report of `branch` for the month ending `day` into the open binary `handle`
    (`figures`: the bank's MonthFigures when many branches are written; else read for this one)."""
    if figures is None:
        figures = MonthFigures(Bank.objects.get(pk=branch.bank_id), day, branch=branch)
    bank = figures.bank
    now, then, grid, holdings = figures.of(branch)
    workbook = Workbook(write_only=True)
    if user is not None:
        for name, value in file_properties(user=user, title=_("Monthly branch report")).items():
            setattr(workbook.properties, name, value)
    sheet = workbook.create_sheet(title=f"{day:%Y-%m}")
    for index, width in enumerate((28, 10, 16, 16, 16, 16, 16, 16, 16, 16, 12, 12), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    layout = Layout(sheet)
    styles = layout.styles
    sheet.freeze_panes = "B7"

    run_at = figures.run_at
    layout.banner(services.bank_label(bank), styles.title)
    layout.banner(_("Monthly branch report: %(branch)s") % {"branch": services.branch_label(branch)}, styles.bold)
    period = _("Period %(start)s to %(end)s · figures as of the close of %(end)s · amounts in %(currency)s") % {
        "start": f"{day.replace(day=1):%Y-%m-%d}",
        "end": f"{day:%Y-%m-%d}",
        "currency": bank.base_currency,
    }
    if run_at is not None:
        period += " · " + _("snapshot finished %(at)s") % {
            "at": timezone.localtime(run_at, branch.tzinfo).strftime("%Y-%m-%d %H:%M")
        }
    layout.banner(period, None)
    layout.append([])

    # Part 1: managers, this month end and the previous one.
    layout.headers(
        [
            (_("Manager"), [_("Manager")]),
            (_("Customers"), [f"{day:%Y-%m}", _("Difference")]),
            (_("AUM"), [f"{day:%Y-%m}", _("Difference")]),
            (_("Liabilities"), [f"{day:%Y-%m}", _("Difference")]),
            (_("Fee income"), [f"{day:%Y-%m}"]),
            (_("Contribution"), [f"{day:%Y-%m}", _("Difference")]),
        ]
    )
    names = figures.names
    totals = {}
    keys = sorted(set(now) | set(then), key=lambda k: (k is None, names.get(k, "")))
    for key in keys:
        current, earlier = now.get(key, {}), then.get(key, {})
        line = []
        for name, number_format, change in (
            ("customers", COUNT_FORMAT, True),
            ("aum", MONEY_FORMAT, True),
            ("liabilities", MONEY_FORMAT, True),
            ("fee_income", MONEY_FORMAT, False),
            ("contribution", MONEY_FORMAT, True),
        ):
            value = current.get(name) or 0
            totals[name] = totals.get(name, 0) + value
            line.append((value, number_format))
            if change:
                delta = value - (earlier.get(name) or 0)
                totals[f"{name}_change"] = totals.get(f"{name}_change", 0) + delta
                line.append((delta, number_format))
        layout.values(names.get(key) or _("No manager"), line)
    layout.values(
        _("Total"),
        [
            (totals.get("customers", 0), COUNT_FORMAT),
            (totals.get("customers_change", 0), COUNT_FORMAT),
            (totals.get("aum", 0), MONEY_FORMAT),
            (totals.get("aum_change", 0), MONEY_FORMAT),
            (totals.get("liabilities", 0), MONEY_FORMAT),
            (totals.get("liabilities_change", 0), MONEY_FORMAT),
            (totals.get("fee_income", 0), MONEY_FORMAT),
            (totals.get("contribution", 0), MONEY_FORMAT),
            (totals.get("contribution_change", 0), MONEY_FORMAT),
        ],
        bold=True,
    )
    layout.append([])

    # Part 2: customers by tier and lifecycle stage.
    stages = list(Customer.Lifecycle)
    layout.headers(
        [
            (_("Tier"), [_("Tier")]),
            (_("Customers by lifecycle stage"), [str(s.label) for s in stages]),
            (_("Total"), [_("Total")]),
        ]
    )
    column_totals = [0] * (len(stages) + 1)
    for tier in Customer.Tier:
        row = grid.get(tier.value, {})
        counts = [row.get(f"s_{s.value}", 0) for s in stages] + [row.get("n", 0)]
        column_totals = [a + b for a, b in zip(column_totals, counts, strict=True)]
        layout.values(str(tier.label), [(n, COUNT_FORMAT) for n in counts])
    layout.values(_("Total"), [(n, COUNT_FORMAT) for n in column_totals], bold=True)
    layout.append([])

    # Part 3: holdings by category and currency.
    layout.headers(
        [
            (_("Category"), [_("Category")]),
            (_("Currency"), [_("Currency")]),
            (_("Holdings"), [_("Customers"), _("Accounts")]),
            (_("Balance"), [_("In the currency"), _("In base currency")]),
        ]
    )
    total_base = 0
    for row in holdings:
        try:
            category = str(Product.Category(row["category"]).label)
        except ValueError:
            category = row["category"]
        total_base += row["balance_base"] or 0
        layout.append(
            [
                layout.cell(category),
                layout.cell(row["currency"]),
                layout.cell(row["holders"], number_format=COUNT_FORMAT),
                layout.cell(row["accounts"], number_format=COUNT_FORMAT),
                layout.cell(row["balance"], number_format=MONEY_FORMAT),
                layout.cell(row["balance_base"], number_format=MONEY_FORMAT),
            ]
        )
    layout.values(_("Total"), [(None, None), (None, None), (None, None), (None, None), (total_base, MONEY_FORMAT)], bold=True)
    workbook.save(handle)


def filename(branch, day):
    return f"branch-report-{branch.code}-{day:%Y%m}"


def heads_of(branch):
    """The branch head(s): the branch's active staff who hold the supervisor role."""
    return list(
        Staff.objects.filter(branch=branch, is_active=True, groups__name="branch_supervisor")
        .select_related("branch")
        .distinct()
        .order_by("pk")
    )


def deliver(branch, day, owner, now=None, figures=None):
    """The report of `branch` for the month ending `day` in `owner`'s "my exports" (once: a rerun
    finds the file already there). Returns the ExportFile."""
    query = f"branch={branch.pk}&month={day:%Y-%m}"
    existing = ExportFile.objects.filter(owner=owner, url_name=URL_NAME, query=query, status=ExportFile.Status.DONE).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    with translation.override(owner.language or translation.get_language()):
        title = _("Monthly branch report %(month)s: %(branch)s") % {
            "month": f"{day:%Y-%m}",
            "branch": services.branch_label(branch),
        }
        with tempfile.TemporaryFile() as handle:
            write(branch, day, handle, user=owner, figures=figures)
            size = handle.tell()
            handle.seek(0)
            export = ExportFile(
                owner=owner,
                bank_id=branch.bank_id,
                title=title[:200],
                url_name=URL_NAME,
                query=query,
                object_type=OBJECT_TYPE,
                filename=filename(branch, day),
                status=ExportFile.Status.DONE,
                row_count=1,
                size=size,
                started_at=now,
                finished_at=timezone.now(),
            )
            export.file.save(f"{export.filename}.xlsx", File(handle), save=False)
            export.save()
        events.export_written(
            actor=owner, bank_id=branch.bank_id, object_type=OBJECT_TYPE, filename=export.filename, rows=1, query=query, pii=False
        )
        notify(
            [owner],
            lambda r: _("Your monthly branch report is ready"),
            title,
            link=links.url("my_exports"),
            level=Notification.Level.SUCCESS,
            dedupe_key=f"monthly-branch-report:{branch.pk}:{day:%Y-%m}",
        )
    return export


def month_end_reports(run, scope):
    """The job's work for one bank: on a month end, the report of every branch for its head(s).
    The month-end snapshot must be done first (else the run fails with that reason and the next
    tick tries again)."""
    day = scope.business_date
    if scope.bank_id is None or not is_month_end(day):
        return
    if not SnapshotRun.objects.filter(bank_id=scope.bank_id, business_date=day, status=SnapshotRun.Status.DONE).exists():
        raise JobError(_("The snapshot of %(date)s is not finished yet: the monthly branch reports wait for it.") % {"date": day})
    branches = list(Branch.objects.filter(bank_id=scope.bank_id, is_active=True).order_by("path"))
    run.set_total(len(branches))
    figures = MonthFigures(Bank.objects.get(pk=scope.bank_id), day) if branches else None
    written = 0
    for branch in branches:
        for head in heads_of(branch):
            deliver(branch, day, head, figures=figures)
            written += 1
        run.advance(1)
    run.count(reports=written)
