"""Staff messaging pages: my conversations, one conversation, start one, send, hide, link a
customer, a message's file, the "anything new?" poll; and the auditors' search and export.
Thin views over workbench.messaging.services; a conversation the user does not take part in
is a 404 (services raise NotVisible)."""

import time
import zoneinfo

from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm import parameters
from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.messaging import clock, services
from workbench.messaging.filtersets import AuditSearchFilterSet
from workbench.messaging.forms import LinkCustomerForm, MessageForm, SearchForm, StartForm
from workbench.messaging.models import AUDIT_PERMISSION, Message
from workbench.messaging.tables import AuditMessageTable

INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}


def _int(value):
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 <= number < 2**63 else None


class MessagingMixin(PermissionPageMixin):
    """Open to every active staff member of a bank."""

    def has_permission(self):
        return services.may_message(self.request.user)


def poller_context(request):
    """What the poller of a page carries: the newest id the page knows, and until when it polls."""
    idle = parameters.get("session.idle_minutes", request.user.bank_id) or 0
    return {"last_id": services.last_message_id(request.user.pk), "poll_until": int(time.time()) + idle * 60 if idle else 0}


class PollView(MessagingMixin, View):
    """ "Anything new?": 204 while the newest message id of the user's conversations is the one
    the page holds (no SQL while the cache has it); else the poller with the new id and an
    htmx event (`messaging-new`) that the page's parts listen to. A page left alone for the
    session's idle time stops polling (286, htmx's "stop polling"): the poll must not keep an
    unattended session alive past its idle time-out."""

    def get(self, request):
        since = _int(request.GET.get("since"))
        until = _int(request.GET.get("until"))
        if until and time.time() > until:
            return HttpResponse(status=286)
        last = services.last_message_id(request.user.pk)
        if since is not None and since >= last:
            return HttpResponse(status=204)
        response = render(request, "workbench/messaging/poller.html", {"last_id": last, "poll_until": until or 0})
        if since is not None:
            response["HX-Trigger"] = "messaging-new"
        return response


class ConversationListView(MessagingMixin, View):
    def get(self, request):
        user = request.user
        hidden = request.GET.get("hidden") == "1"
        search_form = SearchForm(request.GET)
        query = search_form.cleaned_data["q"].strip() if search_form.is_valid() else ""
        rows = list(services.my_conversations(user, hidden=hidden)[:200])
        names = services.names_of([row.conversation_id for row in rows], exclude_user=user)
        context = {
            "title": _("Messages"),
            "rows": [(row, names.get(row.conversation_id, [])) for row in rows],
            "hidden": hidden,
            "search_form": search_form,
            "query": query,
            "found": services.search_mine(user, query) if query else None,
            **poller_context(request),
        }
        return render(request, "workbench/messaging/list.html", context)


class StartView(MessagingMixin, ServiceFormView):
    form_class = StartForm
    template_name = "workbench/messaging/start.html"
    title = gettext_lazy("New conversation")

    def get_form(self):
        if self.request.method == "GET":
            return self.form_class(initial={"participants": self.request.GET.get("to", "")[:200]})
        return super().get_form()

    def perform(self, form):
        data = form.cleaned_data
        others = services.colleagues_by_names(self.request.user, data["participants"])
        return services.start_conversation(
            self.request.user,
            others,
            title=data["title"],
            customer_number=data["customer"],
            body=data["body"],
            attachment=data.get("attachment"),
        )

    def get_success_url(self, conversation):
        return reverse("workbench:messaging_conversation", args=[conversation.pk])


def _status_of(people, now):
    return [(person, clock.local_status(person, now)) for person in people]


