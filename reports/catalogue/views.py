"""The report pages (thin: the filters form, the engine, the template or the XLSX), the monthly
formatted branch report and the subscriptions page."""

import datetime
import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View

from ocrm import parameters
from ocrm.errors import NotVisible, messages_of
from ocrm.lists import background, exports
from ocrm.pages import PermissionPageMixin
from reports.catalogue import definitions, delivery, formatted, services
from reports.catalogue.forms import FilterForm, SubscriptionForm
from reports.catalogue.models import ReportSubscription, SubscriptionRun
from sysadmin.org.models import Branch

PERMISSION = "reports.view_reports"


class CatalogueView(PermissionPageMixin, View):
    permission_required = PERMISSION

    def get(self, request):
        reader = services.Reader.of(request.user)
        latest = services.latest_date(reader.bank_id)
        return render(
            request,
            "reports/catalogue/catalogue.html",
            {
                "reports": list(definitions.REPORTS.values()),
                "latest": latest,
                "as_of": services.as_of(reader.bank_id, latest),
                "sees_tree": reader.sees_tree,
                "title": _("Report catalogue"),
            },
        )


class ReportView(PermissionPageMixin, View):
    permission_required = PERMISSION
    report_key = ""

    def get(self, request):
        report = definitions.REPORTS[self.report_key]
        reader = services.Reader.of(request.user)
        products = delivery.product_choices(reader.bank_id) if report.uses_product else ()
        form = FilterForm(request.GET, report=report, products=products)
        context = {"report": report, "form": form, "title": report.title, "reader": reader}
        if not form.is_valid():
            return render(request, "reports/catalogue/report.html", context, status=400)
        try:
            filters = services.resolve(reader, form.cleaned_data, request.GET)
        except NotVisible:
            raise Http404 from None
        if request.GET.get("export") == "xlsx" and (request.GET.get("background") or delivery.runs_long(reader, filters)):
            # A long report: the worker writes it into "my exports", with progress and cancel.
            delivery.queue(request.user, report, request.GET, lists_customers=filters.by == services.BY_CUSTOMER)
            messages.info(request, _("The report runs in the background; download it from My exports when it is ready."))
            return redirect(background.EXPORT_LIST_URL)
        seconds = parameters.get("reports.page_timeout_seconds", reader.bank_id)
        if request.GET.get("export") == "xlsx":
            filters.everything = True
        try:
            with delivery.time_limited(seconds):
                result = definitions.run(report, reader, filters)
        except delivery.ReportTimedOut as error:
            context.update(timed_out=str(error), worker_link=filters.link(export="xlsx", background=1, page=None))
            return render(request, "reports/catalogue/report.html", context, status=503)
        if request.GET.get("export") == "xlsx":
            handle, _size, rows = delivery.write(result, request.user)
            delivery.audit_export(result, request.user, request.GET.urlencode(), rows, request=request)
            return exports.xlsx_file_response(handle, f"{delivery.filename_of(result)}.xlsx")
        if result.level.by == services.BY_CUSTOMER:
            for line in result.level.lines:
                try:
                    line.link = reverse("customers:detail", args=[line.key])
                except NoReverseMatch:
                    line.link = ""
        bank = services.bank_of(reader)
        header, lines, total = definitions.page_table(result)
        context.update(
            result=result,
            header=header,
            lines=lines,
            total=total,
            sections=[definitions.section_table(section) for section in result.sections],
            filters=filters,
            crumbs=services.breadcrumbs(reader, filters, bank) if bank else [],
            as_of=services.as_of(reader.bank_id, filters.date),
            bank=bank,
            charts=[chart.as_json() for chart in result.charts],
            export_link=filters.link(export="xlsx", page=None),
            worker_link=filters.link(export="xlsx", background=1, page=None),
            subscription_form=SubscriptionForm(initial={"report": report.key, "query": request.GET.urlencode()}),
            can_subscribe=request.user.has_perm("reports.subscribe_reports"),
            compare=bool(filters.compare) and result.level.by != services.BY_CUSTOMER,
            pages=range(1, result.level.pages + 1) if result.level.pages > 1 else [],
            page_links=[(n, filters.link(page=n)) for n in range(1, min(result.level.pages, 50) + 1)]
            if result.level.pages > 1
            else [],
        )
        return render(request, "reports/catalogue/report.html", context)

    def export(self, request):
        """The report's file in the worker (ocrm.lists.background rebuilds this page as the owner
        and calls this with `background_export` set): reports.catalogue.delivery.run_queued."""
        job = getattr(self, "background_export", None)
        if job is None:
            raise PermissionDenied
        report = definitions.REPORTS[self.report_key]
        return delivery.run_queued(job.export, request.user, report, request.GET, run=job.run)


