"""django-filter definitions of the organisation list pages. Every choice list that
names branches is limited to the branches the user may see."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from sysadmin.org.models import Branch, Staff
from sysadmin.roles import ROLE_LABELS


class BranchCodeField(forms.ModelChoiceField):
    """A branch typed by its code, looked up among the branches the user may see. A text
    box, not a select: a bank has thousands of branches, and rendering them all as
    <option>s cost more than the rest of the page."""

    default_error_messages = {"invalid_choice": _("No branch with this code is within your scope.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": _("branch code"), "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = (value or "").strip()
        if value in self.empty_values:
            return None
        # A superuser sees every bank, where the same code may repeat: take the first by tree order.
        branch = self.queryset.filter(code=value).order_by("bank_id", "path").first()
        if branch is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return branch


class TypedChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice typed into a text box (a branch code, a user name): its queryset only checks what
    was typed, and the box lists no choices, so a form where nothing was typed gets an empty one.
    Building the scoped queryset cost about a thousand Python calls on every list page."""

    choice_model = None  # what is typed: the model of the queryset

    def get_queryset(self, request):
        parent = getattr(self, "parent", None)
        data = getattr(parent, "data", None)
        name = next((name for name, each in parent.filters.items() if each is self), None) if data else None
        if name is None or not str(data.get(name) or "").strip():
            return self.choice_model.objects.none()
        return super().get_queryset(request)


class BranchSubtreeFilter(TypedChoiceFilter):
    """The branch with the typed code and every branch below it; field_name is the path to match."""

    field_class = BranchCodeField
    choice_model = Branch

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__startswith": value.path})


def yes_no_select():
    return forms.Select(choices=[("", "---------"), ("true", _("yes")), ("false", _("no"))])


def visible_branches(request):
    if request is None:
        return Branch.objects.none()
    return Branch.objects.visible_to(request.user).only("id", "code", "name_local", "path").order_by("bank_id", "path")


class BranchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="filter_text")
    level = django_filters.ChoiceFilter(label=_("level"), choices=Branch.Level.choices)
    country = django_filters.ChoiceFilter(label=_("country"), choices=())
    subtree = BranchSubtreeFilter(label=_("Within branch"), field_name="path", queryset=visible_branches)
    is_active = django_filters.BooleanFilter(label=_("active"), widget=yes_no_select())

    class Meta:
        model = Branch
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the countries the user's branches are in: a short list, one query.
        present = set()
        if self.request is not None:
            present = set(Branch.objects.visible_to(self.request.user).order_by().values_list("country", flat=True).distinct())
        self.filters["country"].extra["choices"] = [(code, name) for code, name in countries if code in present]

    def filter_text(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(code__icontains=value) | Q(name_local__icontains=value) | Q(name_en__icontains=value))


class LockedFilter(django_filters.BooleanFilter):
    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(locked_at__isnull=not value)


class StaffFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name, user name, number or e-mail"), method="filter_text")
    branch = BranchSubtreeFilter(label=_("Within branch"), field_name="branch__path", queryset=visible_branches)
    role = django_filters.ChoiceFilter(label=_("role"), field_name="groups__name", choices=list(ROLE_LABELS.items()))
    status = django_filters.ChoiceFilter(label=_("status"), choices=Staff.Status.choices)
    locked = LockedFilter(label=_("locked"), widget=yes_no_select())

    class Meta:
        model = Staff
        fields = ()

    def filter_text(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(username__icontains=value)
            | Q(employee_no__icontains=value)
            | Q(name_local__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )
