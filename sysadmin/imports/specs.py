"""What each organisation import kind accepts, how its rows are validated, and how valid rows
are written: one ocrm.imports.specs.Spec per kind (branches, staff, bank codes, holidays).

Validation is the kernel's (parse every cell, then the kind's check(): natural keys,
duplicates inside the file, references to the bank's data or to other rows, and the plan);
apply() writes the valid rows whose plan is create or update with save(), so the audit
safety net records each change field by field. Unchanged rows are not saved.

Imports never delete: a branch missing from the file stays as it is."""

import re
import unicodedata
from collections import defaultdict

import pytz
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.imports.specs import (
    CREATE,
    UPDATE,
    CellError,
    Column,
    RowApplyError,
    Spec,
    boolean,
    changed_rows,
    choice,
    chunked,
    code,
    country,
    date_value,
    email,
    flag_duplicates,
    language,
    phone,
    text,
    timezone_name,
)
from ocrm.imports.specs import max_length as _max
from sysadmin.org.models import BankCode, Branch, Holiday, Staff, validate_working_week
from sysadmin.roles import ADMIN_ROLES, ROLE_LABELS


def _role_spellings():
    spellings = {}
    for role, label in ROLE_LABELS.items():
        spellings[role.lower()] = role
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                spellings[str(label).lower()] = role
    return spellings


_ROLE_SPLIT = re.compile(r"[,;，；、|]+")


def roles(value):
    spellings = _role_spellings()
    found, unknown = set(), []
    for part in _ROLE_SPLIT.split(value):
        part = part.strip()
        if not part:
            continue
        role = spellings.get(part.lower())
        if role is None:
            unknown.append(part)
        else:
            found.add(role)
    if unknown:
        raise CellError(
            _("Unknown role(s): %(unknown)s. Roles are: %(roles)s.")
            % {"unknown": ", ".join(unknown), "roles": ", ".join(ROLE_LABELS)}
        )
    return tuple(sorted(found))


def working_week(value):
    try:
        validate_working_week(value)
    except ValidationError as exc:
        raise CellError(" ".join(exc.messages)) from exc
    return value


_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def bic(value):
    upper = value.upper().replace(" ", "")
    if not _BIC.match(upper):
        raise CellError(_("%(value)s is not a BIC: 8 or 11 letters and digits, for example BKCHCNBJ.") % {"value": value})
    return upper


def username(value):
    normalised = unicodedata.normalize("NFKC", value)
    text(Staff._meta.get_field("username").max_length)(normalised)
    try:
        Staff.username_validator(normalised)
    except ValidationError as exc:
        raise CellError(_("%(value)s is not a valid user name: letters, digits and @ . + - _ only.") % {"value": value}) from exc
    return normalised


LEVEL_SPELLINGS = {
    "head_office": Branch.Level.HEAD_OFFICE,
    "总行": Branch.Level.HEAD_OFFICE,
    "region": Branch.Level.REGION,
    "区域": Branch.Level.REGION,
    "国家": Branch.Level.REGION,
    "branch": Branch.Level.BRANCH,
    "分行": Branch.Level.BRANCH,
    "sub_branch": Branch.Level.SUB_BRANCH,
    "支行": Branch.Level.SUB_BRANCH,
}


