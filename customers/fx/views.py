"""Pages of the rate board: the board (every staff member of the bank; it refreshes itself with
htmx), the converter beside it, the history chart of one currency, the list and the detail of
postings, and the manual posting form (a change request for a checker). Thin views over
customers.fx.services; rates come from FxRate.objects.visible_to(user) (the user's bank only,
404 outside it)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from customers.fx import services
from customers.fx.filtersets import PostingFilterSet
from customers.fx.forms import ConverterForm, PostingForm
from customers.fx.tables import PostingTable
from customers.master.models import FxRate
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ScopedQuerysetMixin, ServiceFormView, add_errors, is_htmx

HISTORY_DAYS = 90


class BankPageMixin(PermissionPageMixin):
    """Pages about the user's own bank: a person of no bank (the platform operator) has no board."""

    permission_required = services.VIEW_PERM

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.bank_id is None:
            raise NotVisible
        return super().dispatch(request, *args, **kwargs)

    @property
    def bank(self):
        return self.request.user.bank


def converter_form(board, data=None):
    currencies = [board.bank.base_currency, *(rate.currency for rate in board.rates)]
    return ConverterForm(data, currencies=currencies, initial={"from_currency": currencies[-1], "to_currency": currencies[0]})


class BoardView(BankPageMixin, View):
    """The board; with ?part=board (htmx polling) only the rates card."""

    def get(self, request):
        board = services.board(self.bank)
        context = {"board": board, "title": _("Exchange rate board")}
        if is_htmx(request) and request.GET.get("part") == "board":
            return render(request, "customers/fx/_board.html", context)
        context.update(
            converter=converter_form(board),
            may_post=request.user.has_perm(services.POST_PERM),
        )
        return render(request, "customers/fx/board.html", context)


class ConvertView(BankPageMixin, View):
    """The converter's answer (a fragment for htmx; the same fragment in a page without it)."""

    def get(self, request):
        board = services.board(self.bank)
        form = converter_form(board, request.GET)
        conversion = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                conversion = services.convert(
                    self.bank, data["amount"], data["from_currency"], data["to_currency"], data["channel"], board_=board
                )
            except ValidationError as error:
                add_errors(form, error)
        context = {"form": form, "conversion": conversion, "board": board}
        if is_htmx(request):
            return render(request, "customers/fx/_conversion.html", context)
        return render(request, "customers/fx/convert.html", {**context, "title": _("Currency converter")})


class HistoryView(BankPageMixin, View):
    """The middle, buying and selling rates of one currency over the last HISTORY_DAYS days (?currency=)."""

    def get(self, request):
        currencies = services.board_currencies(self.bank.pk)
        currency = (request.GET.get("currency") or "").upper()
        if currency not in currencies:
            currency = currencies[0] if currencies else ""
        points = services.history(self.bank.pk, currency, HISTORY_DAYS) if currency else []
        chart = [
            {
                "date": day.isoformat(),
                "middle": float(middle),
                "buy": float(buy) if buy is not None else None,
                "sell": float(sell) if sell is not None else None,
            }
            for day, middle, buy, sell in points
        ]
        return render(
            request,
            "customers/fx/history.html",
            {
                "title": _("Exchange rate history"),
                "currencies": currencies,
                "currency": currency,
                "chart": chart,
                "days": HISTORY_DAYS,
                "base_currency": self.bank.base_currency,
            },
        )


class PostingListView(ScopedListView):
    model = FxRate
    table_class = PostingTable
    filterset_class = PostingFilterSet
    permission_required = services.VIEW_PERM
    title = gettext_lazy("Posted exchange rates")
    select_related = ("posted_by",)
    create_url = "customers:fx_post"
    create_perm = services.POST_PERM


class PostingDetailView(ScopedQuerysetMixin, DetailView):
    model = FxRate
    permission_required = services.VIEW_PERM
    select_related = ("bank", "posted_by", "approved_by")
    template_name = "customers/fx/detail.html"
    context_object_name = "rate"


class PostView(BankPageMixin, ServiceFormView):
    permission_required = services.POST_PERM
    form_class = PostingForm
    template_name = "customers/fx/post_form.html"
    title = gettext_lazy("Post an exchange rate")
    success_url = "customers:fx_board"

    def perform(self, form):
        data = form.cleaned_data
        return services.request_posting(
            self.request.user.bank,
            self.request.user,
            data["currency"],
            form.quote(),
            effective_at=data.get("effective_at"),
            reason=data["reason"],
        )

    def get_success_message(self, change_request):
        return _("The rate waits for a checker's approval (request #%(id)s); the board changes once it is approved.") % {
            "id": change_request.pk
        }

    def get_success_level(self, change_request):
        return messages.INFO

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["base_currency"] = self.bank.base_currency
        return context
