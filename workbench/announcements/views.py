"""Pages of announcements. Thin views over workbench.announcements.services.

Readers (any logged-in staff member): the current list (pinned first), the detail (marks it
opened; the acknowledge button), the history search and attachment downloads; an announcement
whose audience does not include the person is a 404 (Announcement.objects.for_reader).
Publishers: their list (Announcement.objects.visible_to), the form (create / change a draft),
attachments, publish, withdraw, and the reach page with its XLSX export."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages import INFO, SUCCESS
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm import links, parameters
from ocrm.errors import NotVisible
from ocrm.lists.exports import table_rows, xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.announcements import services
from workbench.announcements.filtersets import ManageFilterSet
from workbench.announcements.forms import AnnouncementForm, AttachmentForm, HistorySearchForm
from workbench.announcements.models import Announcement, AnnouncementAttachment, AnnouncementBranch, AnnouncementRole
from workbench.announcements.tables import ManageTable, ReachPeopleTable

VIEW_PERM = "workbench.view_announcement"
INLINE_CONTENT_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}
HISTORY_PAGE_SIZE = 20


# --- readers -------------------------------------------------------------------------------------------


class CurrentListView(LoginRequiredMixin, View):
    def get(self, request):
        announcements = list(services.current_for(request.user).prefetch_related("attachments")[:200])
        return render(request, "workbench/announcements/list.html", {"announcements": announcements})


class DetailView(LoginRequiredMixin, View):
    """Marks the announcement opened for a reader; its publisher (and whoever manages it) sees the
    same page as a preview, which records nothing and offers no acknowledgement."""

    def get(self, request, pk):
        preview = False
        try:
            announcement = services.readable(request.user, pk)
        except NotVisible:
            announcement = services.previewable(request.user, pk)
            preview = True
        if not preview and announcement.my_opened_at is None:
            services.mark_opened(announcement, request.user)
        attachments = list(announcement.attachments.all())
        return render(
            request,
            "workbench/announcements/detail.html",
            {"announcement": announcement, "attachments": attachments, "preview": preview},
        )


class AcknowledgeView(ServiceActionView):
    permission_required = ()  # any logged-in person; the service asks whether they are in the audience

    def perform(self):
        return services.acknowledge(self.kwargs["pk"], self.request.user)

    def get_success_message(self, receipt):
        return _("Thank you: your acknowledgement is recorded.")

    def get_success_url(self, receipt):
        return links.url("announcement_detail", self.kwargs["pk"])


class HistoryView(LoginRequiredMixin, View):
    def get(self, request):
        form = HistorySearchForm(request.GET or None)
        announcements = Announcement.objects.for_reader(request.user).with_receipt_of(request.user)
        if form.is_valid():
            announcements = announcements.search(form.cleaned_data["q"])
            if form.cleaned_data["kind"]:
                announcements = announcements.filter(kind=form.cleaned_data["kind"])
        page = Paginator(announcements.order_by("-valid_from", "-id"), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "workbench/announcements/history.html", {"form": form, "page": page})


class AttachmentView(LoginRequiredMixin, View):
    def get(self, request, pk):
        attachment, handle = services.open_attachment(pk, request.user)
        inline = attachment.content_type in INLINE_CONTENT_TYPES and request.GET.get("download") != "1"
        return FileResponse(
            handle,
            as_attachment=not inline,
            filename=attachment.original_name,
            content_type=attachment.content_type if inline else "application/octet-stream",
        )


# --- publishers -----------------------------------------------------------------------------------------


class ManageListView(ScopedListView):
    model = Announcement
    permission_required = VIEW_PERM
    table_class = ManageTable
    filterset_class = ManageFilterSet
    select_related = ("created_by",)
    title = gettext_lazy("Announcements I manage")
    export_filename = "announcements"
    create_url = "workbench:announcement_create"
    create_perm = services.PUBLISH_PERM


class AnnouncementFormMixin:
    form_class = AnnouncementForm
    template_name = "workbench/announcements/form.html"
    renamed_fields = {}

    def get_form(self):
        return self.form_class(user=self.request.user, **self.get_form_kwargs())

    def perform(self, form):
        return services.save_announcement(self.request.user, form.cleaned_data, self.object)

    def get_success_message(self, announcement):
        return _("The announcement is saved as a draft. Publish it when it is ready.")

    def get_success_url(self, announcement):
        return links.url("announcement_manage", announcement.pk)


class CreateView(AnnouncementFormMixin, ServiceFormView):
    permission_required = services.PUBLISH_PERM
    title = gettext_lazy("New announcement")

    def check_object(self, obj):
        if not services.may_publish(self.request.user):
            raise PermissionDenied(_("You may not publish announcements."))


class ManageView(AnnouncementFormMixin, ServiceFormView):
    """The publisher's page of one announcement: the form while it is a draft, its attachments,
    publish / withdraw, a link to its reach."""

    permission_required = VIEW_PERM
    model = Announcement
    select_related = ("created_by", "change_request")

    def post(self, request, *args, **kwargs):
        if not services.may_publish(request.user):
            raise PermissionDenied(_("You may not publish announcements."))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method != "POST":
            a = self.object
            kwargs["initial"] = {
                "kind": a.kind,
                "title": a.title,
                "body": a.body,
                "bank_wide": a.bank_wide,
                "branches": list(AnnouncementBranch.objects.filter(announcement=a).values_list("branch_id", flat=True)),
                "roles": list(AnnouncementRole.objects.filter(announcement=a).values_list("group_id", flat=True)),
                "valid_from": a.valid_from,
                "valid_until": a.valid_until,
                "pinned": a.pinned,
                "requires_ack": a.requires_ack,
            }
        return kwargs

    def get_title(self):
        return self.object.title

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            announcement=self.object,
            attachments=list(self.object.attachments.all()),
            attachment_form=AttachmentForm(),
            may_publish=services.may_publish(user),
            max_attachment_bytes=parameters.get(services.MAX_ATTACHMENT_BYTES_PARAM, self.object.bank_id),
            **kwargs,
        )


class AttachView(ServiceFormView):
    permission_required = services.PUBLISH_PERM
    model = Announcement
    form_class = AttachmentForm
    template_name = "workbench/announcements/attach.html"
    title = gettext_lazy("Add an attachment")

    def perform(self, form):
        return services.add_attachment(self.object, form.cleaned_data["file"], self.request.user)

    def get_success_message(self, attachment):
        return _("%(name)s is attached.") % {"name": attachment.original_name}

    def get_success_url(self, attachment):
        return links.url("announcement_manage", attachment.announcement_id)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            max_attachment_bytes=parameters.get(services.MAX_ATTACHMENT_BYTES_PARAM, self.object.bank_id), **kwargs
        )


class RemoveAttachmentView(ServiceActionView):
    permission_required = services.PUBLISH_PERM
    model = AnnouncementAttachment
    success_message = gettext_lazy("The attachment is removed.")

    def perform(self):
        return services.remove_attachment(self.object.pk, self.request.user)

    def get_success_url(self, announcement):
        return links.url("announcement_manage", self.object.announcement_id)


class PublishView(ServiceActionView):
    permission_required = services.PUBLISH_PERM
    model = Announcement

    def perform(self):
        return services.publish(self.object.pk, self.request.user, self.request.POST.get("reason", "")[:1000])

    def get_success_message(self, announcement):
        if announcement.status == Announcement.Status.PENDING:
            return _(
                "A bank-wide announcement needs a second person: it waits for approval (request #%(id)s) "
                "and nobody sees it until then."
            ) % {"id": announcement.change_request_id}
        return _("The announcement is published.")

    def get_success_level(self, announcement):
        return INFO if announcement.status == Announcement.Status.PENDING else SUCCESS

    def get_success_url(self, announcement):
        return links.url("announcement_manage", self.object.pk)


class WithdrawView(PublishView):
    def perform(self):
        return services.withdraw(self.object.pk, self.request.user)

    def get_success_message(self, announcement):
        if announcement.status == Announcement.Status.DRAFT:
            return _("The request for approval is withdrawn; the announcement is a draft again.")
        return _("The announcement is withdrawn: nobody sees it any more.")


class ReachView(PermissionPageMixin, View):
    """Who in the audience has not opened / not acknowledged, per branch; the people as a list and as XLSX."""

    permission_required = VIEW_PERM
    people_limit = 200

    def get(self, request, pk):
        announcement = Announcement.objects.visible_to(request.user).filter(pk=pk).first()
        if announcement is None:
            raise NotVisible
        missing = request.GET.get("missing") if request.GET.get("missing") in ("open", "ack", "all") else None
        missing = missing or ("ack" if announcement.requires_ack else "open")
        branch_id = request.GET.get("branch") if (request.GET.get("branch") or "").isdigit() else None
        people = services.reach_people(announcement, missing, branch_id)
        if request.GET.get("export") == "xlsx":
            cap = parameters.get("export.max_rows", request.user.bank_id)
            rows = table_rows(ReachPeopleTable, people[:cap], request=request)
            return xlsx_response(
                rows,
                filename=f"announcement-{announcement.pk}-reach",
                request=request,
                object_type=Announcement._meta.label_lower,
                detail={"announcement": announcement.pk, "missing": missing},
            )
        branches = services.reach(announcement)
        totals = {
            key: sum(row[key] for row in branches) for key in ("total", "opened_count", "acked_count", "not_opened", "not_acked")
        }
        listed = list(people[: self.people_limit + 1])
        return render(
            request,
            "workbench/announcements/reach.html",
            {
                "announcement": announcement,
                "branches": branches,
                "totals": totals,
                "people": listed[: self.people_limit],
                "more_people": len(listed) > self.people_limit,
                "missing": missing,
                "branch_id": branch_id,
            },
        )