class BranchSpec(Spec):
    kind = "branches"
    title = gettext_lazy("Branches")
    model = Branch
    natural_key_help = gettext_lazy("code (unique in the bank)")
    columns = (
        Column(
            "code",
            "机构代码",
            gettext_lazy("Branch code"),
            code(_max(Branch, "code")),
            True,
            gettext_lazy("Unique in the bank; letters, digits, - _ . /"),
        ),
        Column(
            "name_local",
            "机构名称",
            gettext_lazy("Name"),
            text(_max(Branch, "name_local")),
            True,
            gettext_lazy("Name in the local language"),
        ),
        Column("name_en", "英文名称", gettext_lazy("English name"), text(_max(Branch, "name_en")), False, ""),
        Column(
            "parent_code",
            "上级机构代码",
            gettext_lazy("Parent branch code"),
            code(_max(Branch, "code")),
            False,
            gettext_lazy("Code of a branch of the bank or of another row of the file; empty on a new row = top level"),
        ),
        Column(
            "level",
            "机构层级",
            gettext_lazy("Level"),
            choice(LEVEL_SPELLINGS),
            False,
            gettext_lazy("head_office (总行), region (区域), branch (分行), sub_branch (支行); default branch"),
        ),
        Column(
            "country", "国家/地区", gettext_lazy("Country"), country, True, gettext_lazy("ISO 3166 code, for example CN, GB, HK")
        ),
        Column(
            "timezone",
            "时区",
            gettext_lazy("Time zone"),
            timezone_name,
            True,
            gettext_lazy("tz database name of a zone of that country, for example Asia/Shanghai"),
        ),
        Column("address", "地址", gettext_lazy("Address"), text(_max(Branch, "address")), False, ""),
        Column(
            "working_week",
            "工作日",
            gettext_lazy("Working week"),
            working_week,
            False,
            gettext_lazy("ISO weekdays, Monday = 1: 12345 = Monday to Friday (default)"),
        ),
        Column(
            "is_active", "是否启用", gettext_lazy("Active"), boolean, False, gettext_lazy("true/false, 1/0, 是/否; default true")
        ),
    )
    FIELDS = ("name_local", "name_en", "parent_code", "level", "country", "timezone", "address", "working_week", "is_active")
    DEFAULTS = {"parent_code": None, "level": Branch.Level.BRANCH, "working_week": "12345", "is_active": True}

    def check(self, bank, rows, actor):  # noqa: C901 - a row check reads best as the list of rules a bank's data officer knows
        existing = {b.code: b for b in Branch.objects.filter(bank=bank)}
        code_by_id = {b.pk: b.code for b in existing.values()}
        db_parent = {b.code: code_by_id.get(b.parent_id) for b in existing.values()}
        flag_duplicates(rows, "code", lambda r: r.values.get("code"), _("Branch code"))
        rows_by_code = defaultdict(list)
        for row in rows:
            if row.has("code"):
                rows_by_code[row.values["code"]].append(row)
        keyed = [row for row in rows if row.has("code")]
        for row in keyed:
            row.key = row.values["code"]
            row.existing = existing.get(row.key)
            current = self._current(row.existing, code_by_id)
            row.target = self.merged(row, current, self.DEFAULTS, self.FIELDS)
            parent = row.target["parent_code"]
            if parent == row.key:
                row.add_error("parent_code", _("A branch cannot be its own parent."))
            elif parent and parent not in existing and parent not in rows_by_code:
                row.add_error(
                    "parent_code",
                    _("Unknown parent branch code %(code)s: it is neither a branch of this bank nor a row of this file.")
                    % {"code": parent},
                )
            self._check_timezone(row)
        # Cycles and dependencies, until nothing changes: a row that turns invalid keeps its
        # current place in the tree, which may close a cycle or orphan a child row.
        while True:
            parent_of = dict(db_parent)
            parent_of.update({r.key: r.target["parent_code"] for r in keyed if r.valid})
            before = sum(len(r.errors) for r in keyed)
            for row in keyed:
                if row.valid:
                    self._check_cycle(row, parent_of)
            for row in keyed:
                parent = row.target["parent_code"]
                if row.valid and parent and parent not in existing:
                    parent_rows = rows_by_code.get(parent, [])
                    if parent_rows and not any(p.valid for p in parent_rows):
                        row.add_error(
                            "parent_code",
                            _(
                                "The parent branch %(code)s is new in this file, but its row %(rows)s has errors; "
                                "fix that row first."
                            )
                            % {"code": parent, "rows": ", ".join(str(p.row_number) for p in parent_rows)},
                        )
            if sum(len(r.errors) for r in keyed) == before:
                break
        for row in keyed:
            if row.valid:
                self.plan(row, self._current(row.existing, code_by_id), row.target)

    @staticmethod
    def _current(branch, code_by_id):
        if branch is None:
            return None
        return {
            "name_local": branch.name_local,
            "name_en": branch.name_en,
            "parent_code": code_by_id.get(branch.parent_id),
            "level": branch.level,
            "country": branch.country.code if branch.country else "",
            "timezone": branch.timezone,
            "address": branch.address,
            "working_week": branch.working_week,
            "is_active": branch.is_active,
        }

    @staticmethod
    def _check_timezone(row):
        country_, tz = row.target.get("country"), row.target.get("timezone")
        if not country_ or not tz or row.has_error("country") or row.has_error("timezone"):
            return
        allowed = pytz.country_timezones.get(country_, [])
        if allowed and tz not in allowed:
            column = "timezone" if row.has("timezone") else "country"
            row.add_error(
                column,
                _("%(tz)s is not a time zone of %(country)s; use one of: %(allowed)s.")
                % {"tz": tz, "country": country_, "allowed": ", ".join(allowed)},
            )

    @staticmethod
    def _check_cycle(row, parent_of):
        chain, seen = [row.key], {row.key}
        node = parent_of.get(row.key)
        while node is not None and node not in seen:
            chain.append(node)
            seen.add(node)
            node = parent_of.get(node)
        if node == row.key and len(chain) > 1:
            row.add_error(
                "parent_code",
                _("This would make a cycle in the branch tree: %(cycle)s.") % {"cycle": " → ".join([*chain, row.key])},
            )

    def apply(self, bank, rows, actor):  # noqa: C901 - one branch per outcome of a staged row (create, update, unchanged, refused)
        changed = changed_rows(rows)
        parent_of = {r.key: r.target["parent_code"] for r in changed}
        depth = {}

        def depth_of(code_):
            path = []
            while code_ in parent_of and code_ not in depth:
                if code_ in path:  # validation rules cycles out; never loop on one
                    raise RowApplyError(_("Cycle in the branch tree at %(code)s.") % {"code": code_})
                path.append(code_)
                code_ = parent_of[code_]
            base = depth.get(code_, 0)
            for offset, node in enumerate(reversed(path), start=1):
                depth[node] = base + offset
            return depth.get(path[0], base) if path else base

        # Branches whose path is known to be current: the ones saved by this apply, and the
        # ones read since the last move. Moving a branch rewrites its subtree's paths in SQL,
        # so after a move every other instance read before it is re-read.
        current = {}
        moved = False

        def fresh(code_):
            if code_ not in current:
                current[code_] = Branch.objects.get(bank=bank, code=code_)
            return current[code_]

        # Parents first, so that every materialised path is built from a saved parent.
        for row in sorted(changed, key=lambda r: (depth_of(r.key), r.row_number)):
            target = row.target
            parent = fresh(target["parent_code"]) if target["parent_code"] else None
            if row.action == CREATE:
                branch = Branch(bank=bank, code=row.key)
            else:
                branch = row.existing  # read inside this transaction, under the bank's lock
                if moved:
                    branch.refresh_from_db(fields=["path"])
            moves = row.action == UPDATE and branch.parent_id != (parent.pk if parent else None)
            for name in self.FIELDS:
                if name != "parent_code":
                    setattr(branch, name, target[name])
            branch.parent = parent
            # bank and parent were checked by validation; their FK checks would cost two queries a row.
            self.full_clean(branch, row, exclude=["path", "bank", "parent"])
            branch.save()
            if moves:
                moved = True
                current.clear()
            current[branch.code] = branch


STATUS_SPELLINGS = {
    "active": Staff.Status.ACTIVE,
    "在职": Staff.Status.ACTIVE,
    "on_leave": Staff.Status.ON_LEAVE,
    "休假": Staff.Status.ON_LEAVE,
    "left": Staff.Status.LEFT,
    "离职": Staff.Status.LEFT,
}


class StaffSpec(Spec):
    kind = "staff"
    title = gettext_lazy("Staff")
    model = Staff
    natural_key_help = gettext_lazy("username (unique); employee_no unique in the bank when given")
    columns = (
        Column(
            "username",
            "用户名",
            gettext_lazy("User name"),
            username,
            True,
            gettext_lazy("Log-in name: letters, digits and @ . + - _"),
        ),
        Column("name_local", "姓名", gettext_lazy("Name"), text(_max(Staff, "name_local")), True, ""),
        Column(
            "branch_code",
            "所属机构代码",
            gettext_lazy("Branch code"),
            code(_max(Branch, "code")),
            True,
            gettext_lazy("Code of a branch of the bank (import branches first)"),
        ),
        Column(
            "employee_no",
            "员工编号",
            gettext_lazy("Employee number"),
            code(_max(Staff, "employee_no")),
            False,
            gettext_lazy("Unique in the bank"),
        ),
        Column("email", "电子邮箱", gettext_lazy("E-mail"), email(_max(Staff, "email")), False, ""),
        Column("phone", "电话", gettext_lazy("Phone"), phone, False, ""),
        Column(
            "roles",
            "角色",
            gettext_lazy("Roles"),
            roles,
            False,
            gettext_lazy(
                "Role keys separated by commas, for example customer_manager,branch_supervisor; "
                "the column replaces the user's roles"
            ),
        ),
        Column("language", "语言", gettext_lazy("Language"), language, False, gettext_lazy("zh-hans or en")),
        Column(
            "time_zone",
            "时区",
            gettext_lazy("Time zone"),
            timezone_name,
            False,
            gettext_lazy("tz database name; empty = the branch's time zone"),
        ),
        Column(
            "status",
            "状态",
            gettext_lazy("Status"),
            choice(STATUS_SPELLINGS),
            False,
            gettext_lazy("active (在职), on_leave (休假), left (离职); default active"),
        ),
    )
    FIELDS = ("name_local", "branch_code", "employee_no", "email", "phone", "language", "time_zone", "status")
    DEFAULTS = {"language": "zh-hans", "status": Staff.Status.ACTIVE}

    def check(self, bank, rows, actor):  # noqa: C901 - a row check reads best as the list of rules a bank's data officer knows
        flag_duplicates(rows, "username", lambda r: r.values.get("username"), _("User name"))
        flag_duplicates(rows, "employee_no", lambda r: r.values.get("employee_no"), _("Employee number"))
        keyed = [row for row in rows if row.has("username")]
        names = {row.values["username"] for row in keyed}
        existing = {}
        for chunk in chunked(names):
            for staff in Staff.objects.filter(username__in=chunk).select_related("branch").prefetch_related("groups"):
                existing[staff.username] = staff
        branch_codes = {row.values["branch_code"] for row in rows if row.has("branch_code")}
        branches = {}
        for chunk in chunked(branch_codes):
            branches.update({b.code: b for b in Branch.objects.filter(bank=bank, code__in=chunk)})
        numbers = {row.values["employee_no"] for row in rows if row.has("employee_no")}
        number_owner = {}
        for chunk in chunked(numbers):
            number_owner.update(
                dict(Staff.objects.filter(bank=bank, employee_no__in=chunk).values_list("employee_no", "username"))
            )
        new_number = {row.values["username"]: row.values["employee_no"] for row in keyed if row.has("employee_no")}
        for row in keyed:
            row.key = row.values["username"]
            staff = existing.get(row.key)
            if staff is not None and (staff.bank_id != bank.pk or staff.is_superuser):
                row.add_error(
                    "username", _("The user name %(name)s is taken by an account outside this bank.") % {"name": row.key}
                )
                continue
            row.existing = staff
            if row.has("branch_code") and row.values["branch_code"] not in branches:
                row.add_error(
                    "branch_code",
                    _("Unknown branch code %(code)s: no branch of this bank has it.") % {"code": row.values["branch_code"]},
                )
            number = row.values.get("employee_no")
            owner = number_owner.get(number) if number else None
            if owner and owner != row.key and new_number.get(owner, number) == number:
                row.add_error(
                    "employee_no", _("Employee number %(no)s already belongs to user %(owner)s.") % {"no": number, "owner": owner}
                )
            current = self._current(staff)
            target = self.merged(row, current, self.DEFAULTS, self.FIELDS)
            if row.has("roles"):
                target["roles"] = row.values["roles"]
                target["is_staff"] = bool(set(row.values["roles"]) & ADMIN_ROLES)
            elif current is not None:
                target["roles"], target["is_staff"] = current["roles"], current["is_staff"]
            else:
                target["roles"], target["is_staff"] = (), False
            if row.valid:
                self.plan(row, current, target)
                if actor is not None and row.action == UPDATE and staff.pk == actor.pk:
                    row.add_error("username", _("You cannot change your own account with an import."))

    @staticmethod
    def _current(staff):
        if staff is None:
            return None
        return {
            "name_local": staff.name_local,
            "branch_code": staff.branch.code if staff.branch_id else "",
            "employee_no": staff.employee_no,
            "email": staff.email,
            "phone": staff.phone,
            "language": staff.language,
            "time_zone": staff.time_zone,
            "status": staff.status,
            "roles": tuple(sorted(g.name for g in staff.groups.all())),
            "is_staff": staff.is_staff,
        }

    def apply(self, bank, rows, actor):
        changed = changed_rows(rows)
        codes = {r.target["branch_code"] for r in changed}
        branches = {b.code: b for b in Branch.objects.filter(bank=bank, code__in=codes)}
        groups = {g.name: g for g in Group.objects.filter(name__in=list(ROLE_LABELS))}
        for row in changed:
            target = row.target
            if row.action == CREATE:
                staff = Staff(username=row.key, bank=bank)
                staff.set_unusable_password()  # no password until an administrator issues one
                staff.must_change_password = True
                old_roles = ()
            else:
                staff = row.existing  # read (with its groups) inside this transaction, under the bank's lock
                old_roles = tuple(sorted(g.name for g in staff.groups.all()))
            for name in self.FIELDS:
                if name != "branch_code":
                    setattr(staff, name, target[name])
            staff.branch = branches[target["branch_code"]]
            staff.is_staff = target["is_staff"]
            # bank and branch were checked by validation; their FK checks would cost two queries a row.
            self.full_clean(staff, row, exclude=["password", "bank", "branch"])
            staff.save()
            if tuple(target["roles"]) != old_roles:
                if old_roles:
                    staff.groups.set([groups[name] for name in target["roles"]])
                else:
                    staff.groups.add(*[groups[name] for name in target["roles"]])
                # Group membership is not a field: the save() safety net cannot see it.
                audit.record(
                    AuditLog.Action.UPDATE,
                    staff,
                    actor=actor,
                    changes={"roles": [list(old_roles), list(target["roles"])]},
                    detail={"source": "import"},
                )


