"""Cross-border request pages: the list (sent and received, by scope), a new request, the request
page (deadline in both zones, shared record for the receiving side, messages, log, actions)."""

import datetime
import decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from crossborder.bus.client import BusClient, BusError
from crossborder.requests import services, statistics
from crossborder.requests.filtersets import RequestFilterSet
from crossborder.requests.forms import AttachmentForm, CompleteForm, MessageForm, ReassignForm, RequestForm, StatisticsForm
from crossborder.requests.models import CrossBorderRequest
from crossborder.requests.tables import RequestTable
from customers.master.models import Customer
from ocrm.errors import Refused, messages_of
from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, add_errors

PERMISSION = "customers.view_customer"
S = CrossBorderRequest.Status


def field_label(field, language):
    return field.get("label_local") if language.startswith("zh") else field.get("label_en")


class RequestListView(ScopedListView):
    model = CrossBorderRequest
    permission_required = PERMISSION
    table_class = RequestTable
    filterset_class = RequestFilterSet
    select_related = ("service_type", "from_branch", "to_branch")
    title = gettext_lazy("Cross-border requests")
    export_filename = "crossborder-requests"
    create_url = "crossborder:request_create"


class RequestCreateView(PermissionPageMixin, View):
    permission_required = PERMISSION
    template_name = "crossborder/request_form.html"

    def get(self, request):
        form = RequestForm(user=request.user, initial={"customer": request.GET.get("customer", ""), "shared_parts": ["profile"]})
        return self.render(form)

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, "title": _("New cross-border request")})

    def post(self, request):
        form = RequestForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(form)
        customer = Customer.objects.visible_to(request.user).filter(number=form.cleaned_data["customer"].strip()).first()
        if customer is None:
            form.add_error("customer", _("No customer of yours has this number."))
            return self.render(form)
        try:
            created = services.submit(
                request.user,
                customer_id=customer.pk,
                to_branch=form.cleaned_data["to_branch"],
                service_type=form.cleaned_data["service_type"],
                form_data=form.cleaned_data["details"],
                shared_parts=form.cleaned_data["shared_parts"],
            )
        except ValidationError as error:
            add_errors(form, error, renamed={"form_data": "details", **{f: "details" for f in error.message_dict}})
            return self.render(form)
        except Refused as error:
            form.add_error(None, str(error))
            return self.render(form)
        messages.success(request, _("The request was sent to the receiving branch."))
        return redirect("crossborder:request", created.pk)


class RequestDetailView(PermissionPageMixin, View):
    permission_required = PERMISSION
    template_name = "crossborder/request_detail.html"

    def get(self, request, pk):
        item = services.get_request(request.user, pk)
        side = services.side_of(request.user, item)
        shared = None
        if side == "receiver" and services.sharing_open(item):
            item, shared = services.shared_record(request.user, pk)
        officer = services.is_officer(request.user, item.to_branch) or request.user.is_superuser
        allowed = services.TRANSITIONS.get(item.status, {})
        actions = [
            target
            for target, who in allowed.items()
            if target not in (S.ACCEPTED, S.COMPLETED)
            and (who == "either" or who == side)
            and (side == "requester" or officer or item.assigned_to_id == request.user.pk)
        ]
        bus_answer, bus_error = None, ""
        bus = BusClient.for_bank(item.to_bank_id) if side == "receiver" and item.is_open else None
        if bus is not None:
            reference = item.form_data.get("foreign_reference") or item.customer.number
            try:
                bus_answer = bus.lookup(reference, request=item, actor=request.user)
            except BusError as error:
                bus_error = _("The transaction bus did not answer: %(reason)s") % {"reason": error}
        context = {
            "bus_answer": bus_answer,
            "bus_error": bus_error,
            "item": item,
            "side": side,
            "deadline": services.deadline(item),
            "shared": shared,
            "may_accept": side == "receiver" and officer and item.status == S.SUBMITTED,
            "may_complete": side == "receiver" and S.COMPLETED in allowed and (officer or item.assigned_to_id == request.user.pk),
            "may_reassign": side == "receiver" and officer and item.is_open,
            "actions": [(target, S(target).label) for target in actions],
            "colleagues": services.officers_of(item.to_branch) if side == "receiver" else [],
            "events": item.events.select_related("actor"),
            "thread": item.messages.select_related("author"),
            "message_form": MessageForm(),
            "attachments": item.attachments.select_related("uploaded_by"),
            "attachment_form": AttachmentForm(documents=item.service_type.required_documents),
            "complete_form": CompleteForm(initial={"fee_currency": item.to_bank.base_currency}),
            "form_fields": [
                (field_label(field, request.LANGUAGE_CODE), item.form_data.get(field["name"], ""))
                for field in item.service_type.form_fields
            ],
        }
        return render(request, self.template_name, context)


