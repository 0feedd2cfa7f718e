"""Django admin of the customer master, under the same scope rules as the pages.

A bank's administrator sees only their bank's rows (ocrm.admin.ScopedAdminMixin), picks
customers through autocomplete or raw-id widgets (never a select of a million rows), and
searches customers by name keys or exact number (customers.master.search), not by icontains.
Identity numbers are shown masked only; contact values are masked unless the administrator
holds customers.unmask_pii, and a change page showing clear values is audited.

A customer's own fields and profile are saved through customers.master.services.update_customer,
the edit page's service: a change of a field that needs a checker becomes a change request,
exactly as on the page. The manager, merges, the lifecycle and ratings are read-only here (their
own flows change them); customers are created on the New customer page and never deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.master import services
from customers.master.models import (
    Address,
    ContactPoint,
    CorporateProfile,
    Customer,
    CustomerDocument,
    CustomerGroup,
    CustomerNote,
    FxRate,
    Holding,
    Household,
    IdentityDocument,
    Product,
    Relationship,
    RetailProfile,
    ServiceContact,
    Tag,
    Transaction,
)
from customers.master.search import filter_by_name, query_grams
from ocrm.admin import GuardedFieldsMixin, ReadOnlyAdminMixin, ScopedAdminMixin
from ocrm.approvals import services as approvals
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.scoping import scope_of
from sysadmin.org.models import Bank

UNMASK_PERM = "customers.unmask_pii"


class CustomerScopedAdmin(ScopedAdminMixin):
    """Scope for customer models: visible_to where the model has it; rows that carry only a
    bank_id are filtered on it for bank-wide administrators (an index hit on tables of tens
    of millions of rows), and through their customer for anyone narrower."""

    customer_path = "customer"  # how a bank_id-only row reaches its Customer ("" = the pk itself)

    def scope_queryset(self, request, queryset):
        user = request.user
        if user.is_superuser or hasattr(queryset, "visible_to") or not _has_field(queryset.model, "bank_id"):
            return super().scope_queryset(request, queryset)
        if _has_field(queryset.model, "bank") and queryset.model._meta.get_field("bank").is_relation:
            return super().scope_queryset(request, queryset)
        scope = scope_of(user)
        if scope is None:
            return queryset.none()
        queryset = queryset.filter(bank_id=user.bank_id)
        if scope == "bank":
            return queryset
        visible = Customer.objects.visible_to(user).values("pk")
        return queryset.filter(**{f"{self.customer_path}__in": visible})

    def related_queryset(self, request, model):
        if model is Bank:
            return Bank.objects.filter(pk=request.user.bank_id)
        queryset = super().related_queryset(request, model)
        if queryset is None and _has_field(model, "bank"):
            return model._default_manager.filter(bank_id=request.user.bank_id)
        return queryset

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser and "queryset" not in kwargs:
            queryset = self.related_queryset(request, db_field.related_model)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser and request.user.bank_id and _has_field(self.model, "bank"):
            initial.setdefault("bank", request.user.bank_id)
        return initial


def _has_field(model, name):
    return any(f.name == name or f.attname == name for f in model._meta.concrete_fields)


class ChildOfCustomerAdmin(CustomerScopedAdmin):
    """A row that belongs to a customer: bank_id is not typed in, it follows the customer."""

    autocomplete_fields = ("customer",)
    exclude = ("bank_id",)
    list_select_related = ("customer",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        obj.bank_id = obj.customer.bank_id
        super().save_model(request, obj, form, change)


class ProfileInline(GuardedFieldsMixin, admin.StackedInline):
    """Its changes are saved by CustomerAdmin through update_customer (checker fields become a request)."""

    submits_change_requests = True
    can_delete = False
    max_num = 1


class RetailProfileInline(ProfileInline):
    model = RetailProfile
    fields = services.RETAIL_FIELDS


class CorporateProfileInline(ProfileInline):
    model = CorporateProfile
    fields = services.CORPORATE_FIELDS


class IdentityDocumentInline(admin.TabularInline):
    """Masked number only: the hash and the ciphertext are never shown; changes go through
    the maker-checker edit page."""

    model = IdentityDocument
    fields = ("doc_type", "number_masked", "issuing_country", "expiry_date", "is_primary")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContactPointInlineForm(forms.ModelForm):
    class Meta:
        model = ContactPoint
        fields = ("kind", "value", "is_primary", "is_verified", "opted_out")

    def clean(self):
        data = super().clean()
        customer = self.instance.customer if self.instance.customer_id else getattr(self, "parent_customer", None)
        if data.get("kind") and data.get("value") and customer is not None:
            try:
                data["value"] = services.normalise_contact(data["kind"], data["value"], customer.branch.country)
            except ValidationError as exc:
                self.add_error("value", exc)
        return data


class ContactPointInline(admin.TabularInline):
    """Editable (and normalised like the pages) by administrators who may unmask; everyone
    else sees masked values and cannot change them."""

    model = ContactPoint
    form = ContactPointInlineForm
    extra = 0

    def get_fields(self, request, obj=None):
        if request.user.has_perm(UNMASK_PERM):
            return ("kind", "value", "is_primary", "is_verified", "opted_out")
        return ("kind", "masked", "is_primary", "is_verified", "opted_out")

    def get_readonly_fields(self, request, obj=None):
        if request.user.has_perm(UNMASK_PERM):
            return ()
        return ("kind", "masked", "is_primary", "is_verified", "opted_out")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(UNMASK_PERM) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(UNMASK_PERM) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(UNMASK_PERM) and super().has_delete_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form = formset.form
        # New rows do not know their customer before saving; normalisation needs its country.
        formset.form = type(form.__name__, (form,), {"parent_customer": obj})
        return formset

    @admin.display(description=_("value"))
    def masked(self, obj):
        return obj.masked_value


class AddressInline(admin.StackedInline):
    model = Address
    exclude = ("bank_id",)
    extra = 0


class NameOrNumberSearchMixin:
    """Customer search over a million rows: the exact customer number, or the name keys
    (customers.master.search: GIN bigram/prefix index). `search_customer_path` is the path from the
    admin's model to the customer ("" = the model is Customer)."""

    search_customer_path = ""

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        prefix = f"{self.search_customer_path}__" if self.search_customer_path else ""
        matches = (
            Customer.objects.filter(bank_id__in=_bank_ids(request)) if not request.user.is_superuser else (Customer.objects.all())
        )
        by_number = matches.filter(number=term)
        if query_grams(term)[0]:
            by_number = by_number | filter_by_name(matches, term)
        return queryset.filter(**{f"{prefix}pk__in": by_number.values("pk")}), False