class BankCodeSpec(Spec):
    kind = "bank_codes"
    title = gettext_lazy("Bank codes")
    model = BankCode
    natural_key_help = gettext_lazy("code (unique in the bank)")
    columns = (
        Column(
            "code",
            "银行代码",
            gettext_lazy("Bank code"),
            code(_max(BankCode, "code")),
            True,
            gettext_lazy("Clearing or internal code, unique in the bank"),
        ),
        Column("name", "银行名称", gettext_lazy("Bank name"), text(_max(BankCode, "name")), True, ""),
        Column("bic", "BIC", gettext_lazy("BIC"), bic, False, gettext_lazy("8 or 11 characters; letters 5-6 are the country")),
        Column("country", "国家/地区", gettext_lazy("Country"), country, True, gettext_lazy("ISO 3166 code, for example CN")),
    )
    FIELDS = ("name", "bic", "country")

    def check(self, bank, rows, actor):
        flag_duplicates(rows, "code", lambda r: r.values.get("code"), _("Bank code"))
        keyed = [row for row in rows if row.has("code")]
        existing = {}
        for chunk in chunked({row.values["code"] for row in keyed}):
            existing.update({b.code: b for b in BankCode.objects.filter(bank=bank, code__in=chunk)})
        for row in keyed:
            row.key = row.values["code"]
            row.existing = existing.get(row.key)
            current = (
                None
                if row.existing is None
                else {
                    "name": row.existing.name,
                    "bic": row.existing.bic,
                    "country": row.existing.country.code if row.existing.country else "",
                }
            )
            target = self.merged(row, current, {}, self.FIELDS)
            if target["bic"] and target["country"] and target["bic"][4:6] != target["country"]:
                row.add_error(
                    "bic",
                    _("The BIC %(bic)s is of country %(bic_country)s, not %(country)s.")
                    % {"bic": target["bic"], "bic_country": target["bic"][4:6], "country": target["country"]},
                )
            if row.valid:
                self.plan(row, current, target)

    def apply(self, bank, rows, actor):
        for row in changed_rows(rows):
            obj = BankCode(bank=bank, code=row.key) if row.action == CREATE else BankCode.objects.get(pk=row.existing.pk)
            for name in self.FIELDS:
                setattr(obj, name, row.target[name])
            self.full_clean(obj, row)
            obj.save()


