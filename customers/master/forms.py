"""Forms of the customer create/edit, contacts and change-request pages. They check what
a person typed and say clearly what is wrong; the services re-check and apply."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.master import services
from customers.master.filtersets import LOOKUP_KINDS
from customers.master.models import ContactPoint, CorporateProfile, Customer, IdentityDocument, RetailProfile
from ocrm.scoping import scope_of
from ocrm.widgets import iso_date_inputs
from sysadmin.org.models import Branch, Staff

MAX_SELECTED = 1000  # one page holds at most 200 rows; a bigger selection is "all results of the filter"
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


def branches_for_customer_edit(bank_id):
    """An owning-branch change may name any active branch of the bank: it is a transfer,
    and a supervisor of the current branch checks it."""
    return Branch.objects.filter(bank_id=bank_id, is_active=True).order_by("path")


def branches_for_new_customer(actor):
    """A new customer belongs to the actor's own part of the tree."""
    branches = Branch.objects.filter(bank_id=actor.bank_id, is_active=True).order_by("path")
    if scope_of(actor) in ("all", "bank"):
        return branches
    if actor.branch_id:
        return branches.filter(path__startswith=actor.branch.path)
    return branches.none()


BRANCH_FIRST = gettext_lazy(
    "Choose the branch first: a number without + and its country code is read as a number of the branch's country."
)


def is_international(number):
    """A phone number written with + and its country code (readable without a country)."""
    return number.strip().startswith("+")


class CustomerForm(forms.Form):
    """Customer, profile (retail or corporate) and primary identity document in one form."""

    id_number = forms.CharField(label=_("document number"), max_length=40, required=False)
    reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the supervisor who checks the sensitive changes."),
    )

    def __init__(self, *args, kind, actor, customer=None, **kwargs):
        self.kind, self.actor, self.customer = kind, actor, customer
        self.identity = services.primary_identity(customer) if customer is not None else None
        if customer is not None:
            kwargs.setdefault("initial", self._initial())
        super().__init__(*args, **kwargs)
        fields = fields_for_model(Customer, fields=services.CUSTOMER_FIELDS)
        fields["branch"].queryset = (
            branches_for_customer_edit(customer.bank_id) if customer is not None else branches_for_new_customer(actor)
        )
        if customer is None and scope_of(actor) != "own":
            fields["primary_manager"] = forms.ModelChoiceField(
                label=_("primary manager"),
                required=False,
                queryset=Staff.objects.visible_to(actor).filter(is_active=True).order_by("username"),
            )
        profile_model = RetailProfile if kind == Customer.Kind.RETAIL else CorporateProfile
        fields.update(fields_for_model(profile_model, fields=services.profile_fields(kind)))
        identity = fields_for_model(IdentityDocument, fields=services.IDENTITY_FIELDS)
        for field in identity.values():
            field.required = False
        fields.update(identity)
        iso_date_inputs(fields)
        if customer is None:
            fields["mobile"] = forms.CharField(label=_("mobile"), required=False, max_length=40)
            fields["email"] = forms.CharField(label=_("e-mail"), required=False, max_length=200)
        ordered = {**fields, "id_number": self.fields["id_number"]}
        if customer is not None:
            ordered["reason"] = self.fields["reason"]
            if self.identity is not None:
                ordered["id_number"].help_text = _("On file: %(masked)s. Leave blank to keep this number.") % {
                    "masked": self.identity.number_masked
                }
        self.fields = ordered
        self.checker_fields = services.checker_fields(customer.bank_id if customer else actor.bank_id)
        for name, field in self.fields.items():
            if name in self.checker_fields or (
                name in (*services.IDENTITY_FIELDS, "id_number") and services.IDENTITY in self.checker_fields
            ):
                if customer is not None:
                    field.needs_checker = True

    def _initial(self):
        customer = self.customer
        profile = services._profile(customer)
        initial = {name: getattr(customer, name) for name in services.CUSTOMER_FIELDS}
        initial.update({name: getattr(profile, name) for name in services.profile_fields(self.kind)})
        if self.identity is not None:
            initial.update({name: getattr(self.identity, name) for name in services.IDENTITY_FIELDS})
        return initial

    def clean_name_local(self):
        value = (self.cleaned_data.get("name_local") or "").strip()
        if not value:
            raise ValidationError(_("Enter the customer's name."))
        return value

    def clean_name_latin(self):
        return (self.cleaned_data.get("name_latin") or "").strip()

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and not EARLIEST_BIRTH_DATE <= value <= timezone.localdate():
            raise ValidationError(_("The birth date must lie between 1900-01-01 and today."))
        return value

    def clean_founded_on(self):
        value = self.cleaned_data.get("founded_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("The founding date cannot be in the future."))
        return value

    def clean_registered_capital(self):
        value = self.cleaned_data.get("registered_capital")
        if value is not None and value < 0:
            raise ValidationError(_("The registered capital cannot be negative."))
        return value

    def clean_capital_currency(self):
        value = (self.cleaned_data.get("capital_currency") or "").strip().upper()
        if value and not (len(value) == 3 and value.isalpha()):
            raise ValidationError(_("Write the currency as its three-letter ISO code, e.g. CNY."))
        return value

    def clean(self):
        data = super().clean()
        self._clean_identity(data)
        branch = data.get("branch")
        region = branch.country if branch else (self.customer.branch.country if self.customer else "")
        for kind, name in ((ContactPoint.Kind.MOBILE, "mobile"), (ContactPoint.Kind.EMAIL, "email")):
            if kind == ContactPoint.Kind.MOBILE and data.get(name) and not region and not is_international(data[name]):
                # A national number is read in the branch's country: which one is not known yet.
                self.add_error(name, BRANCH_FIRST)
            elif data.get(name):
                try:
                    data[name] = services.normalise_contact(kind, data[name], region)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def _clean_identity(self, data):
        doc_type, number = data.get("doc_type"), (data.get("id_number") or "").strip()
        if not doc_type:
            if number or data.get("issuing_country") or data.get("expiry_date"):
                self.add_error("doc_type", _("Choose the type of the identity document."))
            return
        if not number and self.identity is None:
            self.add_error("id_number", _("Enter the document number."))
        if not data.get("issuing_country"):
            self.add_error("issuing_country", _("Choose the country that issued the document."))
        expiry = data.get("expiry_date")
        if expiry and expiry < timezone.localdate() and expiry != getattr(self.identity, "expiry_date", None):
            self.add_error("expiry_date", _("This document has already expired; enter a valid document."))
        if number:
            try:
                data["id_number"] = services.validate_identity_number(doc_type, number)
            except ValidationError as exc:
                self.add_error("id_number", exc.message_dict["number"])
                return
        birth_date = data.get("birth_date")
        if number and doc_type == IdentityDocument.Type.RESIDENT_ID and birth_date:
            if data["id_number"][6:14] != birth_date.strftime("%Y%m%d"):
                self.add_error("birth_date", _("The birth date differs from the one in the resident ID number."))

    def identity_values(self):
        data = self.cleaned_data
        if not data.get("doc_type"):
            return None
        return {
            "doc_type": data["doc_type"],
            "number": data.get("id_number") or "",
            "issuing_country": str(data.get("issuing_country") or ""),
            "expiry_date": data.get("expiry_date"),
        }

    def customer_data(self):
        """The input of services.create_customer."""
        data = self.cleaned_data
        contacts = [
            {"kind": kind, "value": data[name], "is_primary": True}
            for kind, name in ((ContactPoint.Kind.MOBILE, "mobile"), (ContactPoint.Kind.EMAIL, "email"))
            if data.get(name)
        ]
        manager = data.get("primary_manager") if "primary_manager" in self.fields else self.actor
        return {
            "kind": self.kind,
            **{name: data.get(name) for name in services.CUSTOMER_FIELDS},
            "primary_manager": manager,
            "profile": {name: data.get(name) for name in services.profile_fields(self.kind)},
            "identity": self.identity_values(),
            "contacts": contacts,
        }

    def changes(self):
        """The input of services.update_customer (unchanged values are dropped there)."""
        data = self.cleaned_data
        changes = {name: data.get(name) for name in (*services.CUSTOMER_FIELDS, *services.profile_fields(self.kind))}
        identity = self.identity_values()
        if identity is not None:
            changes[services.IDENTITY] = identity
        return changes


class ContactPointForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The initial kind is what a browser submits for the blank extra row: left alone, it is unchanged.
    kind = forms.ChoiceField(label=_("kind"), choices=ContactPoint.Kind.choices, initial=ContactPoint.Kind.MOBILE)
    value = forms.CharField(label=_("value"), max_length=200, required=False)
    is_primary = forms.BooleanField(label=_("primary"), required=False)
    is_verified = forms.BooleanField(label=_("verified"), required=False)
    opted_out = forms.BooleanField(label=_("opted out"), required=False)

    def __init__(self, *args, region="", unmasked=False, **kwargs):
        self.region, self.unmasked = region, unmasked
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.cleaned_data.get("DELETE") or not self.has_changed() and not self.initial:
            return data
        value = (data.get("value") or "").strip()
        if self.initial.get("id") and not self.unmasked and value == self.initial.get("value"):
            data["value"] = None  # the masked value shown: keep the stored one
            return data
        if not value:
            self.add_error("value", _("Enter the phone number, address or ID."))
            return data
        if data.get("kind"):
            try:
                data["value"] = services.normalise_contact(data["kind"], value, self.region)
            except ValidationError as exc:
                self.add_error("value", exc)
        return data


class BaseContactPointFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        primary_kinds = set()
        for number, form in enumerate(self.forms, start=1):
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("is_primary"):
                continue
            if data["kind"] in primary_kinds:
                raise ValidationError(
                    _("Row %(row)d: only one %(kind)s can be the primary one.")
                    % {"row": number, "kind": ContactPoint.Kind(data["kind"]).label}
                )
            primary_kinds.add(data["kind"])

    def rows(self):
        """The input of services.save_contacts: changed, new and deleted rows."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or (not form.initial and not form.has_changed()):
                continue
            if form.initial and not form.has_changed():
                continue
            rows.append(
                {
                    "id": data.get("id"),
                    "kind": data.get("kind"),
                    "value": data.get("value"),
                    "is_primary": data.get("is_primary"),
                    "is_verified": data.get("is_verified"),
                    "opted_out": data.get("opted_out"),
                    "delete": bool(data.get("DELETE")),
                }
            )
        return rows


ContactPointFormSet = forms.formset_factory(ContactPointForm, formset=BaseContactPointFormSet, extra=1, can_delete=True)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for the rejection"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the request is rejected.")},
    )

    def clean_reason(self):
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise ValidationError(_("Say why the request is rejected."))
        return value


class BulkActionForm(forms.Form):
    ACTIONS = (
        ("tag", gettext_lazy("Add to tag")),
        ("group", gettext_lazy("Add to group")),
        ("dynamic", gettext_lazy("Save as dynamic group")),
    )
    SCOPES = (("selected", gettext_lazy("Selected rows")), ("all", gettext_lazy("All results of this filter")))

    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(choices=SCOPES, required=False)
    selection = forms.TypedMultipleChoiceField(coerce=int, required=False)
    query = forms.CharField(required=False, max_length=2000)
    tag_name = forms.CharField(required=False, max_length=200)
    group = forms.IntegerField(required=False)
    new_group_name = forms.CharField(required=False, max_length=200)
    dynamic_name = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked against the data scope by the service; here they only need to be numbers.
        values = self.data.getlist("selection") if hasattr(self.data, "getlist") else []
        self.fields["selection"].choices = [(v, v) for v in values]

    def clean_selection(self):
        selection = self.cleaned_data["selection"]
        if len(selection) > MAX_SELECTED:
            raise ValidationError(_("Select at most %(n)d rows, or choose all results of the filter.") % {"n": MAX_SELECTED})
        return selection


class LookupForm(forms.Form):
    value = forms.CharField(
        label=gettext_lazy("Number"),
        max_length=64,
        help_text=gettext_lazy("The exact customer number, ID number, phone or account number."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Look up by"), required=False, choices=[("", gettext_lazy("Any of these")), *LOOKUP_KINDS]
    )
    doc_type = forms.ChoiceField(
        label=gettext_lazy("document type"), required=False, choices=[("", "---------"), *IdentityDocument.Type.choices]
    )