def message_context(user, rows):
    """Each message with the sender's local time when it was sent."""
    shown = []
    for message in rows:
        try:
            zone = zoneinfo.ZoneInfo(message.sender.effective_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        local = timezone.localtime(message.sent_at, zone)
        shown.append({"message": message, "sender_local": local, "mine": message.sender_id == user.pk})
    return shown


class ConversationView(MessagingMixin, View):
    """One conversation: the other people's local time and working hours, the newest page of
    messages ("load earlier" for the rest), the reply form. Reading marks the page read."""

    def get(self, request, pk):
        conversation = services.conversation_for(request.user, pk)
        rows, has_earlier = services.messages_page(conversation)
        others = services.other_people(conversation, request.user)
        context = {
            "conversation": conversation,
            "title": conversation.title or ", ".join(person.display_name for person in others),
            "people": _status_of(others, timezone.now()),
            "items": message_context(request.user, rows),
            "has_earlier": has_earlier,
            "first_id": rows[0].pk if rows else 0,
            "tail_id": max(rows[-1].pk if rows else 0, 0),
            **poller_context(request),
            "form": MessageForm(),
            "link_form": LinkCustomerForm(initial={"customer": conversation.customer.number if conversation.customer else ""}),
        }
        return render(request, "workbench/messaging/conversation.html", context)


class EarlierView(MessagingMixin, View):
    """ "Load earlier": the page of messages before `before`, with its own "load earlier"."""

    def get(self, request, pk):
        conversation = services.conversation_for(request.user, pk)
        before = _int(request.GET.get("before"))
        rows, has_earlier = services.messages_page(conversation, before=before)
        context = {
            "conversation": conversation,
            "items": message_context(request.user, rows),
            "has_earlier": has_earlier,
            "first_id": rows[0].pk if rows else 0,
        }
        return render(request, "workbench/messaging/earlier.html", context)


class NewMessagesView(MessagingMixin, View):
    """The messages after `after` (what the poll announced) and the tail that asks for the next ones."""

    def get(self, request, pk):
        conversation = services.conversation_for(request.user, pk)
        after = _int(request.GET.get("after")) or 0
        rows, _more = services.messages_page(conversation, after=after)
        context = {
            "conversation": conversation,
            "items": message_context(request.user, rows),
            "tail_id": rows[-1].pk if rows else after,
        }
        return render(request, "workbench/messaging/new_messages.html", context)


class ReadView(MessagingMixin, View):
    """POST (htmx, when messages were shown): the person has read the conversation up to `up_to`.
    A page's GET writes nothing; the page posts this once it has shown the messages."""

    http_method_names = ["post"]

    def post(self, request, pk):
        conversation = services.conversation_for(request.user, pk)
        up_to = _int(request.POST.get("up_to")) or 0
        services.mark_read(conversation, request.user, min(up_to, conversation.last_message_id))
        return HttpResponse(status=204)


class SendView(MessagingMixin, ServiceFormView):
    form_class = MessageForm
    template_name = "workbench/messaging/send.html"
    title = gettext_lazy("Send a message")
    renamed_fields = {"attachment": "attachment", "body": "body"}

    def get(self, request, *args, **kwargs):
        return redirect("workbench:messaging_conversation", pk=kwargs["pk"])

    def get_object(self):
        return services.conversation_for(self.request.user, self.kwargs["pk"])

    def perform(self, form):
        return services.send_message(
            self.object, self.request.user, form.cleaned_data["body"], form.cleaned_data.get("attachment")
        )

    def get_success_url(self, message):
        return reverse("workbench:messaging_conversation", args=[self.object.pk]) + f"#m{message.pk}"


class HideView(MessagingMixin, ServiceActionView):
    success_message = gettext_lazy("The conversation is hidden; a new message in it shows it again.")

    def get_object(self):
        return services.conversation_for(self.request.user, self.kwargs["pk"])

    def perform(self):
        return services.hide_conversation(self.object, self.request.user)

    def get_success_url(self, result):
        return reverse("workbench:messaging_list")


class LinkCustomerView(MessagingMixin, ServiceActionView):
    form_class = LinkCustomerForm

    def get_object(self):
        return services.conversation_for(self.request.user, self.kwargs["pk"])

    def perform(self):
        return services.link_customer(self.object, self.request.user, self.form.cleaned_data["customer"])

    def get_success_message(self, conversation):
        if conversation.customer_id:
            return _("The conversation is linked to customer %(number)s.") % {"number": conversation.customer.number}
        return _("The conversation is no longer linked to a customer.")

    def get_success_url(self, result):
        return reverse("workbench:messaging_conversation", args=[self.object.pk])


def _file_response(request, message, handle):
    inline = message.attachment_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
    return FileResponse(
        handle,
        as_attachment=not inline,
        filename=message.attachment_name,
        content_type=message.attachment_type if inline else "application/octet-stream",
    )


class AttachmentView(MessagingMixin, View):
    """A message's file, for its conversation's participants; every download is audited."""

    def get(self, request, pk):
        message, handle = services.open_attachment(pk, request.user)
        return _file_response(request, message, handle)


# --- auditors -------------------------------------------------------------------------------------


class AuditSearchView(ScopedListView):
    """Every message of the bank, searched by text, sender or conversation (auditors only)."""

    model = Message
    table_class = AuditMessageTable
    filterset_class = AuditSearchFilterSet
    permission_required = AUDIT_PERMISSION
    title = gettext_lazy("Search staff messages")
    export_filename = "staff-messages"

    def get_queryset(self):
        return Message.objects.auditable_by(self.request.user).select_related("sender")


class AuditConversationView(PermissionPageMixin, View):
    """One conversation of the bank, read by an auditor (audited), with its XLSX export."""

    permission_required = AUDIT_PERMISSION

    def get(self, request, pk):
        conversation = services.audited_conversation(request.user, pk)
        before = _int(request.GET.get("before"))
        rows, has_earlier = services.messages_page(conversation, before=before, size=200)
        people = services.other_people(conversation, request.user)
        context = {
            "conversation": conversation,
            "title": conversation.title or ", ".join(person.display_name for person in people),
            "people": people,
            "items": message_context(request.user, rows),
            "has_earlier": has_earlier,
            "first_id": rows[0].pk if rows else 0,
        }
        return render(request, "workbench/messaging/audit_conversation.html", context)


class AuditExportView(PermissionPageMixin, View):
    """The whole conversation as XLSX, times in the auditor's zone; the export is audited."""

    permission_required = AUDIT_PERMISSION

    def get(self, request, pk):
        conversation = services.audited_conversation(request.user, pk)
        return xlsx_response(
            services.export_rows(conversation, timezone.get_current_timezone()),
            filename=f"conversation-{conversation.pk}",
            request=request,
            object_type="workbench.conversation",
            detail={"conversation": conversation.pk},
            pii=False,
        )


class AuditAttachmentView(PermissionPageMixin, View):
    permission_required = AUDIT_PERMISSION

    def get(self, request, pk):
        message, handle = services.open_attachment_as_auditor(pk, request.user)
        return _file_response(request, message, handle)
