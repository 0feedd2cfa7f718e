"""The outbox pages for administrators (permission ocrm.manage_outbox, rows of their bank only:
another bank's template or message is a 404): templates (list, create, edit with validation,
preview with sample data), the outbox search with masked numbers, a message's history and its
resend (audited), statistics per day, state and gateway. Thin: the work is ocrm.outbox.services'."""

import zoneinfo

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.outbox import services
from ocrm.outbox.filtersets import MessageFilterSet, TemplateFilterSet
from ocrm.outbox.forms import PreviewForm, TemplateForm
from ocrm.outbox.models import MessageTemplate, OutboundMessage, State
from ocrm.outbox.tables import MessageTable, TemplateTable, masked
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView

PERM = "ocrm.manage_outbox"


class TemplateListView(ScopedListView):
    permission_required = PERM
    model = MessageTemplate
    table_class = TemplateTable
    filterset_class = TemplateFilterSet
    title = gettext_lazy("Message templates")
    create_url = "outbox:template_create"


class TemplateFormView(ServiceFormView):
    permission_required = PERM
    form_class = TemplateForm
    template_name = "ocrm/outbox/template_form.html"
    success_url = "outbox:templates"
    renamed_fields = {}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.object is not None:
            kwargs.setdefault("initial", TemplateForm.initial_of(self.object))
        return kwargs

    def perform(self, form):
        template = self.object or MessageTemplate(bank_id=self.request.user.bank_id)
        data = form.cleaned_data
        for name in ("code", "name", "channel", "purpose", "category", "variables", "is_active"):
            setattr(template, name, data[name])
        template.texts = form.texts()
        return services.save_template(template, self.request.user)

    def get_success_message(self, template):
        return _("The template %(code)s was saved.") % {"code": template.code}

    def get_context_data(self, **kwargs):
        return super().get_context_data(template=self.object, **kwargs)


class TemplateCreateView(TemplateFormView):
    title = gettext_lazy("New message template")

    def check_object(self, obj):
        if self.request.user.bank_id is None:
            raise NotVisible  # a template belongs to a bank


class TemplateEditView(TemplateFormView):
    model = MessageTemplate

    def get_title(self):
        return _("Message template %(code)s") % {"code": self.object.code}


class TemplatePreviewView(PermissionPageMixin, View):
    permission_required = PERM

    def get(self, request, pk):
        template = MessageTemplate.objects.visible_to(request.user).filter(pk=pk).first()
        if template is None:
            raise NotVisible
        form = PreviewForm(request.GET or None)
        sample = form.values() if form.is_valid() else {}
        if not request.GET:
            sample = {name: name.upper() for name in template.variables or []}
        return render(
            request,
            "ocrm/outbox/template_preview.html",
            {
                "title": _("Preview of %(code)s") % {"code": template.code},
                "template": template,
                "form": form
                if request.GET
                else PreviewForm(initial={"sample": "\n".join(f"{k}={v}" for k, v in sample.items())}),
                "rows": services.preview(template, sample),
                "errors": services.template_errors(template),
            },
        )


class MessageListView(ScopedListView):
    permission_required = PERM
    model = OutboundMessage
    table_class = MessageTable
    filterset_class = MessageFilterSet
    title = gettext_lazy("Outbox")

    def get_queryset(self):
        return super().get_queryset().select_related("template").defer("body", "subject")


class MessageDetailView(PermissionPageMixin, View):
    permission_required = PERM

    def get(self, request, pk):
        message = (
            OutboundMessage.objects.visible_to(request.user)
            .select_related("template", "gateway", "resent_from")
            .filter(pk=pk)
            .first()
        )
        if message is None:
            raise NotVisible
        return render(
            request,
            "ocrm/outbox/message_detail.html",
            {
                "title": _("Message #%(id)s") % {"id": message.pk},
                "message": message,
                "masked_address": masked(message),
                "events": list(message.events.all()),
                "may_resend": message.state in (State.FAILED, State.EXPIRED),
            },
        )


class MessageResendView(ServiceActionView):
    permission_required = PERM
    model = OutboundMessage

    def perform(self):
        return services.resend(self.object, self.request.user)

    def get_success_message(self, message):
        return _("Queued again as message #%(id)s.") % {"id": message.pk}

    def get_success_url(self, message):
        return reverse("outbox:message_detail", args=[(message or self.object).pk])


class StatisticsView(PermissionPageMixin, View):
    permission_required = PERM
    days = 30

    def get(self, request):
        try:
            zone = zoneinfo.ZoneInfo(request.user.effective_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, AttributeError):
            zone = timezone.get_current_timezone()
        stats = services.statistics(OutboundMessage.objects.visible_to(request.user), zone, days=self.days)
        states = [state for state, _label in State.choices]
        days = sorted({row["day"] for row in stats["per_day"]})
        table = {day: dict.fromkeys(states, 0) for day in days}
        for row in stats["per_day"]:
            table[row["day"]][row["state"]] = row["n"]
        chart = {
            "labels": [day.isoformat() for day in days],
            "datasets": [
                {"label": str(label), "data": [table[day][state] for day in days]}
                for state, label in State.choices
                if any(table[day][state] for day in days)
            ],
        }
        return render(
            request,
            "ocrm/outbox/statistics.html",
            {
                "title": _("Outbox statistics"),
                "days": self.days,
                "rows": [(day, [table[day][s] for s in states]) for day in days],
                "states": State.choices,
                "per_gateway": stats["per_gateway"],
                "chart": chart,
            },
        )