class RequestActionView(PermissionPageMixin, View):
    """One POST button: accept, a status move, complete, reassign or a message."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk, action):
        user = request.user
        try:
            if action == "accept":
                services.accept(user, pk)
            elif action == "complete":
                form = CompleteForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors)
                fee = form.cleaned_data["fee"]
                services.complete(
                    user,
                    pk,
                    fee_amount_minor=int((fee * 100).to_integral_value(decimal.ROUND_HALF_UP)) if fee else None,
                    fee_currency=form.cleaned_data["fee_currency"],
                    note=form.cleaned_data["note"],
                )
            elif action == "reassign":
                form = ReassignForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(form.errors)
                services.reassign(user, pk, form.cleaned_data["assigned_to"])
            elif action == "message":
                services.post_message(user, pk, request.POST.get("body", ""))
            elif action in S.values:
                services.transition(user, pk, action, note=request.POST.get("note", ""))
            else:
                services.get_request(user, pk)
                raise Refused(_("Unknown action."))
        except (ValidationError, Refused, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                services.get_request(user, pk)  # outside the scope stays a 404
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Done."))
        return redirect(reverse("crossborder:request", args=[pk]))


# Shown inline in the browser; anything else is downloaded (never rendered as HTML from our origin).
INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}


class AttachmentUploadView(PermissionPageMixin, View):
    """POST a file on the request (either side, while it is open)."""

    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        form = AttachmentForm(request.POST, request.FILES)
        try:
            if not form.is_valid():
                services.get_request(request.user, pk)  # outside the scope stays a 404
                raise ValidationError(form.errors)
            services.add_attachment(request.user, pk, form.cleaned_data["file"], document_kind=form.cleaned_data["document_kind"])
        except (ValidationError, Refused) as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("The file was attached."))
        return redirect(reverse("crossborder:request", args=[pk]) + "#xborder-attachments")


class AttachmentDownloadView(PermissionPageMixin, View):
    """Streams one of the request's files to either side; every opening is audited (by the service)."""

    permission_required = PERMISSION

    def get(self, request, pk, attachment_id):
        attachment, handle = services.open_attachment(request.user, pk, attachment_id)
        inline = attachment.content_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
        return FileResponse(
            handle,
            as_attachment=not inline,
            filename=attachment.original_name,
            content_type=attachment.content_type if inline else "application/octet-stream",
        )


class StatisticsView(PermissionPageMixin, View):
    """Requests in a period (submitted, in the user's zone) grouped by partner bank and direction,
    corridor (country or branch), service type or status: outcomes, SLA met/missed, open past due,
    average business hours to complete, fees and the revenue shared; two charts; drill-down to the
    requests list (same scope); XLSX (?export=xlsx, audited)."""

    permission_required = PERMISSION
    template_name = "crossborder/statistics.html"

    def get(self, request):
        today = timezone.localdate()
        default_from = (today.replace(day=1) - datetime.timedelta(days=60)).replace(day=1)
        form = StatisticsForm(request.GET or {"date_from": default_from, "date_to": today, "group": "partner"})
        rows, summed = [], None
        with_revenue = request.user.has_perm("crossborder.view_profitstatement")
        if form.is_valid():
            data = form.cleaned_data
            rows = statistics.summarize(
                request.user, data["date_from"], data["date_to"], data["group"] or "partner", with_revenue=with_revenue
            )
            summed = statistics.totals(rows)
            period = {"submitted_from": data["date_from"].isoformat(), "submitted_to": data["date_to"].isoformat()}
            base = reverse("crossborder:requests")
            for row in rows:
                drill = {**row["drill"], **period}
                row["url"] = f"{base}?{urlencode(drill)}"
                row["url_completed"] = f"{base}?{urlencode({**drill, 'status': S.COMPLETED})}"
                row["url_missed"] = f"{base}?{urlencode({**drill, 'sla': 'missed'})}"
                row["url_overdue"] = f"{base}?{urlencode({**drill, 'sla': 'overdue'})}"
            for item in (*rows, summed):
                item["fees_text"] = money_text(item["fees"])
                item["shared_originating"] = money_text(item["shared"], "originating")
                item["shared_servicing"] = money_text(item["shared"], "servicing")
        if request.GET.get("export") == "xlsx" and form.is_valid():
            return self.export(request, rows, with_revenue)
        chart = {
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(_("Completed within the service time")), "data": [r["sla_met"] for r in rows]},
                {"label": str(_("Completed late")), "data": [r["sla_missed"] for r in rows]},
                {"label": str(_("Open")), "data": [r["open"] for r in rows]},
                {"label": str(_("Declined or cancelled")), "data": [r["declined"] + r["cancelled"] for r in rows]},
            ],
        }
        hours_chart = {
            "labels": [row["label"] for row in rows],
            "datasets": [
                {"label": str(_("Average business hours to complete")), "data": [r["avg_business_hours"] for r in rows]}
            ],
        }
        context = {
            "title": _("Cross-border statistics"),
            "form": form,
            "rows": rows,
            "totals": summed,
            "chart": chart,
            "hours_chart": hours_chart,
            "with_revenue": with_revenue,
        }
        return render(request, self.template_name, context)

    def export(self, request, rows, with_revenue):
        header = [
            _("group"),
            _("requests"),
            _("Open"),
            _("Open past due"),
            _("completed"),
            _("Completed within the service time"),
            _("Completed late"),
            _("SLA met rate"),
            _("Average business hours to complete"),
            _("declined"),
            _("cancelled"),
            _("fees"),
        ]
        if with_revenue:
            header += [_("Revenue shared: requesting side"), _("Revenue shared: servicing side")]
        data = []
        for row in rows:
            line = [
                row["label"],
                row["total"],
                row["open"],
                row["overdue"],
                row["completed"],
                row["sla_met"],
                row["sla_missed"],
                "" if row["sla_met_pct"] is None else row["sla_met_pct"],
                "" if row["avg_business_hours"] is None else row["avg_business_hours"],
                row["declined"],
                row["cancelled"],
                money_text(row["fees"]),
            ]
            if with_revenue:
                line += [money_text(row["shared"], "originating"), money_text(row["shared"], "servicing")]
            data.append(line)
        return xlsx_response(
            [[str(title) for title in header], *data],
            filename="crossborder-statistics",
            request=request,
            object_type="crossborder_statistics",
        )


def money_text(amounts, side=None):
    """{currency: minor} (or {currency: {side: minor}} with `side`) as "GBP 25.00; USD 3.10"."""
    items = sorted((currency, value[side] if side else value) for currency, value in amounts.items())
    return "; ".join(f"{currency} {amount / 100:.2f}" for currency, amount in items)