def report_view(key):
    return type(f"{key.title()}ReportView", (ReportView,), {"report_key": key}).as_view()


class MonthlyReportView(PermissionPageMixin, View):
    """The monthly formatted branch report of one branch in the user's scope, downloaded at once."""

    permission_required = PERMISSION

    def get(self, request):
        reader = services.Reader.of(request.user)
        if not reader.sees_tree:
            raise PermissionDenied
        branches = Branch.objects.filter(bank_id=reader.bank_id).order_by("path")
        if reader.top is not None:
            branches = branches.filter(path__startswith=reader.top.path)
        error = ""
        month = request.GET.get("month") or ""
        branch_id = request.GET.get("branch") or ""
        if month or branch_id:
            try:
                day = formatted.month_end(datetime.date.fromisoformat(f"{month}-01"))
            except ValueError:
                error = _("Month: choose a month such as 2026-06.")
            else:
                if not branch_id.isdigit():
                    error = _("Branch: choose a branch.")
                else:
                    branch = services.visible_branch(reader, int(branch_id))
                    handle = tempfile.TemporaryFile()
                    formatted.write(branch, day, handle, user=request.user)
                    handle.seek(0)
                    formatted.events.export_written(
                        request=request,
                        object_type=formatted.OBJECT_TYPE,
                        filename=formatted.filename(branch, day),
                        rows=1,
                        query=request.GET.urlencode(),
                        pii=False,
                    )
                    return FileResponse(
                        handle,
                        as_attachment=True,
                        filename=f"{formatted.filename(branch, day)}.xlsx",
                        content_type=exports.XLSX_TYPE,
                    )
        latest = services.latest_date(reader.bank_id)
        default_month = formatted.previous_month_end(latest) if latest and not formatted.is_month_end(latest) else latest
        return render(
            request,
            "reports/catalogue/monthly.html",
            {
                "title": _("Monthly branch report"),
                "branches": [(b.pk, services.branch_label(b)) for b in branches.only("id", "code", "name_local", "name_en")],
                "month": month or (f"{default_month:%Y-%m}" if default_month else ""),
                "branch_id": branch_id or (reader.top.pk if reader.top is not None else ""),
                "error": error,
            },
            status=400 if error else 200,
        )


class SubscriptionsView(PermissionPageMixin, View):
    """One's own report subscriptions and their last deliveries; POST subscribes or cancels."""

    permission_required = (PERMISSION, "reports.subscribe_reports")

    def get(self, request, form=None):
        subscriptions = list(ReportSubscription.objects.filter(owner=request.user, is_active=True).order_by("report", "pk"))
        for subscription in subscriptions:
            report = definitions.REPORTS.get(subscription.report)
            subscription.title = report.title if report else _("Report no longer offered")
            subscription.url_name = report.url_name if report else ""
        runs = list(
            SubscriptionRun.objects.filter(subscription__owner=request.user)
            .select_related("subscription")
            .order_by("-ran_at", "-pk")[:20]
        )
        for run in runs:
            report = definitions.REPORTS.get(run.subscription.report)
            run.title = report.title if report else ""
        return render(
            request,
            "reports/catalogue/subscriptions.html",
            {"title": _("My report subscriptions"), "subscriptions": subscriptions, "runs": runs, "form": form},
            status=400 if form is not None else 200,
        )

    def post(self, request):
        if request.POST.get("cancel"):
            try:
                delivery.cancel(request.user, int(request.POST["cancel"]))
            except (ValueError, NotVisible):
                raise Http404 from None
            messages.success(request, _("Subscription cancelled."))
            return redirect("reports:subscriptions")
        form = SubscriptionForm(request.POST)
        if not form.is_valid():
            return self.get(request, form)
        try:
            subscription = delivery.subscribe(request.user, form.cleaned_data)
        except NotVisible:
            raise Http404 from None
        except ValidationError as error:
            for message in messages_of(error):
                form.add_error(None, message)
            return self.get(request, form)
        messages.success(
            request,
            _("Subscribed: the next delivery is at %(time)s.")
            % {"time": subscription.next_run_at.astimezone(services.user_zone(request.user)).strftime("%Y-%m-%d %H:%M %Z")},
        )
        return redirect("reports:subscriptions")