def _bank_ids(request):
    return [request.user.bank_id] if request.user.bank_id else []


class UpdateRefused(Exception):
    """update_customer refused an admin form (e.g. the field already awaits approval)."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


@admin.register(Customer)
class CustomerAdmin(NameOrNumberSearchMixin, CustomerScopedAdmin, admin.ModelAdmin):
    list_display = (
        "number",
        "name_local",
        "name_latin",
        "kind",
        "branch",
        "primary_manager",
        "lifecycle_stage",
        "tier",
        "star_rating",
        "aum",
    )
    list_select_related = ("branch", "primary_manager")
    # Choice fields only: a filter over a foreign key would list every branch and manager of every bank.
    list_filter = ("kind", "lifecycle_stage", "tier", "risk_level", "do_not_contact")
    search_fields = ("number",)  # see get_search_results: exact number or name keys, never icontains
    search_help_text = _("Exact customer number, or part of the name (Chinese characters or the start of a Latin word).")
    show_full_result_count = False
    raw_id_fields = ("branch",)
    submits_change_requests = True  # see save_related
    # What their own flows change: claims and reassignments (manager), merges, the nightly lifecycle and ratings.
    readonly_fields = (
        "number",
        "kind",
        "bank",
        "primary_manager",
        "household",
        "merged_into",
        "lifecycle_stage",
        "tier",
        "star_rating",
        "aum",
        "contribution",
        "source_systems",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields[:3], *services.CUSTOMER_FIELDS, *readonly_fields[3:])
    ordering = ("number",)

    def has_add_permission(self, request):
        return False  # the New customer page numbers, checks and audits a new customer

    def has_delete_permission(self, request, obj=None):
        return False  # customers are merged or exited, never deleted

    def get_inlines(self, request, obj):
        profile = [] if obj is None else [RetailProfileInline if obj.is_retail else CorporateProfileInline]
        return [*profile, IdentityDocumentInline, ContactPointInline, AddressInline]

    def save_model(self, request, obj, form, change):
        """Nothing here: save_related sends the customer's and the profile's changes to update_customer."""

    def save_related(self, request, form, formsets, change):
        """The customer's own fields and its profile through the edit page's service (checker fields
        become one change request); contacts and addresses, which need no checker, as admin saves them."""
        customer = form.instance
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CUSTOMER_FIELDS}
        for formset in formsets:
            if isinstance(formset.instance, Customer) and formset.model in (RetailProfile, CorporateProfile):
                for profile_form in formset.forms:
                    changes |= {name: profile_form.cleaned_data[name] for name in profile_form.changed_data}
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # for admin's history
            else:
                self.save_formset(request, form, formset, change=change)
        if changes:
            try:
                request.customer_update = services.update_customer(
                    customer, changes, request.user, reason=str(_("Changed in the administration"))
                )
            except ValidationError as exc:
                raise UpdateRefused(exc) from exc
        customer.refresh_from_db()  # the form set values a checker has not approved yet: history and messages show the row

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except UpdateRefused as refused:  # raised inside admin's transaction: nothing of the form was kept
            for message in refused.error.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def response_change(self, request, obj):
        result = getattr(request, "customer_update", None)
        if result is not None and result.pending:
            fields = ", ".join(approvals.field_labels(result.change_request))
            self.message_user(
                request,
                _("Sent for approval as change request #%(id)s: %(fields)s. It applies once a checker approves it.")
                % {"id": result.change_request.pk, "fields": fields},
                messages.WARNING,
            )
        return super().response_change(request, obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if _has_field(type(instance), "bank_id"):
                instance.bank_id = form.instance.bank_id
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and request.user.has_perm(UNMASK_PERM):
            customer = response.context_data["original"]
            contact_ids = list(ContactPoint.objects.filter(customer=customer).values_list("pk", flat=True))
            if contact_ids:
                audit.record(
                    AuditLog.Action.VIEW_PII,
                    customer,
                    actor=request.user,
                    bank_id=customer.bank_id,
                    detail={"page": "admin", "contact_points": contact_ids},
                )
        return response


@admin.register(Product)
class ProductAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    list_display = ("code", "name_local", "name_en", "category", "product_type", "currency", "risk_level", "is_active")
    list_filter = ("category", "product_type", "currency", "is_active")
    search_fields = ("code", "name_local", "name_en")


@admin.register(FxRate)
class FxRateAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    """Read-only: a rate is posted through the rate board (a checker approves it) or a rates feed
    (customers.fx), never typed in here."""

    list_display = ("currency", "rate", "buy_transfer", "sell_transfer", "buy_cash", "sell_cash", "effective_at", "source")
    list_filter = ("currency", "source")
    search_fields = ("=currency",)
    ordering = ("-as_of", "-effective_at", "currency")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "colour")
    search_fields = ("name",)


@admin.register(CustomerGroup)
class CustomerGroupAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "created_at")
    list_filter = ("kind",)
    list_select_related = ("owner",)
    search_fields = ("name",)
    raw_id_fields = ("owner",)
    autocomplete_fields = ("members",)


@admin.register(Household)
class HouseholdAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "primary_member")
    list_select_related = ("primary_member",)
    search_fields = ("name",)
    autocomplete_fields = ("primary_member",)

    def save_model(self, request, obj, form, change):
        if obj.primary_member_id and obj.primary_member.bank_id != obj.bank_id:
            obj.primary_member = None  # the form's scoped choices make this unreachable for a bank's admin
        super().save_model(request, obj, form, change)


@admin.register(Holding)
class HoldingAdmin(NameOrNumberSearchMixin, ChildOfCustomerAdmin, admin.ModelAdmin):
    list_display = ("account_number", "customer", "product", "currency", "balance", "status", "open_date", "maturity_date")
    list_select_related = ("customer", "product")
    list_filter = ("status", "currency")
    search_fields = ("=account_number",)
    search_customer_path = "customer"
    raw_id_fields = ("branch",)

    def get_search_results(self, request, queryset, search_term):
        by_account = queryset.filter(account_number=(search_term or "").strip())
        if by_account.exists():
            return by_account, False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, CustomerScopedAdmin, admin.ModelAdmin):
    """Tens of millions of rows: no counts, no date hierarchy, search by exact account only."""

    customer_path = "customer_id"
    list_display = ("occurred_at", "holding", "direction", "amount", "currency", "channel", "txn_type", "description")
    list_select_related = ("holding",)
    list_filter = ("channel", "direction", "is_financial")
    search_fields = ("=holding__account_number",)
    show_full_result_count = False
    fields = (
        "occurred_at",
        "customer_id",
        "holding",
        "direction",
        "amount",
        "currency",
        "channel",
        "txn_type",
        "description",
        "is_financial",
        "customer_initiated",
    )
    readonly_fields = fields


@admin.register(ServiceContact)
class ServiceContactAdmin(NameOrNumberSearchMixin, ChildOfCustomerAdmin, admin.ModelAdmin):
    list_display = ("occurred_at", "customer", "channel", "role", "staff", "subject", "outcome", "next_action_date")
    list_select_related = ("customer", "staff")
    list_filter = ("channel", "role")
    search_fields = ("customer__number",)
    search_customer_path = "customer"
    raw_id_fields = ("staff",)


@admin.register(CustomerDocument)
class CustomerDocumentAdmin(NameOrNumberSearchMixin, ChildOfCustomerAdmin, admin.ModelAdmin):
    """Uploads go through the 360 page (type sniffed, size capped, audited); here only the
    type and description change, and the file opens through the audited document view."""

    list_display = ("uploaded_at", "customer", "doc_type", "original_name", "content_type", "size", "uploaded_by")
    list_select_related = ("customer", "uploaded_by")
    list_filter = ("doc_type", "content_type")
    search_fields = ("customer__number",)
    search_customer_path = "customer"
    fields = (
        "customer",
        "doc_type",
        "description",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "open_link",
    )
    readonly_fields = ("customer", "original_name", "content_type", "size", "uploaded_by", "uploaded_at", "open_link")
    autocomplete_fields = ()

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("file"))
    def open_link(self, obj):
        url = reverse("customers:document", args=[obj.customer.number, obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("Open (audited)"))


@admin.register(CustomerNote)
class CustomerNoteAdmin(NameOrNumberSearchMixin, ChildOfCustomerAdmin, admin.ModelAdmin):
    list_display = ("created_at", "customer", "author", "short_text")
    list_select_related = ("customer", "author")
    search_fields = ("customer__number",)
    search_customer_path = "customer"
    raw_id_fields = ("author",)

    @admin.display(description=_("note"))
    def short_text(self, obj):
        return obj.text[:80]


@admin.register(Relationship)
class RelationshipAdmin(CustomerScopedAdmin, admin.ModelAdmin):
    customer_path = "from_customer"
    list_display = ("from_customer", "kind", "to_customer", "share_percent", "note")
    list_select_related = ("from_customer", "to_customer")
    list_filter = ("kind",)
    search_fields = ("from_customer__number",)
    autocomplete_fields = ("from_customer", "to_customer")
    exclude = ("bank_id",)
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(from_customer__number=term) | Q(to_customer__number=term)), False

    def save_model(self, request, obj, form, change):
        obj.bank_id = obj.from_customer.bank_id
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class SameBankForm(form):
            def clean(self):
                data = super().clean()
                first, second = data.get("from_customer"), data.get("to_customer")
                if first and second and first.bank_id != second.bank_id:
                    raise ValidationError(_("Both customers must belong to the same bank."))
                return data

        return SameBankForm


class HistoryAdmin(ReadOnlyAdminMixin, NameOrNumberSearchMixin, CustomerScopedAdmin, admin.ModelAdmin):
    list_select_related = ("customer",)
    search_fields = ("customer__number",)
    search_customer_path = "customer"
    show_full_result_count = False
