"""django-tables2 tables of the organisation pages; the XLSX export reuses them
(value_* methods give plain cell values where the page shows HTML)."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ocrm.lists.tables import BaseTable
from sysadmin.org.models import Branch, Staff
from sysadmin.roles import ROLE_LABELS


def weekday_names(working_week):
    """ISO weekday digits (Monday = 1) as short names, runs of three or more days joined:
    '12345' -> 'Mon–Fri', '1235' -> 'Mon–Wed, Fri', '1245' -> 'Mon, Tue, Thu, Fri'."""
    days = sorted({int(d) for d in working_week or "" if d in "1234567"})
    runs = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        names = [str(WEEKDAYS_ABBR[d - 1]) for d in run]
        parts.extend([f"{names[0]}–{names[-1]}"] if len(names) >= 3 else names)
    return ", ".join(parts)


def local_time_text(branch, now=None):
    local = (now or timezone.now()).astimezone(branch.tzinfo)
    return f"{date_format(local, 'Y-m-d H:i')} {local.strftime('%Z')}"


def role_names(staff):
    # Sorted in Python over the prefetched groups: a .order_by() here would cost a query per row.
    return [str(ROLE_LABELS.get(g.name, g.name)) for g in sorted(staff.groups.all(), key=lambda g: g.name)]


class BranchTable(BaseTable):
    code = tables.Column(verbose_name=_("code"), linkify=("sysadmin:branch_detail", [tables.A("pk")]))
    name_local = tables.Column(verbose_name=_("name"), order_by=("name_local",))
    name_en = tables.Column(verbose_name=_("English name"))
    level = tables.Column(verbose_name=_("level"))
    parent = tables.Column(verbose_name=_("parent branch"), accessor="parent__code", order_by=("parent__code",))
    country = tables.Column(verbose_name=_("country"), accessor="country__name", order_by=("country",))
    timezone = tables.Column(verbose_name=_("time zone"))
    local_time = tables.Column(verbose_name=_("local time"), empty_values=(), orderable=False)
    working_week = tables.Column(verbose_name=_("working week"), orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("active"))
    staff_count = tables.Column(verbose_name=_("staff"), attrs={"td": {"class": "text-end"}}, order_by=("staff_count",))

    class Meta(BaseTable.Meta):
        model = Branch
        fields = ()
        sequence = (
            "code",
            "name_local",
            "name_en",
            "level",
            "parent",
            "country",
            "timezone",
            "local_time",
            "working_week",
            "is_active",
            "staff_count",
        )

    def render_name_local(self, record, value):
        # Indent by depth in the tree so the head office -> region -> branch shape shows.
        depth = max(record.depth - 1, 0)
        if not depth:
            return value
        return format_html('<span class="text-muted" style="padding-left:{}rem">└</span> {}', depth, value)

    def value_name_local(self, value):
        return value

    def render_local_time(self, record):
        return local_time_text(record)

    def render_working_week(self, value):
        return weekday_names(value)

    def value_is_active(self, value):
        return _("yes") if value else _("no")


class StaffTable(BaseTable):
    username = tables.Column(verbose_name=_("user name"), linkify=("sysadmin:staff_detail", [tables.A("pk")]))
    employee_no = tables.Column(verbose_name=_("employee number"))
    name_local = tables.Column(verbose_name=_("name"))
    branch = tables.Column(verbose_name=_("branch"), accessor="branch", order_by=("branch__code",))
    roles = tables.Column(verbose_name=_("roles"), accessor="pk", orderable=False)
    status = tables.Column(verbose_name=_("status"))
    language = tables.Column(verbose_name=_("language"))
    time_zone = tables.Column(verbose_name=_("time zone"), empty_values=(), order_by=("time_zone",))
    last_login = tables.DateTimeColumn(verbose_name=_("last log-in"), format="Y-m-d H:i")
    password_changed_at = tables.DateTimeColumn(verbose_name=_("password last changed"), format="Y-m-d H:i")
    locked = tables.Column(verbose_name=_("locked"), accessor="locked_at", order_by=("locked_at",))

    class Meta(BaseTable.Meta):
        model = Staff
        fields = ()
        sequence = (
            "username",
            "employee_no",
            "name_local",
            "branch",
            "roles",
            "status",
            "language",
            "time_zone",
            "last_login",
            "password_changed_at",
            "locked",
        )

    def render_roles(self, record):
        names = role_names(record)
        if not names:
            return "—"
        return format_html_join(" ", '<span class="badge text-bg-secondary">{}</span>', ((n,) for n in names))

    def value_roles(self, record):
        return ", ".join(role_names(record))

    def render_time_zone(self, record):
        if record.time_zone:
            return record.time_zone
        if record.branch_id:
            return format_html('{} <span class="text-muted small">({})</span>', record.branch.timezone, _("branch"))
        return "—"

    def value_time_zone(self, record):
        return record.effective_timezone

    def render_locked(self, value):
        return format_html('<span class="badge text-bg-danger"><i class="bi bi-lock-fill"></i> {}</span>', _("Locked"))

    def value_locked(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class BranchStaffTable(StaffTable):
    """The staff of one branch, on the branch page."""

    class Meta(StaffTable.Meta):
        exclude = ("branch", "language", "last_login", "password_changed_at")
        per_page = 20
