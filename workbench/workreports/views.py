"""The work report pages (thin views over workbench.workreports.services)."""

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.workreports import services
from workbench.workreports.filtersets import WorkReportFilterSet
from workbench.workreports.forms import CommentForm, OpenReportForm, ReportForm, WeekForm
from workbench.workreports.models import WorkReport
from workbench.workreports.tables import WorkReportTable


class WorkReportListView(ScopedListView):
    model = WorkReport
    table_class = WorkReportTable
    filterset_class = WorkReportFilterSet
    permission_required = "workbench.view_workreport"
    template_name = "workbench/workreports/list.html"
    title = gettext_lazy("Work reports")
    export_filename = "work-reports"
    select_related = ("author", "author__branch")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_write"] = self.request.user.has_perm(services.WRITE_PERM)
        context["kinds"] = WorkReport.Kind.choices
        return context


class OpenReportView(ServiceActionView):
    """Open (or start) the person's report of today's day or week: a draft made from their activity."""

    permission_required = services.WRITE_PERM
    form_class = OpenReportForm
    error_url = "workbench:workreports"

    def perform(self):
        data = self.form.cleaned_data
        return services.open_draft(self.request.user, data["kind"], data.get("day"))

    def get_success_url(self, result):
        if result is None:
            return reverse("workbench:workreports")
        name = "workbench:workreport_edit" if result.is_draft else "workbench:workreport_detail"
        return reverse(name, args=[result.pk])


class WorkReportDetailView(PermissionPageMixin, View):
    permission_required = "workbench.view_workreport"

    def get(self, request, pk):
        report = WorkReport.objects.select_related("author", "author__branch").get_visible_or_404(request.user, pk=pk)
        user = request.user
        return render(
            request,
            "workbench/workreports/detail.html",
            {
                "report": report,
                "comments": report.comments.select_related("author"),
                "may_comment": user.has_perm(services.COMMENT_PERM) and report.author_id != user.pk and not report.is_draft,
                "may_edit": report.author_id == user.pk and report.is_draft,
                "comment_form": CommentForm(),
            },
        )


class WorkReportEditView(ServiceFormView):
    """The author edits their draft and submits it (another person's report is a 404)."""

    model = WorkReport
    permission_required = services.WRITE_PERM
    form_class = ReportForm
    template_name = "workbench/workreports/edit.html"

    def get_queryset(self):
        return super().get_queryset().filter(author=self.request.user)

    def get_form(self):
        if self.request.method == "POST":
            return ReportForm(self.request.POST)
        return ReportForm(initial={"summary": self.object.summary, "plan": self.object.plan})

    def get_title(self):
        return str(self.object)

    def perform(self, form):
        return services.save_report(self.object, self.request.user, submit="submit" in self.request.POST, **form.cleaned_data)

    def get_success_message(self, result):
        return _("Report submitted.") if not result.is_draft else _("Draft saved.")

    def get_success_url(self, result):
        name = "workbench:workreport_edit" if result.is_draft else "workbench:workreport_detail"
        return reverse(name, args=[result.pk])


class CommentView(ServiceActionView):
    model = WorkReport
    permission_required = services.COMMENT_PERM
    form_class = CommentForm
    success_message = gettext_lazy("Comment sent to the author.")

    def perform(self):
        return services.comment(self.object, self.request.user, self.form.cleaned_data["text"])

    def get_success_url(self, result):
        return reverse("workbench:workreport_detail", args=[self.object.pk])


class NotSubmittedView(PermissionPageMixin, View):
    """Who in the supervisor's scope has not submitted the weekly report of a week (this week by default)."""

    permission_required = services.COMMENT_PERM

    def get(self, request):
        form = WeekForm(request.GET or None)
        day = form.cleaned_data.get("week") if form.is_valid() else None
        if form.is_bound and not form.is_valid():
            messages.error(request, _("That is not a date; this week is shown."))
        day = day or services.local_today(request.user)
        start, end = services.period_of(WorkReport.Kind.WEEKLY, day)
        people = list(services.not_submitted(request.user, start)[:500])
        return render(
            request,
            "workbench/workreports/missing.html",
            {"form": form, "start": start, "end": end, "people": people},
        )
