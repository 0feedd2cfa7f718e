"""Forms of the branch and staff pages. They validate input and limit every choice to
the acting user's scope; saving goes through sysadmin.org.services."""

import phonenumbers
import pytz
from django import forms
from django.contrib.auth import password_validation
from django.urls import reverse_lazy
from django.utils.dates import WEEKDAYS
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from ocrm.scoping import scope_of
from sysadmin.org import services as org_services
from sysadmin.org.models import Branch, Staff
from sysadmin.roles import ROLE_LABELS

INLINE_CHECKBOXES = "sysadmin/org/widgets/inline_checkboxes.html"


INDENT = "\u00a0\u00a0"  # non-breaking spaces survive in <option> text


class BranchChoiceField(forms.ModelChoiceField):
    """A branch select that shows the tree: each option is indented by its depth."""

    def label_from_instance(self, obj):
        return INDENT * max(obj.depth - 1, 0) + str(obj)


class InlineCheckboxes(forms.CheckboxSelectMultiple):
    template_name = INLINE_CHECKBOXES


def country_timezones(country):
    """The tz database zones of an ISO 3166 country; empty when unknown."""
    return list(pytz.country_timezones.get(str(country or "").upper(), []))


def timezone_choices(country):
    """Zones to offer for a branch in `country` (every common zone when pytz knows none)."""
    return country_timezones(country) or list(pytz.common_timezones)


class TimeZoneChoiceField(forms.ChoiceField):
    """Offers the zones of one country but accepts any zone of the tz database, so that a
    zone of the wrong country reaches Branch.clean and gets its precise message there
    instead of a generic 'not one of the available choices'."""

    def valid_value(self, value):
        return value in pytz.all_timezones_set


class BranchForm(forms.ModelForm):
    parent = BranchChoiceField(label=_("parent branch"), queryset=Branch.objects.none(), required=False)
    timezone = TimeZoneChoiceField(label=_("time zone"))
    working_week = forms.MultipleChoiceField(
        label=_("working week"),
        widget=InlineCheckboxes,
        choices=[(str(day + 1), name) for day, name in WEEKDAYS.items()],
        error_messages={"required": _("Tick at least one working day.")},
    )

    class Meta:
        model = Branch
        fields = org_services.BRANCH_FIELDS  # what save_branch writes

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        branch = self.instance
        if branch.pk is None and actor.bank_id:
            branch.bank = actor.bank
        parents = org_services.assignable_branches(actor).order_by("bank_id", "path")
        if branch.bank_id:
            parents = parents.filter(bank_id=branch.bank_id)
        if branch.pk:
            parents = parents.exclude(path__startswith=branch.path)  # never below itself
        self.fields["parent"].queryset = parents
        # Only bank-wide administrators may create or keep a top-level branch.
        self.fields["parent"].required = scope_of(actor) not in ("all", "bank")
        week = self.initial.get("working_week") or branch.working_week or ""
        if isinstance(week, str):
            self.initial["working_week"] = list(week)  # "12345" -> one ticked box per day

        if branch.pk is None and not self.initial.get("country") and actor.branch_id:
            # A new branch most likely sits in the creator's country.
            self.initial["country"] = actor.branch.country
        country = self._current_country()
        zones = timezone_choices(country)
        self.fields["timezone"].choices = [("", "---------"), *[(z, z) for z in zones]]
        if len(zones) == 1 and not self.initial.get("timezone"):
            self.initial["timezone"] = zones[0]
        if country_timezones(country):
            self.fields["timezone"].help_text = _("Time zones of %(country)s: %(zones)s") % {
                "country": dict(self.fields["country"].choices).get(str(country).upper(), country),
                "zones": ", ".join(zones),
            }
        # The zone list follows the country select (htmx); without JS the server check explains.
        self.fields["country"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("sysadmin:branch_timezones"),
                "hx-target": f"#{self['timezone'].auto_id}",
                "hx-include": f"#{self['timezone'].auto_id}",
                "hx-trigger": "change",
            }
        )

    def _current_country(self):
        if self.is_bound:
            return self.data.get(self.add_prefix("country"), "")
        return self.initial.get("country") or (self.instance.country if self.instance.pk else "")

    def clean_working_week(self):
        return "".join(sorted(set(self.cleaned_data["working_week"])))

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if self.instance.bank_id is None:
            if parent is None:
                self.add_error("parent", _("Choose a parent branch: it decides the bank of the new branch."))
            else:
                self.instance.bank = parent.bank
        code = cleaned.get("code")
        bank_id = self.instance.bank_id
        if code and bank_id and Branch.objects.filter(bank_id=bank_id, code=code).exclude(pk=self.instance.pk).exists():
            self.add_error("code", _("Another branch of this bank already has the code %(code)s.") % {"code": code})
        return cleaned


class StaffForm(forms.ModelForm):
    branch = BranchChoiceField(label=_("branch"), queryset=Branch.objects.none())
    time_zone = TimeZoneChoiceField(
        label=_("time zone"),
        required=False,
        help_text=_("Leave empty to use the branch's time zone."),
    )
    roles = forms.MultipleChoiceField(label=_("roles"), required=False, widget=InlineCheckboxes)
    password1 = forms.CharField(
        label=_("initial password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=lazy(password_validation.password_validators_help_text_html, str)(),
    )
    password2 = forms.CharField(
        label=_("initial password (again)"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The staff member must choose their own password at the first log-in."),
    )

    class Meta:
        model = Staff
        fields = org_services.STAFF_FIELDS  # what save_staff writes

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        staff = self.instance
        branches = org_services.assignable_branches(actor).order_by("bank_id", "path")
        # A new assignment goes to an active branch; the current one stays selectable.
        self.fields["branch"].queryset = branches.filter(is_active=True) | branches.filter(pk=staff.branch_id)
        self.fields["time_zone"].choices = [("", _("— the branch's time zone —")), *[(z, z) for z in pytz.common_timezones]]

        grantable = org_services.grantable_roles(actor)
        current = set(staff.groups.values_list("name", flat=True)) if staff.pk else set()
        roles = self.fields["roles"]
        roles.choices = [(name, label) for name, label in ROLE_LABELS.items() if name in grantable]
        roles.error_messages["invalid_choice"] = _("You may not grant the role %(value)s.")
        self.initial["roles"] = sorted(current & grantable)
        # Roles the actor cannot touch are shown, not offered (they are kept as they are).
        self.fixed_roles = [ROLE_LABELS.get(name, name) for name in sorted(current - grantable)]
        if staff.pk and staff.pk == actor.pk and not actor.is_superuser:
            roles.disabled = True
            roles.help_text = _("You cannot change your own roles.")
        if staff.pk:
            del self.fields["password1"]
            del self.fields["password2"]

    def clean_employee_no(self):
        return (self.cleaned_data.get("employee_no") or "").strip()

    def clean(self):
        cleaned = super().clean()
        branch = cleaned.get("branch")
        employee_no = cleaned.get("employee_no")
        if (
            branch is not None
            and employee_no
            and Staff.objects.filter(bank_id=branch.bank_id, employee_no=employee_no).exclude(pk=self.instance.pk).exists()
        ):
            self.add_error("employee_no", _("Employee number %(no)s is already used in this bank.") % {"no": employee_no})
        phone = cleaned.get("phone")
        if phone and branch is not None:
            cleaned["phone"] = self._normalised_phone(phone, branch)
        elif phone and not phone.strip().startswith("+"):
            # A national number is read in the branch's country: which one is not known yet.
            self.add_error(
                "phone",
                _(
                    "Choose the branch first: a number without + and its country code is read as a number of the "
                    "branch's country."
                ),
            )
        elif phone:
            cleaned["phone"] = self._normalised_phone(phone, None)
        if "password1" in self.fields:
            self._check_password(cleaned)
        return cleaned

    def _normalised_phone(self, phone, branch):
        try:
            number = phonenumbers.parse(phone, str(branch.country) if branch is not None else None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            if branch is None:
                self.add_error("phone", _("%(phone)s is not a phone number.") % {"phone": phone})
                return phone
            self.add_error(
                "phone",
                _("%(phone)s is not a phone number of %(country)s; give other countries' numbers with + and the country code.")
                % {"phone": phone, "country": branch.country.name},
            )
            return phone
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _check_password(self, cleaned):
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if not password1 or not password2:
            return
        if password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
            return
        probe = Staff(
            username=cleaned.get("username") or "",
            first_name=cleaned.get("first_name") or "",
            last_name=cleaned.get("last_name") or "",
            email=cleaned.get("email") or "",
        )
        try:
            password_validation.validate_password(password1, user=probe)
        except forms.ValidationError as exc:
            self.add_error("password1", exc)

    def service_data(self):
        """cleaned_data in the shape org_services.save_staff takes."""
        data = {name: self.cleaned_data[name] for name in org_services.STAFF_FIELDS if name in self.cleaned_data}
        if not self.fields["roles"].disabled:
            data["roles"] = self.cleaned_data.get("roles", [])
        if "password1" in self.fields:
            data["password"] = self.cleaned_data["password1"]
        return data