class HolidaySpec(Spec):
    kind = "holidays"
    title = gettext_lazy("Holidays")
    model = Holiday
    natural_key_help = gettext_lazy("country + date, or branch_code + date for one branch's own holiday")
    columns = (
        Column("date", "日期", gettext_lazy("Date"), date_value, True, gettext_lazy("YYYY-MM-DD")),
        Column("name", "节日名称", gettext_lazy("Holiday name"), text(_max(Holiday, "name")), True, ""),
        Column(
            "country",
            "国家/地区",
            gettext_lazy("Country"),
            country,
            False,
            gettext_lazy("ISO 3166 code: a holiday of every branch of the bank in that country"),
        ),
        Column(
            "branch_code",
            "机构代码",
            gettext_lazy("Branch code"),
            code(_max(Branch, "code")),
            False,
            gettext_lazy("Only this branch; empty = the whole country"),
        ),
    )

    def check(self, bank, rows, actor):  # noqa: C901 - a row check reads best as the list of rules a bank's data officer knows
        codes = {row.values["branch_code"] for row in rows if row.has("branch_code")}
        branches = {}
        for chunk in chunked(codes):
            branches.update({b.code: b for b in Branch.objects.filter(bank=bank, code__in=chunk)})
        for row in rows:
            branch_code = row.values.get("branch_code")
            day = row.values.get("date")
            if branch_code:
                branch = branches.get(branch_code)
                if branch is None:
                    row.add_error(
                        "branch_code", _("Unknown branch code %(code)s: no branch of this bank has it.") % {"code": branch_code}
                    )
                    continue
                if row.has("country") and row.values["country"] != branch.country.code:
                    row.add_error(
                        "country",
                        _("Branch %(code)s is in %(branch_country)s, not %(country)s.")
                        % {"code": branch_code, "branch_country": branch.country.code, "country": row.values["country"]},
                    )
                row.target = {"branch_code": branch_code, "country": branch.country.code}
                key_part = f"{branch_code}"
            elif row.has("country"):
                row.target = {"branch_code": "", "country": row.values["country"]}
                key_part = row.values["country"]
            else:
                if not row.has_error("country") and not row.has_error("branch_code"):
                    row.add_error("country", _("Give a country, or a branch code for one branch's own holiday."))
                continue
            if day is not None:
                row.key = f"{key_part}|{day.isoformat()}"
        flag_duplicates(rows, "date", lambda r: r.key, _("Holiday"))
        keyed = [row for row in rows if row.key]
        days = {row.values["date"] for row in keyed}
        by_branch, by_country = {}, {}
        for chunk in chunked(days):
            for holiday in Holiday.objects.filter(bank=bank, date__in=chunk).select_related("branch"):
                if holiday.branch_id:
                    by_branch[(holiday.branch.code, holiday.date)] = holiday
                else:
                    by_country[(holiday.country.code, holiday.date)] = holiday
        for row in keyed:
            if not row.valid:
                continue
            if row.target["branch_code"]:
                row.existing = by_branch.get((row.target["branch_code"], row.values["date"]))
            else:
                row.existing = by_country.get((row.target["country"], row.values["date"]))
            current = (
                None
                if row.existing is None
                else {
                    "date": row.existing.date,
                    "name": row.existing.name,
                    "country": row.existing.country.code,
                    "branch_code": row.existing.branch.code if row.existing.branch_id else "",
                }
            )
            self.plan(row, current, {**row.target, "date": row.values["date"], "name": row.values["name"]})

    def apply(self, bank, rows, actor):
        changed = changed_rows(rows)
        codes = {r.target["branch_code"] for r in changed if r.target["branch_code"]}
        branches = {b.code: b for b in Branch.objects.filter(bank=bank, code__in=codes)}
        for row in changed:
            obj = Holiday(bank=bank) if row.action == CREATE else Holiday.objects.get(pk=row.existing.pk)
            obj.branch = branches.get(row.target["branch_code"])
            obj.country = row.target["country"]
            obj.date = row.target["date"]
            obj.name = row.target["name"]
            self.full_clean(obj, row)
            obj.save()


SPECS = {spec.kind: spec for spec in (BranchSpec(), StaffSpec(), BankCodeSpec(), HolidaySpec())}


def get_spec(kind):
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}") from None
